"""Access engine benchmarks (not tests): shortest paths against scipy, networkx and scikit-image.

Figures, each against a baseline measured in this run on this machine:

1. per-source time on a synthetic road graph (500 x 500 grid, 4-neighbour, 998 000 arcs, random
   costs 1-100 s): delimit's bucket kernel (with the engine's arc groups, node mask, metres,
   origins and predecessors) against scipy ``csgraph.dijkstra`` (distances only) and networkx;
2. travel-time surface on a 4000 x 4000 friction raster from 50 sources: delimit's bucket raster
   kernel against scikit-image ``MCP_Geometric`` (same cost convention; results compared);
3. the whole embedded default: every settlement x every target set x every bundled regime x every
   class of the default scenario (status-quo) with off-road travel for the vehicle classes, networks
   built once per mode, against the 10 s goal and against the same run on roads only;
4. ``delimit data build`` on a synthetic PBF of ``DELIMIT_BENCH_OSM_WAYS`` road ways (default
   2 000 000; 5 nodes each, a grid of streets over 2 x 2 degrees), in a fresh process: wall time
   against pyrosm's reading of the same file (``get_network('all')``, also in a fresh process), and
   the build's peak resident memory against the 2 GB goal.
"""

from __future__ import annotations

import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report, timeit


def grid_graph(rows: int, cols: int, seed: int = 0):  # type: ignore[no-untyped-def]
    from delimit.access.kernels import csr_from_arcs

    rng = np.random.default_rng(seed)
    n = rows * cols
    idx = np.arange(n).reshape(rows, cols)
    t, h = [], []
    for a, b in ((idx[:, :-1], idx[:, 1:]), (idx[:-1, :], idx[1:, :])):
        t += [a.ravel(), b.ravel()]
        h += [b.ravel(), a.ravel()]
    tails, heads = np.concatenate(t), np.concatenate(h)
    w = rng.uniform(1.0, 100.0, len(tails))
    ip, ix, (ww,), _ = csr_from_arcs(n, tails, heads, w)
    return n, ip, ix, ww


def bench_road_graph() -> None:
    import networkx as nx
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    from delimit.access.kernels import bucket_csr, bucket_width, dijkstra_csr

    n, ip, ix, ww = grid_graph(500, 500)
    m = len(ix)
    print(f"road graph: {n} nodes, {m} arcs", flush=True)
    group = np.full(m, -1, np.int64)  # the heap kernel reads arc groups
    no_groups = np.zeros(0, np.int64)  # the engine folds group costs into the cost array first
    gadd = np.zeros(1)
    blocked = np.zeros(n, np.bool_)
    delta, nbits = bucket_width(float(ww.min()), float(ww.max()))
    rng = np.random.default_rng(1)
    sources = rng.integers(0, n, 8)
    mat = sp.csr_matrix((ww, ix, ip), shape=(n, n))
    # warm up the JIT and check agreement
    d0 = bucket_csr(ip, ix, ww, ww, no_groups, gadd, blocked, sources[:1], np.zeros(1), delta, nbits)[0]
    ds = dijkstra(mat, indices=int(sources[0]))
    assert np.allclose(d0, ds), "bucket kernel disagrees with scipy"
    dijkstra_csr(ip, ix, ww, ww, group, gadd, blocked, sources[:1], np.zeros(1))

    def ours() -> None:
        for s in sources:
            bucket_csr(ip, ix, ww, ww, no_groups, gadd, blocked, np.array([s]), np.zeros(1), delta, nbits)

    def heap() -> None:
        for s in sources:
            dijkstra_csr(ip, ix, ww, ww, group, gadd, blocked, np.array([s]), np.zeros(1))

    def scipy_() -> None:
        for s in sources:
            dijkstra(mat, indices=int(s))

    t_ours, _ = timeit(ours, repeat=3)
    t_heap, _ = timeit(heap, repeat=3)
    t_scipy, _ = timeit(scipy_, repeat=3)
    k = len(sources)
    report(
        "road graph 1M arcs, per source: delimit bucket kernel",
        1000 * t_ours / k,
        "ms",
        "scipy csgraph dijkstra",
        1000 * t_scipy / k,
    )
    report(
        "road graph 1M arcs, per source: delimit heap kernel",
        1000 * t_heap / k,
        "ms",
        "scipy csgraph dijkstra",
        1000 * t_scipy / k,
    )
    G = nx.DiGraph()
    tails = np.repeat(np.arange(n), np.diff(ip))
    G.add_weighted_edges_from(zip(tails.tolist(), ix.tolist(), ww.tolist(), strict=True))
    t_nx, dn = timeit(lambda: nx.single_source_dijkstra_path_length(G, int(sources[0])), repeat=1)
    d_ours = bucket_csr(ip, ix, ww, ww, no_groups, gadd, blocked, sources[:1], np.zeros(1), delta, nbits)[0]
    assert all(math.isclose(d_ours[v], dv, rel_tol=1e-9, abs_tol=1e-9) for v, dv in list(dn.items())[:1000])
    report(
        "road graph 1M arcs, per source: delimit bucket kernel",
        1000 * t_ours / k,
        "ms",
        "networkx single_source_dijkstra",
        1000 * t_nx,
    )


def bench_raster() -> None:
    from skimage.graph import MCP_Geometric

    from delimit.access.kernels import bucket_grid, bucket_width

    rng = np.random.default_rng(2)
    size = 4000
    cost = rng.uniform(1.0, 10.0, (size, size))
    cost[rng.random((size, size)) < 0.02] = np.inf  # scattered water cells
    rs = rng.integers(0, size, 50)
    cs = rng.integers(0, size, 50)
    cost[rs, cs] = 1.0
    fin = cost[np.isfinite(cost)]
    delta, nbits = bucket_width(float(fin.min()), float(fin.max()) * math.sqrt(2.0))
    bucket_grid(cost[:20, :20].copy(), 1.0, 1.0, np.array([0]), np.array([0]), np.zeros(1), delta, nbits)
    t_ours, (d_ours, _o) = timeit(lambda: bucket_grid(cost, 1.0, 1.0, rs, cs, np.zeros(50), delta, nbits), repeat=1)
    mcp_cost = np.where(np.isfinite(cost), cost, -1.0)

    def mcp():  # type: ignore[no-untyped-def]
        m = MCP_Geometric(mcp_cost)
        return m.find_costs(list(zip(rs.tolist(), cs.tolist(), strict=True)))[0]

    t_mcp, d_mcp = timeit(mcp, repeat=1)
    ok = np.isfinite(cost)
    err = float(np.max(np.abs(d_ours[ok] - d_mcp[ok]) / np.maximum(1.0, d_mcp[ok])))
    print(f"raster {size}x{size}, 50 sources: max relative difference to MCP_Geometric {err:.2e}", flush=True)
    report(
        "raster 4000x4000 travel-time surface, 50 sources: delimit bucket kernel",
        t_ours,
        "s",
        "scikit-image MCP_Geometric",
        t_mcp,
    )


def bench_embedded_default() -> None:
    from delimit import load_scenario
    from delimit.access import access_summary, build_network

    targets = ["capital", "regional-centre", "district-centre", "town:10000"]

    def run(offroad: bool) -> int:
        s = load_scenario("status-quo")
        nets = {
            mode: build_network(s, mode=mode, offroad=offroad if mode == "vehicle" else None)
            for mode in sorted({c.mode for c in s.traveller_classes.values()})
        }
        rows = 0
        for t in targets:
            rows += len(access_summary(s, targets=t, networks=nets))
        return rows

    run(True)  # warm the JIT and the file cache once, so both timings below pay neither
    c0 = time.process_time()
    t_roads, _ = timeit(lambda: run(False), repeat=1)
    c1 = time.process_time()
    t_mixed, rows = timeit(lambda: run(True), repeat=1)
    c2 = time.process_time()
    print(f"embedded default: {rows} (regime, class, targets) summaries over every settlement", flush=True)
    report(
        "embedded default with off-road travel (all settlements x targets x regimes x classes, incl. network builds)",
        t_mixed,
        "s",
        "goal",
        10.0,
    )
    report("embedded default with off-road travel", t_mixed, "s", "the same on roads only (no off-road)", t_roads)
    # CPU seconds of this process: the figure that does not depend on what else the machine runs
    report("embedded default with off-road travel, CPU", c2 - c1, "s", "the same on roads only, CPU", c1 - c0)


def write_synthetic_pbf(path: Path, n_ways: int, nodes_per_way: int = 5) -> None:
    """A PBF of ``n_ways`` highway ways on a jittered grid (nodes first, ids ascending, as PBF wants)."""
    import osmium

    classes = ["primary", "secondary", "tertiary", "residential", "track"]
    side = math.ceil(math.sqrt(n_ways))
    step = 2.0 / side
    rng = np.random.default_rng(3)
    w = osmium.SimpleWriter(str(path))
    try:
        nid = 1
        for k in range(n_ways):
            r, c = divmod(k, side)
            lon0, lat0 = 70.0 + c * step, 40.0 + r * step
            jit = rng.uniform(0, step * 0.2, (nodes_per_way, 2))
            for j in range(nodes_per_way):
                w.add_node(
                    osmium.osm.mutable.Node(
                        id=nid + j, location=(lon0 + j * step / nodes_per_way + jit[j, 0], lat0 + jit[j, 1])
                    )
                )
            nid += nodes_per_way
        nid = 1
        for k in range(n_ways):
            w.add_way(
                osmium.osm.mutable.Way(
                    id=k + 1,
                    nodes=list(range(nid, nid + nodes_per_way)),
                    tags={"highway": classes[k % len(classes)], "name": f"road {k}"},
                )
            )
            nid += nodes_per_way
    finally:
        w.close()


def _child(code: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of ``python -c code`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    )
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return dt, max(peak, before) / 1024.0


def bench_osm_build() -> None:
    n = int(os.environ.get("DELIMIT_BENCH_OSM_WAYS", "2000000"))
    with tempfile.TemporaryDirectory() as d:
        pbf = Path(d) / "synthetic.osm.pbf"
        t0 = time.perf_counter()
        write_synthetic_pbf(pbf, n)
        print(
            f"synthetic PBF: {n:,} ways, {pbf.stat().st_size / 1e6:.1f} MB, written in {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        out = Path(d) / "built"
        t_ours, rss_ours = _child(
            "from pathlib import Path; from delimit.io.osm_dataset import build_osm_dataset; "
            f"Path({str(out)!r}).mkdir(); build_osm_dataset([{str(pbf)!r}], (69.9, 39.9, 72.1, 42.1), Path({str(out)!r}))"
        )
        t_pyrosm, rss_pyrosm = _child(f"import pyrosm; pyrosm.OSM({str(pbf)!r}).get_network(network_type='all')")
    report(
        f"data build, {n:,}-way synthetic PBF (fresh process)",
        t_ours,
        "s",
        "pyrosm get_network('all') of the same file",
        t_pyrosm,
    )
    print(
        f"BENCH data build peak memory: {rss_ours:.0f} MiB (goal < 2048 MiB; pyrosm's reading {rss_pyrosm:.0f} MiB, RUSAGE_CHILDREN max so far)",
        flush=True,
    )


def main() -> int:
    only = sys.argv[1:]
    for name, fn in (
        ("road", bench_road_graph),
        ("raster", bench_raster),
        ("default", bench_embedded_default),
        ("osm", bench_osm_build),
    ):
        if not only or name in only:
            fn()
    return 0


if __name__ == "__main__":
    sys.exit(main())
