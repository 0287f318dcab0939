"""Disputed land between two scenarios (or two claims): land claimed by both, land claimed by none.

Rule
----
Overlay the two territory layers. At each place, ``holder_a`` is the party holding it under scenario
``a`` and ``holder_b`` under ``b`` (None where a scenario gives it to nobody). Inland water bodies of
either scenario are not land and are left out.

* Without ``parties`` (any two scenarios): where the holders differ and both exist, the land is
  claimed by both (kind ``both``, ``parties = [holder_a, holder_b]``): each has a scenario giving it
  the land. Where both scenarios give it to nobody, inside both data windows, it is claimed by none
  (kind ``none``, ``parties = []``).
* With ``parties = [X, Y]``, ``a`` is read as X's claim and ``b`` as Y's: land that ``a`` gives to X
  and ``b`` gives to Y is claimed by both; land that ``a`` gives to Y and ``b`` gives to X is
  claimed by none of them (each concedes it to the other, as at Bir Tawil); unclaimed gaps inside
  both windows are also ``none``.

Areas are in the equal-area CRS of :func:`delimit.crs.equal_area_crs` centred on the data (or on the
ellipsoid for data wider than 30°), pieces smaller than ``min_area_m2`` (default 1 m², digitising
slivers) are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from delimit.crs import WGS84, crs_description, equal_area_crs
from delimit.errors import InputError
from delimit.model.population import own_population, parent_index, population_total
from delimit.model.scenario import Scenario
from delimit.topology.engine import REGIONAL_EXTENT_DEG
from delimit.topology.parts import geodesic_area_km2, projected_area_km2
from delimit.topology.result import PIECE_COLUMNS, DisputedResult


def _holders(territory: gpd.GeoDataFrame, water: BaseGeometry | None) -> dict[str, BaseGeometry]:
    out = {}
    for party in sorted(set(territory["party"].astype(str))):
        g = shapely.union_all(territory.geometry.values[(territory["party"].astype(str) == party).to_numpy()])
        if water is not None:
            g = shapely.difference(g, water)
        out[party] = g
    return out


def _polys(g: BaseGeometry) -> list[BaseGeometry]:
    return [p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and not p.is_empty]


def compare_territories(
    a: gpd.GeoDataFrame,
    b: gpd.GeoDataFrame,
    *,
    name_a: str = "a",
    name_b: str = "b",
    parties: Sequence[str] | None = None,
    water: BaseGeometry | None = None,
    window: BaseGeometry | None = None,
    settlements: gpd.GeoDataFrame | None = None,
    min_area_m2: float = 1.0,
) -> DisputedResult:
    """Claimed-by-both and claimed-by-none pieces between two territory layers (see module docstring)."""
    if parties is not None and len(parties) != 2:
        raise InputError(
            f"{name_a} vs {name_b}",
            f"parties must name exactly two parties (a's claimant, b's claimant), got {list(parties)}",
            field="parties",
        )
    ha, hb = _holders(a, water), _holders(b, water)
    pieces: list[tuple[str, list[str], str | None, str | None, BaseGeometry]] = []
    for pa, ga in ha.items():
        for pb, gb in hb.items():
            if pa == pb or not shapely.intersects(ga, gb):
                continue
            inter = shapely.intersection(ga, gb)
            if parties is None or (pa, pb) == (parties[0], parties[1]):
                kind, who = "both", [pa, pb]
            elif (pa, pb) == (parties[1], parties[0]):
                kind, who = "none", []
            else:
                continue
            pieces.extend((kind, who, pa, pb, p) for p in _polys(inter))
    if window is not None and not window.is_empty:
        land_a = shapely.union_all(list(ha.values())) if ha else shapely.Polygon()
        land_b = shapely.union_all(list(hb.values())) if hb else shapely.Polygon()
        gaps = shapely.difference(window, shapely.union_all([land_a, land_b]))
        if water is not None:
            gaps = shapely.difference(gaps, water)
        pieces.extend(("none", [], None, None, p) for p in _polys(gaps))
    geoms = np.array([p[-1] for p in pieces], dtype=object)
    bounds = shapely.total_bounds(geoms) if len(geoms) else a.total_bounds
    if (bounds[2] - bounds[0]) <= REGIONAL_EXTENT_DEG and (bounds[3] - bounds[1]) <= REGIONAL_EXTENT_DEG:
        ea = equal_area_crs(tuple(bounds))
        areas = (
            projected_area_km2(geoms, Transformer.from_crs(WGS84, ea, always_xy=True)) if len(geoms) else np.array([])
        )
        crs = f"areas: {crs_description(ea)}"
    else:
        areas = geodesic_area_km2(geoms)
        crs = "areas: geodesic on the WGS84 ellipsoid (pyproj.Geod)"
    pop: list[int | None] = [0] * len(geoms)
    unknown = np.zeros(len(geoms), dtype=np.int64)
    names: list[list[str]] = [[] for _ in range(len(geoms))]
    if settlements is not None and len(settlements) and len(geoms):
        tree = shapely.STRtree(geoms)
        si, gi = tree.query(settlements.geometry.values, predicate="intersects")
        own, parent = own_population(settlements), parent_index(settlements)
        for g in np.unique(gi).tolist():  # each person once (part_of); unknown counted apart
            mask = np.zeros(len(settlements), dtype=bool)
            mask[si[gi == g]] = True
            persons, unknown[g] = population_total(own, mask, parent)
            pop[g] = None if unknown[g] and not persons else persons
            names[g] = [str(settlements["name"].iloc[s]) for s in np.flatnonzero(mask)]
    rows = [
        {
            "kind": k,
            "parties": who,
            "holder_a": pa,
            "holder_b": pb,
            "area_km2": float(areas[i]),
            "population": pop[i],
            "population_unknown": int(unknown[i]),
            "settlements": sorted(names[i]),
            "geometry": g,
        }
        for i, (k, who, pa, pb, g) in enumerate(pieces)
        if areas[i] * 1e6 >= min_area_m2
    ]
    gdf = gpd.GeoDataFrame(rows, columns=[*PIECE_COLUMNS, "geometry"], geometry="geometry", crs=WGS84)
    gdf = gdf.sort_values(["kind", "area_km2"], ascending=[True, False], kind="stable").reset_index(drop=True)
    rule = (
        f"a={name_a} read as {parties[0]}'s claim, b={name_b} as {parties[1]}'s"
        if parties is not None
        else "both: held by different parties under a and b; none: held by nobody under either, inside the data window"
    )
    return DisputedResult(name_a, name_b, crs, gdf, rule)


def compare(a: Scenario, b: Scenario, *, parties: Sequence[str] | None = None) -> DisputedResult:
    """Land claimed by both and by none between scenarios ``a`` and ``b``.

    >>> import delimit
    >>> d = compare(delimit.load_scenario("status-quo"), delimit.load_scenario("tj-corridor-claim"))  # doctest: +SKIP
    >>> d.pieces[["kind", "parties", "area_km2"]]  # doctest: +SKIP
    """
    for p in parties or ():
        if p not in a.parties and p not in b.parties:
            raise InputError(f"{a.name} vs {b.name}", f"unknown party {p!r}", field="parties")
    waters = [g for s in (a, b) for g in s.water_bodies.geometry.values]
    water = shapely.union_all(waters) if waters else None
    windows = [shapely.union_all(s.window.geometry.values) for s in (a, b) if len(s.window)]
    window = shapely.intersection_all(windows) if len(windows) == 2 else None
    result = compare_territories(
        a.territory,
        b.territory,
        name_a=a.name,
        name_b=b.name,
        parties=parties,
        water=water,
        window=window,
        settlements=b.settlements,
    )
    result.provenance = {"a": a.provenance.as_dict(), "b": b.provenance.as_dict()}
    marks: dict[str, list[str]] = {}
    for s in (a, b):
        for k, v in s.data_marks(["territory", "settlements", "water_bodies"]).items():
            marks[k] = sorted(set(marks.get(k, [])) | set(v))
    result.data_marks = marks
    return result
