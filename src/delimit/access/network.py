"""The access graph: one CSR per scenario and mode, with borders as *rules* on arcs.

Modelling (what the numbers mean)
---------------------------------
* **Road nodes** come from road vertices (shared vertices are junctions; coordinates are matched
  to 1e-7 degree, about 1 cm). Every road is cut where it crosses a party boundary (the
  intersection becomes a vertex) and where a settlement is attached to it (vehicle mode: the
  point of the road nearest the settlement). Each straight piece between two vertices is a
  *segment* and belongs to the party holding its midpoint (or, if no party's land holds it - a
  sliver between polygons - the nearest party).
* **Labels and crossings.** A vertex gets one node per *label* of the segments meeting there; a
  label is the segment's party, plus the road id for roads that some regime of the scenario makes
  neutral or a transit corridor (so those rules can be switched per regime without rebuilding).
  Two nodes of one vertex are joined by a zero-length *transition* arc pair. Between labels of one
  party the transition is free. Between two parties it is a **crossing**: named if a crossing of the
  ``crossings`` layer lies within ``crossing_match_m`` (50 m by default), otherwise an unnamed
  crossing, governed by the regime's border policy and default (see
  :meth:`delimit.model.regime.Regime.rule`). A traveller can thus be on any party's land, but can
  only change party through a crossing open to its class. Only **checkpoints** (features of the
  ``crossings`` layer that are posts, :func:`checkpoint_mask`) charge the regime's delay; elsewhere
  the regime only says whether the crossing is open (see :mod:`delimit.access.rules`). The
  transition group of a border crossing records its ``road_id`` and ``checkpoint`` flag.
* **Neutral roads** (``regime.neutral_roads``) belong to no party: getting on or off them needs no
  crossing, so a neutral road links the lands at both of its ends for every class. **Free transit
  corridors** act as neutral roads for their listed classes. **Sealed transit corridors** become
  *shortcut arcs* between the corridor's ends (where it meets other roads) costing the fastest
  drive along the corridor; they are open only to the listed classes and only when that drive
  takes at most ``max_minutes``; a sealed corridor cannot be entered or left part-way.
* **Connectors.** Vehicle mode: a settlement joins the nearest point of a road segment *of its own
  party* within ``max_connector_m`` by a straight walk at ``connector`` km/h; otherwise it is
  reported *off the road network*. Foot mode: settlements join their terrain cell; every road node
  joins the cell holding it (if that cell belongs to the node's party).
* **Terrain (foot mode).** The DEM is reprojected (bilinear) to a metric grid (UTM of the data)
  with square cells; the cost of a cell is the symmetrised Tobler pace on its steepest slope (s/m,
  :func:`delimit.access.speeds.tobler_pace_symmetric`); water bodies and cells outside every
  party's land are impassable. Cells are 8-connected with the ``MCP_Geometric`` convention (mean
  of the two cells' costs times the step length). A step between cells of two parties is an
  unnamed ("green border") crossing governed, like unnamed road crossings, by the border policy.
  Rivers are not barriers (bridges and fords are not mapped).
* Every arc is stored in both directions with the same cost: the graph is undirected, so the
  engine solves from the targets outwards and a trip to the target costs what the way back costs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from delimit.access.kernels import csr_from_arcs, dijkstra_csr
from delimit.access.speeds import RoadSpeeds, tobler_pace_symmetric
from delimit.crs import crs_description, metric_crs
from delimit.errors import InputError
from delimit.model.scenario import Scenario

Mode = Literal["vehicle", "foot"]
ProgressFn = Callable[[str, float], None]

#: Group kinds (``AccessNetwork.groups['kind']``).
SEGMENT, TRANSITION, GREEN, SEALED = "segment", "transition", "green", "sealed"


@dataclass
class TerrainGrid:
    """The foot-mode terrain: a metric grid with per-cell pace, party and node ids.

    Attributes
    ----------
    cost: pace per cell (s/m); ``inf`` where impassable.
    party: party index per cell (-1 outside every party's land).
    transform: affine (metric CRS, cell corner convention); ``cell_m`` square cells.
    crs: the metric CRS of the grid.
    node0: node id of cell (0, 0); cell (r, c) is node ``node0 + r * ncols + c``.
    """

    cost: np.ndarray
    party: np.ndarray
    transform: Any
    crs: CRS
    cell_m: float
    node0: int

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.cost.shape[0]), int(self.cost.shape[1]))

    def cell_of(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) of metric points (may be outside the grid)."""
        t = self.transform  # north-up grid, no rotation (built by build_terrain)
        c = (np.asarray(x, float) - t.c) / t.a
        r = (np.asarray(y, float) - t.f) / t.e
        return np.floor(r).astype(np.int64), np.floor(c).astype(np.int64)

    def centre(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = self.transform
        return t.c + (np.asarray(cols, float) + 0.5) * t.a, t.f + (np.asarray(rows, float) + 0.5) * t.e


@dataclass
class AccessNetwork:
    """One graph per scenario and mode; regimes and classes only change group costs and masks.

    Attributes
    ----------
    scenario, mode, speeds: what it was built from.
    crs: the metric CRS every length was measured in.
    parties: party ids; ``node_party`` and group parties index into it.
    indptr, indices, base, length, group: the CSR (base cost in seconds, length in metres, group
        id per arc or -1) - see :mod:`delimit.access.kernels`.
    node_x, node_y, node_lon, node_lat: node coordinates (metric and WGS84).
    node_party: party index per node; node_vertex: road vertex per node (-1 for terrain cells).
    vertices: DataFrame per road vertex: ``vertex_id, lon, lat, roads`` (ids of the roads meeting
        there), ``degree`` (segments meeting there).
    groups: DataFrame per group: ``kind`` (segment/transition/green/sealed), ``road_id``,
        ``road_class``, ``segment`` (segment id), ``crossing_id`` (named crossing, or the generated
        id of an unnamed one), ``named``, ``party_a``, ``party_b``, ``label_road_a``,
        ``label_road_b`` (special roads of the two labels), ``vertex``, ``lon``, ``lat``,
        ``regime``, ``transit``, ``classes``, ``seconds`` (sealed corridor drive).
    attach: DataFrame indexed like ``scenario.settlements``: ``node`` (-1: off the network),
        ``offset_s``, ``offset_m`` (the connector walk).
    terrain: the terrain grid (foot mode) or None.
    notes: modelling notes (unmatched crossings, settlements off the network...).
    """

    scenario: str
    mode: Mode
    speeds: RoadSpeeds
    crs: CRS
    parties: list[str]
    indptr: np.ndarray
    indices: np.ndarray
    base: np.ndarray
    length: np.ndarray
    group: np.ndarray
    node_x: np.ndarray
    node_y: np.ndarray
    node_lon: np.ndarray
    node_lat: np.ndarray
    node_party: np.ndarray
    node_vertex: np.ndarray
    vertices: pd.DataFrame
    groups: pd.DataFrame
    attach: pd.DataFrame
    terrain: TerrainGrid | None = None
    notes: list[str] = field(default_factory=list)
    _to_metric: Transformer | None = field(default=None, repr=False)

    @property
    def n_nodes(self) -> int:
        return int(self.indptr.shape[0] - 1)

    @property
    def n_arcs(self) -> int:
        return int(self.indices.shape[0])

    @property
    def crs_description(self) -> str:
        return crs_description(self.crs)

    def to_metric(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """WGS84 -> the network's metric CRS."""
        if self._to_metric is None:
            self._to_metric = Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)
        x, y = self._to_metric.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x), np.asarray(y)

    def party_index(self, party: str | None) -> int:
        """Index of ``party`` in :attr:`parties` (-1 for None/unknown)."""
        try:
            return self.parties.index(party) if party else -1
        except ValueError:
            return -1

    def attach_points(self, lon: np.ndarray, lat: np.ndarray, party: np.ndarray) -> pd.DataFrame:
        """Attach arbitrary points (e.g. a user's targets) to the nearest node of their own party.

        Vehicle mode: nearest road node of the point's party within ``max_connector_m``; foot
        mode: the terrain cell holding the point (or the nearest own-party passable cell within 3
        cells). Returns ``node`` (-1 if none), ``offset_s``, ``offset_m``.
        """
        x, y = self.to_metric(lon, lat)
        pidx = np.array([self.party_index(p) for p in party], dtype=np.int64)
        if self.terrain is not None:
            return _attach_terrain(self.terrain, x, y, pidx)
        road = self.node_vertex >= 0
        nodes = np.flatnonzero(road)
        out_node = np.full(len(x), -1, np.int64)
        off_m = np.full(len(x), np.inf)
        if len(nodes):
            for i in range(len(x)):
                cand = nodes[self.node_party[nodes] == pidx[i]] if pidx[i] >= 0 else nodes
                if not len(cand):
                    continue
                d = np.hypot(self.node_x[cand] - x[i], self.node_y[cand] - y[i])
                k = int(np.argmin(d))
                if d[k] <= self.speeds.max_connector_m:
                    out_node[i] = cand[k]
                    off_m[i] = d[k]
        off_s = np.where(out_node >= 0, off_m * 3.6 / self.speeds.connector, np.inf)
        return pd.DataFrame({"node": out_node, "offset_s": off_s, "offset_m": np.where(out_node >= 0, off_m, np.inf)})

    def shortest(
        self,
        group_add: np.ndarray,
        blocked: np.ndarray,
        sources: np.ndarray,
        offsets: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Run the exact multi-source solver (see :func:`delimit.access.solver.solve`)."""
        from delimit.access.solver import solve

        return solve(self, group_add, blocked, sources, offsets)


# ----------------------------------------------------------------------------- helpers


def _special_roads(scenario: Scenario) -> set[str]:
    """Roads that some regime makes neutral or a transit corridor (they get their own labels)."""
    out: set[str] = set()
    for r in scenario.regimes.values():
        out.update(r.neutral_roads)
        for t in r.transit:
            out.update(t.roads)
    return out


def _parties_of_points(x: np.ndarray, y: np.ndarray, terr_m: gpd.GeoDataFrame) -> np.ndarray:
    """Party holding each metric point; the nearest party where none does (slivers)."""
    pts = shapely.points(x, y)
    out = np.full(len(pts), "", dtype=object)
    if not len(pts) or not len(terr_m):
        return out
    geoms = terr_m.geometry.values
    tree = shapely.STRtree(geoms)
    pi, ti = tree.query(pts, predicate="intersects")
    parties = terr_m["party"].to_numpy()
    order = np.lexsort((ti, pi))
    seen: set[int] = set()
    for k in order:
        if pi[k] not in seen:
            out[pi[k]] = parties[ti[k]]
            seen.add(int(pi[k]))
    missing = np.flatnonzero(out == "")
    if len(missing):
        near = tree.nearest(pts[missing])
        out[missing] = parties[near]
    return out


def _split_positions(line: shapely.LineString, extra: list[float]) -> np.ndarray:
    """Coordinates of ``line`` with points inserted at the given distances along it."""
    coords = np.asarray(line.coords)[:, :2]
    seg = np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1]))
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    if not extra:
        return coords
    ex = np.asarray(sorted(extra))
    ex = ex[(ex > 1e-6) & (ex < cum[-1] - 1e-6)]
    pts = np.array([np.asarray(line.interpolate(d).coords[0])[:2] for d in ex]) if len(ex) else np.zeros((0, 2))
    allpos = np.concatenate([cum, ex])
    allc = np.concatenate([coords, pts])
    order = np.argsort(allpos, kind="stable")
    allc = allc[order]
    allpos = allpos[order]
    keep = np.concatenate([[True], np.diff(allpos) > 1e-6])
    keep[-1] = True
    out: np.ndarray = allc[keep]  # numpy stubs type indexing by a mask of unknown dtype as Any
    # drop a duplicate left by keeping the last point
    if len(out) >= 2 and np.hypot(*(out[-1] - out[-2])) < 1e-6:
        out = np.delete(out, -2, axis=0)
    return out


def _attach_terrain(t: TerrainGrid, x: np.ndarray, y: np.ndarray, pidx: np.ndarray) -> pd.DataFrame:
    rows, cols = t.cell_of(x, y)
    nr, nc = t.shape
    node = np.full(len(x), -1, np.int64)
    off_m = np.full(len(x), np.inf)
    off_s = np.full(len(x), np.inf)
    for i in range(len(x)):
        best = None
        for rad in range(0, 4):
            r0, r1 = max(rows[i] - rad, 0), min(rows[i] + rad, nr - 1)
            c0, c1 = max(cols[i] - rad, 0), min(cols[i] + rad, nc - 1)
            if r0 > r1 or c0 > c1:
                continue
            rr, cc = np.mgrid[r0 : r1 + 1, c0 : c1 + 1]
            rr, cc = rr.ravel(), cc.ravel()
            ok = np.isfinite(t.cost[rr, cc]) & ((t.party[rr, cc] == pidx[i]) if pidx[i] >= 0 else True)
            if ok.any():
                cx, cy = t.centre(rr[ok], cc[ok])
                d = np.hypot(cx - x[i], cy - y[i])
                k = int(np.argmin(d))
                best = (int(rr[ok][k]), int(cc[ok][k]), float(d[k]))
                break
        if best is not None:
            r, c, d = best
            node[i] = t.node0 + r * nc + c
            off_m[i] = d
            off_s[i] = d * float(t.cost[r, c])
    return pd.DataFrame({"node": node, "offset_s": off_s, "offset_m": off_m})


def build_terrain(scenario: Scenario, crs: CRS, parties: list[str], cell_m: float) -> TerrainGrid:
    """The foot-mode terrain grid: DEM reprojected to ``crs`` at ``cell_m``, Tobler pace, parties.

    Raises InputError if the scenario has no elevation model.
    """
    import rasterio.features
    import rasterio.warp
    from affine import Affine

    dem = scenario.elevation
    if dem is None:
        raise InputError(
            scenario.name, "the foot mode needs an elevation model (the scenario has none)", field="elevation"
        )
    if not (cell_m > 0):
        raise InputError(scenario.name, f"cell size must be positive (got {cell_m})", field="cell_m")
    terr_m = scenario.territory.to_crs(crs)
    west, south, east, north = rasterio.warp.transform_bounds(dem.crs, crs, *dem.bounds)
    tb = terr_m.total_bounds
    west, south, east, north = max(west, tb[0]), max(south, tb[1]), min(east, tb[2]), min(north, tb[3])
    ncols = max(1, int(np.ceil((east - west) / cell_m)))
    nrows = max(1, int(np.ceil((north - south) / cell_m)))
    if nrows * ncols > 8_000_000:
        raise InputError(
            scenario.name, f"terrain grid of {nrows}x{ncols} cells is too large; use a larger cell size", field="cell_m"
        )
    transform = Affine(cell_m, 0.0, west, 0.0, -cell_m, north)
    src = dem.data.astype(np.float64)
    nodata = dem.nodata
    elev = np.full((nrows, ncols), np.nan)
    rasterio.warp.reproject(
        src,
        elev,
        src_transform=dem.transform,
        src_crs=dem.crs,
        src_nodata=nodata,
        dst_transform=transform,
        dst_crs=crs,
        dst_nodata=np.nan,
        resampling=rasterio.warp.Resampling.bilinear,
    )
    gy, gx = np.gradient(elev, cell_m)
    slope = np.hypot(gx, gy)
    cost = tobler_pace_symmetric(slope)
    cost[~np.isfinite(elev)] = np.inf
    party = rasterio.features.rasterize(
        (
            (g, i)
            for g, p in zip(terr_m.geometry, terr_m["party"], strict=True)
            for i in [parties.index(p)]
            if g is not None and not g.is_empty
        ),
        out_shape=(nrows, ncols),
        transform=transform,
        fill=-1,
        dtype="int32",
    ).astype(np.int64)
    cost[party < 0] = np.inf
    if len(scenario.water_bodies):
        water = rasterio.features.rasterize(
            ((g, 1) for g in scenario.water_bodies.to_crs(crs).geometry if g is not None and not g.is_empty),
            out_shape=(nrows, ncols),
            transform=transform,
            fill=0,
            dtype="uint8",
        )
        cost[water > 0] = np.inf
    return TerrainGrid(cost=cost, party=party, transform=transform, crs=crs, cell_m=float(cell_m), node0=0)


def _terrain_arcs(t: TerrainGrid, parties: list[str]) -> tuple[np.ndarray, ...]:
    """8-connected arcs between passable cells (both directions), with green-border group keys.

    Returns ``(tails, heads, costs s, lengths m, party_a, party_b)``. Each direction's arcs are
    written straight into arrays allocated once (a terrain has millions of arcs: no list of pieces
    beside a concatenated copy); parties are int32.
    """
    nr, nc = t.shape
    ok = np.isfinite(t.cost)
    ids = np.arange(nr * nc, dtype=np.int64).reshape(nr, nc) + t.node0
    party = t.party.astype(np.int32)
    diag = float(np.hypot(t.cell_m, t.cell_m))
    steps = []
    for dr, dc, step in ((0, 1, t.cell_m), (1, 0, t.cell_m), (1, 1, diag), (1, -1, diag)):
        r0, r1 = 0, nr - dr
        c0, c1 = max(0, -dc), nc - max(0, dc)
        a = (slice(r0, r1), slice(c0, c1))
        b = (slice(r0 + dr, r1 + dr), slice(c0 + dc, c1 + dc))
        m = ok[a] & ok[b]
        steps.append((a, b, m, int(m.sum()), float(step)))
    total = 2 * sum(k for *_, k, _s in steps)
    tails, heads = np.empty(total, np.int64), np.empty(total, np.int64)
    costs, lens = np.empty(total), np.empty(total)
    pa, pb = np.empty(total, np.int32), np.empty(total, np.int32)
    at = 0
    for a, b, m, k, step in steps:
        u, v = ids[a][m], ids[b][m]
        w = (t.cost[a][m] + t.cost[b][m]) * 0.5 * step
        p, q = party[a][m], party[b][m]
        for x, y, pp, qq in ((u, v, p, q), (v, u, q, p)):
            sl = slice(at, at + k)
            tails[sl], heads[sl], costs[sl], lens[sl], pa[sl], pb[sl] = x, y, w, step, pp, qq
            at += k
    return tails, heads, costs, lens, pa, pb


# ----------------------------------------------------------------------------- build


def build_network(
    scenario: Scenario,
    *,
    mode: Mode = "vehicle",
    speeds: RoadSpeeds | None = None,
    terrain: bool | None = None,
    cell_m: float = 500.0,
    progress: ProgressFn | None = None,
) -> AccessNetwork:
    """Build the access graph of ``scenario`` for ``mode`` (see the module docstring for the model).

    Parameters
    ----------
    scenario: the scenario (roads, territory, crossings, settlements, regimes, elevation).
    mode: ``vehicle`` (roads at road-class speeds, walking connectors) or ``foot`` (roads at
        walking speed plus terrain).
    speeds: the speed assumptions (default :class:`RoadSpeeds`).
    terrain: include the terrain grid (default: only in foot mode).
    cell_m: terrain cell size (metres).
    progress: optional ``(message, fraction)`` callback.

    Returns
    -------
    AccessNetwork
        One CSR reused for every regime, class and closure.

    Examples
    --------
    >>> from delimit import load_scenario  # doctest: +SKIP
    >>> net = build_network(load_scenario("status-quo"))  # doctest: +SKIP
    >>> net.mode, net.n_arcs > 0  # doctest: +SKIP
    ('vehicle', True)
    """
    if len(scenario.territory) == 0:
        raise InputError(
            scenario.name, "the territory layer holds no land (no features): no network to build", field="territory"
        )
    if mode not in ("vehicle", "foot"):
        raise InputError(scenario.name, f"unknown mode {mode!r} (vehicle or foot)", field="mode")
    speeds = speeds or RoadSpeeds()
    use_terrain = (mode == "foot") if terrain is None else bool(terrain)
    report = progress or (lambda _m, _f: None)
    report("roads", 0.0)
    window = scenario.window if len(scenario.window) else scenario.territory
    crs = metric_crs(tuple(window.total_bounds))
    parties = sorted(set(scenario.territory["party"].astype(str)) | set(scenario.parties))
    terr_m = scenario.territory.to_crs(crs)
    to_m = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    notes: list[str] = []
    special = _special_roads(scenario)

    roads = scenario.roads
    roads_m = roads.to_crs(crs) if len(roads) else roads
    boundary = shapely.union_all(terr_m.boundary.values) if len(terr_m) else shapely.LineString()

    # 1. road parts in metric coordinates, cut at party boundaries
    parts: list[tuple[int, np.ndarray]] = []  # (road row, coords)
    for i, g in enumerate(roads_m.geometry.values if len(roads) else []):
        if g is None or g.is_empty:
            continue
        for line in shapely.get_parts(shapely.line_merge(g) if g.geom_type == "MultiLineString" else g):
            if line.geom_type != "LineString" or line.length <= 0:
                continue
            hits = shapely.intersection(line, boundary)
            extra = [line.project(p) for p in shapely.get_parts(hits) if p.geom_type == "Point"]
            extra += [
                line.project(shapely.Point(c))
                for h in shapely.get_parts(hits)
                if h.geom_type == "LineString"
                for c in h.coords
            ]
            parts.append((i, _split_positions(line, extra)))

    # 2. segments, their parties and labels
    seg_road, seg_a, seg_b = [], [], []
    for ri, coords in parts:
        for k in range(len(coords) - 1):
            if np.hypot(*(coords[k + 1] - coords[k])) < 1e-6:
                continue
            seg_road.append(ri)
            seg_a.append(coords[k])
            seg_b.append(coords[k + 1])
    seg_road_a = np.asarray(seg_road, dtype=np.int64)
    A = np.asarray(seg_a, dtype=float).reshape(-1, 2)
    B = np.asarray(seg_b, dtype=float).reshape(-1, 2)
    mid = (A + B) / 2
    seg_party = _parties_of_points(mid[:, 0], mid[:, 1], terr_m) if len(A) else np.zeros(0, dtype=object)

    # 3. settlements attach to the nearest own-party segment (vehicle mode), cutting it there
    settle = scenario.settlements
    sx, sy = (
        to_m.transform(settle.geometry.x.to_numpy(), settle.geometry.y.to_numpy())
        if len(settle)
        else (np.zeros(0), np.zeros(0))
    )
    sx, sy = np.asarray(sx), np.asarray(sy)
    s_party = settle["party"].astype(str).to_numpy() if len(settle) else np.zeros(0, dtype=object)
    attach_seg = np.full(len(settle), -1, np.int64)
    attach_pt = np.zeros((len(settle), 2))
    attach_d = np.full(len(settle), np.inf)
    if mode == "vehicle" and len(A) and len(settle):
        seg_lines = shapely.linestrings(np.stack([A, B], axis=1))
        tree = shapely.STRtree(seg_lines)
        pts = shapely.points(sx, sy)
        pi, si = tree.query(pts, predicate="dwithin", distance=speeds.max_connector_m)
        d = shapely.distance(pts[pi], seg_lines[si]) if len(pi) else np.zeros(0)
        ok = seg_party[si] == s_party[pi] if len(pi) else np.zeros(0, bool)
        for p, s_, dd in sorted(zip(pi[ok], si[ok], d[ok], strict=True), key=lambda t: (t[0], t[2], t[1])):
            if attach_seg[p] < 0:
                attach_seg[p] = s_
                attach_d[p] = dd
                proj = seg_lines[s_].interpolate(seg_lines[s_].project(pts[p]))
                attach_pt[p] = np.asarray(proj.coords[0])[:2]
        # cut segments at attachment points
        cuts: dict[int, list[np.ndarray]] = {}
        for p in np.flatnonzero(attach_seg >= 0):
            cuts.setdefault(int(attach_seg[p]), []).append(attach_pt[p])
        if cuts:
            newA, newB, newR, newP = [], [], [], []
            for s_ in range(len(A)):
                pts_s = [A[s_]]
                if s_ in cuts:
                    L = np.hypot(*(B[s_] - A[s_]))
                    inner = sorted({round(float(np.hypot(*(q - A[s_]))), 4) for q in cuts[s_]})
                    for t in inner:
                        if 0.5 < t < L - 0.5:
                            pts_s.append(A[s_] + (B[s_] - A[s_]) * (t / L))
                pts_s.append(B[s_])
                for k in range(len(pts_s) - 1):
                    newA.append(pts_s[k])
                    newB.append(pts_s[k + 1])
                    newR.append(seg_road_a[s_])
                    newP.append(seg_party[s_])
            A, B = np.asarray(newA), np.asarray(newB)
            seg_road_a = np.asarray(newR, dtype=np.int64)
            seg_party = np.asarray(newP, dtype=object)
    report("roads", 0.3)

    # 4. vertices (match to 1e-7 degree) and node copies per (vertex, label)
    nseg = len(A)
    allxy = np.concatenate([A, B]) if nseg else np.zeros((0, 2))
    lon, lat = to_ll.transform(allxy[:, 0], allxy[:, 1]) if nseg else (np.zeros(0), np.zeros(0))
    key = np.round(np.stack([np.asarray(lon), np.asarray(lat)], axis=1), 7)
    if nseg:
        vkeys, vinv = np.unique(key, axis=0, return_inverse=True)
        vinv = vinv.ravel()
    else:
        vkeys, vinv = np.zeros((0, 2)), np.zeros(0, np.int64)
    nv = len(vkeys)
    vx = np.zeros(nv)
    vy = np.zeros(nv)
    vx[vinv] = allxy[:, 0]
    vy[vinv] = allxy[:, 1]
    va, vb = vinv[:nseg], vinv[nseg:]
    road_ids = roads["road_id"].astype(str).to_numpy() if len(roads) else np.zeros(0, dtype=object)
    road_class = roads["road_class"].astype(str).to_numpy() if len(roads) else np.zeros(0, dtype=object)
    seg_rid = road_ids[seg_road_a] if nseg else np.zeros(0, dtype=object)
    seg_label_road = np.array([r if r in special else "" for r in seg_rid], dtype=object)
    pidx = {p: i for i, p in enumerate(parties)}
    seg_pi = np.array([pidx.get(str(p), -1) for p in seg_party], dtype=np.int64)
    labels: dict[tuple[int, int, str], int] = {}
    node_vertex: list[int] = []
    node_party: list[int] = []
    node_label: list[str] = []

    def node_of(v: int, p: int, r: str) -> int:
        k = (v, p, r)
        if k not in labels:
            labels[k] = len(node_vertex)
            node_vertex.append(v)
            node_party.append(p)
            node_label.append(r)
        return labels[k]

    na = np.array([node_of(int(va[s]), int(seg_pi[s]), seg_label_road[s]) for s in range(nseg)], dtype=np.int64)
    nb_ = np.array([node_of(int(vb[s]), int(seg_pi[s]), seg_label_road[s]) for s in range(nseg)], dtype=np.int64)

    # groups table rows
    grows: list[dict[str, Any]] = []
    tails: list[np.ndarray] = []
    heads: list[np.ndarray] = []
    costs: list[np.ndarray] = []
    lens: list[np.ndarray] = []
    grps: list[np.ndarray] = []
    vlon, vlat = vkeys[:, 0] if nv else np.zeros(0), vkeys[:, 1] if nv else np.zeros(0)

    # road segment arcs: one group per segment
    seg_len = np.hypot(B[:, 0] - A[:, 0], B[:, 1] - A[:, 1]) if nseg else np.zeros(0)
    seg_pace = np.array([speeds.seconds_per_metre(road_class[r], mode) for r in seg_road_a]) if nseg else np.zeros(0)
    seg_ids: list[str] = []
    counter: dict[str, int] = {}
    if nseg:
        mlon_a, mlat_a = to_ll.transform((A[:, 0] + B[:, 0]) / 2, (A[:, 1] + B[:, 1]) / 2)
        mlon_a, mlat_a = np.asarray(mlon_a), np.asarray(mlat_a)
    for s in range(nseg):
        rid = str(seg_rid[s])
        counter[rid] = counter.get(rid, 0) + 1
        seg_ids.append(f"{rid}#{counter[rid]}")
        grows.append(
            {
                "kind": SEGMENT,
                "road_id": rid,
                "road_class": str(road_class[seg_road_a[s]]),
                "segment": seg_ids[-1],
                "party_a": int(seg_pi[s]),
                "party_b": int(seg_pi[s]),
                "label_road_a": seg_label_road[s],
                "label_road_b": seg_label_road[s],
                "vertex": -1,
                "lon": float(mlon_a[s]),
                "lat": float(mlat_a[s]),
            }
        )
    if nseg:
        g = np.arange(nseg, dtype=np.int64)
        tails += [na, nb_]
        heads += [nb_, na]
        costs += [seg_len * seg_pace] * 2
        lens += [seg_len] * 2
        grps += [g, g]

    # 5. transitions between labels at a vertex; named crossings matched by distance
    cross = scenario.crossings
    if len(cross):
        cx, cy = to_m.transform(cross.geometry.x.to_numpy(), cross.geometry.y.to_numpy())
        cx, cy = np.asarray(cx), np.asarray(cy)
        c_ids = cross["crossing_id"].astype(str).to_numpy()
        c_parties = [
            set(p for p in str(v).replace(",", "-").split("-") if p)
            for v in cross.get("parties", pd.Series([""] * len(cross)))
        ]
        c_checkpoint = checkpoint_mask(cross)
    else:
        cx = cy = np.zeros(0)
        c_ids = np.zeros(0, dtype=object)
        c_parties = []
        c_checkpoint = np.zeros(0, np.bool_)
    matched: set[str] = set()
    by_vertex: dict[int, list[int]] = {}
    for (v, _p, _r), n in labels.items():
        by_vertex.setdefault(v, []).append(n)
    vertex_roads: dict[int, set[str]] = {}
    for s in range(nseg):
        vertex_roads.setdefault(int(va[s]), set()).add(str(seg_rid[s]))
        vertex_roads.setdefault(int(vb[s]), set()).add(str(seg_rid[s]))
    unnamed_count: dict[str, int] = {}
    t_tail, t_head, t_grp = [], [], []
    for v, ns in sorted(by_vertex.items()):
        if len(ns) < 2:
            continue
        named_here = None
        if len(cx):
            d = np.hypot(cx - vx[v], cy - vy[v])
            order = np.argsort(d)
        for i in range(len(ns)):
            for j in range(i + 1, len(ns)):
                a, b = ns[i], ns[j]
                pa, pb = node_party[a], node_party[b]
                cid, named, is_cp = "", False, False
                if pa != pb:
                    named_here = None
                    if len(cx):
                        pair = {parties[pa] if pa >= 0 else "", parties[pb] if pb >= 0 else ""}
                        for k in order:
                            if d[k] > speeds.crossing_match_m:
                                break
                            if not c_parties[k] or c_parties[k] == pair:
                                named_here, is_cp = str(c_ids[k]), bool(c_checkpoint[k])
                                break
                    if named_here is not None:
                        cid, named = named_here, True
                        matched.add(named_here)
                    else:
                        rid = sorted(vertex_roads.get(v, {"road"}))[0]
                        unnamed_count[rid] = unnamed_count.get(rid, 0) + 1
                        cid = f"unnamed:{rid}:{unnamed_count[rid]}"
                gi = len(grows)
                grows.append(
                    {
                        "kind": TRANSITION,
                        "road_class": "",
                        "segment": "",
                        "crossing_id": cid,
                        "named": named,
                        "checkpoint": is_cp,
                        "road_id": rid_at_vertex(vertex_roads, v) if pa != pb else "",
                        "party_a": pa,
                        "party_b": pb,
                        "label_road_a": node_label[a],
                        "label_road_b": node_label[b],
                        "vertex": v,
                        "lon": float(vlon[v]),
                        "lat": float(vlat[v]),
                    }
                )
                t_tail += [a, b]
                t_head += [b, a]
                t_grp += [gi, gi]
    if t_tail:
        tails.append(np.asarray(t_tail, np.int64))
        heads.append(np.asarray(t_head, np.int64))
        costs.append(np.zeros(len(t_tail)))
        lens.append(np.zeros(len(t_tail)))
        grps.append(np.asarray(t_grp, np.int64))
    _charge_once_per_post(grows, c_ids, cx, cy, vx, vy)
    unmatched = sorted(set(map(str, c_ids)) - matched)
    if unmatched:
        notes.append(
            f"{len(unmatched)} named crossing(s) lie more than {speeds.crossing_match_m:g} m from every road/border intersection "
            f"and are not used: {', '.join(unmatched[:8])}{'...' if len(unmatched) > 8 else ''}"
        )
    report("crossings", 0.5)

    # 6. sealed transit corridors: shortcut arcs between corridor ends
    n_road_nodes = len(node_vertex)
    seg_base = seg_len * seg_pace if nseg else np.zeros(0)
    for regime in scenario.regimes.values():
        for tc in regime.transit:
            if tc.kind != "sealed":
                continue
            in_c = np.isin(seg_rid, list(tc.roads)) if nseg else np.zeros(0, bool)
            if not in_c.any():
                continue
            cv = set(va[in_c].tolist()) | set(vb[in_c].tolist())
            outside_v = set(va[~in_c].tolist()) | set(vb[~in_c].tolist())
            ends = sorted(v for v in cv if v in outside_v)
            if len(ends) < 2:
                notes.append(
                    f"sealed transit {tc.id!r} of regime {regime.id!r} has fewer than two ends on other roads; not modelled"
                )
                continue
            # drive times along the corridor only (its nodes at one vertex - e.g. where it crosses
            # a border - are joined at no cost: inside a sealed corridor there are no formalities)
            jt, jh = [], []
            for v in cv:
                ns = [n for n in by_vertex[v] if node_label[n] in tc.roads]
                for a_ in ns:
                    for b_ in ns:
                        if a_ != b_:
                            jt.append(a_)
                            jh.append(b_)
            ip, ix, (w, ln), _ = csr_from_arcs(
                n_road_nodes,
                np.concatenate([na[in_c], nb_[in_c], np.asarray(jt, np.int64)]),
                np.concatenate([nb_[in_c], na[in_c], np.asarray(jh, np.int64)]),
                np.concatenate([seg_base[in_c], seg_base[in_c], np.zeros(len(jt))]),
                np.concatenate([seg_len[in_c], seg_len[in_c], np.zeros(len(jt))]),
            )
            gz = np.full(len(ix), -1, np.int64)
            corridor_nodes = {v: [n for n in by_vertex[v] if node_label[n] not in tc.roads] for v in ends}
            corridor_in = {
                v: [n for n in by_vertex[v] if node_label[n] in tc.roads or seg_rid_in_node(n, na, nb_, in_c)]
                for v in ends
            }
            for ei, ev in enumerate(ends):
                srcs = np.asarray(corridor_in[ev], np.int64)
                if not len(srcs):
                    continue
                dist, met, _o, _pred = dijkstra_csr(
                    ip, ix, w, ln, gz, np.zeros(0), np.zeros(n_road_nodes, np.bool_), srcs, np.zeros(len(srcs))
                )
                for ej, fv in enumerate(ends):
                    if ej <= ei:
                        continue
                    tgt = corridor_in[fv]
                    if not tgt:
                        continue
                    k = min(tgt, key=lambda n: dist[n])
                    if not np.isfinite(dist[k]):
                        continue
                    gi = len(grows)
                    grows.append(
                        {
                            "kind": SEALED,
                            "road_id": ",".join(tc.roads),
                            "crossing_id": f"transit:{tc.id}",
                            "named": True,
                            "party_a": -1,
                            "party_b": -1,
                            "label_road_a": "",
                            "label_road_b": "",
                            "vertex": ev,
                            "lon": float(vlon[ev]),
                            "lat": float(vlat[ev]),
                            "regime": regime.id,
                            "transit": tc.id,
                            "classes": ",".join(tc.classes),
                            "seconds": float(dist[k]),
                            "max_minutes": float(tc.max_minutes) if tc.max_minutes else np.inf,
                        }
                    )
                    for a in corridor_nodes[ev]:
                        for b in corridor_nodes[fv]:
                            tails.append(np.array([a, b], np.int64))
                            heads.append(np.array([b, a], np.int64))
                            costs.append(np.array([float(dist[k])] * 2))
                            lens.append(np.array([float(met[k])] * 2))
                            grps.append(np.array([gi, gi], np.int64))

    node_vertex_a = np.asarray(node_vertex, np.int64)
    node_party_a = np.asarray(node_party, np.int64)
    node_x = vx[node_vertex_a] if n_road_nodes else np.zeros(0)
    node_y = vy[node_vertex_a] if n_road_nodes else np.zeros(0)

    # 7. terrain
    tgrid: TerrainGrid | None = None
    n_total = n_road_nodes
    if use_terrain:
        report("terrain", 0.55)
        tgrid = build_terrain(scenario, crs, parties, cell_m)
        tgrid.node0 = n_road_nodes
        nr, nc = tgrid.shape
        n_total = n_road_nodes + nr * nc
        tt, th, tc_, tl, tpa, tpb = _terrain_arcs(tgrid, parties)
        green_key = np.minimum(tpa, tpb) * (len(parties) + 1) + np.maximum(tpa, tpb)
        diff = tpa != tpb
        tg = np.full(len(tt), -1, np.int64)
        for key_ in np.unique(green_key[diff]):
            p, q = divmod(int(key_), len(parties) + 1)
            gi = len(grows)
            grows.append(
                {
                    "kind": GREEN,
                    "road_id": "",
                    "crossing_id": f"green:{parties[p]}-{parties[q]}",
                    "named": False,
                    "party_a": p,
                    "party_b": q,
                    "label_road_a": "",
                    "label_road_b": "",
                    "vertex": -1,
                    "lon": np.nan,
                    "lat": np.nan,
                }
            )
            tg[diff & (green_key == key_)] = gi
        tails.append(tt)
        heads.append(th)
        costs.append(tc_)
        lens.append(tl)
        grps.append(tg)
        del tt, th, tc_, tl, tg, tpa, tpb, green_key, diff  # the lists hold the arcs; no second reference
        # road nodes <-> their cell (same party, ordinary labels only)
        if n_road_nodes:
            rr, cc = tgrid.cell_of(node_x, node_y)
            inside = (rr >= 0) & (rr < nr) & (cc >= 0) & (cc < nc)
            rr_c, cc_c = np.clip(rr, 0, nr - 1), np.clip(cc, 0, nc - 1)
            ok = (
                inside
                & np.isfinite(tgrid.cost[rr_c, cc_c])
                & (tgrid.party[rr_c, cc_c] == node_party_a)
                & (np.asarray(node_label, dtype=object) == "")
            )
            ids = np.flatnonzero(ok)
            cxm, cym = tgrid.centre(rr_c[ids], cc_c[ids])
            dd = np.hypot(cxm - node_x[ids], cym - node_y[ids])
            cell = tgrid.node0 + rr_c[ids] * nc + cc_c[ids]
            w = dd * tgrid.cost[rr_c[ids], cc_c[ids]]
            tails += [ids, cell]
            heads += [cell, ids]
            costs += [w, w]
            lens += [dd, dd]
            grps += [np.full(len(ids), -1, np.int64)] * 2
        cxs, cys = tgrid.centre(*np.divmod(np.arange(nr * nc), nc))
        node_x = np.concatenate([node_x, cxs])
        node_y = np.concatenate([node_y, cys])
        node_vertex_a = np.concatenate([node_vertex_a, np.full(nr * nc, -1, np.int64)])
        node_party_a = np.concatenate([node_party_a, tgrid.party.ravel()])
    report("graph", 0.8)

    indptr, indices, (base, length, group) = _csr_consuming(n_total, tails, heads, costs, lens, grps)
    nlon, nlat = to_ll.transform(node_x, node_y) if n_total else (np.zeros(0), np.zeros(0))

    groups = pd.DataFrame(grows)
    for col, default in (
        ("kind", ""),
        ("party_a", -1),
        ("party_b", -1),
        ("label_road_a", ""),
        ("label_road_b", ""),
        ("vertex", -1),
        ("lon", np.nan),
        ("lat", np.nan),
        ("crossing_id", ""),
        ("named", False),
        ("checkpoint", False),
        ("at_post", False),
        ("regime", ""),
        ("transit", ""),
        ("classes", ""),
        ("seconds", np.nan),
        ("max_minutes", np.nan),
        ("road_id", ""),
        ("road_class", ""),
        ("segment", ""),
    ):
        if col not in groups.columns:
            groups[col] = default
        groups[col] = groups[col].fillna(default) if default != np.nan else groups[col]
    groups["named"] = groups["named"].astype(bool)
    groups["checkpoint"] = groups["checkpoint"].astype(bool)
    groups["at_post"] = groups["at_post"].astype(bool)

    vertices = pd.DataFrame(
        {
            "vertex_id": [f"v{i}" for i in range(nv)],
            "lon": vlon,
            "lat": vlat,
            "roads": [",".join(sorted(vertex_roads.get(i, set()))) for i in range(nv)],
            "degree": np.bincount(np.concatenate([va, vb]), minlength=nv) if nv else np.zeros(0, np.int64),
        }
    )

    net = AccessNetwork(
        scenario=scenario.name,
        mode=mode,
        speeds=speeds,
        crs=crs,
        parties=parties,
        indptr=indptr,
        indices=indices,
        base=base,
        length=length,
        group=group,
        node_x=node_x,
        node_y=node_y,
        node_lon=np.asarray(nlon),
        node_lat=np.asarray(nlat),
        node_party=node_party_a,
        node_vertex=node_vertex_a,
        vertices=vertices,
        groups=groups,
        attach=pd.DataFrame({"node": np.zeros(0, np.int64)}),
        terrain=tgrid,
        notes=notes,
    )
    # 8. settlement attachments
    if mode == "vehicle":
        node_arr = np.full(len(settle), -1, np.int64)
        off_m = np.full(len(settle), np.inf)
        for p in np.flatnonzero(attach_seg >= 0):
            lo, la = to_ll.transform(attach_pt[p, 0], attach_pt[p, 1])
            ll_key = (round(float(lo), 7), round(float(la), 7))
            vi = np.flatnonzero((vkeys[:, 0] == ll_key[0]) & (vkeys[:, 1] == ll_key[1]))
            if not len(vi):
                d = np.hypot(vx - attach_pt[p, 0], vy - attach_pt[p, 1])
                vi = np.array([int(np.argmin(d))])
            cands = [n for n in by_vertex.get(int(vi[0]), []) if node_party[n] == pidx.get(str(s_party[p]), -2)]
            if cands:
                node_arr[p] = cands[0]
                off_m[p] = attach_d[p] + float(np.hypot(vx[vi[0]] - attach_pt[p, 0], vy[vi[0]] - attach_pt[p, 1]))
        att = pd.DataFrame(
            {
                "node": node_arr,
                "offset_s": np.where(node_arr >= 0, off_m * 3.6 / speeds.connector, np.inf),
                "offset_m": off_m,
            },
            index=settle.index,
        )
        off = int((node_arr < 0).sum())
        if off:
            notes.append(
                f"{off} of {len(settle)} settlements lie more than {speeds.max_connector_m / 1000:g} km from every road of their own party: off the road network in the vehicle mode"
            )
    else:
        att = (
            _attach_terrain(tgrid, sx, sy, np.array([pidx.get(str(p), -1) for p in s_party], np.int64))
            if tgrid is not None
            else pd.DataFrame({"node": np.full(len(settle), -1)})
        )
        att.index = settle.index
    net.attach = att
    report("done", 1.0)
    return net


def _joined(pieces: list[np.ndarray], dtype: type) -> np.ndarray:
    """The pieces concatenated as ``dtype``, emptying the list (so the pieces can be freed)."""
    out: np.ndarray = np.concatenate(pieces).astype(dtype, copy=False) if pieces else np.zeros(0, dtype)
    pieces.clear()
    return out


def _csr_consuming(
    n: int,
    tails: list[np.ndarray],
    heads: list[np.ndarray],
    costs: list[np.ndarray],
    lens: list[np.ndarray],
    grps: list[np.ndarray],
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(indptr, indices, (base, length, group))`` as :func:`csr_from_arcs` sorts them, from arc pieces.

    The lists are emptied and each column is reordered and released before the next is joined:
    a terrain network has millions of arcs, so at most one unsorted column is held beside the
    sorted ones (the peak memory of building a foot network).
    """
    tail = _joined(tails, np.int64)
    order = np.argsort(tail, kind="stable")
    counts = np.bincount(tail, minlength=n)
    del tail
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = _joined(heads, np.int64)[order]
    base = _joined(costs, np.float64)[order]
    length = _joined(lens, np.float64)[order]
    group = _joined(grps, np.int64)[order]
    return indptr, indices, (base, length, group)


def seg_rid_in_node(n: int, na: np.ndarray, nb: np.ndarray, in_c: np.ndarray) -> bool:
    """True when node ``n`` is an end of a corridor segment (``in_c`` marks corridor segments)."""
    return bool(np.any(na[in_c] == n) or np.any(nb[in_c] == n))


def rid_at_vertex(vertex_roads: dict[int, set[str]], v: int) -> str:
    """The road a border crossing at vertex ``v`` lies on (the first id when several roads meet there)."""
    return sorted(vertex_roads.get(v, {""}))[0]


def checkpoint_mask(crossings: pd.DataFrame) -> np.ndarray:
    """Which features of a ``crossings`` layer are checkpoints (where a regime's delays are charged).

    A feature is a checkpoint when the layer's ``kind`` column says ``checkpoint``; without a
    ``kind`` column, every feature is one except those whose ``status`` is ``schematic`` (points the
    data builder generated where a schematic road meets the line: a geometric crossing, not a post).
    """
    n = len(crossings)
    mask: np.ndarray  # pandas is untyped here (no pandas-stubs): Series.to_numpy() comes back as Any
    if "kind" in crossings.columns:
        mask = crossings["kind"].astype(str).str.strip().str.lower().eq("checkpoint").to_numpy()
        return mask
    if "status" in crossings.columns:
        mask = ~crossings["status"].astype(str).str.strip().str.lower().eq("schematic").to_numpy()
        return mask
    return np.ones(n, np.bool_)


def _charge_once_per_post(
    grows: list[dict[str, Any]], c_ids: np.ndarray, cx: np.ndarray, cy: np.ndarray, vx: np.ndarray, vy: np.ndarray
) -> None:
    """Where a road meets the line several times within the match distance of one checkpoint, the
    delay is charged only at the intersection nearest the post (``checkpoint`` True there); the
    others keep the checkpoint's id and its open/closed rule without a delay (``at_post`` True), so
    a trip through the post is charged once."""
    pos = {str(c): k for k, c in enumerate(c_ids)}
    by_cid: dict[str, list[int]] = {}
    for i, row in enumerate(grows):
        if row.get("kind") == TRANSITION and row.get("checkpoint"):
            by_cid.setdefault(str(row["crossing_id"]), []).append(i)
    for cid, rows in by_cid.items():
        verts = sorted({int(grows[i]["vertex"]) for i in rows})
        if len(verts) < 2 or cid not in pos:
            continue
        k = pos[cid]
        nearest = min(verts, key=lambda v: (float(np.hypot(vx[v] - cx[k], vy[v] - cy[k])), v))
        for i in rows:
            if int(grows[i]["vertex"]) != nearest:
                grows[i]["checkpoint"] = False
                grows[i]["at_post"] = True
