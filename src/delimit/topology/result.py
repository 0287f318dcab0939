"""Results of the topology engine and their JSON / GeoJSON forms (the contract other tools read)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import shapely

#: Columns of ``TopologyResult.parts`` (besides geometry).
PART_COLUMNS = (
    "party",
    "id",
    "kind",
    "area_km2",
    "perimeter_km",
    "surrounded_by",
    "overlapped_by",
    "gap_to_mainland_km",
    "gap_ends",
    "shared_boundary_km",
    "population",
    "population_unknown",
    "settlements",
    "window_sides",
    "artefact_reason",
)
#: Columns of ``TopologyResult.necks`` (besides geometry).
NECK_COLUMNS = (
    "party",
    "part",
    "min_width_m",
    "length_km",
    "lon",
    "lat",
    "end_a",
    "end_b",
    "settlements",
    "roads",
    "kind",
    "artefact_reason",
)
#: Columns of ``DisputedResult.pieces`` (besides geometry).
PIECE_COLUMNS = (
    "kind",
    "parties",
    "holder_a",
    "holder_b",
    "area_km2",
    "population",
    "population_unknown",
    "settlements",
)


def _num(v: Any, nd: int = 6) -> Any:
    if v is None:
        return None
    f = float(v)
    if math.isnan(f):
        return None
    return round(f, nd)


def _population(v: Any) -> int | None:
    """A part's people: int, or None when every settlement in it is of unknown population or it holds none."""
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) else int(f)


def _clean(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


@dataclass
class TopologyResult:
    """Parts and necks of every party under one scenario.

    Attributes
    ----------
    scenario: scenario name.
    crs: the frames areas, lengths and widths were measured in.
    parts: one row per part: ``party, id, kind ('mainland'|'exclave'|'enclave'), area_km2,
        perimeter_km, surrounded_by, overlapped_by (parties whose land also covers the part), gap_to_mainland_km, gap_ends, shared_boundary_km,
        population, settlements, geometry`` (WGS84).
    necks: one row per neck: ``party, part, min_width_m, length_km, lon, lat, end_a, end_b,
        settlements, roads, geometry`` (WGS84 polygon of the stretch below the threshold).
    """

    scenario: str
    crs: str
    parts: gpd.GeoDataFrame
    necks: gpd.GeoDataFrame
    neck_width_m: float = 1000.0
    provenance: dict[str, Any] = field(default_factory=dict)
    data_marks: dict[str, list[str]] = field(default_factory=dict)
    artefact_m: float = 10.0
    known_enclaves: list[dict[str, Any]] = field(default_factory=list)

    def party_json(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for party, rows in self.parts.groupby("party", sort=True):
            parts = []
            for r in rows.itertuples(index=False):
                parts.append(
                    {
                        "id": r.id,
                        "kind": r.kind,
                        "area_km2": _num(r.area_km2),
                        "perimeter_km": _num(r.perimeter_km),
                        "surrounded_by": _clean(r.surrounded_by),
                        "overlapped_by": list(r.overlapped_by),
                        "gap_to_mainland_km": _num(r.gap_to_mainland_km),
                        "gap_ends": _clean(r.gap_ends),
                        "shared_boundary_km": {k: _num(v) for k, v in (r.shared_boundary_km or {}).items()},
                        "population": _population(r.population),
                        "population_unknown": int(getattr(r, "population_unknown", 0) or 0),
                        "settlements": list(r.settlements),
                        "window_sides": list(getattr(r, "window_sides", []) or []),
                        "artefact_reason": getattr(r, "artefact_reason", "") or None,
                    }
                )
            out.append({"party": str(party), "parts": parts})
        return out

    def neck_json(self) -> list[dict[str, Any]]:
        return [
            {
                "party": r.party,
                "part": r.part,
                "min_width_m": _num(r.min_width_m, 3),
                "length_km": _num(r.length_km),
                "location": [_num(r.lon, 7), _num(r.lat, 7)],
                "end_a": [_num(v, 7) for v in r.end_a],
                "end_b": [_num(v, 7) for v in r.end_b],
                "settlements": list(r.settlements),
                "roads": list(r.roads),
                "kind": getattr(r, "kind", "neck"),
                "artefact_reason": getattr(r, "artefact_reason", "") or None,
            }
            for r in self.necks.itertuples(index=False)
        ]

    def to_json(self) -> dict[str, Any]:
        """``{scenario, crs, neck_width_m, parties: [{party, parts: [...]}], necks: [...], provenance, data_marks}``."""
        return {
            "scenario": self.scenario,
            "crs": self.crs,
            "neck_width_m": self.neck_width_m,
            "artefact_m": self.artefact_m,
            "definitions": {
                "population": "persons in the part's settlements, each counted once (a city or municipality figure is not added to its listed villages); null when every settlement in it is of unknown population, or when no settlement of the data lies in it",
                "population_unknown": "settlements of unknown population in the part, not included in population",
                "clipped": "a part cut by the data window (window_sides): what lies beyond is unknown, so it is never an exclave or enclave",
                "artefact": "a neck narrower than, or a part no wider than, artefact_m metres (the boundary source's stated accuracy): a digitising sliver, not a fact",
                "known_enclaves": "enclaves named by published sources but absent from the boundary data; their settlements keep the sources' party",
            },
            "parties": self.party_json(),
            "necks": self.neck_json(),
            "known_enclaves": list(self.known_enclaves),
            "provenance": self.provenance,
            "data_marks": self.data_marks,
        }

    def features(self) -> list[dict[str, Any]]:
        """GeoJSON features: parts (``layer: part``) and necks (``layer: neck``)."""
        feats: list[dict[str, Any]] = []
        parties = {p["party"]: p["parts"] for p in self.party_json()}
        by_id = {pp["id"]: pp for plist in parties.values() for pp in plist}
        for r in self.parts.itertuples(index=False):
            props = {"layer": "part", "party": r.party, **by_id[r.id]}
            feats.append({"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(r.geometry)})
        for props, r in zip(self.neck_json(), self.necks.itertuples(index=False), strict=True):
            feats.append(
                {
                    "type": "Feature",
                    "properties": {"layer": "neck", **props},
                    "geometry": shapely.geometry.mapping(r.geometry),
                }
            )
        return feats

    def to_geojson(self) -> dict[str, Any]:
        return {
            "type": "FeatureCollection",
            "features": self.features(),
            "scenario": self.scenario,
            "crs_measured": self.crs,
            "provenance": self.provenance,
            "data_marks": self.data_marks,
        }


@dataclass
class DisputedResult:
    """Land claimed by both / by none between two scenarios (or two claims).

    ``pieces``: ``kind ('both'|'none'), parties (list), holder_a, holder_b, area_km2, population,
    settlements, geometry`` (WGS84), one row per connected piece.
    """

    a: str
    b: str
    crs: str
    pieces: gpd.GeoDataFrame
    rule: str = ""
    provenance: dict[str, Any] = field(default_factory=dict)
    data_marks: dict[str, list[str]] = field(default_factory=dict)

    def pieces_json(self) -> list[dict[str, Any]]:
        return [
            {
                "kind": r.kind,
                "parties": list(r.parties),
                "holder_a": _clean(r.holder_a),
                "holder_b": _clean(r.holder_b),
                "area_km2": _num(r.area_km2),
                "population": _population(r.population),
                "population_unknown": int(getattr(r, "population_unknown", 0) or 0),
                "settlements": list(r.settlements),
            }
            for r in self.pieces.itertuples(index=False)
        ]

    def to_json(self) -> dict[str, Any]:
        totals: dict[str, float] = {}
        for r in self.pieces.itertuples(index=False):
            totals[r.kind] = totals.get(r.kind, 0.0) + float(r.area_km2)
        return {
            "a": self.a,
            "b": self.b,
            "crs": self.crs,
            "rule": self.rule,
            "totals_km2": {k: _num(v) for k, v in sorted(totals.items())},
            "disputed": self.pieces_json(),
            "provenance": self.provenance,
            "data_marks": self.data_marks,
        }

    def features(self) -> list[dict[str, Any]]:
        return [
            {
                "type": "Feature",
                "properties": {"layer": "disputed", **props},
                "geometry": shapely.geometry.mapping(r.geometry),
            }
            for props, r in zip(self.pieces_json(), self.pieces.itertuples(index=False), strict=True)
        ]
