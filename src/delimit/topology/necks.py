"""Necks of every part of every party, in WGS84, with geodesic widths.

Pipeline (see :mod:`delimit.topology.widths` for the width method):

1. Each part is projected into a spherical azimuthal equidistant frame centred on it
   (:mod:`delimit.topology.projection`), in one vectorised pass. In that frame lengths are never
   shorter than on the ellipsoid and at most :func:`~delimit.topology.projection.scale_margin`
   longer, so opening with a disc of diameter ``w * margin * arc_factor`` finds every neck whose true
   width is below ``w``. Parts too small to hold a neck (bounding box diagonal below ``w``) are
   skipped. The opening runs on batches of parts in a thread pool (GEOS releases the GIL).
2. For each candidate arm (all at once, vectorised), the two sides are taken back to WGS84 and
   projected into a frame of true scale at the arm's narrowest point
   (:func:`~delimit.topology.projection.to_tangent`: relative scale error 2e-6 at 1 km from the
   centre), the narrowest crossing is located there, the frame is re-centred once on the crossing
   found, and the crossing is measured geodesically on WGS84 (``pyproj.Geod.inv``). A frame error
   ``e`` can only make the located crossing longer than the true narrowest one by ``(1+e)/(1-e)``:
   below 5 cm on a 1 km neck. Edges are straight in that frame; for edges under 1 km the difference
   from straight lon/lat edges is below 0.2 m.
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
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from delimit.crs import GEOD
from delimit.topology.projection import (
    aeqd_inverse,
    centres,
    from_tangent,
    max_angle,
    scale_margin,
    to_local,
    to_tangent,
    to_wgs84,
)
from delimit.topology.widths import (
    QUAD_SEGS,
    arc_factor,
    arm_cuts_one,
    arm_pairs,
    bridge_pieces,
    narrowest_cut,
    open_polygons,
)
from delimit.validity import is_valid

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


def _ends(lines: NDArray[np.object_]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """First and last coordinates of each 2-point LineString (as from ``shapely.shortest_line``)."""
    xy = shapely.get_coordinates(lines).reshape(len(lines), 2, 2)
    return xy[:, 0], xy[:, 1]


def locate_crossings(
    a_wgs84: NDArray[np.object_], b_wgs84: NDArray[np.object_], guess: tuple[NDArray[np.float64], NDArray[np.float64]]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Geodesic narrowest straight crossing between lines ``a[k]`` and ``b[k]`` (WGS84), for all ``k`` at once.

    Each pair is projected into a true-scale frame centred on ``guess[k]``
    (:func:`~delimit.topology.projection.to_tangent`), the shortest segment is found there (GEOS),
    the frame is re-centred on its midpoint and the segment found again; its ends are measured on
    WGS84 with ``pyproj.Geod``. Returns ``(width_m, end_a, end_b)`` with ends as ``(n, 2)`` lon/lat.
    """
    lon0, lat0 = np.asarray(guess[0], dtype=float), np.asarray(guess[1], dtype=float)
    n = len(a_wgs84)
    ea = eb = np.zeros((n, 2))
    for _ in range(2):
        la = to_tangent(a_wgs84, lon0, lat0)
        lb = to_tangent(b_wgs84, lon0, lat0)
        pa, pb = _ends(np.asarray(shapely.shortest_line(la, lb), dtype=object))
        alon, alat = from_tangent(pa[:, 0], pa[:, 1], lon0, lat0)
        blon, blat = from_tangent(pb[:, 0], pb[:, 1], lon0, lat0)
        ea, eb = np.column_stack([alon, alat]), np.column_stack([blon, blat])
        mid = from_tangent((pa[:, 0] + pb[:, 0]) / 2.0, (pa[:, 1] + pb[:, 1]) / 2.0, lon0, lat0)
        lon0, lat0 = mid
    _, _, width = GEOD.inv(ea[:, 0], ea[:, 1], eb[:, 0], eb[:, 1])
    return np.asarray(width, dtype=float), ea, eb


def measure_arm(
    sides_wgs84: list[LineString], holes_wgs84: list[LineString], i: int, j: int, guess: tuple[float, float]
) -> tuple[float, tuple[float, float], tuple[float, float], tuple[float, float]]:
    """Geodesic narrowest land crossing between sides ``i`` and ``j`` (WGS84 lines), hopping across holes.

    For arms with holes in their stretch (:func:`~delimit.topology.widths.narrowest_cut`); arms
    without go through :func:`locate_crossings` in bulk. The crossing is located in a true-scale
    frame centred on ``guess``, re-centred once on the crossing found, and each of its segments is
    measured geodesically. Returns ``(width_m, end_a, end_b, location)``.
    """
    centre = guess
    segs_ll: list[list[tuple[float, float]]] = []
    for _ in range(2):
        lon0, lat0 = np.array([centre[0]]), np.array([centre[1]])
        lines = np.asarray([sides_wgs84[i], sides_wgs84[j], *holes_wgs84], dtype=object)
        local = to_tangent(lines, np.repeat(lon0, len(lines)), np.repeat(lat0, len(lines)))
        _, segs = narrowest_cut(local[0], local[1], list(local[2:]))
        xy = np.array([c for seg in segs for c in (seg.coords[0], seg.coords[-1])])
        lon, lat = from_tangent(xy[:, 0], xy[:, 1], np.repeat(lon0, len(xy)), np.repeat(lat0, len(xy)))
        segs_ll = [
            [(float(lon[2 * q]), float(lat[2 * q])), (float(lon[2 * q + 1]), float(lat[2 * q + 1]))]
            for q in range(len(segs))
        ]
        longest = max(segs_ll, key=lambda s: GEOD.inv(s[0][0], s[0][1], s[1][0], s[1][1])[2])
        new_centre = ((longest[0][0] + longest[1][0]) / 2.0, (longest[0][1] + longest[1][1]) / 2.0)
        moved = abs(new_centre[0] - centre[0]) > 1e-7 or abs(new_centre[1] - centre[1]) > 1e-7
        centre = new_centre
        if not moved:
            break
    width = sum(float(GEOD.inv(s[0][0], s[0][1], s[1][0], s[1][1])[2]) for s in segs_ll)
    return width, segs_ll[0][0], segs_ll[-1][1], centre


def line_lengths_m(lines: NDArray[np.object_]) -> NDArray[np.float64]:
    """Geodesic length (m) of each WGS84 LineString, vectorised over all of them."""
    xy, idx = shapely.get_coordinates(np.asarray(lines, dtype=object), return_index=True)
    out = np.zeros(len(lines))
    if len(xy) < 2:
        return out
    same = idx[1:] == idx[:-1]
    _, _, d = GEOD.inv(xy[:-1, 0][same], xy[:-1, 1][same], xy[1:, 0][same], xy[1:, 1][same])
    np.add.at(out, idx[1:][same], d)
    return out


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
    # projecting bends edges, so rings that touch in lon/lat may cross by a hair in the frame (seen on
    # one of the world's 80 000 coastlines): those few are made valid again (sub-millimetre change)
    bad = np.flatnonzero(~is_valid(local, workers=workers))
    if len(bad):
        local[bad] = shapely.make_valid(local[bad], method="structure")
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
        return [
            (int(idx[k]), piece, sides, holes)
            for k, piece, sides, holes in bridge_pieces(opened, residue, radius[idx], local[idx])
        ]

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
    report("measuring necks", 0.8)
    out = _measure(candidates, lon0, lat0, margin, neck_width_m)
    report("necks", 1.0)
    return out


def _measure(
    candidates: list[tuple[int, BaseGeometry, list[LineString], list[LineString]]],
    lon0: NDArray[np.float64],
    lat0: NDArray[np.float64],
    margin: NDArray[np.float64],
    neck_width_m: float,
) -> list[NeckRecord]:
    """Geodesic width, ends and length of every arm of every candidate, vectorised over all arms.

    Arms are first measured in their part's frame (never shorter than true, at most ``margin``
    longer) and dropped when even that bound says they are not below ``neck_width_m``. The rest are
    located and measured geodesically: arms with holes in their stretch one by one
    (:func:`measure_arm`), the others in bulk (:func:`locate_crossings`).
    """
    arm_c: list[int] = []
    arm_i: list[int] = []
    arm_j: list[int] = []
    for c, (_, _, sides, _) in enumerate(candidates):
        for i, j in arm_pairs(len(sides)):
            arm_c.append(c)
            arm_i.append(i)
            arm_j.append(j)
    if not arm_c:
        return []
    ac, ai, aj = np.array(arm_c), np.array(arm_i), np.array(arm_j)
    part = np.array([candidates[c][0] for c in arm_c])
    side_a = np.array([candidates[c][2][i] for c, i in zip(arm_c, arm_i, strict=True)], dtype=object)
    side_b = np.array([candidates[c][2][j] for c, j in zip(arm_c, arm_j, strict=True)], dtype=object)
    has_holes = np.array([len(candidates[c][3]) > 0 for c in arm_c], dtype=bool)
    local_w = np.asarray(shapely.distance(side_a, side_b), dtype=float)
    pa, pb = _ends(np.asarray(shapely.shortest_line(side_a, side_b), dtype=object))
    local_xy = (pa + pb) / 2.0
    for k in np.flatnonzero(has_holes):
        cut = arm_cuts_one(candidates[ac[k]][2], candidates[ac[k]][3], int(ai[k]), int(aj[k]))
        local_w[k], local_xy[k] = cut.length, cut.location
    # prefilter in the part's frame: projected >= true / margin
    keep = np.flatnonzero(local_w < neck_width_m * margin[part] * 1.001)
    if len(keep) == 0:
        return []
    glon, glat = aeqd_inverse(local_xy[keep, 0], local_xy[keep, 1], lon0[part[keep]], lat0[part[keep]])
    wa = to_wgs84(side_a[keep], lon0[part[keep]], lat0[part[keep]])
    wb = to_wgs84(side_b[keep], lon0[part[keep]], lat0[part[keep]])
    width = np.zeros(len(keep))
    end_a = np.zeros((len(keep), 2))
    end_b = np.zeros((len(keep), 2))
    loc = np.zeros((len(keep), 2))
    plain = np.flatnonzero(~has_holes[keep])
    if len(plain):
        width[plain], end_a[plain], end_b[plain] = locate_crossings(wa[plain], wb[plain], (glon[plain], glat[plain]))
        loc[plain] = (end_a[plain] + end_b[plain]) / 2.0
    for q in np.flatnonzero(has_holes[keep]):
        k = keep[q]
        c = int(ac[k])
        holes = np.asarray(candidates[c][3], dtype=object)
        holes_w = list(to_wgs84(holes, np.repeat(lon0[part[k]], len(holes)), np.repeat(lat0[part[k]], len(holes))))
        width[q], end_a[q], end_b[q], loc[q] = measure_arm(
            [wa[q], wb[q]], holes_w, 0, 1, (float(glon[q]), float(glat[q]))
        )
    below = np.flatnonzero(width < neck_width_m)
    if len(below) == 0:
        return []
    sel = keep[below]
    length_km = (line_lengths_m(wa[below]) + line_lengths_m(wb[below])) / 2.0 / 1000.0
    cands = np.unique(ac[sel])
    pieces_local = np.array([candidates[c][1] for c in cands], dtype=object)
    cpart = np.array([candidates[c][0] for c in cands])
    pieces = dict(zip(cands.tolist(), to_wgs84(pieces_local, lon0[cpart], lat0[cpart]), strict=True))
    return [
        NeckRecord(
            int(part[k]),
            float(width[q]),
            float(length_km[m]),
            (float(loc[q, 0]), float(loc[q, 1])),
            (float(end_a[q, 0]), float(end_a[q, 1])),
            (float(end_b[q, 0]), float(end_b[q, 1])),
            pieces[int(ac[k])],
        )
        for m, (q, k) in enumerate(zip(below, sel, strict=True))
    ]
