"""The access engine on a synthetic two-party scenario with known answers.

Party A holds lon 69.80-70.00, party B lon 70.00-70.20, except a B enclave (lon 69.94-69.96). One
road runs along lat 40.0: A's centre (69.85) - enclave village E (69.95) - border (70.00) - B's
centre (70.15). A trip from E to B's centre crosses the enclave edge (unnamed crossing, 69.96)
and the line at 70.00 (named crossing 'x-main').
"""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
import shapely
from pyproj import Transformer

from delimit.access import Closures, RoadSpeeds, build_network, compare_regimes, travel_times
from delimit.crs import WGS84
from delimit.errors import InputError
from delimit.model import Party, Provenance, Scenario
from delimit.model.regime import BorderPolicy, CrossingPolicy, CrossingRule, Regime, TransitCorridor, TravellerClass


def _gdf(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)


def make_scenario(regimes: list[Regime], roads: list[tuple[str, list[tuple[float, float]]]] | None = None) -> Scenario:
    box = shapely.box
    enclave = box(69.94, 39.9, 69.96, 40.1)
    territory = _gdf(
        [
            {
                "part_id": "A-1",
                "party": "A",
                "name": "",
                "status": "de-facto",
                "source": "test",
                "geometry": box(69.8, 39.9, 70.0, 40.1).difference(enclave),
            },
            {
                "part_id": "B-1",
                "party": "B",
                "name": "",
                "status": "de-facto",
                "source": "test",
                "geometry": box(70.0, 39.9, 70.2, 40.1),
            },
            {"part_id": "B-2", "party": "B", "name": "E", "status": "de-facto", "source": "test", "geometry": enclave},
        ]
    )
    settlements = _gdf(
        [
            {
                "settlement_id": "ca",
                "name": "A-centre",
                "party": "A",
                "population": 1000,
                "role": "regional-centre",
                "status": "registry",
                "source": "t",
                "geometry": shapely.Point(69.85, 40.0),
            },
            {
                "settlement_id": "cb",
                "name": "B-centre",
                "party": "B",
                "population": 2000,
                "role": "regional-centre",
                "status": "registry",
                "source": "t",
                "geometry": shapely.Point(70.15, 40.0),
            },
            {
                "settlement_id": "e",
                "name": "E",
                "party": "B",
                "population": 300,
                "role": "village",
                "status": "registry",
                "source": "t",
                "geometry": shapely.Point(69.95, 40.0),
            },
            {
                "settlement_id": "a2",
                "name": "A-village",
                "party": "A",
                "population": 50,
                "role": "village",
                "status": "registry",
                "source": "t",
                "geometry": shapely.Point(69.98, 40.0),
            },
        ]
    )
    road_rows = roads or [
        ("r-west", [(69.85, 40.0), (69.95, 40.0)]),
        ("r-mid", [(69.95, 40.0), (70.0, 40.0), (70.02, 40.0)]),
        ("r-east", [(70.02, 40.0), (70.15, 40.0)]),
    ]
    rd = _gdf(
        [
            {
                "road_id": rid,
                "name": rid,
                "road_class": "primary",
                "status": "schematic",
                "source": "t",
                "geometry": shapely.LineString(c),
            }
            for rid, c in road_rows
        ]
    )
    rd["party"] = ""
    crossings = _gdf(
        [
            {
                "crossing_id": "x-main",
                "name": "main",
                "parties": "A-B",
                "status": "open",
                "source": "t",
                "geometry": shapely.Point(70.0, 40.0),
            }
        ]
    )
    empty = _gdf([{"name": "w", "geometry": box(69.8, 39.9, 70.2, 40.1)}])
    classes = {
        "res-a": TravellerClass(id="res-a", party="A"),
        "res-b": TravellerClass(id="res-b", party="B"),
        "freight": TravellerClass(id="freight", kind="freight"),
    }
    return Scenario(
        name="synthetic",
        title="synthetic",
        description="",
        status="illustrative",
        parties={"A": Party("A", "A"), "B": Party("B", "B")},
        territory=territory,
        settlements=settlements,
        roads=rd,
        crossings=crossings,
        water_bodies=_gdf([]).set_geometry(gpd.GeoSeries([], crs=WGS84))
        if False
        else gpd.GeoDataFrame({"water_id": [], "status": []}, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84),
        rivers=gpd.GeoDataFrame({"water_id": [], "status": []}, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84),
        outline=gpd.GeoDataFrame({"party": [], "status": []}, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84),
        window=empty,
        traveller_classes=classes,
        regimes={r.id: r for r in regimes},
        default_regime=regimes[0].id,
        provenance=Provenance(scenario="synthetic"),
    )


OPEN = Regime(
    id="open",
    default_crossing=CrossingRule(open=False),
    borders=[BorderPolicy(parties=("A", "B"), default=CrossingRule(open=True, delay_minutes=5))],
    crossings=[CrossingPolicy(crossing="x-main", default=CrossingRule(open=True, delay_minutes=10))],
)
SHUT = Regime(id="shut")


def _metres(net, lon0: float, lon1: float) -> float:
    tr = Transformer.from_crs("EPSG:4326", net.crs, always_xy=True)
    x0, y0 = tr.transform(lon0, 40.0)
    x1, y1 = tr.transform(lon1, 40.0)
    return math.hypot(x1 - x0, y1 - y0)


def _row(res, name: str):
    return res.rows.set_index("settlement").loc[name]


def test_known_answer_with_crossing_delays() -> None:
    s = make_scenario([OPEN, SHUT])
    net = build_network(s)
    res = travel_times(s, traveller_class="res-b", regime="open", network=net)
    e = _row(res, "E")
    speed = RoadSpeeds().kmh("primary", "vehicle")
    # 10 minutes at the checkpoint x-main; the enclave edge is no checkpoint: open to residents, no delay
    expected = _metres(net, 69.95, 70.15) * 3.6 / speed / 60.0 + 10
    assert e["reachable"]
    assert e["target"] == "B-centre"
    assert e["minutes"] == pytest.approx(expected, rel=1e-6)
    assert e["km"] == pytest.approx(_metres(net, 69.95, 70.15) / 1000, rel=1e-6)
    assert e["via"] == [e["via"][0], "x-main"] and e["via"][0].startswith("unnamed:")
    # the named crossing was matched; the enclave edges are unnamed crossings
    g = net.groups[net.groups["kind"] == "transition"]
    assert set(g["crossing_id"]) >= {"x-main"}
    assert int(g["named"].sum()) == 1


def test_closed_regime_keeps_each_class_on_its_own_land() -> None:
    s = make_scenario([SHUT, OPEN])
    res = travel_times(s, traveller_class="res-b", regime="shut")
    e = _row(res, "E")
    assert not e["reachable"] and e["note"].startswith("isolated by a closed border")
    assert _row(res, "B-centre")["minutes"] == 0.0
    a = travel_times(s, traveller_class="res-a", regime="shut")
    # A's only road to its east passes through the B enclave: closed borders cut A's village off too
    assert not _row(a, "A-village")["reachable"]
    assert _row(a, "A-centre")["reachable"]


def test_closing_the_named_crossing_cuts_off_and_compare_counts_people() -> None:
    closed = Regime(id="x-closed", borders=OPEN.borders, crossings=OPEN.crossings, closed_crossings=["x-main"])
    s = make_scenario([OPEN, closed])
    cmp = compare_regimes(s, "open", "x-closed", traveller_class="res-b")
    assert cmp.totals["people_cut_off"] == 300
    assert cmp.totals["settlements_cut_off"] == 1
    assert cmp.totals["person_hours_added"] == 0.0
    row = cmp.rows.set_index("settlement").loc["E"]
    assert bool(row["cut_off"]) and math.isnan(row["minutes_b"])


def test_person_hours_added_is_population_times_added_hours() -> None:
    slow = Regime(
        id="slow",
        borders=[BorderPolicy(parties=("A", "B"), default=CrossingRule(open=True, delay_minutes=5))],
        crossings=[CrossingPolicy(crossing="x-main", default=CrossingRule(open=True, delay_minutes=70))],
    )
    s = make_scenario([OPEN, slow])
    cmp = compare_regimes(s, "open", "slow", traveller_class="res-b")
    assert cmp.totals["person_hours_added"] == pytest.approx(300 * 60 / 60.0)
    assert cmp.rows.set_index("settlement").loc["E", "delta_minutes"] == pytest.approx(60.0)


def test_neutral_road_needs_no_crossing() -> None:
    neutral = Regime(id="neutral", neutral_roads=["r-mid"])
    s = make_scenario([neutral])
    net = build_network(s)
    e = _row(travel_times(s, traveller_class="res-b", regime="neutral", network=net), "E")
    speed = RoadSpeeds().kmh("primary", "vehicle")
    assert e["reachable"]
    assert e["minutes"] == pytest.approx(_metres(net, 69.95, 70.15) * 3.6 / speed / 60.0, rel=1e-6)


def test_free_transit_only_for_listed_classes() -> None:
    free = Regime(id="free", transit=[TransitCorridor(id="t", roads=["r-mid"], classes=["res-b"], kind="free")])
    s = make_scenario([free])
    assert _row(travel_times(s, traveller_class="res-b", regime="free"), "E")["reachable"]
    fr = travel_times(s, traveller_class="freight", regime="free")
    assert not _row(fr, "E")["reachable"]


def test_sealed_transit_end_to_end_within_time_limit() -> None:
    # the sealed corridor is r-mid plus a stub so that the enclave village is not on it
    roads = [
        ("r-west", [(69.85, 40.0), (69.95, 40.0)]),
        ("r-stub", [(69.95, 40.0), (69.955, 40.0)]),
        ("r-mid", [(69.955, 40.0), (70.0, 40.0), (70.02, 40.0)]),
        ("r-east", [(70.02, 40.0), (70.15, 40.0)]),
    ]
    ok = Regime(
        id="sealed-ok",
        transit=[TransitCorridor(id="t", roads=["r-mid"], classes=["res-b"], kind="sealed", max_minutes=30)],
    )
    tight = Regime(
        id="sealed-tight",
        transit=[TransitCorridor(id="t", roads=["r-mid"], classes=["res-b"], kind="sealed", max_minutes=0.5)],
    )
    s = make_scenario([ok, tight], roads=roads)
    net = build_network(s)
    e = _row(travel_times(s, traveller_class="res-b", regime="sealed-ok", network=net), "E")
    speed = RoadSpeeds().kmh("primary", "vehicle")
    assert e["reachable"]
    assert e["minutes"] == pytest.approx(_metres(net, 69.95, 70.15) * 3.6 / speed / 60.0, rel=1e-6)
    assert e["via"] == ["transit:t"]
    assert not _row(travel_times(s, traveller_class="res-b", regime="sealed-tight", network=net), "E")["reachable"]
    # the A village on the corridor cannot use it to stop part-way (it is not a listed class anyway)
    assert not _row(travel_times(s, traveller_class="freight", regime="sealed-ok", network=net), "E")["reachable"]


def test_closures_block_junctions_roads_and_crossings() -> None:
    s = make_scenario([OPEN])
    net = build_network(s)
    for c in (Closures(crossings=("x-main",)), Closures(roads=("r-east",))):
        assert not _row(travel_times(s, traveller_class="res-b", regime="open", network=net, closures=c), "E")[
            "reachable"
        ]
    with pytest.raises(InputError):
        travel_times(s, traveller_class="res-b", regime="open", network=net, blocked_roads=["no-such-road"])


def test_targets_kinds_and_user_layer() -> None:
    s = make_scenario([OPEN])
    cap = travel_times(s, traveller_class="res-a", regime="open", targets="capital")
    assert not cap.rows["reachable"].any()
    assert cap.rows["note"].str.contains("no capital of A").all()
    town = travel_times(s, traveller_class="res-a", regime="open", targets="town:100")
    assert set(town.rows["target"]) <= {"A-centre", "B-centre"}
    pts = gpd.GeoDataFrame({"name": ["market"]}, geometry=[shapely.Point(69.98, 40.0)], crs=WGS84)
    user = travel_times(s, traveller_class="res-a", regime="open", targets=pts)
    assert set(user.rows["target"]) == {"market"}
    assert _row(user, "A-village")["minutes"] == pytest.approx(0.0, abs=0.05)  # snapped to the road node
    with pytest.raises(InputError):
        travel_times(s, traveller_class="res-a", regime="open", targets="harbour")


def test_json_contract_has_provenance_marks_and_definitions() -> None:
    s = make_scenario([OPEN])
    doc = travel_times(s, traveller_class="res-b", regime="open").to_json()
    assert {
        "scenario",
        "regime",
        "class",
        "targets",
        "rows",
        "provenance",
        "data_marks",
        "crs_description",
        "definitions",
    } <= set(doc)
    assert doc["data_marks"]["roads"] == ["schematic"]
    assert {"settlement", "party", "population", "target", "minutes", "km", "reachable"} <= set(doc["rows"][0])
    assert "person_hours_added" in doc["definitions"]
    assert "UTM" in doc["crs_description"]
