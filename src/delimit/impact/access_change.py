"""Access changes between two scenarios, per crossing regime and traveller class.

Pairs of regimes are compared as follows:

* the scenario's **default** regime (how the proposal would be run) against the baseline's default
  regime (how things are run now): the headline row of each class, flagged ``default``;
* every other regime of the scenario against the baseline's regime of the same id (the land
  change alone, all rules equal), or the baseline's default if the baseline has no such regime.

``people_cut_off`` is the change in the number of people (settlement population, persons) who
cannot reach their target at all; ``person_hours_added`` the change in the access engine's
person-hours (population x travel time, hours; see :mod:`delimit.access`). Positive numbers mean
worse access under the scenario.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from delimit.model.scenario import Scenario

COLUMNS = [
    "regime",
    "baseline_regime",
    "class",
    "default",
    "people_cut_off",
    "person_hours_added",
    "people_cut_off_baseline",
    "people_cut_off_scenario",
    "person_hours_baseline",
    "person_hours_scenario",
    "mean_minutes_baseline",
    "mean_minutes_scenario",
]


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


def _num(v: object) -> float:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")
    return f


def access_changes(baseline_summary: pd.DataFrame, scenario_summary: pd.DataFrame, pairs: list[RegimePair]) -> pd.DataFrame:
    """Row per (pair, class): the change in people cut off and person-hours (scenario minus baseline).

    ``*_summary`` are :func:`delimit.access.access_summary` tables (columns ``regime, class,
    people_cut_off, person_hours, mean_minutes``) of the baseline and the scenario.
    """
    rows = []
    b = baseline_summary.set_index(["regime", "class"])
    s = scenario_summary.set_index(["regime", "class"])
    for pair in pairs:
        classes = sorted(set(scenario_summary.loc[scenario_summary["regime"] == pair.regime, "class"]))
        for cls in classes:
            if (pair.baseline_regime, cls) not in b.index or (pair.regime, cls) not in s.index:
                continue
            rb = b.loc[(pair.baseline_regime, cls)]
            rs = s.loc[(pair.regime, cls)]
            cb, cs = _num(rb["people_cut_off"]), _num(rs["people_cut_off"])
            hb, hs = _num(rb["person_hours"]), _num(rs["person_hours"])
            rows.append(
                {
                    "regime": pair.regime,
                    "baseline_regime": pair.baseline_regime,
                    "class": cls,
                    "default": pair.default,
                    "people_cut_off": int(round(cs - cb)) if np.isfinite(cs - cb) else None,
                    "person_hours_added": hs - hb,
                    "people_cut_off_baseline": int(cb) if np.isfinite(cb) else None,
                    "people_cut_off_scenario": int(cs) if np.isfinite(cs) else None,
                    "person_hours_baseline": hb,
                    "person_hours_scenario": hs,
                    "mean_minutes_baseline": _num(rb.get("mean_minutes")),
                    "mean_minutes_scenario": _num(rs.get("mean_minutes")),
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)
