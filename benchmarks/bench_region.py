"""Region route benchmark (not a test): one route on the ``central-asia-freight`` network after loading.

Goal: one route (Kashgar -> Dushanbe, foreign freight, karamik-closed) in < 100 ms once the scenario is
loaded and its network built. Baseline measured in the same run on the same graph: scipy
``csgraph.dijkstra`` from the destination node over the network's CSR with the regime's costs
(distances only, no path, no crossings, no provenance). Both answers are printed (minutes) and must agree.
A second line times the search alone: the route's single-source heap search
(:func:`delimit.access.route._search`) against the engine's multi-source bucket solver
(:func:`delimit.access.solver.solve`) from the same destination, which ``route`` used before.

Usage: ``PYTHONPATH=src python benchmarks/bench_region.py``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report, timeit

SCEN, CLS, REGIME, A, B = "central-asia-freight", "foreign-freight", "karamik-closed", "Kashgar", "Dushanbe"
GOAL_MS = 100.0


def scipy_route_minutes(net, add: np.ndarray, blocked: np.ndarray, src: int, dst: int) -> float:  # type: ignore[no-untyped-def]
    """Dijkstra (scipy) over the same arcs with the regime's group costs; minutes from ``src`` to ``dst``."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    from delimit.access.kernels import effective_costs

    w = effective_costs(net.base, net.group, add)
    ok = np.isfinite(w) & ~blocked[net.indices]
    rows = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))[ok]
    cols, w = net.indices[ok], w[ok]
    # parallel arcs: keep the cheapest (a sparse matrix would add them up)
    order = np.lexsort((w, cols, rows))
    rows, cols, w = rows[order], cols[order], w[order]
    first = np.concatenate([[True], (np.diff(rows) != 0) | (np.diff(cols) != 0)])
    # scipy drops explicit zeros (free transitions): a tiny positive weight keeps them as arcs
    m = csr_matrix((np.maximum(w[first], 1e-9), (rows[first], cols[first])), shape=(net.n_nodes, net.n_nodes))
    d = dijkstra(m, directed=True, indices=dst)
    return float(d[src]) / 60.0


def search_pair(net, add: np.ndarray, blocked: np.ndarray, dst: int, off_s: float) -> None:  # type: ignore[no-untyped-def]
    """Print the route's search against the engine's multi-source solver from the same destination."""
    from delimit.access.route import _search

    src, off = np.asarray([dst], np.int64), np.asarray([off_s])
    t_heap, (d1, _m, _p) = timeit(lambda: _search(net, add, blocked, dst, off_s), repeat=5)
    t_bucket, (d2, *_rest) = timeit(lambda: net.shortest(add, blocked, src, off), repeat=5)
    agree = np.allclose(d1, d2, rtol=1e-9, equal_nan=True)
    print(f"search from {dst}: {int(np.isfinite(d1).sum())} nodes reached; same costs as the solver: {agree}")
    report("region route search", t_heap * 1000, "ms", "solver.solve (bucket queue), one source", t_bucket * 1000)


def main() -> None:
    from delimit import load_scenario
    from delimit.access import build_network, route
    from delimit.access.rules import group_costs

    t0 = time.perf_counter()
    s = load_scenario(SCEN)
    net = build_network(s, mode="vehicle")
    print(
        f"loaded {SCEN} and built its network in {time.perf_counter() - t0:.2f} s ({net.n_nodes} nodes, {net.n_arcs} arcs)"
    )
    t_route, r = timeit(
        lambda: route(s, traveller_class=CLS, origin=A, destination=B, regime=REGIME, network=net), repeat=5
    )
    add, blocked = group_costs(net, s.regime(REGIME), s.traveller_class(CLS))
    src = int(net.attach["node"].iloc[r.origin.index])
    dst = int(net.attach["node"].iloc[r.destination.index])
    t_scipy, minutes = timeit(lambda: scipy_route_minutes(net, add, blocked, src, dst), repeat=5)
    off = (
        float(net.attach["offset_s"].iloc[r.origin.index]) + float(net.attach["offset_s"].iloc[r.destination.index])
    ) / 60
    print(
        f"route {A} -> {B}: {r.km:.1f} km, {r.minutes:.1f} min via {', '.join(r.checkpoints)}; scipy {minutes + off:.1f} min"
    )
    report("region route (after loading)", t_route * 1000, "ms", "scipy csgraph.dijkstra, same graph", t_scipy * 1000)
    search_pair(net, add, blocked, dst, float(net.attach["offset_s"].iloc[r.destination.index]))
    print(f"goal < {GOAL_MS:.0f} ms: {'met' if t_route * 1000 < GOAL_MS else 'NOT met'} ({t_route * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
