"""The treaty annex of a line given as a file (an agreed or proposed line), over a scenario's data if given.

The layer's attributes give sections, statuses and types (:func:`~delimit.treaty.describe.section_inputs_from_layer`);
a scenario, when given, supplies the DEM, rivers, roads and water bodies, the party names and the data
credits; without one, a DEM may be given on its own. :func:`from_line_layer` works on a frame already
read (pure); :func:`from_file` reads the line (and the DEM) through :mod:`delimit.io` and records their
SHA-256 in the annex's provenance.

Example (the README's agreed line, over the bundled status quo)::

    from delimit import load_scenario
    from delimit.treaty import from_file
    from delimit.treaty_export import write_annex

    annex = from_file("agreed_line.gpkg", layer="line", parties=("KGZ", "TJK"),
                      scenario=load_scenario("status-quo"), max_spacing_m=500)
    write_annex(annex, "out/agreed")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from delimit.attribution import Credit, attribution_text, file_credit
from delimit.crs import GEOD
from delimit.errors import InputError
from delimit.model.provenance import InputRecord, Provenance, sha256_file
from delimit.model.raster import Raster
from delimit.model.scenario import Scenario
from delimit.treaty.annex import Annex, annotate, clip_line, map_context, scenario_caveats, scenario_precision
from delimit.treaty.describe import (
    LineDescription,
    check_section_numbers,
    describe_sections,
    section_inputs_from_layer,
)
from delimit.treaty.pillars import PillarPlan, check_pillar_budget, plan_pillars
from delimit.treaty.segment_types import DetectionSettings
from delimit.treaty.text import build_paragraphs

__all__ = ["PillarOptions", "from_file", "from_line_layer"]

ProgressFn = Callable[[str, float], None]
Window = tuple[float, float, float, float]


def from_file(
    line: str | Path,
    *,
    layer: str | None = None,
    dem: str | Path | None = None,
    **options: Any,
) -> Annex:
    """The annex of the line layer ``layer`` (default: the first) of the vector file ``line``.

    ``dem``: an elevation model (GeoTIFF, metres) used when no ``scenario`` is given. Every other
    keyword is that of :func:`from_line_layer`. The file and the DEM are recorded (path and SHA-256)
    in the annex's provenance; the line file is credited as a user source.

    Raises
    ------
    InputError
        The file cannot be read as lines, names no party pair, or has no part in the window.
    """
    from delimit.geomtypes import LINEAR
    from delimit.io.raster import read_raster
    from delimit.io.vector import read_layer

    frame = read_layer(line, layer, geometry_types=LINEAR)
    records = [InputRecord("line", str(line), sha256_file(line))]
    scenario = options.get("scenario")
    elevation = None
    if scenario is None and dem is not None:
        elevation = read_raster(dem, units="m")
        records.append(InputRecord("dem", str(dem), sha256_file(dem)))
    return from_line_layer(frame, source=str(line), records=records, elevation=elevation, **options)


def from_line_layer(
    frame: gpd.GeoDataFrame,
    *,
    source: str,
    records: list[InputRecord] | None = None,
    parties: tuple[str, str] | None = None,
    scenario: Scenario | None = None,
    elevation: Raster | None = None,
    window: Window | None = None,
    status: str | None = None,
    section_status: Mapping[int, str] | None = None,
    max_spacing_m: float = 1000.0,
    simplify_m: float | None = None,
    detection: DetectionSettings = DetectionSettings(),
    use_roads: bool = True,
    pillars: PillarOptions | None = None,
    max_pillars: int | None = None,
    progress: ProgressFn | None = None,
) -> Annex:
    """The annex of a line layer already read (WGS84 lines; one or more sections).

    Parameters
    ----------
    source: the file the layer came from (named in errors, in the title and in the credits).
    records: the inputs to record in the provenance (default: none beyond the scenario's).
    parties: the two parties (default: the layer's ``parties`` column, one pair such as ``KGZ-TJK``).
    scenario: supplies elevation, rivers, roads, water bodies, party names and credits.
    elevation: the DEM when no scenario is given (metres).
    window: clip the line to (lon0, lat0, lon1, lat1), degrees.
    status: the status of every section (default: the layer's ``status`` attribute or ``drafted``);
        ``section_status`` overrides single sections by number (1-based).
    max_spacing_m, simplify_m, detection, use_roads: as :func:`~delimit.treaty.from_scenario`.
    pillars: pillar heights, refraction and sight pillars (:class:`PillarOptions`).
    max_pillars: refuse, before describing the line, a spacing whose pillar estimate exceeds it.
    progress: ``(message, fraction 0..1)``.
    """
    say = progress or (lambda _m, _f: None)
    opts = pillars or PillarOptions()
    parties = parties or _parties_of(frame, source)
    frame = _prepared(frame, source, window, status)
    whole = shapely.union_all(frame.geometry.to_numpy())
    check_pillar_budget(
        float(GEOD.geometry_length(whole)), len(shapely.get_coordinates(whole)), float(max_spacing_m), max_pillars
    )
    inputs = section_inputs_from_layer(gpd.GeoDataFrame(frame), parties, source=source)
    if section_status:
        check_section_numbers(section_status, len(inputs), "section-status")
        inputs = [replace(s, status=section_status.get(k + 1, s.status)) for k, s in enumerate(inputs)]
    sc = scenario
    elevation = sc.elevation if sc is not None else elevation
    names = {p: (sc.parties[p].name if sc is not None and p in sc.parties else p) for p in parties}
    desc = describe_sections(
        inputs,
        parties=parties,
        elevation=elevation,
        rivers=sc.rivers if sc else None,
        roads=(sc.roads if sc and use_roads else None),
        detection=detection,
        simplify_m=simplify_m,
        party_names=names,
        precision=scenario_precision(sc, whole, parties, elevation),
        progress=lambda m, f: say(m, 0.5 * f),
    )
    plan = _plan(desc, opts, sc, elevation, max_spacing_m, max_pillars, lambda m, f: say(m, 0.5 + 0.5 * f))
    credits = [*(sc.provenance.credits if sc is not None else ()), file_credit(Path(source).name, ["line"])]
    prov, marks = _provenance(sc, records or [], credits, use_roads)
    text = attribution_text(credits)
    annotate(desc, sc, window, caveats=scenario_caveats(sc, desc, parties) if sc is not None else [])
    desc.attribution = text
    desc.paragraphs = build_paragraphs(desc)
    return Annex(
        title=f"Boundary between {names[parties[0]]} and {names[parties[1]]} - line {Path(source).name}",
        parties=(parties[0], parties[1]),
        party_names=names,
        description=desc,
        pillars=plan,
        provenance=prov,
        data_marks=marks,
        window=window,
        context=map_context(sc, desc, parties),
        scenario=sc.name if sc else "",
        attribution=[c.as_dict() for c in credits],
        attribution_text=text,
    )


@dataclass(frozen=True)
class PillarOptions:
    """How pillars are planned: heights (m), the refraction coefficient, and whether to add a pillar for
    each pair without line of sight (see :func:`~delimit.treaty.plan_pillars`)."""

    pillar_height_m: float = 1.0
    observer_height_m: float = 1.5
    refraction_k: float = 0.13
    add_sight_pillars: bool = False


def _parties_of(frame: gpd.GeoDataFrame, source: str) -> tuple[str, str]:
    """The party pair of the layer's ``parties`` column (one value such as ``KGZ-TJK`` or ``KGZ,TJK``)."""
    if "parties" not in frame.columns:
        raise InputError(
            source,
            "say which parties the line lies between (--between A B, or a 'parties' column such as KGZ-TJK)",
            field="parties",
        )
    values = {str(v) for v in frame["parties"]}
    if len(values) != 1 or len(next(iter(values)).replace(",", "-").split("-")) != 2:
        raise InputError(
            source, f"the 'parties' column must hold one pair such as KGZ-TJK, found {sorted(values)}", field="parties"
        )
    a, b = next(iter(values)).replace(",", "-").split("-")
    return a.strip(), b.strip()


def _prepared(frame: gpd.GeoDataFrame, source: str, window: Window | None, status: str | None) -> gpd.GeoDataFrame:
    """The layer clipped to ``window`` (refused if nothing is left) with ``status`` on every feature if given."""
    if window is not None:
        frame = frame.assign(geometry=[clip_line(g, window) for g in frame.geometry])
        frame = frame[~frame.geometry.is_empty]
        if not len(frame):
            raise InputError(source, f"the line has no part inside window {window}", field="window")
    if status is not None:
        frame = frame.assign(status=status)
    return frame


def _plan(
    desc: LineDescription,
    opts: PillarOptions,
    sc: Scenario | None,
    elevation: Raster | None,
    max_spacing_m: float,
    max_pillars: int | None,
    progress: ProgressFn,
) -> PillarPlan:
    return plan_pillars(
        desc,
        max_spacing_m=max_spacing_m,
        elevation=elevation,
        water=sc.water_bodies if sc else None,
        pillar_height_m=opts.pillar_height_m,
        observer_height_m=opts.observer_height_m,
        refraction_k=opts.refraction_k,
        add_sight_pillars=opts.add_sight_pillars,
        max_pillars=max_pillars,
        progress=progress,
    )


def _provenance(
    sc: Scenario | None, records: list[InputRecord], credits: list[Credit], use_roads: bool
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The annex's provenance (the scenario's, plus the line's and DEM's records; credits as attribution)
    and its data marks (the scenario layers the annex used)."""
    if sc is not None:
        prov = sc.provenance.as_dict()
        prov["inputs"] = [*prov["inputs"], *(r.as_dict() for r in records)]
        marks = sc.data_marks(["rivers", "water_bodies"] + (["roads"] if use_roads else []))
    else:
        prov = Provenance(scenario="", inputs=tuple(records)).as_dict()
        marks = {}
    prov["attribution"] = [c.as_dict() for c in credits]
    return prov, marks
