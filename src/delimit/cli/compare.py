"""``delimit compare BASE OTHER [OTHER ...]``: what changes from a baseline to each proposal.

Land changing hands (km², equal-area CRS) with a per-party balance, settlements and people changing
country, roads and water changing sides or becoming shared, enclaves and necks, access per regime
and class, and (with ``--costs FILE``) a cost estimate whose source is printed with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from delimit.cli.options import float_option, format_option, output_option, overwrite_option
from delimit.cli.progress import progress_bar
from delimit.cli.render import Format, emit_json, emit_text, print_marks, print_table, rich_table, rows_to_csv
from delimit.errors import InputError
from delimit.impact import Comparison, EngineCache, UnitCosts, Unavailable, compare, unit_costs_from_document
from delimit.io.structured import read_document
from delimit.scenario import load_scenario


#: Short column headers of the summary tables printed by ``compare`` and ``report``.
SHORT = {
    "scenario": "scenario",
    "land_km2": "land km²",
    "balanced": "balanced",
    "settlements": "settl.",
    "population": "people",
    "population_unknown": "pop. unknown",
    "road_km_moved": "road km",
    "enclaves_added": "encl.+",
    "enclaves_removed": "encl.-",
    "people_cut_off": "cut off",
    "person_hours_added": "person-h",
    "cost": "cost",
}

SUMMARY_CAPTION = "land: km² (equal-area CRS); road: km; people: persons; cut off / person-h: default regime vs the baseline's, residents by vehicle; n/a: unavailable"


def summary_table(rows: list[dict[str, Any]], *, title: str, currency: str | None = None) -> Any:
    """A compact rich table of comparison summary rows (no cost column without unit costs)."""
    keys = [k for k in SHORT if k != "cost" or currency is not None]
    heads = {**SHORT, "cost": f"cost ({currency})" if currency else "cost"}
    data = [{heads[k]: ("n/a" if r.get(k) is None else r.get(k)) for k in keys} for r in rows]
    return rich_table(data, [heads[k] for k in keys], title=title, caption=SUMMARY_CAPTION)


def load_costs(path: Path | None) -> UnitCosts | None:
    """Read and validate a unit-costs file (YAML/TOML); None without a path."""
    if path is None:
        return None
    return unit_costs_from_document(read_document(path), str(path))


def _tables(c: Comparison) -> list[Any]:
    s = c.scenario.name
    crs = c.crs()
    out = [
        rich_table(c.land.flows.to_dict("records"), ["from", "to", "area_km2"], title=f"{s}: land changing hands", caption=f"km², {crs['areas']}"),
        rich_table(c.land.balance.to_dict("records"), ["party", "gained_km2", "lost_km2", "net_km2"], title=f"{s}: land balance per party", caption="balanced" if c.land.is_balanced else "not balanced"),
        rich_table(c.people.flows.to_dict("records"), ["from", "to", "settlements", "population", "population_unknown"], title=f"{s}: settlements changing country", caption="population in persons; unknown = settlements of unknown population"),
    ]
    if len(c.features.features):
        out.append(rich_table(c.features.features.to_dict("records"), ["layer", "name", "change", "parties_before", "parties_after", "moved", "total", "unit"], title=f"{s}: roads and water", caption=f"lengths {crs['lengths']}; areas {crs['areas']}"))
    if isinstance(c.topology, Unavailable):
        out.append(f"{s}: topology unavailable: {c.topology.reason}")
    else:
        out.append(rich_table(c.topology.parts.to_dict("records"), ["change", "party", "kind", "area_km2", "area_before_km2", "population", "settlements"], title=f"{s}: enclaves and exclaves"))
        out.append(rich_table(c.topology.necks.to_dict("records"), ["change", "party", "width_before_m", "width_after_m", "settlements"], title=f"{s}: necks (< {c.neck_width_m:g} m)"))
    if isinstance(c.access, Unavailable):
        out.append(f"{s}: access unavailable: {c.access.reason}")
    else:
        out.append(rich_table(c.access.to_dict("records"), ["regime", "baseline_regime", "class", "people_cut_off", "people_gaining_access", "person_hours_added"], title=f"{s}: access change (scenario minus baseline)", caption="people: persons; person-hours: hours"))
    if c.costs is None:
        out.append(f"{s}: no cost estimate (no --costs file given; delimit ships no default cost figures)")
    else:
        out.append(rich_table(c.costs.lines, ["item", "quantity", "unit", "unit_cost", "cost"], title=f"{s}: cost estimate ({c.costs.currency})", caption=f"source: {c.costs.source}; " + "; ".join(c.costs.assumptions)))
    return out


def register(app: typer.Typer) -> None:
    @app.command("compare")
    def compare_cmd(
        baseline: str = typer.Argument(..., help="Baseline scenario (bundled name or path)."),
        others: list[str] = typer.Argument(..., help="Scenario(s) to compare against the baseline."),
        fmt: Format = format_option("table", "json", "csv"),
        costs: Path | None = typer.Option(None, "--costs", help="YAML/TOML unit costs with a required 'source' (see delimit.impact.costs)."),
        neck_width: float = float_option(1000.0, "--neck-width", help="Neck threshold for topology (metres).", lo=1, hi=100_000, unit="m"),
        no_access: bool = typer.Option(False, "--no-access", help="Skip the access section."),
        out: Path | None = output_option("file", help="Write to this file (atomically)."),
        overwrite: bool = overwrite_option(),
    ) -> None:
        """Compare scenarios against a baseline: land, people, roads, water, topology, access, costs."""
        if fmt == Format.geojson:
            raise InputError(None, "compare offers table, json or csv output", field="--format")
        unit_costs = load_costs(costs)
        base = load_scenario(baseline)
        scenarios = [load_scenario(o) for o in others]
        cache = EngineCache()
        results: list[Comparison] = []
        for s in scenarios:
            with progress_bar(f"compare {s.name}") as bar:
                results.append(compare(base, s, costs=unit_costs, neck_width_m=neck_width, with_access=not no_access, cache=cache, progress=bar))
        if fmt == Format.json:
            docs = [c.to_json() for c in results]
            emit_json(docs[0] if len(docs) == 1 else {"baseline": base.name, "comparisons": docs}, out)
            return
        if fmt == Format.csv:
            emit_text(rows_to_csv([c.summary_row() for c in results]), out)
            return
        for c in results:
            print_marks(c.data_marks)
        if out is not None:
            import io

            buf = io.StringIO()
            con = Console(file=buf, width=160, color_system=None)
            for c in results:
                for t in _tables(c):
                    con.print(t)
            emit_text(buf.getvalue(), out)
            return
        con = Console()
        for c in results:
            for t in _tables(c):
                con.print(t)
        summary = [c.summary_row() for c in results]
        print_table(summary_table(summary, title=f"summary against {base.name}", currency=unit_costs.currency if unit_costs else None))
