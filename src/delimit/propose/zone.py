"""The zone a proposal may redraw: a user polygon, disputed land, or a band around a line.

Every zone is returned in WGS84 (EPSG:4326), clipped to the land of the two parties negotiating
(water bodies removed: lakes and reservoirs are not land that can be exchanged). Band widths are
measured in the UTM zone of the line (:func:`delimit.crs.metric_crs`).
"""

from __future__ import annotations

import re

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from delimit.crs import WGS84, metric_crs
from delimit.errors import InputError
from delimit.model.scenario import Scenario
from delimit.polygons import robust_difference, robust_intersection, robust_union

#: Snap-rounding grid (degrees, ~0.1 mm) for overlays that fail in floating point.
GRID_DEG = 1e-9


def _inter(a: BaseGeometry, b: BaseGeometry) -> BaseGeometry:
    return robust_intersection([a], [b], GRID_DEG)[0]


_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(m|km)?\s*$", re.IGNORECASE)


def parse_length_m(text: str, *, field: str = "length") -> float:
    """Parse ``'500m'``, ``'2km'``, ``'0.5 km'`` or a bare number of metres into metres (> 0)."""
    m = _LENGTH.match(str(text))
    if not m:
        raise InputError(None, f"cannot read {text!r} as a length (e.g. 500m, 2km)", field=field)
    value = float(m.group(1)) * (1000.0 if (m.group(2) or "m").lower() == "km" else 1.0)
    if value <= 0:
        raise InputError(None, f"length {text!r} must be positive", field=field)
    return value


def _land(scenario: Scenario, parties: tuple[str, str]) -> BaseGeometry:
    for p in parties:
        if p not in scenario.parties:
            raise InputError(
                scenario.name, f"unknown party {p!r} (known: {', '.join(scenario.parties)})", field="between"
            )
    land = robust_union([scenario.party_geometry(p) for p in parties], GRID_DEG)
    if len(scenario.water_bodies):
        land = robust_difference([land], [robust_union(scenario.water_bodies.geometry.values, GRID_DEG)], GRID_DEG)[0]
    return land


def _finish(zone: BaseGeometry, what: str) -> BaseGeometry:
    zone = shapely.make_valid(zone)
    polys = [p for p in shapely.get_parts(zone) if p.geom_type == "Polygon" and not p.is_empty]
    zone = robust_union(polys, GRID_DEG) if polys else shapely.Polygon()
    if zone.is_empty or zone.area == 0:
        raise InputError(None, f"the zone ({what}) holds no land of the two parties", field="zone")
    return zone


def zone_from_polygon(
    scenario: Scenario, parties: tuple[str, str], polygon: BaseGeometry, *, raw: bool = False
) -> BaseGeometry:
    """The given polygon (WGS84) clipped to the two parties' land, water removed.

    With ``raw`` the polygon itself (the cut outline used to write transfers; see :mod:`delimit.propose.apply`).
    """
    if raw:
        return polygon
    return _finish(_inter(polygon, _land(scenario, parties)), "polygon")


def zone_disputed(scenario: Scenario, other: Scenario, parties: tuple[str, str], *, raw: bool = False) -> BaseGeometry:
    """Land held by one of the two parties under ``scenario`` and by the other under ``other``."""
    a, b = parties
    pieces = [
        _inter(scenario.party_geometry(a), other.party_geometry(b)),
        _inter(scenario.party_geometry(b), other.party_geometry(a)),
    ]
    disputed = (
        robust_union([p for p in pieces if not p.is_empty], GRID_DEG)
        if any(not p.is_empty for p in pieces)
        else shapely.Polygon()
    )
    if raw:
        return disputed
    return _finish(_inter(disputed, _land(scenario, parties)), f"disputed with {other.name}")


def zone_band(scenario: Scenario, parties: tuple[str, str], width_m: float, *, raw: bool = False) -> BaseGeometry:
    """Land within ``width_m / 2`` of the line the two parties share (a band ``width_m`` wide).

    With ``raw`` the band itself, water and other parties' land included.
    """
    line = scenario.boundary_between(*parties)
    if line.is_empty:
        raise InputError(scenario.name, f"{parties[0]} and {parties[1]} share no boundary", field="between")
    crs = metric_crs(line)
    band = gpd.GeoSeries([line], crs=WGS84).to_crs(crs).buffer(width_m / 2.0, quad_segs=4).to_crs(WGS84).iloc[0]
    if raw:
        return band
    return _finish(_inter(band, _land(scenario, parties)), f"band {width_m:g} m")
