"""A complete treaty annex from a scenario: the line's description, the pillar plan, provenance.

:func:`from_scenario` takes the line two parties share under a scenario (optionally within a
window), describes it, plans its pillars over the scenario's DEM and water bodies, and bundles
everything an annex writer needs, including the map context (both parties' territory, water) and
the provenance and data marks that every output must carry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import shapely

from delimit.crs import WGS84
from delimit.errors import InputError
from delimit.model.scenario import Scenario
from delimit.treaty.describe import LineDescription, describe_line, describe_sections, SectionInput
from delimit.treaty.pillars import PillarPlan, plan_pillars
from delimit.treaty.segment_types import DetectionSettings

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
        raise InputError(None, f"window {text!r} must have lon0 < lon1 and lat0 < lat1 within -180..180 / -90..90", field="window")
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
    progress: ProgressFn | None = None,
) -> Annex:
    """Build the treaty annex for the line between parties ``a`` and ``b`` under ``scenario``.

    The line is :meth:`Scenario.boundary_between`, clipped to ``window`` if given, oriented west to
    east; segment types are detected against the scenario's rivers, roads (``use_roads``) and DEM;
    pillars avoid its water bodies. All other options are those of :func:`describe_line` and
    :func:`plan_pillars`.

    Raises
    ------
    InputError
        Unknown party, or no shared line (in the window).
    """
    for p in (a, b):
        if p not in scenario.parties:
            raise InputError(scenario.name, f"unknown party {p!r} (known: {', '.join(sorted(scenario.parties))})", field="between")
    if a == b:
        raise InputError(scenario.name, "a boundary needs two different parties", field="between")
    report = progress or (lambda _m, _f: None)
    box = parse_window(window) if isinstance(window, str) else (tuple(window) if window is not None else None)  # type: ignore[arg-type]
    report("boundary line", 0.0)
    line = clip_line(scenario.boundary_between(a, b), box)  # type: ignore[arg-type]
    if line.is_empty:
        where = f" in window {box}" if box else ""
        raise InputError(scenario.name, f"{a} and {b} share no boundary line{where} under this scenario", field="between")
    elevation = scenario.elevation

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
        progress=sub(0.5, 0.95),
    )
    bounds = desc.sections.total_bounds
    pad = 0.05 * max(bounds[2] - bounds[0], bounds[3] - bounds[1], 0.01)
    view = shapely.box(bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad)
    terr = scenario.territory[scenario.territory["party"].isin([a, b])]
    context = {
        "territory": _clip(terr, view),
        "water_bodies": _clip(scenario.water_bodies, view),
        "rivers": _clip(scenario.rivers, view),
    }
    layers = ["territory", "rivers", "water_bodies"] + (["roads"] if use_roads else [])
    marks = scenario.data_marks(layers)
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
        window=box,  # type: ignore[arg-type]
        context=context,
        scenario=scenario.name,
        notes=notes,
    )


def _clip(frame: gpd.GeoDataFrame, view: shapely.Geometry) -> gpd.GeoDataFrame:
    if frame is None or len(frame) == 0:
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)
    hit = frame[frame.intersects(view)]
    return gpd.GeoDataFrame(hit.copy(), geometry=shapely.intersection(hit.geometry.values, view), crs=WGS84)


__all__ = ["Annex", "SectionInput", "clip_line", "describe_sections", "from_scenario", "parse_window"]
