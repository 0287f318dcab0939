"""Elevation look-ups for treaty tables: heights of points from a DEM given in any CRS.

The embedded DEM (GEBCO_2023, 15 arc-seconds, about 460 m x 355 m cells in the Fergana Valley) is
far coarser than a demarcation survey needs: heights and line-of-sight results derived from it are
planning figures that flag where a field team must look, not survey results.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from pyproj import CRS, Transformer

from delimit.model.raster import Raster

_WGS84 = CRS.from_epsg(4326)


@cache
def _to_raster_crs(wkt: str) -> Transformer:
    return Transformer.from_crs(_WGS84, CRS.from_wkt(wkt), always_xy=True)


def sample_lonlat(raster: Raster | None, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Raster values (bilinear) at WGS84 lon/lat points; NaN outside the raster, on nodata or without a raster.

    >>> from affine import Affine
    >>> r = Raster(np.array([[0., 10.], [20., 30.]]), Affine(1, 0, 0, 0, -1, 2), _WGS84)
    >>> float(sample_lonlat(r, np.array([1.0]), np.array([1.0]))[0])
    15.0
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if raster is None:
        return np.full(lon.shape, np.nan)
    if raster.crs == _WGS84 or raster.crs.to_epsg() == 4326:
        xs, ys = lon, lat
    else:
        xs, ys = _to_raster_crs(raster.crs.to_wkt()).transform(lon, lat)
    return np.asarray(raster.sample(np.asarray(xs), np.asarray(ys)), dtype=float)


def cell_size_m(raster: Raster, lat: float) -> float:
    """Mean side of a raster cell in metres near latitude ``lat`` (geographic rasters: at that latitude).

    >>> from affine import Affine
    >>> r = Raster(np.zeros((2, 2)), Affine(1 / 240, 0, 70, 0, -1 / 240, 41), _WGS84)
    >>> 350 < cell_size_m(r, 40.0) < 420
    True
    """
    a, e = abs(raster.transform.a), abs(raster.transform.e)
    if raster.crs.is_geographic:
        m_per_deg = 111_320.0
        return float(math.sqrt(a * m_per_deg * math.cos(math.radians(lat)) * e * m_per_deg))
    return float(math.sqrt(a * e))
