"""``delimit treaty``: the treaty annex (line description, pillar plan) for a line or two parties' shared line.

Examples::

    delimit treaty --scenario neutral-road-2025 --between KGZ TJK
    delimit treaty --scenario status-quo --between KGZ TJK --window 70.4,39.8,70.8,40.1 -o out/vorukh
    delimit treaty agreed_line.gpkg --layer line --between KGZ TJK --scenario status-quo -o out/agreed
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import shapely
import typer
from rich.console import Console

from delimit.cli.options import float_option, format_option, int_option, output_option, overwrite_option
from delimit.cli.progress import progress_bar
from delimit.cli.render import Format, emit_json, print_marks, print_table, rich_table
from delimit.errors import InputError
from delimit.geomtypes import LINEAR
from delimit.model.provenance import InputRecord, Provenance, sha256_file

if TYPE_CHECKING:
    from delimit.cli.progress import ProgressFn
    from delimit.model.scenario import Scenario
    from delimit.treaty.annex import Annex
    from delimit.treaty.segment_types import DetectionSettings


def _section_status(values: list[str]) -> dict[int, str]:
    out: dict[int, str] = {}
    for v in values:
        key, sep, status = v.partition("=")
        if not sep or not key.strip().isdigit():
            raise InputError(None, f"--section-status {v!r} must look like 3=signed", field="section-status")
        out[int(key)] = status.strip()
    return out


#: Most pillars a plan may need before ``delimit treaty`` refuses it (raise with DELIMIT_MAX_PILLARS).
DEFAULT_MAX_PILLARS = 100_000


def _max_pillars() -> int:
    """The pillar limit from ``DELIMIT_MAX_PILLARS`` (a positive integer), else :data:`DEFAULT_MAX_PILLARS`."""
    import os

    raw = os.environ.get("DELIMIT_MAX_PILLARS", "").strip()
    if not raw:
        return DEFAULT_MAX_PILLARS
    try:
        value = int(float(raw))
    except (ValueError, OverflowError):
        value = 0
    if value <= 0:
        raise InputError(
            None, f"DELIMIT_MAX_PILLARS={raw!r} must be a positive whole number of pillars", field="DELIMIT_MAX_PILLARS"
        )
    return value


def _pillar_limit_error(exc: Exception) -> InputError:
    """A :class:`PillarLimitError` in the words of the command line (option and variable named)."""
    est, limit = getattr(exc, "estimate", 0), getattr(exc, "limit", 0)
    return InputError(
        None,
        f"--max-spacing {getattr(exc, 'max_spacing_m', 0):g} m along {getattr(exc, 'length_m', 0) / 1000:,.1f} km of line would need about "
        f"{est:,} pillars, more than the limit of {limit:,}: give a larger --max-spacing or raise DELIMIT_MAX_PILLARS",
        field="max-spacing",
    )


def register(app: typer.Typer) -> None:
    @app.command("treaty")
    def treaty(
        line: Path | None = typer.Argument(
            None,
            help="A line layer file (GeoPackage, GeoJSON, Shapefile, FlatGeobuf); omit to use --scenario and --between.",
        ),
        layer: str | None = typer.Option(None, "--layer", help="Layer of LINE (default: the first)."),
        scenario: str | None = typer.Option(
            None,
            "--scenario",
            help="Bundled scenario name or scenario file: the line between --between parties, and the DEM, rivers, roads and water used for LINE.",
        ),
        between: tuple[str, str] | None = typer.Option(
            None, "--between", help="The two parties, e.g. --between KGZ TJK."
        ),
        out: Path | None = output_option(
            "folder",
            help="Output folder (default out/treaty/<scenario>-<A>-<B>/ or out/treaty/<LINE stem>/); a folder holding other files is refused without --overwrite.",
        ),
        overwrite: bool = overwrite_option(),
        max_spacing: float = float_option(
            1000.0,
            "--max-spacing",
            help="Largest distance between consecutive pillars along the line (m).",
            lo=1,
            hi=1_000_000,
            unit="m",
        ),
        window: str | None = typer.Option(
            None, "--window", help="Clip the line to lon0,lat0,lon1,lat1 (WGS84 degrees)."
        ),
        simplify_m: float | None = float_option(
            None,
            "--simplify-m",
            lo=0,
            hi=100_000,
            unit="m",
            help="Simplify the line (Douglas-Peucker, metres) before describing it; reported. Default: keep every vertex.",
        ),
        status: str | None = typer.Option(
            None,
            "--status",
            help="Status of every section (drafted, agreed, initialled, signed, ratified-<PARTY>, in-force, demarcated); default: the layer's 'status' attribute or 'drafted'.",
        ),
        section_status: list[str] = typer.Option(
            [], "--section-status", help="Status of one section, e.g. --section-status 2=signed (repeatable)."
        ),
        river_tolerance: float = float_option(
            100.0,
            "--river-tolerance",
            help="A segment within this distance (m) of a river all along runs 'along a river'.",
            lo=0,
            hi=10_000,
            unit="m",
        ),
        road_tolerance: float = float_option(
            100.0, "--road-tolerance", help="Likewise for roads (m).", lo=0, hi=10_000, unit="m"
        ),
        no_roads: bool = typer.Option(False, "--no-roads", help="Do not detect 'along a road' segments."),
        no_watersheds: bool = typer.Option(
            False, "--no-watersheds", help="Do not detect 'along a watershed' segments on the DEM."
        ),
        pillar_height: float = float_option(
            1.0, "--pillar-height", help="Pillar height above ground (m).", lo=0, hi=100, unit="m"
        ),
        observer_height: float = float_option(
            1.5, "--observer-height", help="Observer eye height above the pillar top (m).", lo=0, hi=100, unit="m"
        ),
        refraction: float = float_option(
            0.13, "--refraction-k", help="Coefficient of terrestrial refraction for line of sight.", lo=-1, hi=1
        ),
        add_sight_pillars: bool = typer.Option(
            False,
            "--add-sight-pillars",
            help="Add the suggested pillar for each pair without line of sight, and check again.",
        ),
        dem: Path | None = typer.Option(
            None, "--dem", help="Elevation model (GeoTIFF) for LINE when no --scenario gives one."
        ),
        no_pdf: bool = typer.Option(False, "--no-pdf", help="Skip the PDF annex."),
        pdf_rows: int = int_option(
            25,
            "--pdf-rows",
            help="Rows per section shown in the PDF tables (the CSV/GPKG always hold all).",
            lo=1,
            hi=100_000,
        ),
        fmt: Format = format_option("table", "json", help="Summary on stdout"),
    ) -> None:
        """Write the treaty annex: turning points, segments, sections, pillar plan (GPKG, GeoJSON, KML, CSV, PDF, text)."""
        from delimit import load_scenario
        from delimit.treaty import from_scenario, parse_window
        from delimit.treaty.pillars import PillarLimitError
        from delimit.treaty.segment_types import DetectionSettings
        from delimit.treaty_export import write_annex

        parties = (between[0], between[1]) if between and all(between) else None
        box = parse_window(window)
        per_section = _section_status(section_status)
        detection = DetectionSettings(
            river_tolerance_m=river_tolerance, road_tolerance_m=road_tolerance, detect_watersheds=not no_watersheds
        )
        if line is None and (scenario is None or parties is None):
            raise InputError(None, "give a LINE file, or --scenario and --between A B", field="line")
        sc = load_scenario(scenario) if scenario else None
        status_arg: str | dict[int, str] | None = per_section or status
        if per_section and status:
            raise InputError(None, "use --status or --section-status, not both", field="status")
        max_pillars = _max_pillars()
        try:
            with progress_bar("treaty annex") as prog:
                if line is None:
                    assert sc is not None and parties is not None
                    annex = from_scenario(
                        sc,
                        parties[0],
                        parties[1],
                        window=box,
                        max_spacing_m=max_spacing,
                        status=status_arg,
                        simplify_m=simplify_m,
                        detection=detection,
                        use_roads=not no_roads,
                        pillar_height_m=pillar_height,
                        observer_height_m=observer_height,
                        refraction_k=refraction,
                        add_sight_pillars=add_sight_pillars,
                        max_pillars=max_pillars,
                        progress=lambda m, f: prog(m, 0.6 * f),
                    )
                    default_out = Path("out") / "treaty" / f"{sc.name}-{parties[0]}-{parties[1]}"
                else:
                    opts = {
                        "max_spacing": max_spacing,
                        "simplify_m": simplify_m,
                        "no_roads": no_roads,
                        "pillar_height": pillar_height,
                        "observer_height": observer_height,
                        "refraction": refraction,
                        "add_sight_pillars": add_sight_pillars,
                    }
                    annex = _line_file_annex(
                        line, layer, parties, sc, box, status, per_section, dem, detection, opts, prog, max_pillars
                    )
                    default_out = Path("out") / "treaty" / Path(line).stem
                dest = out or default_out
                written = write_annex(
                    annex, dest, pdf=not no_pdf, rows_per_section=pdf_rows, progress=lambda m, f: prog(m, 0.6 + 0.4 * f)
                )
        except PillarLimitError as exc:
            raise _pillar_limit_error(exc) from None
        summary = annex.summary()
        summary["output"] = str(dest)
        summary["files"] = sorted(written)
        if fmt == Format.json:
            emit_json(summary)
        else:
            d, p = summary["description"], summary["pillars"]
            rows = [
                {
                    "item": "sections",
                    "value": f"{d['sections']} ({', '.join(f'{v} {k}' for k, v in d['status_counts'].items())})",
                },
                {"item": "turning points / segments", "value": f"{d['turning_points']} / {d['segments']}"},
                {"item": "total length (geodesic, WGS84)", "value": f"{d['total_length_m']:,.3f} m"},
                {"item": "segment types", "value": ", ".join(f"{v} {k}" for k, v in d["segment_types"].items())},
                {
                    "item": "pillars",
                    "value": f"{p['pillars']} (max {p['max_along_spacing_m']} m apart along the line; {p['moved_off_water']} moved off water)",
                },
                {
                    "item": "line of sight",
                    "value": f"{p['sight_pairs_checked']} pairs, {p['sight_blocked']} blocked, {p['sight_unknown']} unknown",
                },
                {"item": "spacing exceptions", "value": str(p["spacing_exceptions"])},
                {
                    "item": "simplified",
                    "value": f"at {d['simplify_m']} m: {d['vertices_in']} -> {d['vertices_kept']} vertices"
                    if d["simplify_m"]
                    else "no",
                },
            ]
            print_table(
                rich_table(
                    rows,
                    ["item", "value"],
                    title=annex.title,
                    caption="CRS: EPSG:4326 (WGS84); lengths/azimuths geodesic on the WGS84 ellipsoid",
                )
            )
        print_marks(annex.data_marks)
        Console(stderr=True).print(f"wrote {len(written)} files to {dest}")


def _line_file_annex(
    line: Path,
    layer: str | None,
    parties: tuple[str, str] | None,
    sc: Scenario | None,
    box: tuple[float, float, float, float] | None,
    status: str | None,
    per_section: dict[int, str],
    dem: Path | None,
    detection: DetectionSettings,
    opts: dict[str, Any],
    prog: ProgressFn,
    max_pillars: int,
) -> Annex:
    """The annex of a line file (its attributes give sections, statuses and types), over ``sc``'s data if given.

    ``opts``: max_spacing, simplify_m, no_roads, pillar_height, observer_height, refraction, add_sight_pillars.
    The pillar estimate is checked before the line is described.
    """
    from dataclasses import replace

    from delimit.attribution import attribution_text, file_credit
    from delimit.crs import GEOD
    from delimit.io.raster import read_raster
    from delimit.io.vector import read_layer
    from delimit.treaty import (
        describe_sections,
        plan_pillars,
        section_inputs_from_layer,
    )
    from delimit.treaty.annex import (
        Annex,
        annotate,
        clip_line,
        map_context,
        scenario_caveats,
        scenario_precision,
    )
    from delimit.treaty.pillars import check_pillar_budget
    from delimit.treaty.text import build_paragraphs

    gdf = read_layer(line, layer, geometry_types=LINEAR)
    if parties is None:
        if "parties" not in gdf.columns:
            raise InputError(
                line,
                "say which parties the line lies between (--between A B, or a 'parties' column such as KGZ-TJK)",
                field="parties",
            )
        values = {str(v) for v in gdf["parties"]}
        if len(values) != 1 or len(next(iter(values)).replace(",", "-").split("-")) != 2:
            raise InputError(
                line,
                f"the 'parties' column must hold one pair such as KGZ-TJK, found {sorted(values)}",
                field="parties",
            )
        a, b = next(iter(values)).replace(",", "-").split("-")
        parties = (a.strip(), b.strip())
    if box is not None:
        gdf = gdf.assign(geometry=[clip_line(g, box) for g in gdf.geometry])
        gdf = gdf[~gdf.geometry.is_empty]
        if not len(gdf):
            raise InputError(line, f"the line has no part inside window {box}", field="window")
    if status is not None:
        gdf = gdf.assign(status=status)
    whole = shapely.union_all(gdf.geometry.to_numpy())
    check_pillar_budget(
        float(GEOD.geometry_length(whole)), len(shapely.get_coordinates(whole)), float(opts["max_spacing"]), max_pillars
    )
    inputs = section_inputs_from_layer(gpd.GeoDataFrame(gdf), parties, source=str(line))
    if per_section:
        inputs = [replace(s, status=per_section.get(k + 1, s.status)) for k, s in enumerate(inputs)]
    elevation = sc.elevation if sc is not None else (read_raster(dem, units="m") if dem else None)
    names = {p: (sc.parties[p].name if sc is not None and p in sc.parties else p) for p in parties}
    desc = describe_sections(
        inputs,
        parties=parties,
        elevation=elevation,
        rivers=sc.rivers if sc else None,
        roads=(sc.roads if sc and not opts["no_roads"] else None),
        detection=detection,
        simplify_m=opts["simplify_m"],
        party_names=names,
        precision=scenario_precision(sc, whole, parties, elevation),
        progress=lambda m, f: prog(m, 0.3 * f),
    )
    plan = plan_pillars(
        desc,
        max_spacing_m=opts["max_spacing"],
        elevation=elevation,
        water=sc.water_bodies if sc else None,
        pillar_height_m=opts["pillar_height"],
        observer_height_m=opts["observer_height"],
        refraction_k=opts["refraction"],
        add_sight_pillars=opts["add_sight_pillars"],
        max_pillars=max_pillars,
        progress=lambda m, f: prog(m, 0.3 + 0.3 * f),
    )
    record = InputRecord("line", str(line), sha256_file(line))
    credits = [*(sc.provenance.credits if sc is not None else ()), file_credit(Path(line).name, ["line"])]
    if sc is not None:
        prov = sc.provenance.as_dict()
        prov["inputs"] = [*prov["inputs"], record.as_dict()]
        marks = sc.data_marks(["rivers", "water_bodies"] + ([] if opts["no_roads"] else ["roads"]))
    else:
        prov = Provenance(
            scenario="", inputs=(record,) + ((InputRecord("dem", str(dem), sha256_file(dem)),) if dem else ())
        ).as_dict()
        marks = {}
    prov["attribution"] = [c.as_dict() for c in credits]
    text = attribution_text(credits)
    annotate(desc, sc, box, caveats=scenario_caveats(sc, desc, parties) if sc is not None else [])
    desc.attribution = text
    desc.paragraphs = build_paragraphs(desc)
    return Annex(
        title=f"Boundary between {names[parties[0]]} and {names[parties[1]]} - line {Path(line).name}",
        parties=(parties[0], parties[1]),
        party_names=names,
        description=desc,
        pillars=plan,
        provenance=prov,
        data_marks=marks,
        window=box,
        context=map_context(sc, desc, parties),
        scenario=sc.name if sc else "",
        attribution=[c.as_dict() for c in credits],
        attribution_text=text,
    )
