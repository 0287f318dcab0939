"""Chokepoints: road junctions, road segments and crossings whose blocking cuts people off.

Method
------
1. Solve once per class (vehicle mode; one network, the regime's masks).
2. **Cut-offs from graph structure, not from re-solving.** For each party's target set, take the
   graph of arcs usable under the regime, put an extra node in the middle of every road segment
   and every crossing (so that blocking a segment or a crossing is blocking a node), add a root
   joined to every target, and compute the **dominator tree** from the root (Lengauer & Tarjan
   1979, compiled: :func:`immediate_dominators`, about O(m log n); on the off-road graph a million
   arcs). A node *d* dominates a settlement when every route from any target to it passes *d*:
   blocking *d* cuts it off. One pass up the tree from each settlement the solve decides gives, for
   every junction, segment and crossing at once, the people who would lose all access (exact for a
   point of one node or one group). A junction with several labels (a vertex on a border) is the
   union of its nodes' dominated sets (a lower bound, made exact in 4).
3. **Candidates** are junctions (3 or more segments), road segments (the strongest per road), and
   crossing points: each checkpoint, and each road's crossings of the line away from checkpoints
   taken together as one point (``line:<road_id>``, its crossing ids in ``members``; a road that
   meets the line several times is one point). They are ranked by that cut-off population, then
   by the settlements of unknown population cut off, then by the population whose fastest route
   passes the point (from the shortest-path trees already computed).
4. **Re-solve only the top candidates** with the point blocked (:class:`~delimit.access.rules.Closures`),
   and of each solve only the nodes whose fastest route the point cuts (their subtree of the
   shortest-path forest: :func:`resolve_on_tree`, equal bit for bit to a full solve), to get exact
   ``people_cut_off``, ``settlements_cut_off_population_unknown`` and
   ``person_hours_added`` (see :data:`delimit.access.travel.DEFINITIONS`); the result is ranked by
   people cut off, then settlements of unknown population cut off (counted apart, never as 0
   people), then person-hours added where alternatives exist.
5. **Points in series are one chokepoint.** Junctions and segments on the one way out of a group of
   settlements each cut off exactly that group; they are listed once, under the point ranked first
   (the one adding most person-hours), the others named in its ``same_cut``.

Classes: by default each party's *resident* vehicle class (so each settlement's residents are
counted once, travelling from their own settlement to their own party's target); or the one class
given. Chokepoints are computed on the vehicle network the engine builds by default (roads joined to
off-road travel over the land cover when the scenario has one; the road network alone on request).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np
import pandas as pd

from delimit.access.kernels import effective_costs
from delimit.access.network import SEGMENT, TRANSITION, AccessNetwork, build_network
from delimit.access.rules import Closures, group_costs
from delimit.access.targets import TargetSet, resolve_targets
from delimit.access.travel import DEFINITIONS, Run, _arc_tails, compare_rows, compute, layers_used, resolve_minutes
from delimit.errors import InputError
from delimit.model.population import own_population
from delimit.model.scenario import Scenario

ProgressFn = Callable[[str, float], None]

CHOKEPOINT_COLUMNS = [
    "kind",
    "id",
    "name",
    "segment",
    "checkpoint",
    "members",
    "lon",
    "lat",
    "people_cut_off",
    "settlements_cut_off",
    "settlements_cut_off_population_unknown",
    "person_hours_added",
    "cut_off_settlements",
    "estimated_cut_off",
    "same_cut",
]


@dataclass
class ChokepointResult:
    """Ranked chokepoints. ``rows``: ``kind`` (junction/road/crossing), ``id``, ``name``, ``lon``,
    ``lat``, ``segment`` (for roads: the blocked straight piece ``<road_id>#<k>``), ``people_cut_off``, ``settlements_cut_off``, ``person_hours_added``,
    ``cut_off_settlements`` (names), ``estimated_cut_off`` (the dominator-tree estimate)."""

    scenario: str
    regime: str
    classes: list[str]
    targets: str
    rows: pd.DataFrame
    candidates_examined: int
    crs_description: str
    notes: list[str]
    data_marks: dict[str, list[str]]
    provenance: dict[str, Any]
    #: Which network the ranking ran on (:func:`network_description`).
    network: dict[str, Any] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=lambda: dict(DEFINITIONS))

    def to_json(self) -> dict[str, Any]:
        rows = [
            {
                "kind": r["kind"],
                "id": r["id"],
                "name": r["name"],
                "segment": r["segment"],
                "location": [round(float(r["lon"]), 6), round(float(r["lat"]), 6)],
                "people_cut_off": int(r["people_cut_off"]),
                "settlements_cut_off": int(r["settlements_cut_off"]),
                "settlements_cut_off_population_unknown": int(r["settlements_cut_off_population_unknown"]),
                "checkpoint": bool(r["checkpoint"]),
                "members": list(r["members"]),
                "person_hours_added": round(float(r["person_hours_added"]), 3),
                "cut_off_settlements": list(r["cut_off_settlements"]),
                "same_cut": list(r["same_cut"]),
            }
            for r in self.rows.to_dict("records")
        ]
        return {
            "scenario": self.scenario,
            "regime": self.regime,
            "classes": self.classes,
            "targets": self.targets,
            "rows": rows,
            "candidates_examined": self.candidates_examined,
            "method": "dominator tree of the usable road graph from each party's targets for cut-offs; solver re-run for the top candidates",
            "definitions": {
                **self.definitions,
                "people_cut_off": "known population (summed over the classes analysed, each person once under part_of) that has a route to its target under the regime and none with this point blocked",
                "settlements_cut_off_population_unknown": "settlements of unknown population cut off by the point: counted apart, never as 0 people",
                "ranking": "people cut off, then settlements of unknown population cut off, then person-hours added (when alternatives exist)",
                "members": "a crossing point is a checkpoint, or all the places where one road meets the line away from a checkpoint (blocked together)",
                "person_hours_added": "with this point blocked: population x added minutes / 60 for one trip each, over settlements that keep a route",
                "same_cut": "other points in series with this one: blocking any of them cuts off exactly the same settlements; listed once, under the point that adds the most person-hours",
            },
            "network": self.network,
            "crs_description": self.crs_description,
            "notes": self.notes,
            "data_marks": self.data_marks,
            "provenance": self.provenance,
        }

    def to_geojson(self) -> dict[str, Any]:
        """A GeoJSON FeatureCollection (WGS84): one Point feature per chokepoint at its ``location``, its
        properties the row of :meth:`to_json`; the document's other members under ``properties``, and
        ``provenance`` (with the sources' ``attribution``) at the top."""
        doc = self.to_json()
        features = [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": r["location"]}, "properties": r}
            for r in doc["rows"]
        ]
        meta = {k: v for k, v in doc.items() if k != "rows"}
        return {"type": "FeatureCollection", "features": features, "properties": meta, "provenance": doc["provenance"]}


def network_description(net: AccessNetwork) -> dict[str, Any]:
    """What an output says about the network a ranking ran on: ``offroad`` (bool), ``description`` (words) and,
    with off-road travel, the land cover, speed table and cell size used."""
    if net.offroad:
        cell = float(net.offroad.get("cell_m", 0.0))
        return {
            "offroad": True,
            "description": f"roads joined to off-road travel over the land cover ({cell:g} m cells): detours across "
            "terrain count as alternatives",
            **net.offroad,
        }
    return {
        "offroad": False,
        "description": "the road network alone (no off-road travel): detours across terrain are not counted",
    }


def default_classes(scenario: Scenario) -> list[str]:
    """Each party's resident vehicle class (first one declared per party)."""
    seen: dict[str, str] = {}
    for c in scenario.traveller_classes.values():
        if c.mode == "vehicle" and c.kind == "resident" and c.party and c.party not in seen:
            seen[c.party] = c.id
    return list(seen.values())


def immediate_dominators(n_nodes: int, tails: np.ndarray, heads: np.ndarray, root: int) -> np.ndarray:
    """Immediate dominator of every node of the directed graph ``tails[k] -> heads[k]`` seen from ``root``.

    Lengauer & Tarjan (1979) with path compression, compiled (numba): O(m log n) in the arcs, a fraction of
    a second on the off-road graph (a million arcs); :func:`networkx.immediate_dominators` is the slow oracle
    the tests compare it with. Returns an int64 array: the root maps to itself, a node the root cannot reach
    to -1.

    >>> import numpy as np
    >>> immediate_dominators(4, np.array([0, 0, 1, 2]), np.array([1, 2, 3, 3]), 0).tolist()
    [0, 0, 0, 0]
    >>> immediate_dominators(4, np.array([0, 1, 2]), np.array([1, 2, 3]), 0).tolist()
    [0, 0, 1, 2]
    """
    t = np.asarray(tails, np.int64)
    h = np.asarray(heads, np.int64)
    return _lengauer_tarjan(int(n_nodes), t, h, int(root))[0]


def _dominator_arcs(net: AccessNetwork, run: Run) -> tuple[np.ndarray, np.ndarray]:
    """Arcs of the usable graph for dominators: road segments and transitions become a node of their own
    (``n_nodes + group``), so that a group can dominate; other arcs join their nodes directly."""
    add, blocked = run.group_add, run.blocked
    tails = _arc_tails(net)
    g = net.group
    w = effective_costs(net.base, g, add)
    ok = np.flatnonzero(np.isfinite(w) & ~blocked[tails] & ~blocked[net.indices])
    own_node = np.isin(net.groups["kind"].to_numpy(), (SEGMENT, TRANSITION))  # per group, not per arc
    u, v, gg = tails[ok].astype(np.int64), net.indices[ok].astype(np.int64), g[ok].astype(np.int64)
    split = (gg >= 0) & own_node[np.maximum(gg, 0)]
    n = len(net.indptr) - 1
    mid = n + gg[split]
    src = np.concatenate([u[~split], u[split], mid])
    dst = np.concatenate([v[~split], mid, v[split]])
    return src, dst


def _solved_starts(net: AccessNetwork, run: Run, key: str) -> tuple[np.ndarray, np.ndarray]:
    """``(settlement positions, nodes)`` of the origins the solve ``key`` decides and reaches (only they can be
    cut off: an origin that is itself a target, or has none, keeps its outcome)."""
    pos = run.solved_origins.get(key, np.zeros(0, np.int64))
    settle = run.origin_index[pos].astype(np.int64)
    nodes = net.attach["node"].to_numpy()[settle].astype(np.int64)
    dist = run.solves[key][3]
    ok = (nodes >= 0) & np.isfinite(dist[np.maximum(nodes, 0)]) if len(nodes) else np.zeros(0, np.bool_)
    return settle[ok], nodes[ok]


def _grouped(keys: np.ndarray, values: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """``[(key, values of that key), ...]`` for each distinct key (sorted)."""
    if not len(keys):
        return []
    o = np.argsort(keys, kind="stable")
    k, v = keys[o], values[o]
    uniq, first = np.unique(k, return_index=True)
    return list(zip(uniq.tolist(), np.split(v, first[1:]), strict=True))


def _dominated_people(net: AccessNetwork, run: Run, pop: np.ndarray) -> dict[tuple[str, int], tuple[float, set[int]]]:
    """{(kind, id): (people, settlement positions)} dominated, for node ('n', node) and group ('g', group) keys.

    One dominator tree per solve (root joined to the solve's targets); each reached origin's chain of
    dominators up that tree lists every road node and group whose blocking alone cuts it off (terrain cells,
    never candidates, are skipped)."""
    n = net.n_nodes
    root = n + len(net.groups)
    src_a, dst_a = _dominator_arcs(net, run)
    relevant = np.ones(root + 1, np.bool_)
    relevant[:n] = net.node_vertex >= 0
    relevant[root] = False
    out: dict[tuple[str, int], tuple[float, set[int]]] = {}
    for key, solve in run.solves.items():
        settle, nodes0 = _solved_starts(net, run, key)
        if not len(solve[0]) or not len(settle):
            continue
        starts = np.unique(np.asarray(solve[0], dtype=np.int64))
        idom = immediate_dominators(
            root + 1,
            np.concatenate([src_a, np.full(len(starts), root, dtype=np.int64)]),
            np.concatenate([dst_a, starts]),
            root,
        )
        ok = idom[nodes0] >= 0
        nodes, who = _chains(idom, nodes0[ok], root)
        keep = relevant[nodes]
        for x, members in _grouped(nodes[keep], settle[ok][who[keep]]):
            k = ("n", x) if x < n else ("g", x - n)
            p0, m0 = out.get(k, (0.0, set()))
            new = set(members.tolist()) - m0
            out[k] = (p0 + float(pop[list(new)].sum()) if new else p0, m0 | new)
    return out


def _path_load(net: AccessNetwork, run: Run, pop: np.ndarray) -> tuple[dict[int, float], dict[int, float]]:
    """Population whose fastest route passes each vertex / each group (each origin once per vertex or group)."""
    tails = _arc_tails(net)
    vload: dict[int, float] = {}
    gload: dict[int, float] = {}
    for key, solve in run.solves.items():
        settle, nodes0 = _solved_starts(net, run, key)
        if not len(settle):
            continue
        nodes, arcs, who = _tree_paths(solve[6], tails, nodes0)
        v = net.node_vertex[nodes]
        g = np.where(arcs >= 0, net.group[np.maximum(arcs, 0)], -1)
        for ids, load in ((v, vload), (g, gload)):
            m = ids >= 0
            pairs = np.unique(np.stack([ids[m], who[m]]), axis=1)
            w = pop[settle[pairs[1]]] + 1e-6
            for x, tot in zip(*_sum_by(pairs[0], w), strict=True):
                load[int(x)] = load.get(int(x), 0.0) + float(tot)
    return vload, gload


def _sum_by(keys: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys and the sum of ``weights`` per key."""
    uniq, inv = np.unique(keys, return_inverse=True)
    return uniq, np.bincount(inv.ravel(), weights=weights, minlength=len(uniq))


@dataclass
class _Baseline:
    """What the unblocked solves give, summed over the classes analysed.

    ``dom_j``/``dom_g``: people and settlement positions each junction (vertex) / group dominates;
    ``vload``/``gload``: population whose fastest route passes each vertex / group.
    """

    rows: dict[str, pd.DataFrame] = field(default_factory=dict)
    runs: dict[str, Run] = field(default_factory=dict)
    dom_j: dict[int, tuple[float, set[int]]] = field(default_factory=dict)
    dom_g: dict[int, tuple[float, set[int]]] = field(default_factory=dict)
    vload: dict[int, float] = field(default_factory=dict)
    gload: dict[int, float] = field(default_factory=dict)


def _analysed_classes(scenario: Scenario, traveller_class: str | None) -> list[str]:
    """The classes to analyse (the one given, else each party's resident vehicle class); vehicle classes only."""
    classes = [traveller_class] if traveller_class else default_classes(scenario)
    if not classes:
        raise InputError(scenario.name, "no resident vehicle class to analyse; name one with --class", field="class")
    for cls_id in classes:
        if scenario.traveller_class(cls_id).mode != "vehicle":
            raise InputError(
                scenario.name,
                f"class {cls_id!r} travels on foot; chokepoints are computed on the road network (vehicle classes)",
                field="class",
            )
    return classes


def _union_into(acc: dict[int, tuple[float, set[int]]], key: int, members: set[int], pop: np.ndarray) -> None:
    """Add ``members`` (settlement positions) to ``acc[key]``, counting each settlement's people once."""
    p0, m0 = acc.get(key, (0.0, set()))
    new = members - m0
    acc[key] = (p0 + float(pop[list(new)].sum()) if new else p0, m0 | members)


def _baseline(
    scenario: Scenario, net: AccessNetwork, regime_id: str, classes: list[str], tset: TargetSet, pop: np.ndarray
) -> _Baseline:
    """Solve each class once and collect dominated people and path loads per junction and group."""
    base = _Baseline()
    for cls_id in classes:
        rows, run = compute(scenario, net, regime_id, cls_id, tset, with_routes=False)
        base.rows[cls_id], base.runs[cls_id] = rows, run
        for (kind, ident), (_people, members) in _dominated_people(net, run, pop).items():
            if kind == "n":
                v = int(net.node_vertex[ident])
                if v >= 0:
                    _union_into(base.dom_j, v, members, pop)
            elif kind == "g":
                _union_into(base.dom_g, ident, members, pop)
        vl, gl = _path_load(net, run, pop)
        for k, load in vl.items():
            base.vload[k] = base.vload.get(k, 0.0) + load
        for k, load in gl.items():
            base.gload[k] = base.gload.get(k, 0.0) + load
    return base


def _junction_candidates(net: AccessNetwork, base: _Baseline) -> list[dict[str, Any]]:
    """Every road vertex where 3 or more segments meet, with its dominator estimate and path load."""
    verts = net.vertices
    vids = verts["vertex_id"].astype(str).to_numpy()
    roads = verts["roads"].astype(str).to_numpy()
    lon, lat = verts["lon"].to_numpy(float), verts["lat"].to_numpy(float)
    out = []
    for vi in np.flatnonzero(verts["degree"].to_numpy() >= 3).tolist():
        est = base.dom_j.get(vi, (0.0, set()))
        out.append(
            {
                "kind": "junction",
                "id": vids[vi],
                "name": "junction of " + roads[vi].replace(",", ", "),
                "lon": float(lon[vi]),
                "lat": float(lat[vi]),
                "est": est[0],
                "est_n": len(est[1]),
                "members_dom": est[1],
                "load": base.vload.get(vi, 0.0),
                "closures": Closures(junctions=(vids[vi],)),
            }
        )
    return out


def _road_names(scenario: Scenario) -> dict[str, str]:
    roads = scenario.roads
    return dict(zip(roads["road_id"].astype(str), roads["name"].astype(str), strict=True)) if len(roads) else {}


def _road_candidates(scenario: Scenario, net: AccessNetwork, base: _Baseline) -> list[dict[str, Any]]:
    """One candidate per road: its segment that cuts off most (then most settlements, then most load)."""
    groups = net.groups
    rids = groups["road_id"].astype(str).to_numpy()
    segs = groups["segment"].astype(str).to_numpy()
    lon, lat = groups["lon"].to_numpy(float), groups["lat"].to_numpy(float)
    best: dict[str, tuple[tuple[float, int, float], int]] = {}
    for gi in np.flatnonzero(groups["kind"].to_numpy() == SEGMENT).tolist():
        est = base.dom_g.get(gi, (0.0, set()))
        score = (est[0], len(est[1]), base.gload.get(gi, 0.0))
        cur = best.get(rids[gi])
        if cur is None or score > cur[0]:
            best[rids[gi]] = (score, gi)
    road_names = _road_names(scenario)
    out = []
    for rid, (score, gi) in best.items():
        est = base.dom_g.get(gi, (0.0, set()))
        out.append(
            {
                "kind": "road",
                "id": rid,
                "name": road_names.get(rid, rid) or rid,
                "segment": segs[gi],
                "lon": float(lon[gi]),
                "lat": float(lat[gi]),
                "est": est[0],
                "est_n": len(est[1]),
                "members_dom": est[1],
                "load": score[2],
                "closures": Closures(segments=(segs[gi],)),
            }
        )
    return out


def _shortlist(cands: list[dict[str, Any]], pop_raw: np.ndarray, top: int) -> list[dict[str, Any]]:
    """Candidates ordered by estimated people cut off, unknown-population settlements, settlements, load;
    the first ``3 * top`` that matter at all are re-solved."""
    unknown = _unknown_population(pop_raw)
    for c in cands:
        c["est_unknown"] = int(unknown[list(c.get("members_dom", ()))].sum()) if c.get("members_dom") else 0
    cands.sort(key=lambda c: (-c["est"], -c["est_unknown"], -c["est_n"], -c["load"], c["kind"], c["id"]))
    return [c for c in cands if c["est"] > 0 or c["est_n"] > 0 or c["load"] > 0][: max(3 * top, top)]


def _resolved_row(
    scenario: Scenario,
    c: dict[str, Any],
    classes: list[str],
    base: _Baseline,
    views: dict[str, _BaseView],
    regime_id: str,
    net: AccessNetwork,
    tset: TargetSet,
) -> dict[str, Any]:
    """Exact totals for one candidate: the solver re-run with the point blocked, summed over the classes."""
    people = n_cut = n_unknown = 0
    ph = 0.0
    cut_names: list[str] = []
    for cls_id in classes:
        tot, names_cut = _blocked_totals(
            scenario, base.runs[cls_id], views[cls_id], regime_id, cls_id, c["closures"], net, tset
        )
        people += tot["people_cut_off"]
        n_cut += tot["settlements_cut_off"]
        n_unknown += tot["settlements_cut_off_population_unknown"]
        ph += tot["person_hours_added"]
        cut_names += names_cut
    return {
        "kind": c["kind"],
        "id": c["id"],
        "name": c["name"],
        "segment": c.get("segment", ""),
        "lon": c["lon"],
        "lat": c["lat"],
        "people_cut_off": int(people),
        "settlements_cut_off": int(n_cut),
        "settlements_cut_off_population_unknown": int(n_unknown),
        "checkpoint": bool(c.get("checkpoint", False)),
        "members": list(c.get("members", [])),
        "person_hours_added": float(ph),
        "cut_off_settlements": sorted(set(cut_names)),
        "estimated_cut_off": float(c["est"]),
        "same_cut": [],
    }


def _merge_series(res: pd.DataFrame) -> pd.DataFrame:
    """Points that cut off exactly the same (non-empty) set of settlements lie in series on the one way
    out: one chokepoint. The first row of each such set (in ranking order) stays, the others' ids go to
    its ``same_cut``."""
    keep: list[int] = []
    first: dict[tuple[str, ...], int] = {}
    same: dict[int, list[str]] = {}
    for pos, cut in enumerate(res["cut_off_settlements"]):
        key = tuple(cut)
        if key and key in first:
            same[first[key]].append(str(res["id"].iloc[pos]))
            continue
        if key:
            first[key] = pos
        same[pos] = []
        keep.append(pos)
    out = res.iloc[keep].copy()
    out["same_cut"] = [same[p] for p in keep]
    return out


def _ranked(out: list[dict[str, Any]], top: int) -> pd.DataFrame:
    """Rows ranked by people cut off, unknown-population settlements cut off, then person-hours added;
    points in series (the same settlements cut off) merged (:func:`_merge_series`)."""
    res = pd.DataFrame(out, columns=CHOKEPOINT_COLUMNS)
    if not len(res):
        return res
    res = res.sort_values(
        [
            "people_cut_off",
            "settlements_cut_off_population_unknown",
            "person_hours_added",
            "settlements_cut_off",
            "kind",
            "id",
        ],
        ascending=[False, False, False, False, True, True],
        kind="stable",
    )
    return _merge_series(res).head(top).reset_index(drop=True)


def chokepoints(
    scenario: Scenario,
    *,
    regime: str | None = None,
    traveller_class: str | None = None,
    targets: str = "regional-centre",
    top: int = 10,
    network: AccessNetwork | None = None,
    offroad: bool | None = None,
    progress: ProgressFn | None = None,
) -> ChokepointResult:
    """Junctions, road segments and crossing points ranked by people cut off, then person-hours added.

    A crossing point is a checkpoint, or one road's crossings of the line away from checkpoints
    taken together (a road meeting the line several times is one point). Settlements of unknown
    population are counted apart (``settlements_cut_off_population_unknown``) and rank a point
    above one that cuts off nobody.

    Parameters
    ----------
    scenario, regime: what to analyse (regime default: the scenario's default).
    traveller_class: one vehicle class; default each party's resident vehicle class.
    targets: target set (default each party's own regional centres).
    top: how many chokepoints to return (the solver is re-run for up to ``3 * top`` candidates).
    network: a vehicle network of the scenario to reuse (it decides the setting below).
    offroad: when no network is given, the one :func:`~delimit.access.network.build_network` builds with this
        setting: ``None`` (the default) is the engine's default, roads joined to off-road travel over the land
        cover when the scenario has one, so detours across terrain count as alternatives; ``False``: the road
        network alone. The result says which (``network``).
    progress: optional ``(message, fraction)`` callback.

    See the module docstring for the method.
    """
    if top < 1:
        raise InputError(scenario.name, f"top must be at least 1 (got {top})", field="top")
    report = progress or (lambda _m, _f: None)
    reg = scenario.regime(regime)
    classes = _analysed_classes(scenario, traveller_class)
    net = network or build_network(scenario, mode="vehicle", offroad=offroad, progress=lambda m, f: report(m, 0.1 * f))
    if net.mode != "vehicle":
        raise InputError(scenario.name, "chokepoints are computed on a vehicle network", field="network")
    tset = resolve_targets(scenario, targets)
    pop_raw = own_population(scenario.settlements)  # persons each settlement owns (part_of: once; NaN = unknown)
    pop = np.nan_to_num(pop_raw, nan=0.0)  # known people only; unknown ones are counted apart
    report("baseline", 0.1)
    base = _baseline(scenario, net, reg.id, classes, tset, pop)
    report("dominators", 0.4)
    cands = _junction_candidates(net, base) + _road_candidates(scenario, net, base)
    cands += list(_crossing_candidates(scenario, net, base.dom_g, base.gload, pop).values())
    chosen = _shortlist(cands, pop_raw, top)
    views = {cls_id: _BaseView.of(rows) for cls_id, rows in base.rows.items()}
    out = []
    for k, c in enumerate(chosen):
        out.append(_resolved_row(scenario, c, classes, base, views, reg.id, net, tset))
        report(f"re-solving {c['kind']} {c['id']}", 0.4 + 0.6 * (k + 1) / max(1, len(chosen)))
    return ChokepointResult(
        scenario=scenario.name,
        regime=reg.id,
        classes=classes,
        targets=tset.spec,
        rows=_ranked(out, top),
        candidates_examined=len(chosen),
        crs_description=net.crs_description,
        notes=list(net.notes),
        data_marks=scenario.data_marks(layers_used("vehicle")),
        network=network_description(net),
        provenance=scenario.provenance.as_dict(),
    )


@dataclass
class _BaseView:
    """A baseline's rows as arrays in the order :func:`compare_rows` merges them (``None``: ids not unique)."""

    rows: pd.DataFrame
    order: np.ndarray | None
    reach: np.ndarray
    minutes: np.ndarray
    pop: np.ndarray
    unknown: np.ndarray
    names: np.ndarray

    @classmethod
    def of(cls, rows: pd.DataFrame) -> _BaseView:
        ids = rows["settlement_id"].to_numpy()
        merged = compare_rows(rows, rows)[0]["settlement_id"].to_numpy()
        at = {sid: k for k, sid in enumerate(ids)}
        order = None
        if len(at) == len(ids) == len(merged):
            order = np.asarray([at[sid] for sid in merged], np.int64)
        o = order if order is not None else np.arange(len(rows))
        popu = pd.to_numeric(rows["population"], errors="coerce").astype(float).to_numpy()[o]
        return cls(
            rows=rows,
            order=order,
            reach=rows["reachable"].to_numpy(dtype=bool)[o],
            minutes=rows["minutes"].astype(float).to_numpy()[o],
            pop=np.nan_to_num(popu, nan=0.0),
            unknown=np.isnan(popu),
            names=rows["settlement"].fillna("").astype(str).to_numpy()[o],
        )


def _blocked_totals(
    scenario: Scenario,
    run: Run,
    base: _BaseView,
    regime_id: str,
    class_id: str,
    closures: Closures,
    net: AccessNetwork,
    tset: TargetSet,
) -> tuple[dict[str, Any], list[str]]:
    """:func:`compare_rows` totals and cut-off names of the baseline against it with ``closures`` blocked.

    Re-solves only what the closures can change (:func:`resolve_on_tree`) and compares arrays in
    the merge's order, so the sums are the same as through rows; falls back to full rows when
    settlement ids are not unique.
    """
    if base.order is None:
        rows, _ = compute(scenario, net, regime_id, class_id, tset, closures, with_routes=False)
        crow, tot = compare_rows(base.rows, rows)
        return tot, crow.loc[crow["cut_off"], "settlement"].astype(str).tolist()
    reach_b, min_b = resolve_on_tree(scenario, run, base.rows, regime_id, class_id, closures)
    ra, rb = base.reach, reach_b[base.order]
    ma = np.where(ra, base.minutes, np.inf)
    mb = np.where(rb, min_b[base.order], np.inf)
    both = ra & rb
    with np.errstate(invalid="ignore"):
        delta = np.where(both, mb - ma, np.nan)
    pha = np.where(both, base.pop * delta / 60.0, np.nan)
    cut = ra & ~rb
    tot = {
        "settlements_cut_off": int(cut.sum()),
        "settlements_cut_off_population_unknown": int((cut & base.unknown).sum()),
        "people_cut_off": int(base.pop[cut].sum()),
        "person_hours_added": float(np.nansum(pha)),
    }
    return tot, base.names[cut].tolist()


def _in_arcs(net: AccessNetwork) -> tuple[np.ndarray, np.ndarray]:
    """``(indptr, arcs)``: the arcs into each node (arc ids sorted by head), cached on the network."""
    cached = getattr(net, "_in_arcs", None)
    if cached is None:
        arcs = np.argsort(net.indices, kind="stable").astype(np.int64)
        indptr = np.searchsorted(net.indices[arcs], np.arange(net.n_nodes + 1)).astype(np.int64)
        cached = (indptr, arcs)
        net._in_arcs = cached  # type: ignore[attr-defined]  # a per-network cache, like _tails
    return cached


def _arcs_of_groups(net: AccessNetwork, groups: np.ndarray) -> np.ndarray:
    """Ids of the arcs of ``groups`` (arc ids sorted by group cached on the network)."""
    cached = getattr(net, "_arcs_by_group", None)
    if cached is None:
        arcs = np.argsort(net.group, kind="stable").astype(np.int64)
        cached = (arcs, np.searchsorted(net.group[arcs], np.arange(len(net.groups) + 1)).astype(np.int64))
        net._arcs_by_group = cached  # type: ignore[attr-defined]  # a per-network cache, like _tails
    arcs, ptr = cached
    return _ranges(ptr[groups], ptr[groups + 1], arcs)


def _ranges(lo: np.ndarray, hi: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values[lo[0]:hi[0]]``, ``values[lo[1]:hi[1]]``, ... concatenated."""
    lens = hi - lo
    total = int(lens.sum())
    if not total:
        return np.zeros(0, values.dtype)
    starts = np.repeat(lo - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
    return values[starts + np.arange(total)]


def _spt_intervals(run: Run, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Preorder intervals of the shortest-path forest of the solve ``key`` (cached on the run)."""
    cache = run.__dict__.setdefault("_spt", {})
    if key not in cache:
        solve = run.solves[key]
        cache[key] = _tree_intervals(solve[6], _arc_tails(run.net), solve[3])
    return cache[key]  # type: ignore[no-any-return]


def resolve_on_tree(
    scenario: Scenario,
    run: Run,
    rows: pd.DataFrame,
    regime_id: str | None,
    class_id: str,
    closures: Closures,
) -> tuple[np.ndarray, np.ndarray]:
    """``(reachable, minutes)`` per origin (in ``rows`` order) with ``closures`` blocked: the values of
    :func:`~delimit.access.travel.resolve_minutes` (and of a full :func:`compute`), re-solving only the
    nodes whose fastest route the closures cut.

    A blocked node, or a closed arc that is some node's predecessor in the shortest-path forest, *hits* that
    node; every node in the hit nodes' subtrees (preorder intervals) is *affected*. Other nodes keep their
    cost exactly (their route is intact and costs can only rise). The affected nodes are solved again from
    their arcs in from unaffected nodes (seeded at ``cost(tail) + arc``, the kernel's own sum), the others
    held fixed: Dijkstra's costs are minima of the same left-to-right float sums, so the result is equal bit
    for bit. A solve that no closure touches, or whose origins none is affected, is not re-run at all.
    """
    net = run.net
    add, blocked = group_costs(net, scenario.regime(regime_id), scenario.traveller_class(class_id), closures)
    changed = add != run.group_add
    if (np.isfinite(add[changed])).any() or (run.blocked & ~blocked).any():  # only closing is handled here
        return resolve_minutes(scenario, run, rows, regime_id, class_id, closures)
    reach = rows["reachable"].to_numpy(dtype=bool).copy()
    minutes = rows["minutes"].to_numpy(dtype=float).copy()
    att_node, att_s = net.attach["node"].to_numpy(), net.attach["offset_s"].to_numpy(float)
    closed_arcs = _arcs_of_groups(net, np.flatnonzero(changed))
    new_blocked = np.flatnonzero(blocked & ~run.blocked)
    w = None
    for key, pos in run.solved_origins.items():
        d, pred = run.solves[key][3], run.solves[key][6]
        heads = net.indices[closed_arcs]
        hit = np.concatenate([heads[pred[heads] == closed_arcs], new_blocked]).astype(np.int64)
        tin, tout, order = _spt_intervals(run, key)
        hit = hit[tin[hit] >= 0]
        at = run.origin_index[pos]
        onode = att_node[at].astype(np.int64)
        if not len(hit) or not len(pos):
            continue
        cover = np.zeros(len(order) + 1, np.int64)
        np.add.at(cover, tin[hit], 1)
        np.add.at(cover, tout[hit], -1)
        affected = np.zeros(net.n_nodes, np.bool_)
        affected[order[np.cumsum(cover[:-1]) > 0]] = True
        if not affected[onode].any():
            continue
        if w is None:
            w = effective_costs(net.base, net.group, add)
        dn = d[onode].copy()
        src, offs = run.solves[key][0], run.solves[key][1]
        dn[affected[onode]] = _solve_affected(net, d, w, add, blocked, affected, (src, offs))[onode[affected[onode]]]
        ok = np.isfinite(dn)
        reach[pos] = ok
        minutes[pos] = np.where(ok, (dn + att_s[at]) / 60.0, math.inf)
    return reach, minutes


def _solve_affected(
    net: AccessNetwork,
    d: np.ndarray,
    w: np.ndarray,
    add: np.ndarray,
    blocked: np.ndarray,
    affected: np.ndarray,
    sources: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """Costs of the ``affected`` nodes with ``blocked``/``w`` (the closed network's node mask and arc costs),
    the others held at ``d``: a multi-source solve inside the affected nodes from their entries (arcs in from
    unaffected nodes, and the solve's own ``sources`` with their offsets)."""
    tails = _arc_tails(net)
    rptr, rarc = _in_arcs(net)
    a_nodes = np.flatnonzero(affected & ~blocked)
    arcs = _ranges(rptr[a_nodes], rptr[a_nodes + 1], rarc)
    t = tails[arcs]
    seed = d[t] + w[arcs]
    ok = ~affected[t] & ~blocked[t] & np.isfinite(seed)
    src = np.asarray(sources[0], np.int64)
    own = affected[src] & ~blocked[src]
    heads = np.concatenate([net.indices[arcs[ok]], src[own]])
    seed = np.concatenate([seed[ok], np.asarray(sources[1], float)[own]])
    if not len(heads):
        return np.full(net.n_nodes, math.inf)
    best = np.full(net.n_nodes, math.inf)
    np.minimum.at(best, heads, seed)
    src = np.unique(heads)
    return net.shortest(add, blocked | ~affected, src, best[src])[0]


def _unknown_population(pop: np.ndarray) -> np.ndarray:
    """Settlements whose population is unknown (missing, or 0 as the registry writes it)."""
    unknown: np.ndarray = ~np.isfinite(pop) | (pop == 0)  # ndarray.__eq__ is typed Any in numpy's stubs
    return unknown


def _crossing_candidates(
    scenario: Scenario,
    net: AccessNetwork,
    dom_g: dict[int, tuple[float, set[int]]],
    gload: dict[int, float],
    pop: np.ndarray,
) -> dict[str, dict[str, Any]]:
    """One candidate per checkpoint and one per road's crossings away from checkpoints.

    The estimate of a merged point is the union of its members' dominated settlements (a lower
    bound of what blocking them together cuts off; the re-solve makes it exact).
    """
    groups = net.groups
    gk = groups["kind"].to_numpy()
    pa, pb = groups["party_a"].to_numpy(), groups["party_b"].to_numpy()
    cp = groups["checkpoint"].to_numpy(bool) | groups["at_post"].to_numpy(
        bool
    )  # a post and the road's other meetings with the line beside it
    cname = (
        dict(zip(scenario.crossings["crossing_id"].astype(str), scenario.crossings["name"].astype(str), strict=True))
        if len(scenario.crossings)
        else {}
    )
    road_names = (
        dict(zip(scenario.roads["road_id"].astype(str), scenario.roads["name"].astype(str), strict=True))
        if len(scenario.roads)
        else {}
    )
    known = np.nan_to_num(pop, nan=0.0)
    acc: dict[str, dict[str, Any]] = {}
    for gi in np.flatnonzero((gk == TRANSITION) & (pa != pb)):
        cid = str(groups["crossing_id"].iloc[gi])
        rid = str(groups["road_id"].iloc[gi])
        key = cid if cp[gi] else f"line:{rid}"
        a = acc.setdefault(key, {"gis": [], "cids": []})
        a["gis"].append(int(gi))
        if cid not in a["cids"]:
            a["cids"].append(cid)
        a["rid"], a["checkpoint"] = rid, bool(cp[gi])
    out: dict[str, dict[str, Any]] = {}
    for key, a in acc.items():
        members: set[int] = set()
        for gi in a["gis"]:
            members |= dom_g.get(gi, (0.0, set()))[1]
        lead = max(a["gis"], key=lambda gi: (len(dom_g.get(gi, (0.0, set()))[1]), gload.get(gi, 0.0)))
        cids = sorted(a["cids"])
        if a["checkpoint"]:
            name = cname.get(key, key) or key
        else:
            what = f"{len(cids)} crossings" if len(cids) > 1 else "crossing"
            name = f"{road_names.get(a['rid'], a['rid']) or a['rid']}: {what} of the line away from a checkpoint"
        out[key] = {
            "kind": "crossing",
            "id": key,
            "name": name,
            "checkpoint": a["checkpoint"],
            "members": cids,
            "members_dom": members,
            "lon": float(groups["lon"].iloc[lead]),
            "lat": float(groups["lat"].iloc[lead]),
            "est": float(known[list(members)].sum()) if members else 0.0,
            "est_n": len(members),
            "load": max(gload.get(gi, 0.0) for gi in a["gis"]),
            "closures": Closures(crossings=tuple(cids)),
        }
    return out


__all__ = ["ChokepointResult", "chokepoints", "default_classes", "network_description"]


# ----------------------------------------------------------------------------- graph kernels (numba)


@numba.njit(cache=True)
def _csr_of(n: int, tails: np.ndarray, heads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Out-adjacency (CSR ``indptr``, ``indices``) of the arcs ``tails[k] -> heads[k]`` over ``n`` nodes."""
    indptr = np.zeros(n + 1, np.int64)
    for k in range(tails.shape[0]):
        indptr[tails[k] + 1] += 1
    for v in range(n):
        indptr[v + 1] += indptr[v]
    fill = indptr[:-1].copy()
    indices = np.empty(tails.shape[0], np.int64)
    for k in range(tails.shape[0]):
        indices[fill[tails[k]]] = heads[k]
        fill[tails[k]] += 1
    return indptr, indices


@numba.njit(cache=True)
def _lt_eval(v: int, ancestor: np.ndarray, label: np.ndarray, semi: np.ndarray, chain: np.ndarray) -> int:
    """Lengauer-Tarjan ``eval(v)``: the vertex of least semidominator on the forest path above ``v``,
    compressing that path (``ancestor`` and ``label`` updated in place; ``chain`` is scratch space)."""
    if ancestor[v] < 0:
        return v
    depth = 0
    x = v
    while ancestor[ancestor[x]] >= 0:
        chain[depth] = x
        depth += 1
        x = ancestor[x]
    for j in range(depth - 1, -1, -1):
        x = chain[j]
        a = ancestor[x]
        if semi[label[a]] < semi[label[x]]:
            label[x] = label[a]
        ancestor[x] = ancestor[a]
    return int(label[v])


@numba.njit(cache=True)
def _lengauer_tarjan(n: int, tails: np.ndarray, heads: np.ndarray, root: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Immediate dominators (Lengauer & Tarjan 1979, simple version: path compression) of the graph
    ``tails[k] -> heads[k]`` from ``root``. Returns ``(idom, order, count)``: ``idom[v]`` (-1 when the root
    cannot reach v; the root maps to itself) and the ``count`` reached nodes in depth-first preorder, in which
    every node comes after its immediate dominator."""
    fptr, fidx = _csr_of(n, tails, heads)
    rptr, ridx = _csr_of(n, heads, tails)
    dfn = np.full(n, -1, np.int64)
    order = np.empty(n, np.int64)
    parent = np.full(n, -1, np.int64)
    stack = np.empty(n, np.int64)
    nxt = np.empty(n, np.int64)
    count = 0
    dfn[root] = 0
    order[0] = root
    count = 1
    top = 0
    stack[0] = root
    nxt[root] = fptr[root]
    while top >= 0:
        v = stack[top]
        if nxt[v] < fptr[v + 1]:
            w = fidx[nxt[v]]
            nxt[v] += 1
            if dfn[w] < 0:
                dfn[w] = count
                order[count] = w
                count += 1
                parent[w] = v
                top += 1
                stack[top] = w
                nxt[w] = fptr[w]
        else:
            top -= 1
    semi = dfn.copy()  # semidominators as preorder numbers
    label = np.arange(n)
    ancestor = np.full(n, -1, np.int64)
    idom = np.full(n, -1, np.int64)
    bucket_head = np.full(n, -1, np.int64)
    bucket_next = np.full(n, -1, np.int64)
    chain = np.empty(n, np.int64)
    for i in range(count - 1, 0, -1):
        w = order[i]
        for k in range(rptr[w], rptr[w + 1]):
            v = ridx[k]
            if dfn[v] < 0:
                continue
            u = _lt_eval(v, ancestor, label, semi, chain)
            if semi[u] < semi[w]:
                semi[w] = semi[u]
        s = order[semi[w]]
        bucket_next[w] = bucket_head[s]
        bucket_head[s] = w
        p = parent[w]
        ancestor[w] = p
        v = bucket_head[p]
        while v >= 0:
            nv = bucket_next[v]
            u = _lt_eval(v, ancestor, label, semi, chain)
            idom[v] = u if semi[u] < semi[v] else p
            v = nv
        bucket_head[p] = -1
    for i in range(1, count):
        w = order[i]
        if idom[w] != order[semi[w]]:
            idom[w] = idom[idom[w]]
    idom[root] = root
    return idom, order, count


@numba.njit(cache=True)
def _chains(up: np.ndarray, starts: np.ndarray, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """``(node, k)`` for every node on the chain ``starts[k], up[starts[k]], ...`` before ``stop`` (or a node
    that maps to itself or to -1): the dominators of each start when ``up`` is the immediate-dominator array."""
    total = 0
    for k in range(starts.shape[0]):
        x = starts[k]
        while x >= 0 and x != stop:
            total += 1
            nx = up[x]
            if nx == x:
                break
            x = nx
    nodes = np.empty(total, np.int64)
    who = np.empty(total, np.int64)
    j = 0
    for k in range(starts.shape[0]):
        x = starts[k]
        while x >= 0 and x != stop:
            nodes[j] = x
            who[j] = k
            j += 1
            nx = up[x]
            if nx == x:
                break
            x = nx
    return nodes, who


@numba.njit(cache=True)
def _tree_paths(pred: np.ndarray, tails: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(node, arc, k)`` for every node of the shortest-path-tree branch from ``starts[k]`` back to its source
    (``arc``: the node's predecessor arc, -1 at the source)."""
    n = pred.shape[0]
    total = 0
    for k in range(starts.shape[0]):
        x = starts[k]
        steps = 0
        while x >= 0 and steps <= n:
            total += 1
            steps += 1
            x = tails[pred[x]] if pred[x] >= 0 else -1
    nodes = np.empty(total, np.int64)
    arcs = np.empty(total, np.int64)
    who = np.empty(total, np.int64)
    j = 0
    for k in range(starts.shape[0]):
        x = starts[k]
        steps = 0
        while x >= 0 and steps <= n:
            nodes[j] = x
            arcs[j] = pred[x]
            who[j] = k
            j += 1
            steps += 1
            x = tails[pred[x]] if pred[x] >= 0 else -1
    return nodes, arcs, who


@numba.njit(cache=True)
def _tree_intervals(pred: np.ndarray, tails: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Preorder ``(tin, tout, order)`` of the shortest-path forest given by ``pred``: the subtree of a node
    ``v`` (every node whose fastest route passes v) is ``order[tin[v]:tout[v]]``; unreached nodes get -1."""
    n = pred.shape[0]
    parent = np.full(n, -1, np.int64)
    for v in range(n):
        if pred[v] >= 0:
            parent[v] = tails[pred[v]]
    cnt = np.zeros(n + 1, np.int64)
    for v in range(n):
        if parent[v] >= 0:
            cnt[parent[v] + 1] += 1
    for v in range(n):
        cnt[v + 1] += cnt[v]
    fill = cnt[:-1].copy()
    kids = np.empty(max(1, int(cnt[n])), np.int64)
    for v in range(n):
        if parent[v] >= 0:
            kids[fill[parent[v]]] = v
            fill[parent[v]] += 1
    tin = np.full(n, -1, np.int64)
    tout = np.full(n, -1, np.int64)
    order = np.empty(n, np.int64)
    stack = np.empty(n, np.int64)
    nxt = np.empty(n, np.int64)
    t = 0
    for r in range(n):
        if parent[r] >= 0 or not (dist[r] < np.inf):
            continue
        top = 0
        stack[0] = r
        nxt[r] = cnt[r]
        tin[r] = t
        order[t] = r
        t += 1
        while top >= 0:
            v = stack[top]
            if nxt[v] < cnt[v + 1]:
                w = kids[nxt[v]]
                nxt[v] += 1
                tin[w] = t
                order[t] = w
                t += 1
                top += 1
                stack[top] = w
                nxt[w] = cnt[w]
            else:
                tout[v] = t
                top -= 1
    return tin, tout, order[:t]
