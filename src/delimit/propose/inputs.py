"""The inputs of a proposal run as a command line or a script names them: zone and unit specs.

``--zone`` is ``band:WIDTH``, ``disputed:OTHER_SCENARIO`` or a polygon file; ``--units`` is
``hex:SIZE``, ``square:SIZE``, ``voronoi`` or ``parcels:FILE`` (a bare file name works too). The
specs are parsed before any work (:meth:`ZoneSpec.parse`, :meth:`UnitsSpec.parse`); the polygon and
parcel files are read through :mod:`delimit.io.vector` (:func:`read_polygons`); the other scenario of
a ``disputed:`` zone is loaded by the caller and passed in.

>>> ZoneSpec.parse("band:2km")
ZoneSpec(kind='band', width_m=2000.0, other=None, path=None)
>>> ZoneSpec.parse("disputed:tj-corridor-claim").other
'tj-corridor-claim'
>>> UnitsSpec.parse("hex:500m")
UnitsSpec(kind='hex', size_m=500.0, path=None)
>>> UnitsSpec.parse("parcels:cadastre.gpkg").path
'cadastre.gpkg'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from delimit.crs import WGS84
from delimit.errors import InputError
from delimit.model.scenario import Scenario
from delimit.propose.units import (
    DEFAULT_MAX_PARCELS,
    check_parcel_count,
    estimate_parcels,
    grid_cells,
    parse_units,
    voronoi_cells,
)
from delimit.propose.zone import parse_length_m, zone_band, zone_disputed, zone_from_polygon

__all__ = ["UnitsSpec", "ZoneSpec", "read_polygons", "unit_cells", "zone_outlines"]


@dataclass(frozen=True)
class ZoneSpec:
    """A ``--zone``: ``band`` (``width_m`` metres around the parties' line), ``disputed`` (where the
    ``other`` scenario's territory differs) or ``polygon`` (the polygons of the file at ``path``)."""

    kind: Literal["band", "disputed", "polygon"]
    width_m: float | None = None
    other: str | None = None
    path: str | None = None

    @classmethod
    def parse(cls, text: str) -> ZoneSpec:
        """Read ``band:WIDTH`` (e.g. ``band:2km``), ``disputed:SCENARIO`` or a polygon file name."""
        if text.startswith("band:"):
            return cls("band", width_m=parse_length_m(text[5:], field="zone"))
        if text.startswith("disputed:"):
            other = text.split(":", 1)[1].strip()
            if not other:
                raise InputError(
                    None, "disputed: needs the other scenario, e.g. disputed:tj-corridor-claim", field="zone"
                )
            return cls("disputed", other=other)
        return cls("polygon", path=text)


@dataclass(frozen=True)
class UnitsSpec:
    """A ``--units``: a ``hex`` or ``square`` grid of ``size_m`` metres, ``voronoi`` cells around the
    settlements, or ``parcels`` (the polygons of the file at ``path``, e.g. a cadastre)."""

    kind: Literal["hex", "square", "voronoi", "parcels"]
    size_m: float = 0.0
    path: str | None = None

    @classmethod
    def parse(cls, text: str) -> UnitsSpec:
        """Read ``hex:SIZE``, ``square:SIZE``, ``voronoi``, ``parcels:FILE`` or a bare file name."""
        if text.lower().startswith(("hex", "square")):
            kind, size = parse_units(text)
            return cls("hex" if kind == "hex" else "square", size_m=size)
        if text.lower() == "voronoi":
            return cls("voronoi")
        return cls("parcels", path=text[8:] if text.startswith("parcels:") else text)


def read_polygons(path: str, *, field: str, what: str = "polygon") -> list[BaseGeometry]:
    """The polygons of a vector file (WGS84; other geometries ignored); InputError naming ``field`` if none."""
    from delimit.io.vector import read_layer

    frame = read_layer(path)
    polys = [g for g in frame.geometry if g is not None and g.geom_type in ("Polygon", "MultiPolygon")]
    if not polys:
        raise InputError(path, f"holds no {what}", field=field)
    return polys


def zone_outlines(
    scenario: Scenario, parties: tuple[str, str], spec: ZoneSpec, *, other: Scenario | None = None
) -> tuple[BaseGeometry, BaseGeometry]:
    """(The zone clipped to the parties' land, its raw outline for cutting transfers), WGS84.

    ``other``: the loaded scenario of a ``disputed`` spec. A ``polygon`` spec's file is read here.
    """
    if spec.kind == "band":
        assert spec.width_m is not None
        return (
            zone_band(scenario, parties, spec.width_m),
            zone_band(scenario, parties, spec.width_m, raw=True),
        )
    if spec.kind == "disputed":
        if other is None:
            raise InputError(None, "disputed zones need the other scenario", field="zone")
        return zone_disputed(scenario, other, parties), zone_disputed(scenario, other, parties, raw=True)
    assert spec.path is not None
    polygon = shapely.union_all(read_polygons(spec.path, field="zone"))
    return (
        zone_from_polygon(scenario, parties, polygon),
        zone_from_polygon(scenario, parties, polygon, raw=True),
    )


def unit_cells(
    scenario: Scenario, zone: BaseGeometry, spec: UnitsSpec, *, max_parcels: int = DEFAULT_MAX_PARCELS
) -> np.ndarray:
    """The cells (WGS84 polygons) ``spec`` splits ``zone`` into, refused past ``max_parcels`` before any
    grid is built (grids: estimated from the zone's area and perimeter; other units: counted)."""
    text = f"{spec.kind}:{spec.size_m:g}m" if spec.kind in ("hex", "square") else spec.kind
    if spec.kind in ("hex", "square"):
        estimate, zone_km2 = estimate_parcels(zone, spec.kind, spec.size_m)
        check_parcel_count(estimate, max_parcels, what=f"{text} over the zone ({zone_km2:,.1f} km2)")
        return grid_cells(zone, spec.kind, spec.size_m)
    if spec.kind == "voronoi":
        cells = voronoi_cells(zone, scenario.settlements)
    else:
        assert spec.path is not None
        text = spec.path
        polys = read_polygons(spec.path, field="units", what="parcel polygon")
        cells = gpd.GeoSeries(polys, crs=WGS84).explode(index_parts=False).to_numpy()
    check_parcel_count(len(cells), max_parcels, what=f"{text} ({len(cells):,} units)")
    return cells
