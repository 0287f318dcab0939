"""``delimit treaty``: the treaty annex (line description, pillar plan) for a line or two parties' shared line.

Examples::

    delimit treaty --scenario neutral-road-2025 --between KGZ TJK
    delimit treaty --scenario status-quo --between KGZ TJK --window 70.4,39.8,70.8,40.1 -o out/vorukh
    delimit treaty agreed_line.gpkg --layer line --between KGZ TJK --scenario status-quo -o out/agreed

The annex is built by :func:`delimit.treaty.from_scenario` (a shared line) or :func:`delimit.treaty.from_file`
(a line file) and written by :func:`delimit.treaty_export.write_annex`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from delimit.cli.options import (
    Number,
    float_option,
    format_option,
    int_option,
    old_spelling,
    output_option,
    overwrite_option,
    prefer,
)
from delimit.cli.progress import progress_bar
from delimit.cli.render import Format, emit_json, print_marks, print_table, rich_table
from delimit.errors import InputError

if TYPE_CHECKING:
    from delimit.treaty.annex import Annex


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
        f"--max-spacing-m {getattr(exc, 'max_spacing_m', 0):g} along {getattr(exc, 'length_m', 0) / 1000:,.1f} km of line would need about "
        f"{est:,} pillars, more than the limit of {limit:,}: give a larger --max-spacing-m or raise DELIMIT_MAX_PILLARS",
        field="max-spacing-m",
    )


LINE = typer.Argument(
    None,
    help="A line layer file (GeoPackage, GeoJSON, Shapefile, FlatGeobuf); omit to use --scenario and --between.",
)
LAYER = typer.Option(None, "--layer", help="Layer of LINE (default: the first).")
SCENARIO = typer.Option(
    None,
    "--scenario",
    help="Bundled scenario name or scenario file: the line between --between parties, and the DEM, rivers, roads and water used for LINE.",
)
BETWEEN = typer.Option(None, "--between", help="The two parties, e.g. --between KGZ TJK.")
OUT = output_option(
    "folder",
    help="Output folder (default out/treaty/<scenario>-<A>-<B>/ or out/treaty/<LINE stem>/); a folder holding other files is refused without --overwrite.",
)
_SPACING = Number(float, 1, 1_000_000, "m")
MAX_SPACING_M = float_option(
    1000.0,
    "--max-spacing-m",
    help="Largest distance between consecutive pillars along the line (m).",
    lo=1,
    hi=1_000_000,
    unit="m",
)
WINDOW = typer.Option(None, "--window", help="Clip the line to lon0,lat0,lon1,lat1 (WGS84 degrees).")
SIMPLIFY_M = float_option(
    None,
    "--simplify-m",
    lo=0,
    hi=100_000,
    unit="m",
    help="Simplify the line (Douglas-Peucker, metres) before describing it; reported. Default: keep every vertex.",
)
STATUS = typer.Option(
    None,
    "--status",
    help="Status of every section (drafted, agreed, initialled, signed, ratified-<PARTY>, in-force, demarcated); default: the layer's 'status' attribute or 'drafted'.",
)
SECTION_STATUS = typer.Option(
    [], "--section-status", help="Status of one section, e.g. --section-status 2=signed (repeatable)."
)
_TOLERANCE = Number(float, 0, 10_000, "m")
RIVER_TOLERANCE_M = float_option(
    100.0,
    "--river-tolerance-m",
    help="A segment within this distance (m) of a river all along runs 'along a river'.",
    lo=0,
    hi=10_000,
    unit="m",
)
ROAD_TOLERANCE_M = float_option(100.0, "--road-tolerance-m", help="Likewise for roads (m).", lo=0, hi=10_000, unit="m")
NO_ROADS = typer.Option(False, "--no-roads", help="Do not detect 'along a road' segments.")
NO_WATERSHEDS = typer.Option(False, "--no-watersheds", help="Do not detect 'along a watershed' segments on the DEM.")
_HEIGHT = Number(float, 0, 100, "m")
PILLAR_HEIGHT_M = float_option(1.0, "--pillar-height-m", help="Pillar height above ground (m).", lo=0, hi=100, unit="m")
OBSERVER_HEIGHT_M = float_option(
    1.5, "--observer-height-m", help="Observer eye height above the pillar top (m).", lo=0, hi=100, unit="m"
)
REFRACTION = float_option(
    0.13, "--refraction-k", help="Coefficient of terrestrial refraction for line of sight.", lo=-1, hi=1
)
ADD_SIGHT = typer.Option(
    False, "--add-sight-pillars", help="Add the suggested pillar for each pair without line of sight, and check again."
)
DEM = typer.Option(None, "--dem", help="Elevation model (GeoTIFF) for LINE when no --scenario gives one.")
NO_PDF = typer.Option(False, "--no-pdf", help="Skip the PDF annex.")
PDF_ROWS = int_option(
    25, "--pdf-rows", help="Rows per section shown in the PDF tables (the CSV/GPKG always hold all).", lo=1, hi=100_000
)


def register(app: typer.Typer) -> None:
    @app.command("treaty")
    def treaty(
        line: Path | None = LINE,
        layer: str | None = LAYER,
        scenario: str | None = SCENARIO,
        between: tuple[str, str] | None = BETWEEN,
        out: Path | None = OUT,
        overwrite: bool = overwrite_option(),
        max_spacing_m: float = MAX_SPACING_M,
        max_spacing_old: float | None = old_spelling("--max-spacing", "--max-spacing-m", rule=_SPACING),
        window: str | None = WINDOW,
        simplify_m: float | None = SIMPLIFY_M,
        status: str | None = STATUS,
        section_status: list[str] = SECTION_STATUS,
        river_tolerance_m: float = RIVER_TOLERANCE_M,
        river_tolerance_old: float | None = old_spelling("--river-tolerance", "--river-tolerance-m", rule=_TOLERANCE),
        road_tolerance_m: float = ROAD_TOLERANCE_M,
        road_tolerance_old: float | None = old_spelling("--road-tolerance", "--road-tolerance-m", rule=_TOLERANCE),
        no_roads: bool = NO_ROADS,
        no_watersheds: bool = NO_WATERSHEDS,
        pillar_height_m: float = PILLAR_HEIGHT_M,
        pillar_height_old: float | None = old_spelling("--pillar-height", "--pillar-height-m", rule=_HEIGHT),
        observer_height_m: float = OBSERVER_HEIGHT_M,
        observer_height_old: float | None = old_spelling("--observer-height", "--observer-height-m", rule=_HEIGHT),
        refraction: float = REFRACTION,
        add_sight_pillars: bool = ADD_SIGHT,
        dem: Path | None = DEM,
        no_pdf: bool = NO_PDF,
        pdf_rows: int = PDF_ROWS,
        fmt: Format = format_option("table", "json", help="Summary on stdout"),
    ) -> None:
        """Write the treaty annex: turning points, segments, sections, pillar plan (GPKG, GeoJSON, KML, CSV, PDF, text)."""
        from delimit import load_scenario
        from delimit.treaty import PillarOptions, from_file, from_scenario, parse_window
        from delimit.treaty.pillars import PillarLimitError
        from delimit.treaty.segment_types import DetectionSettings
        from delimit.treaty_export import write_annex

        parties = (between[0], between[1]) if between and all(between) else None
        box = parse_window(window)
        per_section = _section_status(section_status)
        river_m = prefer(river_tolerance_m, river_tolerance_old, old="--river-tolerance", new="--river-tolerance-m")
        road_m = prefer(road_tolerance_m, road_tolerance_old, old="--road-tolerance", new="--road-tolerance-m")
        detection = DetectionSettings(
            river_tolerance_m=river_m, road_tolerance_m=road_m, detect_watersheds=not no_watersheds
        )
        pillars = PillarOptions(
            pillar_height_m=prefer(pillar_height_m, pillar_height_old, old="--pillar-height", new="--pillar-height-m"),
            observer_height_m=prefer(
                observer_height_m, observer_height_old, old="--observer-height", new="--observer-height-m"
            ),
            refraction_k=refraction,
            add_sight_pillars=add_sight_pillars,
        )
        spacing = prefer(max_spacing_m, max_spacing_old, old="--max-spacing", new="--max-spacing-m")
        if line is None and (scenario is None or parties is None):
            raise InputError(None, "give a LINE file, or --scenario and --between A B", field="line")
        sc = load_scenario(scenario) if scenario else None
        if per_section and status:
            raise InputError(None, "use --status or --section-status, not both", field="status")
        common: dict[str, Any] = {
            "window": box,
            "max_spacing_m": spacing,
            "simplify_m": simplify_m,
            "detection": detection,
            "use_roads": not no_roads,
            "max_pillars": _max_pillars(),
        }
        try:
            with progress_bar("treaty annex") as prog:
                if line is None:
                    assert sc is not None and parties is not None
                    annex = from_scenario(
                        sc,
                        parties[0],
                        parties[1],
                        status=per_section or status,
                        pillar_height_m=pillars.pillar_height_m,
                        observer_height_m=pillars.observer_height_m,
                        refraction_k=pillars.refraction_k,
                        add_sight_pillars=pillars.add_sight_pillars,
                        progress=lambda m, f: prog(m, 0.6 * f),
                        **common,
                    )
                    dest = out or Path("out") / "treaty" / f"{sc.name}-{parties[0]}-{parties[1]}"
                else:
                    annex = from_file(
                        line,
                        layer=layer,
                        dem=dem,
                        parties=parties,
                        scenario=sc,
                        status=status,
                        section_status=per_section,
                        pillars=pillars,
                        progress=lambda m, f: prog(m, 0.6 * f),
                        **common,
                    )
                    dest = out or Path("out") / "treaty" / Path(line).stem
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
            _print_summary(summary, annex)
        print_marks(annex.data_marks)
        Console(stderr=True).print(f"wrote {len(written)} files to {dest}")


def _print_summary(summary: dict[str, Any], annex: Annex) -> None:
    """The annex in a few lines: sections, points, length, segment types, pillars, sight, simplification."""
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
