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
regime closes to the class (found by re-solving with every border crossing open).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import Any, TypedDict

import numpy as np

from delimit.access.network import AccessNetwork, build_network
from delimit.access.rules import group_costs
from delimit.access.travel import _arc_tails, _route_crossings, layers_used
from delimit.errors import InputError
from delimit.model.scenario import Scenario

ROUTE_DEFINITIONS: dict[str, str] = {
    "minutes": "fastest trip under the regime for the class: connector walks at both ends, driving (or walking) time, and the delay of each checkpoint passed, once per checkpoint",
    "km": "length of that fastest route (not the shortest route)",
    "checkpoints": "posts of the crossings layer the route passes, in travel order; only these charge the regime's delays",
    "crossings": "every change of party on the route: checkpoints, crossings away from a checkpoint (no delay), neutral roads, transit corridors",
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
    connector_m: dict[str, float] = field(default_factory=dict)

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
            "km": None if self.km is None else round(self.km, 3),
            "minutes": None if self.minutes is None else round(self.minutes, 2),
            "checkpoints": self.checkpoints,
            "crossings": self.crossings,
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


def _describe(st: Any, idx: list[int]) -> str:
    return "; ".join(f"{st['name'].iloc[i]} ({st['party'].iloc[i]}, {st['settlement_id'].iloc[i]})" for i in idx)


def find_place(scenario: Scenario, query: str, field_name: str = "from") -> Place:
    """The one settlement called ``query`` (case-insensitive name, else settlement id).

    Raises InputError when nothing or several places match, listing the candidates (several
    matches: each with its party and id, which may then be given instead of the name; nothing:
    the closest names).
    """
    st = scenario.settlements
    q = query.strip().casefold()
    names = st["name"].astype(str).str.casefold().to_numpy()
    ids = st["settlement_id"].astype(str).to_numpy()
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
    g = st.geometry.iloc[i]
    return Place(
        i, str(st["settlement_id"].iloc[i]), str(st["name"].iloc[i]), str(st["party"].iloc[i]), float(g.x), float(g.y)
    )


def _path_nodes(net: AccessNetwork, pred: np.ndarray, node: int) -> list[int]:
    """Nodes from ``node`` back to the solve's source (the destination), following ``pred`` arcs."""
    tails = _arc_tails(net)
    out = [node]
    while pred[node] >= 0 and len(out) <= net.n_nodes:
        node = int(tails[int(pred[node])])
        out.append(node)
    return out


def _crossing_records(net: AccessNetwork, ids: list[str]) -> list[dict[str, Any]]:
    g = net.groups
    out: list[dict[str, Any]] = []
    for cid in ids:
        rows = g[g["crossing_id"] == cid]
        if not len(rows):
            out.append(
                {"id": cid, "kind": "green border" if cid.startswith("green:") else "crossing", "checkpoint": False}
            )
            continue
        r = rows.iloc[0]
        post = bool(rows["checkpoint"].any())
        kind = "transit corridor" if r["kind"] == "sealed" else ("checkpoint" if post else "away from a checkpoint")
        if post:
            r = rows[rows["checkpoint"]].iloc[0]
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


def _solve(
    net: AccessNetwork, add: np.ndarray, blocked: np.ndarray, dest_node: int, dest_off_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d, m, _o, p = net.shortest(add, blocked, np.asarray([dest_node], np.int64), np.asarray([dest_off_s]))
    return d, m, p


def _closed_on_relaxed_route(
    net: AccessNetwork, add: np.ndarray, blocked: np.ndarray, o_node: int, d_node: int, d_off: float
) -> list[str]:
    """Crossings a route would need that the regime closes: solve again with every closed border crossing open."""
    kinds = net.groups["kind"].to_numpy()
    relaxed = add.copy()
    border = (kinds == "transition") | (kinds == "green")
    relaxed[border & ~np.isfinite(relaxed)] = 0.0
    d, _m, p = _solve(net, relaxed, blocked, d_node, d_off)
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
    }
    if o.index == t.index:
        return RouteResult(
            **base,
            **_TripOutcome(reachable=True, minutes=0.0, km=0.0, checkpoints=[], crossings=[], path=None),
            reason="origin and destination are the same place",
        )
    att = net.attach
    for end, label in ((o, "origin"), (t, "destination")):
        if int(att["node"].iloc[end.index]) < 0:
            off_what = (
                f"off the road network: no road of {end.party} within {net.speeds.max_connector_m / 1000:g} km (the connector distance) in the scenario's roads layer"
                if net.mode == "vehicle"
                else "off the terrain: no passable cell of its party nearby"
            )
            return RouteResult(**base, **none, reason=f"the {label} {end.name} ({end.party}) is {off_what}")
    o_node, t_node = int(att["node"].iloc[o.index]), int(att["node"].iloc[t.index])
    o_off_s, t_off_s = float(att["offset_s"].iloc[o.index]), float(att["offset_s"].iloc[t.index])
    o_off_m, t_off_m = float(att["offset_m"].iloc[o.index]), float(att["offset_m"].iloc[t.index])
    d, m, p = _solve(net, add, blocked, t_node, t_off_s)
    if not np.isfinite(d[o_node]):
        closed = _closed_on_relaxed_route(net, add, blocked, o_node, t_node, t_off_s)
        if closed:
            why = f"no route under regime {reg.id!r} for class {cls.id!r}: the fastest route with every border crossing open passes {', '.join(closed)}, closed to the class under this regime"
        else:
            why = f"no route even with every border crossing open: the network does not join {o.name} and {t.name} (a gap in the roads{'' if net.mode == 'vehicle' else ' or impassable terrain'})"
        return RouteResult(**base, **none, reason=why)
    nodes = _path_nodes(net, p, o_node)
    coords = [[o.lon, o.lat], *([[float(net.node_lon[n]), float(net.node_lat[n])] for n in nodes]), [t.lon, t.lat]]
    coords = [c for k, c in enumerate(coords) if k == 0 or c != coords[k - 1]]
    ids = _route_crossings(net, p, o_node)
    recs = _crossing_records(net, ids)
    path = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": coords},
        "properties": {"from": o.name, "to": t.name, "regime": reg.id, "class": cls.id},
    }
    return RouteResult(
        **base,
        reachable=True,
        minutes=(float(d[o_node]) + o_off_s) / 60.0,
        km=(float(m[o_node]) + o_off_m + t_off_m) / 1000.0,
        checkpoints=[r["id"] for r in recs if r["checkpoint"]],
        crossings=recs,
        path=path,
        reason="",
        connector_m={
            "from": o_off_m if math.isfinite(o_off_m) else 0.0,
            "to": t_off_m if math.isfinite(t_off_m) else 0.0,
        },
    )


__all__ = ["ROUTE_DEFINITIONS", "Place", "RouteResult", "find_place", "route"]
