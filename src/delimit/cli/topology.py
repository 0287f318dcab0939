"""``delimit topology``: parts, enclaves, necks of a scenario; disputed land between two.

delimit topology --scenario NAME [--neck-width-m 1000] [--overlap-m 1000] [--accuracy-m 10] [--party KGZ ...] [--format table|json|geojson] [-o FILE] [--repair]
delimit topology --compare A B [--party X --party Y] ...
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console, RenderableType

from delimit.cli.options import (
    Number,
    float_option,
    format_option,
    old_spelling,
    output_option,
    overwrite_option,
    prefer,
)
from delimit.cli.progress import progress_bar
from delimit.cli.render import (
    Col,
    Format,
    dumps,
    emit_json,
    emit_text,
    print_marks,
    print_tables,
    rich_table,
    short_attribution,
    with_attribution,
)
from delimit.errors import InputError
from delimit.scenario import load_scenario
from delimit.topology import DisputedResult, TopologyResult, analyse, compare


def _print_repairs(repairs: list[Any]) -> None:
    err = Console(stderr=True)
    for r in repairs:
        err.print(f"[yellow]repaired: {r}[/yellow]")


def _part_rows(result: TopologyResult) -> list[dict[str, Any]]:
    rows = []
    for p in result.party_json():
        for part in p["parts"]:
            rows.append(
                {
                    "party": p["party"],
                    "part": part["id"],
                    "kind": part["kind"],
                    "area km²": part["area_km2"],
                    "perimeter km": part["perimeter_km"],
                    "surrounded by": part["surrounded_by"] or "",
                    "overlapped by": ", ".join(part["overlapped_by"]),
                    "gap to mainland km": part["gap_to_mainland_km"],
                    "population": "unknown" if part["population"] is None else part["population"],
                    "pop. unknown": part.get("population_unknown", 0),
                    "settlements": ", ".join(part["settlements"][:4])
                    + (" ..." if len(part["settlements"]) > 4 else ""),
                }
            )
    return rows


def _neck_rows(result: TopologyResult) -> list[dict[str, Any]]:
    return [
        {
            "party": n["party"],
            "part": n["part"],
            "kind": n.get("kind", "neck"),
            "min width m": n["min_width_m"],
            "length km": n["length_km"],
            "at (lon, lat)": f"{n['location'][0]:.5f}, {n['location'][1]:.5f}",
            "settlements": ", ".join(n["settlements"]),
            "roads": len(n["roads"]),
        }
        for n in result.neck_json()
    ]


PART_COLUMNS = [
    Col("party"),
    Col("part", "part id", optional=True),
    Col("kind"),
    Col("area km²"),
    Col("perimeter km", "perimeter (km)", optional=True),
    Col("surrounded by", optional=True),
    Col("overlapped by", "also held by", optional=True, text=True),
    Col("gap to mainland km", "gap to mainland (km)", optional=True),
    Col("population"),
    Col("pop. unknown", "settlements of unknown population", optional=True),
    Col("settlements", text=True),
]
NECK_COLUMNS = [
    Col("party"),
    Col("part", "part id", optional=True),
    Col("kind", optional=True),
    Col("min width m", "min width (m)"),
    Col("length km", "length (km)", optional=True),
    Col("at (lon, lat)", "at (lon, lat)", optional=True),
    Col("settlements", text=True),
    Col("roads"),
]


def _tables(
    result: TopologyResult, disputed: DisputedResult | None, name: str, neck_width: float, attribution: str
) -> list[RenderableType | str]:
    """The parts, necks and (with --compare) disputed-land tables, then the data's attribution."""
    part_rows = _part_rows(result)
    cols = [c for c in PART_COLUMNS if c.key != "overlapped by" or any(r["overlapped by"] for r in part_rows)]
    tables: list[RenderableType | str] = [
        rich_table(part_rows, cols, title=f"{name}: parts", caption=f"measured in {result.crs}"),
        rich_table(_neck_rows(result), NECK_COLUMNS, title=f"{name}: necks narrower than {neck_width:g} m"),
    ]
    if disputed is not None:
        rows = [
            {
                "kind": d["kind"],
                "parties": ", ".join(d["parties"]),
                "area km²": d["area_km2"],
                "population": d["population"],
                "settlements": ", ".join(d["settlements"]),
            }
            for d in disputed.pieces_json()
        ]
        tables.append(
            rich_table(
                rows,
                ["kind", "parties", "area km²", "population", Col("settlements", text=True)],
                title=f"disputed: {disputed.a} vs {disputed.b}",
                caption=disputed.rule,
            )
        )
    if attribution:
        tables.append(attribution)
    return tables


def register(app: typer.Typer) -> None:
    @app.command("topology")
    def topology(
        scenario: str | None = typer.Option(None, "--scenario", "-s", help="Bundled scenario name or scenario file."),
        compare_: tuple[str, str] | None = typer.Option(
            None, "--compare", help="Two scenarios A B: parts of A and disputed land between A and B."
        ),
        neck_width_m: float = float_option(
            1000.0, "--neck-width-m", help="Report necks narrower than this (metres).", lo=1, hi=100_000, unit="m"
        ),
        neck_width_old: float | None = old_spelling(
            "--neck-width", "--neck-width-m", rule=Number(float, 1, 100_000, "m")
        ),
        overlap_m: float = float_option(
            1000.0,
            "--overlap-m",
            lo=0,
            hi=100_000,
            unit="m",
            help="Another party's land reaching deeper than this (metres) into a part also holds it; shallower overlaps are border slivers.",
        ),
        accuracy_m: float = float_option(
            10.0,
            "--accuracy-m",
            lo=0,
            hi=10_000,
            unit="m",
            help="The boundary source's stated accuracy (metres): narrower necks and thinner parts are reported as digitising artefacts; parts within it of the data window's edge are 'clipped'.",
        ),
        overlap_old: float | None = old_spelling("--overlap", "--overlap-m", rule=Number(float, 0, 100_000, "m")),
        accuracy_old: float | None = old_spelling("--accuracy", "--accuracy-m", rule=Number(float, 0, 10_000, "m")),
        party: list[str] = typer.Option(
            [],
            "--party",
            "-p",
            help="Only these parties (repeat). With --compare, two parties: A is read as the first's claim, B as the second's.",
        ),
        fmt: Format = format_option("table", "json", "geojson"),
        out: Path | None = output_option("file", help="Write to this file (atomically)."),
        overwrite: bool = overwrite_option(),
        repair: bool = typer.Option(False, "--repair", help="Repair invalid polygons (each repair is reported)."),
        wide: bool = typer.Option(
            False, "--wide", help="Tables: every column, unwrapped (default: the columns that fit the terminal)."
        ),
    ) -> None:
        """Parts (mainland, exclaves, enclaves and hosts), necks narrower than --neck-width-m, disputed land."""
        # --format, --neck-width-m, --overlap-m and --accuracy-m are range-checked by their option types
        neck_width = prefer(neck_width_m, neck_width_old, old="--neck-width", new="--neck-width-m")
        overlap = prefer(overlap_m, overlap_old, old="--overlap", new="--overlap-m")
        accuracy = prefer(accuracy_m, accuracy_old, old="--accuracy", new="--accuracy-m")
        if (scenario is None) == (compare_ is None):
            raise InputError(None, "give exactly one of --scenario NAME or --compare A B", field="scenario")
        names = [scenario] if scenario is not None else list(compare_ or ())
        scenarios = [load_scenario(n, repair=repair) for n in names]
        for s in scenarios:
            _print_repairs(list(s.repairs))
        main = scenarios[0]
        parties = party or None
        topo_parties = parties if compare_ is None else None
        with progress_bar(f"topology {main.name}") as bar:
            result = analyse(
                main,
                neck_width_m=neck_width,
                parties=topo_parties,
                overlap_m=overlap,
                artefact_m=accuracy,
                progress=bar,
            )
        disputed = compare(scenarios[0], scenarios[1], parties=parties) if compare_ is not None else None
        marks = dict(result.data_marks)
        if disputed is not None:
            for k, v in disputed.data_marks.items():
                marks[k] = sorted(set(marks.get(k, [])) | set(v))
        if fmt == Format.json:
            doc = result.to_json()
            if disputed is not None:
                dj = disputed.to_json()
                doc["compare"] = {
                    "a": dj["a"],
                    "b": dj["b"],
                    "rule": dj["rule"],
                    "crs": dj["crs"],
                    "totals_km2": dj["totals_km2"],
                }
                doc["disputed"] = dj["disputed"]
                doc["provenance"] = {"a": doc["provenance"], "b": dj["provenance"]["b"]}
                doc["data_marks"] = marks
            emit_json(with_attribution(doc, doc["provenance"]), out)
            return
        if fmt == Format.geojson:
            doc = result.to_geojson()
            if disputed is not None:
                doc["features"].extend(disputed.features())
                doc["disputed_rule"] = disputed.rule
                doc["data_marks"] = marks
                doc["provenance"] = {"a": doc["provenance"], "b": disputed.provenance["b"]}
            emit_text(dumps(json.loads(json.dumps(with_attribution(doc, doc["provenance"])))), out)
            return
        print_tables(
            _tables(result, disputed, main.name, neck_width, short_attribution(main.provenance.as_dict())),
            out,
            wide=wide,
        )
        print_marks(marks)
