"""One trip between two named places: minutes, km, the checkpoints passed and the path, or why not.

Pure engine (no files, no printing). Places are settlements of the scenario, found by name or id
(:func:`find_place`); a name that matches nothing or several places is an
:class:`~delimit.errors.InputError` listing the candidates.

Definitions: **minutes** is the fastest trip under the regime for the class, including the
connector walks at both ends and the delay of every checkpoint passed (once per checkpoint);
**km** is the length of that fastest route. **checkpoints** are the posts of the ``crossings``
layer the route passes, in travel order; **crossings** lists every change of party on the route
(checkpoints, crossings away from them, neutral roads, transit corridors). When no route exists,
``reason`` says why: an end off the network, or the crossings that a route would need and the
regime closes to the class (found by re-solving with every border crossing open). **offroad_km**
and **offroad_minutes** are the legs of the trip off the roads (terrain cells crossed by vehicle
with off-road travel or on foot, and the connector walks at both ends), as in the access rows.

A single trip needs one single-source search from the destination, not the engine's multi-source
solve: :func:`_search` runs the exact heap kernel (:func:`delimit.access.kernels.dijkstra_csr`).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from delimit.access.kernels import dijkstra_csr
from delimit.access.network import AccessNetwork, build_network
from delimit.access.rules import group_costs
from delimit.access.travel import _arc_tails, _offroad_arcs, _route_crossings, layers_used
from delimit.errors import InputError
from delimit.model.scenario import Scenario

ROUTE_DEFINITIONS: dict[str, str] = {
    "minutes": "fastest trip under the regime for the class: connector walks at both ends, driving (or walking) time, and the delay of each checkpoint passed, once per checkpoint",
    "km": "length of that fastest route (not the shortest route)",
    "checkpoints": "posts of the crossings layer the route passes, in travel order; only these charge the regime's delays",
    "crossings": "every change of party on the route: checkpoints, crossings away from a checkpoint (no delay), neutral roads, transit corridors",
    "offroad_km": "kilometres of the route off the roads: terrain cells crossed (off-road travel for vehicles, the terrain on foot) and the connector walks at both ends",
    "offroad_minutes": "minutes of the trip spent on those off-road legs (no checkpoint delay is off-road)",
    "offroad_share_km": "offroad_km / km (0 to 1; null when km is 0)",
    "offroad_share_minutes": "offroad_minutes / minutes (0 to 1; null when minutes is 0)",
}


@dataclass
class Place:
    """A settlement found by name: its row position in ``scenario.settlements`` and its identity."""

    index: int
    settlement_id: str
    name: str
    party: str
    lon: float
    lat: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "settlement_id": self.settlement_id,
            "name": self.name,
            "party": self.party,
            "lon": self.lon,
            "lat": self.lat,
        }


class _RouteContext(TypedDict):
    """The fields of a :class:`RouteResult` fixed before any solving: who, where, under what, from which data."""

    scenario: str
    regime: str
    traveller_class: str
    mode: str
    origin: Place
    destination: Place
    crs_description: str
    notes: list[str]
    data_marks: dict[str, list[str]]
    provenance: dict[str, Any]
    attribution: str


class _TripOutcome(TypedDict):
    """The trip fields of a :class:`RouteResult` that carries no solved path (unreachable, or no travel needed)."""

    reachable: bool
    minutes: float | None
    km: float | None
    checkpoints: list[str]
    crossings: list[dict[str, Any]]
    path: dict[str, Any] | None
    offroad_km: float | None
    offroad_minutes: float | None


@dataclass
class RouteResult:
    """The fastest trip between two places, or the reason there is none (see the module docstring)."""

    scenario: str
    regime: str
    traveller_class: str
    mode: str
    origin: Place
    destination: Place
    reachable: bool
    minutes: float | None
    km: float | None
    checkpoints: list[str]
    crossings: list[dict[str, Any]]
    path: dict[str, Any] | None
    reason: str
    crs_description: str
    notes: list[str]
    data_marks: dict[str, list[str]]
    provenance: dict[str, Any]
    attribution: str
    offroad_km: float | None = None
    offroad_minutes: float | None = None
    connector_m: dict[str, float] = field(default_factory=dict)

    @property
    def offroad_share_km(self) -> float | None:
        """Share (0-1) of the route's km off the roads; None when unreachable or of zero length."""
        return _share(self.offroad_km, self.km)

    @property
    def offroad_share_minutes(self) -> float | None:
        """Share (0-1) of the trip's minutes spent off the roads; None when unreachable or instantaneous."""
        return _share(self.offroad_minutes, self.minutes)

    def to_json(self) -> dict[str, Any]:
        """``{"km", "minutes", "checkpoints", "path"(GeoJSON), ...}`` with provenance and attribution."""
        return {
            "scenario": self.scenario,
            "regime": self.regime,
            "class": self.traveller_class,
            "mode": self.mode,
            "from": self.origin.as_dict(),
            "to": self.destination.as_dict(),
            "reachable": self.reachable,
            "km": _rounded(self.km, 3),
            "minutes": _rounded(self.minutes, 2),
            "checkpoints": self.checkpoints,
            "crossings": self.crossings,
            "offroad_km": _rounded(self.offroad_km, 3),
            "offroad_minutes": _rounded(self.offroad_minutes, 2),
            "offroad_share_km": _rounded(self.offroad_share_km, 4),
            "offroad_share_minutes": _rounded(self.offroad_share_minutes, 4),
            "connector_m": {k: round(v, 1) for k, v in self.connector_m.items()},
            "path": self.path,
            "reason": self.reason,
            "definitions": ROUTE_DEFINITIONS,
            "crs_description": self.crs_description,
            "notes": self.notes,
            "data_marks": self.data_marks,
            "provenance": self.provenance,
            "attribution": self.attribution,
        }


def _rounded(x: float | None, nd: int) -> float | None:
    return None if x is None else round(x, nd)


def _share(part: float | None, whole: float | None) -> float | None:
    if part is None or whole is None or not whole > 0:
        return None
    return min(1.0, max(0.0, part / whole))


def _describe(st: Any, idx: list[int]) -> str:
    name, party, sid = (st[c].to_numpy() for c in ("name", "party", "settlement_id"))
    return "; ".join(f"{name[i]} ({party[i]}, {sid[i]})" for i in idx)


def find_place(scenario: Scenario, query: str, field_name: str = "from") -> Place:
    """The one settlement called ``query`` (case-insensitive name, else settlement id).

    Raises InputError when nothing or several places match, listing the candidates (several
    matches: each with its party and id, which may then be given instead of the name; nothing:
    the closest names).
    """
    st = scenario.settlements
    q = query.strip().casefold()
    names = np.array([str(x).casefold() for x in st["name"].to_numpy()], dtype=object)
    ids = [str(x) for x in st["settlement_id"].to_numpy()]
    hit = [i for i in range(len(st)) if names[i] == q] or [i for i in range(len(st)) if ids[i].casefold() == q]
    if len(hit) > 1:
        raise InputError(
            scenario.name,
            f"{query!r} names {len(hit)} places: {_describe(st, hit)}; give the settlement id instead",
            field=field_name,
        )
    if not hit:
        close = difflib.get_close_matches(q, list(dict.fromkeys(names)), n=6, cutoff=0.6)
        part = [i for i in range(len(st)) if q and q in names[i]][:6]
        cands = list(dict.fromkeys([int(np.flatnonzero(names == c)[0]) for c in close] + part))[:8]
        listed = _describe(st, cands) if cands else "none close"
        raise InputError(scenario.name, f"no place called {query!r} (candidates: {listed})", field=field_name)
    i = hit[0]
    g = st.geometry.to_numpy()[i]
    return Place(i, ids[i], str(st["name"].to_numpy()[i]), str(st["party"].to_numpy()[i]), float(g.x), float(g.y))


def _path_arcs(net: AccessNetwork, pred: np.ndarray, node: int) -> np.ndarray:
    """Arcs from ``node`` back to the search's source (the destination), in travel order.

    ``pred`` holds the arc by which the search reached each node (-1 at the source); the walk stops
    after ``n_nodes`` steps at most (a tree has no longer branch).
    """
    tails = _arc_tails(net)
    out: list[int] = []
    a = int(pred[node])
    most = net.n_nodes
    while a >= 0 and len(out) < most:
        out.append(a)
        a = int(pred[tails[a]])
    return np.asarray(out, np.int64)


def _crossing_index(net: AccessNetwork) -> dict[str, tuple[int, bool]]:
    """``crossing_id -> (group row to describe it, is a checkpoint)``, built once per network.

    The row is the first checkpoint row of the crossing if it has one, else its first row.
    """
    cache = getattr(net, "_crossing_index", None)
    if cache is not None and cache[0] is net.groups:
        return cache[1]  # type: ignore[no-any-return]
    g = net.groups
    cid = g["crossing_id"].astype(str).to_numpy()
    post = g["checkpoint"].astype(bool).to_numpy() if "checkpoint" in g.columns else np.zeros(len(g), np.bool_)
    index: dict[str, tuple[int, bool]] = {}
    for i in range(len(g)):
        c = cid[i]
        if c not in index or (post[i] and not index[c][1]):
            index[c] = (i, bool(post[i]))
    net._crossing_index = (g, index)  # type: ignore[attr-defined]  # a per-network cache, like _tails
    return index


def _crossing_records(net: AccessNetwork, ids: list[str]) -> list[dict[str, Any]]:
    index = _crossing_index(net)
    g = net.groups
    out: list[dict[str, Any]] = []
    for cid in ids:
        if cid not in index:
            out.append(
                {"id": cid, "kind": "green border" if cid.startswith("green:") else "crossing", "checkpoint": False}
            )
            continue
        row, post = index[cid]
        r = g.iloc[row]
        kind = "transit corridor" if r["kind"] == "sealed" else ("checkpoint" if post else "away from a checkpoint")
        out.append(
            {
                "id": cid,
                "kind": kind,
                "checkpoint": post,
                "road_id": str(r["road_id"]),
                "lon": float(r["lon"]),
                "lat": float(r["lat"]),
            }
        )
    return out


def _search(
    net: AccessNetwork, add: np.ndarray, blocked: np.ndarray, dest_node: int, dest_off_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One single-source search from the destination: cost (s), metres and predecessor arc per node.

    Exact heap Dijkstra over the same CSR, group costs and node mask as the engine's solver
    (:func:`delimit.access.solver.solve`, which serves many sources at once): for one source the
    heap visits each node once, where the solver's bucket queue also sweeps every empty bucket
    up to the farthest node's cost.
    """
    d, m, _o, p = dijkstra_csr(
        net.indptr,
        net.indices,
        net.base,
        net.length,
        net.group,
        np.asarray(add, np.float64),
        blocked,
        np.asarray([dest_node], np.int64),
        np.asarray([dest_off_s], np.float64),
    )
    return d, m, p


def _offroad_sums(net: AccessNetwork, arcs: np.ndarray) -> tuple[float, float]:
    """Seconds and metres of ``arcs`` that leave the roads (arcs touching a terrain cell)."""
    if not len(arcs):
        return 0.0, 0.0
    off = arcs[_offroad_arcs(net)[arcs]]
    return float(net.base[off].sum()), float(net.length[off].sum())


def _path_feature(
    net: AccessNetwork, o: Place, t: Place, arcs: np.ndarray, o_node: int, props: dict[str, Any]
) -> dict[str, Any]:
    """The route as a GeoJSON LineString Feature (WGS84): the origin, the nodes passed, the destination."""
    nodes = np.concatenate([[o_node], _arc_tails(net)[arcs]]).astype(np.int64)
    lon, lat = net.node_lon[nodes], net.node_lat[nodes]
    coords = [[o.lon, o.lat], *np.column_stack([lon, lat]).tolist(), [t.lon, t.lat]]
    coords = [c for k, c in enumerate(coords) if k == 0 or c != coords[k - 1]]
    return {"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords}, "properties": props}


def _closed_on_relaxed_route(
    net: AccessNetwork, add: np.ndarray, blocked: np.ndarray, o_node: int, d_node: int, d_off: float
) -> list[str]:
    """Crossings a route would need that the regime closes: solve again with every closed border crossing open."""
    kinds = net.groups["kind"].to_numpy()
    relaxed = add.copy()
    border = (kinds == "transition") | (kinds == "green")
    relaxed[border & ~np.isfinite(relaxed)] = 0.0
    d, _m, p = _search(net, relaxed, blocked, d_node, d_off)
    if not np.isfinite(d[o_node]):
        return []
    ids = _route_crossings(net, p, o_node)
    cid = net.groups["crossing_id"].astype(str).to_numpy()
    closed = {str(cid[i]) for i in np.flatnonzero(border & ~np.isfinite(add))}
    return [c for c in ids if c in closed]


def route(
    scenario: Scenario,
    *,
    traveller_class: str,
    origin: str,
    destination: str,
    regime: str | None = None,
    network: AccessNetwork | None = None,
) -> RouteResult:
    """The fastest trip from ``origin`` to ``destination`` (place names or ids) under ``regime``.

    Raises InputError for a name matching nothing or several places, an unknown class or regime,
    or a network built for another mode. An unreachable trip is a result (``reachable`` False,
    ``reason`` saying why), not an error.
    """
    cls = scenario.traveller_class(traveller_class)
    reg = scenario.regime(regime)
    o, t = find_place(scenario, origin, "from"), find_place(scenario, destination, "to")
    if network is not None and network.mode != cls.mode:
        raise InputError(
            scenario.name,
            f"class {cls.id!r} travels by {cls.mode} but the network given is for {network.mode}",
            field="network",
        )
    net = network if network is not None else build_network(scenario, mode=cls.mode)
    add, blocked = group_costs(net, reg, cls)
    base: _RouteContext = {
        "scenario": scenario.name,
        "regime": reg.id,
        "traveller_class": cls.id,
        "mode": net.mode,
        "origin": o,
        "destination": t,
        "crs_description": net.crs_description,
        "notes": list(net.notes),
        "data_marks": scenario.data_marks(layers_used(net.mode)),
        "provenance": scenario.provenance.as_dict(),
        "attribution": scenario.provenance.attribution(),
    }
    none: _TripOutcome = {
        "reachable": False,
        "minutes": None,
        "km": None,
        "checkpoints": [],
        "crossings": [],
        "path": None,
        "offroad_km": None,
        "offroad_minutes": None,
    }
    if o.index == t.index:
        return RouteResult(
            **base,
            **_TripOutcome(
                reachable=True,
                minutes=0.0,
                km=0.0,
                checkpoints=[],
                crossings=[],
                path=None,
                offroad_km=0.0,
                offroad_minutes=0.0,
            ),
            reason="origin and destination are the same place",
        )
    att_node, att_s, att_m = (net.attach[c].to_numpy() for c in ("node", "offset_s", "offset_m"))
    for end, label in ((o, "origin"), (t, "destination")):
        if int(att_node[end.index]) < 0:
            off_what = (
                f"off the road network: no road of {end.party} within {net.speeds.max_connector_m / 1000:g} km (the connector distance) in the scenario's roads layer"
                if net.mode == "vehicle"
                else "off the terrain: no passable cell of its party nearby"
            )
            return RouteResult(**base, **none, reason=f"the {label} {end.name} ({end.party}) is {off_what}")
    o_node, t_node = int(att_node[o.index]), int(att_node[t.index])
    o_off_s, t_off_s = float(att_s[o.index]), float(att_s[t.index])
    o_off_m, t_off_m = float(att_m[o.index]), float(att_m[t.index])
    d, m, p = _search(net, add, blocked, t_node, t_off_s)
    if not np.isfinite(d[o_node]):
        closed = _closed_on_relaxed_route(net, add, blocked, o_node, t_node, t_off_s)
        if closed:
            why = f"no route under regime {reg.id!r} for class {cls.id!r}: the fastest route with every border crossing open passes {', '.join(closed)}, closed to the class under this regime"
        else:
            why = f"no route even with every border crossing open: the network does not join {o.name} and {t.name} (a gap in the roads{'' if net.mode == 'vehicle' else ' or impassable terrain'})"
        return RouteResult(**base, **none, reason=why)
    arcs = _path_arcs(net, p, o_node)
    recs = _crossing_records(net, _route_crossings(net, p, o_node))
    off_s, off_m = _offroad_sums(net, arcs)
    return RouteResult(
        **base,
        reachable=True,
        minutes=(float(d[o_node]) + o_off_s) / 60.0,
        km=(float(m[o_node]) + o_off_m + t_off_m) / 1000.0,
        checkpoints=[r["id"] for r in recs if r["checkpoint"]],
        crossings=recs,
        path=_path_feature(net, o, t, arcs, o_node, {"from": o.name, "to": t.name, "regime": reg.id, "class": cls.id}),
        reason="",
        offroad_km=(off_m + o_off_m + t_off_m) / 1000.0,
        offroad_minutes=(off_s + o_off_s + t_off_s) / 60.0,
        connector_m={
            "from": o_off_m if math.isfinite(o_off_m) else 0.0,
            "to": t_off_m if math.isfinite(t_off_m) else 0.0,
        },
    )


#: Places between which :func:`routes_between` compares trips, by default: every town of more than
#: 100,000 people (a target spec, see :mod:`delimit.access.targets`).
DEFAULT_BETWEEN = "town:100000"

BETWEEN_DEFINITIONS: dict[str, str] = {
    "pairs": "every unordered pair of the places (the roads are two-way: a trip costs what the way back costs)",
    "km_saved": "km of the pair's fastest route under regime A minus under regime B (null: no route under one of them)",
    "hours_saved": "hours of the pair's fastest trip under regime A minus under regime B, checkpoint delays included (null likewise)",
    "total_km_saved": "sum of km_saved over the pairs with a route under both regimes: one trip per pair",
    "total_hours_saved": "sum of hours_saved over the same pairs: the hours B saves a traveller of the class making each of those trips once",
    "opened": "pairs with a route under B only (their saving is unknown, not counted in the totals)",
    "cut_off": "pairs with a route under A only (likewise)",
}


@dataclass
class PairComparison:
    """Trips between every pair of a set of places under regimes A and B, and what B saves over A.

    ``rows``: one per pair: ``from_id, from, from_party, to_id, to, to_party, km_a, minutes_a, km_b,
    minutes_b, km_saved, hours_saved, change`` (``faster``, ``slower``, ``same``, ``opened``,
    ``cut off``, ``no route``). ``totals``: see :data:`BETWEEN_DEFINITIONS`.
    """

    scenario: str
    regime_a: str
    regime_b: str
    traveller_class: str
    places: str
    rows: pd.DataFrame
    totals: dict[str, Any]
    crs_description: str

    def to_json(self) -> dict[str, Any]:
        rows = [
            {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
            for r in self.rows.round(
                {"km_a": 3, "km_b": 3, "minutes_a": 2, "minutes_b": 2, "km_saved": 3, "hours_saved": 3}
            ).to_dict("records")
        ]
        return {
            "places": self.places,
            "regime_a": self.regime_a,
            "regime_b": self.regime_b,
            "class": self.traveller_class,
            "totals": self.totals,
            "rows": rows,
            "definitions": BETWEEN_DEFINITIONS,
            "crs_description": self.crs_description,
        }


def _place_nodes(net: AccessNetwork, pts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node, connector seconds and connector metres of each place (settlements by their attachment)."""
    idx = pts["settlement_index"].to_numpy(np.int64)
    if (idx >= 0).all():
        att = net.attach
        return (
            att["node"].to_numpy(np.int64)[idx],
            att["offset_s"].to_numpy(float)[idx],
            att["offset_m"].to_numpy(float)[idx],
        )
    got = net.attach_points(pts["lon"].to_numpy(float), pts["lat"].to_numpy(float), pts["party"].to_numpy())
    return got["node"].to_numpy(np.int64), got["offset_s"].to_numpy(float), got["offset_m"].to_numpy(float)


def _pair_matrix(
    net: AccessNetwork, add: np.ndarray, blocked: np.ndarray, node: np.ndarray, off_s: np.ndarray, off_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Minutes and km of the fastest trip from place i to each later place j > i (inf: no route or not computed).

    One search per place but the last (the graph is undirected: the upper triangle is every pair).
    """
    n = len(node)
    mins, km = np.full((n, n), np.inf), np.full((n, n), np.inf)
    for i in range(n - 1):
        if node[i] < 0:
            continue
        d, m, _p = _search(net, add, blocked, int(node[i]), float(off_s[i]))
        ok = node >= 0
        j = np.flatnonzero(ok)
        mins[i, j] = (d[node[j]] + off_s[j]) / 60.0
        km[i, j] = (m[node[j]] + off_m[i] + off_m[j]) / 1000.0
    return mins, km


def _change(a: float, b: float) -> str:
    if math.isinf(a) and math.isinf(b):
        return "no route"
    if math.isinf(a):
        return "opened"
    if math.isinf(b):
        return "cut off"
    return "faster" if b < a - 1e-9 else ("slower" if b > a + 1e-9 else "same")


def routes_between(
    scenario: Scenario,
    regime_a: str,
    regime_b: str,
    *,
    traveller_class: str,
    places: str = DEFAULT_BETWEEN,
    network: AccessNetwork | None = None,
) -> PairComparison:
    """The fastest trip between every pair of ``places`` (a target spec) under regimes A and B.

    One exact single-source search per place and regime on one network. Savings are A minus B
    (positive: B shorter or faster); a pair without a route under one regime has an unknown saving
    (``opened`` / ``cut off``), never 0, and is left out of the totals. Raises InputError for an
    unknown regime, class or place spec.
    """
    from delimit.access.targets import resolve_targets

    cls = scenario.traveller_class(traveller_class)
    ra, rb = scenario.regime(regime_a), scenario.regime(regime_b)
    pts = resolve_targets(scenario, places).points.reset_index(drop=True)
    net = network if network is not None else build_network(scenario, mode=cls.mode)
    node, off_s, off_m = _place_nodes(net, pts)
    ma, ka = _pair_matrix(net, *group_costs(net, ra, cls), node, off_s, off_m)
    mb, kb = _pair_matrix(net, *group_costs(net, rb, cls), node, off_s, off_m)
    i, j = np.triu_indices(len(pts), k=1)
    both = np.isfinite(ma[i, j]) & np.isfinite(mb[i, j])
    with np.errstate(invalid="ignore"):
        km_saved = np.where(both, ka[i, j] - kb[i, j], np.nan)
        h_saved = np.where(both, (ma[i, j] - mb[i, j]) / 60.0, np.nan)
    col = {c: pts[c].astype(str).to_numpy() for c in ("target_id", "name", "party")}
    rows = pd.DataFrame(
        {
            "from_id": col["target_id"][i],
            "from": col["name"][i],
            "from_party": col["party"][i],
            "to_id": col["target_id"][j],
            "to": col["name"][j],
            "to_party": col["party"][j],
            "km_a": ka[i, j],
            "minutes_a": ma[i, j],
            "km_b": kb[i, j],
            "minutes_b": mb[i, j],
            "km_saved": km_saved,
            "hours_saved": h_saved,
            "change": [_change(a, b) for a, b in zip(ma[i, j], mb[i, j], strict=True)],
        }
    ).sort_values(["hours_saved", "km_saved"], ascending=False, na_position="last", kind="stable")
    return PairComparison(
        scenario=scenario.name,
        regime_a=ra.id,
        regime_b=rb.id,
        traveller_class=cls.id,
        places=places,
        rows=rows.reset_index(drop=True),
        totals=_pair_totals(rows, len(pts)),
        crs_description=net.crs_description,
    )


def _pair_totals(rows: pd.DataFrame, n_places: int) -> dict[str, Any]:
    ch = rows["change"]
    both = rows["hours_saved"].notna()
    best = rows[both & (ch == "faster")].head(1)
    return {
        "places": n_places,
        "pairs": len(rows),
        "pairs_with_both_routes": int(both.sum()),
        "pairs_faster": int((ch == "faster").sum()),
        "pairs_slower": int((ch == "slower").sum()),
        "pairs_opened": int((ch == "opened").sum()),
        "pairs_cut_off": int((ch == "cut off").sum()),
        "total_km_saved": round(float(rows.loc[both, "km_saved"].sum()), 3),
        "total_hours_saved": round(float(rows.loc[both, "hours_saved"].sum()), 3),
        "largest_saving": None
        if best.empty
        else {
            "from": str(best["from"].iloc[0]),
            "to": str(best["to"].iloc[0]),
            "km_saved": round(float(best["km_saved"].iloc[0]), 3),
            "hours_saved": round(float(best["hours_saved"].iloc[0]), 3),
        },
    }


__all__ = [
    "BETWEEN_DEFINITIONS",
    "DEFAULT_BETWEEN",
    "ROUTE_DEFINITIONS",
    "PairComparison",
    "Place",
    "RouteResult",
    "find_place",
    "route",
    "routes_between",
]
