"""Access figures of the report: travel-time maps, chokepoint maps and population-by-band charts.

Wraps the access engine (:mod:`delimit.access`) for the report. Each figure is computed per
(scenario, regime); scenarios with identical land, roads and regime rules share one computation
(e.g. the status quo and a scenario that only changes the default regime). If the engine is
missing or fails, the caller gets the reason as text, never invented numbers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import shapely

from delimit.model.scenario import Scenario


def headline_classes(scenario: Scenario) -> list[str]:
    """Traveller classes drawn on travel-time maps: border-zone residents by vehicle, one per party
    (sorted by party id so no party comes first by design); else the first two classes by id."""
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


def access_key(scenario: Scenario, regime_id: str) -> str:
    """Hash of what determines access under a regime: territory, roads, crossings, settlements, rules."""
    h = hashlib.sha256()
    for gdf in (scenario.territory, scenario.roads, scenario.crossings, scenario.settlements):
        h.update(shapely.to_wkb(gdf.geometry.values, hex=False).__repr__().encode())
        for col in ("party", "road_id", "crossing_id", "population"):
            if col in gdf.columns:
                h.update(",".join(map(str, gdf[col].tolist())).encode())
    h.update(scenario.regime(regime_id).model_dump_json().encode())
    h.update(",".join(c.model_dump_json() for _, c in sorted(scenario.traveller_classes.items())).encode())
    return h.hexdigest()[:16]


@dataclass
class AccessFigureData:
    """What the access engine gave for one (scenario, regime): surfaces per class, chokepoints, rows."""

    surfaces: list[tuple[str, Any]] = field(default_factory=list)
    chokepoints: pd.DataFrame | None = None
    travel_rows: pd.DataFrame | None = None
    errors: list[str] = field(default_factory=list)


def resident_rows(mod: Any, scenario: Scenario, regime_id: str, target: str) -> pd.DataFrame:
    """Each settlement's travel time for the resident class of the party holding it (vehicle).

    Settlements of a party without a resident vehicle class are left out (the report says so).
    """
    frames = []
    for cid in headline_classes(scenario):
        cls = scenario.traveller_classes[cid]
        res = mod.travel_times(scenario, traveller_class=cid, regime=regime_id, targets=target)
        rows = res.rows
        if cls.party is not None and "party" in rows.columns:
            rows = rows[rows["party"].astype(str) == str(cls.party)]
        frames.append(rows.assign(traveller_class=cid))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["population", "minutes", "reachable"])


def compute(mod: Any, scenario: Scenario, regime_id: str, target: str, top: int = 10) -> AccessFigureData:
    """Run the access engine for the figures of one (scenario, regime); errors recorded, not raised."""
    data = AccessFigureData()
    for cid in headline_classes(scenario):
        try:
            data.surfaces.append((cid, mod.travel_time_surface(scenario, traveller_class=cid, regime=regime_id, targets=target)))
        except Exception as exc:
            data.errors.append(f"travel-time surface for {cid}: {type(exc).__name__}: {exc}")
    try:
        data.chokepoints = mod.chokepoints(scenario, regime=regime_id, targets=target, top=top).rows
    except Exception as exc:
        data.errors.append(f"chokepoints: {type(exc).__name__}: {exc}")
    try:
        data.travel_rows = resident_rows(mod, scenario, regime_id, target)
    except Exception as exc:
        data.errors.append(f"travel times: {type(exc).__name__}: {exc}")
    return data
