"""``delimit scenarios list|show|schema``: the bundled scenarios and the scenario file format."""

from __future__ import annotations

from pathlib import Path

import typer

from delimit.cli.options import format_option, output_option, overwrite_option
from delimit.cli.render import Format, emit_json, emit_text, print_table, rich_table
from delimit.datasets import bundled_scenario_files
from delimit.scenario import json_schema_text, load_scenario, parse_scenario_file


def register(app: typer.Typer) -> None:
    sc = typer.Typer(help="Bundled scenarios and scenario files.", no_args_is_help=True)

    @sc.command("list")
    def list_(fmt: Format = format_option("table", "json")) -> None:
        """List the bundled scenarios."""
        rows = []
        for name, path in sorted(bundled_scenario_files().items()):
            spec = parse_scenario_file(path)
            rows.append(
                {
                    "name": name,
                    "title": spec.title,
                    "status": spec.status or "",
                    "base": spec.base or "",
                    "path": str(path),
                }
            )
        if fmt == Format.json:
            emit_json({"scenarios": rows})
        else:
            print_table(rich_table(rows, ["name", "title", "status", "base"], title="bundled scenarios"))

    @sc.command("show")
    def show(
        name: str = typer.Argument(..., help="Bundled scenario name or path to a scenario file."),
        fmt: Format = format_option("table", "json"),
        out: Path | None = output_option("file", help="Write to this file (atomically)."),
        overwrite: bool = overwrite_option(),
    ) -> None:
        """Show one scenario: parties, layers, transfers, classes, regimes, data marks, provenance."""
        s = load_scenario(name)
        summary = s.summary()
        if fmt == Format.json:
            emit_json(summary, out)
            return
        lines = [f"{s.name}: {s.title}", f"status: {s.status}", s.description.strip(), ""]
        lines.append("parties: " + ", ".join(f"{p.id} ({p.name})" for p in s.parties.values()))
        lines.append("layers: " + ", ".join(f"{k} {v}" for k, v in summary["layers"].items()))
        for t in summary["transfers"]:
            lines.append(f"transfer {t['id']}: {t['from']} -> {t['to']} [{t['status']}] {t['source']}")
        lines.append("traveller classes: " + ", ".join(s.traveller_classes))
        lines.append("regimes: " + ", ".join(f"{r}{' (default)' if r == s.default_regime else ''}" for r in s.regimes))
        if summary["data_marks"]:
            lines.append(
                "hand-made data: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in summary["data_marks"].items())
            )
        emit_text("\n".join(lines) + "\n", out)

    @sc.command("schema")
    def schema(
        out: Path | None = output_option("file", help="Write to this file (atomically)."),
        overwrite: bool = overwrite_option(),
    ) -> None:
        """Print the JSON Schema of scenario files."""
        emit_text(json_schema_text(), out)

    app.add_typer(sc, name="scenarios")
