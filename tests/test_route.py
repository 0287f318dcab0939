"""``delimit route`` and :func:`delimit.access.route`: one trip between named places, or why not."""

from __future__ import annotations

import json
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


#: Published road distances (km) for checking route lengths, independent of the data:
#: Batken "approximately 240 km west of Osh" (ru.wikipedia 'Баткен', as quoted by
#: https://technerium.ru/en/podrobnaya-batken-sputnikovaya-karta-batken-samyi-molodoi-i-samyi-malenkii/) and
#: "250 km west of Osh" (A. Krotov, https://kartaslov.ru./книги/Антон_Викторович_Кротов_Ош-2007_наше_первое_киргизское_лето/12);
#: the international minibus route Fergana - Kuvasay - Kyzyl-Kiya is 39.5 km long
#: (https://yuz.uz/ru/news/uzbekistan-i-krgzstan-vnov-zapustili-dvijenie-mikroavtobusov-po-marshrutu-fergana---kuvasay---kzl-kiya).
OSH_BATKEN_KM = (240.0, 250.0)
FERGANA_KYZYL_KIYA_KM = 39.5


def test_batken_osh_under_closed_2022_runs_on_kyrgyz_land(cli) -> None:  # type: ignore[no-untyped-def]
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
    assert doc["reachable"], doc["reason"]
    assert doc["minutes"] > 0 and doc["crossings"] == [] and doc["checkpoints"] == []  # never leaves Kyrgyz land
    lo, hi = OSH_BATKEN_KM
    assert 0.85 * lo <= doc["km"] <= 1.15 * hi, doc["km"]
    assert "skeleton" in doc["data_marks"]["roads"]
    assert "OpenStreetMap" in doc["attribution"]
    _check_offroad_legs(doc)


def _check_offroad_legs(doc: dict) -> None:  # type: ignore[type-arg]
    """The trip's off-road km against the path itself, measured on the ellipsoid (pyproj Geod).

    Independent of the engine's arc lengths: a leg of the returned path is off the roads when one of
    its ends is the centre of a cell of the off-road terrain grid (recomputed here from the grid's
    transform), and the first and last legs are the walks from and to the settlements.
    """
    from delimit import load_scenario

    net = build_network(load_scenario(doc["scenario"]))
    assert net.terrain is not None
    coords = np.asarray(doc["path"]["geometry"]["coordinates"])
    assert list(coords[0]) == [doc["from"]["lon"], doc["from"]["lat"]] != list(coords[1])
    x, y = Transformer.from_crs("EPSG:4326", net.terrain.crs, always_xy=True).transform(coords[:, 0], coords[:, 1])
    rows, cols = net.terrain.cell_of(x, y)
    cx, cy = net.terrain.centre(rows, cols)
    centre = np.hypot(cx - x, cy - y) < 0.01  # metres
    off = centre[:-1] | centre[1:]
    off[0] = off[-1] = True  # the walks at both ends
    geod = Geod(ellps="WGS84")
    legs = np.array([geod.inv(*coords[k], *coords[k + 1])[2] for k in range(len(coords) - 1)])
    assert off.sum() > 2  # the trip does leave the road (on Kyrgyz land, around the Tajik and Uzbek enclaves)
    assert doc["offroad_km"] == pytest.approx(legs[off].sum() / 1000, rel=0.01)
    assert doc["km"] == pytest.approx(legs.sum() / 1000, rel=0.01)
    assert 0 < doc["offroad_minutes"] < doc["minutes"]
    assert doc["offroad_share_km"] == pytest.approx(doc["offroad_km"] / doc["km"], abs=1e-4)
    assert doc["offroad_share_minutes"] == pytest.approx(doc["offroad_minutes"] / doc["minutes"], abs=1e-4)


def test_fergana_kyzyl_kiya_length_and_checkpoint(scenario) -> None:  # type: ignore[no-untyped-def]
    s = scenario("status-quo")
    res = route(s, traveller_class="citizen-uz", origin="Fergana", destination="Kyzyl-Kyya", regime="open")
    assert res.reachable and res.checkpoints == ["cp-kyzyl-kiya"]
    assert res.km == pytest.approx(FERGANA_KYZYL_KIYA_KM, rel=0.2)


def test_route_cli_bad_names_exit_2_one_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r.json"
    for args in (("--from", "Nowhere-at-all", "--to", "Osh"), ("--from", "Batken", "--to", "Marhamat")):
        r = cli("route", "--scenario", "status-quo", "--class", "resident-kg", *args, "--format", "json", "-o", out)
        assert r.code == 2
        assert len(r.err.strip().splitlines()) == 1 and ("candidates" in r.err or "places" in r.err)
        assert not out.exists()
