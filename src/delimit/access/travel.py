"""Travel times from settlements to their targets under a regime, for a traveller class.

Definitions used in every output (also printed in the JSON under ``definitions``):

* **minutes / km**: the fastest trip from the settlement to its target (the nearest target of the
  kind it may use), including the walk on the connector at both ends and the delay of every checkpoint passed;
  km is the length of that fastest route (not the shortest route).
* **reachable**: a route exists under the regime and closures. Settlements off the network (no
  road of their own party within the connector distance, in the vehicle mode) and settlements
  without any target of their kind are *not reachable*, with the reason in ``note``; they are
  counted apart from those *cut off* by the regime.
* **origins**: the settlements a class travels from: those of the class's party (every
  settlement for a class without a party).
* **person-hours added** (comparisons): for each settlement reachable under both regimes,
  ``population x (minutes_b - minutes_a) / 60`` - the extra hours, summed over the residents, of
  one trip each to the target; summed over settlements (negative when regime B is faster).
  Settlements that lose all access are counted in ``people_cut_off`` instead.
* population 0 means *unknown* (the registry gives none): such settlements count in settlement
  totals but add nothing to people or person-hours; totals say how many there were.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from delimit.access.kernels import path_sums
from delimit.access.network import GREEN, SEALED, TRANSITION, AccessNetwork, build_network
from delimit.access.rules import Closures, check_closures, group_costs
from delimit.access.targets import TargetSet, resolve_targets
from delimit.errors import InputError
from delimit.model.population import own_population, population_value
from delimit.model.scenario import Scenario

ProgressFn = Callable[[str, float], None]

DEFINITIONS: dict[str, str] = {
    "minutes": "fastest trip from the settlement to its nearest usable target, including connector walks and the delay of each checkpoint passed (crossings away from checkpoints are open or closed, never delayed)",
    "km": "length of that fastest route",
    "offroad_minutes": "minutes of that trip spent off the roads: across terrain cells (at the land-cover and slope speed for vehicles, Tobler's walking pace on foot) and on the walks between a settlement or target and the road",
    "offroad_km": "kilometres of that trip off the roads (same legs as offroad_minutes)",
    "isolated": "an unreachable settlement's note says why: 'isolated by a closed border' when a route exists with every border crossing open, 'isolated by terrain' when none exists even then",
    "reachable": "a route exists under the regime (and closures); see note for off-network settlements or missing targets",
    "person_hours_added": "sum over settlements reachable under both regimes of population x (minutes_b - minutes_a) / 60: extra hours for one trip each to the target (negative = faster)",
    "people_cut_off": "population of settlements with a route under the first regime and none under the second",
    "population": "persons the settlement owns: its published figure less the figures of listed places inside it (part_of), so every total counts each person once; null = unknown (counted in settlements_population_unknown, never as 0 people)",
}

ROW_COLUMNS = [
    "settlement_id",
    "settlement",
    "party",
    "population",
    "target",
    "target_id",
    "minutes",
    "km",
    "offroad_minutes",
    "offroad_km",
    "reachable",
    "via",
    "note",
]


def layers_used(mode: str) -> list[str]:
    """The scenario layers an access result rests on (for ``data_marks``)."""
    base = ["territory", "settlements", "roads", "crossings"]
    return base + (["water_bodies"] if mode == "foot" else [])


@dataclass
class Run:
    """Solver state of one (regime, class, targets) computation, kept for chokepoints and surfaces."""

    net: AccessNetwork
    group_add: np.ndarray
    blocked: np.ndarray
    # per target group key (party or '*'): (sources, offsets_s, offsets_m, dist, metres, origin, pred, target rows)
    solves: dict[
        str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]
    ]
    origin_index: np.ndarray  # positions in scenario.settlements of the origins
    # per target group key: positions (in origin order) of the origins whose outcome the solver decides
    solved_origins: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class AccessResult:
    """Travel times for one scenario, regime, class and target set.

    ``rows``: one row per origin settlement: ``settlement_id, settlement, party, population,
    target, target_id, minutes, km, reachable, via`` (crossings on the route), ``note``.
    """

    scenario: str
    regime: str
    traveller_class: str
    mode: str
    targets: str
    targets_description: str
    rows: pd.DataFrame
    crs_description: str
    assumptions: dict[str, Any]
    notes: list[str]
    data_marks: dict[str, list[str]]
    provenance: dict[str, Any]
    closures: dict[str, list[str]] = field(default_factory=dict)
    run: Run | None = field(default=None, repr=False)

    def totals(self) -> dict[str, Any]:
        """Population-weighted totals over the origins (see :data:`DEFINITIONS`)."""
        return summarise(self.rows)

    def to_json(self) -> dict[str, Any]:
        """The issue's JSON contract plus provenance, data marks, CRS, assumptions and definitions."""
        rows = []
        for r in self.rows.itertuples(index=False):
            rows.append(
                {
                    "settlement_id": r.settlement_id,
                    "settlement": r.settlement,
                    "party": r.party,
                    "population": population_value(r.population),
                    "target": r.target,
                    "target_id": r.target_id,
                    "minutes": round(float(r.minutes), 2) if r.reachable else None,
                    "km": round(float(r.km), 3) if r.reachable else None,
                    "offroad_minutes": round(float(r.offroad_minutes), 2) if r.reachable else None,
                    "offroad_km": round(float(r.offroad_km), 3) if r.reachable else None,
                    "reachable": bool(r.reachable),
                    "via": list(r.via) if isinstance(r.via, list | tuple) else [],
                    "note": r.note,
                }
            )
        return {
            "scenario": self.scenario,
            "regime": self.regime,
            "class": self.traveller_class,
            "mode": self.mode,
            "targets": self.targets,
            "targets_description": self.targets_description,
            "closures": self.closures,
            "rows": rows,
            "totals": self.totals(),
            "definitions": DEFINITIONS,
            "crs_description": self.crs_description,
            "assumptions": self.assumptions,
            "notes": self.notes,
            "data_marks": self.data_marks,
            "provenance": self.provenance,
        }

    def to_geojson(self, settlements: gpd.GeoDataFrame) -> dict[str, Any]:
        """A GeoJSON FeatureCollection (WGS84): one Point feature per origin settlement, located by
        ``settlements`` (the scenario's layer, by ``settlement_id``; null geometry if absent), its
        properties the row of :meth:`to_json`; the document's other members under ``properties``, and
        ``provenance`` (with the sources' ``attribution``) at the top.

        >>> from delimit import load_scenario                                  # doctest: +SKIP
        >>> s = load_scenario("status-quo")                                    # doctest: +SKIP
        >>> res = travel_times(s, traveller_class="resident-kg")              # doctest: +SKIP
        >>> res.to_geojson(s.settlements)["features"][0]["geometry"]["type"]  # doctest: +SKIP
        'Point'
        """
        where = settlements.geometry.set_axis(settlements["settlement_id"].astype(str))
        doc = self.to_json()
        features = []
        for r in doc["rows"]:
            g = where.get(r["settlement_id"])
            geometry = g.__geo_interface__ if g is not None else None
            features.append({"type": "Feature", "geometry": geometry, "properties": r})
        meta = {k: v for k, v in doc.items() if k != "rows"}
        return {"type": "FeatureCollection", "features": features, "properties": meta, "provenance": doc["provenance"]}


def summarise(rows: pd.DataFrame) -> dict[str, Any]:
    """People and settlements reachable / not, population-weighted mean minutes, person-hours."""
    raw = pd.to_numeric(rows["population"], errors="coerce").astype(float).to_numpy()
    unknown = np.isnan(raw)
    pop = np.nan_to_num(raw, nan=0.0)
    reach = rows["reachable"].to_numpy(dtype=bool)
    off = rows["note"].astype(str).str.startswith("off").to_numpy()
    notarget = rows["note"].astype(str).str.startswith("no ").to_numpy()
    cut = ~reach & ~off & ~notarget
    note = rows["note"].astype(str)
    mins = rows["minutes"].astype(float).to_numpy()
    w = pop[reach]
    mean = float((w * mins[reach]).sum() / w.sum()) if w.sum() > 0 else math.nan
    return {
        "settlements": len(rows),
        "settlements_reachable": int(reach.sum()),
        "settlements_cut_off": int(cut.sum()),
        "settlements_off_network": int(off.sum()),
        "settlements_without_target": int(notarget.sum()),
        "settlements_isolated_by_border": int(note.str.startswith(BORDER_NOTE).sum()),
        "settlements_isolated_by_terrain": int(note.str.startswith(TERRAIN_NOTE).sum()),
        "settlements_population_unknown": int(unknown.sum()),
        "settlements_cut_off_population_unknown": int((cut & unknown).sum()),
        "people": int(pop.sum()),
        "people_reachable": int(pop[reach].sum()),
        "people_cut_off": int(pop[cut].sum()),
        "people_off_network": int(pop[off].sum()),
        "mean_minutes": mean,
        "person_hours": float((pop[reach] * mins[reach]).sum() / 60.0),
    }


#: Notes of unreachable settlements (see ``DEFINITIONS['isolated']``).
BORDER_NOTE = "isolated by a closed border"
TERRAIN_NOTE = "isolated by terrain"


def _offroad_arcs(net: AccessNetwork) -> np.ndarray:
    """Arcs off the roads: those touching a terrain cell (cached on the network)."""
    mask = getattr(net, "_offroad_arcs", None)
    if mask is None:
        if net.terrain is None:
            mask = np.zeros(net.n_arcs, np.bool_)
        else:
            node0 = net.terrain.node0
            mask = (_arc_tails(net) >= node0) | (net.indices >= node0)
        net._offroad_arcs = mask  # type: ignore[attr-defined]  # a per-network cache, like _tails
    return mask


def _fill_offroad(
    net: AccessNetwork,
    out: list[dict[str, Any]],
    solves: dict[str, Any],
    via: dict[str, list[int]],
    nodes: dict[int, int],
    att_s: np.ndarray,
    att_m: np.ndarray,
) -> None:
    """Off-road minutes and km of every solved trip (terrain arcs on the route plus the connector walks)."""
    for key, positions in via.items():
        _src, offs, offm, _d, _m, o, p, _sel = solves[key]
        node = np.array([nodes[i] for i in positions], np.int64)
        sec, met = path_sums(p, _arc_tails(net), net.base, net.length, _offroad_arcs(net), node)
        for j, i in enumerate(positions):
            if out[i]["reachable"]:
                k = int(o[node[j]])
                ai = out[i]["_at"]
                out[i]["offroad_minutes"] = (sec[j] + float(att_s[ai]) + float(offs[k])) / 60.0
                out[i]["offroad_km"] = (met[j] + float(att_m[ai]) + float(offm[k])) / 1000.0


def _explain_unreachable(
    net: AccessNetwork,
    out: list[dict[str, Any]],
    solves: dict[str, Any],
    via: dict[str, list[int]],
    nodes: dict[int, int],
    add: np.ndarray,
    blocked: np.ndarray,
    closures: Closures,
) -> None:
    """Note why each solved but unreachable settlement is so: a closed border, or the terrain (one more solve per target group)."""
    g = net.groups
    kind, pa, pb = g["kind"].to_numpy(), g["party_a"].to_numpy(), g["party_b"].to_numpy()
    crossing = ((kind == TRANSITION) & (pa != pb)) | (kind == GREEN)
    crossing &= ~np.isin(g["crossing_id"].to_numpy(), list(closures.crossings))
    opened = add.copy()
    opened[crossing] = 0.0
    where = "terrain" if net.terrain is not None else "road network"
    for key, positions in via.items():
        lost = [i for i in positions if not out[i]["reachable"]]
        if not lost:
            continue
        src, offs = solves[key][0], solves[key][1]
        d = net.shortest(opened, blocked, src, offs)[0]
        for i in lost:
            if np.isfinite(d[nodes[i]]):
                out[i]["note"] = f"{BORDER_NOTE}: a route exists only through crossings this regime closes to the class"
            elif net.terrain is not None:
                out[i]["note"] = f"{TERRAIN_NOTE}: no passable route on the {where} even with every border open"
            else:
                out[i]["note"] = f"{TERRAIN_NOTE} or missing roads: no route on the {where} even with every border open"


def _origins(scenario: Scenario, class_party: str | None) -> np.ndarray:
    st = scenario.settlements
    if class_party is None:
        return np.arange(len(st))
    return np.flatnonzero(st["party"].astype(str).to_numpy() == class_party)


def _route_crossings(net: AccessNetwork, pred: np.ndarray, node: int, limit: int = 100000) -> list[str]:
    """Crossings on the route from ``node`` to its target, in travel order.

    Named crossing ids, generated ids of unnamed road crossings (``unnamed:<road>:<k>``),
    ``green:<A>-<B>`` for cross-country steps over a border (foot mode) and ``transit:<id>`` for
    sealed transit corridors. Free transitions (neutral roads, free transit) are listed too when
    they change party: the route did cross the line there, without formalities.
    """
    kinds, pa, pb, cid = _group_columns(net)
    out: list[str] = []
    tails = None
    steps = 0
    while node >= 0 and pred[node] >= 0 and steps < limit:
        a = int(pred[node])
        g = int(net.group[a])
        crosses = g >= 0 and (((kinds[g] == TRANSITION or kinds[g] == GREEN) and pa[g] != pb[g]) or kinds[g] == SEALED)
        if crosses and (not out or out[-1] != str(cid[g])):  # a green-border crossing is one step, listed once
            out.append(str(cid[g]))
        if tails is None:
            tails = _arc_tails(net)
        node = int(tails[a])
        steps += 1
    return out


def _group_columns(net: AccessNetwork) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(kind, party_a, party_b, crossing_id)`` of the network's groups as arrays, read once per network
    (a route is traced for every origin of every solve)."""
    cols = getattr(net, "_group_columns", None)
    if cols is None or cols[0] is not net.groups:
        g = net.groups
        cols = (g, tuple(g[c].to_numpy() for c in ("kind", "party_a", "party_b", "crossing_id")))
        net._group_columns = cols  # type: ignore[attr-defined]  # a per-network cache, like _tails
    return cols[1]


def _arc_tails(net: AccessNetwork) -> np.ndarray:
    t = getattr(net, "_tails", None)
    if t is None:
        t = np.repeat(np.arange(net.n_nodes, dtype=np.int64), np.diff(net.indptr))
        net._tails = t  # type: ignore[attr-defined]
    return t


def _target_attach(scenario: Scenario, net: AccessNetwork, tset: TargetSet) -> pd.DataFrame:
    pts = tset.points.copy()
    node = np.full(len(pts), -1, np.int64)
    off_s = np.full(len(pts), np.inf)
    off_m = np.full(len(pts), np.inf)
    si = pts["settlement_index"].to_numpy()
    has = si >= 0
    if has.any():
        att = net.attach.iloc[si[has]]
        node[has] = att["node"].to_numpy()
        off_s[has] = att["offset_s"].to_numpy()
        off_m[has] = att["offset_m"].to_numpy()
    if (~has).any():
        att = net.attach_points(pts["lon"].to_numpy()[~has], pts["lat"].to_numpy()[~has], pts["party"].to_numpy()[~has])
        node[~has] = att["node"].to_numpy()
        off_s[~has] = att["offset_s"].to_numpy()
        off_m[~has] = att["offset_m"].to_numpy()
    pts["node"] = node
    pts["offset_s"] = off_s
    pts["offset_m"] = off_m
    return pts


def compute(
    scenario: Scenario,
    net: AccessNetwork,
    regime_id: str | None,
    class_id: str,
    tset: TargetSet,
    closures: Closures | None = None,
    *,
    with_routes: bool = True,
    with_details: bool = True,
) -> tuple[pd.DataFrame, Run]:
    """Rows and solver state for one regime and class on a built network (the engine's core).

    ``with_routes``: list the crossings of each route (``via``). ``with_details``: the off-road share of
    each trip and the reason each unreachable settlement is so (one more solve per target group); a
    caller that needs only the solves (a travel-time surface) leaves both out.
    """
    regime = scenario.regime(regime_id)
    cls = scenario.traveller_class(class_id)
    closures = closures or Closures()
    check_closures(net, closures)
    add, blocked = group_costs(net, regime, cls, closures)
    st = scenario.settlements
    origins = _origins(scenario, cls.party)
    tpts = _target_attach(scenario, net, tset)
    keys = sorted(set(st["party"].astype(str).to_numpy()[origins])) if tset.per_party else ["*"]
    solves: dict[str, Any] = {}
    for key in keys:
        sel = tpts[(tpts["party"].astype(str) == key) & (tpts["node"] >= 0)] if key != "*" else tpts[tpts["node"] >= 0]
        src = sel["node"].to_numpy(np.int64)
        offs = sel["offset_s"].to_numpy(float)
        offm = sel["offset_m"].to_numpy(float)
        if len(src):
            d, m, o, p = net.shortest(add, blocked, src, offs)
        else:
            d = m = np.full(net.n_nodes, np.inf)
            o = np.full(net.n_nodes, -1, np.int32)
            p = np.full(net.n_nodes, -1, np.int64)
        solves[key] = (src, offs, offm, d, m, o, p, sel.reset_index(drop=True))
    out: list[dict[str, Any]] = []
    owned = own_population(st)  # persons each settlement owns (part_of hierarchy; NaN = unknown)
    all_by_party = tpts.groupby(tpts["party"].astype(str)).size().to_dict() if len(tpts) else {}
    # Column arrays once, not a pandas row lookup per origin (this loop runs for every re-solve).
    st_id, st_name, st_party = (st[c].astype(str).to_numpy() for c in ("settlement_id", "name", "party"))
    att_node, att_s, att_m = (net.attach[c].to_numpy() for c in ("node", "offset_s", "offset_m"))
    own_at: dict[int, int] = {}
    for pos, si in enumerate(tpts["settlement_index"].to_numpy()):
        own_at.setdefault(int(si), pos)
    t_party, t_name, t_id = (tpts[c].astype(str).to_numpy() for c in ("party", "name", "target_id"))
    sel_text = {
        key: (v[7]["name"].astype(str).to_numpy(), v[7]["target_id"].astype(str).to_numpy())
        for key, v in solves.items()
    }
    via_solver: dict[str, list[int]] = {}
    solved_node: dict[int, int] = {}  # row -> the origin's node, for rows the solver decides
    for i in origins:
        party = str(st_party[i])
        rec: dict[str, Any] = {
            "settlement_id": str(st_id[i]),
            "settlement": str(st_name[i]),
            "party": party,
            "population": float(owned[i]),
            "target": "",
            "target_id": "",
            "minutes": math.inf,
            "km": math.inf,
            "offroad_minutes": math.nan,
            "offroad_km": math.nan,
            "reachable": False,
            "via": [],
            "note": "",
        }
        key = party if tset.per_party else "*"
        own = own_at.get(int(i))
        if own is not None and (not tset.per_party or t_party[own] == party):
            # the settlement is itself a target of its kind: no trip (on the network or not)
            rec.update(
                target=t_name[own],
                target_id=t_id[own],
                minutes=0.0,
                km=0.0,
                offroad_minutes=0.0,
                offroad_km=0.0,
                reachable=True,
            )
        elif tset.per_party and all_by_party.get(party, 0) == 0:
            rec["note"] = f"no {tset.spec} of {party or 'any party'} in the data"
            if tset.spec == "capital":
                rec["note"] += " (the capital lies outside the data window)"
        elif int(att_node[i]) < 0:
            rec["note"] = (
                "off the road network"
                if net.terrain is None
                else "off the terrain (no passable cell of its own party nearby)"
            )
        elif key not in solves or len(solves[key][0]) == 0:
            rec["note"] = f"no {tset.spec} on the network (every target of the kind is off it)"
        else:
            src, offs, offm, d, m, o, p, sel = solves[key]
            via_solver.setdefault(key, []).append(len(out))
            node = int(att_node[i])
            solved_node[len(out)] = node
            rec["_at"] = int(i)
            if np.isfinite(d[node]):
                k = int(o[node])
                rec.update(
                    target=str(sel_text[key][0][k]),
                    target_id=str(sel_text[key][1][k]),
                    minutes=(float(d[node]) + float(att_s[i])) / 60.0,
                    km=(float(m[node]) + float(att_m[i]) + float(offm[k])) / 1000.0,
                    reachable=True,
                    via=_route_crossings(net, p, node) if with_routes else [],  # settlement -> target order
                )
        out.append(rec)
    if with_details:
        _fill_offroad(net, out, solves, via_solver, solved_node, att_s, att_m)
        _explain_unreachable(net, out, solves, via_solver, solved_node, add, blocked, closures)
    rows = pd.DataFrame(out, columns=ROW_COLUMNS)
    solved = {k: np.asarray(v, np.int64) for k, v in via_solver.items()}
    return rows, Run(net, add, blocked, solves, origins, solved)


def resolve_minutes(
    scenario: Scenario,
    run: Run,
    rows: pd.DataFrame,
    regime_id: str | None,
    class_id: str,
    closures: Closures,
) -> tuple[np.ndarray, np.ndarray]:
    """``(reachable, minutes)`` per origin (in ``rows`` order) with ``closures`` blocked on top of a solved run.

    ``run`` and ``rows`` come from :func:`compute` for the same regime, class and targets without
    closures. Only what closures can change is recomputed: the group costs and the solves of the
    target groups some origin depends on; origins that are themselves targets, off the network or
    without a target keep their outcome. The values equal those of :func:`compute` with the
    closures (same arithmetic), without building rows. Closures are not checked against the network.
    """
    net = run.net
    add, blocked = group_costs(net, scenario.regime(regime_id), scenario.traveller_class(class_id), closures)
    reach = rows["reachable"].to_numpy(dtype=bool).copy()
    minutes = rows["minutes"].to_numpy(dtype=float).copy()
    att_node, att_s = net.attach["node"].to_numpy(), net.attach["offset_s"].to_numpy(float)
    for key, pos in run.solved_origins.items():
        src, offs = run.solves[key][0], run.solves[key][1]
        d = net.shortest(add, blocked, src, offs)[0]
        at = run.origin_index[pos]
        dn = d[att_node[at].astype(np.int64)]
        ok = np.isfinite(dn)
        reach[pos] = ok
        minutes[pos] = np.where(ok, (dn + att_s[at]) / 60.0, math.inf)
    return reach, minutes


def _network_for(
    scenario: Scenario, class_id: str, network: AccessNetwork | None, progress: ProgressFn | None = None
) -> AccessNetwork:
    cls = scenario.traveller_class(class_id)
    if network is not None:
        if network.mode != cls.mode:
            raise InputError(
                scenario.name,
                f"class {class_id!r} travels by {cls.mode} but the network given is for {network.mode}",
                field="network",
            )
        return network
    return build_network(scenario, mode=cls.mode, progress=progress)


def travel_times(
    scenario: Scenario,
    *,
    traveller_class: str,
    regime: str | None = None,
    targets: str | gpd.GeoDataFrame = "regional-centre",
    network: AccessNetwork | None = None,
    closures: Closures | None = None,
    blocked_nodes: Sequence[str] = (),
    blocked_roads: Sequence[str] = (),
    blocked_crossings: Sequence[str] = (),
    details: bool = True,
    progress: ProgressFn | None = None,
) -> AccessResult:
    """Travel time and distance from each origin settlement to its target, or unreachable.

    Parameters
    ----------
    scenario: the scenario.
    traveller_class: a class id of the scenario (its ``mode`` picks the network).
    regime: regime id (default: the scenario's default regime).
    targets: ``'capital'``, ``'regional-centre'``, ``'district-centre'``, ``'town:N'`` or a point
        GeoDataFrame (see :mod:`delimit.access.targets`).
    network: a network built by :func:`build_network` for the class's mode (reused across calls).
    closures, blocked_nodes, blocked_roads, blocked_crossings: points blocked on top of the regime
        (junction vertex ids such as ``'v18'``, road ids, crossing ids).
    details: with False, the rows leave out the off-road share of each trip (``offroad_minutes`` and
        ``offroad_km`` NaN), the crossings on each route (``via`` empty) and why an unreachable
        settlement is so (no "isolated by ..." note; it costs one more solve per target group): for
        callers that use only minutes, km and reachability.
    progress: optional ``(message, fraction)`` callback.

    Returns
    -------
    AccessResult
        ``rows`` (minutes, km, reachable, via, note per settlement) and ``to_json()``.

    Examples
    --------
    >>> from delimit import load_scenario  # doctest: +SKIP
    >>> r = travel_times(load_scenario("status-quo"), traveller_class="resident-tj")  # doctest: +SKIP
    >>> r.rows.set_index("settlement").loc["Vorukh", "target"]  # doctest: +SKIP
    'Khujand'
    """
    report = progress or (lambda _m, _f: None)
    net = _network_for(scenario, traveller_class, network, progress=lambda m, f: report(m, 0.6 * f))
    c = closures or Closures()
    if blocked_nodes or blocked_roads or blocked_crossings:
        c = Closures(
            tuple(c.junctions) + tuple(blocked_nodes),
            tuple(c.roads) + tuple(blocked_roads),
            tuple(c.segments),
            tuple(c.crossings) + tuple(blocked_crossings),
        )
    tset = resolve_targets(scenario, targets)
    report("solving", 0.6)
    rows, run = compute(scenario, net, regime, traveller_class, tset, c, with_routes=details, with_details=details)
    report("done", 1.0)
    reg = scenario.regime(regime)
    return AccessResult(
        scenario=scenario.name,
        regime=reg.id,
        traveller_class=traveller_class,
        mode=net.mode,
        targets=tset.spec,
        targets_description=tset.description,
        rows=rows,
        crs_description=net.crs_description,
        assumptions={"speeds": net.speeds.as_dict(), "regime_status": reg.status, "offroad": net.offroad or None},
        notes=list(net.notes),
        data_marks=scenario.data_marks(layers_used(net.mode)),
        provenance=scenario.provenance.as_dict(),
        closures=c.as_dict(),
        run=run,
    )


@dataclass
class RegimeComparison:
    """Per-settlement change between two regimes (same scenario, class, targets and network).

    ``rows``: ``settlement_id, settlement, party, population, target_a, minutes_a, target_b,
    minutes_b, delta_minutes, cut_off`` (route under A, none under B), ``gained`` (the reverse),
    ``person_hours_added``. ``totals``: ``people_cut_off, people_gaining_access,
    person_hours_added, settlements_cut_off, settlements_population_unknown_cut_off``.
    """

    scenario: str
    regime_a: str
    regime_b: str
    traveller_class: str
    targets: str
    rows: pd.DataFrame
    totals: dict[str, Any]
    crs_description: str
    notes: list[str]
    data_marks: dict[str, list[str]]
    provenance: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        rows = []
        for r in self.rows.to_dict("records"):
            rr = dict(r)
            for k in ("minutes_a", "minutes_b", "delta_minutes", "person_hours_added"):
                v = rr[k]
                rr[k] = round(float(v), 3) if v is not None and math.isfinite(float(v)) else None
            rows.append(rr)
        return {
            "scenario": self.scenario,
            "regime_a": self.regime_a,
            "regime_b": self.regime_b,
            "class": self.traveller_class,
            "targets": self.targets,
            "rows": rows,
            "totals": self.totals,
            "definitions": DEFINITIONS,
            "crs_description": self.crs_description,
            "notes": self.notes,
            "data_marks": self.data_marks,
            "provenance": self.provenance,
        }


def compare_rows(a: pd.DataFrame, b: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Merge two results' rows (same origins) into the comparison rows and totals."""
    m = a[["settlement_id", "settlement", "party", "population", "target", "minutes", "reachable"]].merge(
        b[["settlement_id", "target", "minutes", "reachable"]], on="settlement_id", how="outer", suffixes=("_a", "_b")
    )
    for col in ("settlement", "party"):
        m[col] = m[col].fillna("")
    m["population"] = pd.to_numeric(m["population"], errors="coerce").astype(float)
    ra = m["reachable_a"].fillna(False).astype(bool).to_numpy()
    rb = m["reachable_b"].fillna(False).astype(bool).to_numpy()
    ma = np.where(ra, m["minutes_a"].astype(float), np.inf)
    mb = np.where(rb, m["minutes_b"].astype(float), np.inf)
    both = ra & rb
    with np.errstate(invalid="ignore"):
        delta = np.where(both, mb - ma, np.nan)
    unknown = np.isnan(m["population"].to_numpy(float))
    pop = np.nan_to_num(m["population"].to_numpy(float), nan=0.0)
    pha = np.where(both, pop * delta / 60.0, np.nan)
    cut = ra & ~rb
    gained = ~ra & rb
    rows = pd.DataFrame(
        {
            "settlement_id": m["settlement_id"],
            "settlement": m["settlement"],
            "party": m["party"],
            "population": m["population"],
            "target_a": m["target_a"].fillna(""),
            "minutes_a": np.where(ra, ma, np.nan),
            "target_b": m["target_b"].fillna(""),
            "minutes_b": np.where(rb, mb, np.nan),
            "delta_minutes": delta,
            "cut_off": cut,
            "gained": gained,
            "person_hours_added": pha,
        }
    )
    totals = {
        "settlements": len(rows),
        "settlements_cut_off": int(cut.sum()),
        "settlements_cut_off_population_unknown": int((cut & unknown).sum()),
        "people_cut_off": int(pop[cut].sum()),
        "settlements_gaining_access": int(gained.sum()),
        "people_gaining_access": int(pop[gained].sum()),
        "person_hours_added": float(np.nansum(pha)),
        "settlements_slower": int((both & (delta > 1e-9)).sum()),
        "settlements_faster": int((both & (delta < -1e-9)).sum()),
    }
    return rows, totals


def compare_regimes(
    scenario: Scenario,
    regime_a: str,
    regime_b: str,
    *,
    traveller_class: str,
    targets: str | gpd.GeoDataFrame = "regional-centre",
    network: AccessNetwork | None = None,
    progress: ProgressFn | None = None,
) -> RegimeComparison:
    """Per-settlement change in travel time from regime A to regime B, with population totals.

    Both regimes are solved on one network (one CSR, masked per regime). See
    :data:`DEFINITIONS` for *people cut off* and *person-hours added*.
    """
    net = _network_for(scenario, traveller_class, network, progress)
    tset = resolve_targets(scenario, targets)
    ra, _ = compute(scenario, net, regime_a, traveller_class, tset, with_routes=False, with_details=False)
    rb, _ = compute(scenario, net, regime_b, traveller_class, tset, with_routes=False, with_details=False)
    rows, totals = compare_rows(ra, rb)
    return RegimeComparison(
        scenario=scenario.name,
        regime_a=scenario.regime(regime_a).id,
        regime_b=scenario.regime(regime_b).id,
        traveller_class=traveller_class,
        targets=tset.spec,
        rows=rows,
        totals=totals,
        crs_description=net.crs_description,
        notes=list(net.notes),
        data_marks=scenario.data_marks(layers_used(net.mode)),
        provenance=scenario.provenance.as_dict(),
    )


def access_summary(
    scenario: Scenario,
    *,
    regimes: Sequence[str] | None = None,
    classes: Sequence[str] | None = None,
    targets: str | gpd.GeoDataFrame = "regional-centre",
    networks: dict[str, AccessNetwork] | None = None,
    progress: ProgressFn | None = None,
) -> pd.DataFrame:
    """One row per (regime, class): people reachable / cut off, mean minutes, person-hours.

    Columns: ``regime, class, mode, settlements, people, people_reachable, people_cut_off,
    people_off_network, settlements_cut_off, settlements_population_unknown, mean_minutes``
    (population-weighted over reachable settlements), ``person_hours`` (population x minutes / 60
    summed over reachable settlements: the hours of one trip each). One network per mode is built
    and reused for every regime and class (pass ``networks={'vehicle': net, ...}`` to reuse yours).
    """
    regimes = list(regimes) if regimes is not None else list(scenario.regimes)
    classes = list(classes) if classes is not None else list(scenario.traveller_classes)
    nets = dict(networks or {})
    tset = resolve_targets(scenario, targets)
    out: list[dict[str, Any]] = []
    total = max(1, len(regimes) * len(classes))
    k = 0
    for cid in classes:
        mode = scenario.traveller_class(cid).mode
        if mode not in nets:
            nets[mode] = build_network(scenario, mode=mode)
        for rid in regimes:
            rows, _ = compute(scenario, nets[mode], rid, cid, tset, with_routes=False, with_details=False)
            s = summarise(rows)
            out.append(
                {
                    "regime": scenario.regime(rid).id,
                    "class": cid,
                    "mode": mode,
                    **{
                        k2: s[k2]
                        for k2 in (
                            "settlements",
                            "people",
                            "people_reachable",
                            "people_cut_off",
                            "people_off_network",
                            "settlements_cut_off",
                            "settlements_population_unknown",
                            "mean_minutes",
                            "person_hours",
                        )
                    },
                }
            )
            k += 1
            if progress:
                progress(f"{rid} / {cid}", k / total)
    return pd.DataFrame(out)
