"""Split a zone into parcels: hexagonal or square grid cells, Voronoi cells or user parcels.

A *cell* is a polygon of the chosen tiling; a *parcel* is the piece of a cell held by one party
(a cell the current line crosses gives one parcel per side, and a cell cut into separate pieces
gives one parcel per piece). Each parcel carries its area (km^2, equal-area CRS), population (sum of
the settlements inside), settlements, road ids and lengths, river length, and its current holder.

Grid cells are laid out in the equal-area CRS of the zone with vertices computed from one lattice,
so neighbouring cells share vertices exactly; they are then taken to WGS84 and cut against the
territory there (so parcels are exact pieces of the stored territory).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from delimit.crs import WGS84, equal_area_crs, metric_crs
from delimit.errors import InputError
from delimit.model.population import population_value
from delimit.model.scenario import Scenario
from delimit.polygons import robust_difference, robust_intersection, robust_union
from delimit.propose.graph import ParcelGraph, build_graph
from delimit.propose.zone import parse_length_m

ProgressFn = Callable[[str, float], None]

#: Grid (degrees) cell vertices are snapped to.
CELL_GRID_DEG = 1e-9

#: Refuse grids with more cells than this (memory and time guard).
MAX_CELLS = 400_000

#: Default limit on the parcels one run may cut (the CLI reads ``DELIMIT_MAX_PARCELS``). band:2km with
#: hex:500m along the whole KGZ-TJK line cuts 13,068 parcels (estimated 11,962); this leaves a margin
#: of about 8x while refusing, before any work, grids that would take gigabytes (hex:1m over that zone:
#: about 2.1 billion parcels).
DEFAULT_MAX_PARCELS = 100_000


def cell_area_m2(kind: str, size_m: float) -> float:
    """Area (m²) of one grid cell: a square of side ``size_m`` or a hexagon ``size_m`` across flats."""
    return size_m * size_m if kind == "square" else math.sqrt(3.0) / 2.0 * size_m * size_m


def estimate_parcels(zone: BaseGeometry, kind: str, size_m: float) -> tuple[int, float]:
    """(Estimated parcels, zone area km²) of a ``kind`` grid of ``size_m`` over ``zone`` (WGS84), without building it.

    Parcels ≈ zone area / cell area (:func:`cell_area_m2`) + zone perimeter / ``size_m`` (cells along
    the zone's edge and along the line are cut into more pieces). Areas and lengths in the zone's
    equal-area CRS. A guard, within a factor 2 of the parcels cut: 11,962 for band:2km and hex:500m
    along the whole KGZ-TJK line (13,068 parcels), 840 for hex:500m over a 10 x 15 km box around
    Vorukh (905 parcels).
    """
    crs = equal_area_crs(zone)
    g = gpd.GeoSeries([zone], crs=WGS84).to_crs(crs).iloc[0]
    count = g.area / cell_area_m2(kind, size_m) + g.length / size_m
    return math.ceil(count), float(g.area) / 1e6


def check_parcel_count(
    estimate: int, limit: int, *, what: str, field: str = "units", env: str = "DELIMIT_MAX_PARCELS"
) -> None:
    """Refuse (InputError naming ``field``) work of ``estimate`` parcels above ``limit``."""
    if estimate > limit:
        raise InputError(
            None,
            f"{what} makes about {estimate:,} parcels, above the limit of {limit:,} (use larger units or a smaller zone, or raise {env})",
            field=field,
        )


def parse_units(text: str) -> tuple[str, float]:
    """``'hex:500m'`` -> ('hex', 500.0); ``'square:1km'``; ``'voronoi'`` -> ('voronoi', 0)."""
    m = re.match(r"^\s*(hex|square|voronoi)\s*(?::\s*(.+))?$", str(text), re.IGNORECASE)
    if not m:
        raise InputError(
            None, f"cannot read units {text!r} (hex:SIZE, square:SIZE, voronoi or a parcel file)", field="units"
        )
    kind = m.group(1).lower()
    if kind == "voronoi":
        return kind, 0.0
    if not m.group(2):
        raise InputError(None, f"units {text!r} need a size, e.g. {kind}:500m", field="units")
    return kind, parse_length_m(m.group(2), field="units")


def grid_cells(zone: BaseGeometry, kind: str, size_m: float) -> np.ndarray:
    """Cells (WGS84 polygons) of a hexagonal or square grid covering ``zone``.

    ``size_m`` is the distance between neighbouring cell centres (a square's side; a hexagon's
    width across flats), in the zone's equal-area CRS. Only cells within reach of the zone are built.
    """
    crs = equal_area_crs(zone)
    fwd = Transformer.from_crs(WGS84, crs, always_xy=True)
    inv = Transformer.from_crs(crs, WGS84, always_xy=True)
    zone_m = shapely.transform(zone, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))
    minx, miny, maxx, maxy = zone_m.bounds
    # lattice positions over the bounding box, counted before any array is allocated
    step_y = size_m if kind == "square" else 1.5 * size_m / math.sqrt(3.0)
    if ((maxx - minx) / size_m + 5) * ((maxy - miny) / step_y + 5) > 50 * MAX_CELLS:
        raise InputError(
            None, f"{kind}:{size_m:g}m over this zone needs too many cells; use larger cells", field="units"
        )
    if kind == "square":
        dx = dy = size_m
        i0, i1 = math.floor(minx / dx) - 1, math.ceil(maxx / dx) + 1
        j0, j1 = math.floor(miny / dy) - 1, math.ceil(maxy / dy) + 1
        gi, gj = np.meshgrid(np.arange(i0, i1), np.arange(j0, j1), indexing="ij")
        ii, jj = gi.ravel(), gj.ravel()
        cx, cy = (ii + 0.5) * dx, (jj + 0.5) * dy
        radius = size_m * math.sqrt(0.5)
        offs = [(0, 0), (1, 0), (1, 1), (0, 1)]

        def corners(i: np.ndarray, j: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
            return [((i + a) * dx, (j + b) * dy) for a, b in offs]
    elif kind == "hex":
        # pointy-top hexagons; centres on a lattice with column spacing w, row spacing 1.5 r
        r = size_m / math.sqrt(3.0)
        w = size_m
        i0, i1 = math.floor(minx / w) - 2, math.ceil(maxx / w) + 2
        j0, j1 = math.floor(miny / (1.5 * r)) - 2, math.ceil(maxy / (1.5 * r)) + 2
        gi, gj = np.meshgrid(np.arange(i0, i1), np.arange(j0, j1), indexing="ij")
        ii, jj = gi.ravel(), gj.ravel()
        cx = ii * w + (jj % 2) * (w / 2.0)
        cy = jj * 1.5 * r
        radius = r
        # vertices on a lattice of half-widths (x) and half-radii (y), so shared vertices are identical
        hx = [0, 1, 1, 0, -1, -1]
        hy = [2, 1, -1, -2, -1, 1]

        def corners(i: np.ndarray, j: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
            base_x = 2 * i + (j % 2)  # in half-widths
            base_y = 3 * j  # in half-radii
            return [((base_x + a) * (w / 2.0), (base_y + b) * (r / 2.0)) for a, b in zip(hx, hy, strict=True)]
    else:  # pragma: no cover - guarded by parse_units
        raise InputError(None, f"unknown grid {kind!r}", field="units")
    if len(ii) > 50 * MAX_CELLS:
        raise InputError(
            None, f"{kind}:{size_m:g}m over this zone needs too many cells; use larger cells", field="units"
        )
    span = max(maxx - minx, maxy - miny)
    zone_tiles = _tile_pieces(zone_m, _tiles(zone_m, max(size_m * 20, span / 200.0)))
    hit = np.unique(
        shapely.STRtree(zone_tiles).query(shapely.points(cx, cy), predicate="dwithin", distance=radius * 1.01)[0]
    )
    ii, jj = ii[hit], jj[hit]
    if len(ii) > MAX_CELLS:
        raise InputError(
            None, f"{kind}:{size_m:g}m gives {len(ii)} cells (> {MAX_CELLS}); use larger cells", field="units"
        )
    pts = corners(ii, jj)
    xs = np.stack([p[0] for p in pts] + [pts[0][0]], axis=1).astype(np.float64)
    ys = np.stack([p[1] for p in pts] + [pts[0][1]], axis=1).astype(np.float64)
    lon, lat = inv.transform(xs.ravel(), ys.ravel())
    coords = np.stack([np.asarray(lon), np.asarray(lat)], axis=1).reshape(len(ii), len(pts) + 1, 2)
    cells: np.ndarray = shapely.polygons(coords)
    return cells


def voronoi_cells(zone: BaseGeometry, settlements: gpd.GeoDataFrame) -> np.ndarray:
    """Voronoi cells (WGS84) around the settlements inside the zone (computed in the equal-area CRS)."""
    inside = settlements[settlements.intersects(zone)]
    if len(inside) < 2:
        raise InputError(
            None, f"Voronoi units need at least 2 settlements in the zone; found {len(inside)}", field="units"
        )
    crs = equal_area_crs(zone)
    pts = inside.to_crs(crs).geometry.values
    zone_m = gpd.GeoSeries([zone], crs=WGS84).to_crs(crs).iloc[0]
    extent = zone_m.envelope.buffer(10_000)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(list(pts)), extend_to=extent))
    wgs84_cells: np.ndarray = gpd.GeoSeries(cells, crs=crs).to_crs(WGS84).to_numpy()
    return wgs84_cells


def _tiles(zone: BaseGeometry, tile_deg: float) -> list[tuple[float, float, float, float]]:
    minx, miny, maxx, maxy = zone.bounds
    xs = np.arange(minx, maxx + tile_deg, tile_deg)
    ys = np.arange(miny, maxy + tile_deg, tile_deg)
    boxes = (
        [(x, y, x + tile_deg, y + tile_deg) for x in xs[:-1] for y in ys[:-1]]
        if len(xs) > 1 and len(ys) > 1
        else [zone.bounds]
    )
    geoms = shapely.box(*np.array(boxes).T)
    shapely.prepare(zone)
    keep = shapely.intersects(zone, geoms)
    return [b for b, k in zip(boxes, keep, strict=True) if k]


def _tiles_around(zone: BaseGeometry, tile_deg: float) -> list[tuple[float, float, float, float]]:
    """Tiles (degrees) of a grid over the zone's bounds grown by one tile, kept where they meet the zone.

    Land outside the zone is cut into these for the anchors: a grid starting at the zone's own lower
    bounds (:func:`_tiles`) would miss the land just west and south of it (a box-shaped zone's
    western neighbours vanished from the graph, and proposals cut them off as new enclaves).
    """
    minx, miny, maxx, maxy = zone.bounds
    xs = np.arange(minx - tile_deg, maxx + 2 * tile_deg, tile_deg)
    ys = np.arange(miny - tile_deg, maxy + 2 * tile_deg, tile_deg)
    boxes = [(x, y, x + tile_deg, y + tile_deg) for x in xs[:-1] for y in ys[:-1]]
    shapely.prepare(zone)
    keep = shapely.dwithin(zone, shapely.box(*np.array(boxes).T), tile_deg * 1e-3)
    return [b for b, k in zip(boxes, keep, strict=True) if k]


def _tile_pieces(geom: BaseGeometry, tiles: list[tuple[float, float, float, float]]) -> np.ndarray:
    out = []
    for t in tiles:
        try:
            p = shapely.clip_by_rect(geom, *t)
        except shapely.errors.GEOSException:  # degenerate rings: fall back to a full overlay
            p = shapely.intersection(shapely.make_valid(geom), shapely.box(*t))
        out.extend(_polys(p))
    return np.array(out, dtype=object)


def _polys(g: BaseGeometry) -> list[BaseGeometry]:
    return [p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and p.area > 0]


def build_parcels(
    scenario: Scenario,
    parties: tuple[str, str],
    zone: BaseGeometry,
    cells: np.ndarray,
    *,
    cut_zone: BaseGeometry | None = None,
    progress: ProgressFn | None = None,
) -> ParcelGraph:
    """Cut ``cells`` (WGS84 polygons) by the zone and the two parties' territory into parcels.

    ``cut_zone`` is the zone's outline before clipping to land (default ``zone``): each parcel's
    ``cell_geometry`` is its cell cut by that outline, so transfers written from cells never run
    along a territory edge (which would leave slivers in the overlay).

    Returns the :class:`~delimit.propose.graph.ParcelGraph` with every parcel's attributes and the
    anchors (each party's land outside the zone, one anchor per connected part).
    """
    say = progress or (lambda _m, _f: None)
    # snap cell vertices to 1e-9 degree (~0.1 mm): neighbouring user parcels whose shared edges
    # differ in the last bits then share them exactly (no hairline gaps for transfers to leave behind)
    cells = shapely.set_precision(np.asarray(cells, dtype=object), CELL_GRID_DEG)
    cells = cells[~shapely.is_empty(cells)]
    shapely.prepare(zone)
    cells = cells[shapely.intersects(zone, cells)]
    if len(cells) == 0:
        raise InputError(None, "no unit intersects the zone", field="units")
    span = max(zone.bounds[2] - zone.bounds[0], zone.bounds[3] - zone.bounds[1])
    tile_deg = max(0.02, span / 200.0)
    tiles = _tiles(zone, tile_deg)
    say("cutting parcels", 0.1)
    rows_cell: list[int] = []
    rows_party: list[str] = []
    rows_geom: list[BaseGeometry] = []
    for party in parties:
        piece = robust_intersection([scenario.party_geometry(party)], [zone], CELL_GRID_DEG)[0]
        if piece.is_empty:
            continue
        tp = _tile_pieces(piece, tiles)
        if len(tp) == 0:
            continue
        tree = shapely.STRtree(tp)
        ci, ti = tree.query(cells, predicate="intersects")
        inter = robust_intersection(cells[ci], tp[ti], CELL_GRID_DEG)
        df = pd.DataFrame({"cell": ci, "g": inter})
        for cell, grp in df.groupby("cell", sort=True):
            gs = [g for g in grp["g"] if not g.is_empty]
            if not gs:
                continue
            g = gs[0] if len(gs) == 1 else robust_union(gs, CELL_GRID_DEG)
            for poly in _polys(g):
                rows_cell.append(int(cell))
                rows_party.append(party)
                rows_geom.append(poly)
    if not rows_geom:
        raise InputError(None, "the zone holds no land of the two parties", field="zone")
    order = np.lexsort((np.array([parties.index(p) for p in rows_party]), np.array(rows_cell)))
    parcels = gpd.GeoDataFrame(
        {"cell": np.array(rows_cell)[order], "party": np.array(rows_party, dtype=object)[order]},
        geometry=gpd.GeoSeries(np.array(rows_geom, dtype=object)[order], crs=WGS84),
        crs=WGS84,
    ).reset_index(drop=True)
    parcels.insert(0, "parcel_id", [f"p{i:05d}" for i in range(len(parcels))])
    area_crs = equal_area_crs(zone)
    length_crs = metric_crs(zone)
    parcels["area_km2"] = parcels.to_crs(area_crs).area.to_numpy() / 1e6
    say("parcel attributes", 0.4)
    _attach_settlements(parcels, scenario.settlements)
    _attach_lines(parcels, scenario.roads, "road_id", "road", length_crs)
    _attach_lines(parcels, scenario.rivers, "water_id", "river", length_crs)
    # each parcel's cell cut by the zone outline (tile by tile, then joined: tile cuts are exact)
    outline = zone if cut_zone is None else cut_zone
    used = np.unique(parcels["cell"].to_numpy())
    otiles = _tile_pieces(outline, _tiles(outline, tile_deg))
    ci, ti = shapely.STRtree(otiles).query(cells[used], predicate="intersects")
    pieces = robust_intersection(cells[used][ci], otiles[ti], CELL_GRID_DEG)
    cut: dict[int, list[BaseGeometry]] = {}
    for c, g in zip(used[ci].tolist(), pieces, strict=True):
        if not g.is_empty:
            cut.setdefault(c, []).append(g)
    cell_geom = {c: (gs[0] if len(gs) == 1 else robust_union(gs, CELL_GRID_DEG)) for c, gs in cut.items()}
    cell_geometry = np.array([cell_geom.get(int(c), shapely.Polygon()) for c in parcels["cell"]], dtype=object)
    say("anchors", 0.6)
    anchor_rows = []
    around = _tiles_around(zone, tile_deg)
    for party in parties:
        outside = robust_difference([scenario.party_geometry(party)], [zone], CELL_GRID_DEG)[0]
        near = shapely.buffer(shapely.envelope(zone), tile_deg)
        for k, poly in enumerate(_polys(outside)):
            if not poly.intersects(near):
                continue
            for piece in _tile_pieces(poly, around):
                anchor_rows.append(
                    {"anchor_id": f"{party}-outside-{k + 1}", "party": party, "kind": "outside", "geometry": piece}
                )
    anchors = gpd.GeoDataFrame(
        anchor_rows, columns=["anchor_id", "party", "kind", "geometry"], geometry="geometry", crs=WGS84
    )
    say("adjacency", 0.75)
    graph = _graph_with_merged_anchor_tiles(parties, parcels, anchors, cell_geometry, zone)
    say("parcels ready", 1.0)
    return graph


def _graph_with_merged_anchor_tiles(
    parties: tuple[str, str],
    parcels: gpd.GeoDataFrame,
    anchors: gpd.GeoDataFrame,
    cell_geometry: np.ndarray,
    zone: BaseGeometry,
) -> ParcelGraph:
    """Anchors were tiled for speed; build the graph on tiles, then merge tiles of one anchor.

    The tiles are joined with :func:`delimit.polygons.robust_union`: ``clip_by_rect`` may leave tiles
    invalid, and a plain union of them fails in GEOS ("unable to assign free hole to a shell", seen
    with ``--zone band:1km --units hex:1000m``).
    """
    graph = build_graph(parties, parcels, anchors, cell_geometry, zone)
    n = graph.n_parcels
    if len(graph.anchors) == 0:
        return graph
    # tiles of the same anchor are one node: relabel and rebuild CSR
    ids = graph.anchors["anchor_id"].to_numpy()
    uniq, inv = np.unique(ids, return_inverse=True)
    extra = np.flatnonzero(graph.is_anchor[:n])  # parcels promoted to anchors
    node_map = np.concatenate([np.arange(n), n + inv])
    u, v, w, e = graph.edges()
    k = len(uniq)
    from delimit.propose.graph import csr_from_edges, merge_edges

    mu, mv, ww, gg = merge_edges(n + k, node_map[u], node_map[v], w, graph.edge_geom[e])
    indptr, indices, lens, eid = csr_from_edges(n + k, mu, mv, ww, with_ids=True)
    first = graph.anchors.drop_duplicates("anchor_id").set_index("anchor_id").loc[uniq].reset_index()
    merged = gpd.GeoDataFrame(
        {"anchor_id": uniq, "party": first["party"].to_numpy(), "kind": first["kind"].to_numpy()},
        geometry=gpd.GeoSeries(
            [robust_union(graph.anchors.geometry.values[ids == a], CELL_GRID_DEG) for a in uniq], crs=WGS84
        ),
        crs=WGS84,
    )
    holder = np.concatenate(
        [graph.holder[:n], merged["party"].map({p: i for i, p in enumerate(parties)}).to_numpy()]
    ).astype(np.int8)
    is_anchor = np.zeros(n + k, dtype=bool)
    is_anchor[extra] = True
    is_anchor[n:] = True
    # status-quo groups over merged nodes
    same = holder[mu] == holder[mv]
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    a = mu[same]
    b = mv[same]
    _, labels = connected_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(n + k, n + k)), directed=False)
    graph.anchors = merged
    graph.holder = holder
    graph.area_m2 = np.concatenate([graph.area_m2[:n], np.zeros(k)])
    graph.population = np.concatenate([graph.population[:n], np.zeros(k)])
    graph.indptr, graph.indices, graph.edge_len_m = indptr, indices, lens
    graph.edge_geom, graph.edge_id = gg, eid
    graph.is_anchor = is_anchor
    graph.anchor_group = np.where(is_anchor, labels, -1).astype(np.int64)
    return graph


def _attach_settlements(parcels: gpd.GeoDataFrame, settlements: gpd.GeoDataFrame) -> None:
    n = len(parcels)
    pop = np.zeros(n, dtype=np.int64)
    maxpop = np.zeros(n, dtype=np.int64)
    names: list[list[str]] = [[] for _ in range(n)]
    if len(settlements):
        tree = shapely.STRtree(parcels.geometry.values)
        si, pi = tree.query(settlements.geometry.values, predicate="intersects")
        seen: set[int] = set()
        for s, p in sorted(zip(si.tolist(), pi.tolist(), strict=True)):
            if s in seen:  # a point on a shared edge counts once (lowest parcel index)
                continue
            seen.add(s)
            sp = population_value(settlements["population"].iloc[s]) or 0  # unknown adds no one
            pop[p] += sp
            maxpop[p] = max(maxpop[p], sp)
            names[p].append(str(settlements["settlement_id"].iloc[s]))
    parcels["population"] = pop
    parcels["max_settlement_pop"] = maxpop
    parcels["settlements"] = [",".join(x) for x in names]


def _attach_lines(
    parcels: gpd.GeoDataFrame, lines: gpd.GeoDataFrame, id_field: str, prefix: str, length_crs: CRS
) -> None:
    n = len(parcels)
    km = np.zeros(n)
    ids: list[list[str]] = [[] for _ in range(n)]
    if len(lines):
        tree = shapely.STRtree(parcels.geometry.values)
        li, pi = tree.query(lines.geometry.values, predicate="intersects")
        if len(li):
            inter = shapely.intersection(lines.geometry.values[li], parcels.geometry.values[pi])
            lens = gpd.GeoSeries(inter, crs=WGS84).to_crs(length_crs).length.to_numpy() / 1000.0
            for l_, p, length in zip(li.tolist(), pi.tolist(), lens.tolist(), strict=True):
                if length <= 0:
                    continue
                km[p] += length
                rid = str(lines[id_field].iloc[l_])
                if rid not in ids[p]:
                    ids[p].append(rid)
    parcels[f"{prefix}_km"] = km
    parcels[f"{prefix}_ids"] = [",".join(x) for x in ids]
