"""Provenance: which inputs, at which versions, and which scenario produced an output.

Every output of delimit (JSON, GeoPackage metadata, reports, annexes) embeds
``Provenance.as_dict()``. It holds no wall-clock time, so identical inputs give identical outputs.
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from delimit.attribution import Credit, attribution_dicts, attribution_text


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


@cache
def library_versions() -> dict[str, str]:
    """Versions of delimit and the libraries whose results shape its numbers (GEOS and PROJ included)."""
    import geopandas
    import numpy
    import pyogrio
    import pyproj
    import scipy
    import shapely

    from delimit import __version__

    return {
        "delimit": __version__,
        "python": platform.python_version(),
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "geopandas": geopandas.__version__,
        "pyproj": pyproj.__version__,
        "proj": pyproj.proj_version_str,
        "pyogrio": pyogrio.__version__,
        "gdal": pyogrio.__gdal_version_string__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
    }


@dataclass(frozen=True)
class InputRecord:
    """One input file: its role, path (as given), SHA-256 and, for datasets, a version string."""

    role: str
    path: str
    sha256: str
    version: str = ""

    def as_dict(self) -> dict[str, str]:
        d = {"role": self.role, "path": self.path, "sha256": self.sha256}
        if self.version:
            d["version"] = self.version
        return d


@dataclass(frozen=True)
class Provenance:
    """Where a scenario (and hence every output computed from it) came from."""

    scenario: str
    scenario_chain: tuple[str, ...] = ()
    dataset: str = ""
    dataset_version: str = ""
    inputs: tuple[InputRecord, ...] = field(default_factory=tuple)
    credits: tuple[Credit, ...] = field(default_factory=tuple)

    def attribution(self) -> str:
        """The paragraph every visible output prints: each source with its licence ("" if none)."""
        return attribution_text(self.credits)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary, embedded in every output (``attribution``: the credits, one per source)."""
        return {
            "scenario": self.scenario,
            "scenario_chain": list(self.scenario_chain),
            "dataset": self.dataset,
            "dataset_version": self.dataset_version,
            "inputs": [i.as_dict() for i in self.inputs],
            "attribution": attribution_dicts(self.credits),
            "software": library_versions(),
        }
