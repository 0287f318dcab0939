"""Line of sight between pillars over a DEM, with earth curvature and atmospheric refraction.

Demarcation teams set out a line by sighting from one pillar to the next, so each pair of
consecutive pillars should be intervisible. For a pair A, B at geodesic distance D, the terrain is
sampled along the geodesic every ``step_m``; at distance x from A the sight ray (a straight chord
from the observer's eye at A to the target at B) clears the ground if

    z_A + (z_B - z_A) x / D  >  h(x) + x (D - x) / (2 R')

where z_A = ground(A) + pillar height + observer height, z_B = ground(B) + pillar height + target
height, h(x) the DEM terrain height and the last term the "earth bulge" of the chord over the
curved surface. R' = R / (1 - k) is the effective Earth radius: R the mean radius (6 371 008.8 m),
k = 0.13 the standard coefficient of terrestrial refraction (Gauss's value for daytime conditions;
light bends down over the curve, so refraction *reduces* the bulge by about 13 %).

The result per pair is the smallest clearance (metres; negative = blocked) and where it occurs:
the highest obstruction, which is where an extra pillar would restore sight in both directions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from delimit.model.raster import Raster
from delimit.treaty.geodesy import EARTH_RADIUS_M, forward, inverse
from delimit.treaty.terrain import sample_lonlat

#: Standard coefficient of terrestrial refraction.
REFRACTION_K = 0.13


@dataclass(frozen=True)
class SightResult:
    """Per pair arrays: ``visible`` (1 clear, 0 blocked, -1 unknown: DEM missing), ``clearance_m``
    (smallest margin of the ray over terrain + bulge), ``obstruction_x_m`` (distance from A of the
    worst point), ``obstruction_lon/lat``, ``obstruction_elevation_m`` (terrain there), ``distance_m``."""

    visible: np.ndarray
    clearance_m: np.ndarray
    obstruction_x_m: np.ndarray
    obstruction_lon: np.ndarray
    obstruction_lat: np.ndarray
    obstruction_elevation_m: np.ndarray
    distance_m: np.ndarray


def earth_bulge(
    x: np.ndarray, d: np.ndarray, *, k: float = REFRACTION_K, radius_m: float = EARTH_RADIUS_M
) -> np.ndarray:
    """Height (m) of the curved surface above the chord at distance ``x`` of ``d`` (refraction ``k``).

    >>> round(float(earth_bulge(np.array([5000.0]), np.array([10000.0]))[0]), 3)
    1.707
    """
    r_eff = radius_m / (1.0 - k)
    bulge: np.ndarray = np.asarray(x) * (np.asarray(d) - np.asarray(x)) / (2.0 * r_eff)
    return bulge


def check_sight(
    lon1: np.ndarray,
    lat1: np.ndarray,
    eye1_m: np.ndarray,
    lon2: np.ndarray,
    lat2: np.ndarray,
    eye2_m: np.ndarray,
    elevation: Raster | None,
    *,
    step_m: float = 100.0,
    k: float = REFRACTION_K,
    radius_m: float = EARTH_RADIUS_M,
    max_samples: int = 2000,
) -> SightResult:
    """Intervisibility of pairs of points over ``elevation`` (vectorised over pairs).

    ``eye1_m``/``eye2_m`` are the heights above ground of the observer's eye at point 1 and of the
    target at point 2 (metres). Ground heights come from the DEM at the points themselves.

    >>> from affine import Affine
    >>> from pyproj import CRS
    >>> flat = Raster(np.zeros((10, 10)), Affine(0.01, 0, 70, 0, -0.01, 40.1), CRS.from_epsg(4326))
    >>> r = check_sight(np.array([70.01]), np.array([40.05]), np.array([2.5]), np.array([70.08]), np.array([40.05]), np.array([2.5]), flat)
    >>> int(r.visible[0]), round(float(r.clearance_m[0]), 2)
    (1, 1.89)
    """
    lon1, lat1, lon2, lat2 = (np.asarray(a, dtype=float) for a in (lon1, lat1, lon2, lat2))
    n = len(lon1)
    fwd_az, _, dist = inverse(lon1, lat1, lon2, lat2)
    counts = np.clip(np.ceil(dist / step_m).astype(int) + 1, 3, max_samples)
    pair = np.repeat(np.arange(n), counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if n else np.zeros(0, dtype=int)
    kk = np.arange(int(counts.sum())) - np.repeat(starts, counts)
    frac = kk / np.repeat(counts - 1, counts)
    x = frac * dist[pair]
    slon, slat = forward(lon1[pair], lat1[pair], fwd_az[pair], x)
    terrain = sample_lonlat(elevation, slon, slat)
    g1 = sample_lonlat(elevation, lon1, lat1)
    g2 = sample_lonlat(elevation, lon2, lat2)
    z1 = g1 + np.asarray(eye1_m, dtype=float)
    z2 = g2 + np.asarray(eye2_m, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ray = z1[pair] + (z2[pair] - z1[pair]) * frac
    margin = ray - (terrain + earth_bulge(x, dist[pair], k=k, radius_m=radius_m))
    interior = (frac > 0) & (frac < 1)
    margin_i = np.where(interior, margin, np.inf)
    unknown = np.zeros(n, dtype=bool)
    np.logical_or.at(unknown, pair, ~np.isfinite(terrain))
    unknown |= ~np.isfinite(z1) | ~np.isfinite(z2)
    margin_i = np.where(np.isnan(margin_i), np.inf, margin_i)
    order = np.lexsort((margin_i, pair))
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int) if n else np.zeros(0, dtype=int)
    worst = order[first]
    clearance = margin_i[worst]
    visible = np.where(unknown, -1, np.where(clearance > 0, 1, 0))
    return SightResult(
        visible=visible.astype(int),
        clearance_m=np.where(unknown, np.nan, clearance),
        obstruction_x_m=x[worst],
        obstruction_lon=slon[worst],
        obstruction_lat=slat[worst],
        obstruction_elevation_m=terrain[worst],
        distance_m=dist,
    )
