"""The exact method (HiGHS) against brute-force enumeration on tiny instances, checked independently."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from _propose_helpers import brick_instance
from delimit.propose import IndependentChecker, Weights, evaluate, solve_exact
from delimit.propose.objectives import score


def _mip(g, weights, balance, k, pins=None, min_exchange_m2=0.0):  # type: ignore[no-untyped-def]
    u, v, w, _ = g.edges()
    pins = np.full(g.n_nodes, -1, dtype=np.int8) if pins is None else pins
    return solve_exact(
        holder=g.holder,
        is_anchor=g.is_anchor,
        anchor_group=g.anchor_group,
        pins=pins,
        edges_u=u,
        edges_v=v,
        edge_len_m=w,
        area_m2=g.area_m2,
        population=g.population,
        weights=weights.chain_vector(),
        balance=balance,
        check_party=(True, True),
        k=k,
        min_exchange_m2=min_exchange_m2,
    )


def _brute(g, weights, balance, pins=None, min_exchange_m2=0.0):  # type: ignore[no-untyped-def]
    """Every assignment of the free parcels, kept when the independent checker passes it."""
    checker = IndependentChecker(g)
    base_cut = int(evaluate(g, g.holder, with_geometry=False)["cut_edges"])
    free = [i for i in range(g.n_parcels) if pins is None or pins[i] < 0]
    out = []
    for bits in itertools.product((0, 1), repeat=len(free)):
        a = g.holder.copy()
        if pins is not None:
            a[: len(pins)] = np.where(pins >= 0, pins, a[: len(pins)])
        a[free] = bits
        p = None if pins is None else pins[: g.n_parcels]
        if checker.violations(a, balance=balance, pins=p, min_exchange_m2=min_exchange_m2):
            continue
        out.append((score(evaluate(g, a, with_geometry=False), weights, base_cut), a))
    out.sort(key=lambda t: t[0])
    return out


@pytest.mark.parametrize(("rows", "cols", "seed", "balance"), [(2, 4, 0, 0.3), (3, 4, 1, 0.25), (2, 5, 2, None)])
def test_exact_matches_brute_force(rows: int, cols: int, seed: int, balance: float | None) -> None:
    g = brick_instance(rows, cols, seed)
    weights = Weights(people=0.01, length_km=1.0, turning=0.05, imbalance_km2=5.0)
    brute = _brute(g, weights, balance)
    assert brute, "the instance must have feasible swaps"
    k = min(5, len(brute))
    res = _mip(g, weights, balance, k)
    assert res.status == "optimal"
    checker = IndependentChecker(g)
    base_cut = int(evaluate(g, g.holder, with_geometry=False)["cut_edges"])
    got = [score(evaluate(g, a, with_geometry=False), weights, base_cut) for a in res.assignments]
    want = [s for s, _ in brute[:k]]
    assert np.allclose(got, want, rtol=1e-7, atol=1e-7)
    # the model's own objective equals the recomputed one up to a constant
    offsets = np.array(res.objectives) - np.array(got)
    assert np.allclose(offsets, offsets[0], atol=1e-6)
    for a in res.assignments:
        assert checker.violations(a, balance=balance) == []
    # distinct solutions
    assert len({a.tobytes() for a in res.assignments}) == len(res.assignments)


def test_exact_respects_pins_and_minimum_exchange() -> None:
    g = brick_instance(3, 4, 3)
    weights = Weights()
    pins = np.full(g.n_nodes, -1, dtype=np.int8)
    pins[1] = 0  # parcel on A's side next to the line stays with A
    pins[6] = 1
    m = float(np.sort(g.area_m2[: g.n_parcels])[0]) * 1.5
    brute = _brute(g, weights, 0.3, pins=pins, min_exchange_m2=m)
    res = _mip(g, weights, 0.3, 3, pins=pins, min_exchange_m2=m)
    base_cut = int(evaluate(g, g.holder, with_geometry=False)["cut_edges"])
    got = [score(evaluate(g, a, with_geometry=False), weights, base_cut) for a in res.assignments]
    assert np.allclose(got, [s for s, _ in brute[:3]], atol=1e-7)
    for a in res.assignments:
        assert a[1] == 0 and a[6] == 1


def test_exact_infeasible_reports_status() -> None:
    g = brick_instance(2, 2, 0)
    res = _mip(g, Weights(), 0.0, 1, min_exchange_m2=1e12)
    assert res.assignments == [] and res.status != "optimal"


def test_pareto_mask_matches_definition() -> None:
    from delimit.propose.engine import _pareto

    rng = np.random.default_rng(4)
    pts = rng.integers(0, 6, size=(60, 3)).astype(float)
    mask = _pareto(pts)
    for i, p in enumerate(pts):
        dominated = any(np.all(q <= p) and np.any(q < p) for q in pts)
        assert mask[i] == (not dominated)


def test_chain_never_beats_the_exact_optimum() -> None:
    from delimit.propose import Chain, ChainSettings, NodeWeights

    g = brick_instance(3, 5, 7)
    weights = Weights()
    res = _mip(g, weights, 0.3, 1)
    base_cut = int(evaluate(g, g.holder, with_geometry=False)["cut_edges"])
    best = score(evaluate(g, res.assignments[0], with_geometry=False), weights, base_cut)
    s = ChainSettings(
        p_recom=0.2, region_size=6, tol=0.3, weights=weights.chain_vector(), beta=0.5, record_every=1, max_records=3000
    )
    c = Chain(g, NodeWeights.of_parcels(g), s, seed=9)
    c.run(4000)
    rec = c.record()
    assert len(rec.assign)
    found = min(score(evaluate(g, a, with_geometry=False), weights, base_cut) for a in rec.assign)
    assert found >= best - 1e-9
