"""``analyse``: parts, enclaves, exclaves and necks of every party under a scenario.

The engine is pure: it takes a :class:`~delimit.model.scenario.Scenario` (or plain GeoDataFrames via
:func:`analyse_territory`) and returns a :class:`~delimit.topology.result.TopologyResult`.

Measures and frames (named in ``TopologyResult.crs``)
-----------------------------------------------------
* Areas (km²) in a Lambert azimuthal equal-area CRS centred on the data (:func:`delimit.crs.equal_area_crs`)
  when the data spans at most 30° in each direction; for wider data (a continent, the world), on the
  WGS84 ellipsoid directly (``pyproj.Geod``), which is exact and needs no projection.
* Perimeters, neck widths and lengths and gaps to the mainland: geodesic on the WGS84 ellipsoid.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypedDict

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from delimit.crs import WGS84, crs_description, equal_area_crs
from delimit.errors import InputError
from delimit.model.population import own_population, parent_index, population_total
from delimit.model.scenario import Scenario
from delimit.topology.necks import find_necks
from delimit.topology.parts import (
    DEFAULT_ARTEFACT_M,
    PartTable,
    dissolve,
    gaps_to_mainland,
    geodesic_area_km2,
    geodesic_perimeter_km,
    known_enclaves,
    projected_area_km2,
    sliver_parts,
    surrounded_by,
    surroundings,
    window_sides,
)
from delimit.topology.result import NECK_COLUMNS, PART_COLUMNS, TopologyResult
from delimit.validity import is_valid, is_valid_reason

ProgressFn = Callable[[str, float], None]

#: Widest extent (degrees) measured in one equal-area CRS; wider data is measured on the ellipsoid.
REGIONAL_EXTENT_DEG = 30.0


def _check_territory(territory: gpd.GeoDataFrame, where: str, workers: int = 1) -> None:
    if "party" not in territory.columns:
        raise InputError(where, "territory has no 'party' column", field="party", layer="territory")
    if territory.crs is not None and not WGS84.equals(territory.crs):
        raise InputError(
            where, f"territory must be in EPSG:4326, got {territory.crs.to_string()}", field="crs", layer="territory"
        )
    geoms = territory.geometry.values
    bad = ~is_valid(geoms, workers=workers)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        label = territory["part_id"].iloc[i] if "part_id" in territory.columns else i
        raise InputError(
            where,
            f"invalid geometry: {is_valid_reason(geoms[i])}; rerun with --repair to repair it",
            feature=label,
            field="geometry",
            layer="territory",
        )


def _points_in(parts_geoms: np.ndarray, points: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(part index, point index) pairs for points inside parts."""
    if len(points) == 0 or len(parts_geoms) == 0:
        return np.array([], dtype=int), np.array([], dtype=int)
    tree = shapely.STRtree(parts_geoms)
    pi, gi = tree.query(points.geometry.values, predicate="intersects")
    return gi, pi


def analyse_territory(
    territory: gpd.GeoDataFrame,
    *,
    name: str = "",
    settlements: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    water: BaseGeometry | None = None,
    window: BaseGeometry | None = None,
    neck_width_m: float = 1000.0,
    parties: Sequence[str] | None = None,
    snap_m: float = 1.0,
    surround_share: float = 0.99,
    overlap_m: float = 1000.0,
    artefact_m: float = DEFAULT_ARTEFACT_M,
    progress: ProgressFn | None = None,
    workers: int = 2,
    provenance: dict[str, Any] | None = None,
    data_marks: dict[str, list[str]] | None = None,
    frame_bounds: tuple[float, float, float, float] | None = None,
    neck_search: bool = True,
    dissolved: bool = False,
) -> TopologyResult:
    """Topology of a territory layer (one row per claim part, column ``party``, WGS84).

    Parameters
    ----------
    territory: rows of land per party; rows of one party are dissolved and split into parts.
    settlements: points with ``name`` and ``population`` (summed per part and per neck).
    roads: lines with ``road_id`` (listed per neck).
    water: inland water (holes in land, belonging to no party); it does not break surroundedness.
    window: the data window; a part on its edge is never an enclave (what lies beyond is unknown).
    neck_width_m: report necks narrower than this (metres).
    parties: restrict the output to these parties (every party still counts as a neighbour).
    snap_m: rows of one party closer than this are joined (metres).
    surround_share: share of an exterior that must be on the host's land (or inland water).
    overlap_m: another party's land reaching deeper than this (metres) into a part also holds it
        (``overlapped_by``); shallower overlaps are border slivers.
    artefact_m: the boundary source's stated accuracy (metres): necks narrower than it and parts no wider
        than it anywhere are reported as ``artefact`` (digitising slivers); parts within it of the
        window's edge are ``clipped`` (with ``window_sides``), never exclaves or enclaves.
    workers: threads for the opening step.
    frame_bounds: the extent (west, south, east, north, degrees) that chooses the area frame; default
        the territory's own. :mod:`delimit.distribute` passes the whole file's extent to each of its
        tasks, so that a task's areas are those of one run over the whole file.
    neck_search: False leaves the necks out (an empty table): :mod:`delimit.distribute` runs the
        neck search as tasks of its own (:func:`part_necks` on the parts found here).
    dissolved: the rows are already each party's parts (:func:`dissolve_territory`; :mod:`delimit.distribute`
        dissolves every party once for the tasks that need them), taken as they are.
    """
    report = progress or (lambda _m, _f: None)
    where = name or "<territory>"
    _check_inputs(territory, where, neck_width_m, overlap_m, parties, workers, checked=dissolved)
    report("dissolving parts", 0.0)
    table = (
        _as_parts(territory)
        if dissolved
        else dissolve(territory["party"].astype(str).to_numpy(), territory.geometry.values, snap_m=snap_m)
    )
    geoms = table.geometry
    n = len(geoms)
    select = np.ones(n, dtype=bool) if parties is None else np.isin(table.party, list(parties))
    sel_idx = np.flatnonzero(select)
    areas, perims, area_crs = _measure(geoms, frame_bounds, select)
    report("parts and neighbours", 0.1)
    surr = surroundings(table, water=water, window=window, overlap_m=overlap_m, only=select)
    hosts = [None if s is None else surrounded_by(s, surround_share=surround_share) for s in surr]
    kind, ids, mainland_of = _mainlands_and_enclaves(table, areas, hosts, select)
    report("gaps to mainland", 0.3)
    gap_km, gap_ends = _gaps(table, mainland_of, parties)
    pop, pop_unknown, names = _populations(geoms, settlements)
    sides = _mark_clipped_and_slivers(kind, geoms, window, artefact_m, sel_idx, areas, perims)
    report("necks", 0.4)

    necks = (
        part_necks(
            geoms[sel_idx],
            table.party[sel_idx],
            ids[sel_idx],
            neck_width_m,
            artefact_m,
            settlements=settlements,
            roads=roads,
            workers=workers,
            progress=lambda msg, f: report(msg, 0.4 + 0.55 * f),
        )
        if neck_search
        else _frame([], NECK_COLUMNS)
    )
    rows = [
        _part_record(
            table,
            part_i,
            surr,
            kind,
            ids,
            areas,
            perims,
            hosts,
            gap_km,
            gap_ends,
            pop,
            pop_unknown,
            names,
            sides,
            artefact_m,
        )
        for part_i in sel_idx
    ]
    report("done", 1.0)
    return TopologyResult(
        scenario=name,
        crs=f"{area_crs}; {LENGTHS_CRS}",
        parts=_parts_frame(rows),
        necks=necks,
        neck_width_m=float(neck_width_m),
        artefact_m=float(artefact_m),
        known_enclaves=known_enclaves(settlements, geoms, table.party),
        provenance=provenance or {},
        data_marks=data_marks or {},
    )


def _mark_clipped_and_slivers(
    kind: np.ndarray,
    geoms: Any,
    window: BaseGeometry | None,
    artefact_m: float,
    sel_idx: np.ndarray,
    areas: np.ndarray,
    perims: np.ndarray,
) -> list[Any]:
    """Reclassify non-mainland parts in place: ``clipped`` where the data window cuts them (what lies beyond
    is unknown, so never an exclave), ``artefact`` where no wider anywhere than the source's accuracy
    (``artefact_m``, metres: a digitising sliver). Returns each part's window sides."""
    n = len(kind)
    sides = window_sides(geoms, window, tolerance_m=artefact_m)
    for i in range(n):
        if kind[i] != "mainland" and sides[i]:
            kind[i] = "clipped"
    thin = np.zeros(n, dtype=bool)
    thin[sel_idx] = sliver_parts(geoms[sel_idx], artefact_m, areas[sel_idx], perims[sel_idx])
    for i in range(n):
        if kind[i] != "mainland" and thin[i]:
            kind[i] = "artefact"
    return list(sides)


def _part_record(
    table: Any,
    part_i: int | np.integer[Any],
    surr: list[Any],
    kind: np.ndarray,
    ids: Any,
    areas: np.ndarray,
    perims: np.ndarray,
    hosts: list[Any],
    gap_km: Any,
    gap_ends: Any,
    pop: Any,
    pop_unknown: Any,
    names: Any,
    sides: Any,
    artefact_m: float,
) -> dict[str, Any]:
    """One row of the parts table (areas km², lengths km, the part's geometry in WGS84)."""
    geoms = table.geometry
    here = surr[part_i]
    assert here is not None  # every selected part is measured
    return {
        "party": str(table.party[part_i]),
        "id": ids[part_i],
        "kind": kind[part_i],
        "area_km2": float(areas[part_i]),
        "perimeter_km": float(perims[part_i]),
        "surrounded_by": hosts[part_i],
        "overlapped_by": list(here.overlaps),
        "gap_to_mainland_km": gap_km[part_i],
        "gap_ends": gap_ends[part_i],
        "shared_boundary_km": {p: m / 1000.0 for p, m in sorted(here.shared_m.items())},
        "population": pop[part_i],
        "population_unknown": int(pop_unknown[part_i]),
        "settlements": sorted(names[part_i]),
        "window_sides": sides[part_i],
        "artefact_reason": (
            f"no wider than {artefact_m:g} m anywhere: a digitising sliver of the source (tolerance = its stated accuracy)"
            if kind[part_i] == "artefact"
            else ""
        ),
        "geometry": geoms[part_i],
    }


def dissolve_territory(territory: gpd.GeoDataFrame, *, name: str = "", snap_m: float = 1.0) -> gpd.GeoDataFrame:
    """Each party's parts (column ``party``, WGS84), as :func:`analyse_territory` dissolves its rows.

    The rows are checked first (party column, CRS, valid geometry: InputError naming the feature).
    A party's parts depend on its own rows alone, so the parts of any split of the parties,
    concatenated, are those of the whole file: pass them with ``dissolved=True``.
    """
    _check_territory(territory, name or "<territory>", 1)
    table = dissolve(territory["party"].astype(str).to_numpy(), territory.geometry.values, snap_m=snap_m)
    return gpd.GeoDataFrame({"party": table.party}, geometry=gpd.GeoSeries(table.geometry, crs=WGS84), crs=WGS84)


def _as_parts(parts: gpd.GeoDataFrame) -> PartTable:
    """Already-dissolved parts (:func:`dissolve_territory`) as the engine's part table, parties in order."""
    party = parts["party"].astype(str).to_numpy(dtype=object)
    order = np.argsort(party, kind="stable")
    return PartTable(party[order], np.asarray(parts.geometry.values, dtype=object)[order])


def _check_inputs(
    territory: gpd.GeoDataFrame,
    where: str,
    neck_width_m: float,
    overlap_m: float,
    parties: Sequence[str] | None,
    workers: int,
    checked: bool = False,
) -> None:
    """Refuse an empty or invalid territory, a bad neck width or overlap depth, and parties holding no land.

    ``checked``: the rows come from :func:`dissolve_territory`, which checked their CRS and geometry.
    """
    if len(territory) == 0:
        raise InputError(
            where, "the territory layer holds no land (no features): nothing to analyse", field="territory"
        )
    if not np.isfinite(neck_width_m) or neck_width_m <= 0:
        raise InputError(
            where, f"neck width must be a positive number of metres, got {neck_width_m!r}", field="neck_width"
        )
    if not np.isfinite(overlap_m) or overlap_m < 0:
        raise InputError(where, f"overlap depth must be a number of metres >= 0, got {overlap_m!r}", field="overlap")
    if not checked:
        _check_territory(territory, where, workers)
    known = set(territory["party"].astype(str))
    if parties is not None:
        landless = sorted(set(parties) - known)
        if landless:
            raise InputError(
                where, f"party {landless[0]!r} holds no land (parties: {', '.join(sorted(known))})", field="parties"
            )


def _measure(
    geoms: np.ndarray, frame_bounds: tuple[float, float, float, float] | None, select: np.ndarray
) -> tuple[Any, Any, str]:
    """Areas (km²: equal-area CRS of a regional frame, else geodesic) and geodesic perimeters (km) of the
    selected parts (NaN for the others), and the area CRS text. The frame is chosen from every part's
    extent (or ``frame_bounds``), selected or not."""
    bounds = shapely.total_bounds(geoms) if frame_bounds is None else np.asarray(frame_bounds, dtype=float)
    regional = (bounds[2] - bounds[0]) <= REGIONAL_EXTENT_DEG and (bounds[3] - bounds[1]) <= REGIONAL_EXTENT_DEG
    areas = np.full(len(geoms), np.nan)
    perims = np.full(len(geoms), np.nan)
    sel = np.flatnonzero(select)
    if regional:
        ea = equal_area_crs(tuple(bounds))
        areas[sel] = projected_area_km2(geoms[sel], Transformer.from_crs(WGS84, ea, always_xy=True))
        area_crs = f"areas: {crs_description(ea)}"
    else:
        areas[sel] = geodesic_area_km2(geoms[sel])
        area_crs = "areas: geodesic on the WGS84 ellipsoid (pyproj.Geod)"
    perims[sel] = geodesic_perimeter_km(geoms[sel])
    return areas, perims, area_crs


def _mainlands_and_enclaves(
    table: Any, areas: np.ndarray, hosts: list[Any], select: np.ndarray
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Kind of each part (the largest of a party is its mainland; a surrounded other part an enclave, else an
    exclave), part ids (``PARTY-k`` by decreasing area) and each party's mainland index, for the parties of
    the selected parts (the others' entries are left unset)."""
    n = len(table.geometry)
    kind = np.array(["exclave"] * n, dtype=object)
    ids = np.empty(n, dtype=object)
    mainland_of: dict[str, int] = {}
    for party in sorted(set(table.party[select].tolist())):
        idx = np.flatnonzero(table.party == party)
        idx = idx[np.argsort(-areas[idx], kind="stable")]
        mainland_of[party] = int(idx[0])
        kind[idx[0]] = "mainland"
        for k, part_i in enumerate(idx, start=1):
            ids[part_i] = f"{party}-{k}"
    for i in range(n):
        if kind[i] != "mainland" and hosts[i] is not None:
            kind[i] = "enclave"
    return kind, ids, mainland_of


def _gaps(
    table: Any, mainland_of: dict[str, int], parties: Sequence[str] | None
) -> tuple[list[float | None], list[list[list[float]] | None]]:
    """Geodesic gap (km) from each non-mainland part of the selected parties to its mainland, and its two ends."""
    geoms = table.geometry
    gap_km: list[float | None] = [None] * len(geoms)
    gap_ends: list[list[list[float]] | None] = [None] * len(geoms)
    for party, m in mainland_of.items():
        others = [i for i in np.flatnonzero(table.party == party) if i != m]
        if parties is not None and party not in parties:
            continue
        for part_i, g in zip(others, gaps_to_mainland(geoms[others], geoms[m]), strict=True):
            gap_km[part_i] = g.km
            gap_ends[part_i] = [list(g.on_part), list(g.on_mainland)]
    return gap_km, gap_ends


def _populations(
    geoms: np.ndarray, settlements: gpd.GeoDataFrame | None
) -> tuple[list[int | None], np.ndarray, list[list[str]]]:
    """Per part: population (persons), settlements of unknown population, settlement names.

    Each person once (part_of hierarchy), unknown populations counted apart; a part holding no settlement
    of the data has an unknown population (None), never 0: the land may well be inhabited.
    """
    n = len(geoms)
    pop: list[int | None] = [None] * n
    pop_unknown = np.zeros(n, dtype=np.int64)
    names: list[list[str]] = [[] for _ in range(n)]
    if settlements is None or not len(settlements):
        return pop, pop_unknown, names
    gi, pi = _points_in(geoms, settlements)
    own = own_population(settlements)
    parent = parent_index(settlements)
    namecol = (
        settlements["name"].astype(str).to_numpy()
        if "name" in settlements.columns
        else np.array([str(i) for i in range(len(settlements))])
    )
    for g in np.unique(gi).tolist():  # only parts holding settlements
        mask = np.zeros(len(settlements), dtype=bool)
        mask[pi[gi == g]] = True
        persons, unknown = population_total(own, mask, parent)
        pop_unknown[g] = unknown
        pop[g] = None if unknown and not persons else persons
        names[g] = [str(namecol[p]) for p in np.flatnonzero(mask)]
    return pop, pop_unknown, names


def part_necks(
    geoms: np.ndarray,
    party: np.ndarray,
    ids: np.ndarray,
    neck_width_m: float,
    artefact_m: float,
    *,
    settlements: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    workers: int = 1,
    progress: ProgressFn | None = None,
) -> gpd.GeoDataFrame:
    """The necks table of the given parts (WGS84 polygons with their party and part id), by party then width.

    Each part's necks depend on that part alone (:func:`delimit.topology.necks.find_necks`), so the
    necks of any split of the parts, concatenated and sorted again by :data:`NECK_ORDER`, are those
    of one call on all of them: :mod:`delimit.distribute` runs this per group of parts.
    """
    necks = find_necks(np.asarray(geoms, dtype=object), neck_width_m, progress=progress, workers=workers)
    rows = _neck_rows(necks, party, ids, settlements, roads, artefact_m)
    return sort_necks(_frame(rows, NECK_COLUMNS))


#: The necks table's order: by party, narrowest first, then by place (a total order, whatever the split).
NECK_ORDER = ["party", "min_width_m", "lon", "lat", "part"]


def sort_necks(necks: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``necks`` in :data:`NECK_ORDER`, index reset."""
    if len(necks) == 0:
        return necks.reset_index(drop=True)
    return necks.sort_values(NECK_ORDER, kind="stable").reset_index(drop=True)


def _neck_rows(
    necks: list[Any],
    party: np.ndarray,
    ids: np.ndarray,
    settlements: gpd.GeoDataFrame | None,
    roads: gpd.GeoDataFrame | None,
    artefact_m: float,
) -> list[dict[str, Any]]:
    """One row per neck: its part, width, length, location, the settlements and roads meeting it, artefact or neck."""
    neck_geoms = np.array([rec.geometry for rec in necks], dtype=object)

    def carried(layer: gpd.GeoDataFrame | None, column: str) -> list[list[str]]:
        """Values of ``column`` for the features of ``layer`` meeting each neck (one STRtree query for all)."""
        out: list[list[str]] = [[] for _ in necks]
        if layer is None or not len(layer) or not len(necks):
            return out
        ni, fi = shapely.STRtree(layer.geometry.values).query(neck_geoms, predicate="intersects")
        values = layer[column].astype(str).to_numpy()
        for k, f in zip(ni.tolist(), fi.tolist(), strict=True):
            out[k].append(str(values[f]))
        return [sorted(v) for v in out]

    neck_settlements = carried(settlements, "name")
    neck_roads = carried(roads, "road_id")
    rows = []
    for k, rec in enumerate(necks):
        rows.append(
            {
                "party": str(party[rec.part]),
                "part": str(ids[rec.part]),
                "min_width_m": rec.min_width_m,
                "length_km": rec.length_km,
                "lon": rec.location[0],
                "lat": rec.location[1],
                "end_a": [rec.end_a[0], rec.end_a[1]],
                "end_b": [rec.end_b[0], rec.end_b[1]],
                "settlements": neck_settlements[k],
                "roads": neck_roads[k],
                "kind": "artefact" if rec.min_width_m < artefact_m else "neck",
                "artefact_reason": (
                    f"narrower than {artefact_m:g} m, the source's stated accuracy: a digitising artefact, not a corridor"
                    if rec.min_width_m < artefact_m
                    else ""
                ),
                "geometry": rec.geometry,
            }
        )
    return rows


#: How perimeters, necks and gaps are measured (every result's ``crs`` names it after the area CRS).
LENGTHS_CRS = (
    "perimeters, neck widths and lengths, gaps: geodesic on the WGS84 ellipsoid (pyproj.Geod); "
    "narrowest segments located in a true-scale azimuthal equidistant frame centred on each neck (WGS84 radii of curvature)"
)


def _parts_frame(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """The parts table: by party, largest first; an unknown population stays None (never 0 or NaN)."""
    parts = _frame(rows, PART_COLUMNS)
    parts = parts.sort_values(["party", "area_km2"], ascending=[True, False], kind="stable").reset_index(drop=True)
    parts["population"] = parts["population"].astype(object).where(parts["population"].notna(), None)
    return parts


def _frame(rows: list[dict[str, Any]], columns: Sequence[str]) -> gpd.GeoDataFrame:
    """A WGS84 GeoDataFrame of ``rows`` with ``columns`` (and geometry), empty with those columns if no row."""
    if rows:
        return gpd.GeoDataFrame(rows, columns=[*columns, "geometry"], geometry="geometry", crs=WGS84)
    return gpd.GeoDataFrame(columns=[*columns, "geometry"], geometry="geometry", crs=WGS84)


class TerritoryInputs(TypedDict):
    """The keyword arguments of :func:`analyse_territory` that come from a scenario's layers (WGS84)."""

    settlements: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    water: BaseGeometry | None
    window: BaseGeometry | None


def scenario_inputs(scenario: Scenario) -> TerritoryInputs:
    """The keyword arguments :func:`analyse_territory` takes from a scenario."""
    water = shapely.union_all(scenario.water_bodies.geometry.values) if len(scenario.water_bodies) else None
    window = shapely.union_all(scenario.window.geometry.values) if len(scenario.window) else None
    return {"settlements": scenario.settlements, "roads": scenario.roads, "water": water, "window": window}


def analyse(
    scenario: Scenario,
    *,
    neck_width_m: float = 1000.0,
    parties: Sequence[str] | None = None,
    overlap_m: float = 1000.0,
    artefact_m: float = DEFAULT_ARTEFACT_M,
    progress: ProgressFn | None = None,
) -> TopologyResult:
    """Parts (mainland, exclaves, enclaves with their hosts), necks and gaps of every party.

    See :func:`analyse_territory` for the parameters and :mod:`delimit.topology.parts`,
    :mod:`delimit.topology.widths` for the definitions and the width method.

    >>> import delimit
    >>> r = analyse(delimit.load_scenario("status-quo"))  # doctest: +SKIP
    >>> r.parts.loc[r.parts["kind"] == "enclave", ["id", "surrounded_by"]]  # doctest: +SKIP
    """
    return analyse_territory(
        scenario.territory,
        name=scenario.name,
        neck_width_m=neck_width_m,
        parties=parties,
        overlap_m=overlap_m,
        artefact_m=artefact_m,
        progress=progress,
        provenance=scenario.provenance.as_dict(),
        data_marks=scenario.data_marks(["territory", "settlements", "roads", "water_bodies"]),
        **scenario_inputs(scenario),
    )


__all__ = [
    "NECK_ORDER",
    "analyse",
    "analyse_territory",
    "dissolve_territory",
    "part_necks",
    "scenario_inputs",
    "sort_necks",
]
