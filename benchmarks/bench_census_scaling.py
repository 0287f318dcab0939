"""Scaling of the census on Dask (:mod:`delimit.distribute`): 1 worker against 2, per-task times, projection.

Data: the Fergana Valley territory of the bundled ``status-quo`` scenario (5 parties: CHN, KAZ, KGZ,
TJK, UZB), or with ``--grid N`` a synthetic N x N grid of square parties (0.1°, each holding a
1 km² enclave of its western neighbour), to see many tasks.

Figures (all from the same run on the same machine):

* ``workers=1``: the tasks run serially in this process (the baseline);
* ``workers=2``: a ``LocalCluster`` of 2 single-threaded worker processes, warm (a cluster serves
  many censuses; its start-up and the first census on cold workers, which import the engine, are
  printed apart);
* per-task seconds (from the serial run), the serial share and the projected speed-up on 16 and 64
  workers. Projection: Amdahl's law with the measured serial share ``s = (T1 - sum(tasks)) / T1``
  (reading, splitting, merging: the part outside the tasks), ``S(N) = 1 / (s + (1 - s) / N)``,
  capped by the longest task, which no number of workers shortens: ``S(N) <= T1 / (T1 - sum(tasks) +
  max(task))``. The redundant work of the split (each task also measures its neighbours'
  surroundings) is inside the tasks, so it scales with them and is reported as ``redundancy``: the
  tasks' total against one run over the whole file.

Usage: ``python benchmarks/bench_census_scaling.py [--grid N] [--repeat 2]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _common import report, timeit


def fergana():  # type: ignore[no-untyped-def]
    import delimit

    return delimit.load_scenario("status-quo").territory[["party", "geometry"]]


def grid(n: int):  # type: ignore[no-untyped-def]
    """``n x n`` square parties of 0.1°, each holding an enclave (0.01°) of its western neighbour."""
    import geopandas as gpd
    from shapely.geometry import box

    rows = []
    step = 0.1
    for i in range(n):
        for j in range(n):
            x, y, name = 60 + i * step, 40 + j * step, f"P{i:02d}{j:02d}"
            cell = box(x, y, x + step, y + step)
            enclave = box(x + 0.04, y + 0.04, x + 0.05, y + 0.05)  # held by the western neighbour
            rows.append((name, cell.difference(enclave)))
            rows.append((f"P{i - 1:02d}{j:02d}" if i else name, enclave))
    return gpd.GeoDataFrame({"party": [r[0] for r in rows]}, geometry=[r[1] for r in rows], crs="EPSG:4326")


def fastest(fn, repeat: int):  # type: ignore[no-untyped-def]
    """(seconds, result) of the fastest of ``repeat`` calls: the result belongs to the time."""
    best = (float("inf"), None)
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, (time.perf_counter() - t0, result), key=lambda b: b[0])
    return best


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--grid", type=int, default=0, help="a synthetic N x N grid of parties instead of Fergana")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)

    from distributed import Client, LocalCluster

    from delimit.distribute import CensusOptions, _run_on, census_tasks, run_census
    from delimit.topology.engine import analyse_territory

    territory = grid(args.grid) if args.grid else fergana()
    label = f"grid {args.grid}x{args.grid}" if args.grid else "Fergana status-quo"
    opts = CensusOptions()
    t_whole, _ = timeit(lambda: analyse_territory(territory, workers=1), repeat=args.repeat)
    t1, serial = fastest(
        lambda: run_census(territory, opts, workers=1), args.repeat
    )  # per-task times from that same run
    t0 = time.perf_counter()
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        start = time.perf_counter() - t0
        tasks = census_tasks(territory)

        def on_cluster():  # type: ignore[no-untyped-def]
            return _run_on(client, census_tasks(territory), opts, lambda _m, _f: None)

        t0 = time.perf_counter()
        on_cluster()  # cold workers: each imports geopandas, shapely and the engine once
        cold = time.perf_counter() - t0
        t2, on_workers = fastest(on_cluster, args.repeat)
    print(f"census of {label}: {len(tasks)} tasks (one per party with its neighbours)")
    secs = sorted(((p.seconds, p.party, len(p.context)) for p in serial.parties), reverse=True)
    for s, party, k in secs:
        print(f"  task {party}: {s:.3f} s ({k} neighbours as context)")
    total, longest = sum(s for s, _, _ in secs), secs[0][0]
    share = max(0.0, (t1 - total) / t1)
    print(
        f"serial run {t1:.3f} s, of which tasks {total:.3f} s; serial share s = {share:.3f}; longest task {longest:.3f} s"
    )
    print(
        f"redundancy: tasks' total {total:.3f} s against one whole-file analyse_territory {t_whole:.3f} s (x{total / t_whole:.2f})"
    )
    print(
        f"LocalCluster(2 processes) start-up {start:.2f} s and first census on cold workers {cold:.2f} s (neither in the 2-worker figure)"
    )
    worker_total = sum(p.seconds for p in on_workers)
    print(
        f"the same tasks on the 2 workers: {worker_total:.3f} s of task time in {t2:.3f} s of wall time (CPU contention shows as task time above the serial run's {total:.3f} s)"
    )
    report(f"census {label}, 2 workers", t2, "s", "1 worker (serial, same run)", t1)
    report(f"census {label}, 1 worker", t1, "s", "one whole-file analyse_territory (same run)", t_whole)
    cap = t1 / (max(0.0, t1 - total) + longest)
    for n in (2, 16, 64):
        amdahl = 1.0 / (share + (1.0 - share) / n)
        print(
            f"projected speed-up on {n} workers: x{min(amdahl, cap):.2f} (Amdahl x{amdahl:.2f}, longest-task cap x{cap:.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
