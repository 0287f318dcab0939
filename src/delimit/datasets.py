"""Embedded datasets shipped inside the package (``delimit/data/<name>/``).

The default is ``fergana``: the Kyrgyzstan-Tajikistan(-Uzbekistan) borders of the Fergana Valley,
built by ``scripts/build_fergana_data.py`` from pinned registry packages. ``central-asia`` is the
region dataset (Kyrgyzstan, Tajikistan, Uzbekistan, western China; skeleton roads, cited checkpoints)
built by ``scripts/build_region_data.py``; its scenario ``central-asia-freight`` asks the Karamik question.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from delimit.errors import InputError

DEFAULT_DATASET = "fergana"


def data_root() -> Path:
    """Folder holding the embedded datasets."""
    return Path(str(resources.files("delimit") / "data"))


def list_datasets() -> list[str]:
    """Names of the embedded datasets (folders with a ``manifest.json``)."""
    root = data_root()
    return sorted(p.name for p in root.iterdir() if (p / "manifest.json").is_file()) if root.is_dir() else []


def dataset_dir(name: str = DEFAULT_DATASET) -> Path:
    """Folder of an embedded dataset; InputError if there is none of that name."""
    d = data_root() / name
    if not (d / "manifest.json").is_file():
        known = ", ".join(list_datasets()) or "none"
        raise InputError(name, f"no embedded dataset of that name (known: {known})", field="dataset")
    return d


def read_manifest(name: str = DEFAULT_DATASET) -> dict[str, Any]:
    """The dataset's manifest: version, layers with counts, sources, licences, file hashes."""
    path = dataset_dir(name) / "manifest.json"
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


def bundled_scenario_files(dataset: str | None = None) -> dict[str, Path]:
    """{scenario name: file} for every scenario shipped with an embedded dataset (or with ``dataset`` only).

    Scenario names are unique across datasets (the first dataset in name order wins a clash), so
    ``--scenario central-asia-freight`` resolves like ``--scenario status-quo``.
    """
    out: dict[str, Path] = {}
    for ds in list_datasets() if dataset is None else [dataset]:
        folder = data_root() / ds / "scenarios"
        if folder.is_dir():
            for f in sorted(folder.iterdir()):
                if f.suffix in (".yaml", ".yml", ".toml"):
                    out.setdefault(f.stem, f)
    return out
