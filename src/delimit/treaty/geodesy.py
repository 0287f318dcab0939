"""Geodesic measures for treaty tables: lengths, forward and back azimuths, DMS and UTM coordinates.

Everything here works on the WGS84 ellipsoid through :data:`delimit.crs.GEOD` (pyproj's binding of
GeographicLib, accurate to a few nanometres), never on a projection. Treaty conventions used:

* a **segment length** is the geodesic distance between its two turning points, in metres;
* the **forward azimuth** is the direction of the geodesic at its start, in degrees clockwise from
  true north, in ``[0, 360)``; the **back azimuth** is the direction from the end point back to the
  start, also in ``[0, 360)`` (it differs from forward + 180 by the meridian convergence);
* **UTM** coordinates are given in the zone holding each point (WGS84 / UTM, EPSG:326zz/327zz), so
  a surveyor can stake the point with the zone printed next to it.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from pyproj import Transformer

from delimit.crs import GEOD, utm_epsg

#: Mean radius of the Earth (IUGG R1), metres: used only for the curvature term of line-of-sight checks.
EARTH_RADIUS_M = 6_371_008.8


def inverse(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Geodesic inverse problem, vectorised: ``(forward_azimuth, back_azimuth, distance_m)``.

    Azimuths are degrees clockwise from north in ``[0, 360)``; distances metres on WGS84.

    >>> fwd, back, dist = inverse(np.array([0.0]), np.array([0.0]), np.array([1.0]), np.array([0.0]))
    >>> round(float(fwd[0]), 6), round(float(back[0]), 6), round(float(dist[0]), 3)
    (90.0, 270.0, 111319.491)
    """
    lon1, lat1, lon2, lat2 = (np.asarray(a, dtype=float) for a in (lon1, lat1, lon2, lat2))
    fwd, back, dist = GEOD.inv(lon1, lat1, lon2, lat2)
    return (
        np.mod(np.asarray(fwd, dtype=float), 360.0),
        np.mod(np.asarray(back, dtype=float), 360.0),
        np.asarray(dist, dtype=float),
    )


def forward(
    lon: np.ndarray, lat: np.ndarray, azimuth: np.ndarray, distance_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Geodesic direct problem, vectorised: the point ``distance_m`` from (lon, lat) along ``azimuth``.

    >>> lon, lat = forward(np.array([0.0]), np.array([0.0]), np.array([90.0]), np.array([111319.491]))
    >>> round(float(lon[0]), 6), round(float(lat[0]), 6)
    (1.0, 0.0)
    """
    lon2, lat2, _ = GEOD.fwd(
        np.asarray(lon, dtype=float),
        np.asarray(lat, dtype=float),
        np.asarray(azimuth, dtype=float),
        np.asarray(distance_m, dtype=float),
    )
    return np.asarray(lon2, dtype=float), np.asarray(lat2, dtype=float)


def to_dms(value: float, axis: str, *, decimals: int = 3) -> str:
    """Degrees -> ``DD°MM'SS.sss"H`` with hemisphere letter (``axis`` ``'lat'`` or ``'lon'``).

    Three decimals of an arc-second are about 3 cm on the ground.

    >>> to_dms(39.5, "lat")
    '39°30\\'00.000"N'
    >>> to_dms(-70.25, "lon", decimals=1)
    '70°15\\'00.0"W'
    """
    hemi = ("N" if value >= 0 else "S") if axis == "lat" else ("E" if value >= 0 else "W")
    total = round(abs(float(value)) * 3600.0, decimals)
    deg = int(total // 3600)
    minutes = int((total - deg * 3600) // 60)
    seconds = total - deg * 3600 - minutes * 60
    width = 3 + decimals if decimals else 2
    return f"{deg}°{minutes:02d}'{seconds:0{width}.{decimals}f}\"{hemi}"


def azimuth_dms(azimuth: float, *, decimals: int = 1) -> str:
    """Azimuth degrees -> ``DDD°MM'SS.s"`` (no hemisphere).

    >>> azimuth_dms(123.5)
    '123°30\\'00.0"'
    """
    total = round(float(azimuth) * 3600.0, decimals) % (360 * 3600)
    deg = int(total // 3600)
    minutes = int((total - deg * 3600) // 60)
    seconds = total - deg * 3600 - minutes * 60
    width = 3 + decimals if decimals else 2
    return f"{deg:03d}°{minutes:02d}'{seconds:0{width}.{decimals}f}\""


@cache
def _utm_transformer(epsg: int) -> Transformer:
    return Transformer.from_crs(4326, epsg, always_xy=True)


def utm_coordinates(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """UTM easting, northing (metres), EPSG code and zone label (``'42N'``) of each point, in its own zone.

    >>> e, n, epsg, zone = utm_coordinates(np.array([70.58]), np.array([39.85]))
    >>> int(epsg[0]), zone[0]
    (32642, '42N')
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    epsg = np.array([utm_epsg(float(x), float(y)) for x, y in zip(lon, lat, strict=True)], dtype=int)
    east = np.full(lon.shape, np.nan)
    north = np.full(lon.shape, np.nan)
    for code in np.unique(epsg):
        m = epsg == code
        east[m], north[m] = _utm_transformer(int(code)).transform(lon[m], lat[m])
    zones = [f"{c % 100}{'N' if c < 32700 else 'S'}" for c in epsg]
    return east, north, epsg, zones
