"""Delays are charged at checkpoints only; crossings away from them are open or closed, never delayed.

Synthetic layout: party A holds lon 69.80-70.00 and 70.10-70.20, party B the strip 70.00-70.10
between them. A's village (69.85, 40.05) and A's centre (70.15, 40.05) are joined by

* a north road straight along lat 40.05, crossing the B strip twice with no checkpoint, and
* a south road (69.85, 40.05) - (69.85, 39.95) - (70.15, 39.95) - (70.15, 40.05) through the
  checkpoints ``cp-w`` (70.00, 39.95) and ``cp-e`` (70.10, 39.95).

The oracle is a networkx graph built by hand from those coordinates (checkpoints split into two
nodes joined by their delay), not from the engine's network.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import pytest
import shapely
from pyproj import Transformer

from delimit.access import RoadSpeeds, build_network, travel_times
from delimit.crs import WGS84
from delimit.model import Party, Provenance, Scenario
from delimit.model.regime import BorderPolicy, CrossingPolicy, CrossingRule, Regime, TravellerClass


def _gdf(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)


def _empty(cols: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: [] for c in cols}, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)


NORTH = [(69.85, 40.05), (70.15, 40.05)]
SOUTH = [(69.85, 40.05), (69.85, 39.95), (70.15, 39.95), (70.15, 40.05)]


def regime(border_delay: float, cp_w_delay: float = 10.0, open_: bool = True, rid: str = "r") -> Regime:
    """Border A-B open (or not) to both classes at ``border_delay``; cp-w has its own delay."""
    return Regime(
        id=rid,
        borders=[BorderPolicy(parties=("A", "B"), default=CrossingRule(open=open_, delay_minutes=border_delay))],
        crossings=[CrossingPolicy(crossing="cp-w", default=CrossingRule(open=open_, delay_minutes=cp_w_delay))],
    )


def make(regimes: list[Regime], south: list[tuple[float, float]] | None = None) -> Scenario:
    box = shapely.box
    territory = _gdf(
        [
            {
                "part_id": "A-1",
                "party": "A",
                "name": "",
                "status": "de-facto",
                "source": "t",
                "geometry": box(69.8, 39.9, 70.0, 40.1),
            },
            {
                "part_id": "A-2",
                "party": "A",
                "name": "",
                "status": "de-facto",
                "source": "t",
                "geometry": box(70.1, 39.9, 70.2, 40.1),
            },
            {
                "part_id": "B-1",
                "party": "B",
                "name": "",
                "status": "de-facto",
                "source": "t",
                "geometry": box(70.0, 39.9, 70.1, 40.1),
            },
        ]
    )
    settlements = _gdf(
        [
            {
                "settlement_id": "av",
                "name": "A-village",
                "party": "A",
                "population": 400,
                "role": "village",
                "status": "registry",
                "source": "t",
                "geometry": shapely.Point(*NORTH[0]),
            },
            {
                "settlement_id": "ac",
                "name": "A-centre",
                "party": "A",
                "population": 5000,
                "role": "regional-centre",
                "status": "registry",
                "source": "t",
                "geometry": shapely.Point(*NORTH[1]),
            },
            {
                "settlement_id": "bc",
                "name": "B-centre",
                "party": "B",
                "population": 3000,
                "role": "regional-centre",
                "status": "registry",
                "source": "t",
                "geometry": shapely.Point(70.05, 40.0),
            },
        ]
    )
    roads = _gdf(
        [
            {
                "road_id": rid,
                "name": rid,
                "road_class": "primary",
                "status": "t",
                "source": "t",
                "geometry": shapely.LineString(c),
            }
            for rid, c in (("north", NORTH), ("south", south or SOUTH), ("b-spur", [(70.05, 39.95), (70.05, 40.0)]))
        ]
    )
    roads["party"] = ""
    crossings = _gdf(
        [
            {
                "crossing_id": cid,
                "name": cid,
                "parties": "A-B",
                "status": "open",
                "source": "t",
                "geometry": shapely.Point(x, 39.95),
            }
            for cid, x in (("cp-w", 70.0), ("cp-e", 70.1))
        ]
    )
    classes = {
        "res-a": TravellerClass(id="res-a", party="A", kind="resident"),
        "cit-a": TravellerClass(id="cit-a", party="A", kind="citizen"),
    }
    return Scenario(
        name="checkpoints",
        title="checkpoints",
        description="",
        status="illustrative",
        parties={"A": Party("A", "A"), "B": Party("B", "B")},
        territory=territory,
        settlements=settlements,
        roads=roads,
        crossings=crossings,
        water_bodies=_empty(["water_id", "status"]),
        rivers=_empty(["water_id", "status"]),
        outline=_empty(["party", "status"]),
        window=_gdf([{"name": "w", "geometry": box(69.8, 39.9, 70.2, 40.1)}]),
        traveller_classes=classes,
        regimes={r.id: r for r in regimes},
        default_regime=regimes[0].id,
        provenance=Provenance(scenario="checkpoints"),
    )


def oracle_minutes(net_crs, reg: Regime, cls: TravellerClass) -> float:
    """Fastest A-village -> A-centre by hand: a networkx graph of the two roads' points."""
    tr = Transformer.from_crs("EPSG:4326", net_crs, always_xy=True)
    kmh = RoadSpeeds().kmh("primary", "vehicle")

    def secs(p: tuple[float, float], q: tuple[float, float]) -> float:
        (x0, x1), (y0, y1) = tr.transform([p[0], q[0]], [p[1], q[1]])
        return float(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5) * 3.6 / kmh

    g = nx.Graph()
    # the north road: its two crossings of the line are not checkpoints - open (no delay) to residents only
    if cls.kind == "resident" and reg.rule(None, cls.id, ("A", "B")).open:
        g.add_edge(NORTH[0], NORTH[1], weight=secs(*NORTH))
    # the south road: each checkpoint is two nodes joined by its delay (closed: no edge)
    cps = {"cp-w": (70.0, 39.95), "cp-e": (70.1, 39.95)}
    g.add_edge(SOUTH[0], SOUTH[1], weight=secs(SOUTH[0], SOUTH[1]))
    g.add_edge(SOUTH[1], ("cp-w", 0), weight=secs(SOUTH[1], cps["cp-w"]))
    g.add_edge(("cp-w", 1), ("cp-e", 0), weight=secs(cps["cp-w"], cps["cp-e"]))
    g.add_edge(("cp-e", 1), SOUTH[2], weight=secs(cps["cp-e"], SOUTH[2]))
    g.add_edge(SOUTH[2], SOUTH[3], weight=secs(SOUTH[2], SOUTH[3]))
    for cid in cps:
        r = reg.rule(cid, cls.id, ("A", "B"))
        if r.open:
            g.add_edge((cid, 0), (cid, 1), weight=r.delay_minutes * 60.0)
    try:
        return nx.shortest_path_length(g, NORTH[0], NORTH[1], weight="weight") / 60.0
    except nx.NetworkXNoPath:
        return float("inf")


def _village(res):  # type: ignore[no-untyped-def]
    return res.rows.set_index("settlement").loc["A-village"]


@pytest.mark.parametrize("border_delay", [5.0, 30.0, 300.0])
@pytest.mark.parametrize("cls_id", ["res-a", "cit-a"])
def test_minutes_match_the_networkx_oracle(border_delay: float, cls_id: str) -> None:
    reg = regime(border_delay)
    s = make([reg])
    net = build_network(s)
    row = _village(travel_times(s, traveller_class=cls_id, regime="r", network=net))
    expected = oracle_minutes(net.crs, reg, s.traveller_classes[cls_id])
    assert row["reachable"]
    assert row["minutes"] == pytest.approx(expected, rel=1e-6)


def test_resident_crosses_away_from_checkpoints_without_delay() -> None:
    s = make([regime(30.0), regime(600.0, 600.0, rid="slow")])
    net = build_network(s)
    fast = _village(travel_times(s, traveller_class="res-a", regime="r", network=net))
    slow = _village(travel_times(s, traveller_class="res-a", regime="slow", network=net))
    # two geometric crossings of the line on the north road, neither a checkpoint: no delay at either
    assert fast["minutes"] == pytest.approx(slow["minutes"], rel=1e-9)
    assert len(fast["via"]) == 2 and not any(v.startswith("cp-") for v in fast["via"])
    g = net.groups[(net.groups["kind"] == "transition") & (net.groups["party_a"] != net.groups["party_b"])]
    assert set(g.loc[g["checkpoint"], "crossing_id"]) == {"cp-w", "cp-e"}
    assert set(g.loc[~g["checkpoint"], "road_id"]) == {"north"}


def test_citizen_is_charged_once_per_checkpoint() -> None:
    s = make([regime(30.0), regime(90.0, rid="r90")])
    net = build_network(s)
    a = _village(travel_times(s, traveller_class="cit-a", regime="r", network=net))
    b = _village(travel_times(s, traveller_class="cit-a", regime="r90", network=net))
    assert a["via"] == ["cp-w", "cp-e"]
    # raising the border delay by 60 minutes adds 60 minutes once: only cp-e takes the border's delay
    assert b["minutes"] - a["minutes"] == pytest.approx(60.0, rel=1e-9)


def test_a_road_wiggling_across_the_line_at_a_post_is_charged_once() -> None:
    """The south road meets the line three times within 30 m of cp-w: one delay, not three."""
    wiggle = [
        SOUTH[0],
        SOUTH[1],
        (69.9997, 39.95),
        (70.0002, 39.9501),
        (69.9998, 39.9502),
        (70.0003, 39.9503),
        (70.0006, 39.95),
        SOUTH[2],
        SOUTH[3],
    ]
    s = make([regime(30.0, cp_w_delay=45.0)], south=wiggle)
    net = build_network(s)
    g = net.groups[(net.groups["kind"] == "transition") & (net.groups["crossing_id"] == "cp-w")]
    assert len(set(g["vertex"])) == 3 and int(g["checkpoint"].sum()) == 1 and int(g["at_post"].sum()) == 2
    row = _village(travel_times(s, traveller_class="cit-a", regime="r", network=net))
    tr = Transformer.from_crs("EPSG:4326", net.crs, always_xy=True)
    x, y = tr.transform([p[0] for p in wiggle], [p[1] for p in wiggle])
    drive_min = (
        sum(((x[i + 1] - x[i]) ** 2 + (y[i + 1] - y[i]) ** 2) ** 0.5 for i in range(len(x) - 1))
        * 3.6
        / RoadSpeeds().kmh("primary", "vehicle")
        / 60.0
    )
    assert row["via"] == ["cp-w", "cp-e"]
    assert row["minutes"] == pytest.approx(drive_min + 45.0 + 30.0, rel=1e-6)


def test_closed_regime_closes_crossings_away_from_checkpoints_too() -> None:
    s = make([regime(5.0, open_=False, rid="shut")])
    for cls in ("res-a", "cit-a"):
        assert not _village(travel_times(s, traveller_class=cls, regime="shut"))["reachable"]


def test_bundled_status_quo_charges_no_delay_at_schematic_crossings(scenario) -> None:  # type: ignore[no-untyped-def]
    """The embedded crossings are schematic road/line intersections, not posts: the issue's
    Kok-Tash -> Batken went from 95 to 484 minutes when the resident delay rose from 5 to 60."""
    s = scenario("status-quo")
    net = build_network(s)
    base = s.regimes["open"]
    kg = base.borders[0]
    slow_cls = {k: v.model_copy(update={"delay_minutes": 60.0}) for k, v in kg.classes.items()}
    slow = base.model_copy(
        update={"id": "slow", "borders": [kg.model_copy(update={"classes": slow_cls}), *base.borders[1:]]}
    )
    from delimit.scenario.loader import copy_scenario

    s2 = copy_scenario(s, regimes={**s.regimes, "slow": slow})
    a = travel_times(s2, traveller_class="resident-kg", regime="open", network=net).rows.set_index("settlement")
    b = travel_times(s2, traveller_class="resident-kg", regime="slow", network=net).rows.set_index("settlement")
    assert a.loc["Kok-Tash", "reachable"]
    assert any(a["via"].map(len) > 0)  # some resident trips do cross the line...
    assert (a["reachable"] == b["reachable"]).all()
    # ...and a trip through no checkpoint is charged no delay: its fastest route costs the same under 'slow'
    cps = set(s.crossings["crossing_id"])
    away = a["reachable"].to_numpy(bool) & ~a["via"].map(lambda v: bool(set(v) & cps)).to_numpy(bool)
    assert away.sum() > 0
    assert a["minutes"].to_numpy(float)[away] == pytest.approx(b["minutes"].to_numpy(float)[away], rel=1e-9)
    assert a.loc["Kok-Tash", "minutes"] == pytest.approx(b.loc["Kok-Tash", "minutes"], rel=1e-9)


def test_bundled_crossings_are_cited_checkpoints_only(scenario) -> None:  # type: ignore[no-untyped-def]
    cr = scenario("status-quo").crossings
    assert len(cr) >= 2
    assert set(cr["kind"]) == {"checkpoint"} and set(cr["status"]) == {"cited"}
    for src, published in zip(cr["source"], cr["published_status"], strict=True):
        assert "https://" in src and "https://" in published  # place and status each cite a page
    assert "cp-kyzyl-bel" in set(cr["crossing_id"])


def test_kyzyl_bel_is_on_the_batken_isfara_road_and_charged_once(scenario) -> None:  # type: ignore[no-untyped-def]
    """Published: the Kyzyl-Bel (KG) - Guliston (TJ) checkpoint is the crossing of the Batken - Isfara road
    (https://passportparty.ch/2017/07/13/border-17-kyrgyzstan-tajikistan-batken-isfara-confusing-ferghana-borders/).
    A Kyrgyz citizen (checkpoints only) from Batken to Isfara must pass it, and is charged its delay once."""
    from delimit.access import route
    from delimit.scenario.loader import copy_scenario

    s = scenario("status-quo")
    net = build_network(s)
    base = s.regimes["open"]
    kg = base.borders[0]
    assert set(kg.parties) == {"KGZ", "TJK"}
    variants = {}
    for delay in (0.0, 45.0):
        cls = {k: v.model_copy(update={"delay_minutes": delay}) for k, v in kg.classes.items()}
        variants[f"d{delay:g}"] = base.model_copy(
            update={"id": f"d{delay:g}", "borders": [kg.model_copy(update={"classes": cls}), *base.borders[1:]]}
        )
    s2 = copy_scenario(s, regimes={**s.regimes, **variants})
    r0, r45 = (
        route(s2, traveller_class="citizen-kg", origin="Batken", destination="Isfara", regime=r, network=net)
        for r in ("d0", "d45")
    )
    assert r0.reachable and r0.checkpoints == ["cp-kyzyl-bel"] == r45.checkpoints
    assert r45.minutes == pytest.approx(r0.minutes + 45.0, abs=1e-6)  # once, not per meeting with the line


def test_a_wiggle_at_a_post_is_one_chokepoint_and_one_route_checkpoint() -> None:
    from delimit.access import chokepoints, route

    wiggle = [
        SOUTH[0],
        SOUTH[1],
        (69.9997, 39.95),
        (70.0002, 39.9501),
        (69.9998, 39.9502),
        (70.0003, 39.9503),
        (70.0006, 39.95),
        SOUTH[2],
        SOUTH[3],
    ]
    s = make([regime(30.0)], south=wiggle)
    net = build_network(s)
    r = route(s, traveller_class="cit-a", origin="A-village", destination="A-centre", regime="r", network=net)
    assert r.checkpoints == ["cp-w", "cp-e"]
    rows = chokepoints(s, regime="r", traveller_class="cit-a", top=20, network=net).rows
    listed = set(rows["id"]) | {x for same in rows["same_cut"] for x in same}  # points in series share one row
    assert "cp-w" in listed and "line:south" not in listed
