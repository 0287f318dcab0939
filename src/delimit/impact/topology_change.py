"""Topology changes between two scenarios: enclaves created or removed, necks narrowed or widened.

Runs :func:`delimit.topology.analyse` on both scenarios and matches their parts and necks:

* an enclave/exclave of the scenario with no overlapping enclave/exclave of the same party in the
  baseline is *added*; one of the baseline with no match in the scenario is *removed*; matched
  ones whose area changes by more than 1 % are *resized*;
* a neck (a narrow passage of a party's land, below ``neck_width_m``) is matched to the nearest
  neck of the same party within ``match_km`` (geodesic distance between their reference points);
  its minimum width is then *narrowed* or *widened* (change above 1 m), a neck with no match is
  *new* or *gone*.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from delimit.crs import GEOD
from delimit.model.population import population_value
from delimit.model.scenario import Scenario

ProgressFn = Callable[[str, float], None]

SMALL_PART_KINDS = ("enclave", "exclave")
_PART_COLUMNS = [
    "change",
    "party",
    "id",
    "kind",
    "area_km2",
    "area_before_km2",
    "population",
    "population_unknown",
    "settlements",
]
_NECK_COLUMNS = ["change", "party", "part", "lon", "lat", "width_before_m", "width_after_m", "settlements", "roads"]


@dataclass(frozen=True)
class TopologyChange:
    """Enclave and neck changes from baseline to scenario.

    Attributes
    ----------
    parts: ``change (added|removed|resized), party, id, kind, area_km2, area_before_km2, population, settlements``.
    necks: ``change (new|gone|narrowed|widened), party, part, lon, lat, width_before_m, width_after_m, settlements, roads``.
    baseline, scenario: the two topology results (for maps).
    neck_width_m: the neck threshold used (metres).
    crs: description of the CRS the topology engine measured in.
    """

    parts: pd.DataFrame
    necks: pd.DataFrame
    baseline: Any
    scenario: Any
    neck_width_m: float
    crs: str

    @property
    def enclaves_added(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.parts[self.parts["change"] == "added"].to_dict("records")
        return rows

    @property
    def enclaves_removed(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.parts[self.parts["change"] == "removed"].to_dict("records")
        return rows


def _small_parts(parts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return parts[parts["kind"].isin(SMALL_PART_KINDS)].reset_index(drop=True)


def _part_row(change: str, r: Any, before: float | None) -> dict[str, Any]:
    settlements = r.get("settlements", "")
    if isinstance(settlements, list | tuple):
        settlements = ", ".join(str(x) for x in settlements)
    return {
        "change": change,
        "party": str(r["party"]),
        "id": str(r["id"]),
        "kind": str(r["kind"]),
        "area_km2": float(r["area_km2"]) if change != "removed" else 0.0,
        "area_before_km2": float(before) if before is not None else 0.0,
        "population": population_value(r.get("population")),
        "population_unknown": int(r.get("population_unknown", 0) or 0),
        "settlements": str(settlements or ""),
    }


def compare_parts(before: gpd.GeoDataFrame, after: gpd.GeoDataFrame, *, resize_tolerance: float = 0.01) -> pd.DataFrame:
    """Enclaves/exclaves added, removed or resized (matching by same party and overlapping land)."""
    a = _small_parts(before)
    b = _small_parts(after)
    rows: list[dict[str, Any]] = []
    matched_a: set[int] = set()
    for _j, rb in b.iterrows():
        hits = [
            i
            for i, ra in a.iterrows()
            if ra["party"] == rb["party"]
            and ra.geometry.intersects(rb.geometry)
            and ra.geometry.intersection(rb.geometry).area > 0
        ]
        if not hits:
            rows.append(_part_row("added", rb, None))
            continue
        matched_a.update(hits)
        area_before = float(sum(a.loc[i, "area_km2"] for i in hits))
        if abs(float(rb["area_km2"]) - area_before) > resize_tolerance * max(area_before, 1e-9):
            rows.append(_part_row("resized", rb, area_before))
    for i, ra in a.iterrows():
        if i not in matched_a:
            rows.append(_part_row("removed", ra, float(ra["area_km2"])))
    return pd.DataFrame(rows, columns=_PART_COLUMNS)


def _neck_point(r: Any) -> tuple[float, float]:
    if "lon" in r and "lat" in r:
        return float(r["lon"]), float(r["lat"])
    p = r.geometry.representative_point()
    return float(p.x), float(p.y)


def _join(v: Any) -> str:
    if isinstance(v, list | tuple):
        return ", ".join(str(x) for x in v)
    return "" if v is None or (isinstance(v, float) and v != v) else str(v)


def compare_necks(
    before: gpd.GeoDataFrame, after: gpd.GeoDataFrame, *, match_km: float = 2.0, min_change_m: float = 1.0
) -> pd.DataFrame:
    """Necks new, gone, narrowed or widened (nearest same-party neck within ``match_km``)."""
    rows: list[dict[str, Any]] = []
    used: set[int] = set()
    pts_a = [(i, r["party"], *_neck_point(r)) for i, r in before.iterrows()]
    for _, rb in after.iterrows():
        lon, lat = _neck_point(rb)
        best, best_d = None, match_km * 1000.0
        for i, party, alon, alat in pts_a:
            if party != rb["party"] or i in used:
                continue
            _, _, d = GEOD.inv(lon, lat, alon, alat)
            if d <= best_d:
                best, best_d = i, d
        base = {
            "party": str(rb["party"]),
            "part": str(rb.get("part", "")),
            "lon": lon,
            "lat": lat,
            "settlements": _join(rb.get("settlements")),
            "roads": _join(rb.get("roads")),
        }
        wb = float(rb["min_width_m"])
        if best is None:
            rows.append({"change": "new", **base, "width_before_m": None, "width_after_m": wb})
            continue
        used.add(best)
        wa = float(before.loc[best, "min_width_m"])
        if wb < wa - min_change_m:
            rows.append({"change": "narrowed", **base, "width_before_m": wa, "width_after_m": wb})
        elif wb > wa + min_change_m:
            rows.append({"change": "widened", **base, "width_before_m": wa, "width_after_m": wb})
    for i, ra in before.iterrows():
        if i not in used:
            lon, lat = _neck_point(ra)
            rows.append(
                {
                    "change": "gone",
                    "party": str(ra["party"]),
                    "part": str(ra.get("part", "")),
                    "lon": lon,
                    "lat": lat,
                    "width_before_m": float(ra["min_width_m"]),
                    "width_after_m": None,
                    "settlements": _join(ra.get("settlements")),
                    "roads": _join(ra.get("roads")),
                }
            )
    return pd.DataFrame(rows, columns=_NECK_COLUMNS)


def topology_changes(
    baseline_result: Any,
    scenario_result: Any,
    *,
    neck_width_m: float,
) -> TopologyChange:
    """Compare two :class:`delimit.topology` results (baseline first) into a :class:`TopologyChange`."""
    crs = baseline_result.crs
    crs_text = crs if isinstance(crs, str) else _crs_text(crs)
    return TopologyChange(
        parts=compare_parts(baseline_result.parts, scenario_result.parts),
        necks=compare_necks(baseline_result.necks, scenario_result.necks),
        baseline=baseline_result,
        scenario=scenario_result,
        neck_width_m=neck_width_m,
        crs=crs_text,
    )


def _crs_text(crs: Any) -> str:
    from pyproj import CRS

    from delimit.crs import crs_description

    try:
        return crs_description(CRS.from_user_input(crs))
    except Exception:  # a description string or an unknown object: print as is
        return str(crs)


def analyse_topology(mod: Any, scenario: Scenario, *, neck_width_m: float, progress: ProgressFn | None = None) -> Any:
    """Run the topology engine ``mod.analyse`` on one scenario."""
    return mod.analyse(scenario, neck_width_m=neck_width_m, progress=progress)
