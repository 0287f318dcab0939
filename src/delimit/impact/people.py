"""Settlements and people that would change country between two scenarios.

A settlement changes country when the party holding its point (``scenario.settlements['party']``,
assigned on load from the territory layer) differs between the baseline and the scenario. Its
residents would face resettlement or a citizenship choice. Settlements are matched by
``settlement_id``. Populations count each person once (``part_of``: a city or municipality figure
is not added to its listed villages; see :mod:`delimit.model.population`); an unknown population is
null, counted in ``population_unknown`` and never as zero people.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from delimit.crs import WGS84
from delimit.impact.land import NO_PARTY
from delimit.model.population import own_population, parent_index, population_value
from delimit.model.scenario import Scenario

_ROW_COLUMNS = [
    "settlement_id",
    "name",
    "from",
    "to",
    "population",
    "population_year",
    "role",
    "status",
    "source",
    "geometry",
]


@dataclass(frozen=True)
class PeopleChange:
    """Settlements whose holding party differs between baseline and scenario.

    Attributes
    ----------
    settlements:
        GeoDataFrame (EPSG:4326), one row per settlement changing country: ``settlement_id, name,
        from, to, population (the published figure, None = unknown), population_year, role, status,
        source, persons_counted (what it adds to totals: its figure less its listed children's),
        unknown (of unknown population and not inside a moving parent's figure), geometry``.
    flows:
        One row per (from, to): ``from, to, settlements, population, population_unknown``
        (``population_unknown``: settlements of unknown population, not included in ``population``).
    unmatched:
        Ids of settlements present in only one of the two scenarios (not compared).
    """

    settlements: gpd.GeoDataFrame
    flows: pd.DataFrame
    unmatched: tuple[str, ...]

    @property
    def population(self) -> int:
        """People (of known population) in settlements changing country."""
        return int(self.flows["population"].sum()) if len(self.flows) else 0


def people_changes(baseline: Scenario, scenario: Scenario) -> PeopleChange:
    """Settlements (and their population) whose holding party changes from ``baseline`` to ``scenario``."""
    a = baseline.settlements
    b = scenario.settlements
    ida = set(a["settlement_id"].astype(str)) if len(a) else set()
    idb = set(b["settlement_id"].astype(str)) if len(b) else set()
    unmatched = tuple(sorted(ida ^ idb))
    if not len(a) or not len(b):
        empty = gpd.GeoDataFrame(
            {c: [] for c in _ROW_COLUMNS if c != "geometry"}, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84
        )
        return PeopleChange(
            empty, pd.DataFrame(columns=["from", "to", "settlements", "population", "population_unknown"]), unmatched
        )
    pa = (
        a.assign(settlement_id=a["settlement_id"].astype(str))
        .set_index("settlement_id")["party"]
        .fillna("")
        .astype(str)
    )
    pb = (
        b.assign(settlement_id=b["settlement_id"].astype(str))
        .set_index("settlement_id")["party"]
        .fillna("")
        .astype(str)
    )
    common = sorted(ida & idb)
    moved = [sid for sid in common if pa[sid] != pb[sid]]
    src = b.assign(settlement_id=b["settlement_id"].astype(str)).set_index("settlement_id")
    own = pd.Series(own_population(b), index=src.index)
    parent = parent_index(b)
    pos = {sid: k for k, sid in enumerate(src.index)}
    moved_mask = np.zeros(len(b), dtype=bool)
    moved_mask[[pos[sid] for sid in moved]] = True
    rows = []
    for sid in moved:
        r = src.loc[sid]
        j = int(parent[pos[sid]])
        inside_moving_parent = bool(np.isnan(own[sid]) and j >= 0 and moved_mask[j] and not np.isnan(own.iloc[j]))
        rows.append(
            {
                "settlement_id": sid,
                "name": str(r.get("name", "")),
                "from": pa[sid] or NO_PARTY,
                "to": pb[sid] or NO_PARTY,
                "population": population_value(r.get("population")),
                "population_year": population_value(r.get("population_year")),
                "persons_counted": None if np.isnan(own[sid]) else float(own[sid]),
                "unknown": bool(np.isnan(own[sid]) and not inside_moving_parent),
                "role": str(r.get("role", "")),
                "status": str(r.get("status", "")),
                "source": str(r.get("source", "")),
                "geometry": r.geometry,
            }
        )
    gdf = gpd.GeoDataFrame(
        rows, columns=[*_ROW_COLUMNS[:-1], "persons_counted", "unknown", "geometry"], geometry="geometry", crs=WGS84
    )
    gdf = (
        gdf.assign(_sort=gdf["population"].fillna(-1).astype(float))
        .sort_values(["from", "to", "_sort", "settlement_id"], ascending=[True, True, False, True])
        .drop(columns="_sort")
        .reset_index(drop=True)
    )
    for col in ("population", "population_year", "persons_counted"):
        gdf[col] = gdf[col].astype(object).where(gdf[col].notna(), None)
    if len(gdf):
        flows = (
            gdf.assign(unknown=gdf["unknown"].astype(int), counted=gdf["persons_counted"].fillna(0.0).astype(float))
            .groupby(["from", "to"], as_index=False)
            .agg(
                settlements=("settlement_id", "count"),
                population=("counted", "sum"),
                population_unknown=("unknown", "sum"),
            )
        )
        flows["population"] = flows["population"].round()
        flows = flows.astype({"settlements": int, "population": int, "population_unknown": int})
    else:
        flows = pd.DataFrame(columns=["from", "to", "settlements", "population", "population_unknown"])
    return PeopleChange(gdf, flows, unmatched)
