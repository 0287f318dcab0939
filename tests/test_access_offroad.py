"""Off-road travel for vehicle classes (AccessMod's mixed mode) on a synthetic scenario with an oracle.

Party A holds lon 69.80-70.00, lat 39.90-40.10; party B the strip lon 70.00-70.10. One primary road
runs along lat 39.95 from A's regional centre (69.82) to lon 69.98. Land cover: grassland west of lon
69.90, cropland east of it, a lake (water) ring around an island, flat ground (one elevation). A
settlement 10 km north of the road has no road within 5 km: it starts off-road from its cell.

The oracle is networkx's Dijkstra on a graph the test builds from the model's documented rules with
its own pace per cell (3.6 / km/h of the cell's class on flat ground): 8-connected cells costing
the mean of the two paces times the step, road vertices joined to their cell, road arcs at 70 km/h.
"""

from __future__ import annotations

import itertools
import json
import math
import shutil
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from pyproj import CRS

from delimit.access import RoadSpeeds, build_network, travel_times
from delimit.crs import WGS84
from delimit.errors import InputError
from delimit.io.landcover import read_speed_table
from delimit.model import Party, Provenance, Scenario
from delimit.model.landcover import LandCover
from delimit.model.raster import Raster
from delimit.model.regime import BorderPolicy, CrossingRule, Regime, TravellerClass

REPO = Path(__file__).resolve().parents[1]
SPEEDS = pd.DataFrame(
    [
        {"igbp_class": 0, "label": "Water", "speed_kmh": 0.0, "slope_rule": "impassable", "source": "t"},
        {"igbp_class": 10, "label": "Grasslands", "speed_kmh": 4.86, "slope_rule": "tobler", "source": "t"},
        {"igbp_class": 12, "label": "Croplands", "speed_kmh": 2.5, "slope_rule": "tobler", "source": "t"},
    ]
)
KMH = {0: 0.0, 10: 4.86, 12: 2.5}
ISLAND = (69.86, 40.05)  # a village on an island in a lake: isolated by terrain
LAKE = shapely.box(69.84, 40.03, 69.88, 40.07)


def _class_at(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The test's own land-cover map: grass west of 69.90, crops east; the lake ring around the island."""
    cls = np.where(lon < 69.90, 10, 12)
    in_lake = (lon > 69.84) & (lon < 69.88) & (lat > 40.03) & (lat < 40.07)
    island = (np.abs(lon - ISLAND[0]) < 0.006) & (np.abs(lat - ISLAND[1]) < 0.006)
    return np.where(in_lake & ~island, 0, cls)


def _landcover() -> LandCover:
    res = 0.002
    lons = 69.79 + res * (np.arange(160) + 0.5)
    lats = 40.11 - res * (np.arange(110) + 0.5)
    lo, la = np.meshgrid(lons, lats)
    data = _class_at(lo, la).astype(np.uint8)
    raster = Raster(data, Affine(res, 0, 69.79, 0, -res, 40.11), CRS.from_epsg(4326), nodata=255, units="IGBP class")
    return LandCover(raster=raster, speeds=SPEEDS, table_path="test-speeds.csv")


def _dem() -> Raster:
    return Raster(np.full((60, 90), 500.0), Affine(0.004, 0, 69.78, 0, -0.004, 40.12), CRS.from_epsg(4326), units="m")


def _gdf(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)


def _settlement(sid: str, party: str, role: str, lon: float, lat: float) -> dict:
    geom = shapely.Point(lon, lat)
    return {
        "settlement_id": sid,
        "name": sid,
        "party": party,
        "population": 100,
        "role": role,
        "status": "registry",
        "source": "t",
        "geometry": geom,
    }


def make_scenario(regimes: list[Regime]) -> Scenario:
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
            _settlement("centre-a", "A", "regional-centre", 69.82, 39.95),
            _settlement("north", "A", "village", 69.95, 40.04),
            _settlement("island", "A", "village", *ISLAND),
            _settlement("centre-b", "B", "regional-centre", 70.05, 40.0),
            _settlement("b-east", "B", "village", 70.09, 39.92),
        ]
    )
    roads = _gdf(
        [
            {
                "road_id": "r1",
                "name": "r1",
                "road_class": "primary",
                "status": "schematic",
                "source": "t",
                "geometry": shapely.LineString([(69.82, 39.95), (69.98, 39.95)]),
            }
        ]
    )
    roads["party"] = ""
    empty = {"water_id": [], "status": []}
    water = _gdf(
        [
            {
                "water_id": "lake",
                "name": "lake",
                "kind": "lake",
                "status": "t",
                "source": "t",
                "geometry": LAKE.difference(box(69.854, 40.044, 69.866, 40.056)),
            }
        ]
    )
    return Scenario(
        name="offroad-synthetic",
        title="offroad",
        description="",
        status="illustrative",
        parties={"A": Party("A", "A"), "B": Party("B", "B")},
        territory=territory,
        settlements=settlements,
        roads=roads,
        crossings=gpd.GeoDataFrame(
            {"crossing_id": [], "parties": [], "status": []}, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84
        ),
        water_bodies=water,
        rivers=gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84),
        outline=gpd.GeoDataFrame({"party": [], "status": []}, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84),
        window=_gdf([{"name": "w", "geometry": box(69.8, 39.9, 70.1, 40.1)}]),
        traveller_classes={
            "res-a": TravellerClass(id="res-a", party="A", kind="resident", mode="vehicle"),
            "res-b": TravellerClass(id="res-b", party="B", kind="resident", mode="vehicle"),
        },
        regimes={r.id: r for r in regimes},
        default_regime=regimes[0].id,
        provenance=Provenance(scenario="offroad-synthetic"),
        elevation_loader=_dem,
        landcover_loader=_landcover,
    )


SHUT = Regime(id="shut")
OPEN = Regime(id="open", borders=[BorderPolicy(parties=("A", "B"), default=CrossingRule(open=True))])
CELL = 500.0


def _oracle(net, s: Scenario) -> tuple[dict[str, float], dict[str, float]]:
    """Minutes and off-road minutes from the A centre to every A settlement, by networkx on the test's own graph."""
    t = net.terrain
    nr, nc = t.shape
    rows, cols = np.divmod(np.arange(nr * nc), nc)
    cx, cy = t.transform.c + (cols + 0.5) * CELL, t.transform.f - (rows + 0.5) * CELL
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(net.crs, WGS84, always_xy=True).transform(cx, cy)
    lon, lat = np.asarray(lon), np.asarray(lat)
    kmh = np.vectorize(KMH.get)(_class_at(lon, lat)).astype(float)
    inside = (lon > 69.8) & (lon < 70.0) & (lat > 39.9) & (lat < 40.1)  # party A only: borders shut
    in_water = shapely.contains_xy(s.water_bodies.geometry.iloc[0], lon, lat)
    ok = inside & (kmh > 0) & ~in_water
    pace = np.where(ok, 3.6 / np.where(kmh > 0, kmh, 1), np.inf)
    g = nx.Graph()
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
        step = CELL * math.hypot(dr, dc)
        for r in range(nr - dr):
            for c in range(max(0, -dc), nc - max(0, dc)):
                a, b = r * nc + c, (r + dr) * nc + c + dc
                if ok[a] and ok[b]:
                    g.add_edge(("c", a), ("c", b), w=(pace[a] + pace[b]) / 2 * step, off=True)
    to_m = Transformer.from_crs(WGS84, net.crs, always_xy=True)
    wx, wy = to_m.transform(69.82, 39.95)
    ex, ey = to_m.transform(69.98, 39.95)
    # the road, cut into pieces of at most one cell, each point joined to the cell holding it
    length = math.hypot(ex - wx, ey - wy)
    k = math.ceil(length / CELL)
    pts = [("west", wx, wy)] + [(("r", j), wx + (ex - wx) * j / k, wy + (ey - wy) * j / k) for j in range(1, k)]
    pts.append(("east", ex, ey))
    pace_road = 3.6 / RoadSpeeds().kmh("primary", "vehicle")
    for (u, *_), (v, *_) in itertools.pairwise(pts):
        g.add_edge(u, v, w=length / k * pace_road, off=False)
    for name, x, y in pts:
        r, c = int((t.transform.f - y) // CELL), int((x - t.transform.c) // CELL)
        k_ = r * nc + c
        if ok[k_]:
            g.add_edge(name, ("c", k_), w=math.hypot(cx[k_] - x, cy[k_] - y) * pace[k_], off=True)
    dist, paths = nx.single_source_dijkstra(g, "west", weight="w")
    minutes, offroad = {}, {}
    for sid, (slon, slat) in (("north", (69.95, 40.04)),):
        x, y = to_m.transform(slon, slat)
        r, c = int((t.transform.f - y) // CELL), int((x - t.transform.c) // CELL)
        k = r * nc + c
        walk = math.hypot(cx[k] - x, cy[k] - y) * pace[k]
        path = paths[("c", k)]
        off = sum(g.edges[u, v]["w"] for u, v in itertools.pairwise(path) if g.edges[u, v]["off"])
        minutes[sid] = (dist[("c", k)] + walk) / 60.0
        offroad[sid] = (off + walk) / 60.0
    return minutes, offroad


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return make_scenario([SHUT, OPEN])


@pytest.fixture(scope="module")
def net(scenario: Scenario):
    return build_network(scenario, cell_m=CELL)


def test_mixed_mode_matches_networkx_oracle(scenario: Scenario, net) -> None:
    assert net.mode == "vehicle" and net.terrain is not None
    res = travel_times(scenario, traveller_class="res-a", regime="shut", network=net)
    row = res.rows.set_index("settlement").loc["north"]
    minutes, offroad = _oracle(net, scenario)
    assert row["reachable"] and row["target"] == "centre-a"
    assert row["minutes"] == pytest.approx(minutes["north"], rel=1e-9)
    assert row["offroad_minutes"] == pytest.approx(offroad["north"], rel=1e-9)


def test_settlement_off_the_roads_gets_a_time_and_its_offroad_share(scenario: Scenario, net) -> None:
    roads_only = build_network(scenario, offroad=False)
    before = travel_times(scenario, traveller_class="res-a", regime="shut", network=roads_only).rows.set_index(
        "settlement"
    )
    after = travel_times(scenario, traveller_class="res-a", regime="shut", network=net).rows.set_index("settlement")
    assert not before.loc["north", "reachable"] and before.loc["north", "note"] == "off the road network"
    north = after.loc["north"]
    assert north["reachable"] and 0 < north["offroad_minutes"] < north["minutes"]
    assert 0 < north["offroad_km"] < north["km"]
    # the off-road leg is at least the straight 10 km north of the road at grass/crop speed (<= 4.86 km/h)
    assert north["offroad_minutes"] >= 60 * 9.5 / 4.86
    assert after.loc["centre-a", "offroad_minutes"] == 0.0
    js = travel_times(scenario, traveller_class="res-a", regime="shut", network=net).to_json()
    rec = next(r for r in js["rows"] if r["settlement"] == "north")
    assert rec["offroad_minutes"] == pytest.approx(north["offroad_minutes"], abs=0.01) and rec["offroad_km"] > 0


def test_unreachable_settlements_say_why(scenario: Scenario, net) -> None:
    a = travel_times(scenario, traveller_class="res-a", regime="shut", network=net).rows.set_index("settlement")
    assert not a.loc["island", "reachable"]
    assert a.loc["island", "note"].startswith("isolated by terrain")
    # B's east village: its own centre is reachable across B's land off-road; shut the whole strip? no:
    b = travel_times(scenario, traveller_class="res-b", regime="shut", network=net).rows.set_index("settlement")
    assert b.loc["b-east", "reachable"] and b.loc["b-east", "offroad_minutes"] > 0


def test_closed_border_is_the_stated_reason() -> None:
    s = make_scenario([SHUT, OPEN])
    # a B enclave inside A's land with a B village and no road: it leaves only across the green border
    enclave = shapely.box(69.955, 39.905, 69.985, 39.935)
    terr = s.territory.copy()
    terr.loc[terr["party"] == "A", "geometry"] = terr.loc[terr["party"] == "A", "geometry"].difference(enclave)
    extra = {
        "part_id": "B-2",
        "party": "B",
        "name": "enclave",
        "status": "de-facto",
        "source": "t",
        "geometry": enclave,
    }
    s.territory = gpd.GeoDataFrame(pd.concat([terr, _gdf([extra])], ignore_index=True), crs=WGS84)
    s.settlements = gpd.GeoDataFrame(
        pd.concat([s.settlements, _gdf([_settlement("b-enclave", "B", "village", 69.97, 39.92)])], ignore_index=True),
        crs=WGS84,
    )
    net = build_network(s, cell_m=CELL)
    shut = travel_times(s, traveller_class="res-b", regime="shut", network=net).rows.set_index("settlement")
    opened = travel_times(s, traveller_class="res-b", regime="open", network=net).rows.set_index("settlement")
    assert not shut.loc["b-enclave", "reachable"]
    assert shut.loc["b-enclave", "note"].startswith("isolated by a closed border")
    assert opened.loc["b-enclave", "reachable"] and any(v.startswith("green:") for v in opened.loc["b-enclave", "via"])
    assert opened.loc["b-enclave", "offroad_minutes"] > 0


def _table(tmp_path: Path, rows: str) -> Path:
    p = tmp_path / "speeds.csv"
    p.write_text("igbp_class,label,speed_kmh,slope_rule,source\n" + rows, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("rows", "field", "words"),
    [
        ("10,Grass,-4,tobler,cited\n", "speed_kmh", "finite number >= 0"),
        ("23,Mystery,4,tobler,cited\n", "igbp_class", "unknown class 23"),
        ("10,Grass,4,sideways,cited\n", "slope_rule", "unknown slope rule"),
        ("10,Grass,4,tobler,\n", "source", "published source"),
    ],
)
def test_bad_speed_table_is_refused(tmp_path: Path, rows: str, field: str, words: str) -> None:
    with pytest.raises(InputError) as exc:
        read_speed_table(_table(tmp_path, rows))
    assert exc.value.field == field and words in str(exc.value)
    assert "\n" not in str(exc.value)


def test_landcover_class_missing_from_the_table_is_refused(scenario: Scenario) -> None:
    lc = _landcover()
    short = LandCover(lc.raster, SPEEDS[SPEEDS["igbp_class"] != 12].reset_index(drop=True), "short.csv")
    s = make_scenario([SHUT])
    s.landcover_loader = lambda: short
    with pytest.raises(InputError, match="class\\(es\\) 12"):
        build_network(s, cell_m=CELL)


def test_bad_speed_table_exits_2_and_writes_nothing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "fergana-copy"
    shutil.copytree(REPO / "src" / "delimit" / "data" / "fergana", data, ignore=shutil.ignore_patterns("scenarios"))
    table = data / "offroad_speeds.csv"
    if not table.exists():
        pytest.fail("the embedded dataset lacks offroad_speeds.csv (run scripts/build_fergana_data.py)")
    text = table.read_text(encoding="utf-8").replace("10,Grasslands,4.86,", "10,Grasslands,-4.86,")
    table.write_text(text, encoding="utf-8")
    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    (data / "manifest.json").write_text(json.dumps({**manifest, "vector_file": "fergana.gpkg"}), encoding="utf-8")
    parties = sorted(set(gpd.read_file(data / "fergana.gpkg", layer="territory")["party"]))
    declared = "".join(f"  - {{id: {p}, name: {p}}}\n" for p in parties)
    (tmp_path / "s.yaml").write_text(
        "schema_version: 1\nname: bad-speeds\nstatus: illustrative\ndataset: ./fergana-copy\n"
        f"parties:\n{declared}"
        "traveller_classes:\n  - {id: r, party: KGZ, kind: resident, mode: vehicle}\n"
        "regimes:\n  - {id: open}\ndefault_regime: open\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.json"
    r = cli("access", "--scenario", tmp_path / "s.yaml", "--class", "r", "--format", "json", "-o", out)
    assert r.code == 2, r.err
    lines = [ln for ln in r.err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "offroad_speeds.csv" in lines[0] and "speed_kmh" in lines[0], r.err
    assert not out.exists()


def test_embedded_data_leaves_fewer_settlements_unreachable_and_says_why() -> None:
    from delimit import load_scenario

    s = load_scenario("status-quo")
    roads_only = build_network(s, mode="vehicle", offroad=False)
    mixed = build_network(s, mode="vehicle")
    assert mixed.terrain is not None  # the embedded dataset carries land cover: off-road by default
    for cls in ("resident-kg", "citizen-tj"):
        before = travel_times(s, traveller_class=cls, regime="closed-2022", network=roads_only).rows
        after = travel_times(s, traveller_class=cls, regime="closed-2022", network=mixed).rows
        assert (~after["reachable"]).sum() < (~before["reachable"]).sum()
        lost = after.loc[~after["reachable"], "note"]
        assert lost.str.startswith(("isolated by a closed border", "isolated by terrain", "no ")).all(), lost.tolist()
        ok = after[after["reachable"]]
        assert ((ok["offroad_minutes"] >= 0) & (ok["offroad_minutes"] <= ok["minutes"] + 1e-9)).all()


def test_outputs_name_the_offroad_model(scenario: Scenario, net) -> None:
    doc = travel_times(scenario, traveller_class="res-a", regime="shut", network=net).to_json()
    off = doc["assumptions"]["offroad"]
    assert off["speed_table"] == "test-speeds.csv" and off["cell_m"] == CELL
    assert {r["igbp_class"]: r["speed_kmh"] for r in off["speeds_kmh"]} == {0: 0.0, 10: 4.86, 12: 2.5}
    assert "offroad_minutes" in doc["definitions"] and "isolated" in doc["definitions"]


def test_outputs_name_the_speed_table_without_its_folder(scenario: Scenario) -> None:
    """An output names the speed table's file, never the machine's folder it was read from."""
    from dataclasses import replace

    from delimit.access.network import _offroad_record

    lc = replace(scenario.landcover, table_path="/home/someone/data/fergana/test-speeds.csv")
    assert _offroad_record(lc, CELL)["speed_table"] == "test-speeds.csv"
