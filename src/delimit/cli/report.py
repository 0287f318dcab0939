"""``delimit report [SCENARIO ...] -o DIR``: the self-contained offline report (HTML, optional PDF).

With no scenario names, or ``--all``, every bundled scenario is reported against ``status-quo``
(``--baseline NAME`` overrides). The folder is built in a temporary sibling and moved into place
only when complete (:func:`delimit.io.atomic.atomic_directory`).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text

from delimit.cli.compare import engine_failed, load_costs, summary_table
from delimit.cli.options import Number, float_option, old_spelling, output_option, overwrite_option, prefer
from delimit.cli.progress import progress_bar
from delimit.cli.render import print_marks, short_attribution
from delimit.datasets import DEFAULT_DATASET, bundled_scenario_files
from delimit.errors import InputError
from delimit.impact import EngineFailure
from delimit.io.atomic import atomic_directory
from delimit.report import build_report
from delimit.scenario import load_scenario

DEFAULT_BASELINE = "status-quo"


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_cmd(
        scenarios: list[str] | None = typer.Argument(
            None, help="Scenarios (bundled names or paths); none = every bundled scenario."
        ),
        out: Path = output_option(
            "folder",
            required=True,
            help="Report folder (a previous report is replaced atomically; a folder holding other files is refused without --overwrite).",
        ),
        overwrite: bool = overwrite_option(),
        all_: bool = typer.Option(False, "--all", help="Every bundled scenario."),
        baseline: str = typer.Option(DEFAULT_BASELINE, "--baseline", help="Baseline scenario."),
        costs: Path | None = typer.Option(None, "--costs", help="YAML/TOML unit costs with a required 'source'."),
        pdf: bool = typer.Option(False, "--pdf", help="Also write report.pdf."),
        single_file: bool = typer.Option(
            False, "--single-file", help="Put every image inside index.html (data: URIs): one file to send by e-mail."
        ),
        neck_width: float = float_option(
            1000.0, "--neck-width-m", help="Neck threshold for topology (metres).", lo=1, hi=100_000, unit="m"
        ),
        neck_width_old: float | None = old_spelling(
            "--neck-width", "--neck-width-m", rule=Number(float, 1, 100_000, "m")
        ),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only where the report is (no summary table)."),
        keep_going: bool = typer.Option(
            False,
            "--keep-going",
            help="If an engine fails on a scenario, leave its section out and name it, with the error, at the top of the report (default: fail, write nothing).",
        ),
    ) -> None:
        """Write the report: overview maps, comparison tables, travel-time and chokepoint maps, plots."""
        if out.exists() and not out.is_dir():
            raise InputError(out, "the report output must be a folder", field="--output")
        names = list(scenarios or [])
        if all_ or not names:
            names = sorted(bundled_scenario_files(DEFAULT_DATASET))  # the default dataset's scenarios
            if not names:
                raise InputError(None, "no bundled scenario found", field="scenarios")
        unit_costs = load_costs(costs)
        base = load_scenario(baseline)
        loaded = [load_scenario(n) for n in names]
        if not quiet:
            for s in [base, *loaded]:
                print_marks({f"{s.name}/{k}": v for k, v in s.data_marks().items()})
        try:
            with atomic_directory(out) as tmp:
                result = build_report(
                    base,
                    loaded,
                    tmp,
                    costs=unit_costs,
                    pdf=pdf,
                    neck_width_m=prefer(neck_width, neck_width_old, old="--neck-width", new="--neck-width-m"),
                    steps=progress_bar,
                    single_file=single_file,
                    keep_going=keep_going,
                )
        except EngineFailure as exc:
            raise engine_failed(exc) from exc
        con = Console()
        con.print(f"report: {out / result.index}")
        if result.pdf:
            con.print(f"pdf: {out / result.pdf}")
        for u in result.unavailable:
            Console(stderr=True).print(f"[yellow]{u}[/yellow]")
        if quiet:
            return
        con.print(
            summary_table(
                result.summary, title=f"against {base.name}", currency=unit_costs.currency if unit_costs else None
            )
        )
        con.print(Text(short_attribution([s.provenance.as_dict() for s in [base, *loaded]])))
