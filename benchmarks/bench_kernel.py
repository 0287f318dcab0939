"""Road kernel benchmarks (not tests): per-source shortest paths against scipy, and an origin x
destination matrix against pandana's contraction hierarchies, on the same 1 M-arc graph.

The graph is ``bench_access.grid_graph(500, 500)``: 250 000 nodes, 998 000 directed arcs, random
costs 1-100. Both figures print, against a baseline measured in this run on this machine:

1. **per source** (``road``): delimit's bucket kernel as the engine calls it
   (:func:`delimit.access.solver.solve`'s call: int32 heads, effective costs, node mask; returns
   costs, metres, origins and predecessor arcs) and its distances-only search (the matrix kernel
   with every node wanted: the same output as scipy) against ``scipy.sparse.csgraph.dijkstra``
   (distances only). The machine is shared, so the runs are interleaved (source by source, each
   kernel in turn, ``DELIMIT_BENCH_ROUNDS`` rounds, default 5) and the medians are compared, in
   wall time and in this thread's CPU time (``time.thread_time``: what the run cost when it ran);
   the load average is printed before and after.
2. **many-to-many** (``matrix``): ``DELIMIT_BENCH_MATRIX`` origins x destinations (default
   ``200x20``, random nodes): delimit's :func:`delimit.access.matrix.cost_matrix` (pre-processing:
   the reversed CSR and int32 heads; query: the matrix) against pandana 0.8 (pre-processing:
   ``pandana.Network``, which builds the contraction hierarchies; query:
   ``shortest_path_lengths`` for every pair). pandana truncates each arc cost to whole thousandths,
   so its lengths differ from the exact ones by at most 0.001 per arc; the largest difference is
   printed and checked against that bound. ``DELIMIT_BENCH_GRID`` (default 500) sets the grid side.
   pandana's hierarchy build is the long part: on this grid it took 304 s of CPU (1 989 s wall,
   load average ~20 on 2 cores, 2026-11-30); grids are a hard case for contraction hierarchies.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report
from bench_access import grid_graph

SIDE = int(os.environ.get("DELIMIT_BENCH_GRID", "500"))


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} on {os.cpu_count()} CPUs"


def _interleaved(fns: dict[str, Callable[[int], object]], sources: np.ndarray, rounds: int) -> dict[str, np.ndarray]:
    """Per-call (wall, CPU) seconds of every function, run source by source in turn, ``rounds`` times."""
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in fns}
    for _ in range(rounds):
        for s in sources:
            for name, fn in fns.items():
                c0, t0 = time.thread_time(), time.perf_counter()
                fn(int(s))
                times[name].append((time.perf_counter() - t0, time.thread_time() - c0))
    return {k: np.array(v) for k, v in times.items()}


def bench_road() -> None:
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    from delimit.access.kernels import bucket_csr, bucket_matrix_csr, bucket_width, compact_indices

    n, ip, ix, ww = grid_graph(SIDE, SIDE)
    heads = compact_indices(ix)
    print(f"road graph: {n} nodes, {len(ix)} arcs; {_load()}", flush=True)
    mat = sp.csr_matrix((ww, ix, ip), shape=(n, n))
    no_groups, gadd, blocked = np.zeros(0, np.int64), np.zeros(1), np.zeros(n, np.bool_)
    delta, nbits = bucket_width(float(ww.min()), float(ww.max()))
    everyone, zero = np.arange(n), np.zeros(n)

    def full(s: int) -> object:
        return bucket_csr(ip, heads, ww, ww, no_groups, gadd, blocked, np.array([s]), np.zeros(1), delta, nbits)

    def dist_only(s: int) -> object:
        return bucket_matrix_csr(ip, heads, ww, blocked, np.array([s]), np.zeros(1), everyone, zero, delta, nbits)

    def scipy_(s: int) -> object:
        return dijkstra(mat, indices=s)

    sources = np.random.default_rng(1).integers(0, n, 8)
    want = scipy_(int(sources[0]))  # also warms the JIT below
    assert np.allclose(full(int(sources[0]))[0], want, rtol=1e-12), "bucket kernel disagrees with scipy"
    assert np.allclose(dist_only(int(sources[0]))[0], want, rtol=1e-12), "distances-only search disagrees with scipy"
    rounds = int(os.environ.get("DELIMIT_BENCH_ROUNDS", "5"))
    t = _interleaved({"full": full, "dist": dist_only, "scipy": scipy_}, sources, rounds)
    med = {k: np.median(v, axis=0) * 1000 for k, v in t.items()}
    k = len(sources) * rounds
    for label, key in (("costs, metres, origins, predecessors", "full"), ("distances only", "dist")):
        for i, clock in enumerate(("wall", "CPU")):
            report(
                f"road graph {len(ix):,} arcs, per source, median of {k} interleaved ({clock}): delimit bucket kernel, {label}",
                float(med[key][i]),
                "ms",
                "scipy csgraph dijkstra (distances)",
                float(med["scipy"][i]),
            )
    print(f"road graph: after the runs, {_load()}", flush=True)


def bench_matrix() -> None:
    import pandana
    import pandas as pd
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    from delimit.access.kernels import compact_indices, reverse_csr
    from delimit.access.matrix import cost_matrix

    n_from, n_to = (int(x) for x in os.environ.get("DELIMIT_BENCH_MATRIX", "200x20").split("x"))
    n, ip, ix, ww = grid_graph(SIDE, SIDE)
    rng = np.random.default_rng(4)
    src, dst = rng.choice(n, n_from, replace=False), rng.choice(n, n_to, replace=False)
    blocked = np.zeros(n, np.bool_)
    print(f"matrix: {n_from} x {n_to} on {n} nodes, {len(ix)} arcs; {_load()}", flush=True)
    n4, ip4, ix4, w4 = grid_graph(4, 4)  # JIT warm-up, both search directions
    for k in (2, 5):
        cost_matrix(
            ip4, compact_indices(ix4), w4, np.zeros(n4, np.bool_), np.arange(k), np.zeros(k), np.arange(3), np.zeros(3)
        )

    c0, t0 = time.process_time(), time.perf_counter()
    heads, rev = compact_indices(ix), reverse_csr(ip, ix)
    ours_prep = (time.perf_counter() - t0, time.process_time() - c0)
    c0, t0 = time.process_time(), time.perf_counter()
    ours = cost_matrix(ip, heads, ww, blocked, src, np.zeros(n_from), dst, np.zeros(n_to), reverse=rev)
    ours_query = (time.perf_counter() - t0, time.process_time() - c0)
    exact = dijkstra(csr_matrix((ww, ix, ip), shape=(n, n)), indices=src[:3])[:, dst]
    assert np.allclose(ours[:3], exact, rtol=1e-12), "matrix disagrees with scipy"

    tails = np.repeat(np.arange(n), np.diff(ip))
    r, c = np.divmod(np.arange(n), SIDE)
    c0, t0 = time.process_time(), time.perf_counter()
    net = pandana.Network(
        pd.Series(c.astype(float)), pd.Series(r.astype(float)), pd.Series(tails), pd.Series(ix),
        pd.DataFrame({"w": ww}), twoway=False,
    )  # fmt: skip
    pd_prep = (time.perf_counter() - t0, time.process_time() - c0)
    c0, t0 = time.process_time(), time.perf_counter()
    theirs = net.shortest_path_lengths(np.repeat(src, n_to), np.tile(dst, n_from), imp_name="w")
    pd_query = (time.perf_counter() - t0, time.process_time() - c0)
    theirs = np.asarray(theirs, np.float64).reshape(n_from, n_to)
    diff = float(np.max(np.abs(theirs - ours)))
    print(f"matrix: largest |pandana - delimit| {diff:.4f} (pandana truncates each arc to 0.001)", flush=True)
    assert diff <= 0.001 * n, "pandana and delimit disagree beyond pandana's rounding"
    for i, clock in enumerate(("wall", "CPU")):
        report(
            f"matrix {n_from}x{n_to}, {len(ix):,} arcs ({clock}): delimit query",
            ours_query[i],
            "s",
            "pandana CH query",
            pd_query[i],
        )
        report(f"matrix {n_from}x{n_to}, {len(ix):,} arcs ({clock}): delimit pre-processing", ours_prep[i], "s", "pandana CH pre-processing", pd_prep[i])  # fmt: skip
        report(
            f"matrix {n_from}x{n_to}, {len(ix):,} arcs ({clock}): delimit pre-processing + query",
            ours_prep[i] + ours_query[i],
            "s",
            "pandana CH pre-processing + query",
            pd_prep[i] + pd_query[i],
        )
    print(f"matrix: after the runs, {_load()}", flush=True)


def main() -> int:
    only = sys.argv[1:]
    for name, fn in (("road", bench_road), ("matrix", bench_matrix)):
        if not only or name in only:
            fn()
    return 0


if __name__ == "__main__":
    sys.exit(main())
