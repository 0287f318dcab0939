"""``delimit compare BASE OTHER [OTHER ...]``: what changes from a baseline to each proposal.

Land changing hands (km², equal-area CRS) with a per-party balance, settlements and people changing
country, roads and water changing sides or becoming shared, enclaves and necks, access per regime
and class, and (with ``--costs FILE``) a cost estimate whose source is printed with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

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
from delimit.cli.render import (
    Col,
    Format,
    emit_json,
    emit_text,
    print_marks,
    print_tables,
    rich_table,
    rows_to_csv,
    short_attribution,
    with_attribution,
)
from delimit.errors import InputError
from delimit.impact import (
    Comparison,
    EngineFailure,
    Unavailable,
    UnitCosts,
    unit_costs_from_document,
)
from delimit.io.structured import read_document
from delimit.scenario import load_scenario

#: Short column headers of the summary tables printed by ``compare`` and ``report``.
SHORT = {
    "scenario": "scenario",
    "land_km2": "land km²",
    "balanced": "balanced",
    "settlements": "settlements",
    "population": "people",
    "population_unknown": "population unknown",
    "road_moved_km": "road km",
    "enclaves_added": "enclaves added",
    "enclaves_removed": "enclaves removed",
    "people_cut_off": "cut off",
    "person_hours_added": "person-hours",
    "cost": "cost",
}

#: Summary columns left out first when the terminal is narrow (``--wide`` shows them).
OPTIONAL_SUMMARY = {"settlements", "population_unknown", "road_moved_km", "enclaves_added", "enclaves_removed"}

SUMMARY_CAPTION = "land: km² (equal-area CRS); road: km; people: persons; cut off / person-h: default regime vs the baseline's, residents by vehicle; n/a: unavailable"


def summary_table(rows: list[dict[str, Any]], *, title: str, currency: str | None = None) -> Any:
    """A compact rich table of comparison summary rows (no cost column without unit costs)."""
    keys = [k for k in SHORT if k != "cost" or currency is not None]
    heads = {**SHORT, "cost": f"cost ({currency})" if currency else "cost"}
    cols = [Col(k, heads[k], optional=k in OPTIONAL_SUMMARY) for k in keys]
    return rich_table(rows, cols, title=title, caption=SUMMARY_CAPTION)


def load_costs(path: Path | None) -> UnitCosts | None:
    """Read and validate a unit-costs file (YAML/TOML); None without a path."""
    if path is None:
        return None
    return unit_costs_from_document(read_document(path), str(path))


def _tables(c: Comparison) -> list[Any]:
    """The tables of one comparison (and lines of text for sections that are unavailable or absent)."""
    s = c.scenario.name
    crs = c.crs()
    out: list[Any] = [
        rich_table(
            c.land.flows.to_dict("records"),
            ["from", "to", "area_km2"],
            title=f"{s}: land changing hands",
            caption=f"km², {crs['areas']}",
            empty="no land changes hands",
        ),
        rich_table(
            c.land.balance.to_dict("records"),
            ["party", "gained_km2", "lost_km2", "net_km2"],
            title=f"{s}: land balance per party",
            caption="balanced" if c.land.is_balanced else "not balanced",
        ),
        rich_table(
            c.people.flows.to_dict("records"),
            ["from", "to", "settlements", "population", Col("population_unknown", "of unknown population")],
            title=f"{s}: settlements changing country",
            caption="population in persons; of unknown population: settlements, not counted in the population",
            empty="no settlement changes country",
        ),
        rich_table(
            c.features.features.to_dict("records"),
            [
                Col("layer", optional=True),
                Col("name", text=True),
                "change",
                Col("parties_before", "before"),
                Col("parties_after", "after"),
                Col("moved", "moving"),
                Col("total", optional=True),
                "unit",
            ],
            title=f"{s}: roads and water",
            caption=f"lengths {crs['lengths']}; areas {crs['areas']}",
            empty="no road or water changes side",
        ),
    ]
    if isinstance(c.topology, Unavailable):
        out.append(f"{s}: topology unavailable: {c.topology.reason}")
    else:
        out.append(
            rich_table(
                c.topology.parts.to_dict("records"),
                [
                    "change",
                    "party",
                    "kind",
                    "area_km2",
                    Col("area_before_km2", "before (km²)", optional=True),
                    "population",
                    Col("settlements", text=True),
                ],
                title=f"{s}: enclaves and exclaves",
                empty="no enclave created, removed or resized",
            )
        )
        out.append(
            rich_table(
                c.topology.necks.to_dict("records"),
                [
                    "change",
                    "party",
                    Col("width_before_m", "width before (m)"),
                    Col("width_after_m", "width after (m)"),
                    Col("settlements", text=True),
                ],
                title=f"{s}: necks (< {c.neck_width_m:g} m)",
                empty="no neck narrowed, widened, new or gone",
            )
        )
    if isinstance(c.access, Unavailable):
        out.append(f"{s}: access unavailable: {c.access.reason}")
    else:
        out.append(
            rich_table(
                c.access.to_dict("records"),
                [
                    "regime",
                    Col("baseline_regime", "baseline regime", optional=True),
                    "class",
                    "people_cut_off",
                    Col("people_gaining_access", optional=True),
                    "person_hours_added",
                ],
                title=f"{s}: access change (scenario minus baseline)",
                caption="people: persons; person-hours: hours",
                empty="no access change",
            )
        )
    if c.costs is None:
        out.append(f"{s}: no cost estimate (no --costs file given; delimit ships no default cost figures)")
    else:
        out.append(
            rich_table(
                c.costs.lines,
                ["item", "quantity", "unit", "unit_cost", "cost"],
                title=f"{s}: cost estimate ({c.costs.currency})",
                caption=f"source: {c.costs.source}; " + "; ".join(c.costs.assumptions),
            )
        )
    return out


def engine_failed(exc: EngineFailure) -> typer.Exit:
    """Print an engine's failure as one line on stderr; the caller raises the returned exit (status 1)."""
    import sys

    print(f"delimit: error: {' '.join(exc.message.split())}", file=sys.stderr)
    return typer.Exit(1)


def workers_option() -> Any:
    """``--workers N``: Dask workers on this machine (1 runs serially)."""
    return int_option(
        None,
        "--workers",
        "-w",
        lo=1,
        hi=4096,
        help="Dask workers on this machine (default: one per CPU, at most one per task; 1 runs serially).",
    )


def scheduler_option() -> Any:
    """``--scheduler URL``: run the tasks on a user's Dask cluster."""
    return typer.Option(
        None,
        "--scheduler",
        help="Run on this Dask scheduler, tcp://HOST:8786 (default: $DELIMIT_SCHEDULER, else a local cluster).",
    )


def compare_all(
    base: Any,
    scenarios: list[Any],
    *,
    costs: UnitCosts | None,
    neck_width_m: float,
    with_access: bool,
    workers: int | None,
    scheduler: str | None,
) -> list[Comparison]:
    """Every scenario against ``base``: the baseline's engines once here, then one Dask task per scenario
    (:func:`delimit.distribute.run_batch`); the comparisons in the order given."""
    from delimit.distribute import attach_scenarios, baseline_context, compare_scenario, run_batch

    with progress_bar(f"compare {len(scenarios)} scenario(s) against {base.name}") as bar:
        ctx = baseline_context(
            base,
            costs=costs,
            neck_width_m=neck_width_m,
            with_access=with_access,
            progress=lambda m, f: bar(f"{base.name}: {m}", 0.3 * f),
        )
        batch = run_batch(
            compare_scenario,
            scenarios,
            ctx,
            workers=workers,
            scheduler=scheduler,
            label="compare",
            progress=lambda m, f: bar(m, 0.3 + 0.7 * f),
        )
    return [attach_scenarios(base, s, parts) for s, parts in zip(scenarios, batch.results, strict=True)]


def _provenances(base: Any, results: list[Comparison]) -> list[dict[str, Any]]:
    return [base.provenance.as_dict(), *(c.scenario.provenance.as_dict() for c in results)]


def register(app: typer.Typer) -> None:
    @app.command("compare")
    def compare_cmd(
        baseline: str = typer.Argument(..., help="Baseline scenario (bundled name or path)."),
        others: list[str] = typer.Argument(..., help="Scenario(s) to compare against the baseline."),
        fmt: Format = format_option("table", "json", "csv"),
        costs: Path | None = typer.Option(
            None, "--costs", help="YAML/TOML unit costs with a required 'source' (see delimit.impact.costs)."
        ),
        neck_width: float = float_option(
            1000.0, "--neck-width-m", help="Neck threshold for topology (metres).", lo=1, hi=100_000, unit="m"
        ),
        neck_width_old: float | None = old_spelling(
            "--neck-width", "--neck-width-m", rule=Number(float, 1, 100_000, "m")
        ),
        no_access: bool = typer.Option(False, "--no-access", help="Skip the access section."),
        out: Path | None = output_option("file", help="Write to this file (atomically)."),
        overwrite: bool = overwrite_option(),
        wide: bool = typer.Option(
            False, "--wide", help="Tables: every column, unwrapped (default: the columns that fit the terminal)."
        ),
        workers: int | None = workers_option(),
        scheduler: str | None = scheduler_option(),
    ) -> None:
        """Compare scenarios against a baseline: land, people, roads, water, topology, access, costs.

        Each scenario is one Dask task (:mod:`delimit.distribute`): on a local cluster sized to the
        machine, on ``--scheduler``'s cluster, or serially with ``--workers 1``; the output is the same.
        """
        from delimit.distribute import check_scheduler, choose_executor

        if fmt == Format.geojson:
            raise InputError(None, "compare offers table, json or csv output", field="--format")
        workers, scheduler = choose_executor(workers, scheduler)
        if scheduler:
            check_scheduler(scheduler)  # before the baseline's engines run
        unit_costs = load_costs(costs)
        base = load_scenario(baseline)
        scenarios = [load_scenario(o) for o in others]
        try:
            results = compare_all(
                base,
                scenarios,
                costs=unit_costs,
                neck_width_m=prefer(neck_width, neck_width_old, old="--neck-width", new="--neck-width-m"),
                with_access=not no_access,
                workers=workers,
                scheduler=scheduler,
            )
        except EngineFailure as exc:
            raise engine_failed(exc) from exc
        provenance = _provenances(base, results)
        if fmt == Format.json:
            # one shape for one or many scenarios (the report's comparisons.json has the same)
            doc = {
                "baseline": base.name,
                "scenarios": [c.scenario.name for c in results],
                "comparisons": [c.to_json() for c in results],
                "summary": [c.summary_row() for c in results],
            }
            emit_json(with_attribution(doc, provenance), out)
            return
        if fmt == Format.csv:
            emit_text(rows_to_csv([c.summary_row() for c in results], provenance=provenance), out)
            return
        for c in results:
            print_marks(c.data_marks)
        tables = [t for c in results for t in _tables(c)]
        summary = [c.summary_row() for c in results]
        tables.append(
            summary_table(
                summary, title=f"summary against {base.name}", currency=unit_costs.currency if unit_costs else None
            )
        )
        tables.append(short_attribution(provenance))
        print_tables(tables, out, wide=wide)
