"""A complete treaty annex from a scenario: the line's description, the pillar plan, provenance.

:func:`from_scenario` takes the line two parties share under a scenario (optionally within a
window), describes it, plans its pillars over the scenario's DEM and water bodies, and bundles
everything an annex writer needs, including the map context (both parties' territory, water) and
the provenance and data marks that every output must carry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import geopandas as gpd
import shapely

from delimit.crs import GEOD, WGS84
from delimit.errors import InputError
from delimit.model.layers import REGISTRY_STATUSES
from delimit.model.raster import Raster
from delimit.model.scenario import Scenario
from delimit.treaty.accuracy import (
    Precision,
    coordinate_step_deg,
    packages_for_layer,
    precision_for,
    stated_accuracy,
)
from delimit.treaty.describe import (
    LineDescription,
    SectionInput,
    describe_line,
    describe_sections,
)
from delimit.treaty.pillars import PillarPlan, check_pillar_budget, plan_pillars
from delimit.treaty.segment_types import ROAD, DetectionSettings
from delimit.treaty.sides import (
    CLOSED,
    classify_endpoint,
    section_name,
    section_sides,
    segment_sides,
)

ProgressFn = Callable[[str, float], None]


@dataclass
class Annex:
    """Everything a treaty annex shows.

    Attributes
    ----------
    title: heading of the annex.
    parties, party_names: the two parties (ids in the given order) and their names.
    description: the line's legal description.
    pillars: the pillar plan.
    provenance: ``scenario.provenance.as_dict()`` (or an equivalent for a line file).
    data_marks: hand-made data the annex rests on (``{'roads': ['schematic'], ...}``).
    window: (lon0, lat0, lon1, lat1) the line was clipped to, or None.
    context: layers for the overview map (``territory``, ``water_bodies``, ``rivers``), WGS84.
    scenario: scenario name ("" for a line file).
    """

    title: str
    parties: tuple[str, str]
    party_names: dict[str, str]
    description: LineDescription
    pillars: PillarPlan
    provenance: dict[str, Any]
    data_marks: dict[str, list[str]] = field(default_factory=dict)
    window: tuple[float, float, float, float] | None = None
    context: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    scenario: str = ""
    notes: list[str] = field(default_factory=list)
    #: Credits of every source (``Provenance.credits`` as dictionaries) and their visible text.
    attribution: list[dict[str, Any]] = field(default_factory=list)
    attribution_text: str = ""

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary of the annex (no tables)."""
        return {
            "title": self.title,
            "scenario": self.scenario,
            "parties": list(self.parties),
            "window": list(self.window) if self.window else None,
            "description": self.description.summary(),
            "pillars": self.pillars.summary(),
            "data_marks": self.data_marks,
            "notes": list(self.notes),
            "attribution": self.attribution_text,
            "provenance": self.provenance,
        }


def parse_window(text: str | Sequence[float] | None) -> tuple[float, float, float, float] | None:
    """``'lon0,lat0,lon1,lat1'`` (or a 4-sequence) -> a checked (minx, miny, maxx, maxy) box.

    >>> parse_window("70.4,39.8,70.8,40.1")
    (70.4, 39.8, 70.8, 40.1)
    """
    if text is None:
        return None
    parts: list[Any] = text.split(",") if isinstance(text, str) else list(text)
    try:
        vals = [float(p) for p in parts]
    except (TypeError, ValueError):
        raise InputError(None, f"window {text!r} must be four numbers lon0,lat0,lon1,lat1", field="window") from None
    if len(vals) != 4:
        raise InputError(None, f"window {text!r} must be four numbers lon0,lat0,lon1,lat1", field="window")
    x0, y0, x1, y1 = vals
    if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
        raise InputError(
            None, f"window {text!r} must have lon0 < lon1 and lat0 < lat1 within -180..180 / -90..90", field="window"
        )
    return (x0, y0, x1, y1)


def clip_line(geom: shapely.Geometry, window: tuple[float, float, float, float] | None) -> shapely.Geometry:
    """The line parts inside the window (the whole line when ``window`` is None)."""
    if window is None:
        return geom
    clipped = shapely.intersection(geom, shapely.box(*window))
    parts = [p for p in shapely.get_parts(clipped) if p.geom_type in ("LineString", "MultiLineString")]
    return shapely.line_merge(shapely.union_all(parts)) if parts else shapely.LineString()


def from_scenario(
    scenario: Scenario,
    a: str,
    b: str,
    *,
    window: tuple[float, float, float, float] | str | None = None,
    max_spacing_m: float = 1000.0,
    status: str | Sequence[str] | Mapping[int, str] | None = None,
    segment_types: str | Mapping[int, str | Sequence[str]] | None = None,
    simplify_m: float | None = None,
    detection: DetectionSettings = DetectionSettings(),
    use_roads: bool = True,
    pillar_height_m: float = 1.0,
    observer_height_m: float = 1.5,
    refraction_k: float = 0.13,
    add_sight_pillars: bool = False,
    max_pillars: int | None = None,
    progress: ProgressFn | None = None,
) -> Annex:
    """Build the treaty annex for the line between parties ``a`` and ``b`` under ``scenario``.

    The line is :meth:`Scenario.boundary_between`, clipped to ``window`` if given, oriented west to
    east; segment types are detected against the scenario's rivers, roads (``use_roads``) and DEM;
    pillars avoid its water bodies. ``max_pillars`` refuses, before any work, a spacing whose pillar
    estimate (:func:`delimit.treaty.pillars.estimate_pillars`) exceeds it. All other options are
    those of :func:`describe_line` and :func:`plan_pillars`. The annex states the sources and their
    licences, the precision that follows from their accuracy (:func:`scenario_precision`), which
    party lies on which side of each section, what each end point is, and the caveats of the
    illustrative or schematic data it rests on (:func:`annotate`).

    Raises
    ------
    InputError
        Unknown party, or no shared line (in the window).
    """
    for p in (a, b):
        if p not in scenario.parties:
            raise InputError(
                scenario.name, f"unknown party {p!r} (known: {', '.join(sorted(scenario.parties))})", field="between"
            )
    if a == b:
        raise InputError(scenario.name, "a boundary needs two different parties", field="between")
    report = progress or (lambda _m, _f: None)
    # tuple() of the 4-tuple keeps its length, which typeshed's tuple(Iterable[T]) -> tuple[T, ...] forgets
    box = (
        parse_window(window)
        if isinstance(window, str)
        else (cast(tuple[float, float, float, float], tuple(window)) if window is not None else None)
    )
    report("boundary line", 0.0)
    line = clip_line(scenario.boundary_between(a, b), box)
    if line.is_empty:
        where = f" in window {box}" if box else ""
        raise InputError(
            scenario.name, f"{a} and {b} share no boundary line{where} under this scenario", field="between"
        )
    n_vertices = len(shapely.get_coordinates(line))
    check_pillar_budget(float(GEOD.geometry_length(line)), n_vertices, float(max_spacing_m), max_pillars)
    elevation = scenario.elevation
    precision = scenario_precision(scenario, line, (a, b), elevation)

    def sub(lo: float, hi: float) -> ProgressFn:
        return lambda m, f: report(m, lo + (hi - lo) * f)

    names = {p: scenario.parties[p].name for p in (a, b)}
    desc = describe_line(
        line,
        parties=(a, b),
        elevation=elevation,
        segment_types=segment_types,
        status=status,
        rivers=scenario.rivers,
        roads=scenario.roads if use_roads else None,
        detection=detection,
        simplify_m=simplify_m,
        orient="west-east",
        party_names=names,
        precision=precision,
        progress=sub(0.05, 0.5),
    )
    plan = plan_pillars(
        desc,
        max_spacing_m=max_spacing_m,
        elevation=elevation,
        water=scenario.water_bodies,
        pillar_height_m=pillar_height_m,
        observer_height_m=observer_height_m,
        refraction_k=refraction_k,
        add_sight_pillars=add_sight_pillars,
        max_pillars=max_pillars,
        progress=sub(0.5, 0.95),
    )
    layers = ["territory", "rivers", "water_bodies"] + (["roads"] if use_roads else [])
    marks = scenario.data_marks(layers)
    annotate(desc, scenario, box, caveats=scenario_caveats(scenario, desc, (a, b)))
    context = map_context(scenario, desc, (a, b))
    notes = []
    if elevation is None:
        notes.append("the scenario has no DEM: heights, watersheds and line of sight are not computed")
    report("annex", 1.0)
    return Annex(
        title=f"Boundary between {names[a]} and {names[b]} - scenario {scenario.name}",
        parties=(a, b),
        party_names=names,
        description=desc,
        pillars=plan,
        provenance=scenario.provenance.as_dict(),
        data_marks=marks,
        window=box,
        context=context,
        scenario=scenario.name,
        notes=notes,
        attribution=[c.as_dict() for c in scenario.provenance.credits],
        attribution_text=scenario.provenance.attribution(),
    )


def map_context(
    scenario: Scenario | None, desc: LineDescription, parties: tuple[str, str]
) -> dict[str, gpd.GeoDataFrame]:
    """Layers for the annex's maps, clipped around the line: both parties' territory, water, rivers, settlements."""
    if scenario is None:
        return {}
    bounds = desc.sections.total_bounds
    pad = 0.05 * max(bounds[2] - bounds[0], bounds[3] - bounds[1], 0.01)
    view = shapely.box(bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad)
    terr = scenario.territory[scenario.territory["party"].isin(list(parties))]
    return {
        "territory": _clip(terr, view),
        "water_bodies": _clip(scenario.water_bodies, view),
        "rivers": _clip(scenario.rivers, view),
    }


def scenario_precision(
    scenario: Scenario | None, line: shapely.Geometry, parties: tuple[str, str], elevation: Raster | None
) -> Precision:
    """The printed precision of an annex: from the coordinate step of the parties' territory vertices
    (the source of the line; the line's own vertices without a scenario), the stated accuracy of the
    territory's and the DEM's registry sources (:data:`delimit.treaty.accuracy.SOURCE_ACCURACY`), and the DEM's cell.
    """
    lat = float(shapely.centroid(line).y) if not line.is_empty else 0.0
    credits = scenario.provenance.credits if scenario is not None else ()
    if scenario is not None and len(scenario.territory):
        terr = scenario.territory[scenario.territory["party"].isin(list(parties))]
        step = coordinate_step_deg(shapely.get_coordinates(terr.geometry.to_numpy()))
    else:
        step = coordinate_step_deg(shapely.get_coordinates(line))
    h_acc, h_basis = stated_accuracy(packages_for_layer(credits, "territory"), "horizontal")
    v_acc, v_basis = (None, "")
    cell = None
    if elevation is not None:
        v_acc, v_basis = stated_accuracy(
            [
                p
                for c in credits
                for p in packages_for_layer([c], next((lay for lay in c.layers if lay.startswith("elevation")), "-"))
            ],
            "vertical",
        )
        cell = abs(float(elevation.transform.a)) if elevation.crs is not None and elevation.crs.is_geographic else None
    return precision_for(
        step,
        lat,
        horizontal_accuracy_m=h_acc,
        horizontal_basis=h_basis,
        dem_cell_deg=cell,
        vertical_accuracy_m=v_acc,
        vertical_basis=v_basis,
    )


def scenario_caveats(scenario: Scenario | None, desc: LineDescription, parties: tuple[str, str]) -> list[str]:
    """The caveats the legal text must carry, from the statuses of the features the line rests on.

    * every territory part of either party that the line runs along and whose status is not a
      registry status (``illustrative``, ``claimed``, ``schematic``, ...), with its source and the
      sections it bounds;
    * the scenario's own status when it is not a registry status (a claim, an illustration);
    * 'along a road' segments that follow schematic roads.
    """
    if scenario is None:
        return []
    out: list[str] = []
    terr = scenario.territory[scenario.territory["party"].isin(list(parties))]
    marked = terr[~terr["status"].astype(str).isin(REGISTRY_STATUSES)] if "status" in terr.columns else terr.iloc[0:0]
    if len(marked):
        tol = 2.0 * 10.0 ** -(desc.precision.degree_decimals if desc.precision else 5)
        secs = desc.sections
        groups: dict[tuple[str, str], set[int]] = {}
        for _, row in marked.iterrows():
            edge = row.geometry.boundary
            hit = [
                int(k)
                for k, g in zip(secs["section"], secs.geometry, strict=True)
                if shapely.dwithin(edge, g, tol)
                and shapely.length(shapely.intersection(g, edge.buffer(tol))) > 50 * tol
            ]
            if hit:
                groups.setdefault((str(row["status"]), str(row.get("source", "") or "")), set()).update(hit)
        for (status, source), secs_hit in sorted(groups.items()):
            word = status.upper()
            out.append(
                f"Section(s) {', '.join(str(k) for k in sorted(secs_hit))} follow territory marked {word} in the scenario data"
                + (f" (source: {source})" if source else "")
                + f". Where it is {word}, the line shows a position for discussion; it is not an agreed, surveyed or official line and must not be demarcated from this annex."
            )
    if scenario.status not in REGISTRY_STATUSES:
        out.append(
            f"This annex describes the line under scenario '{scenario.name}' ({scenario.title}), whose status is {scenario.status.upper()}: "
            "it is not a boundary agreed by the parties."
        )
    road_status = (
        sorted({str(s) for s in scenario.roads["status"].unique()} - REGISTRY_STATUSES)
        if "status" in scenario.roads.columns and len(scenario.roads)
        else []
    )
    if road_status and (desc.segments["segment_type"] == ROAD).any():
        out.append(
            f"Segments described as running 'along the road' follow roads marked {', '.join(s.upper() for s in road_status)} in the scenario data "
            "(drawn by hand, not surveyed): the road's true course must be established in the field."
        )
    return out


def annotate(
    desc: LineDescription,
    scenario: Scenario | None,
    window: tuple[float, float, float, float] | None,
    *,
    caveats: list[str] | None = None,
) -> LineDescription:
    """Add sides, end points, names, caveats and attribution to a description and rebuild its text (in place).

    Sides and end points need the scenario's territory; without a scenario they are left unknown
    (columns empty) and the text says so. Data edges are the ``window`` and the scenario's data
    window layer: an end point on either is described as where the line leaves the annex's area.
    """
    from delimit.treaty.text import build_paragraphs

    parties = desc.parties
    terr = scenario.territory if scenario is not None else None
    edges = [shapely.box(*window)] if window is not None else []
    if scenario is not None and len(scenario.window):
        edges += [g for g in scenario.window.geometry.values if g is not None and not g.is_empty]
    tol = 2.0 * 10.0 ** -(desc.precision.degree_decimals if desc.precision else 5)
    segs = desc.segments
    if terr is not None:
        left, right = segment_sides(segs, terr[terr["party"].isin(list(parties))])
        desc.segments["left_party"], desc.segments["right_party"] = left, right
        per = {s["section"]: s for s in section_sides(desc.sections, segs, left, right)}
    else:
        per = {}
    names = {p: q.name for p, q in scenario.parties.items()} if scenario is not None else {}
    names.update(desc.party_names)
    tp = desc.turning_points.set_index("point_no")
    cols: dict[str, list[Any]] = {
        k: []
        for k in ("start_kind", "start_words", "end_kind", "end_words", "left_party", "right_party", "side_exceptions")
    }
    new_names = []
    settlements = scenario.settlements if scenario is not None else None
    for sec in desc.sections.to_dict("records"):
        k = int(sec["section"])
        e0 = e1 = None
        if bool(sec["closed"]):
            s_kind = e_kind = CLOSED
            s_words = e_words = ""
        else:
            f, last = tp.loc[int(sec["first_point"])], tp.loc[int(sec["last_point"])]
            e0 = classify_endpoint(
                float(f["lon"]), float(f["lat"]), parties, terr, edges, names=names, edge_tolerance_deg=tol
            )
            e1 = classify_endpoint(
                float(last["lon"]), float(last["lat"]), parties, terr, edges, names=names, edge_tolerance_deg=tol
            )
            s_kind, s_words, e_kind, e_words = e0.kind, e0.words, e1.kind, e1.words
        cols["start_kind"].append(s_kind)
        cols["start_words"].append(s_words)
        cols["end_kind"].append(e_kind)
        cols["end_words"].append(e_words)
        side = per.get(k, {})
        cols["left_party"].append(side.get("left", ""))
        cols["right_party"].append(side.get("right", ""))
        differing: list[int] = list(side.get("differing_segments", []))
        cols["side_exceptions"].append(", ".join(str(x) for x in differing))
        given = str(sec.get("name") or "")
        new_names.append(given or section_name(sec["geometry"], bool(sec["closed"]), terr, settlements, e0, e1))
    desc.sections["name"] = new_names
    for c, v in cols.items():
        desc.sections[c] = v
    geom = desc.sections.pop("geometry")
    desc.sections["geometry"] = geom
    desc.sections = gpd.GeoDataFrame(desc.sections, geometry="geometry", crs=WGS84)
    if caveats is not None:
        desc.caveats = list(caveats)
    if scenario is not None:
        desc.attribution = scenario.provenance.attribution()
    desc.paragraphs = build_paragraphs(desc)
    return desc


def _clip(frame: gpd.GeoDataFrame, view: shapely.Geometry) -> gpd.GeoDataFrame:
    if frame is None or len(frame) == 0:
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)
    hit = frame[frame.intersects(view)]
    return gpd.GeoDataFrame(hit.copy(), geometry=shapely.intersection(hit.geometry.values, view), crs=WGS84)


__all__ = [
    "Annex",
    "SectionInput",
    "annotate",
    "clip_line",
    "describe_sections",
    "from_scenario",
    "map_context",
    "parse_window",
    "scenario_caveats",
    "scenario_precision",
]
