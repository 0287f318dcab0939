"""Access changes between two scenarios, per crossing regime and traveller class.

Pairs of regimes are compared as follows:

* the scenario's **default** regime (how the proposal would be run) against the baseline's default
  regime (how things are run now): the headline row of each class, flagged ``default``;
* every other regime of the scenario against the baseline's regime of the same id (the land
  change alone, all rules equal), or the baseline's default if the baseline has no such regime.

Definitions are the access engine's (:data:`delimit.access.DEFINITIONS`): ``people_cut_off`` is the
population (persons) of settlements with a route under the baseline and none under the scenario
(``people_gaining_access`` the reverse); ``person_hours_added`` sums, over settlements reachable
under both, population x (scenario minutes - baseline minutes) / 60: the extra hours of one trip
each to the target (negative = faster under the scenario).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely

from delimit.model.scenario import Scenario

COLUMNS = [
    "regime",
    "baseline_regime",
    "class",
    "default",
    "people_cut_off",
    "people_gaining_access",
    "person_hours_added",
    "settlements_cut_off",
    "settlements_cut_off_population_unknown",
    "settlements_slower",
    "settlements_faster",
    "mean_minutes_baseline",
    "mean_minutes_scenario",
]

#: {(regime id, class id): the access engine's travel-time rows} for one scenario.
RowsByRun = dict[tuple[str, str], pd.DataFrame]


@dataclass(frozen=True)
class RegimePair:
    """A scenario regime and the baseline regime it is compared against."""

    regime: str
    baseline_regime: str
    default: bool


def regime_pairs(baseline: Scenario, scenario: Scenario) -> list[RegimePair]:
    """The regime pairs to compare (see the module docstring); empty if either has no regimes."""
    if not scenario.regimes or not baseline.regimes:
        return []
    base_default = baseline.default_regime or sorted(baseline.regimes)[0]
    scen_default = scenario.default_regime or sorted(scenario.regimes)[0]
    pairs = [RegimePair(scen_default, base_default, True)]
    for rid in sorted(scenario.regimes):
        if rid == scen_default:
            continue
        pairs.append(RegimePair(rid, rid if rid in baseline.regimes else base_default, False))
    return pairs


def access_key(scenario: Scenario, regime_id: str) -> str:
    """Hash of what determines access under a regime: territory, roads, crossings, settlements, rules."""
    h = hashlib.sha256()
    for gdf in (scenario.territory, scenario.roads, scenario.crossings, scenario.settlements):
        h.update(b"".join(shapely.to_wkb(gdf.geometry.values, hex=False).tolist()))
        for col in ("party", "road_id", "crossing_id", "population"):
            if col in gdf.columns:
                h.update(",".join(map(str, gdf[col].tolist())).encode())
    h.update(f"{scenario.provenance.dataset}/{scenario.provenance.dataset_version}".encode())
    h.update(scenario.regime(regime_id).model_dump_json().encode())
    h.update(",".join(c.model_dump_json() for _, c in sorted(scenario.traveller_classes.items())).encode())
    return h.hexdigest()[:16]


def headline_classes(scenario: Scenario) -> list[str]:
    """Border-zone residents by vehicle, one class per party (sorted by party id, so no party
    comes first by design); else the first two classes by id. Their origin settlements are
    disjoint (each class travels from its own party's settlements), so their people add up."""
    res = sorted(
        (c for c in scenario.traveller_classes.values() if c.kind == "resident" and c.mode == "vehicle" and c.party),
        key=lambda c: (str(c.party), c.id),
    )
    seen: set[str] = set()
    out = []
    for c in res:
        if c.party not in seen:
            out.append(c.id)
            seen.add(str(c.party))
    return out or sorted(scenario.traveller_classes)[:2]


def _mean_minutes(rows: pd.DataFrame) -> float:
    r = rows[rows["reachable"].astype(bool) & (pd.to_numeric(rows["population"], errors="coerce").fillna(0) > 0)]
    w = r["population"].to_numpy(float)
    return float(np.average(r["minutes"].to_numpy(float), weights=w)) if w.sum() > 0 else float("nan")


def access_changes(
    baseline_rows: RowsByRun,
    scenario_rows: RowsByRun,
    pairs: list[RegimePair],
    compare_rows: Callable[[pd.DataFrame, pd.DataFrame], tuple[pd.DataFrame, dict[str, Any]]],
) -> pd.DataFrame:
    """Row per (regime pair, class): people newly cut off, people gaining access, person-hours added.

    ``compare_rows`` is :func:`delimit.access.travel.compare_rows` (the access engine's own
    definitions: person-hours over settlements reachable under both, cut-off counted apart).
    Settlements are matched by id across the two scenarios.
    """
    rows = []
    for pair in pairs:
        classes = sorted(c for (r, c) in scenario_rows if r == pair.regime)
        for cls in classes:
            a = baseline_rows.get((pair.baseline_regime, cls))
            b = scenario_rows.get((pair.regime, cls))
            if a is None or b is None:
                continue
            _, tot = compare_rows(a, b)
            rows.append(
                {
                    "regime": pair.regime,
                    "baseline_regime": pair.baseline_regime,
                    "class": cls,
                    "default": pair.default,
                    "people_cut_off": int(tot["people_cut_off"]),
                    "people_gaining_access": int(tot["people_gaining_access"]),
                    "person_hours_added": float(tot["person_hours_added"]),
                    "settlements_cut_off": int(tot["settlements_cut_off"]),
                    "settlements_cut_off_population_unknown": int(tot["settlements_cut_off_population_unknown"]),
                    "settlements_slower": int(tot["settlements_slower"]),
                    "settlements_faster": int(tot["settlements_faster"]),
                    "mean_minutes_baseline": _mean_minutes(a),
                    "mean_minutes_scenario": _mean_minutes(b),
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)
