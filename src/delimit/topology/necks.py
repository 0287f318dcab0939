"""Necks of every part of every party, in WGS84, with geodesic widths.

Pipeline (see :mod:`delimit.topology.widths` for the width method):

1. Each part is projected into a spherical azimuthal equidistant frame centred on it
   (:mod:`delimit.topology.projection`), in one vectorised pass. In that frame lengths are never
   shorter than on the ellipsoid and at most :func:`~delimit.topology.projection.scale_margin`
   longer, so opening with a disc of diameter ``w * margin * arc_factor`` finds every neck whose true
   width is below ``w``. Parts too small to hold a neck (bounding box diagonal below ``w``) are
   skipped. The opening runs on batches of parts in a thread pool (GEOS releases the GIL).
2. For each candidate, the two sides are taken back to WGS84 and re-projected into an *ellipsoidal*
   azimuthal equidistant CRS (PROJ ``aeqd``) centred on the candidate's narrowest point, where the
   scale is 1 in every direction at the centre and within ``(s/R)^2/6`` at distance ``s`` (2.5e-6
   at 25 km). The narrowest segment is found there, and its length is measured geodesically on
   WGS84 (``pyproj.Geod.inv``). Edges are straight in that frame; for edges under 1 km the
   difference from straight lon/lat edges is below 0.2 m.
3. Candidates whose geodesic width is not below ``w`` are dropped (they were only inside the
   detection margin).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from delimit.crs import GEOD, WGS84
from delimit.topology.projection import centres, max_angle, scale_margin, to_local, to_wgs84
from delimit.topology.widths import QUAD_SEGS, arc_factor, arm_cuts, bridge_pieces, narrowest_cut, open_polygons

ProgressFn = Callable[[str, float], None]


@dataclass(frozen=True)
class NeckRecord:
    """One neck of one part, in WGS84 with geodesic measures."""

    part: int
    min_width_m: float
    length_km: float
    location: tuple[float, float]
    end_a: tuple[float, float]
    end_b: tuple[float, float]
    geometry: BaseGeometry


def _local_aeqd(lon: float, lat: float) -> tuple[Transformer, Transformer]:
    crs = CRS.from_proj4(f"+proj=aeqd +lat_0={lat:.9f} +lon_0={lon:.9f} +ellps=WGS84 +units=m +no_defs +type=crs")
    return Transformer.from_crs(WGS84, crs, always_xy=True), Transformer.from_crs(crs, WGS84, always_xy=True)


def _apply(t: Transformer, geoms: list[BaseGeometry]) -> list[BaseGeometry]:
    return list(shapely.transform(np.asarray(geoms, dtype=object), lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))))


def measure_arm(sides_wgs84: list[LineString], holes_wgs84: list[LineString], i: int, j: int, guess: tuple[float, float]) -> tuple[float, tuple[float, float], tuple[float, float], tuple[float, float]]:
    """Geodesic narrowest land crossing between sides ``i`` and ``j`` (WGS84 lines).

    The crossing is located in an ellipsoidal AEQD frame centred on ``guess``, re-centred once on
    the crossing found (so the frame's scale there is 1 in every direction), and each of its
    segments is measured geodesically. Returns ``(width_m, end_a, end_b, location)``.
    """
    centre = guess
    segs_ll: list[list[tuple[float, float]]] = []
    for _ in range(2):
        fwd, inv = _local_aeqd(*centre)
        local = _apply(fwd, [sides_wgs84[i], sides_wgs84[j], *holes_wgs84])
        _, segs = narrowest_cut(local[0], local[1], local[2:])  # type: ignore[arg-type]
        segs_ll = []
        for seg in segs:
            (ax, ay), (bx, by) = seg.coords[0], seg.coords[-1]
            (alon, blon), (alat, blat) = inv.transform([ax, bx], [ay, by])
            segs_ll.append([(float(alon), float(alat)), (float(blon), float(blat))])
        longest = max(segs_ll, key=lambda s: GEOD.inv(s[0][0], s[0][1], s[1][0], s[1][1])[2])
        new_centre = ((longest[0][0] + longest[1][0]) / 2.0, (longest[0][1] + longest[1][1]) / 2.0)
        moved = abs(new_centre[0] - centre[0]) > 1e-7 or abs(new_centre[1] - centre[1]) > 1e-7
        centre = new_centre
        if not moved:
            break
    width = sum(float(GEOD.inv(s[0][0], s[0][1], s[1][0], s[1][1])[2]) for s in segs_ll)
    return width, segs_ll[0][0], segs_ll[-1][1], centre


def find_necks(
    geoms: NDArray[np.object_],
    neck_width_m: float,
    *,
    progress: ProgressFn | None = None,
    workers: int = 2,
    batch: int = 64,
) -> list[NeckRecord]:
    """Every neck narrower than ``neck_width_m`` in each WGS84 polygon of ``geoms``."""
    report = progress or (lambda _m, _f: None)
    n = len(geoms)
    if n == 0:
        return []
    lon0, lat0 = centres(geoms)
    local = to_local(geoms, lon0, lat0)
    b = shapely.bounds(local)
    diag = np.hypot(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
    margin = scale_margin(max_angle(geoms, lon0, lat0))
    radius = neck_width_m / 2.0 * margin * arc_factor(QUAD_SEGS)
    todo = np.flatnonzero(diag > neck_width_m)
    # big parts first so that the pool stays busy; batches of similar total size
    todo = todo[np.argsort(-shapely.get_num_coordinates(local[todo]), kind="stable")]
    batches: list[NDArray[np.int64]] = []
    cur: list[int] = []
    cur_size = 0
    sizes = shapely.get_num_coordinates(local)
    target = max(20_000, int(sizes[todo].sum() // max(1, 8 * workers))) if len(todo) else 1
    for k in todo:
        cur.append(int(k))
        cur_size += int(sizes[k])
        if cur_size >= target or len(cur) >= batch:
            batches.append(np.array(cur))
            cur, cur_size = [], 0
    if cur:
        batches.append(np.array(cur))

    def run(idx: NDArray[np.int64]) -> list[tuple[int, BaseGeometry, list[LineString], list[LineString]]]:
        opened, residue = open_polygons(local[idx], radius[idx], QUAD_SEGS)
        return [(int(idx[k]), piece, sides, holes) for k, piece, sides, holes in bridge_pieces(opened, residue, radius[idx])]

    candidates: list[tuple[int, BaseGeometry, list[LineString], list[LineString]]] = []
    report("opening parts", 0.0)
    if workers > 1 and len(batches) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for done, res in enumerate(pool.map(run, batches), start=1):
                candidates.extend(res)
                report("opening parts", 0.8 * done / len(batches))
    else:
        for done, idx in enumerate(batches, start=1):
            candidates.extend(run(idx))
            report("opening parts", 0.8 * done / len(batches))
    out: list[NeckRecord] = []
    for c, (k, piece, sides, holes) in enumerate(candidates):
        lines = np.asarray([*sides, *holes], dtype=object)
        ks = np.full(len(lines), k)
        lines_w = list(to_wgs84(lines, lon0[ks], lat0[ks]))
        sides_w, holes_w = lines_w[: len(sides)], lines_w[len(sides) :]
        piece_w = None
        for cut in arm_cuts(sides, holes):
            # prefilter in the local frame: projected >= true / margin
            if cut.length >= neck_width_m * margin[k] * 1.001:
                continue
            g = to_wgs84(np.array([shapely.points(*cut.location)], dtype=object), lon0[k : k + 1], lat0[k : k + 1])[0]
            width, a, bb, loc = measure_arm(sides_w, holes_w, cut.i, cut.j, (g.x, g.y))
            if width < neck_width_m:
                length = (GEOD.geometry_length(sides_w[cut.i]) + GEOD.geometry_length(sides_w[cut.j])) / 2.0 / 1000.0
                if piece_w is None:
                    piece_w = to_wgs84(np.array([piece], dtype=object), lon0[k : k + 1], lat0[k : k + 1])[0]
                out.append(NeckRecord(k, width, length, loc, a, bb, piece_w))
        if c % 16 == 0:
            report("measuring necks", 0.8 + 0.2 * (c + 1) / len(candidates))
    report("necks", 1.0)
    return out
