"""Shortest-path kernels against slow oracles: networkx Dijkstra and scikit-image MCP_Geometric."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from delimit.access.kernels import (
    bucket_csr,
    bucket_grid,
    bucket_width,
    compact_indices,
    csr_from_arcs,
    dijkstra_csr,
    dijkstra_grid,
    effective_costs,
    reverse_csr,
)


def _random_graph(seed: int, n: int, m: int, zero_frac: float = 0.1):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, n, m)
    h = rng.integers(0, n, m)
    w = rng.uniform(0.5, 50.0, m)
    w[rng.random(m) < zero_frac] = 0.0
    ln = rng.uniform(1, 100, m)
    g = rng.integers(-1, 4, m)
    add = np.array([0.0, 7.5, math.inf, 120.0])
    return t, h, w, ln, g, add


def _oracle(n, t, h, w, g, add, blocked, sources, offsets):
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    for a in range(len(t)):
        cost = w[a] + (add[g[a]] if g[a] >= 0 else 0.0)
        if not math.isfinite(cost) or blocked[t[a]] or blocked[h[a]]:
            continue
        if G.has_edge(t[a], h[a]) and G[t[a]][h[a]]["weight"] <= cost:
            continue
        G.add_edge(int(t[a]), int(h[a]), weight=float(cost))
    root = "root"
    for s, o in zip(sources, offsets, strict=True):
        if blocked[s]:
            continue
        if G.has_edge(root, int(s)) and G[root][int(s)]["weight"] <= o:
            continue
        G.add_edge(root, int(s), weight=float(o))
    if root not in G:
        return np.full(n, math.inf)
    d = nx.single_source_dijkstra_path_length(G, root)
    return np.array([d.get(i, math.inf) for i in range(n)])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 40), k=st.integers(1, 4))
def test_csr_kernels_equal_networkx(seed: int, n: int, k: int) -> None:
    t, h, w, ln, g, add = _random_graph(seed, n, 4 * n)
    ip, ix, (ww, ll, gg), _ = csr_from_arcs(n, t, h, w, ln, g)
    rng = np.random.default_rng(seed + 1)
    sources = rng.integers(0, n, k)
    offsets = rng.uniform(0, 30, k)
    blocked = rng.random(n) < 0.1
    expected = _oracle(n, t, h, w, g, add, blocked, sources, offsets)
    d1, m1, o1, p1 = dijkstra_csr(ip, ix, ww, ll, gg, add, blocked, sources, offsets)
    delta, nbits = bucket_width(
        float(ww[ww > 0].min()) if (ww > 0).any() else 1.0, float(ww.max() + 120.0 + offsets.max() - offsets.min())
    )
    d2, m2, o2, p2 = bucket_csr(ip, ix, ww, ll, gg, add, blocked, sources, offsets, delta, nbits)
    d3 = bucket_csr(
        ip, ix, effective_costs(ww, gg, add), ll, np.zeros(0, np.int64), add, blocked, sources, offsets, delta, nbits
    )[0]
    np.testing.assert_allclose(d1, expected, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(d2, expected, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(d3, expected, rtol=1e-12, atol=1e-9)
    # the predecessor tree is consistent with the costs, metres and origins it reports
    tails = np.repeat(np.arange(n), np.diff(ip))
    for d, m, o, p in ((d1, m1, o1, p1), (d2, m2, o2, p2)):
        for v in range(n):
            if not math.isfinite(d[v]) or p[v] < 0:
                continue
            a = p[v]
            u = tails[a]
            cost = ww[a] + (add[gg[a]] if gg[a] >= 0 else 0.0)
            assert d[v] == pytest.approx(d[u] + cost)
            assert m[v] == pytest.approx(m[u] + ll[a])
            assert o[v] == o[u]


def test_bucket_width_keeps_window_above_largest_arc() -> None:
    delta, nbits = bucket_width(1e-9, 1e6)
    assert ((1 << nbits) - 1) * delta > 1e6
    assert nbits <= 21


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 30), bits=st.integers(1, 3))
def test_bucket_kernel_exact_even_with_coarse_buckets(seed: int, n: int, bits: int) -> None:
    # buckets much wider than the arcs (forced by a tiny window) still give exact costs
    t, h, w, ln, g, add = _random_graph(seed, n, 4 * n, zero_frac=0.3)
    ip, ix, (ww, ll, gg), _ = csr_from_arcs(n, t, h, w, ln, g)
    sources = np.array([0])
    offsets = np.array([0.0])
    blocked = np.zeros(n, np.bool_)
    expected = _oracle(n, t, h, w, g, add, blocked, sources, offsets)
    delta, nbits = bucket_width(0.5, float(ww.max() + 120.0), max_bits=bits + 1)
    d, _m, _o, _p = bucket_csr(ip, ix, ww, ll, gg, add, blocked, sources, offsets, delta, nbits)
    np.testing.assert_allclose(d, expected, rtol=1e-12, atol=1e-9)


def test_csr_from_arcs_orders_by_tail() -> None:
    ip, ix, (c,), order = csr_from_arcs(
        3, np.array([2, 0, 1, 0]), np.array([1, 2, 0, 1]), np.array([1.0, 2.0, 3.0, 4.0])
    )
    assert ip.tolist() == [0, 2, 3, 4]
    assert ix.tolist() == [2, 1, 0, 1]
    assert c.tolist() == [2.0, 4.0, 3.0, 1.0]
    assert order.tolist() == [1, 3, 2, 0]


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    rows=st.integers(3, 30),
    cols=st.integers(3, 30),
    k=st.integers(1, 3),
    dy=st.sampled_from([1.0, 2.5]),
    dx=st.sampled_from([1.0, 0.7]),
)
def test_grid_kernels_equal_mcp_geometric(seed: int, rows: int, cols: int, k: int, dy: float, dx: float) -> None:
    from skimage.graph import MCP_Geometric

    rng = np.random.default_rng(seed)
    cost = rng.uniform(0.5, 10.0, (rows, cols))
    cost[rng.random((rows, cols)) < 0.15] = np.inf
    rs = rng.integers(0, rows, k)
    cs = rng.integers(0, cols, k)
    cost[rs, cs] = rng.uniform(0.5, 10.0, k)  # sources passable
    mcp = MCP_Geometric(np.where(np.isfinite(cost), cost, -1.0), sampling=(dy, dx))
    expected, _ = mcp.find_costs(list(zip(rs.tolist(), cs.tolist(), strict=True)))
    expected = np.where(np.isfinite(cost), expected, np.inf)
    d1, _ = dijkstra_grid(cost, dy, dx, rs, cs, np.zeros(k))
    fin = cost[np.isfinite(cost)]
    delta, nbits = bucket_width(float(fin.min()) * min(dx, dy), float(fin.max()) * math.hypot(dx, dy))
    d2, _ = bucket_grid(cost, dy, dx, rs, cs, np.zeros(k), delta, nbits)
    np.testing.assert_allclose(d1, expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(d2, expected, rtol=1e-9, atol=1e-9)


def test_grid_offsets_shift_costs() -> None:
    cost = np.ones((1, 5))
    d, o = dijkstra_grid(cost, 1.0, 1.0, np.array([0, 0]), np.array([0, 4]), np.array([0.0, 10.0]))
    assert d[0].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]  # the far source starts too late to win
    assert o[0].tolist() == [0, 0, 0, 0, 0]


# ----------------------------------------------------------------------------- many-to-many matrix


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 40), k=st.integers(1, 6), t=st.integers(1, 6))
def test_cost_matrix_equals_networkx_per_pair(seed: int, n: int, k: int, t: int) -> None:
    # both search directions (k < t: per source; k > t: per target on the reversed graph), zero-cost
    # and closed arcs, blocked nodes, nodes off the graph (-1) and offsets at both ends
    from delimit.access.matrix import cost_matrix

    tl, hd, w, _ln, g, add = _random_graph(seed, n, 4 * n)
    cost = effective_costs(w, g, add)
    ip, ix, (cc,), _ = csr_from_arcs(n, tl, hd, cost)
    rng = np.random.default_rng(seed + 2)
    blocked = rng.random(n) < 0.1
    src, dst = rng.integers(-1, n, k), rng.integers(-1, n, t)
    s_off, d_off = rng.uniform(0, 30, k), rng.uniform(0, 30, t)
    got = cost_matrix(ip, compact_indices(ix), cc, blocked, src, s_off, dst, d_off)
    no_groups = np.full(len(tl), -1)
    for i in range(k):
        if src[i] < 0:
            assert np.isinf(got[i]).all()
            continue
        d = _oracle(n, tl, hd, cost, no_groups, add, blocked, [src[i]], [s_off[i]])
        want = np.array([d[v] + d_off[j] if v >= 0 else math.inf for j, v in enumerate(dst)])
        np.testing.assert_allclose(got[i], want, rtol=1e-12, atol=1e-9)


def test_reverse_csr_reverses_every_arc() -> None:
    tl, hd, w, _ln, _g, _add = _random_graph(3, 30, 120)
    ip, ix, (ww,), _ = csr_from_arcs(30, tl, hd, w)
    rip, rix, order = reverse_csr(ip, ix)
    tails = np.repeat(np.arange(30), np.diff(ip))
    rtails = np.repeat(np.arange(30), np.diff(rip))
    assert sorted(zip(tails.tolist(), ix.tolist(), ww.tolist(), strict=True)) == sorted(
        zip(rix.tolist(), rtails.tolist(), ww[order].tolist(), strict=True)
    )


def _grid(rows: int, cols: int, seed: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """4-neighbour directed grid, random whole costs 1-999 (exact in pandana's integer thousandths)."""
    rng = np.random.default_rng(seed)
    idx = np.arange(rows * cols).reshape(rows, cols)
    t, h = [], []
    for a, b in ((idx[:, :-1], idx[:, 1:]), (idx[:-1, :], idx[1:, :])):
        t += [a.ravel(), b.ravel()]
        h += [b.ravel(), a.ravel()]
    tails, heads = np.concatenate(t), np.concatenate(h)
    return rows * cols, tails, heads, rng.integers(1, 1000, len(tails)).astype(np.float64)


def test_cost_matrix_equals_pandana_contraction_hierarchies() -> None:
    # an independent implementation (pandana's contraction hierarchies, C++) on a grid with whole
    # costs - pandana truncates costs to integer thousandths, so its sums are exact only for these
    pd = pytest.importorskip("pandas")
    pandana = pytest.importorskip("pandana")
    from delimit.access.matrix import cost_matrix

    rows, cols = 12, 15  # small: pandana's hierarchy build is slow on grids
    n, tails, heads, w = _grid(rows, cols, 7)
    r, c = np.divmod(np.arange(n), cols)
    net = pandana.Network(
        pd.Series(c.astype(float)),
        pd.Series(r.astype(float)),
        pd.Series(tails),
        pd.Series(heads),
        pd.DataFrame({"w": w}),
        twoway=False,
    )
    rng = np.random.default_rng(8)
    src, dst = rng.choice(n, 12, replace=False), rng.choice(n, 5, replace=False)
    ip, ix, (ww,), _ = csr_from_arcs(n, tails, heads, w)
    got = cost_matrix(ip, ix, ww, np.zeros(n, np.bool_), src, np.zeros(12), dst, np.zeros(5))
    want = np.array(net.shortest_path_lengths(np.repeat(src, 5), np.tile(dst, 12), imp_name="w")).reshape(12, 5)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    # and from the other side (fewer sources than targets: per source on the forward graph)
    got_t = cost_matrix(ip, ix, ww, np.zeros(n, np.bool_), dst, np.zeros(5), src, np.zeros(12))
    want_t = np.array(net.shortest_path_lengths(np.repeat(dst, 12), np.tile(src, 5), imp_name="w")).reshape(5, 12)
    np.testing.assert_allclose(got_t, want_t, rtol=0, atol=1e-6)


def test_cost_matrix_equals_scipy_on_a_grid() -> None:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    from delimit.access.matrix import cost_matrix

    n, tails, heads, w = _grid(40, 40, 9)
    ip, ix, (ww,), _ = csr_from_arcs(n, tails, heads, w)
    src, dst = np.array([0, 5, 1599, 800]), np.array([17, 1200, 3, 4, 900, 1000, 1599])
    s_off, d_off = np.array([0.0, 1.5, 2.0, 0.25]), np.linspace(0.0, 3.0, 7)
    want = dijkstra(csr_matrix((ww, ix, ip), shape=(n, n)), indices=src)[:, dst] + s_off[:, None] + d_off[None, :]
    got = cost_matrix(ip, ix, ww, np.zeros(n, np.bool_), src, s_off, dst, d_off)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    got_t = cost_matrix(ip, ix, ww, np.zeros(n, np.bool_), dst, d_off, src, s_off)
    want_t = dijkstra(csr_matrix((ww, ix, ip), shape=(n, n)), indices=dst)[:, src] + d_off[:, None] + s_off[None, :]
    np.testing.assert_allclose(got_t, want_t, rtol=1e-12)


def test_travel_time_matrix_on_an_access_network_equals_scipy() -> None:
    # the engine entry point on a built network (regime costs folded in, closed arcs and blocked
    # nodes dropped for the oracle), settlements x settlements with their connector seconds
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    from delimit.access import build_network, group_costs
    from delimit.access.matrix import travel_time_matrix
    from test_access_engine import OPEN, SHUT, make_scenario

    s = make_scenario([OPEN, SHUT])
    net = build_network(s)
    for regime in ("open", "shut"):
        add, blocked = group_costs(net, s.regimes[regime], s.traveller_classes["res-b"])
        att = net.attach
        nodes, off = att["node"].to_numpy(np.int64), att["offset_s"].to_numpy(np.float64)
        got = travel_time_matrix(net, add, blocked, nodes, off, nodes[:2], off[:2])
        w = effective_costs(net.base, net.group, add)
        tails = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
        keep = np.isfinite(w) & ~blocked[tails] & ~blocked[net.indices]
        t, h, c = tails[keep], net.indices[keep], w[keep]
        first = np.lexsort((c, h, t))  # parallel arcs: the cheapest (scipy would add them up)
        t, h, c = t[first], h[first], c[first]
        one = np.r_[True, (t[1:] != t[:-1]) | (h[1:] != h[:-1])]
        g = csr_matrix((c[one] + 1e-300, (t[one], h[one])), shape=(net.n_nodes, net.n_nodes))  # 1e-300: zero arcs stay
        on = nodes >= 0
        want = np.full(got.shape, math.inf)
        d = dijkstra(g, indices=nodes[on])
        for j in range(2):
            if nodes[j] >= 0:
                want[on, j] = d[:, nodes[j]] + off[on] + off[j]
        want[np.isin(nodes, np.flatnonzero(blocked))] = math.inf
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)
