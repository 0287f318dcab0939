"""GeoTIFF I/O through rasterio (elevation models, travel-time surfaces). Writes are atomic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS

from delimit.errors import InputError
from delimit.io.atomic import atomic_path
from delimit.io.limits import Limits, check_file
from delimit.model.raster import Raster


def read_raster(path: str | Path, *, band: int = 1, units: str = "", source: str = "", limits: Limits | None = None) -> Raster:
    """Read one band of a GeoTIFF (or any GDAL raster) into a :class:`Raster`.

    Refuses rasters without a CRS (never guessed) and with a non-invertible transform.
    """
    p = check_file(path, limits)
    try:
        with rasterio.open(p) as ds:
            if ds.crs is None:
                raise InputError(p, "raster has no CRS (delimit never guesses one)", field="crs")
            if band < 1 or band > ds.count:
                raise InputError(p, f"band {band} does not exist (the raster has {ds.count})", field="band")
            data = ds.read(band)
            transform = ds.transform
            crs = CRS.from_user_input(ds.crs.to_wkt())
            nodata = ds.nodata
            tags = ds.tags()
    except InputError:
        raise
    except rasterio.errors.RasterioError as exc:
        raise InputError(p, f"cannot read raster: {str(exc).splitlines()[0]}") from None
    if transform.determinant == 0:
        raise InputError(p, "raster transform is not invertible", field="transform")
    return Raster(data, transform, crs, nodata, units or tags.get("units", ""), source or tags.get("source", ""))


def write_raster(raster: Raster, path: str | Path, *, tags: dict[str, Any] | None = None, compress: str = "deflate") -> Path:
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
    with atomic_path(dest) as tmp:
        with rasterio.open(tmp, "w", **profile) as ds:
            ds.write(data, 1)
            all_tags = {"units": raster.units, "source": raster.source}
            all_tags.update({k: str(v) for k, v in (tags or {}).items()})
            ds.update_tags(**all_tags)
    return dest
