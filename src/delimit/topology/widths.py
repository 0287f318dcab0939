"""Narrow places ("necks") of a polygon: where it is thinner than a threshold, and how thin.

Method
------
1. **Candidates by morphological opening.** With ``r`` slightly above half the threshold ``w``, the
   opening ``O = (P (-) r) (+) r`` (erode then dilate by a disc) keeps exactly the points of ``P``
   that lie in some disc of radius ``r`` inside ``P``; every cross-section of ``P`` shorter than
   ``2r`` is removed. The residue ``P - O`` splits into connected pieces. A piece whose boundary
   meets ``O`` in two or more separate stretches joins two wide regions (or one region to itself
   around a hole): that is a *neck*. A piece meeting ``O`` once is a dead-end spur or a rounded
   convex corner; a piece meeting ``O`` nowhere is a part thinner than ``w`` everywhere. Neither is
   a neck. Buffers are polygonal (``quad_segs`` chords per quarter circle), so the disc is inflated
   by ``1 / cos(pi / (4 quad_segs))``: the chords then lie outside the true circle and no neck
   narrower than ``w`` can survive the erosion.
2. **Exact width on candidates only.** The boundary of a neck piece alternates between stretches
   on ``O`` (where it opens into wide land) and stretches of ``P``'s own boundary: its *sides*.
   Each *arm* of the piece lies between two consecutive sides (a plain corridor has one arm; a
   Y-shaped junction of three wide regions has three, and each is reported). The arm's narrowest
   width is the shortest distance between its two sides, computed exactly by GEOS on the
   polygon's own vertices (:func:`shapely.shortest_line`); when holes (lakes, pockets of another
   party) lie inside the stretch, the shortest land crossing may hop across them and only land is
   counted (:func:`narrowest_cut`). The opening only chooses
   *where* to look; its polygonal approximation never enters the width. The result is exact for
   the polygon as given (to floating point), so a 200 m corridor comes out as 200 m whatever ``w``.
3. The *length* of a neck is the mean length of the two sides that give its narrowest width,
   following their bends: for a straight strip of constant width it is the strip's length.

Guarantee and limits: a strip of width ``d < w`` between wide regions is found whenever it is
longer than ``2 (r - sqrt(r^2 - d^2/4))`` with ``r = w/2`` (discs from the wide ends cannot meet
inside it): always when it is at least ``w`` long, and e.g. a 200 m neck at ``w`` = 1 km whenever
it is more than 21 m long. Shorter, nearly-threshold-wide pinches may be missed. Dead-end fingers
and parts thinner than ``w`` everywhere are not necks (they join nothing).

>>> from shapely.geometry import box
>>> from shapely import union_all
>>> dumbbell = union_all([box(0, 0, 2000, 2000), box(2000, 900, 5000, 1100), box(5000, 0, 7000, 2000)])
>>> [round(n.min_width_m, 6) for n in part_widths(dumbbell, 1000.0)]
[200.0]
>>> round(part_widths(dumbbell, 1000.0)[0].length_m, -1)
3000.0
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from delimit.polygons import holes_of, meeting_pairs, polygon_parts, prepared, robust_difference, union_polygons

#: Chords per quarter circle in the opening's buffers.
QUAD_SEGS = 16


@dataclass(frozen=True)
class Neck:
    """One narrow place of a polygon, in the polygon's (metric) coordinates.

    Attributes
    ----------
    min_width_m: the narrowest width (shortest segment between two sides), in CRS units (metres).
    length_m: mean length of the two sides attaining it (the length of the narrow stretch).
    location: midpoint of the narrowest segment.
    end_a, end_b: its end points, one on each side.
    geometry: the narrow stretch (the piece of the polygon removed by the opening).
    sides: the two boundary stretches (LineStrings) between which the width was measured.
    """

    min_width_m: float
    length_m: float
    location: tuple[float, float]
    end_a: tuple[float, float]
    end_b: tuple[float, float]
    geometry: BaseGeometry
    sides: tuple[LineString, LineString] = field(repr=False)


def arc_factor(quad_segs: int = QUAD_SEGS) -> float:
    """Inflation making a ``quad_segs`` polygonal disc contain the true disc: 1/cos(pi/(4 quad_segs))."""
    return 1.0 / math.cos(math.pi / (4 * quad_segs))


def _eps(radius: float) -> float:
    """Overlap used to absorb floating-point noise between ``P`` and its opening (m)."""
    return max(1e-3, 1e-4 * radius)


#: Polygons with more vertices than this are opened tile by tile (:func:`open_tiled`).
TILE_VERTICES = 1_500


#: Grid (m) of the snap-rounded overlay used when a floating-point overlay fails (GEOS TopologyException).
SNAP_GRID_M = 1e-3


def _difference(a: NDArray[np.object_], b: NDArray[np.object_]) -> NDArray[np.object_]:
    """``a - b`` element-wise, snap-rounded on a :data:`SNAP_GRID_M` grid where floating point fails (:func:`delimit.polygons.robust_difference`)."""
    return robust_difference(a, b, SNAP_GRID_M)


def _opening(
    polys: NDArray[np.object_], radii: NDArray[np.float64], quad_segs: int
) -> tuple[NDArray[np.object_], NDArray[np.bool_]]:
    """Opening of each polygon grown by ``eps`` (see :func:`open_polygons`), and where the erosion left nothing."""
    eps = np.array([_eps(r) for r in radii])
    eroded = shapely.buffer(polys, -radii, quad_segs=quad_segs)
    return shapely.buffer(eroded, radii + eps, quad_segs=quad_segs), shapely.is_empty(eroded)


def _tiles(
    poly: BaseGeometry, halo: float, limit: int, min_side: float
) -> list[tuple[tuple[float, float, float, float], BaseGeometry, NDArray[np.object_]]]:
    """Quadtree leaves of ``poly``'s bounding box: ``(rect, land within rect + halo)`` pieces.

    Each leaf is ``(rect, shell, holes)``: the shell clipped to ``rect + halo`` and the holes
    (polygons) there, clipped where they cross it. Shell and holes are clipped apart because GEOS
    ``clip_by_rect`` of a polygon with many holes is quadratic (23 s to halve Russia's mainland with
    its 196 k lakes, 0.05 s for its shell alone). A leaf holds at most ``limit`` vertices unless it is
    ``min_side`` wide.
    """
    holes = shapely.polygons(holes_of(poly))
    out: list[tuple[tuple[float, float, float, float], BaseGeometry, NDArray[np.object_]]] = []

    def visit(rect: tuple[float, float, float, float], sh: BaseGeometry, hs: NDArray[np.object_]) -> None:
        x0, y0, x1, y1 = rect
        gx0, gy0, gx1, gy1 = x0 - halo, y0 - halo, x1 + halo, y1 + halo
        s = shapely.clip_by_rect(sh, gx0, gy0, gx1, gy1)
        if s.is_empty:
            return
        if len(hs):
            b = shapely.bounds(hs)
            hs = hs[(b[:, 2] >= gx0) & (b[:, 0] <= gx1) & (b[:, 3] >= gy0) & (b[:, 1] <= gy1)]
            b = shapely.bounds(hs)
            crossing = (b[:, 0] < gx0) | (b[:, 1] < gy0) | (b[:, 2] > gx1) | (b[:, 3] > gy1)
            if crossing.any():
                cut = shapely.clip_by_rect(hs[crossing], gx0, gy0, gx1, gy1)
                hs = np.concatenate([hs[~crossing], np.array([p for g in cut for p in polygon_parts(g)], dtype=object)])
        if (
            shapely.get_num_coordinates(s) + int(shapely.get_num_coordinates(hs).sum()) <= limit
            or max(x1 - x0, y1 - y0) <= min_side
        ):
            out.append((rect, s, hs))
            return
        xm, ym = (x0 + x1) / 2.0, (y0 + y1) / 2.0
        for q in ((x0, y0, xm, ym), (xm, y0, x1, ym), (x0, ym, xm, y1), (xm, ym, x1, y1)):
            visit(q, s, hs)

    b = shapely.bounds(poly)
    visit(
        (float(b[0]), float(b[1]), float(b[2]), float(b[3])), shapely.polygons(shapely.get_exterior_ring(poly)), holes
    )
    return out


def _tile_land(shell: BaseGeometry, holes: NDArray[np.object_]) -> BaseGeometry:
    """A leaf's land: its clipped shell minus its (clipped) holes."""
    if len(holes) == 0:
        return shell
    return _difference(np.array([shell], dtype=object), np.array([shapely.multipolygons(list(holes))], dtype=object))[0]


def _touches_rect(pieces: NDArray[np.object_], rect: tuple[float, float, float, float]) -> NDArray[np.bool_]:
    """Which pieces (clipped to ``rect``) reach its edges, so may continue into the next tile."""
    b: NDArray[np.float64] = shapely.bounds(pieces).reshape(-1, 4)
    tol = 1e-9 * max(1.0, abs(rect[0]), abs(rect[1]), abs(rect[2]), abs(rect[3]))
    return (
        (b[:, 0] <= rect[0] + tol)
        | (b[:, 1] <= rect[1] + tol)
        | (b[:, 2] >= rect[2] - tol)
        | (b[:, 3] >= rect[3] - tol)
    )


def open_tiled(
    poly: BaseGeometry, radius: float, quad_segs: int = QUAD_SEGS, *, limit: int | None = None, workers: int = 2
) -> tuple[BaseGeometry, BaseGeometry]:
    """Opening and residue of a big polygon, computed tile by tile (exact; threads over tiles).

    The opening at a point depends only on the polygon within ``2 r`` of it (erosion looks ``r``
    away, dilation another ``r``). So each tile (a quadtree leaf of at most ``limit`` vertices) is
    opened from the polygon clipped to the tile grown by ``2 r`` plus a margin, and only the part
    inside the tile is kept: it equals the opening of the whole polygon there. Residue pieces that
    reach a tile's edge are joined with their neighbours across it. GEOS buffers cost more per
    vertex the more vertices they take (about 100 µs per vertex at 20 000, 20 µs at 1 500), so small
    tiles are much faster: Russia's mainland (1.25 M vertices) in about a minute, where buffering
    it whole takes many minutes.
    """
    limit = TILE_VERTICES if limit is None else limit
    poly = (
        shapely.get_parts(poly)[0] if shapely.get_type_id(poly) == 6 and shapely.get_num_geometries(poly) == 1 else poly
    )
    if shapely.get_type_id(poly) != 3:
        raise TypeError(f"open_tiled takes one Polygon, got {poly.geom_type}")
    halo = 2.0 * radius * 1.01 + 4.0 * _eps(radius)
    leaves = _tiles(poly, halo, limit, 8.0 * halo)

    def run(
        leaf: tuple[tuple[float, float, float, float], BaseGeometry, NDArray[np.object_]],
    ) -> tuple[list[BaseGeometry], list[BaseGeometry], list[BaseGeometry]]:
        rect, shell, hs = leaf
        g = _tile_land(shell, hs)
        opened, empty = _opening(np.array([g], dtype=object), np.array([radius]), quad_segs)
        core = shapely.clip_by_rect(g, *rect)
        kept = shapely.Polygon() if empty[0] else shapely.clip_by_rect(opened[0], *rect)
        res = core if empty[0] else _difference(np.array([core], dtype=object), np.array([kept], dtype=object))[0]
        pieces = np.array(polygon_parts(res), dtype=object)
        edge = _touches_rect(pieces, rect) if len(pieces) else np.zeros(0, dtype=bool)
        return polygon_parts(kept), list(pieces[~edge]), list(pieces[edge])

    if workers > 1 and len(leaves) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(run, leaves))
    else:
        done = [run(leaf) for leaf in leaves]
    opened = [p for o, _, _ in done for p in o]
    whole = [p for _, w, _ in done for p in w]
    cut = np.array([p for _, _, c in done for p in c], dtype=object)
    if len(cut):
        a, b = meeting_pairs(cut)
        joined = np.zeros(len(cut), dtype=bool)
        joined[a] = joined[b] = True
        whole.extend(cut[~joined])
        whole.extend(union_polygons(cut[joined]) if joined.any() else [])
    # a polygon narrower than 2 r everywhere (a sliver, a speck left by make_valid) opens to nothing
    return (shapely.multipolygons(opened) if opened else shapely.Polygon()), (
        shapely.multipolygons(whole) if whole else shapely.Polygon()
    )


def open_polygons(
    polys: NDArray[np.object_], radii: NDArray[np.float64], quad_segs: int = QUAD_SEGS
) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    """Opening of each polygon by its radius (vectorised; GEOS releases the GIL).

    Returns ``(opened, residue)``: the opening grown by a tiny ``eps`` (so that floating-point noise
    along wide edges leaves no hairline slivers) and ``polys - opened``. Polygons of more than
    :data:`TILE_VERTICES` vertices are opened tile by tile (:func:`open_tiled`); the opening is then
    a MultiPolygon of per-tile pieces that meet along tile edges.
    """
    polys = np.asarray(polys, dtype=object)
    big = shapely.get_num_coordinates(polys) > TILE_VERTICES
    opened = np.empty(len(polys), dtype=object)
    residue = np.empty(len(polys), dtype=object)
    for i in np.flatnonzero(big):
        done = [open_tiled(p, float(radii[i]), quad_segs) for p in polygon_parts(polys[i])]
        opened[i] = shapely.multipolygons([q for o, _ in done for q in polygon_parts(o)])
        residue[i] = shapely.multipolygons([q for _, r in done for q in polygon_parts(r)])
    small = np.flatnonzero(~big)
    if len(small) == 0:
        return opened, residue
    opened[small], empty = _opening(polys[small], radii[small], quad_segs)
    residue[small[empty]] = polys[small[empty]]
    ne = small[~empty]
    if len(ne):
        residue[ne] = _difference(polys[ne], opened[ne])
    return opened, residue


#: How far beyond an edge's midpoint :func:`_across_is_land` looks (m): far above rounding at
#: continental coordinates (1e-9 m), far below any real feature.
ACROSS_M = 1e-3


def _across_is_land(
    polys: NDArray[np.object_],
    owner: NDArray[np.intp],
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    piece_left: NDArray[np.bool_],
) -> NDArray[np.bool_]:
    """Whether the land of ``polys[owner[k]]`` lies just across edge ``a[k]-b[k]`` from its piece.

    The piece lies to the left of the edge where ``piece_left`` is set; the point :data:`ACROSS_M`
    beyond the midpoint on the other side is tested against the (prepared) polygon. A residue edge
    with land across it borders the opening; one with no land across it is the polygon's own
    boundary. One indexed point-in-polygon per edge, even for land with 100 000 lakes.
    """
    d = b - a
    length = np.hypot(d[:, 0], d[:, 1])
    length[length == 0] = 1.0
    sign = np.where(piece_left, 1.0, -1.0)  # right of the edge when the piece is on its left
    nx, ny = sign * d[:, 1] / length, -sign * d[:, 0] / length
    qx = (a[:, 0] + b[:, 0]) / 2.0 + ACROSS_M * nx
    qy = (a[:, 1] + b[:, 1]) / 2.0 + ACROSS_M * ny
    with prepared(polys[np.unique(owner)]):
        return np.asarray(shapely.contains_xy(polys[owner], qx, qy), dtype=bool)


def bridge_pieces(
    opened: NDArray[np.object_],
    residue: NDArray[np.object_],
    radii: NDArray[np.float64],
    polys: NDArray[np.object_] | None = None,
) -> list[tuple[int, Polygon, list[LineString], list[LineString]]]:
    """The residue pieces that are necks, with their sides, as ``(polygon index, piece, sides)``.

    Each boundary edge of a residue piece is either an *interface* edge (on the opening: across it
    lies opened land) or a *side* edge (on the polygon's boundary: across it lies no land). Given
    the polygons ``polys``, an edge is classified by a point :data:`ACROSS_M` beyond its midpoint,
    outside the piece: in the polygon, the edge is an interface (:func:`_across_is_land`). Without
    them, by its midpoint's distance to the opening (within a tiny tolerance: interface), which also
    takes coast grazing the opening for an interface.
    Pieces with two or more interface runs (counted cyclically round each ring) are necks; the side
    runs between them are returned as LineStrings in ring order (``sides``), with the rings of
    holes that never meet the opening (``holes``: lakes or pockets inside the stretch). Vectorised
    over all pieces of all polygons.
    """
    comps, owner = shapely.get_parts(residue, return_index=True)
    if len(comps) == 0:
        return []
    keep = shapely.get_type_id(comps) == 3
    keep &= ~shapely.is_empty(opened[owner])
    comps, owner = comps[keep], owner[keep]
    if len(comps) == 0:
        return []
    rings, ring_comp = shapely.get_rings(comps, return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    # edges: consecutive vertices of the same ring (rings are closed, so n-1 edges per ring)
    same = ring_of[1:] == ring_of[:-1]
    e0 = np.flatnonzero(same)
    mids = (xy[e0] + xy[e0 + 1]) / 2.0
    edge_ring = ring_of[e0]
    edge_owner = owner[ring_comp[edge_ring]]
    first_ring = np.searchsorted(ring_comp, np.arange(len(comps) + 1))  # rings of a piece are consecutive
    if polys is not None:
        is_hole = np.ones(len(rings), dtype=bool)
        is_hole[first_ring[:-1]] = False  # each piece's first ring is its shell
        left = shapely.is_ccw(rings) != is_hole  # the piece lies to the left of the ring's direction
        on_open = _across_is_land(np.asarray(polys, dtype=object), edge_owner, xy[e0], xy[e0 + 1], left[edge_ring])
    else:  # the plain method (slow on national land: a prepared dwithin walks every lake)
        tol = np.array([_eps(r) for r in radii])[edge_owner] * 0.5
        shapely.prepare(opened)
        on_open = np.asarray(shapely.dwithin(opened[edge_owner], shapely.points(mids), tol), dtype=bool)
    # count cyclic runs of interface edges per ring: a run starts where on_open and the previous
    # edge of the same ring (cyclically) is not
    n_edges = np.bincount(edge_ring, minlength=len(rings))
    start = np.concatenate([[0], np.cumsum(n_edges)[:-1]])
    prev = np.arange(len(e0)) - 1
    first = start[edge_ring] == np.arange(len(e0))
    prev[first] = (start + n_edges - 1)[edge_ring[first]]
    run_start = on_open & ~on_open[prev]
    all_open = np.bincount(edge_ring, weights=on_open, minlength=len(rings)) == n_edges
    runs_ring = np.bincount(edge_ring, weights=run_start, minlength=len(rings)) + (all_open & (n_edges > 0))
    runs_comp = np.bincount(ring_comp, weights=runs_ring, minlength=len(comps))
    out: list[tuple[int, Polygon, list[LineString], list[LineString]]] = []
    for c in np.flatnonzero(runs_comp >= 2):
        sides: list[LineString] = []
        holes: list[LineString] = []
        for r in range(int(first_ring[c]), int(first_ring[c + 1])):
            lo, n = int(start[r]), int(n_edges[r])
            if n == 0:
                continue
            flags = on_open[lo : lo + n]
            pts = xy[e0[lo : lo + n]]
            pts = np.vstack([pts, xy[e0[lo + n - 1] + 1]])
            if not flags.any():
                (holes if r != first_ring[c] else sides).append(LineString(pts))
                continue
            # rotate so that the ring starts at an interface edge, then split into side runs
            k = int(np.flatnonzero(flags)[0])
            order = np.r_[k:n, 0:k]
            f = flags[order]
            verts = np.vstack([pts[:-1][order], pts[:-1][order][:1]])
            i = 0
            while i < n:
                if f[i]:
                    i += 1
                    continue
                j = i
                while j < n and not f[j]:
                    j += 1
                sides.append(LineString(verts[i : j + 1]))
                i = j
        if len(sides) >= 2:
            out.append((int(owner[c]), comps[c], sides, holes))
    return out


@dataclass(frozen=True)
class Cut:
    """The shortest way across land from one side to another: total length and its segments.

    A cut is one straight segment, or several when it is shorter to hop across holes (lakes,
    other parties' pockets) lying inside the narrow stretch: only land is counted.
    """

    length: float
    segments: tuple[LineString, ...]
    i: int
    j: int

    @property
    def end_a(self) -> tuple[float, float]:
        return tuple(self.segments[0].coords[0])

    @property
    def end_b(self) -> tuple[float, float]:
        return tuple(self.segments[-1].coords[-1])

    @property
    def location(self) -> tuple[float, float]:
        """Midpoint of the longest segment of the cut."""
        seg = max(self.segments, key=lambda s: s.length)
        (ax, ay), (bx, by) = seg.coords[0], seg.coords[-1]
        return ((ax + bx) / 2.0, (ay + by) / 2.0)


def narrowest_cut(a: LineString, b: LineString, holes: Sequence[LineString] = ()) -> tuple[float, list[LineString]]:
    """Shortest land crossing from side ``a`` to side ``b``, possibly hopping across ``holes``.

    Shortest path over nodes ``a``, holes, ``b`` with edge weights the exact GEOS distances
    (Dijkstra on a graph of ``2 + len(holes)`` nodes). Returns ``(length, segments)``.

    >>> from shapely.geometry import LineString
    >>> round(narrowest_cut(LineString([(0, 0), (10, 0)]), LineString([(0, 5), (10, 5)]))[0], 6)
    5.0
    """
    nodes = [a, *holes, b]
    k = len(nodes)
    dist = np.full(k, np.inf)
    prev = np.full(k, -1)
    dist[0] = 0.0
    done = np.zeros(k, dtype=bool)
    for _ in range(k):
        u = int(np.argmin(np.where(done, np.inf, dist)))
        if not np.isfinite(dist[u]) or u == k - 1:
            break
        done[u] = True
        for v in range(k):
            if not done[v] and v != u:
                d = dist[u] + float(shapely.distance(nodes[u], nodes[v]))
                if d < dist[v]:
                    dist[v], prev[v] = d, u
    path = [k - 1]
    while path[-1] != 0:
        path.append(int(prev[path[-1]]))
    path.reverse()
    # one straight segment per hop; moving along a hole's shore between hops crosses no land
    segments = [shapely.shortest_line(nodes[u], nodes[v]) for u, v in itertools.pairwise(path)]
    return float(dist[k - 1]), segments


def arm_cuts(sides: Sequence[LineString], holes: Sequence[LineString] = ()) -> list[Cut]:
    """The narrowest cut of each arm of a neck piece.

    ``sides`` are the boundary stretches of the piece in ring order, between its interfaces with
    wide land; an *arm* is flanked by two consecutive sides (a piece joining two wide regions has
    one arm, a Y-shaped junction of three has three). Each arm's width is the shortest land
    crossing between its two sides (:func:`narrowest_cut`).
    """
    return [arm_cuts_one(sides, holes, i, j) for i, j in arm_pairs(len(sides))]


def arm_pairs(n_sides: int) -> list[tuple[int, int]]:
    """The arms of a neck piece with ``n_sides`` sides, as pairs of side indices (see :func:`arm_cuts`).

    >>> arm_pairs(2), arm_pairs(3)
    ([(0, 1)], [(0, 1), (1, 2), (2, 0)])
    """
    return [(0, 1)] if n_sides == 2 else [(i, (i + 1) % n_sides) for i in range(n_sides)]


def arm_cuts_one(sides: Sequence[LineString], holes: Sequence[LineString], i: int, j: int) -> Cut:
    """The narrowest cut of the arm between sides ``i`` and ``j`` (see :func:`arm_cuts`)."""
    length, segs = narrowest_cut(sides[i], sides[j], holes)
    return Cut(length, tuple(segs), i, j)


def narrowest(sides: Sequence[LineString]) -> tuple[float, LineString, int, int]:
    """Shortest segment between two different sides: ``(length, segment, i, j)`` (exact, GEOS)."""
    best: tuple[float, LineString, int, int] | None = None
    for i in range(len(sides)):
        for j in range(i + 1, len(sides)):
            d = float(shapely.distance(sides[i], sides[j]))
            if best is None or d < best[0]:
                best = (d, shapely.shortest_line(sides[i], sides[j]), i, j)
    assert best is not None
    return best


def _neck_from(piece: Polygon, sides: list[LineString], cut: Cut) -> Neck:
    return Neck(
        min_width_m=cut.length,
        length_m=(sides[cut.i].length + sides[cut.j].length) / 2.0,
        location=cut.location,
        end_a=cut.end_a,
        end_b=cut.end_b,
        geometry=piece,
        sides=(sides[cut.i], sides[cut.j]),
    )


def part_widths(polygon: BaseGeometry, threshold_m: float, *, quad_segs: int = QUAD_SEGS) -> list[Neck]:
    """Every neck of ``polygon`` narrower than ``threshold_m``, narrowest first.

    ``polygon`` is a (Multi)Polygon in a metric CRS (metres); widths are planar in that CRS. See the
    module docstring for the method: candidates by opening with a disc of diameter
    ``threshold_m * arc_factor(quad_segs)``, then the exact shortest distance between the two
    sides of each candidate. Candidates whose exact width is not below the threshold are dropped.

    >>> from shapely.geometry import box
    >>> part_widths(box(0, 0, 5000, 5000), 1000.0)
    []
    """
    if threshold_m <= 0 or not math.isfinite(threshold_m):
        raise ValueError(f"threshold_m must be a positive number of metres, got {threshold_m!r}")
    polys = np.array(
        [p for p in shapely.get_parts(polygon) if p.geom_type == "Polygon" and not p.is_empty], dtype=object
    )
    if len(polys) == 0:
        return []
    radii = np.full(len(polys), threshold_m / 2.0 * arc_factor(quad_segs))
    opened, residue = open_polygons(polys, radii, quad_segs)
    necks = [
        _neck_from(piece, sides, cut)
        for _, piece, sides, holes in bridge_pieces(opened, residue, radii, polys)
        for cut in arm_cuts(sides, holes)
    ]
    return sorted((n for n in necks if n.min_width_m < threshold_m), key=lambda n: n.min_width_m)


def point(xy: tuple[float, float]) -> Point:
    return Point(xy)
