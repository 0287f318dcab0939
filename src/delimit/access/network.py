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
* **Off-road travel (vehicle mode, AccessMod's mixed mode).** When the scenario carries land cover
  (the embedded dataset: MODIS MCD12C1 2019 with ``offroad_speeds.csv``), the vehicle network is
  joined to a terrain grid (1 km cells by default) whose cells cost the off-road pace of their
  land-cover class on their slope (:mod:`delimit.access.offroad`). Ordinary road segments are cut
  into pieces of at most one cell (the pieces keep the segment's group) and every road node joins
  the cell holding it, so a vehicle may leave or join a road wherever the road passes. Steps
  between cells of two parties are green-border crossings under the regime's rule for crossings
  away from a checkpoint, as on foot. Settlements farther than ``max_connector_m`` from a road of
  their own party start from their terrain cell. ``offroad=False`` builds the roads-only network.
* Every arc is stored in both directions with the same cost: the graph is undirected, so the
  engine solves from the targets outwards and a trip to the target costs what the way back costs.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from delimit.access.kernels import csr_from_arcs, dijkstra_csr
from delimit.access.offroad import classes_on_grid, offroad_pace, speed_table_summary
from delimit.access.speeds import RoadSpeeds, tobler_pace_symmetric
from delimit.crs import crs_description, metric_crs
from delimit.errors import InputError
from delimit.model.landcover import LandCover
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
    terrain: the terrain grid (foot mode, and vehicle mode with off-road travel) or None.
    notes: modelling notes (unmatched crossings, settlements off the network...).
    offroad: vehicle mode with off-road travel: the land cover, speed table, cell size and speeds
        used (for the outputs' assumptions); empty otherwise.
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
    offroad: dict[str, Any] = field(default_factory=dict)
    _to_metric: Transformer | None = field(default=None, repr=False)
    #: The latest solver results (see :meth:`shortest`), least recently used first.
    _solved: OrderedDict[bytes, tuple[np.ndarray, ...]] = field(default_factory=OrderedDict, repr=False)

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

        Vehicle mode: nearest road node of the point's party within ``max_connector_m`` (with
        off-road travel, else its terrain cell); foot mode: the terrain cell holding the point (or the nearest own-party passable cell within 3
        cells). Returns ``node`` (-1 if none), ``offset_s``, ``offset_m``.
        """
        x, y = self.to_metric(lon, lat)
        pidx = np.array([self.party_index(p) for p in party], dtype=np.int64)
        if self.terrain is not None and self.mode == "foot":
            return _attach_terrain(self.terrain, x, y, pidx)
        out = self._attach_road(x, y, pidx)
        far = np.flatnonzero(out["node"].to_numpy() < 0)
        if len(far) and self.terrain is not None:  # off-road travel: from the terrain cell
            cells = _attach_terrain(self.terrain, x[far], y[far], pidx[far])
            for col in ("node", "offset_s", "offset_m"):
                out.iloc[far, out.columns.get_loc(col)] = cells[col].to_numpy()
        return out

    def _attach_road(self, x: np.ndarray, y: np.ndarray, pidx: np.ndarray) -> pd.DataFrame:
        """Nearest road node of each metric point's party within ``max_connector_m`` (-1: none)."""
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
        """Run the exact multi-source solver (see :func:`delimit.access.solver.solve`).

        The solver is deterministic, so identical inputs on this network give identical results: the
        latest results (up to :data:`SOLVED_BYTES`) are kept, as read-only arrays, and an identical
        call is a look-up. Identical calls are common: two classes to which a regime charges the same
        costs (residents and citizens of one party under a closed border), the all-borders-open solve
        that explains why a settlement is unreachable (the same for every regime that closes no road),
        and a travel-time surface drawn from the solve that gave the travel times.
        """
        from delimit.access.solver import solve

        key = _solve_key(group_add, blocked, sources, offsets)
        hit = self._solved.get(key)
        if hit is not None:
            self._solved.move_to_end(key)
            return hit  # type: ignore[return-value]  # stored as the 4-tuple solve returned
        out = solve(self, group_add, blocked, sources, offsets)
        for a in out:
            a.setflags(write=False)
        self._solved[key] = out
        held = sum(a.nbytes for v in self._solved.values() for a in v)
        while len(self._solved) > 1 and held > SOLVED_BYTES:
            _k, old = self._solved.popitem(last=False)
            held -= sum(a.nbytes for a in old)
        return out


#: Bytes of solver results an :class:`AccessNetwork` keeps for identical calls (about 8 solves of the
#: Fergana vehicle network with off-road travel, 2 of its foot network; compare stays under 800 MB).
SOLVED_BYTES = 32 * 2**20


def _solve_key(group_add: np.ndarray, blocked: np.ndarray, sources: np.ndarray, offsets: np.ndarray) -> bytes:
    """A digest of one solver call's inputs (costs, node mask, sources and their offsets)."""
    import hashlib

    h = hashlib.blake2b(digest_size=32)
    for a, dtype in ((group_add, np.float64), (sources, np.int64), (offsets, np.float64)):
        arr = np.ascontiguousarray(a, dtype=dtype)
        h.update(repr(arr.shape).encode())
        h.update(arr.tobytes())
    mask = np.asarray(blocked, np.bool_)
    h.update(repr(mask.shape).encode())
    h.update(np.packbits(mask).tobytes())
    return h.digest()


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
    # the points in the tree, the polygons as queries: each polygon is prepared once (not once per point)
    ti, pi = shapely.STRtree(pts).query(geoms, predicate="intersects")
    parties = terr_m["party"].to_numpy()
    order = np.lexsort((ti, pi))  # by point, then by territory row: the first hit of each point wins
    first_pt, first = np.unique(pi[order], return_index=True)
    out[first_pt] = parties[ti[order][first]]
    missing = np.flatnonzero(out == "")
    if len(missing):
        near = tree.nearest(pts[missing])
        out[missing] = parties[near]
    return out


def _split_positions(line: shapely.LineString, extra: list[float]) -> np.ndarray:
    """Coordinates of ``line`` with points inserted at the given distances along it."""
    coords: np.ndarray = shapely.get_coordinates(line)
    if not extra:
        return coords
    seg = np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1]))
    cum = np.concatenate([[0.0], np.cumsum(seg)])
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


def build_terrain(
    scenario: Scenario, crs: CRS, parties: list[str], cell_m: float, landcover: LandCover | None = None
) -> TerrainGrid:
    """The terrain grid: DEM reprojected to ``crs`` at ``cell_m``, pace per cell, parties.

    The pace is Tobler's (foot) or, given ``landcover``, the off-road pace of the cell's land-cover
    class on its slope (:func:`delimit.access.offroad.offroad_pace`, vehicle classes off the road).
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
    if landcover is None:
        cost = tobler_pace_symmetric(slope)
    else:
        cost = offroad_pace(landcover, classes_on_grid(landcover, transform, crs, (nrows, ncols)), slope)
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


@dataclass
class _Arcs:
    """Arc pieces and group rows collected while the graph is built (joined once by :func:`_csr_consuming`)."""

    grows: list[dict[str, Any]] = field(default_factory=list)
    tails: list[np.ndarray] = field(default_factory=list)
    heads: list[np.ndarray] = field(default_factory=list)
    costs: list[np.ndarray] = field(default_factory=list)
    lens: list[np.ndarray] = field(default_factory=list)
    grps: list[np.ndarray] = field(default_factory=list)

    def add(self, tail: np.ndarray, head: np.ndarray, cost: np.ndarray, length: np.ndarray, grp: np.ndarray) -> None:
        """One piece of arcs (already in both directions where the caller wants both)."""
        self.tails.append(tail)
        self.heads.append(head)
        self.costs.append(cost)
        self.lens.append(length)
        self.grps.append(grp)


@dataclass
class _Segments:
    """Straight road pieces in metric coordinates: ends ``A``/``B``, road row and party per piece."""

    A: np.ndarray
    B: np.ndarray
    road: np.ndarray
    party: np.ndarray

    def __len__(self) -> int:
        return len(self.A)


@dataclass
class _Attachments:
    """Where each settlement meets its own party's nearest segment (vehicle mode; -1: none)."""

    seg: np.ndarray
    pt: np.ndarray
    dist: np.ndarray


@dataclass
class _RoadGraph:
    """Road vertices, the node copies per (vertex, label) and per-segment node ends and attributes."""

    vkeys: np.ndarray
    vx: np.ndarray
    vy: np.ndarray
    va: np.ndarray
    vb: np.ndarray
    seg_rid: np.ndarray
    seg_label_road: np.ndarray
    seg_pi: np.ndarray
    seg_len: np.ndarray
    seg_pace: np.ndarray
    na: np.ndarray
    nb: np.ndarray
    labels: dict[tuple[int, int, str], int]
    node_vertex: list[int]
    node_party: list[int]
    node_label: list[str]
    by_vertex: dict[int, list[int]]
    vertex_roads: dict[int, set[str]]
    # nodes inside long segments (off-road access points, vehicle networks with terrain): after the vertex nodes
    inner_x: list[float] = field(default_factory=list)
    inner_y: list[float] = field(default_factory=list)

    def node_xy(self) -> tuple[np.ndarray, np.ndarray]:
        """Metric coordinates of every road node (vertex nodes, then the inner access points)."""
        nv_nodes = len(self.node_vertex) - len(self.inner_x)
        idx = np.asarray(self.node_vertex[:nv_nodes], np.int64)
        x = np.concatenate([self.vx[idx] if nv_nodes else np.zeros(0), np.asarray(self.inner_x, float)])
        y = np.concatenate([self.vy[idx] if nv_nodes else np.zeros(0), np.asarray(self.inner_y, float)])
        return x, y

    @property
    def nv(self) -> int:
        return len(self.vkeys)

    @property
    def vlon(self) -> np.ndarray:
        return self.vkeys[:, 0] if self.nv else np.zeros(0)

    @property
    def vlat(self) -> np.ndarray:
        return self.vkeys[:, 1] if self.nv else np.zeros(0)


def _road_parts(roads_m: gpd.GeoDataFrame, boundary: Any) -> list[tuple[int, np.ndarray]]:
    """1. Road lines in metric coordinates, cut where they meet a party boundary: ``(road row, coords)``."""
    parts: list[tuple[int, np.ndarray]] = []
    lines, rows = _road_lines(roads_m)
    # one query of every line against short pieces of the boundary: only lines that meet it are intersected
    near: dict[int, list[int]] = {}
    pieces = np.zeros(0, dtype=object)
    if len(lines) and not boundary.is_empty:
        pieces = _boundary_pieces(boundary)
        li, pj = shapely.STRtree(pieces).query(lines, predicate="intersects")
        for a, b in zip(li.tolist(), pj.tolist(), strict=True):
            near.setdefault(a, []).append(b)
    for k, (i, line) in enumerate(zip(rows, lines, strict=True)):
        extra: list[float] = []
        if k in near:  # intersected with the pieces of the line it meets (the same points as with the whole line)
            hits = shapely.get_parts(shapely.intersection(line, shapely.multilinestrings(pieces[sorted(near[k])])))
            extra = [line.project(p) for p in hits if p.geom_type == "Point"]
            extra += [line.project(shapely.Point(c)) for h in hits if h.geom_type == "LineString" for c in h.coords]
        parts.append((int(i), _split_positions(line, extra)))
    return parts


def _boundary_pieces(boundary: Any, vertices: int = 32) -> np.ndarray:
    """The boundary cut into lines of at most ``vertices`` + 1 vertices (consecutive pieces share their
    end vertex, so together they cover exactly the boundary's segments); parts that are not lines as they are."""
    parts = shapely.get_parts(boundary)
    is_line = shapely.get_type_id(parts) == 1  # LineString
    xy, owner = shapely.get_coordinates(parts[is_line], return_index=True)
    lines = np.zeros(0, dtype=object)
    if len(owner):
        n = np.bincount(owner)  # vertices per line
        start = np.concatenate([[0], np.cumsum(n)[:-1]])
        count = np.maximum(1, -(-(n - 1) // vertices))  # ceil((n - 1) / vertices) pieces per line
        first_piece = np.concatenate([[0], np.cumsum(count)[:-1]])
        local = np.arange(len(owner)) - start[owner]
        piece = np.minimum(local // vertices, count[owner] - 1) + first_piece[owner]
        shared = (local % vertices == 0) & (local > 0) & (local < n[owner] - 1)  # one piece's end, the next's start
        at = np.concatenate([np.arange(len(owner)), np.flatnonzero(shared)])
        of = np.concatenate([piece, piece[shared] - 1])
        order = np.lexsort((at, of))
        lines = shapely.linestrings(xy[at[order]], indices=of[order])
    return np.concatenate([lines, parts[~is_line]]).astype(object)


def _road_lines(roads_m: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The non-empty LineStrings of each road (a MultiLineString merged first) and their road rows, in order."""
    lines: list[Any] = []
    rows: list[int] = []
    for i, g in enumerate(roads_m.geometry.values if len(roads_m) else []):
        if g is None or g.is_empty:
            continue
        for line in shapely.get_parts(shapely.line_merge(g) if g.geom_type == "MultiLineString" else g):
            if line.geom_type == "LineString" and line.length > 0:
                lines.append(line)
                rows.append(i)
    out = np.empty(len(lines), dtype=object)
    out[:] = lines
    return out, np.asarray(rows, np.int64)


def _segments_of(parts: list[tuple[int, np.ndarray]], terr_m: gpd.GeoDataFrame) -> _Segments:
    """2. Straight segments of the road parts and the party holding each one's midpoint."""
    seg_road, seg_a, seg_b = [], [], []
    for ri, coords in parts:
        c = np.asarray(coords, dtype=float).reshape(-1, 2)
        a, b = c[:-1], c[1:]
        keep = np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]) >= 1e-6  # drop zero-length pieces
        seg_a.append(a[keep])
        seg_b.append(b[keep])
        seg_road.append(np.full(int(keep.sum()), ri, np.int64))
    A = np.concatenate(seg_a) if seg_a else np.zeros((0, 2))
    B = np.concatenate(seg_b) if seg_b else np.zeros((0, 2))
    mid = (A + B) / 2
    party = _parties_of_points(mid[:, 0], mid[:, 1], terr_m) if len(A) else np.zeros(0, dtype=object)
    return _Segments(A, B, np.concatenate(seg_road) if seg_road else np.zeros(0, np.int64), party)


def _attach_to_segments(
    segs: _Segments, sx: np.ndarray, sy: np.ndarray, s_party: np.ndarray, max_m: float
) -> tuple[_Segments, _Attachments]:
    """3. Each settlement's nearest own-party segment within ``max_m`` (metres), the segments cut there."""
    n = len(sx)
    att = _Attachments(np.full(n, -1, np.int64), np.zeros((n, 2)), np.full(n, np.inf))
    if not (len(segs) and n):
        return segs, att
    seg_lines = shapely.linestrings(np.stack([segs.A, segs.B], axis=1))
    tree = shapely.STRtree(seg_lines)
    pts = shapely.points(sx, sy)
    pi, si = tree.query(pts, predicate="dwithin", distance=max_m)
    d = shapely.distance(pts[pi], seg_lines[si]) if len(pi) else np.zeros(0)
    ok = segs.party[si] == s_party[pi] if len(pi) else np.zeros(0, bool)
    for p, s_, dd in sorted(zip(pi[ok], si[ok], d[ok], strict=True), key=lambda t: (t[0], t[2], t[1])):
        if att.seg[p] < 0:
            att.seg[p] = s_
            att.dist[p] = dd
            proj = seg_lines[s_].interpolate(seg_lines[s_].project(pts[p]))
            att.pt[p] = np.asarray(proj.coords[0])[:2]
    cuts: dict[int, list[np.ndarray]] = {}
    for p in np.flatnonzero(att.seg >= 0):
        cuts.setdefault(int(att.seg[p]), []).append(att.pt[p])
    if not cuts:
        return segs, att
    newA, newB, newR, newP = [], [], [], []
    for s_ in range(len(segs)):
        a_, b_ = segs.A[s_], segs.B[s_]
        pts_s = [a_]
        if s_ in cuts:
            L = np.hypot(*(b_ - a_))
            inner = sorted({round(float(np.hypot(*(q - a_))), 4) for q in cuts[s_]})
            for t in inner:
                if 0.5 < t < L - 0.5:
                    pts_s.append(a_ + (b_ - a_) * (t / L))
        pts_s.append(b_)
        for k in range(len(pts_s) - 1):
            newA.append(pts_s[k])
            newB.append(pts_s[k + 1])
            newR.append(segs.road[s_])
            newP.append(segs.party[s_])
    cut = _Segments(
        np.asarray(newA), np.asarray(newB), np.asarray(newR, dtype=np.int64), np.asarray(newP, dtype=object)
    )
    return cut, att


def _road_graph(
    segs: _Segments,
    roads: gpd.GeoDataFrame,
    parties: list[str],
    special: set[str],
    speeds: RoadSpeeds,
    mode: Mode,
    to_ll: Transformer,
) -> _RoadGraph:
    """4. Vertices (ends matched to 1e-7 degree) and one node per (vertex, party, special road) label."""
    A, B = segs.A, segs.B
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
    vx, vy = np.zeros(nv), np.zeros(nv)
    vx[vinv] = allxy[:, 0]
    vy[vinv] = allxy[:, 1]
    va, vb = vinv[:nseg], vinv[nseg:]
    road_ids = roads["road_id"].astype(str).to_numpy() if len(roads) else np.zeros(0, dtype=object)
    road_class = roads["road_class"].astype(str).to_numpy() if len(roads) else np.zeros(0, dtype=object)
    seg_rid = road_ids[segs.road] if nseg else np.zeros(0, dtype=object)
    seg_label_road = np.array([r if r in special else "" for r in seg_rid], dtype=object)
    pidx = {p: i for i, p in enumerate(parties)}
    seg_pi = np.array([pidx.get(str(p), -1) for p in segs.party], dtype=np.int64)
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
    nb = np.array([node_of(int(vb[s]), int(seg_pi[s]), seg_label_road[s]) for s in range(nseg)], dtype=np.int64)
    by_vertex: dict[int, list[int]] = {}
    for (v, _p, _r), n in labels.items():
        by_vertex.setdefault(v, []).append(n)
    vertex_roads: dict[int, set[str]] = {}
    for s in range(nseg):
        vertex_roads.setdefault(int(va[s]), set()).add(str(seg_rid[s]))
        vertex_roads.setdefault(int(vb[s]), set()).add(str(seg_rid[s]))
    seg_len = np.hypot(B[:, 0] - A[:, 0], B[:, 1] - A[:, 1]) if nseg else np.zeros(0)
    seg_pace = np.array([speeds.seconds_per_metre(road_class[r], mode) for r in segs.road]) if nseg else np.zeros(0)
    return _RoadGraph(
        vkeys, vx, vy, va, vb, seg_rid, seg_label_road, seg_pi, seg_len, seg_pace, na, nb,
        labels, node_vertex, node_party, node_label, by_vertex, vertex_roads,
    )  # fmt: skip


def _segment_arcs(
    rg: _RoadGraph,
    segs: _Segments,
    roads: gpd.GeoDataFrame,
    to_ll: Transformer,
    arcs: _Arcs,
    split_m: float | None = None,
) -> None:
    """Road segment arcs (both directions), one group per segment named ``<road_id>#<k>``.

    ``split_m``: cut ordinary segments into pieces of at most this length (see :func:`_split_segments`).
    """
    nseg = len(segs)
    if not nseg:
        return
    road_class = roads["road_class"].astype(str).to_numpy()
    mlon_a, mlat_a = to_ll.transform((segs.A[:, 0] + segs.B[:, 0]) / 2, (segs.A[:, 1] + segs.B[:, 1]) / 2)
    mlon_a, mlat_a = np.asarray(mlon_a), np.asarray(mlat_a)
    counter: dict[str, int] = {}
    for s in range(nseg):
        rid = str(rg.seg_rid[s])
        counter[rid] = counter.get(rid, 0) + 1
        arcs.grows.append(
            {
                "kind": SEGMENT,
                "road_id": rid,
                "road_class": str(road_class[segs.road[s]]),
                "segment": f"{rid}#{counter[rid]}",
                "party_a": int(rg.seg_pi[s]),
                "party_b": int(rg.seg_pi[s]),
                "label_road_a": rg.seg_label_road[s],
                "label_road_b": rg.seg_label_road[s],
                "vertex": -1,
                "lon": float(mlon_a[s]),
                "lat": float(mlat_a[s]),
            }
        )
    g = np.arange(nseg, dtype=np.int64)
    w = rg.seg_len * rg.seg_pace
    if split_m is None:
        arcs.add(rg.na, rg.nb, w, rg.seg_len, g)
        arcs.add(rg.nb, rg.na, w, rg.seg_len, g)
        return
    tails, heads, ws, ls, gs = _split_segments(rg, segs, split_m)
    arcs.add(tails, heads, ws, ls, gs)
    arcs.add(heads, tails, ws, ls, gs)


def _split_segments(
    rg: _RoadGraph, segs: _Segments, split_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Arcs of each segment cut into pieces of at most ``split_m`` metres (one direction).

    The pieces keep their segment's group (a closure still closes the whole segment); the inner
    points become road nodes of the segment's party and label (appended to ``rg``), so a vehicle
    can leave or join an ordinary road wherever the road passes a terrain cell, as on AccessMod's
    rasterised roads, not only at road vertices.
    """
    tails, heads, ws, ls, gs = [], [], [], [], []
    for s in range(len(segs)):
        k = max(1, int(np.ceil(rg.seg_len[s] / split_m))) if rg.seg_label_road[s] == "" else 1
        chain = [int(rg.na[s])]
        for j in range(1, k):
            p = segs.A[s] + (segs.B[s] - segs.A[s]) * (j / k)
            chain.append(len(rg.node_vertex))
            rg.node_vertex.append(-1)
            rg.node_party.append(int(rg.seg_pi[s]))
            rg.node_label.append("")
            rg.inner_x.append(float(p[0]))
            rg.inner_y.append(float(p[1]))
        chain.append(int(rg.nb[s]))
        piece = rg.seg_len[s] / k
        for j in range(k):
            tails.append(chain[j])
            heads.append(chain[j + 1])
            ws.append(piece * rg.seg_pace[s])
            ls.append(piece)
            gs.append(s)
    return (
        np.asarray(tails, np.int64),
        np.asarray(heads, np.int64),
        np.asarray(ws, float),
        np.asarray(ls, float),
        np.asarray(gs, np.int64),
    )


def _crossing_points(
    scenario: Scenario, to_m: Transformer
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[set[str]], np.ndarray]:
    """The ``crossings`` layer in metric coordinates: ``(x, y, ids, party pairs, checkpoint mask)``."""
    cross = scenario.crossings
    if not len(cross):
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=object), [], np.zeros(0, np.bool_)
    cx, cy = to_m.transform(cross.geometry.x.to_numpy(), cross.geometry.y.to_numpy())
    c_ids = cross["crossing_id"].astype(str).to_numpy()
    c_parties = [
        set(p for p in str(v).replace(",", "-").split("-") if p)
        for v in cross.get("parties", pd.Series([""] * len(cross)))
    ]
    return np.asarray(cx), np.asarray(cy), c_ids, c_parties, checkpoint_mask(cross)


def _transitions(
    rg: _RoadGraph, scenario: Scenario, parties: list[str], speeds: RoadSpeeds, to_m: Transformer, arcs: _Arcs
) -> list[str]:
    """5. Zero-length transitions between the labels of a vertex; named crossings matched by distance.

    Returns the modelling notes (crossings of the layer that match no road/border intersection).
    """
    cx, cy, c_ids, c_parties, c_checkpoint = _crossing_points(scenario, to_m)
    matched: set[str] = set()
    unnamed_count: dict[str, int] = {}
    t_tail, t_head, t_grp = [], [], []
    for v, ns in sorted(rg.by_vertex.items()):
        if len(ns) < 2:
            continue
        if len(cx):
            d = np.hypot(cx - rg.vx[v], cy - rg.vy[v])
            order = np.argsort(d)
        for i in range(len(ns)):
            for j in range(i + 1, len(ns)):
                a, b = ns[i], ns[j]
                pa, pb = rg.node_party[a], rg.node_party[b]
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
                        rid = sorted(rg.vertex_roads.get(v, {"road"}))[0]
                        unnamed_count[rid] = unnamed_count.get(rid, 0) + 1
                        cid = f"unnamed:{rid}:{unnamed_count[rid]}"
                gi = len(arcs.grows)
                arcs.grows.append(
                    {
                        "kind": TRANSITION,
                        "road_class": "",
                        "segment": "",
                        "crossing_id": cid,
                        "named": named,
                        "checkpoint": is_cp,
                        "road_id": rid_at_vertex(rg.vertex_roads, v) if pa != pb else "",
                        "party_a": pa,
                        "party_b": pb,
                        "label_road_a": rg.node_label[a],
                        "label_road_b": rg.node_label[b],
                        "vertex": v,
                        "lon": float(rg.vlon[v]),
                        "lat": float(rg.vlat[v]),
                    }
                )
                t_tail += [a, b]
                t_head += [b, a]
                t_grp += [gi, gi]
    if t_tail:
        zeros = np.zeros(len(t_tail))
        arcs.add(
            np.asarray(t_tail, np.int64), np.asarray(t_head, np.int64), zeros, zeros.copy(), np.asarray(t_grp, np.int64)
        )
    _charge_once_per_post(arcs.grows, c_ids, cx, cy, rg.vx, rg.vy)
    unmatched = sorted(set(map(str, c_ids)) - matched)
    if not unmatched:
        return []
    return [
        f"{len(unmatched)} named crossing(s) lie more than {speeds.crossing_match_m:g} m from every road/border intersection "
        f"and are not used: {', '.join(unmatched[:8])}{'...' if len(unmatched) > 8 else ''}"
    ]


def _corridor_drives(
    rg: _RoadGraph, in_c: np.ndarray, roads: tuple[str, ...] | list[str], sources: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Fastest drive (s, m) from ``sources`` to every road node along the corridor's own segments only.

    The corridor's nodes at one vertex (e.g. where it crosses a border) are joined at no cost:
    inside a sealed corridor there are no formalities.
    """
    n_road_nodes = len(rg.node_vertex)
    cv = set(rg.va[in_c].tolist()) | set(rg.vb[in_c].tolist())
    jt, jh = [], []
    for v in cv:
        ns = [n for n in rg.by_vertex[v] if rg.node_label[n] in roads]
        for a_ in ns:
            for b_ in ns:
                if a_ != b_:
                    jt.append(a_)
                    jh.append(b_)
    seg_base = rg.seg_len * rg.seg_pace
    ip, ix, (w, ln), _ = csr_from_arcs(
        n_road_nodes,
        np.concatenate([rg.na[in_c], rg.nb[in_c], np.asarray(jt, np.int64)]),
        np.concatenate([rg.nb[in_c], rg.na[in_c], np.asarray(jh, np.int64)]),
        np.concatenate([seg_base[in_c], seg_base[in_c], np.zeros(len(jt))]),
        np.concatenate([rg.seg_len[in_c], rg.seg_len[in_c], np.zeros(len(jt))]),
    )
    gz = np.full(len(ix), -1, np.int64)
    dist, met, _o, _pred = dijkstra_csr(
        ip, ix, w, ln, gz, np.zeros(0), np.zeros(n_road_nodes, np.bool_), sources, np.zeros(len(sources))
    )
    return dist, met


def _sealed_corridors(rg: _RoadGraph, scenario: Scenario, arcs: _Arcs) -> list[str]:
    """6. Sealed transit corridors: shortcut arcs between the corridor's ends (returns notes)."""
    notes: list[str] = []
    nseg = len(rg.seg_rid)
    for regime in scenario.regimes.values():
        for tc in regime.transit:
            if tc.kind != "sealed":
                continue
            in_c = np.isin(rg.seg_rid, list(tc.roads)) if nseg else np.zeros(0, bool)
            if not in_c.any():
                continue
            cv = set(rg.va[in_c].tolist()) | set(rg.vb[in_c].tolist())
            outside_v = set(rg.va[~in_c].tolist()) | set(rg.vb[~in_c].tolist())
            ends = sorted(v for v in cv if v in outside_v)
            if len(ends) < 2:
                notes.append(
                    f"sealed transit {tc.id!r} of regime {regime.id!r} has fewer than two ends on other roads; not modelled"
                )
                continue
            corridor_nodes = {v: [n for n in rg.by_vertex[v] if rg.node_label[n] not in tc.roads] for v in ends}
            corridor_in = {
                v: [
                    n for n in rg.by_vertex[v] if rg.node_label[n] in tc.roads or seg_rid_in_node(n, rg.na, rg.nb, in_c)
                ]
                for v in ends
            }
            for ei, ev in enumerate(ends):
                srcs = np.asarray(corridor_in[ev], np.int64)
                if not len(srcs):
                    continue
                dist, met = _corridor_drives(rg, in_c, tc.roads, srcs)
                for ej, fv in enumerate(ends):
                    if ej <= ei or not corridor_in[fv]:
                        continue
                    k = min(corridor_in[fv], key=lambda n: dist[n])
                    if not np.isfinite(dist[k]):
                        continue
                    gi = len(arcs.grows)
                    arcs.grows.append(
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
                            "lon": float(rg.vlon[ev]),
                            "lat": float(rg.vlat[ev]),
                            "regime": regime.id,
                            "transit": tc.id,
                            "classes": ",".join(tc.classes),
                            "seconds": float(dist[k]),
                            "max_minutes": float(tc.max_minutes) if tc.max_minutes else np.inf,
                        }
                    )
                    for a in corridor_nodes[ev]:
                        for b in corridor_nodes[fv]:
                            arcs.add(
                                np.array([a, b], np.int64),
                                np.array([b, a], np.int64),
                                np.array([float(dist[k])] * 2),
                                np.array([float(met[k])] * 2),
                                np.array([gi, gi], np.int64),
                            )
    return notes


def _green_groups(tpa: np.ndarray, tpb: np.ndarray, parties: list[str], arcs: _Arcs) -> np.ndarray:
    """Group id per terrain arc: one ``green`` group per pair of parties a step crosses between, else -1."""
    green_key = np.minimum(tpa, tpb) * (len(parties) + 1) + np.maximum(tpa, tpb)
    diff = tpa != tpb
    tg = np.full(len(tpa), -1, np.int64)
    for key_ in np.unique(green_key[diff]):
        p, q = divmod(int(key_), len(parties) + 1)
        gi = len(arcs.grows)
        arcs.grows.append(
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
    return tg


def _road_cell_links(
    tgrid: TerrainGrid,
    node_x: np.ndarray,
    node_y: np.ndarray,
    node_party: np.ndarray,
    node_label: list[str],
    arcs: _Arcs,
) -> None:
    """Road nodes <-> the terrain cell holding them (same party, ordinary labels only), at the cell's pace."""
    if not len(node_x):
        return
    nr, nc = tgrid.shape
    rr, cc = tgrid.cell_of(node_x, node_y)
    inside = (rr >= 0) & (rr < nr) & (cc >= 0) & (cc < nc)
    rr_c, cc_c = np.clip(rr, 0, nr - 1), np.clip(cc, 0, nc - 1)
    ok = (
        inside
        & np.isfinite(tgrid.cost[rr_c, cc_c])
        & (tgrid.party[rr_c, cc_c] == node_party)
        & (np.asarray(node_label, dtype=object) == "")
    )
    ids = np.flatnonzero(ok)
    cxm, cym = tgrid.centre(rr_c[ids], cc_c[ids])
    dd = np.hypot(cxm - node_x[ids], cym - node_y[ids])
    cell = tgrid.node0 + rr_c[ids] * nc + cc_c[ids]
    w = dd * tgrid.cost[rr_c[ids], cc_c[ids]]
    none = np.full(len(ids), -1, np.int64)
    arcs.add(ids, cell, w, dd, none)
    arcs.add(cell, ids, w, dd, none)


def _add_terrain(
    scenario: Scenario,
    crs: CRS,
    parties: list[str],
    cell_m: float,
    rg: _RoadGraph,
    arcs: _Arcs,
    landcover: LandCover | None = None,
) -> tuple[TerrainGrid, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """7. The terrain grid, its arcs and green-border groups, and the road-cell links.

    Returns ``(grid, node_x, node_y, node_vertex, node_party)`` over road nodes then cells.
    """
    n_road_nodes = len(rg.node_vertex)
    node_vertex = np.asarray(rg.node_vertex, np.int64)
    node_party = np.asarray(rg.node_party, np.int64)
    node_x, node_y = rg.node_xy()
    tgrid = build_terrain(scenario, crs, parties, cell_m, landcover)
    tgrid.node0 = n_road_nodes
    nr, nc = tgrid.shape
    tt, th, tc_, tl, tpa, tpb = _terrain_arcs(tgrid, parties)
    tg = _green_groups(tpa, tpb, parties, arcs)
    arcs.add(tt, th, tc_, tl, tg)
    del tt, th, tc_, tl, tg, tpa, tpb  # the lists hold the arcs; no second reference
    _road_cell_links(tgrid, node_x, node_y, node_party, rg.node_label, arcs)
    cxs, cys = tgrid.centre(*np.divmod(np.arange(nr * nc), nc))
    return (
        tgrid,
        np.concatenate([node_x, cxs]),
        np.concatenate([node_y, cys]),
        np.concatenate([node_vertex, np.full(nr * nc, -1, np.int64)]),
        np.concatenate([node_party, tgrid.party.ravel()]),
    )


#: Columns of ``AccessNetwork.groups`` and their defaults where a kind of group does not set them.
_GROUP_DEFAULTS: tuple[tuple[str, Any], ...] = (
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
)


def _groups_frame(grows: list[dict[str, Any]]) -> pd.DataFrame:
    """The groups table with every column present (see :class:`AccessNetwork`)."""
    groups = pd.DataFrame(grows)
    for col, default in _GROUP_DEFAULTS:
        if col not in groups.columns:
            groups[col] = default
        groups[col] = groups[col].fillna(default) if default != np.nan else groups[col]
    for col in ("named", "checkpoint", "at_post"):
        groups[col] = groups[col].astype(bool)
    return groups


def _vertices_frame(rg: _RoadGraph) -> pd.DataFrame:
    """One row per road vertex: ``vertex_id, lon, lat, roads, degree``."""
    nv = rg.nv
    return pd.DataFrame(
        {
            "vertex_id": [f"v{i}" for i in range(nv)],
            "lon": rg.vlon,
            "lat": rg.vlat,
            "roads": [",".join(sorted(rg.vertex_roads.get(i, set()))) for i in range(nv)],
            "degree": np.bincount(np.concatenate([rg.va, rg.vb]), minlength=nv) if nv else np.zeros(0, np.int64),
        }
    )


def _vehicle_attach(
    rg: _RoadGraph,
    att: _Attachments,
    s_party: np.ndarray,
    pidx: dict[str, int],
    speeds: RoadSpeeds,
    to_ll: Transformer,
    index: pd.Index,
) -> tuple[pd.DataFrame, int]:
    """8. (vehicle) Each settlement's road node, connector walk (s, m); and how many are off the network."""
    node_arr = np.full(len(s_party), -1, np.int64)
    off_m = np.full(len(s_party), np.inf)
    for p in np.flatnonzero(att.seg >= 0):
        lo, la = to_ll.transform(att.pt[p, 0], att.pt[p, 1])
        ll_key = (round(float(lo), 7), round(float(la), 7))
        vi = np.flatnonzero((rg.vkeys[:, 0] == ll_key[0]) & (rg.vkeys[:, 1] == ll_key[1]))
        if not len(vi):
            d = np.hypot(rg.vx - att.pt[p, 0], rg.vy - att.pt[p, 1])
            vi = np.array([int(np.argmin(d))])
        want = pidx.get(str(s_party[p]), -2)
        cands = [n for n in rg.by_vertex.get(int(vi[0]), []) if rg.node_party[n] == want]
        if cands:
            node_arr[p] = cands[0]
            off_m[p] = att.dist[p] + float(np.hypot(rg.vx[vi[0]] - att.pt[p, 0], rg.vy[vi[0]] - att.pt[p, 1]))
    frame = pd.DataFrame(
        {
            "node": node_arr,
            "offset_s": np.where(node_arr >= 0, off_m * 3.6 / speeds.connector, np.inf),
            "offset_m": off_m,
        },
        index=index,
    )
    return frame, int((node_arr < 0).sum())


def _settlement_attach(
    net: AccessNetwork,
    rg: _RoadGraph,
    att: _Attachments,
    sx: np.ndarray,
    sy: np.ndarray,
    s_party: np.ndarray,
    to_ll: Transformer,
    index: pd.Index,
) -> pd.DataFrame:
    """8. Settlement attachments: the road connector (vehicle) or the terrain cell (foot); notes the off-network count."""
    pidx = {p: i for i, p in enumerate(net.parties)}
    if net.mode == "vehicle":
        frame, off = _vehicle_attach(rg, att, s_party, pidx, net.speeds, to_ll, index)
        far = np.flatnonzero(frame["node"].to_numpy() < 0)
        if len(far) and net.terrain is not None:  # off-road travel: they start from their terrain cell
            cells = _attach_terrain(
                net.terrain, sx[far], sy[far], np.array([pidx.get(str(s_party[i]), -1) for i in far])
            )
            for col in ("node", "offset_s", "offset_m"):
                frame.iloc[far, frame.columns.get_loc(col)] = cells[col].to_numpy()
            net.notes.append(
                f"{off} of {len(s_party)} settlements lie more than {net.speeds.max_connector_m / 1000:g} km from every road of their own party: they start off-road, from their terrain cell"
            )
            off = int((frame["node"].to_numpy() < 0).sum())
            if off:
                net.notes.append(
                    f"{off} settlements have no passable terrain cell of their own party nearby: off the network"
                )
        elif off:
            net.notes.append(
                f"{off} of {len(s_party)} settlements lie more than {net.speeds.max_connector_m / 1000:g} km from every road of their own party: off the road network in the vehicle mode"
            )
        return frame
    if net.terrain is not None:
        frame = _attach_terrain(net.terrain, sx, sy, np.array([pidx.get(str(p), -1) for p in s_party], np.int64))
        frame.index = index
        return frame
    return pd.DataFrame({"node": np.full(len(s_party), -1)}, index=index)


#: Default cell size (m) of the off-road grid of a vehicle network: the land cover's cells are 0.05
#: degree (about 4-5 km), the DEM's 15 arc-seconds (about 360-460 m); 1 km keeps slopes and the
#: whole window (about 125,000 cells) fast to solve for every regime and class.
OFFROAD_CELL_M = 1000.0


def _offroad_record(lc: LandCover, cell_m: float) -> dict[str, Any]:
    """What an output says about the off-road model it used."""
    return {
        "landcover": lc.raster.source or "land cover raster",
        "speed_table": PurePath(lc.table_path).name,  # the file's name: no machine path in an output
        "cell_m": float(cell_m),
        "speeds_kmh": speed_table_summary(lc),
    }


def _offroad_landcover(scenario: Scenario, mode: Mode, offroad: bool | None) -> LandCover | None:
    """The land cover a vehicle network's off-road grid uses (None: roads only, or foot mode)."""
    if mode != "vehicle" or offroad is False:
        return None
    lc = scenario.landcover
    if lc is None and offroad:
        raise InputError(
            scenario.name, "off-road travel needs land cover (the scenario's dataset has none)", field="offroad"
        )
    if lc is not None and scenario.elevation is None:
        if offroad:
            raise InputError(scenario.name, "off-road travel needs an elevation model (slopes)", field="elevation")
        return None
    return lc


def _check_build_args(scenario: Scenario, mode: str) -> None:
    """Refuse a scenario without land and an unknown travel mode (:class:`InputError`)."""
    if len(scenario.territory) == 0:
        raise InputError(
            scenario.name, "the territory layer holds no land (no features): no network to build", field="territory"
        )
    if mode not in ("vehicle", "foot"):
        raise InputError(scenario.name, f"unknown mode {mode!r} (vehicle or foot)", field="mode")


def build_network(
    scenario: Scenario,
    *,
    mode: Mode = "vehicle",
    speeds: RoadSpeeds | None = None,
    terrain: bool | None = None,
    cell_m: float | None = None,
    offroad: bool | None = None,
    progress: ProgressFn | None = None,
) -> AccessNetwork:
    """Build the access graph of ``scenario`` for ``mode`` (see the module docstring for the model).

    Parameters
    ----------
    scenario: the scenario (roads, territory, crossings, settlements, regimes, elevation).
    mode: ``vehicle`` (roads at road-class speeds, walking connectors) or ``foot`` (roads at
        walking speed plus terrain).
    speeds: the speed assumptions (default :class:`RoadSpeeds`).
    terrain: include the terrain grid (default: in foot mode, and in vehicle mode with off-road travel).
    cell_m: terrain cell size (metres; default 500 on foot, :data:`OFFROAD_CELL_M` off the road).
    offroad: vehicle mode only: join the road graph to the terrain graph, whose cells are crossed at
        the off-road speed of their land cover and slope (:mod:`delimit.access.offroad`); default:
        when the scenario has land cover. Settlements farther than ``max_connector_m`` from a road
        of their own party then start from their terrain cell.
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
    _check_build_args(scenario, mode)
    speeds = speeds or RoadSpeeds()
    landcover = _offroad_landcover(scenario, mode, offroad)
    use_terrain = (mode == "foot" or landcover is not None) if terrain is None else bool(terrain)
    cell_m = float(cell_m) if cell_m is not None else (OFFROAD_CELL_M if landcover is not None else 500.0)
    report = progress or (lambda _m, _f: None)
    report("roads", 0.0)
    window = scenario.window if len(scenario.window) else scenario.territory
    crs = metric_crs(tuple(window.total_bounds))
    parties = sorted(set(scenario.territory["party"].astype(str)) | set(scenario.parties))
    terr_m = scenario.territory.to_crs(crs)
    to_m = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    roads = scenario.roads
    roads_m = roads.to_crs(crs) if len(roads) else roads
    boundary = shapely.union_all(terr_m.boundary.values) if len(terr_m) else shapely.LineString()

    segs = _segments_of(_road_parts(roads_m, boundary), terr_m)
    settle = scenario.settlements
    sxy = to_m.transform(settle.geometry.x.to_numpy(), settle.geometry.y.to_numpy()) if len(settle) else ([], [])
    sx, sy = np.asarray(sxy[0], float), np.asarray(sxy[1], float)
    s_party = settle["party"].astype(str).to_numpy() if len(settle) else np.zeros(0, dtype=object)
    if mode == "vehicle":
        segs, att = _attach_to_segments(segs, sx, sy, s_party, speeds.max_connector_m)
    else:
        att = _Attachments(np.full(len(settle), -1, np.int64), np.zeros((len(settle), 2)), np.full(len(settle), np.inf))
    report("roads", 0.3)

    rg = _road_graph(segs, roads, parties, _special_roads(scenario), speeds, mode, to_ll)
    arcs = _Arcs()
    _segment_arcs(rg, segs, roads, to_ll, arcs, cell_m if (use_terrain and mode == "vehicle") else None)
    notes = _transitions(rg, scenario, parties, speeds, to_m, arcs)
    report("crossings", 0.5)
    notes += _sealed_corridors(rg, scenario, arcs)

    tgrid: TerrainGrid | None = None
    n_total = len(rg.node_vertex)
    if use_terrain:
        report("terrain", 0.55)
        tgrid, node_x, node_y, node_vertex_a, node_party_a = _add_terrain(
            scenario, crs, parties, cell_m, rg, arcs, landcover
        )
        n_total += tgrid.shape[0] * tgrid.shape[1]
    else:
        node_vertex_a = np.asarray(rg.node_vertex, np.int64)
        node_party_a = np.asarray(rg.node_party, np.int64)
        node_x = rg.vx[node_vertex_a] if n_total else np.zeros(0)
        node_y = rg.vy[node_vertex_a] if n_total else np.zeros(0)
    report("graph", 0.8)

    indptr, indices, (base, length, group) = _csr_consuming(
        n_total, arcs.tails, arcs.heads, arcs.costs, arcs.lens, arcs.grps
    )
    nlon, nlat = to_ll.transform(node_x, node_y) if n_total else (np.zeros(0), np.zeros(0))
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
        vertices=_vertices_frame(rg),
        groups=_groups_frame(arcs.grows),
        attach=pd.DataFrame({"node": np.zeros(0, np.int64)}),
        terrain=tgrid,
        notes=notes,
        offroad={} if landcover is None else _offroad_record(landcover, cell_m),
    )
    net.attach = _settlement_attach(net, rg, att, sx, sy, s_party, to_ll, settle.index)
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


# ----------------------------------------------------------------------------- the network cache


def _hash_frame(h: Any, gdf: pd.DataFrame) -> None:
    """Feed a (Geo)DataFrame's geometry (WKB) and its other columns (as text) to the hash ``h``."""
    if isinstance(gdf, gpd.GeoDataFrame) and gdf.geometry.name in gdf.columns:
        h.update(b"".join(shapely.to_wkb(gdf.geometry.values, hex=False).tolist()))
        gdf = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    h.update(gdf.to_csv(index=True).encode())


def _hash_raster(h: Any, raster: Any) -> None:
    """Feed a raster's cells, transform, CRS and nodata to the hash ``h`` (nothing for None)."""
    if raster is None:
        h.update(b"-")
        return
    h.update(np.ascontiguousarray(raster.data).tobytes())
    h.update(repr((tuple(raster.transform), str(raster.crs), raster.nodata, raster.data.dtype.str)).encode())


def network_key(
    scenario: Scenario,
    mode: Mode = "vehicle",
    *,
    speeds: RoadSpeeds | None = None,
    terrain: bool | None = None,
    cell_m: float | None = None,
    offroad: bool | None = None,
) -> str:
    """A digest of everything :func:`build_network` reads for these arguments.

    The scenario's name, layers (territory, roads, crossings, settlements, water bodies, window),
    parties, regimes (their neutral roads and transit corridors shape the graph), elevation model and
    land cover, and the build options. Two calls with the same key build identical networks.
    """
    import hashlib

    # the options as build_network resolves them (offroad None and True build the same network with land cover)
    _check_build_args(scenario, mode)
    lc = _offroad_landcover(scenario, mode, offroad)
    use_terrain = (mode == "foot" or lc is not None) if terrain is None else bool(terrain)
    cell = float(cell_m) if cell_m is not None else (OFFROAD_CELL_M if lc is not None else 500.0)
    h = hashlib.blake2b(digest_size=16)
    h.update(
        repr((scenario.name, mode, use_terrain, cell, lc is not None, (speeds or RoadSpeeds()).as_dict())).encode()
    )
    h.update(repr(sorted(scenario.parties)).encode())
    for gdf in (
        scenario.territory,
        scenario.roads,
        scenario.crossings,
        scenario.settlements,
        scenario.water_bodies,
        scenario.window,
    ):
        _hash_frame(h, gdf)
    for rid in sorted(scenario.regimes):
        h.update(scenario.regimes[rid].model_dump_json().encode())
    _hash_raster(h, scenario.elevation if use_terrain else None)
    _hash_raster(h, None if lc is None else lc.raster)
    if lc is not None:
        _hash_frame(h, lc.speeds)
        h.update(str(lc.table_path).encode())
    return h.hexdigest()


class NetworkCache:
    """Access networks built once and shared by every computation that needs them.

    ``get(scenario, mode, offroad=...)`` returns the network :func:`build_network` would build for
    those arguments, building it on the first call only: every regime, class, closure, surface,
    comparison and report figure of a scenario then runs on one graph per (mode, off-road setting).
    Entries are keyed by :func:`network_key` (the content of what the build reads, so an edited
    scenario of the same name gets a new network). ``release(scenario, mode)`` frees a scenario's
    networks of one mode (a foot network holds about 200 MB on the Fergana data). ``build`` is the
    function that builds a missing network (default :func:`build_network`).

    Examples
    --------
    >>> from delimit import load_scenario  # doctest: +SKIP
    >>> nets = NetworkCache()  # doctest: +SKIP
    >>> s = load_scenario("status-quo")  # doctest: +SKIP
    >>> nets.get(s, "vehicle") is nets.get(s, "vehicle")  # doctest: +SKIP
    True
    """

    def __init__(self, build: Callable[..., AccessNetwork] | None = None) -> None:
        #: the builder called for a missing network (:func:`build_network`, or the engine API's name for it)
        self.build = build or build_network
        self._nets: dict[str, AccessNetwork] = {}
        # the key of each scenario object and arguments seen (hashing the layers takes ~0.1 s); the scenario
        # is held, so its id cannot be reused while the entry lives
        self._keys: dict[tuple[int, tuple[Any, ...]], tuple[Scenario, str]] = {}
        self._by_scenario: dict[tuple[str, str], set[str]] = {}

    def __len__(self) -> int:
        return len(self._nets)

    def get(
        self,
        scenario: Scenario,
        mode: Mode = "vehicle",
        *,
        offroad: bool | None = None,
        speeds: RoadSpeeds | None = None,
        cell_m: float | None = None,
        terrain: bool | None = None,
        progress: ProgressFn | None = None,
    ) -> AccessNetwork:
        """The network of ``scenario`` for ``mode`` (arguments as :func:`build_network`), built once."""
        args = (mode, repr(None if speeds is None else speeds.as_dict()), terrain, cell_m, offroad)
        known = self._keys.get((id(scenario), args))
        if known is not None and known[0] is scenario:  # the same loaded scenario (layers are never edited in place)
            key = known[1]
        else:
            key = network_key(scenario, mode, speeds=speeds, terrain=terrain, cell_m=cell_m, offroad=offroad)
            self._keys[(id(scenario), args)] = (scenario, key)
        net = self._nets.get(key)
        if net is None:
            net = self.build(
                scenario, mode=mode, speeds=speeds, terrain=terrain, cell_m=cell_m, offroad=offroad, progress=progress
            )
            self._nets[key] = net
            self._by_scenario.setdefault((scenario.name, mode), set()).add(key)
        return net

    def release(self, scenario: Scenario | str, mode: Mode) -> None:
        """Forget every network of ``scenario`` (or a scenario name) for ``mode``; later calls rebuild it."""
        name = scenario if isinstance(scenario, str) else scenario.name
        for key in self._by_scenario.pop((name, mode), set()):
            self._nets.pop(key, None)
