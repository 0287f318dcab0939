"""Travel-time surfaces (minutes) for maps: every terrain cell's time to its target.

* Foot mode: the terrain cells are nodes of the access graph; a cell's value is its shortest time
  in the same solve that gives the settlements theirs (so the map and the table agree).
* Vehicle mode with off-road travel (a network built with land cover,
  :mod:`delimit.access.offroad`): the terrain cells are nodes of the graph, as on foot; a cell's
  value comes from the same solve as the settlements' times.
* Vehicle mode on roads only: the road network is solved first; then the off-road leg is walked over the
  terrain (Tobler pace, :func:`delimit.access.network.build_terrain`) from every road node of a
  party, inside that party's land only (the border rules live on the roads), with the
  ``MCP_Geometric``-convention raster kernel seeded with the road times.

Targets are those the traveller may use: its own party's (class with a party) or, for a class
without a party, the targets of the party holding the cell; ``town:N`` and user layers: any.
"""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np

from delimit.access.kernels import dijkstra_grid
from delimit.access.network import AccessNetwork, build_network, build_terrain
from delimit.access.targets import resolve_targets
from delimit.access.travel import _network_for, compute
from delimit.errors import InputError
from delimit.model.raster import Raster
from delimit.model.scenario import Scenario

ProgressFn = Callable[[str, float], None]


def travel_time_surface(
    scenario: Scenario,
    *,
    traveller_class: str,
    regime: str | None = None,
    targets: str | gpd.GeoDataFrame = "regional-centre",
    cell_m: float | None = None,
    network: AccessNetwork | None = None,
    progress: ProgressFn | None = None,
) -> Raster:
    """Minutes to the target from every cell (NaN where unreachable), in the network's metric CRS.

    Parameters
    ----------
    cell_m: cell size (metres); default the foot network's (500 m). In foot mode a network with
        another cell size is rebuilt at ``cell_m``; a vehicle network with off-road travel keeps its
        own grid (1 km by default).

    Returns
    -------
    Raster
        float32 minutes, ``nodata`` NaN, units ``'min'``, CRS the metric CRS of the network; write
        it with :func:`delimit.io.raster.write_raster`.
    """
    report = progress or (lambda _m, _f: None)
    cls = scenario.traveller_class(traveller_class)
    if cell_m is not None and not cell_m > 0:
        raise InputError(scenario.name, f"cell size must be positive (got {cell_m})", field="cell_m")
    if cls.mode == "foot" and (
        network is None
        or network.terrain is None
        or (cell_m is not None and abs(network.terrain.cell_m - cell_m) > 1e-9)
    ):
        network = build_network(scenario, mode="foot", cell_m=cell_m or 500.0, progress=lambda m, f: report(m, 0.5 * f))
    net = _network_for(scenario, traveller_class, network)
    tset = resolve_targets(scenario, targets)
    report("solving", 0.5)
    _rows, run = compute(scenario, net, regime, traveller_class, tset, with_routes=False, with_details=False)
    if net.terrain is not None:
        grid = net.terrain
    else:  # the off-road grid of a vehicle network, built once per cell size and kept on the network
        cache = net.__dict__.setdefault("_surface_grids", {})
        key_m = float(cell_m or 500.0)
        if key_m not in cache:
            cache[key_m] = build_terrain(scenario, net.crs, net.parties, key_m)
        grid = cache[key_m]
    nr, nc = grid.shape
    out = np.full((nr, nc), np.inf)
    cls_party = net.party_index(cls.party) if cls.party else -1
    for key, (src, _o, _om, dist, _m, _orig, _pred, _sel) in run.solves.items():
        if not len(src) and net.terrain is not None:
            continue
        kp = net.party_index(key) if key != "*" else -1
        if net.terrain is not None:
            cells = dist[grid.node0 : grid.node0 + nr * nc].reshape(nr, nc)
            if key != "*" and cls_party < 0:
                cells = np.where(grid.party == kp, cells, np.inf)
            out = np.minimum(out, cells)
            continue
        # vehicle: walk off the road inside each party's land
        for p in range(len(net.parties)):
            if key != "*" and cls_party < 0 and p != kp:
                continue
            seeds = np.flatnonzero((net.node_vertex >= 0) & (net.node_party == p) & np.isfinite(dist))
            sx, sy, s0 = net.node_x[seeds], net.node_y[seeds], dist[seeds]
            # the targets themselves (also those off the road network): walk from them directly
            allt = tset.points if key == "*" else tset.points[tset.points["party"].astype(str) == key]
            tp = allt[allt["party"].astype(str) == net.parties[p]]
            if len(tp):
                tx, ty = net.to_metric(tp["lon"].to_numpy(), tp["lat"].to_numpy())
                sx, sy, s0 = np.concatenate([sx, tx]), np.concatenate([sy, ty]), np.concatenate([s0, np.zeros(len(tp))])
            if not len(sx):
                continue
            rr, cc = grid.cell_of(sx, sy)
            inside = (rr >= 0) & (rr < nr) & (cc >= 0) & (cc < nc)
            cost = np.where(grid.party == p, grid.cost, np.inf)
            cum, _o2 = dijkstra_grid(cost, grid.cell_m, grid.cell_m, rr[inside], cc[inside], s0[inside])
            out = np.minimum(out, cum)
        report(f"surface {key}", 0.9)
    minutes = np.where(np.isfinite(out), out / 60.0, np.nan).astype(np.float32)
    report("done", 1.0)
    return Raster(
        minutes,
        grid.transform,
        net.crs,
        nodata=float("nan"),
        units="min",
        source=f"delimit access surface: {scenario.name}, regime {scenario.regime(regime).id}, class {traveller_class}, targets {tset.spec}",
    )
