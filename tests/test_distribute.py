"""delimit.distribute's batches (``propose --evaluate``, ``compare`` of many scenarios): the same results
whichever way they run, checked against the plain engine calls.

A small proposal set (exact method, two proposals on a 10 x 9 km box around Vorukh, 1 km hexagons) is
evaluated serially, on a 2-worker ``LocalCluster`` (worker processes: everything crosses a pickle) and
on a scheduler given by address; the JSON of each is byte for byte the same, and the serial one equals
:func:`delimit.impact.compare` called directly on each proposal's scenario, with no shared context.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import shapely

from delimit.errors import InputError

SMALL_BOX = (70.50, 39.84, 70.60, 39.92)


@pytest.fixture(scope="module")
def proposal_run() -> tuple[Any, Any, list[Any]]:
    """(status quo, two exact proposals on SMALL_BOX, their items), built once."""
    import delimit
    from delimit.distribute import ProposalItem
    from delimit.propose import UnitsSpec, build_parcels, propose, unit_cells
    from delimit.propose.zone import zone_from_polygon

    s = delimit.load_scenario("status-quo")
    parties = ("KGZ", "TJK")
    box = shapely.box(*SMALL_BOX)
    zone = zone_from_polygon(s, parties, box)
    graph = build_parcels(
        s,
        parties,
        zone,
        unit_cells(s, zone, UnitsSpec.parse("hex:1km")),
        cut_zone=zone_from_polygon(s, parties, box, raw=True),
    )
    result = propose(s, graph, method="exact", n=2, seed=0)
    assert len(result.proposals) == 2
    return s, result, [ProposalItem(p.id, p.assign, p.source) for p in result.proposals]


@pytest.fixture(scope="module")
def cluster() -> Any:
    """A 2-worker LocalCluster of worker processes on loopback, shared by the tests of this module."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as c:
        yield c


def _json(results: list[Any]) -> str:
    from delimit.io.jsonfmt import dumps

    return dumps(results)


@pytest.mark.slow
def test_evaluation_is_the_same_serially_on_a_local_cluster_and_on_a_scheduler(proposal_run, cluster) -> None:  # type: ignore[no-untyped-def]
    from delimit.distribute import baseline_context, evaluate_proposal, run_batch

    s, result, items = proposal_run
    ctx = baseline_context(s, with_access=False, graph=result.graph)
    serial = run_batch(evaluate_proposal, items, ctx, workers=1)
    local = run_batch(evaluate_proposal, items, ctx, workers=2)
    remote = run_batch(evaluate_proposal, items, ctx, scheduler=cluster.scheduler_address)
    assert serial.run["executor"] == "serial"
    assert local.run == {**local.run, "executor": "LocalCluster", "workers": 2, "processes": True, "tasks": 2}
    assert remote.run["executor"] == "scheduler"
    assert [e["id"] for e in serial.results] == ["P01", "P02"]  # item order, not completion order
    assert _json(local.results) == _json(serial.results)
    assert _json(remote.results) == _json(serial.results)


@pytest.mark.slow
def test_evaluation_equals_compare_called_directly(proposal_run) -> None:  # type: ignore[no-untyped-def]
    """The shared context (the baseline's engines computed once) changes nothing: each proposal's
    evaluation is what ``compare`` gives on its scenario with a cache of its own; and the land it moves
    is the area the proposal reports (summed from the parcels, not from an overlay)."""
    from delimit.distribute import baseline_context, evaluate_proposal, run_batch
    from delimit.impact import compare
    from delimit.propose import apply_proposal

    s, result, items = proposal_run
    ctx = baseline_context(s, with_access=False, graph=result.graph)
    got = run_batch(evaluate_proposal, items, ctx, workers=1).results
    for p, e in zip(result.proposals, got, strict=True):
        c = compare(s, apply_proposal(s, result.graph, p.assign, proposal_id=p.id, source=p.source), with_access=False)
        assert _json([e["comparison"]]) == _json([c.to_json()])
        assert e["summary"] == c.summary_row()
        moved = {f["from"]: f["area_km2"] for f in e["comparison"]["land"]}
        for party, km2 in p.metrics["area_exchanged_km2"].items():
            assert moved[party] == pytest.approx(km2, abs=1e-3)


@pytest.mark.slow
def test_compare_of_several_scenarios_is_the_same_on_two_workers(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``compare`` writes the same JSON, byte for byte, with --workers 1 and --workers 2 (a LocalCluster)."""
    outs = []
    for w in ("1", "2"):
        out = tmp_path / f"c{w}.json"
        r = cli(
            "compare",
            "status-quo",
            "tj-corridor-claim",
            "neutral-road-2025",
            "--no-access",
            "--format",
            "json",
            "--workers",
            w,
            "-o",
            out,
        )
        assert r.code == 0, r.err
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    import json

    doc = json.loads(outs[0])
    assert doc["scenarios"] == ["tj-corridor-claim", "neutral-road-2025"]  # the order given
    claim = doc["summary"][0]
    assert claim["land_km2"] > 0 and claim["enclaves_added"] is not None


@pytest.mark.slow
def test_delimit_errors_come_back_from_a_worker_unchanged(cluster) -> None:  # type: ignore[no-untyped-def]
    """An InputError raised in a task (keyword arguments pickle cannot replay) is raised again here, same class and text."""
    from delimit.distribute import choose_executor, run_batch

    with pytest.raises(InputError) as serial:
        choose_executor(0, None)
    with pytest.raises(InputError) as remote:
        run_batch(choose_executor, [None, None], 0, scheduler=cluster.scheduler_address)
    assert str(remote.value) == str(serial.value) and remote.value.field == "workers"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("workers", "scheduler", "env", "words"),
    [
        (0, None, {}, "--workers"),
        (2, "tcp://127.0.0.1:1", {}, "not both"),
        (None, "localhost", {}, "tcp://HOST:PORT"),
        (None, None, {"DELIMIT_SCHEDULER": "no-such-host"}, "no-such-host"),
    ],
)
def test_choose_executor_refuses(workers, scheduler, env, words) -> None:  # type: ignore[no-untyped-def]
    from delimit.distribute import choose_executor

    with pytest.raises(InputError, match=words):
        choose_executor(workers, scheduler, env)


def test_choose_executor_reads_the_environment() -> None:
    from delimit.distribute import choose_executor

    assert choose_executor(None, None, {"DELIMIT_SCHEDULER": "tcp://10.0.0.1:8786"}) == (None, "tcp://10.0.0.1:8786")
    assert choose_executor(3, None, {"DELIMIT_SCHEDULER": "tcp://10.0.0.1:8786"}) == (3, None)
    assert choose_executor(None, None, {}) == (None, None)
