"""Re-solving with closures on top of a solved run equals solving from scratch.

The chokepoints engine re-solves only the nodes whose fastest route a closure cuts
(:func:`resolve_on_tree`, on top of :func:`resolve_minutes`, which re-solves whole target groups) and
compares arrays instead of rows (``_blocked_totals``). The oracle is the full path: :func:`compute`
with the closures, then :func:`compare_rows` - every figure must be the same, bit for bit. Run on
the default network (roads joined to off-road travel) and on the roads alone.
"""

from __future__ import annotations

import numpy as np
import pytest

from delimit.access import build_network
from delimit.access.chokepoints import _BaseView, _blocked_totals, chokepoints, default_classes, resolve_on_tree
from delimit.access.rules import Closures
from delimit.access.targets import resolve_targets
from delimit.access.travel import compare_rows, compute, resolve_minutes


def _closures(s, net, regime: str) -> list[Closures]:  # type: ignore[no-untyped-def]
    """Nothing blocked; a junction, a road segment, a whole road and a crossing of the line of the
    network; and the engine's top three chokepoints (points whose blocking does change something)."""
    g = net.groups
    seg = g[g["kind"] == "segment"]
    cross = g[(g["kind"] == "transition") & (g["party_a"] != g["party_b"])]
    busiest = net.vertices.sort_values(["degree", "vertex_id"], ascending=[False, True])["vertex_id"].iloc[0]
    return [
        Closures(),
        Closures(junctions=(str(busiest),)),
        Closures(segments=(str(seg["segment"].iloc[len(seg) // 2]),)),
        Closures(roads=(str(seg["road_id"].iloc[0]),)),
        Closures(crossings=(str(cross["crossing_id"].iloc[0]),)),
    ] + [_as_closures(r) for r in chokepoints(s, regime=regime, top=3, network=net).rows.to_dict("records")]


def _as_closures(row: dict) -> Closures:  # type: ignore[type-arg]
    if row["kind"] == "junction":
        return Closures(junctions=(row["id"],))
    if row["kind"] == "road":
        return Closures(segments=(row["segment"],))
    return Closures(crossings=tuple(row["members"]))


@pytest.mark.parametrize(("regime", "offroad"), [("open", None), ("closed-2022", None), ("open", False)])
def test_resolving_closures_equals_solving_from_scratch(scenario, regime: str, offroad: bool | None) -> None:  # type: ignore[no-untyped-def]
    s = scenario("status-quo")
    net = build_network(s, mode="vehicle", offroad=offroad)  # None: the engine's default (off-road travel)
    assert bool(net.offroad) == (offroad is None)
    tset = resolve_targets(s, "regional-centre")
    closures = _closures(s, net, regime)
    checked = 0
    for cls in default_classes(s):
        base, run = compute(s, net, regime, cls, tset, with_routes=False)
        view = _BaseView.of(base)
        assert view.order is not None  # bundled settlement ids are unique: the array path is taken
        for c in closures:
            full, _ = compute(s, net, regime, cls, tset, c, with_routes=False)
            for resolve in (resolve_minutes, resolve_on_tree):
                reach, minutes = resolve(s, run, base, regime, cls, c)
                assert np.array_equal(reach, full["reachable"].to_numpy(bool)), resolve
                assert np.array_equal(minutes, full["minutes"].to_numpy(float)), resolve
            crow, tot = compare_rows(base, full)
            fast, names = _blocked_totals(s, run, view, regime, cls, c, net, tset)
            for k, v in fast.items():
                assert v == tot[k], (cls, c, k)
            assert names == crow.loc[crow["cut_off"], "settlement"].astype(str).tolist()
            checked += int(tot["settlements_cut_off"] > 0 or tot["person_hours_added"] != 0)
    assert checked > 0  # some closure did change something: the comparison is not between empty results
