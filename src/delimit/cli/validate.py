"""``delimit validate PATH...``: check scenario and geodata files without writing anything.

Exit 0 when every file is sound; exit 2 with one line naming the file, feature and field of the
first problem otherwise. ``--repair`` repairs invalid polygons in memory and reports each repair
(the files themselves are never modified).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from delimit.cli.options import format_option
from delimit.cli.render import Format, emit_json
from delimit.scenario.validate import validate_files


def register(app: typer.Typer) -> None:
    @app.command("validate")
    def validate(
        paths: list[Path] = typer.Argument(
            ..., help="Scenario files (.yaml/.toml) or geodata (.gpkg .geojson .shp .fgb .tif .osm.pbf)."
        ),
        repair: bool = typer.Option(
            False, "--repair", help="Repair invalid polygons (in memory) and report each repair."
        ),
        fmt: Format = format_option("table", "json"),
    ) -> None:
        """Validate scenario and geodata files; exit 2 with a named reason on the first problem."""
        results = validate_files(paths, repair=repair)
        if fmt == Format.json:
            emit_json({"ok": True, "files": [r.as_dict() for r in results]})
            return
        # soft_wrap: one line per file and per repair, whatever the terminal width (grep-able)
        console = Console(soft_wrap=True)
        for r in results:
            console.print(f"[green]ok[/green] {escape(r.path)}: {escape(r.summary)}")
            for rep in r.repairs:
                console.print(f"   [yellow]{escape(str(rep))}[/yellow]")
            for note in r.notes:
                console.print(f"   note: {escape(note)}")
