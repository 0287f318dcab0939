"""GeoTIFF I/O through rasterio (elevation models, travel-time surfaces). Writes are atomic.

Reads are bounded: the size a raster declares (or the window a caller needs) is checked against
``Limits.max_raster_cells`` (``DELIMIT_MAX_RASTER_CELLS``) before any pixel is read, so a small
file declaring billions of cells is refused instead of allocated.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS
from rasterio.windows import Window, from_bounds

from delimit.errors import InputError
from delimit.io.atomic import atomic_path
from delimit.io.limits import Limits, check_file
from delimit.model.raster import Raster


@dataclass(frozen=True)
class RasterInfo:
    """What a raster declares, read without reading a pixel."""

    width: int
    height: int
    count: int
    dtype: str
    crs: CRS
    transform: Affine
    nodata: float | None
    tags: dict[str, str]

    @property
    def cells(self) -> int:
        """Cells of one band (width x height)."""
        return self.width * self.height


def _open(p: Path) -> Any:
    """``rasterio.open`` with GDAL's warnings kept off stderr (faults become InputErrors)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rasterio.open(p)


def _info(ds: Any, p: Path, band: int) -> RasterInfo:
    """The declared size, CRS, transform and band of an open dataset; InputError for what delimit
    cannot use (no CRS: never guessed; missing band; non-invertible transform)."""
    if ds.crs is None:
        raise InputError(p, "raster has no CRS (delimit never guesses one)", field="crs")
    if band < 1 or band > ds.count:
        raise InputError(p, f"band {band} does not exist (the raster has {ds.count})", field="band")
    transform = ds.transform
    if transform.determinant == 0 or not all(math.isfinite(v) for v in tuple(transform)[:6]):
        raise InputError(p, "raster transform is not invertible", field="transform")
    try:
        crs = CRS.from_user_input(ds.crs.to_wkt())
    except Exception:
        raise InputError(p, "raster CRS cannot be read", field="crs") from None
    return RasterInfo(
        int(ds.width),
        int(ds.height),
        int(ds.count),
        str(ds.dtypes[band - 1]),
        crs,
        transform,
        ds.nodata,
        dict(ds.tags()),
    )


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return (
        f"{type(exc).__name__}: {lines[0]}"
        if not isinstance(exc, rasterio.errors.RasterioError)
        else (lines[0] if lines else type(exc).__name__)
    )


def _check_cells(p: Path, width: int, height: int, limits: Limits, what: str) -> None:
    cells = width * height
    if cells > limits.max_raster_cells:
        raise InputError(
            p,
            f"{what} is {width:,} x {height:,} = {cells:,} cells, over the {limits.max_raster_cells:,}-cell limit "
            "(raise it with DELIMIT_MAX_RASTER_CELLS)",
            field="size",
        )


def raster_info(
    path: str | Path,
    *,
    band: int = 1,
    limits: Limits | None = None,
    bounds: tuple[float, float, float, float] | None = None,
) -> RasterInfo:
    """Check a raster without reading its pixels: readable, a CRS, the band, an invertible transform,
    and the size :func:`read_raster` would load with the same ``bounds`` (the whole raster when
    None) within ``limits.max_raster_cells``."""
    limits = limits or Limits.from_env()
    p = check_file(path, limits)
    try:
        with _open(p) as ds:
            info = _info(ds, p, band)
            if bounds is not None:
                window = _window(ds, info, bounds, p)
                _check_cells(p, int(window.width), int(window.height), limits, "the raster window needed")
    except InputError:
        raise
    except Exception as exc:  # rasterio/GDAL raise RasterioError, but also e.g. UnicodeDecodeError on a corrupt CRS
        raise InputError(p, f"cannot read raster: {_first_line(exc)}") from None
    if bounds is None:
        _check_cells(p, info.width, info.height, limits, "raster")
    return info


def read_raster(
    path: str | Path,
    *,
    band: int = 1,
    units: str = "",
    source: str = "",
    limits: Limits | None = None,
    bounds: tuple[float, float, float, float] | None = None,
) -> Raster:
    """Read one band of a GeoTIFF (or any GDAL raster) into a :class:`Raster`.

    Refuses rasters without a CRS (never guessed) and with a non-invertible transform. The size
    to be read is checked against ``limits.max_raster_cells`` before any pixel is read.

    Parameters
    ----------
    bounds:
        Only the window covering (min lon, min lat, max lon, max lat) in WGS84 degrees is read
        (plus one cell of margin), for callers that need only their data's area. InputError if the
        raster does not overlap it.
    """
    limits = limits or Limits.from_env()
    p = check_file(path, limits)
    try:
        with _open(p) as ds:
            info = _info(ds, p, band)
            window = _window(ds, info, bounds, p) if bounds is not None else Window(0, 0, info.width, info.height)
            _check_cells(
                p,
                int(window.width),
                int(window.height),
                limits,
                "raster" if bounds is None else "the raster window needed",
            )
            data = ds.read(band, window=window)
            transform = ds.window_transform(window)
    except InputError:
        raise
    except Exception as exc:  # rasterio/GDAL raise RasterioError, but also e.g. UnicodeDecodeError on a corrupt CRS
        raise InputError(p, f"cannot read raster: {_first_line(exc)}") from None
    tags = info.tags
    return Raster(
        data, transform, info.crs, info.nodata, units or tags.get("units", ""), source or tags.get("source", "")
    )


def _window(ds: Any, info: RasterInfo, bounds: tuple[float, float, float, float], p: Path) -> Window:
    """The pixel window (clipped to the raster, one cell of margin) covering WGS84 ``bounds``."""
    from pyproj import Transformer
    from pyproj.exceptions import ProjError

    from delimit.crs import WGS84

    minx, miny, maxx, maxy = bounds
    if not info.crs.equals(WGS84, ignore_axis_order=True):
        try:
            to_raster = Transformer.from_crs(WGS84, info.crs, always_xy=True)
            minx, miny, maxx, maxy = to_raster.transform_bounds(minx, miny, maxx, maxy, densify_pts=21)
        except ProjError as exc:
            raise InputError(
                p, f"cannot transform the area needed into the raster's CRS: {str(exc).splitlines()[0]}", field="crs"
            ) from None
    win = from_bounds(minx, miny, maxx, maxy, transform=info.transform)
    col0 = max(math.floor(win.col_off) - 1, 0)
    row0 = max(math.floor(win.row_off) - 1, 0)
    col1 = min(math.ceil(win.col_off + win.width) + 1, info.width)
    row1 = min(math.ceil(win.row_off + win.height) + 1, info.height)
    if col1 <= col0 or row1 <= row0 or not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise InputError(
            p,
            f"raster does not overlap the area needed (lon {bounds[0]:g}..{bounds[2]:g}, lat {bounds[1]:g}..{bounds[3]:g})",
            field="bounds",
        )
    return Window(col0, row0, col1 - col0, row1 - row0)


def write_raster(
    raster: Raster, path: str | Path, *, tags: dict[str, Any] | None = None, compress: str = "deflate"
) -> Path:
    """Write a :class:`Raster` as a tiled, compressed GeoTIFF, atomically."""
    dest = Path(path)
    data = np.asarray(raster.data)
    profile = {
        "driver": "GTiff",
        "height": data.shape[0],
        "width": data.shape[1],
        "count": 1,
        "dtype": data.dtype.name,
        "crs": raster.crs.to_wkt(),
        "transform": Affine(*raster.transform[:6]),
        "compress": compress,
    }
    if raster.nodata is not None:
        profile["nodata"] = raster.nodata
    with atomic_path(dest) as tmp, rasterio.open(tmp, "w", **profile) as ds:
        ds.write(data, 1)
        all_tags = {"units": raster.units, "source": raster.source}
        all_tags.update({k: str(v) for k, v in (tags or {}).items()})
        ds.update_tags(**all_tags)
    return dest
