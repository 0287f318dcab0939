"""Roads and water that change sides, become shared or stop being shared between two scenarios.

Each linear feature (roads, rivers) is measured by length in the metric CRS (UTM zone of the data,
:func:`delimit.crs.metric_crs`), each water body by area in the equal-area CRS. For every feature
the share held by each party is computed under the baseline and under the scenario; the amount
lying in the land that changes hands (:class:`~delimit.impact.land.LandChange` pieces) is what
moves. A feature that lies in one party's land before and in two or more after *becomes shared*
(the new line crosses it).

Roads present only in the scenario (by ``road_id``) are reported as *added* (e.g. bypass roads);
their length is what a per-km road cost applies to.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from delimit.crs import metric_crs
from delimit.impact.land import LandChange, describe_crs, dissolve_parties
from delimit.model.scenario import Scenario

#: Layers compared, with their id field, measure, unit and the tolerance below which a share is noise.
FEATURE_LAYERS: dict[str, tuple[str, str, str, float]] = {
    "roads": ("road_id", "length", "km", 0.01),  # 10 m
    "rivers": ("water_id", "length", "km", 0.01),
    "water_bodies": ("water_id", "area", "km2", 0.001),  # 1000 m²
}

_ROW_COLUMNS = [
    "layer",
    "id",
    "name",
    "kind",
    "status",
    "unit",
    "total",
    "moved",
    "parties_before",
    "parties_after",
    "change",
    "moves",
]


@dataclass(frozen=True)
class FeatureChange:
    """Roads and water features affected by the change of line.

    Attributes
    ----------
    features:
        One row per affected feature: ``layer, id, name, kind, status, unit (km|km2), total, moved,
        parties_before, parties_after ('KGZ' or 'KGZ+TJK'), change ('changes side' | 'becomes shared'
        | 'no longer shared' | 'share changes' | 'added' | 'removed'), moves ('KGZ->TJK 1.234; ...')``.
    flows:
        Amount moving per ``layer, from, to, unit, amount``.
    roads_added_km, roads_removed_km:
        Length of roads only in the scenario / only in the baseline (km, metric CRS).
    length_crs, area_crs:
        The CRSs lengths and areas were measured in.
    """

    features: pd.DataFrame
    flows: pd.DataFrame
    roads_added_km: float
    roads_removed_km: float
    roads_added: pd.DataFrame
    length_crs: CRS
    area_crs: CRS

    def crs_text(self) -> dict[str, str]:
        return {"lengths": describe_crs(self.length_crs), "areas": describe_crs(self.area_crs)}


def _measure(geoms: np.ndarray, unit: str) -> np.ndarray:
    measured: np.ndarray = shapely.area(geoms) / 1e6 if unit == "km2" else shapely.length(geoms) / 1e3
    return measured


def party_shares(geoms: np.ndarray, parties: dict[str, BaseGeometry], unit: str) -> list[dict[str, float]]:
    """Per feature, {party: amount (km or km²) inside the party's land}; geometries already projected."""
    out: list[dict[str, float]] = [dict() for _ in range(len(geoms))]
    if not len(geoms):
        return out
    tree = shapely.STRtree(geoms)
    full = _measure(geoms, unit)
    for party, poly in parties.items():
        if poly.is_empty:
            continue
        shapely.prepare(poly)
        cand = tree.query(poly, predicate="intersects")
        if not len(cand):
            continue
        inside = shapely.contains_properly(poly, geoms[cand])
        for k in cand[inside]:
            out[k][party] = float(full[k])
        rest = cand[~inside]
        if len(rest):
            amounts = _measure(shapely.intersection(geoms[rest], poly), unit)
            for k, v in zip(rest, amounts, strict=True):
                if v > 0:
                    out[k][party] = float(v)
    return out


def _holders(shares: dict[str, float], tol: float) -> list[str]:
    return sorted(p for p, v in shares.items() if v > tol)


def _classify(before: list[str], after: list[str], moved: float, tol: float) -> str | None:
    if before == after and moved <= tol:
        return None
    if len(before) == 1 and len(after) >= 2:
        return "becomes shared"
    if len(before) >= 2 and len(after) == 1:
        return "no longer shared"
    if len(before) == 1 and len(after) == 1 and before != after:
        return "changes side"
    return "share changes" if moved > tol else None


def feature_changes(baseline: Scenario, scenario: Scenario, land: LandChange) -> FeatureChange:
    """Roads, rivers and water bodies that change sides or become shared (lengths km, areas km²)."""
    length_crs = metric_crs(
        land.pieces if len(land.pieces) else (baseline.window if len(baseline.window) else baseline.territory)
    )
    area_crs = land.crs
    rows: list[dict[str, object]] = []
    flow_rows: list[dict[str, object]] = []
    pieces_cache: dict[str, gpd.GeoDataFrame] = {}
    added_ids: list[str] = []
    removed_ids: list[str] = []
    # per CRS (WKT): the layers measured in one CRS share one dissolution of each territory
    dissolved: dict[str, tuple[dict[str, BaseGeometry], dict[str, BaseGeometry]]] = {}
    for layer, (id_field, _measure_kind, unit, tol) in FEATURE_LAYERS.items():
        crs = area_crs if unit == "km2" else length_crs
        if crs.to_wkt() not in dissolved:
            dissolved[crs.to_wkt()] = (
                dissolve_parties(baseline.territory, crs),
                dissolve_parties(scenario.territory, crs),
            )
        ga, gb = dissolved[crs.to_wkt()]
        la = baseline.layer(layer)
        lb = scenario.layer(layer)
        ids_a = la[id_field].astype(str).tolist() if len(la) else []
        ids_b = lb[id_field].astype(str).tolist() if len(lb) else []
        # Features present in both are measured on the scenario's geometry (identical when inherited).
        common = [i for i in ids_b if i in set(ids_a)]
        if common:
            feats = lb.assign(_id=lb[id_field].astype(str)).set_index("_id").loc[common]
            geoms = feats.to_crs(crs).geometry.to_numpy()
            sh_a = party_shares(geoms, ga, unit)
            sh_b = party_shares(geoms, gb, unit)
            key_crs = crs.to_wkt()
            if key_crs not in pieces_cache:
                pieces_cache[key_crs] = land.pieces.to_crs(crs) if len(land.pieces) else land.pieces
            pieces = pieces_cache[key_crs]
            moved_by: list[dict[tuple[str, str], float]] = [dict() for _ in common]
            if len(pieces):
                tree = shapely.STRtree(geoms)
                for _, pc in pieces.iterrows():
                    cand = tree.query(pc.geometry, predicate="intersects")
                    if not len(cand):
                        continue
                    amounts = _measure(shapely.intersection(geoms[cand], pc.geometry), unit)
                    for k, v in zip(cand, amounts, strict=True):
                        if v > 0:
                            key = (str(pc["from"]), str(pc["to"]))
                            moved_by[k][key] = moved_by[k].get(key, 0.0) + float(v)
            totals = _measure(geoms, unit)
            for k, fid in enumerate(common):
                before = _holders(sh_a[k], tol)
                after = _holders(sh_b[k], tol)
                moved = sum(moved_by[k].values())
                change = _classify(before, after, moved, tol)
                if change is None:
                    continue
                r = feats.iloc[k]
                rows.append(
                    {
                        "layer": layer,
                        "id": fid,
                        "name": str(r.get("name", "") or ""),
                        "kind": str(r.get("kind", r.get("road_class", "")) or ""),
                        "status": str(r.get("status", "") or ""),
                        "unit": unit,
                        "total": float(totals[k]),
                        "moved": moved,
                        "parties_before": "+".join(before) or "-",
                        "parties_after": "+".join(after) or "-",
                        "change": change,
                        "moves": "; ".join(f"{f}->{t} {v:.3f}" for (f, t), v in sorted(moved_by[k].items())),
                    }
                )
                for (f, t), v in moved_by[k].items():
                    flow_rows.append({"layer": layer, "from": f, "to": t, "unit": unit, "amount": v})
        if layer == "roads":
            added_ids = [i for i in ids_b if i not in set(ids_a)]
            removed_ids = [i for i in ids_a if i not in set(ids_b)]
    roads_added = _road_rows(scenario, added_ids, length_crs, "added")
    roads_removed = _road_rows(baseline, removed_ids, length_crs, "removed")
    features = pd.DataFrame(
        rows + roads_added.to_dict("records") + roads_removed.to_dict("records"), columns=_ROW_COLUMNS
    )
    flows = pd.DataFrame(flow_rows, columns=["layer", "from", "to", "unit", "amount"])
    if len(flows):
        flows = flows.groupby(["layer", "from", "to", "unit"], as_index=False)["amount"].sum()
    return FeatureChange(
        features=features.reset_index(drop=True),
        flows=flows,
        roads_added_km=float(roads_added["total"].sum()) if len(roads_added) else 0.0,
        roads_removed_km=float(roads_removed["total"].sum()) if len(roads_removed) else 0.0,
        roads_added=roads_added,
        length_crs=length_crs,
        area_crs=area_crs,
    )


def _road_rows(s: Scenario, ids: list[str], crs: CRS, change: str) -> pd.DataFrame:
    if not ids:
        return pd.DataFrame(columns=_ROW_COLUMNS)
    roads = s.roads.assign(_id=s.roads["road_id"].astype(str)).set_index("_id").loc[ids]
    lengths = shapely.length(roads.to_crs(crs).geometry.to_numpy()) / 1e3
    parties = s.roads.set_index(s.roads["road_id"].astype(str))["party"].reindex(ids).fillna("").astype(str)
    rows = []
    for k, rid in enumerate(ids):
        r = roads.iloc[k]
        rows.append(
            {
                "layer": "roads",
                "id": rid,
                "name": str(r.get("name", "") or ""),
                "kind": str(r.get("road_class", "") or ""),
                "status": str(r.get("status", "") or ""),
                "unit": "km",
                "total": float(lengths[k]),
                "moved": 0.0,
                "parties_before": "-" if change == "added" else (parties[rid] or "-"),
                "parties_after": (parties[rid] or "-") if change == "added" else "-",
                "change": change,
                "moves": "",
            }
        )
    return pd.DataFrame(rows, columns=_ROW_COLUMNS)
