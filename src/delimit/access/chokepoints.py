"""Chokepoints: road junctions, road segments and crossings whose blocking cuts people off.

Method
------
1. Solve once per class (vehicle mode; one network, the regime's masks).
2. **Cut-offs from graph structure, not from re-solving.** For each party's target set, take the
   graph of arcs usable under the regime, put an extra node in the middle of every road segment
   and every crossing (so that blocking a segment or a crossing is blocking a node), add a root
   joined to every target, and compute the **dominator tree** from the root
   (``networkx.immediate_dominators``, Lengauer-Tarjan/Cooper-Harvey-Kennedy, near-linear). A
   node *d* dominates a settlement when every route from any target to it passes *d*: blocking *d*
   cuts it off. One pass up the tree from each settlement gives, for every junction, segment and
   crossing at once, the people who would lose all access. A junction with several labels (a
   vertex on a border) is the union of its nodes' dominated sets (a lower bound, made exact in 4).
3. **Candidates** are junctions (3 or more segments), road segments (the strongest per road), and
   crossing points: each checkpoint, and each road's crossings of the line away from checkpoints
   taken together as one point (``line:<road_id>``, its crossing ids in ``members``; a road that
   meets the line several times is one point). They are ranked by that cut-off population, then
   by the settlements of unknown population cut off, then by the population whose fastest route
   passes the point (from the shortest-path trees already computed).
4. **Re-solve only the top candidates** with the point blocked (:class:`~delimit.access.rules.Closures`)
   to get exact ``people_cut_off``, ``settlements_cut_off_population_unknown`` and
   ``person_hours_added`` (see :data:`delimit.access.travel.DEFINITIONS`); the result is ranked by
   people cut off, then settlements of unknown population cut off (counted apart, never as 0
   people), then person-hours added where alternatives exist.
5. **Points in series are one chokepoint.** Junctions and segments on the one way out of a group of
   settlements each cut off exactly that group; they are listed once, under the point ranked first
   (the one adding most person-hours), the others named in its ``same_cut``.

Classes: by default each party's *resident* vehicle class (so each settlement's residents are
counted once, travelling from their own settlement to their own party's target); or the one class
given. Chokepoints are computed on the road network (vehicle mode).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from delimit.access.network import SEGMENT, TRANSITION, AccessNetwork, build_network
from delimit.access.rules import Closures
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


def default_classes(scenario: Scenario) -> list[str]:
    """Each party's resident vehicle class (first one declared per party)."""
    seen: dict[str, str] = {}
    for c in scenario.traveller_classes.values():
        if c.mode == "vehicle" and c.kind == "resident" and c.party and c.party not in seen:
            seen[c.party] = c.id
    return list(seen.values())


def immediate_dominators(n_nodes: int, tails: np.ndarray, heads: np.ndarray, root: int) -> np.ndarray:
    """Immediate dominator of every node of the directed graph ``tails[k] -> heads[k]`` seen from ``root``.

    Lengauer-Tarjan in C (igraph's ``Graph.dominator``), near-linear in the arcs; :func:`networkx.immediate_dominators`
    is the slow oracle the tests compare it with. Returns an int64 array: the root maps to itself, a node the root
    cannot reach to -1.

    >>> import numpy as np
    >>> immediate_dominators(4, np.array([0, 0, 1, 2]), np.array([1, 2, 3, 3]), 0).tolist()
    [0, 0, 0, 0]
    >>> immediate_dominators(4, np.array([0, 1, 2]), np.array([1, 2, 3]), 0).tolist()
    [0, 0, 1, 2]
    """
    import igraph

    g = igraph.Graph(n=n_nodes, edges=np.column_stack([tails, heads]).tolist(), directed=True)
    dom = np.array([-1 if d is None or d != d else int(d) for d in g.dominator(root, mode="out")], dtype=np.int64)
    dom[dom < 0] = -1
    dom[root] = root
    return dom


def _dominator_arcs(net: AccessNetwork, run: Run) -> tuple[np.ndarray, np.ndarray]:
    """Arcs of the usable graph for dominators: road segments and transitions become a node of their own
    (``n_nodes + group``), so that a group can dominate; other arcs join their nodes directly."""
    add, blocked = run.group_add, run.blocked
    tails = _arc_tails(net)
    g = net.group
    w = net.base + np.where(g >= 0, add[np.maximum(g, 0)], 0.0)
    ok = np.flatnonzero(np.isfinite(w) & ~blocked[tails] & ~blocked[net.indices])
    gk = net.groups["kind"].to_numpy()
    u, v, gg = tails[ok].astype(np.int64), net.indices[ok].astype(np.int64), g[ok].astype(np.int64)
    split = (gg >= 0) & np.isin(gk[np.maximum(gg, 0)], (SEGMENT, TRANSITION))
    n = len(net.indptr) - 1
    mid = n + gg[split]
    src = np.concatenate([u[~split], u[split], mid])
    dst = np.concatenate([v[~split], mid, v[split]])
    return src, dst


def _dominated_people(
    net: AccessNetwork, run: Run, pop: np.ndarray, names: np.ndarray
) -> dict[tuple[str, int], tuple[float, set[int]]]:
    """{(kind, id): (people, settlement positions)} dominated, for node ('n', node) and group ('g', group) keys."""
    n = len(net.indptr) - 1
    n_groups = len(net.groups)
    root = n + n_groups
    src_a, dst_a = _dominator_arcs(net, run)
    att = net.attach["node"].to_numpy()
    out: dict[tuple[str, int], tuple[float, set[int]]] = {}

    def key(x: int) -> tuple[str, int]:
        return ("n", x) if x < n else ("g", x - n)

    for _key, (src, _offs, _offm, dist, _m, _o, _p, _sel) in run.solves.items():
        if not len(src):
            continue
        starts = np.unique(np.asarray(src, dtype=np.int64))
        idom = immediate_dominators(
            root + 1,
            np.concatenate([src_a, np.full(len(starts), root, dtype=np.int64)]),
            np.concatenate([dst_a, starts]),
            root,
        )
        for i in run.origin_index:
            node = int(att[i])
            if node < 0 or not np.isfinite(dist[node]) or idom[node] < 0:
                continue
            x = node
            while x != root:
                people, members = out.get(key(x), (0.0, set()))
                if i not in members:
                    members.add(int(i))
                    out[key(x)] = (people + float(pop[i]), members)
                nxt = int(idom[x])
                if nxt == x or nxt < 0:
                    break
                x = nxt
    return out


def _path_load(net: AccessNetwork, run: Run, pop: np.ndarray) -> tuple[dict[int, float], dict[int, float]]:
    """Population whose fastest route passes each vertex / each group."""
    tails = _arc_tails(net)
    att = net.attach["node"].to_numpy()
    vload: dict[int, float] = {}
    gload: dict[int, float] = {}
    for _key, (src, _offs, _offm, dist, _m, _o, pred, _sel) in run.solves.items():
        if not len(src):
            continue
        for i in run.origin_index:
            node = int(att[i])
            if node < 0 or not np.isfinite(dist[node]):
                continue
            seen_v: set[int] = set()
            seen_g: set[int] = set()
            while node >= 0:
                v = int(net.node_vertex[node])
                if v >= 0:
                    seen_v.add(v)
                a = int(pred[node])
                if a < 0:
                    break
                if net.group[a] >= 0:
                    seen_g.add(int(net.group[a]))
                node = int(tails[a])
            for v in seen_v:
                vload[v] = vload.get(v, 0.0) + float(pop[i]) + 1e-6
            for gg in seen_g:
                gload[gg] = gload.get(gg, 0.0) + float(pop[i]) + 1e-6
    return vload, gload


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
    names = scenario.settlements["name"].astype(str).to_numpy()
    for cls_id in classes:
        rows, run = compute(scenario, net, regime_id, cls_id, tset, with_routes=False)
        base.rows[cls_id], base.runs[cls_id] = rows, run
        for (kind, ident), (_people, members) in _dominated_people(net, run, pop, names).items():
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
    out = []
    for vi in np.flatnonzero(verts["degree"].to_numpy() >= 3):
        est = base.dom_j.get(int(vi), (0.0, set()))
        vid = str(verts["vertex_id"].iloc[vi])
        out.append(
            {
                "kind": "junction",
                "id": vid,
                "name": "junction of " + str(verts["roads"].iloc[vi]).replace(",", ", "),
                "lon": float(verts["lon"].iloc[vi]),
                "lat": float(verts["lat"].iloc[vi]),
                "est": est[0],
                "est_n": len(est[1]),
                "members_dom": est[1],
                "load": base.vload.get(int(vi), 0.0),
                "closures": Closures(junctions=(vid,)),
            }
        )
    return out


def _road_names(scenario: Scenario) -> dict[str, str]:
    roads = scenario.roads
    return dict(zip(roads["road_id"].astype(str), roads["name"].astype(str), strict=True)) if len(roads) else {}


def _road_candidates(scenario: Scenario, net: AccessNetwork, base: _Baseline) -> list[dict[str, Any]]:
    """One candidate per road: its segment that cuts off most (then most settlements, then most load)."""
    groups = net.groups
    by_road: dict[str, dict[str, Any]] = {}
    road_names = _road_names(scenario)
    for gi in np.flatnonzero(groups["kind"].to_numpy() == SEGMENT):
        est = base.dom_g.get(int(gi), (0.0, set()))
        rid = str(groups["road_id"].iloc[gi])
        seg = str(groups["segment"].iloc[gi])
        cand = {
            "kind": "road",
            "id": rid,
            "name": road_names.get(rid, rid) or rid,
            "segment": seg,
            "lon": float(groups["lon"].iloc[gi]),
            "lat": float(groups["lat"].iloc[gi]),
            "est": est[0],
            "est_n": len(est[1]),
            "members_dom": est[1],
            "load": base.gload.get(int(gi), 0.0),
            "closures": Closures(segments=(seg,)),
        }
        cur = by_road.get(rid)
        if cur is None or (cand["est"], cand["est_n"], cand["load"]) > (cur["est"], cur["est_n"], cur["load"]):
            by_road[rid] = cand
    return list(by_road.values())


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
    network: a vehicle network of the scenario to reuse.
    progress: optional ``(message, fraction)`` callback.

    See the module docstring for the method.
    """
    if top < 1:
        raise InputError(scenario.name, f"top must be at least 1 (got {top})", field="top")
    report = progress or (lambda _m, _f: None)
    reg = scenario.regime(regime)
    classes = _analysed_classes(scenario, traveller_class)
    # roads only: the per-origin dominator walks below are not yet fit for the off-road terrain graph
    net = network or build_network(scenario, mode="vehicle", offroad=False, progress=lambda m, f: report(m, 0.1 * f))
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

    Re-solves only what the closures can change (:func:`resolve_minutes`) and compares arrays in
    the merge's order, so the sums are the same as through rows; falls back to full rows when
    settlement ids are not unique.
    """
    if base.order is None:
        rows, _ = compute(scenario, net, regime_id, class_id, tset, closures, with_routes=False)
        crow, tot = compare_rows(base.rows, rows)
        return tot, crow.loc[crow["cut_off"], "settlement"].astype(str).tolist()
    reach_b, min_b = resolve_minutes(scenario, run, base.rows, regime_id, class_id, closures)
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


__all__ = ["ChokepointResult", "chokepoints", "default_classes"]
