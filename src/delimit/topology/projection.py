"""Local azimuthal equidistant projections, vectorised over many geometries at once.

The topology engine measures each territory part in its own metric frame: a spherical azimuthal
equidistant (AEQD) projection centred on the part's bounding-box centre. Doing this in numpy (rather
than one ``pyproj.Transformer`` per part) lets 80 000 parts of a world map be projected in one pass,
each about its own centre.

Why this frame is safe for *detecting* narrow places
----------------------------------------------------
The sphere has radius :data:`R_MAX` = a^2/b (6 399 594 m), the largest radius of curvature of the
WGS84 ellipsoid. Locally, a length on the ellipsoid is ``M dphi`` north-south and ``N cos(phi) dlambda``
east-west, with ``M, N <= a^2/b``; the sphere turns them into ``R_MAX dphi`` and ``R_MAX cos(phi)
dlambda``, and the AEQD then stretches transverse lengths by ``k = c / sin c >= 1`` (``c`` the angular
distance from the centre) and keeps radial ones. So a projected length is never shorter than the
true one, and longer by at most :func:`scale_margin` (``a^2/b / (a (1 - e^2)) * c_max / sin c_max``:
1.0101 near the centre). Detection therefore uses a radius inflated by that margin and never misses a
narrow place; every reported number is then measured geodesically on the ellipsoid (``pyproj.Geod``),
so the margin does not enter the results.

>>> import numpy as np
>>> x, y = aeqd_forward(np.array([70.0]), np.array([40.0]), np.array([70.0]), np.array([40.0]))
>>> float(x[0]), float(y[0])
(0.0, 0.0)
>>> lon, lat = aeqd_inverse(*aeqd_forward(np.array([70.3]), np.array([40.2]), 70.0, 40.0), 70.0, 40.0)
>>> round(float(lon[0]), 9), round(float(lat[0]), 9)
(70.3, 40.2)
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

#: WGS84 semi-major axis and flattening (metres).
WGS84_A = 6_378_137.0
WGS84_F = 1.0 / 298.257223563
WGS84_B = WGS84_A * (1.0 - WGS84_F)
_E2 = WGS84_F * (2.0 - WGS84_F)
#: Radius of the projection sphere: the largest radius of curvature of WGS84 (at the poles).
R_MAX = WGS84_A**2 / WGS84_B
#: Smallest radius of curvature of WGS84 (meridian, at the equator).
R_MIN = WGS84_A * (1.0 - _E2)


def aeqd_forward(
    lon: ArrayLike, lat: ArrayLike, lon0: ArrayLike, lat0: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Project degrees to metres in a spherical AEQD centred on (lon0, lat0) (broadcast element-wise)."""
    lam = np.radians(np.asarray(lon, dtype=float) - np.asarray(lon0, dtype=float))
    phi = np.radians(np.asarray(lat, dtype=float))
    phi0 = np.radians(np.asarray(lat0, dtype=float))
    cos_c = np.clip(np.sin(phi0) * np.sin(phi) + np.cos(phi0) * np.cos(phi) * np.cos(lam), -1.0, 1.0)
    c = np.arccos(cos_c)
    small = c < 1e-9
    k = np.where(small, 1.0, c / np.sin(np.where(small, 1.0, c)))
    x = R_MAX * k * np.cos(phi) * np.sin(lam)
    y = R_MAX * k * (np.cos(phi0) * np.sin(phi) - np.sin(phi0) * np.cos(phi) * np.cos(lam))
    return x, y


def aeqd_inverse(
    x: ArrayLike, y: ArrayLike, lon0: ArrayLike, lat0: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Inverse of :func:`aeqd_forward`: metres back to (lon, lat) degrees."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    phi0 = np.radians(np.asarray(lat0, dtype=float))
    rho = np.hypot(x, y)
    c = rho / R_MAX
    small = rho < 1e-9
    rho_s = np.where(small, 1.0, rho)
    sin_c, cos_c = np.sin(c), np.cos(c)
    phi = np.where(small, phi0, np.arcsin(np.clip(cos_c * np.sin(phi0) + y * sin_c * np.cos(phi0) / rho_s, -1.0, 1.0)))
    lam = np.where(small, 0.0, np.arctan2(x * sin_c, rho_s * np.cos(phi0) * cos_c - y * np.sin(phi0) * sin_c))
    lon = np.degrees(lam) + np.asarray(lon0, dtype=float)
    lon = (lon + 180.0) % 360.0 - 180.0
    return lon, np.degrees(phi)


def centres(geoms: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Bounding-box centres (lon, lat) of WGS84 geometries."""
    b = shapely.bounds(np.asarray(geoms, dtype=object))
    return (b[:, 0] + b[:, 2]) / 2.0, (b[:, 1] + b[:, 3]) / 2.0


def to_local(geoms: ArrayLike, lon0: ArrayLike, lat0: ArrayLike) -> NDArray[np.object_]:
    """Project each WGS84 geometry into the AEQD centred on its own (lon0[i], lat0[i])."""
    arr = np.asarray(geoms, dtype=object)
    xy, idx = shapely.get_coordinates(arr, return_index=True)
    if len(xy) == 0:
        return arr.copy()
    x, y = aeqd_forward(xy[:, 0], xy[:, 1], np.asarray(lon0)[idx], np.asarray(lat0)[idx])
    out: NDArray[np.object_] = shapely.set_coordinates(arr.copy(), np.column_stack([x, y]))
    return out


def to_wgs84(geoms: ArrayLike, lon0: ArrayLike, lat0: ArrayLike) -> NDArray[np.object_]:
    """Inverse of :func:`to_local`."""
    arr = np.asarray(geoms, dtype=object)
    xy, idx = shapely.get_coordinates(arr, return_index=True)
    if len(xy) == 0:
        return arr.copy()
    lon, lat = aeqd_inverse(xy[:, 0], xy[:, 1], np.asarray(lon0)[idx], np.asarray(lat0)[idx])
    out: NDArray[np.object_] = shapely.set_coordinates(arr.copy(), np.column_stack([lon, lat]))
    return out


def _tangent_scale(lat0: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """East-west and north-south factors turning the R_MAX sphere's scale into WGS84's at ``lat0``: N/R_MAX, M/R_MAX."""
    s2 = np.sin(np.radians(np.asarray(lat0, dtype=float))) ** 2
    w = np.sqrt(1.0 - _E2 * s2)
    return (WGS84_A / w) / R_MAX, (WGS84_A * (1.0 - _E2) / w**3) / R_MAX


def to_tangent(geoms: ArrayLike, lon0: ArrayLike, lat0: ArrayLike) -> NDArray[np.object_]:
    """Project each WGS84 geometry into a frame of true scale at its own centre (lon0[i], lat0[i]).

    The spherical AEQD of :func:`to_local`, stretched east-west by ``N/R_MAX`` and north-south by
    ``M/R_MAX`` (the ellipsoid's radii of curvature at ``lat0``): at the centre, lengths in every
    direction equal those on WGS84. Away from it the scale drifts with the change of ``M`` and ``N``
    with latitude (relative error about ``1e-2 * d / R``: 2e-6 at 1 km, 2e-5 at 10 km from the centre)
    and with the AEQD's own ``(d/R)^2 / 6``. Used to *locate* a narrowest crossing, which is then
    measured geodesically; a frame error ``e`` can only make the located crossing longer than the
    true narrowest one by a factor ``(1 + e) / (1 - e)``: below 5 cm on a 1 km neck.

    >>> import numpy as np
    >>> from shapely.geometry import LineString
    >>> line = to_tangent(np.array([LineString([(70.0, 40.0), (70.001, 40.0)])], dtype=object), [70.0], [40.0])[0]
    >>> round(line.length, 2)  # pyproj.Geod: 85.39 m
    85.39
    """
    arr = np.asarray(geoms, dtype=object)
    xy, idx = shapely.get_coordinates(arr, return_index=True)
    if len(xy) == 0:
        return arr.copy()
    lat0 = np.asarray(lat0, dtype=float)
    x, y = aeqd_forward(xy[:, 0], xy[:, 1], np.asarray(lon0)[idx], lat0[idx])
    fx, fy = _tangent_scale(lat0[idx])
    out: NDArray[np.object_] = shapely.set_coordinates(arr.copy(), np.column_stack([x * fx, y * fy]))
    return out


def from_tangent(
    x: ArrayLike, y: ArrayLike, lon0: ArrayLike, lat0: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Inverse of :func:`to_tangent` for coordinates: metres in the frame at (lon0, lat0) back to (lon, lat)."""
    fx, fy = _tangent_scale(lat0)
    return aeqd_inverse(np.asarray(x, dtype=float) / fx, np.asarray(y, dtype=float) / fy, lon0, lat0)


def scale_margin(max_angle_rad: ArrayLike) -> NDArray[np.float64]:
    """Largest ratio projected length / true length within ``max_angle_rad`` of the AEQD centre.

    >>> round(float(scale_margin(0.0)), 4)
    1.0101
    """
    c = np.clip(np.asarray(max_angle_rad, dtype=float), 0.0, math.pi * 0.9)
    k = np.where(c < 1e-9, 1.0, c / np.sin(np.where(c < 1e-9, 1.0, c)))
    return (R_MAX / R_MIN) * k


def max_angle(geoms: ArrayLike, lon0: ArrayLike, lat0: ArrayLike) -> NDArray[np.float64]:
    """Angular distance (radians) from each centre to the farthest corner of the geometry's bounding box."""
    b = shapely.bounds(np.asarray(geoms, dtype=object))
    lon0 = np.asarray(lon0, dtype=float)
    lat0 = np.asarray(lat0, dtype=float)
    best = np.zeros(len(b))
    for cx, cy in ((0, 1), (0, 3), (2, 1), (2, 3)):
        lam = np.radians(b[:, cx] - lon0)
        phi = np.radians(b[:, cy])
        phi0 = np.radians(lat0)
        cos_c = np.clip(np.sin(phi0) * np.sin(phi) + np.cos(phi0) * np.cos(phi) * np.cos(lam), -1.0, 1.0)
        best = np.maximum(best, np.arccos(cos_c))
    return best
