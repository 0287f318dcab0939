"""Typed views of the features a scenario holds.

Layers live in GeoDataFrames (fast, vectorised, what engines compute on). These frozen
dataclasses are the typed, documented view of one row each, for code that handles features one at
a time (reports, treaty text, the web API). ``from_row`` builds one from a GeoDataFrame row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from shapely.geometry.base import BaseGeometry

from delimit.model.population import population_value

ClaimStatus = Literal["claimed", "agreed", "de-facto", "illustrative"]


@dataclass(frozen=True)
class Party:
    """A party to the border: usually a state, identified by ISO 3166-1 alpha-3 (``KGZ``, ``TJK``)."""

    id: str
    name: str

    def __str__(self) -> str:
        return self.id


def _s(row: Any, key: str, default: Any = "") -> Any:
    value = row.get(key, default) if hasattr(row, "get") else getattr(row, key, default)
    return default if value is None else value


@dataclass(frozen=True)
class Claim:
    """Land a party holds or claims under a scenario (one part; WGS84 geometry).

    ``status`` says what kind of claim it is: ``claimed`` (asserted by the party), ``agreed`` (by
    treaty), ``de-facto`` (held on the ground, e.g. the OSM line) or ``illustrative`` (a shape drawn
    to illustrate an option, not any party's map).
    """

    part_id: str
    party: str
    status: str
    source: str
    geometry: BaseGeometry
    name: str = ""

    @classmethod
    def from_row(cls, row: Any) -> Claim:
        return cls(
            str(row["part_id"]),
            str(row["party"]),
            str(_s(row, "status")),
            str(_s(row, "source")),
            row["geometry"],
            str(_s(row, "name")),
        )


@dataclass(frozen=True)
class BoundaryLine:
    """The line two parties' territories share (WGS84 (Multi)LineString)."""

    parties: tuple[str, str]
    geometry: BaseGeometry
    status: str = "de-facto"
    source: str = ""


@dataclass(frozen=True)
class Settlement:
    """A populated place; ``party`` is who holds it under the scenario.

    ``population`` (persons) and ``population_year`` are None when unknown, never 0;
    ``population_level`` is ``settlement``, ``municipality`` or ``city`` (what the figure counts);
    ``part_of`` the id of a listed place whose figure already contains this one.
    """

    settlement_id: str
    name: str
    party: str | None
    population: int | None
    population_year: int | None
    role: str
    status: str
    source: str
    geometry: BaseGeometry
    population_level: str = ""
    population_source: str = ""
    part_of: str = ""

    @classmethod
    def from_row(cls, row: Any) -> Settlement:
        party = _s(row, "party", None)
        return cls(
            str(row["settlement_id"]),
            str(_s(row, "name")),
            None if party in (None, "") else str(party),
            population_value(_s(row, "population", None)),
            population_value(_s(row, "population_year", None)),
            str(_s(row, "role", "village")),
            str(_s(row, "status")),
            str(_s(row, "source")),
            row["geometry"],
            str(_s(row, "population_level")),
            str(_s(row, "population_source")),
            str(_s(row, "part_of")),
        )


@dataclass(frozen=True)
class RoadSegment:
    """A road segment between two junctions; ``road_class`` sets its default speed."""

    road_id: str
    name: str
    road_class: str
    status: str
    source: str
    geometry: BaseGeometry

    @classmethod
    def from_row(cls, row: Any) -> RoadSegment:
        return cls(
            str(row["road_id"]),
            str(_s(row, "name")),
            str(_s(row, "road_class", "unclassified")),
            str(_s(row, "status")),
            str(_s(row, "source")),
            row["geometry"],
        )


@dataclass(frozen=True)
class WaterFeature:
    """A lake, reservoir (polygon), river or canal (line)."""

    water_id: str
    name: str
    kind: str
    status: str
    source: str
    geometry: BaseGeometry

    @classmethod
    def from_row(cls, row: Any) -> WaterFeature:
        return cls(
            str(row["water_id"]),
            str(_s(row, "name")),
            str(_s(row, "kind")),
            str(_s(row, "status")),
            str(_s(row, "source")),
            row["geometry"],
        )


@dataclass(frozen=True)
class Crossing:
    """A named border crossing point between two parties. Rules per traveller class live in the regime."""

    crossing_id: str
    name: str
    parties: tuple[str, ...]
    status: str
    source: str
    geometry: BaseGeometry

    @classmethod
    def from_row(cls, row: Any) -> Crossing:
        parties = tuple(p for p in str(_s(row, "parties")).replace(",", "-").split("-") if p)
        return cls(
            str(row["crossing_id"]),
            str(_s(row, "name")),
            parties,
            str(_s(row, "status")),
            str(_s(row, "source")),
            row["geometry"],
        )
