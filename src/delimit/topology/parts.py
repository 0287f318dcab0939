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
  ``mainland``. A part that another party's land also *covers* (overlapping claims, or one island
  listed under two parties) is surrounded by nobody: it is reported as overlapped by that party
  (``overlapped_by``), never as its enclave.
* **Gap to mainland**: the shortest distance from the part to its party's mainland, measured
  geodesically on the WGS84 ellipsoid between the two nearest points, which are found in an
  azimuthal equidistant projection centred on the part.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from delimit.crs import GEOD
from delimit.polygons import boundary_chunks, chunked_boundaries, holes_of, polygon_parts
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


def _without_far_holes(poly: BaseGeometry, line: BaseGeometry, tol_m: float, min_holes: int = 16) -> BaseGeometry:
    """``poly`` with the holes farther than ``tol_m`` from ``line`` filled.

    Filling a hole ``H`` only adds land within ``tol_m`` of ``H``, which ``line`` never reaches, so
    ``line & buffer(poly, tol_m)`` is unchanged; buffering a neighbour with thousands of lakes is
    what made the shared-boundary measure slow on national land (Finland, Russia).
    """
    polys = shapely.get_parts(poly)
    if polys.size == 0 or int(shapely.get_num_interior_rings(polys).sum()) < min_holes:
        return poly
    shapely.prepare(line)
    out = []
    for p in polys:
        if shapely.get_type_id(p) != 3 or shapely.get_num_interior_rings(p) < min_holes:
            out.append(p)
            continue
        holes = holes_of(p)
        keep = shapely.dwithin(line, shapely.polygons(holes), tol_m)
        out.append(shapely.polygons(shapely.get_exterior_ring(p), holes[keep]))
    return out[0] if len(out) == 1 and shapely.get_type_id(poly) == 3 else shapely.geometrycollections(out) if any(shapely.get_type_id(o) != 3 for o in out) else shapely.multipolygons(out)


def _shared_length(ring_local: BaseGeometry, other_local: BaseGeometry, tol_m: float) -> float:
    """Length (m) of ``ring_local`` within ``tol_m`` of ``other_local`` (both in the same metric frame)."""
    if other_local.is_empty:
        return 0.0
    other_local = _without_far_holes(other_local, ring_local, tol_m)
    near = shapely.buffer(other_local, tol_m, quad_segs=2)
    return float(shapely.length(shapely.intersection(ring_local, near)))


def _cross_party_pairs(geoms: NDArray[np.object_], party: NDArray[np.object_], tol_deg: float) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Ordered pairs ``(i, j)`` of parts of different parties within ``tol_deg`` (both orders listed).

    Candidates come from an STRtree on envelopes widened by ``tol_deg``; each unordered pair is then
    tested once with ``dwithin`` on the *larger* geometry prepared, so a continent's facet index is
    built once rather than once per small neighbour (``STRtree.query(..., predicate="dwithin")``
    prepares the query geometry, which re-indexes a huge tree geometry for every small query).
    """
    n = len(geoms)
    if n == 0:
        return np.array([], dtype=np.intp), np.array([], dtype=np.intp)
    b = shapely.bounds(geoms)
    left, right = shapely.STRtree(geoms).query(shapely.box(b[:, 0] - tol_deg, b[:, 1] - tol_deg, b[:, 2] + tol_deg, b[:, 3] + tol_deg))
    keep = (left < right) & (party[left] != party[right])
    left, right = left[keep], right[keep]
    size = shapely.get_num_coordinates(geoms)
    swap = size[left] < size[right]
    big = np.where(swap, right, left)
    small = np.where(swap, left, right)
    hubs = np.unique(big)
    prepared = np.array([shapely.is_prepared(g) for g in geoms[hubs]], dtype=bool)
    shapely.prepare(geoms[hubs])
    try:
        near = shapely.dwithin(geoms[big], geoms[small], tol_deg) if len(big) else np.array([], dtype=bool)
    finally:
        shapely.destroy_prepared(geoms[hubs[~prepared]])
    big, small = big[near], small[near]
    return np.concatenate([big, small]), np.concatenate([small, big])


@dataclass(frozen=True)
class Surround:
    """Who a part's exterior boundary touches: metres shared per party, on water, on the window edge.

    ``overlaps`` names the parties whose land also covers some of the part (overlapping claims, or
    the same island listed under two parties): such a part is not surrounded by them, it is held
    twice.
    """

    perimeter_m: float
    shared_m: dict[str, float]
    water_m: float
    edge_m: float
    overlaps: tuple[str, ...] = ()


def overlapping(geoms: NDArray[np.object_], left: NDArray[np.intp], right: NDArray[np.intp], tol_deg: float) -> NDArray[np.bool_]:
    """For each pair, whether ``geoms[right]`` covers some of the interior of ``geoms[left]``.

    Two tests, each ignoring anything within ``tol_deg`` of ``right``'s boundary (digitising noise
    along a shared border): a point inside ``left`` (``point_on_surface``) lies inside ``right``
    (catches a part held whole by both, such as an island listed under two parties), or a vertex of
    ``left``'s exterior does (catches a part half covered). Point-in-polygon on prepared geometries:
    one indexed lookup per point, even for land with 100 000 lakes.
    """
    out = np.zeros(len(left), dtype=bool)
    if len(left) == 0:
        return out
    hubs = np.unique(right)
    was = np.array([shapely.is_prepared(g) for g in geoms[hubs]], dtype=bool)
    shapely.prepare(geoms[hubs])
    try:
        inner = shapely.point_on_surface(geoms)
        xy, ring_part = shapely.get_coordinates(shapely.get_exterior_ring(geoms), return_index=True)
        order = np.argsort(ring_part, kind="stable")
        starts = np.searchsorted(ring_part[order], np.arange(len(geoms)))
        ends = np.searchsorted(ring_part[order], np.arange(len(geoms)), side="right")
        counts = ends[left] - starts[left]
        pair = np.repeat(np.arange(len(left)), counts)
        vert = order[np.repeat(starts[left] - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))]
        px = np.concatenate([shapely.get_x(inner[left]), xy[vert, 0]])
        py = np.concatenate([shapely.get_y(inner[left]), xy[vert, 1]])
        pp = np.concatenate([np.arange(len(left)), pair])
        inside = shapely.contains_xy(geoms[right[pp]], px, py)
    finally:
        shapely.destroy_prepared(geoms[hubs[~was]])
    hit = np.flatnonzero(inside)
    if len(hit) == 0:
        return out
    # inside, but is it more than tol from the boundary? (exterior and holes of the covering part)
    owners = right[pp[hit]]
    covering = np.unique(owners)
    chunks, chunk_owner = boundary_chunks(geoms[covering], size=32)
    pt, ch = shapely.STRtree(chunks).query(shapely.points(px[hit], py[hit]), predicate="dwithin", distance=tol_deg)
    near = np.zeros(len(hit), dtype=bool)
    near[pt[covering[chunk_owner[ch]] == owners[pt]]] = True
    out[pp[hit[~near]]] = True
    return out


def surroundings(
    parts: PartTable,
    *,
    water: BaseGeometry | None = None,
    window: BaseGeometry | None = None,
    tol_m: float = 1.0,
) -> list[Surround]:
    """Measure, for every part, how much of its exterior ring lies on each other party's land.

    Candidates come from an STRtree (``dwithin`` in degrees with a generous tolerance); each pair is
    then measured in metres in the part's own azimuthal equidistant frame, after clipping the
    neighbour to the part's bounding box so that a continent is never buffered whole.
    """
    geoms = parts.geometry
    n = len(geoms)
    b = shapely.total_bounds(geoms) if n else np.zeros(4)
    tol_deg = _deg(tol_m * 2.0, max(abs(b[1]), abs(b[3])))
    left, right = _cross_party_pairs(geoms, parts.party, tol_deg)
    lon0, lat0 = centres(geoms)
    exteriors = shapely.get_exterior_ring(geoms)
    ext_local = to_local(exteriors, lon0, lat0)
    perims = shapely.length(ext_local)
    water_parts = np.array([], dtype=object)
    if water is not None and not water.is_empty:
        water_parts = np.asarray(shapely.get_parts(water), dtype=object)
    wtree = shapely.STRtree(water_parts) if len(water_parts) else None
    edge = shapely.boundary(window) if window is not None and not window.is_empty else None
    out: list[Surround] = []
    order = np.argsort(left, kind="stable")
    left, right = left[order], right[order]
    over = overlapping(geoms, left, right, tol_deg)
    # interiors meeting is symmetric: a test may see it from one side only (a claim poking into a
    # neighbour has its vertices inside the neighbour, not the other way round)
    key = left.astype(np.int64) * n + right
    rev = right.astype(np.int64) * n + left
    srt = np.argsort(key)
    at = np.minimum(np.searchsorted(key[srt], rev), max(len(key) - 1, 0))
    over = over | (over[srt][at] & (key[srt][at] == rev)) if len(key) else over
    starts = np.searchsorted(left, np.arange(n))
    ends = np.searchsorted(left, np.arange(n), side="right")
    for i in range(n):
        ring = ext_local[i]
        bb = shapely.bounds(geoms[i])
        pad = tol_deg * 4
        rect = (bb[0] - pad, bb[1] - pad, bb[2] + pad, bb[3] + pad)
        shared: dict[str, float] = {}
        overlaps = sorted({str(parts.party[j]) for j in right[starts[i] : ends[i]][over[starts[i] : ends[i]]]})
        for j in right[starts[i] : ends[i]]:
            clip = shapely.clip_by_rect(geoms[j], *rect)
            if clip.is_empty:
                continue
            loc = to_local(np.array([clip], dtype=object), np.array([lon0[i]]), np.array([lat0[i]]))[0]
            length = _shared_length(ring, loc, tol_m)
            if length > 0:
                p = str(parts.party[j])
                shared[p] = shared.get(p, 0.0) + length
        water_m = 0.0
        if wtree is not None:
            idx = wtree.query(geoms[i], predicate="dwithin", distance=tol_deg)
            if len(idx):
                w = shapely.clip_by_rect(shapely.union_all(water_parts[idx]), *rect)
                loc = to_local(np.array([w], dtype=object), np.array([lon0[i]]), np.array([lat0[i]]))[0]
                water_m = _shared_length(ring, loc, tol_m)
        edge_m = 0.0
        if edge is not None and shapely.dwithin(edge, geoms[i], tol_deg):
            e = shapely.clip_by_rect(edge, *rect)
            loc = to_local(np.array([e], dtype=object), np.array([lon0[i]]), np.array([lat0[i]]))[0]
            edge_m = _shared_length(ring, loc, tol_m)
        out.append(Surround(float(perims[i]), shared, water_m, edge_m, tuple(overlaps)))
    return out


def surrounded_by(s: Surround, *, surround_share: float = 0.99, touch_m: float = 10.0) -> str | None:
    """The host party if ``s`` describes a part wholly surrounded by one other party, else None.

    A party counts as touching when it shares at least ``touch_m`` metres of the exterior (so a
    tripoint or digitising noise does not make a second neighbour).

    >>> surrounded_by(Surround(1000.0, {"KGZ": 995.0}, 0.0, 0.0))
    'KGZ'
    >>> surrounded_by(Surround(1000.0, {"KGZ": 600.0, "UZB": 400.0}, 0.0, 0.0)) is None
    True
    >>> surrounded_by(Surround(1000.0, {"KGZ": 1000.0}, 0.0, 0.0, overlaps=("KGZ",))) is None  # held by both
    True
    """
    touching = {p: m for p, m in s.shared_m.items() if m >= touch_m}
    if len(touching) != 1 or s.edge_m >= touch_m or s.perimeter_m <= 0 or s.overlaps:
        return None
    (host, m), = touching.items()
    if (m + s.water_m) / s.perimeter_m >= surround_share:
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


def gaps_to_mainland(parts: Sequence[BaseGeometry], mainland: BaseGeometry) -> list[Gap]:
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
        out[i] = Gap(float(metres[k]) / 1000.0, (float(lons[k, 0]), float(lats[k, 0])), (float(lons[k, 1]), float(lats[k, 1])))
    return out  # type: ignore[return-value]


def geodesic_perimeter_km(geoms: Sequence[BaseGeometry]) -> NDArray[np.float64]:
    """Perimeter (exterior and holes) of each WGS84 polygon on the WGS84 ellipsoid, km."""
    return np.array([GEOD.geometry_length(g) / 1000.0 for g in geoms], dtype=float)


def geodesic_area_km2(geoms: Sequence[BaseGeometry]) -> NDArray[np.float64]:
    """Area of each WGS84 polygon on the WGS84 ellipsoid, km² (orientation-independent)."""
    return np.array([abs(GEOD.geometry_area_perimeter(shapely.geometry.polygon.orient(g))[0]) / 1e6 for g in geoms], dtype=float)


def projected_area_km2(geoms: Sequence[BaseGeometry], transformer: Transformer) -> NDArray[np.float64]:
    """Area of each WGS84 geometry after projecting with ``transformer`` (an equal-area CRS), km²."""
    arr = np.asarray(geoms, dtype=object)
    proj = shapely.transform(arr, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
    return shapely.area(proj) / 1e6


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
