"""Scaling of proposal evaluation on Dask (``propose --evaluate``, :mod:`delimit.distribute`): 1 worker against 2.

Work: ``--proposals`` (default 200) proposals on the bundled ``status-quo`` scenario, each evaluated
as ``delimit propose --evaluate`` does: the proposal's scenario is built (:func:`delimit.propose.apply_proposal`)
and compared with the status quo (:func:`delimit.impact.compare`: land, people, roads and water,
topology; access too with ``--access``). The parcels are ``hex:1km`` cells of the zone the tests use
(a box around Vorukh, 424 parcels); each proposal swaps one frontier parcel each way, drawn with a
fixed seed (what the evaluation costs does not depend on how the proposals were generated, and
generating 200 by the chain would take far longer than evaluating them). Each task ships only its
assignment (one byte per graph node); the scenario, the parcel graph and the baseline's engine
results are scattered to every worker once.

Figures (all from the same run on the same machine):

* ``workers=1``: the tasks run serially in this process (the baseline);
* ``workers=2``: a ``LocalCluster`` of 2 single-threaded worker processes, warm (started, every
  worker having imported the engines; the start-up is printed apart);
* the baseline's engines (computed once, before the tasks: the serial share), per-task seconds, the
  load average of the machine before and after, and the projected speed-up on 16 and 64 workers:
  ``S(N) = T1 / (serial + max(sum(tasks) / N, longest task))`` with ``T1`` the serial total
  (Amdahl's law, capped by the longest task, which no number of workers shortens).

Usage: ``python benchmarks/bench_propose_scaling.py [--proposals 200] [--access]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _common import report

#: The zone (lon/lat box around Vorukh) and units of the benchmark's parcels, as in tests/test_propose_cli.py.
BOX = (70.45, 39.80, 70.65, 39.95)
UNITS = "hex:1km"


def parcel_graph(scenario):  # type: ignore[no-untyped-def]
    """The parcel graph of :data:`BOX` cut into :data:`UNITS` between KGZ and TJK."""
    import shapely

    from delimit.propose import UnitsSpec, build_parcels, unit_cells
    from delimit.propose.zone import zone_from_polygon

    parties = ("KGZ", "TJK")
    zone = zone_from_polygon(scenario, parties, shapely.box(*BOX))
    cut = zone_from_polygon(scenario, parties, shapely.box(*BOX), raw=True)
    cells = unit_cells(scenario, zone, UnitsSpec.parse(UNITS))
    return build_parcels(scenario, parties, zone, cells, cut_zone=cut)


def swaps(graph, count: int, seed: int = 16):  # type: ignore[no-untyped-def]
    """``count`` proposals, each swapping one frontier parcel of each party (seeded, distinct pairs)."""
    import numpy as np

    from delimit.distribute import ProposalItem

    n = graph.n_parcels
    u, v, _, _ = graph.edges()
    h = graph.holder
    across = (u < n) & (v < n) & (h[u] != h[v])
    frontier = np.unique(np.concatenate([u[across], v[across]]))
    frontier = frontier[~graph.is_anchor[frontier]]
    side = [frontier[h[frontier] == k] for k in (0, 1)]
    rng = np.random.default_rng(seed)
    pairs: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    while len(pairs) < min(count, len(side[0]) * len(side[1])):
        pair = (int(rng.choice(side[0])), int(rng.choice(side[1])))
        if pair not in seen:
            seen.add(pair)
            pairs.append(pair)
    items = []
    for k, (a, b) in enumerate(pairs, start=1):
        assign = h.copy()
        assign[a], assign[b] = 1, 0
        items.append(ProposalItem(f"B{k:03d}", assign, f"bench_propose_scaling swap {a}<->{b}"))
    return items


def _warm() -> None:
    """Import the engines a task uses (run once on every worker before the timed run)."""
    import delimit.impact
    import delimit.propose
    import delimit.topology  # noqa: F401


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--proposals", type=int, default=200, help="proposals to evaluate (default 200)")
    ap.add_argument("--access", action="store_true", help="evaluate access too (about 4x the time per proposal)")
    args = ap.parse_args(argv)

    from distributed import Client, LocalCluster

    import delimit
    from delimit.distribute import baseline_context, evaluate_proposal, machine_workers, run_batch
    from delimit.io.jsonfmt import dumps

    load0 = os.getloadavg()
    scenario = delimit.load_scenario("status-quo")
    graph = parcel_graph(scenario)
    items = swaps(graph, args.proposals)
    t0, c0 = time.perf_counter(), time.thread_time()
    ctx = baseline_context(scenario, with_access=args.access, graph=graph)
    t_base, cpu_base = time.perf_counter() - t0, time.thread_time() - c0
    serial = run_batch(evaluate_proposal, items, ctx, workers=1)
    t1 = serial.run["seconds"]

    t0 = time.perf_counter()
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        client.wait_for_workers(2)
        client.run(_warm)
        start = time.perf_counter() - t0
        two = run_batch(evaluate_proposal, items, ctx, scheduler=cluster.scheduler_address)
    t2 = two.run["seconds"]
    load1 = os.getloadavg()

    same = dumps(serial.results) == dumps(two.results)
    secs = serial.seconds
    total, longest = sum(secs), max(secs)
    print(
        f"evaluation of {len(items)} proposals ({graph.n_parcels} parcels, {'with' if args.access else 'without'} access) on status-quo; "
        f"{machine_workers()} CPUs; load average {load0[0]:.1f} before, {load1[0]:.1f} after (1 min)"
    )
    print(f"results identical on 1 and 2 workers: {same}")
    print(f"baseline's engines, once, before the tasks (serial share): {t_base:.2f} s ({cpu_base:.2f} s CPU)")
    print(
        f"per-task seconds (serial run): min {min(secs):.2f}, median {statistics.median(secs):.2f}, "
        f"max {longest:.2f}, sum {total:.1f}; batch wall {t1:.1f} s"
    )
    print(
        f"on 2 workers: task seconds sum {sum(two.seconds):.1f} (median {statistics.median(two.seconds):.2f}; "
        f"above the serial run's when the workers share the CPUs with others), batch wall {t2:.1f} s; "
        f"LocalCluster start-up and imports {start:.1f} s (not in the figure)"
    )
    cpu1, cpu2 = sum(serial.cpu_seconds), sum(two.cpu_seconds)
    print(
        f"task CPU seconds (the work, whatever the load): serial sum {cpu1:.1f} (median {statistics.median(serial.cpu_seconds):.2f}), "
        f"2 workers sum {cpu2:.1f} (median {statistics.median(two.cpu_seconds):.2f}); "
        f"CPU share the tasks got: serial {cpu1 / max(total, 1e-9):.2f}, 2 workers {cpu2 / max(sum(two.seconds), 1e-9):.2f} of a core each"
    )
    report(f"propose --evaluate of {len(items)} proposals, 2 workers", t2, "s", "1 worker (serial, same run)", t1)
    report(
        f"propose --evaluate of {len(items)} proposals with the baseline's engines, 2 workers",
        t_base + t2,
        "s",
        "1 worker (same run)",
        t_base + t1,
    )
    whole = t_base + t1
    cpus = serial.cpu_seconds
    for n in (2, 16, 64):
        projected = whole / (t_base + max(total / n, longest))
        on_cpu = (cpu_base + cpu1) / (cpu_base + max(cpu1 / n, max(cpus)))
        print(
            f"projected speed-up on {n} workers, each with a core of its own: x{projected:.2f} from the wall seconds "
            f"(serial share {t_base / whole:.3f}), x{on_cpu:.2f} from the CPU seconds (serial share "
            f"{cpu_base / (cpu_base + cpu1):.3f}; the figure for a quiet machine); {len(items)} tasks, "
            f"at most {len(items)} workers busy"
        )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
