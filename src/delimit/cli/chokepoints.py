"""``delimit chokepoints``: junctions, road segments and crossings whose blocking cuts people off."""

from __future__ import annotations

from pathlib import Path

import typer

from delimit.cli.options import (
    Number,
    format_option,
    int_option,
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
    rows_to_csv,
    short_attribution,
    with_attribution,
)

COLUMNS = [
    "kind",
    "id",
    "name",
    "segment",
    "people_cut_off",
    "settlements_cut_off_population_unknown",
    "person_hours_added",
    "settlements_cut_off",
    "cut_off_settlements",
]
CSV_COLUMNS = [*COLUMNS, "checkpoint", "members"]

#: The terminal table: rank (as on the report's maps), what and where first; ids and lists when there is room.
TABLE_COLUMNS = [
    Col("rank", "#"),
    Col("kind"),
    Col("name", text=True),
    Col("id", optional=True),
    Col("segment", optional=True),
    Col("people_cut_off", "people cut off"),
    Col("settlements_cut_off", "settlements cut off", optional=True),
    Col("settlements_cut_off_population_unknown", "of unknown population", optional=True),
    Col("person_hours_added", "person-hours added"),
    Col("cut_off_settlements", "which settlements", optional=True, text=True),
]


def register(app: typer.Typer) -> None:
    @app.command("chokepoints")
    def chokepoints_cmd(
        scenario: str = typer.Option("status-quo", "--scenario", "-s", help="Bundled scenario name or scenario file."),
        regime: str | None = typer.Option(None, "--regime", "-r", help="Regime id (default: the scenario's default)."),
        class_id: str | None = typer.Option(
            None, "--class", "-c", help="One vehicle class (default: each party's resident class)."
        ),
        targets: str = typer.Option(
            "regional-centre", "--targets", "-t", help="capital, regional-centre, district-centre or town:N."
        ),
        count: int = int_option(10, "-n", "--count", help="How many chokepoints to list.", lo=1, hi=1000),
        top_old: int | None = old_spelling("--top", "-n/--count", rule=Number(int, 1, 1000)),
        fmt: Format = format_option("table", "json", "geojson", "csv", decls=("--format", "-f")),
        out: Path | None = output_option("file", help="Write to this file (atomically)."),
        overwrite: bool = overwrite_option(),
        wide: bool = typer.Option(
            False, "--wide", help="Table: every column, unwrapped (default: the columns that fit the terminal)."
        ),
        offroad: bool = typer.Option(
            True,
            "--offroad/--roads-only",
            help="Rank on the roads joined to off-road travel over the land cover, so detours across terrain count "
            "as alternatives (the default, when the data has land cover), or on the road network alone. The output "
            "says which (JSON: network).",
        ),
    ) -> None:
        """Rank junctions, road segments and crossing points by the people cut off if each alone is blocked, then person-hours added.

        Settlements of unknown population are counted apart (never as 0 people); one road's crossings of
        the line away from a checkpoint are one point.
        """
        from delimit import load_scenario
        from delimit.access import build_network, chokepoints

        s = load_scenario(scenario)
        with progress_bar("chokepoints") as prog:
            # the engine's default network (off-road travel where the data has land cover), or roads only
            net = build_network(
                s, mode="vehicle", offroad=None if offroad else False, progress=lambda m, f: prog(m, 0.3 * f)
            )
            res = chokepoints(
                s,
                network=net,
                regime=regime,
                traveller_class=class_id,
                targets=targets,
                top=prefer(count, top_old, old="--top", new="-n/--count"),
                progress=prog,
            )
        doc = res.to_json()
        if fmt == Format.json:
            emit_json(doc, out)
        elif fmt == Format.geojson:
            emit_text(dumps(with_attribution(res.to_geojson(), doc["provenance"])), out)
        elif fmt == Format.csv:
            rows = [
                {
                    **r,
                    "lon": r["location"][0],
                    "lat": r["location"][1],
                    "cut_off_settlements": ";".join(r["cut_off_settlements"]),
                    "members": ";".join(r["members"]),
                }
                for r in doc["rows"]
            ]
            emit_text(rows_to_csv(rows, [*CSV_COLUMNS, "lon", "lat"], provenance=doc["provenance"]), out)
        else:
            rows = [
                {
                    **r,
                    "rank": k,
                    "name": r.get("name") or r["id"],
                    "cut_off_settlements": ", ".join(r["cut_off_settlements"]),
                }
                for k, r in enumerate(doc["rows"], start=1)
            ]
            caption = (
                f"network: {res.network['description']}; classes: {', '.join(res.classes)}; targets: {res.targets}; "
                f"{res.candidates_examined} candidates re-solved; {res.crs_description}"
            )
            table = rich_table(
                rows, TABLE_COLUMNS, title=f"chokepoints: {res.scenario} / {res.regime}", caption=caption
            )
            print_tables([table, short_attribution(doc["provenance"])], out, wide=wide)
        print_marks(res.data_marks)
