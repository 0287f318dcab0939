"""The Markov chain: reproducible seeds, exact incremental bookkeeping, every state valid by an
independent checker; property tests that proposals tile the zone and conserve area."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from _propose_helpers import brick_instance
from delimit.propose import Chain, ChainSettings, CsrGraph, IndependentChecker, NodeWeights
from delimit.propose.chain_core import AB, BA, CUTLEN, CUTN, PEOPLE


def _chain(g, seed: int, **kw) -> Chain:  # type: ignore[no-untyped-def]
    s = ChainSettings(
        **{
            "p_recom": 0.3,
            "region_size": 8,
            "balance": "exchange",
            "tol": 0.3,
            "beta": 0.0,
            "record_every": 1,
            "max_records": 500,
            **kw,
        }
    )
    return Chain(g, NodeWeights.of_parcels(g), s, seed=seed)


def test_same_seed_same_states_and_different_seed_differs() -> None:
    g = brick_instance(4, 6, 0)
    runs = []
    for seed in (11, 11, 12):
        c = _chain(g, seed)
        c.run(600)
        runs.append(c.record())
    assert np.array_equal(runs[0].assign, runs[1].assign) and np.array_equal(runs[0].hashes, runs[1].hashes)
    assert not (runs[0].assign.shape == runs[2].assign.shape and np.array_equal(runs[0].assign, runs[2].assign))


def test_incremental_statistics_equal_recomputed() -> None:
    g = brick_instance(5, 6, 1)
    c = _chain(g, 3, beta=0.5, weights=(0.01, 0.001, 0.05, 1e-5), balance="none")
    for _ in range(5):
        c.run(300)
        kept = c.stats.copy()
        h = c.hash.copy()
        c._recompute_stats()
        assert np.allclose(kept, c.stats) and h[0] == c.hash[0]


def test_every_recorded_state_passes_the_independent_checker() -> None:
    g = brick_instance(4, 6, 2)
    c = _chain(g, 5)
    c.run(1500)
    rec = c.record()
    assert len(rec.assign) > 5
    checker = IndependentChecker(g)
    for a, stats in zip(rec.assign, rec.stats, strict=True):
        assert checker.violations(a, balance=0.3) == []
        moved = a != g.holder
        assert np.isclose(stats[PEOPLE], g.population[moved].sum())
        assert np.isclose(stats[AB], g.area_m2[moved & (g.holder == 0)].sum())
        assert np.isclose(stats[BA], g.area_m2[moved & (g.holder == 1)].sum())
        u, v, w, _ = g.edges()
        cut = a[u] != a[v]
        assert np.isclose(stats[CUTLEN], w[cut].sum()) and stats[CUTN] == cut.sum()


def test_whole_graph_recombination_keeps_balance_bounds_and_contiguity() -> None:
    """The GerryChain-like setting of the benchmark: two parts, no anchors, population bounds."""
    from delimit.propose.graph import csr_from_edges

    k = 12
    idx = np.arange(k * k).reshape(k, k)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    ip, ix, w = csr_from_edges(k * k, u, v, np.ones(len(u)))
    holder = (idx.ravel() % k >= k // 2).astype(np.int8)
    n = k * k
    s = ChainSettings(
        p_recom=1.0,
        region_size=0,
        balance="bounds",
        lo=n / 2 * 0.9,
        hi=n / 2 * 1.1,
        flip_balance_hard=True,
        min_part=1,
        record_every=1,
        max_records=200,
        require_exchange=False,
        max_tries=1000,
    )
    c = Chain(CsrGraph.plain(ip, ix, w, holder), NodeWeights(np.ones(n), np.zeros(n), np.ones(n)), s, seed=1)
    c.run(100)
    import networkx as nx

    grid = nx.grid_2d_graph(k, k)
    for a in c.record().assign:
        assert 0.9 * n / 2 <= (a == 1).sum() <= 1.1 * n / 2
        for p in (0, 1):
            nodes = [(i // k, i % k) for i in np.flatnonzero(a == p)]
            assert nx.is_connected(grid.subgraph(nodes))
    assert c.acceptance()["recom_accepted"] > 50


@settings(max_examples=30, deadline=None)
@given(rows=st.integers(2, 4), cols=st.integers(3, 6), seed=st.integers(0, 10_000), pop_seed=st.integers(0, 50))
def test_property_states_tile_the_zone_and_conserve_area(rows: int, cols: int, seed: int, pop_seed: int) -> None:
    g = brick_instance(rows, cols, pop_seed)
    c = _chain(g, seed, balance="none")
    c.run(200)
    rec = c.record()
    checker = IndependentChecker(g)
    geoms = g.parcels.geometry.to_numpy()
    total = g.area_m2[: g.n_parcels].sum()
    for a in rec.assign[:10]:
        assert checker.violations(a, require_exchange=False) == []
        parts = [shapely.union_all(geoms[a[: g.n_parcels] == p]) for p in (0, 1)]
        # the two parties' parcels tile the zone: no gap, no overlap
        union = shapely.union_all(parts)
        assert shapely.symmetric_difference(union, g.zone).area < 1e-12
        assert shapely.intersection(parts[0], parts[1]).area < 1e-12
        # area is conserved: what A holds plus what B holds is the zone
        held = [g.area_m2[: g.n_parcels][a[: g.n_parcels] == p].sum() for p in (0, 1)]
        assert np.isclose(sum(held), total)
        # and measured independently (reprojected per parcel): each party's land sums to the zone
        per = gpd.GeoSeries(geoms, crs=4326).to_crs(g.area_crs).area.to_numpy()
        assert np.isclose(per[a[: g.n_parcels] == 0].sum() + per[a[: g.n_parcels] == 1].sum(), total, rtol=1e-12)
        assert np.isclose(parts[0].area + parts[1].area, g.zone.area, rtol=1e-12)
