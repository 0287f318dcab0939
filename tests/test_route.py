"""``delimit route`` and :func:`delimit.access.route`: one trip between named places, or why not."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod, Transformer

from delimit.access import build_network, find_place, group_costs, route
from delimit.errors import InputError
from test_access_checkpoints import NORTH, SOUTH, make, oracle_minutes, regime

SCENARIOS = ["status-quo", "border-closed-2022", "neutral-road-2025", "tj-corridor-claim"]


def _metric_length(crs, coords: list[list[float]]) -> float:
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = tr.transform([c[0] for c in coords], [c[1] for c in coords])
    return float(np.hypot(np.diff(x), np.diff(y)).sum())


@pytest.mark.parametrize("cls_id", ["res-a", "cit-a"])
def test_route_matches_the_hand_built_oracle(cls_id: str) -> None:
    reg = regime(30.0)
    s = make([reg])
    net = build_network(s)
    r = route(s, traveller_class=cls_id, origin="A-village", destination="a-centre", regime="r", network=net)
    assert r.reachable
    assert r.minutes == pytest.approx(oracle_minutes(net.crs, reg, s.traveller_classes[cls_id]), rel=1e-6)
    coords = r.path["geometry"]["coordinates"]
    assert coords[0] == list(NORTH[0]) and coords[-1] == list(NORTH[1])
    # km is the length of the path it returns, and of the road it should take
    assert r.km * 1000 == pytest.approx(_metric_length(net.crs, coords), rel=1e-9)
    road = NORTH if cls_id == "res-a" else SOUTH
    assert r.km * 1000 == pytest.approx(_metric_length(net.crs, [list(p) for p in road]), rel=1e-9)
    if cls_id == "cit-a":
        assert r.checkpoints == ["cp-w", "cp-e"]
    else:
        assert (
            r.checkpoints == []
            and len(r.crossings) == 2
            and all(c["kind"] == "away from a checkpoint" for c in r.crossings)
        )


def test_unreachable_says_which_closed_crossings_a_route_needs() -> None:
    s = make([regime(5.0, open_=False, rid="shut")])
    net = build_network(s)
    r = route(s, traveller_class="cit-a", origin="A-village", destination="A-centre", network=net)
    assert not r.reachable and r.minutes is None and r.path is None
    g = net.groups
    border = g[(g["kind"] == "transition") & (g["party_a"] != g["party_b"])]
    named = [c for c in border["crossing_id"] if c in r.reason]
    assert named == ["unnamed:north:1", "unnamed:north:2"], r.reason  # the fastest road with the line open: north
    add, _ = group_costs(net, s.regimes["shut"], s.traveller_classes["cit-a"])
    for c in named:
        assert np.isinf(add[np.flatnonzero(g["crossing_id"].to_numpy() == c)]).all()


def test_place_names_nothing_or_several_list_candidates(scenario) -> None:  # type: ignore[no-untyped-def]
    s = scenario("status-quo")
    with pytest.raises(InputError, match="Batken") as e:
        find_place(s, "Batkn")
    assert "candidates" in str(e.value)
    names = s.settlements["name"].astype(str)
    dup = names[names.duplicated()].iloc[0]
    with pytest.raises(InputError) as e2:
        find_place(s, dup)
    ids = s.settlements.loc[names == dup, "settlement_id"].astype(str)
    assert all(i in str(e2.value) for i in ids)
    assert find_place(s, ids.iloc[0]).settlement_id == ids.iloc[0]


@pytest.mark.parametrize("scen", SCENARIOS)
def test_route_cli_on_every_bundled_scenario(cli, scen: str) -> None:  # type: ignore[no-untyped-def]
    from delimit import load_scenario

    r = cli(
        "route",
        "--scenario",
        scen,
        "--class",
        "resident-kg",
        "--from",
        "Kok-Tash",
        "--to",
        "Batken",
        "--format",
        "json",
    )
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert {"km", "minutes", "checkpoints", "path", "provenance", "attribution", "crs_description"} <= set(doc)
    assert "OpenStreetMap" in doc["attribution"]
    if doc["reachable"]:
        assert doc["minutes"] > 0 and doc["km"] > 0 and doc["path"]["geometry"]["type"] == "LineString"
        # a car trip is never faster than the straight line at the fastest road speed
        d = Geod(ellps="WGS84").inv(doc["from"]["lon"], doc["from"]["lat"], doc["to"]["lon"], doc["to"]["lat"])[2]
        net = build_network(load_scenario(scen))
        assert doc["minutes"] >= d / 1000 / max([*net.speeds.vehicle.values(), net.speeds.vehicle_other]) * 60 * 0.999
    else:
        assert doc["reason"]


def test_batken_osh_under_closed_2022_reports_the_engines_answer(cli, scenario) -> None:  # type: ignore[no-untyped-def]
    r = cli(
        "route",
        "--scenario",
        "border-closed-2022",
        "--class",
        "resident-kg",
        "--from",
        "Batken",
        "--to",
        "Osh",
        "--format",
        "json",
    )
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    s = scenario("border-closed-2022")
    net = build_network(s)
    osh = find_place(s, "Osh")
    if doc["reachable"]:
        assert math.isfinite(doc["minutes"]) and doc["checkpoints"] == []
    elif int(net.attach["node"].iloc[osh.index]) < 0:
        assert "Osh" in doc["reason"] and "off the road network" in doc["reason"]
    else:
        assert doc["reason"].startswith("no route")


def test_route_cli_bad_names_exit_2_one_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r.json"
    for args in (("--from", "Nowhere-at-all", "--to", "Osh"), ("--from", "Batken", "--to", "Marhamat")):
        r = cli("route", "--scenario", "status-quo", "--class", "resident-kg", *args, "--format", "json", "-o", out)
        assert r.code == 2
        assert len(r.err.strip().splitlines()) == 1 and ("candidates" in r.err or "places" in r.err)
        assert not out.exists()
