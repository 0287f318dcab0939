"""``delimit propose``: generate balanced land swaps between two parties, as scenarios.

Parses the options, then calls the library: :class:`delimit.propose.ZoneSpec` /
:class:`~delimit.propose.UnitsSpec` (read before any work), :func:`~delimit.propose.zone_outlines`,
:func:`~delimit.propose.unit_cells`, :func:`~delimit.propose.build_parcels`, :func:`~delimit.propose.propose`
and, with ``-o DIR``, :func:`delimit.propose.save` (scenario files per proposal, ``proposals.gpkg``,
``summary.json``; see :mod:`delimit.propose.save`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from delimit.cli.compare import scheduler_option, workers_option
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

_MIN_EXCHANGE = Number(float, 0, 1_000_000, "km2")
_MIN_NECK = Number(float, 1, 100_000, "m")

SCENARIO = typer.Option("status-quo", "--scenario", help="Bundled scenario name or scenario file.")
BETWEEN = typer.Option(("KGZ", "TJK"), "--between", help="The two parties, e.g. --between KGZ TJK.")
ZONE = typer.Option(
    "band:2km", "--zone", help="band:WIDTH (around the parties' line), disputed:OTHER_SCENARIO, or a polygon file."
)
UNITS = typer.Option(
    "hex:500m",
    "--units",
    help="hex:SIZE, square:SIZE, voronoi (around settlements) or parcels:FILE (polygons, e.g. cadastre).",
)
BALANCE = float_option(
    0.05, "--balance", help="Area ceded each way within this fraction of the larger (0.05 = 5%).", lo=0, hi=1
)
NO_BALANCE = typer.Option(False, "--no-balance", help="Do not require balanced areas.")
MIN_EXCHANGE_KM2 = float_option(
    0.0, "--min-exchange-km2", help="Each party cedes more than this many km2.", lo=0, hi=1_000_000, unit="km2"
)
SEED = int_option(0, "--seed", help="Seed of the chain (same seed, same proposals).", lo=0, hi=2**32 - 1)
COUNT = int_option(10, "-n", "--count", help="Number of proposals.", lo=1, hi=1000)
METHOD = typer.Option(
    "auto", "--method", help="exact (HiGHS MIP), chain (Markov chain) or auto (exact up to 200 parcels)."
)
STEPS = int_option(
    None, "--steps", help="Chain steps in all (default 2,000 per segment, 3n segments, at least 24).", lo=1, hi=10**8
)
KEEP_OVER = int_option(
    1000,
    "--keep-settlements-over",
    help="Settlements with at least this population stay with their party (0: off).",
    lo=0,
    hi=1_000_000_000,
)
SETTLEMENT_FIELD = typer.Option(
    None, "--settlement-party-field", help="Settlements column naming the party each must end with."
)
KEEP_ROAD = typer.Option([], "--keep-road", help="Road id or name that must stay within one party (repeatable).")
ROAD_REGIME = typer.Option(
    None, "--road-regime", help="Kept roads that this regime makes neutral or transit are exempt."
)
MIN_NECK_M = float_option(
    None,
    "--min-neck-m",
    help="No part narrower than this many metres (checked on each proposal).",
    lo=1,
    hi=100_000,
    unit="m",
)
ACCESS_REGIME = typer.Option(
    None, "--access-regime", help="Every settlement in the zone keeps access to its regional centre under this regime."
)
ALLOW_EXCLAVES = typer.Option([], "--allow-exclaves", help="Party allowed new exclaves (repeatable).")
NO_CONNECTIVITY = typer.Option(False, "--no-connectivity", help="Do not require territories to stay whole.")
ALLOW_NEW_ENCLAVES = typer.Option(False, "--allow-new-enclaves", help="Do not check for new enclaves.")
W_PEOPLE = float_option(0.01, "--w-people", help="Weight per person moved.", lo=0, hi=1_000_000)
W_LENGTH = float_option(1.0, "--w-length", help="Weight per km of line added.", lo=0, hi=1_000_000)
W_TURNING = float_option(
    0.05, "--w-turning", help="Weight per turning point (cut edge in the model).", lo=0, hi=1_000_000
)
W_IMBALANCE = float_option(20.0, "--w-imbalance", help="Weight per km2 of net imbalance.", lo=0, hi=1_000_000)
PARETO = typer.Option(False, "--pareto", help="Rank the Pareto front first.")
MIN_DISTANCE = int_option(
    2, "--min-distance", help="Each proposal differs from earlier ones by at least this many parcels.", lo=0, hi=10**6
)
EVALUATE = typer.Option(
    False,
    "--evaluate",
    help="Compare each proposal with the scenario (land, people, roads and water, topology, access), one Dask task per proposal.",
)
NO_ACCESS = typer.Option(False, "--no-access", help="With --evaluate: skip the access section.")
OUT = output_option(
    "folder",
    help="Output folder (scenario files, GeoPackage, summary.json); a folder holding other files is refused without --overwrite.",
)


def register(app: typer.Typer) -> None:
    @app.command("propose")
    def propose_cmd(
        scenario: str = SCENARIO,
        between: tuple[str, str] = BETWEEN,
        zone: str = ZONE,
        units: str = UNITS,
        balance: float = BALANCE,
        no_balance: bool = NO_BALANCE,
        min_exchange_km2: float = MIN_EXCHANGE_KM2,
        min_exchange_old: float | None = old_spelling("--min-exchange", "--min-exchange-km2", rule=_MIN_EXCHANGE),
        seed: int = SEED,
        n: int = COUNT,
        method: str = METHOD,
        steps: int | None = STEPS,
        keep_over: int = KEEP_OVER,
        settlement_field: str | None = SETTLEMENT_FIELD,
        keep_road: list[str] = KEEP_ROAD,
        road_regime: str | None = ROAD_REGIME,
        min_neck_m: float | None = MIN_NECK_M,
        min_neck_old: float | None = old_spelling("--min-neck", "--min-neck-m", rule=_MIN_NECK),
        access_regime: str | None = ACCESS_REGIME,
        allow_exclaves: list[str] = ALLOW_EXCLAVES,
        no_connectivity: bool = NO_CONNECTIVITY,
        allow_new_enclaves: bool = ALLOW_NEW_ENCLAVES,
        w_people: float = W_PEOPLE,
        w_length: float = W_LENGTH,
        w_turning: float = W_TURNING,
        w_imbalance: float = W_IMBALANCE,
        pareto: bool = PARETO,
        min_distance: int = MIN_DISTANCE,
        evaluate: bool = EVALUATE,
        no_access: bool = NO_ACCESS,
        workers: int | None = workers_option(),
        scheduler: str | None = scheduler_option(),
        fmt: Format = format_option("table", "json"),
        out: Path | None = OUT,
        overwrite: bool = overwrite_option(),
    ) -> None:
        """Generate land-swap proposals (illustrative) that keep territories whole and areas balanced.

        With ``--evaluate`` each proposal is compared with the scenario as ``delimit compare`` does,
        one Dask task per proposal (:mod:`delimit.distribute`): on a local cluster sized to the
        machine, on ``--scheduler``'s cluster, or serially with ``--workers 1``; the output is the same.
        """
        workers, scheduler = _executor(evaluate, workers, scheduler)
        from delimit.io.limits import _env_number
        from delimit.propose import (
            Constraints,
            UnitsSpec,
            Weights,
            ZoneSpec,
            build_parcels,
            propose,
            save,
            unit_cells,
            zone_outlines,
        )
        from delimit.propose.engine import DEFAULT_MAX_PROPOSALS, check_run_size
        from delimit.propose.units import DEFAULT_MAX_PARCELS
        from delimit.scenario import load_scenario

        # sizes of work are checked before any: proposals and seed now, parcels once the zone is known
        max_proposals = int(_env_number("DELIMIT_MAX_PROPOSALS", DEFAULT_MAX_PROPOSALS, "proposals", integer=True))
        max_parcels = int(_env_number("DELIMIT_MAX_PARCELS", DEFAULT_MAX_PARCELS, "parcels", integer=True))
        check_run_size(n, seed, max_proposals)
        zone_spec, units_spec = ZoneSpec.parse(zone), UnitsSpec.parse(units)
        parties = (between[0], between[1])
        if parties[0] == parties[1]:
            raise InputError(None, "--between needs two different parties", field="between")
        constraints = Constraints(
            connected=not no_connectivity,
            allow_exclaves=frozenset(allow_exclaves),
            no_new_enclaves=not allow_new_enclaves,
            balance=None if no_balance else balance,
            min_exchange_km2=prefer(min_exchange_km2, min_exchange_old, old="--min-exchange", new="--min-exchange-km2"),
            keep_settlements_over=keep_over if keep_over > 0 else None,
            settlement_party_field=settlement_field,
            keep_roads=tuple(keep_road),
            road_regime=road_regime,
            min_neck_m=prefer(min_neck_m, min_neck_old, old="--min-neck", new="--min-neck-m"),
            access_regime=access_regime,
        )
        weights = Weights(people=w_people, length_km=w_length, turning=w_turning, imbalance_km2=w_imbalance)
        s = load_scenario(scenario)
        other = load_scenario(zone_spec.other) if zone_spec.other else None
        with progress_bar("propose") as bar:
            z, cut_zone = zone_outlines(s, parties, zone_spec, other=other)
            cells = unit_cells(s, z, units_spec, max_parcels=max_parcels)
            graph = build_parcels(s, parties, z, cells, cut_zone=cut_zone, progress=lambda m, f: bar(m, 0.3 * f))
            result = propose(
                s,
                graph,
                constraints=constraints,
                weights=weights,
                method=method,
                n=n,
                seed=seed,
                steps=steps,
                pareto=pareto,
                min_distance=min_distance,
                max_proposals=max_proposals,
                progress=lambda m, f: bar(m, 0.3 + 0.7 * f),
            )
        summary = {**result.summary(), "zone_spec": zone, "units": units, "scenario": s.name}
        evaluation = None
        if evaluate:
            evaluation = _evaluate(result, with_access=not no_access, workers=workers, scheduler=scheduler)
            summary["evaluation"] = evaluation["summary"]
        if out is not None:
            summary = save(result, out, base=scenario, summary=summary, evaluation=evaluation)
        print_marks(summary["data_marks"])
        if fmt == Format.json:
            emit_json(summary)
        else:
            _print_proposals(summary, parties, result.method, seed)
            if evaluation is not None:
                _print_evaluation(evaluation)


def _executor(evaluate: bool, workers: int | None, scheduler: str | None) -> tuple[int | None, str | None]:
    """The evaluation's executor (:func:`delimit.distribute.choose_executor`), its scheduler answering,
    checked before any work; ``--workers``/``--scheduler`` without ``--evaluate`` are refused."""
    from delimit.distribute import check_scheduler, choose_executor

    if not evaluate:
        if workers is not None or scheduler:
            which = "--workers" if workers is not None else "--scheduler"
            raise InputError(None, f"{which} applies to --evaluate (the proposals' evaluation)", field=which[2:])
        return None, None
    workers, scheduler = choose_executor(workers, scheduler)
    if scheduler:
        check_scheduler(scheduler)
    return workers, scheduler


def _evaluate(result: Any, *, with_access: bool, workers: int | None, scheduler: str | None) -> dict[str, Any]:
    """Every proposal compared with the scenario it changes: the baseline's engines once here, then one
    Dask task per proposal shipping only its assignment (the scenario and the parcel graph are sent to
    each worker once). The document ``evaluation.json`` holds; its ``summary`` goes into ``summary.json``."""
    from delimit.cli.compare import engine_failed
    from delimit.cli.render import with_attribution
    from delimit.distribute import ProposalItem, baseline_context, evaluate_proposal, run_batch
    from delimit.impact import EngineFailure

    base = result.scenario
    items = [ProposalItem(p.id, p.assign, p.source) for p in result.proposals]
    if not items:  # nothing to evaluate: the baseline's engines are not run for nothing
        empty: dict[str, Any] = {"baseline": base.name, "proposals": [], "comparisons": [], "summary": []}
        return with_attribution(empty, [base.provenance.as_dict()])
    try:
        with progress_bar(f"evaluate {len(items)} proposal(s)") as bar:
            ctx = baseline_context(
                base, with_access=with_access, graph=result.graph, progress=lambda m, f: bar(m, 0.2 * f)
            )
            batch = run_batch(
                evaluate_proposal,
                items,
                ctx,
                workers=workers,
                scheduler=scheduler,
                label="evaluate",
                progress=lambda m, f: bar(m, 0.2 + 0.8 * f),
            )
    except EngineFailure as exc:
        raise engine_failed(exc) from exc
    doc = {
        "baseline": base.name,
        "proposals": [e["id"] for e in batch.results],
        "comparisons": [e["comparison"] for e in batch.results],
        "summary": [{"id": e["id"], **e["summary"]} for e in batch.results],
    }
    return with_attribution(doc, [base.provenance.as_dict()])


def _print_evaluation(evaluation: dict[str, Any]) -> None:
    """The evaluation's summary rows as a terminal table (compare's summary columns)."""
    from delimit.cli.compare import summary_table

    print_table(summary_table(evaluation["summary"], title=f"evaluation against {evaluation['baseline']}"))


def _print_proposals(summary: dict[str, Any], parties: tuple[str, str], method: str, seed: int) -> None:
    """The proposals as a terminal table (areas each way, imbalance, people, line, violations)."""
    rows = []
    for p in summary["proposals"]:
        rows.append(
            {
                "id": p["id"],
                **{f"{k} cedes km2": v for k, v in p["area_exchanged_km2"].items()},
                "imbalance": p["imbalance"],
                "people": p["people_moved"],
                "line km +/-": p["boundary_length_change_km"],
                "turning pts": p["turning_points"],
                "access loss": "" if p["access_loss"] is None else p["access_loss"],
                "violated": "; ".join(p["constraints_violated"]),
            }
        )
    caption = summary["note"]
    if not rows:
        why = summary.get("solver", {}).get("status") if isinstance(summary.get("solver"), dict) else None
        caption = (
            "No proposal satisfies the constraints"
            + (f" (solver: {why})" if why else "")
            + ". "
            + "; ".join(summary.get("notes", []))
            + " "
            + caption
        )
    cols = [
        "id",
        *[f"{k} cedes km2" for k in parties],
        "imbalance",
        "people",
        "line km +/-",
        "turning pts",
        "access loss",
        "violated",
    ]
    print_table(rich_table(rows, cols, title=f"proposals ({method}, seed {seed}) - illustrative", caption=caption))
