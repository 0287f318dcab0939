"""Constraints on proposals: which are switched on, and which parcels they pin to a party.

Graph-level constraints (connectivity, balance, pinned parcels) are enforced while generating;
geometric and network constraints (neck width, enclaves, access) are checked on each final proposal
by :mod:`delimit.topology` and :mod:`delimit.access` and reported in ``constraints_violated``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

from delimit.errors import InputError
from delimit.model.population import population_value
from delimit.model.scenario import Scenario
from delimit.propose.graph import ParcelGraph


@dataclass(frozen=True)
class Constraints:
    """Which constraints apply (each can be switched off).

    Attributes
    ----------
    connected: every party's territory stays whole (no new exclave, no link cut) ...
    allow_exclaves: ... except for these parties.
    no_new_enclaves: no party gains an enclave (checked on the final geometry by ``delimit.topology``).
    balance: area exchanged each way within this fraction of the larger (None: off).
    min_exchange_km2: each party cedes more than this (km^2); 0: at least one parcel each way.
    keep_settlements_over: settlements with at least this population stay with their party (None: off).
    settlement_party_field: a settlements column naming the party a settlement must end with.
    keep_roads: road ids (or names) that must stay within one party ...
    road_regime: ... unless the named regime makes them neutral or a transit corridor.
    min_neck_m: no part of either party narrower than this (metres; None: off).
    access_regime: every settlement keeps access to its regional centre under this regime (None: off).
    """

    connected: bool = True
    allow_exclaves: frozenset[str] = frozenset()
    no_new_enclaves: bool = True
    balance: float | None = 0.05
    min_exchange_km2: float = 0.0
    keep_settlements_over: int | None = 1000
    settlement_party_field: str | None = None
    keep_roads: tuple[str, ...] = ()
    road_regime: str | None = None
    min_neck_m: float | None = None
    access_regime: str | None = None

    @property
    def min_exchange_m2(self) -> float:
        """``min_exchange_km2`` in m^2, the unit the generators and the checker measure areas in."""
        return self.min_exchange_km2 * 1e6

    def as_dict(self) -> dict[str, object]:
        return {
            "connected": self.connected,
            "allow_exclaves": sorted(self.allow_exclaves),
            "no_new_enclaves": self.no_new_enclaves,
            "balance": self.balance,
            "min_exchange_km2": self.min_exchange_km2,
            "keep_settlements_over": self.keep_settlements_over,
            "settlement_party_field": self.settlement_party_field,
            "keep_roads": list(self.keep_roads),
            "road_regime": self.road_regime,
            "min_neck_m": self.min_neck_m,
            "access_regime": self.access_regime,
        }


@dataclass
class Pins:
    """Parcels pinned to a party (-1: free), with the reason for each pin and unavoidable violations."""

    party: np.ndarray
    reasons: dict[int, str] = field(default_factory=dict)
    unavoidable: list[str] = field(default_factory=list)


def pin_parcels(scenario: Scenario, graph: ParcelGraph, c: Constraints) -> Pins:
    """Pins from settlements (size or a party field) and from roads that must stay in one party."""
    n = graph.n_parcels
    pins = np.full(n, -1, dtype=np.int8)
    reasons: dict[int, str] = {}
    unavoidable: list[str] = []
    index = {p: i for i, p in enumerate(graph.parties)}
    settlements = scenario.settlements
    sid_to_row = {str(s): i for i, s in enumerate(settlements["settlement_id"])} if len(settlements) else {}
    if (
        c.settlement_party_field is not None
        and len(settlements)
        and c.settlement_party_field not in settlements.columns
    ):
        raise InputError(
            scenario.name, f"settlements have no column {c.settlement_party_field!r}", field="settlement_party_field"
        )
    for i, ids in enumerate(graph.parcels["settlements"]):
        if not ids:
            continue
        for sid in ids.split(","):
            row = settlements.iloc[sid_to_row[sid]]
            target = None
            why = ""
            if c.settlement_party_field is not None:
                val = str(row.get(c.settlement_party_field) or "")
                if val:
                    if val not in index:
                        unavoidable.append(f"settlement {sid} must go to {val}, not a party to this exchange")
                        continue
                    target, why = (
                        index[val],
                        f"settlement {row['name']} ({sid}) assigned to {val} by field {c.settlement_party_field}",
                    )
            if (
                target is None
                and c.keep_settlements_over is not None
                and (population_value(row.get("population")) or 0) >= c.keep_settlements_over
            ):
                target, why = (
                    int(graph.holder[i]),
                    f"settlement {row['name']} ({sid}), population {int(row['population'])}, stays",
                )
            if target is not None:
                if pins[i] >= 0 and pins[i] != target:
                    unavoidable.append(f"parcel {graph.parcels['parcel_id'].iloc[i]} is pinned to both parties")
                pins[i] = target
                reasons[i] = why
    if c.keep_roads:
        _pin_roads(scenario, graph, c, pins, reasons, unavoidable)
    return Pins(pins, reasons, unavoidable)


def _pin_roads(
    scenario: Scenario,
    graph: ParcelGraph,
    c: Constraints,
    pins: np.ndarray,
    reasons: dict[int, str],
    unavoidable: list[str],
) -> None:
    roads = scenario.roads
    exempt: set[str] = set()
    if c.road_regime is not None:
        reg = scenario.regime(c.road_regime)
        exempt = set(reg.neutral_roads) | {r for t in reg.transit for r in t.roads}
    index = {p: i for i, p in enumerate(graph.parties)}
    for key in c.keep_roads:
        sel = roads[(roads["road_id"] == key) | (roads["name"] == key)]
        if not len(sel):
            raise InputError(scenario.name, f"unknown road {key!r}", field="keep_roads")
        ids = set(sel["road_id"])
        if ids <= exempt:
            continue
        geom = shapely.union_all(sel.geometry.values)
        outside = shapely.difference(geom, graph.zone)
        holders = set()
        for p, g in scenario.party_geometries().items():
            if not outside.is_empty and shapely.intersection(outside, g).length > 1e-6:
                holders.add(p)
        crossed = [i for i, r in enumerate(graph.parcels["road_ids"]) if r and ids & set(r.split(","))]
        if len(holders) > 1 or (holders and not holders <= set(index)):
            unavoidable.append(f"road {key} already runs through {', '.join(sorted(holders))} outside the zone")
            continue
        if holders:
            target = index[next(iter(holders))]
        else:  # wholly inside the zone: it stays with the party holding most of it
            km = graph.parcels["road_km"].to_numpy()
            share = [km[[i for i in crossed if graph.holder[i] == k]].sum() for k in (0, 1)]
            target = int(np.argmax(share))
        for i in crossed:
            if pins[i] >= 0 and pins[i] != target:
                unavoidable.append(
                    f"parcel {graph.parcels['parcel_id'].iloc[i]} is pinned to both parties (road {key})"
                )
            pins[i] = target
            reasons[i] = f"road {key} stays in {graph.parties[target]}"
