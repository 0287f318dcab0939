"""Impact engine: synthetic scenarios with known answers, a tiling property, and real bundled data."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import LineString, Point, box

from delimit.crs import WGS84
from delimit.errors import InputError
from delimit.impact import (
    NO_PARTY,
    UnitCosts,
    compare,
    estimate_costs,
    land_changes,
    people_changes,
    unit_costs_from_document,
)
from delimit.impact.features import feature_changes
from delimit.model import Party, Provenance, Scenario, assign_party, empty_layer
from delimit.model.regime import Regime, TravellerClass

GEOD = Geod(ellps="WGS84")

# A 0.2 x 0.1 degree rectangle near Vorukh split down lon 70.1 between parties AAA (west) and BBB (east).
WEST = box(70.0, 40.0, 70.1, 40.1)
EAST = box(70.1, 40.0, 70.2, 40.1)
# The swap: S1 (west, to BBB) and its mirror image S2 (east, to AAA): equal areas by symmetry.
S1 = box(70.08, 40.0, 70.1, 40.02)
S2 = box(70.1, 40.0, 70.12, 40.02)


def geodesic_km2(g: shapely.Geometry) -> float:
    return abs(GEOD.geometry_area_perimeter(g)[0]) / 1e6


def geodesic_km(g: shapely.Geometry) -> float:
    return GEOD.geometry_length(g) / 1e3


def make_scenario(
    name: str,
    parts: list[tuple[str, str, shapely.Geometry, str]],
    *,
    settlements: list[tuple[str, str, float, float, int]] = (),  # type: ignore[assignment]
    roads: list[tuple[str, shapely.Geometry]] = (),  # type: ignore[assignment]
    status: str = "illustrative",
) -> Scenario:
    """An in-memory scenario: parts (part_id, party, geometry, status), settlements (id, name, lon, lat, pop), roads."""
    terr = gpd.GeoDataFrame(
        {
            "part_id": [p[0] for p in parts],
            "party": [p[1] for p in parts],
            "name": ["" for _ in parts],
            "status": [p[3] for p in parts],
            "source": ["test" for _ in parts],
        },
        geometry=[p[2] for p in parts],
        crs=WGS84,
    )
    if settlements:
        st_ = gpd.GeoDataFrame(
            {
                "settlement_id": [s[0] for s in settlements],
                "name": [s[1] for s in settlements],
                "population": [s[4] for s in settlements],
                "population_year": [2020 for _ in settlements],
                "role": ["village" for _ in settlements],
                "country_code": ["" for _ in settlements],
                "status": ["registry" for _ in settlements],
                "source": ["test" for _ in settlements],
            },
            geometry=[Point(s[2], s[3]) for s in settlements],
            crs=WGS84,
        )
    else:
        st_ = empty_layer("settlements")
    st_["party"] = assign_party(st_, terr)
    if roads:
        rd = gpd.GeoDataFrame(
            {
                "road_id": [r[0] for r in roads],
                "name": [r[0] for r in roads],
                "road_class": ["secondary" for _ in roads],
                "status": ["schematic" for _ in roads],
                "source": ["test" for _ in roads],
            },
            geometry=[r[1] for r in roads],
            crs=WGS84,
        )
        mids = gpd.GeoDataFrame(
            geometry=shapely.line_interpolate_point(rd.geometry.values, 0.5, normalized=True), crs=WGS84
        )
        rd["party"] = assign_party(mids, terr)
    else:
        rd = empty_layer("roads")
        rd["party"] = []
    window = gpd.GeoDataFrame({"name": ["w"], "source": ["test"]}, geometry=[box(70.0, 40.0, 70.2, 40.1)], crs=WGS84)
    return Scenario(
        name=name,
        title=name,
        description=f"synthetic scenario {name}",
        status=status,
        parties={"AAA": Party("AAA", "Party A"), "BBB": Party("BBB", "Party B")},
        territory=terr,
        settlements=st_,
        roads=rd,
        crossings=empty_layer("crossings"),
        water_bodies=empty_layer("water_bodies"),
        rivers=empty_layer("rivers"),
        outline=empty_layer("outline_naturalearth"),
        window=window,
        traveller_classes={"res-a": TravellerClass(id="res-a", party="AAA")},
        regimes={"open": Regime(id="open", status="illustrative")},
        default_regime="open",
        provenance=Provenance(scenario=name),
    )


VILLAGES = [
    ("v1", "Westswap", 70.09, 40.01, 1000),
    ("v2", "Eastswap", 70.11, 40.01, 500),
    ("v3", "Stays", 70.05, 40.05, 200),
    ("v4", "Unknown", 70.095, 40.015, None),
]
ROADS = [
    ("r-through", LineString([(70.05, 40.01), (70.15, 40.01)])),  # shared before and after
    ("r-inside", LineString([(70.085, 40.005), (70.095, 40.005)])),  # inside S1: changes side
    ("r-into", LineString([(70.07, 40.015), (70.09, 40.015)])),  # half into S1: becomes shared
    ("r-far", LineString([(70.02, 40.08), (70.04, 40.08)])),  # untouched
]


@pytest.fixture(scope="module")
def swap() -> tuple[Scenario, Scenario]:
    base = make_scenario(
        "base",
        [("a1", "AAA", WEST, "de-facto"), ("b1", "BBB", EAST, "de-facto")],
        settlements=VILLAGES,
        roads=ROADS,
        status="de-facto",
    )
    west_after = WEST.difference(S1).union(S2)
    east_after = EAST.difference(S2).union(S1)
    other = make_scenario(
        "swap",
        [("a1", "AAA", west_after, "illustrative"), ("b1", "BBB", east_after, "illustrative")],
        settlements=VILLAGES,
        roads=ROADS,
    )
    return base, other


def test_square_swap_areas_and_balance(swap: tuple[Scenario, Scenario]) -> None:
    base, other = swap
    lc = land_changes(base, other)
    flows = {(r["from"], r["to"]): r["area_km2"] for _, r in lc.flows.iterrows()}
    assert set(flows) == {("AAA", "BBB"), ("BBB", "AAA")}
    # Independent check: geodesic area of each square (pyproj.Geod), not the engine's projection.
    assert flows[("AAA", "BBB")] == pytest.approx(geodesic_km2(S1), rel=1e-4)
    assert flows[("BBB", "AAA")] == pytest.approx(geodesic_km2(S2), rel=1e-4)
    assert flows[("AAA", "BBB")] == pytest.approx(3.79, abs=0.01)  # 2.22 km x 1.70 km at 40 N
    assert lc.is_balanced
    assert lc.balance["net_km2"].sum() == pytest.approx(0.0, abs=1e-9)
    assert "Lambert azimuthal equal-area" in lc.crs_text()


def test_square_swap_villages(swap: tuple[Scenario, Scenario]) -> None:
    base, other = swap
    pc = people_changes(base, other)
    moved = {
        r["settlement_id"]: (r["from"], r["to"], None if pd.isna(r["population"]) else int(r["population"]))
        for _, r in pc.settlements.iterrows()
    }
    assert moved == {"v1": ("AAA", "BBB", 1000), "v2": ("BBB", "AAA", 500), "v4": ("AAA", "BBB", None)}
    flows = {
        (r["from"], r["to"]): (r["settlements"], r["population"], r["population_unknown"])
        for _, r in pc.flows.iterrows()
    }
    assert flows == {("AAA", "BBB"): (2, 1000, 1), ("BBB", "AAA"): (1, 500, 0)}
    assert pc.population == 1500


def test_square_swap_roads(swap: tuple[Scenario, Scenario]) -> None:
    base, other = swap
    fc = feature_changes(base, other, land_changes(base, other))
    rows = {r["id"]: r for _, r in fc.features.iterrows()}
    assert set(rows) == {"r-through", "r-inside", "r-into"}
    assert rows["r-inside"]["change"] == "changes side"
    assert (rows["r-inside"]["parties_before"], rows["r-inside"]["parties_after"]) == ("AAA", "BBB")
    assert rows["r-into"]["change"] == "becomes shared"
    assert rows["r-through"]["change"] == "share changes"
    # Lengths moved, checked against geodesic lengths of the known pieces (UTM scale error < 0.1 %).
    assert rows["r-inside"]["moved"] == pytest.approx(geodesic_km(ROADS[1][1]), rel=2e-3)
    assert rows["r-into"]["moved"] == pytest.approx(
        geodesic_km(LineString([(70.08, 40.015), (70.09, 40.015)])), rel=2e-3
    )
    through = rows["r-through"]["moves"]
    assert "AAA->BBB" in through and "BBB->AAA" in through
    assert fc.roads_added_km == 0.0


def test_compare_json_contract(swap: tuple[Scenario, Scenario]) -> None:
    base, other = swap
    doc = compare(base, other, with_topology=False, with_access=False).to_json()
    for key in ("baseline", "scenario", "land", "people", "access", "topology", "provenance", "data_marks", "crs"):
        assert key in doc
    assert doc["baseline"] == "base" and doc["scenario"] == "swap"
    assert {(x["from"], x["to"]) for x in doc["land"]} == {("AAA", "BBB"), ("BBB", "AAA")}
    assert {"from", "to", "settlements", "population"} <= set(doc["people"][0])
    assert doc["topology"]["enclaves_added"] is None and doc["topology"]["available"] is False
    assert doc["topology"]["reason"] == "not requested"
    assert doc["data_marks"]["territory"] == ["illustrative"]
    json.dumps(doc, default=str)


def test_costs_need_source_and_estimate() -> None:
    with pytest.raises(InputError, match="source"):
        unit_costs_from_document({"currency": "USD", "per_km_bypass_road": 1.0}, "c.yaml")
    with pytest.raises(InputError, match="household_size"):
        unit_costs_from_document({"source": "x", "currency": "USD", "per_resettled_household": 1.0}, "c.yaml")
    costs = UnitCosts(
        source="test figures",
        currency="USD",
        household_size=5.0,
        per_resettled_household=100.0,
        per_km_bypass_road=1000.0,
    )
    est = estimate_costs(costs, population_changing=1501, settlements_unknown_population=1, bypass_road_km=3.5)
    lines = {x["item"]: x for x in est.lines}
    assert lines["resettled households"]["quantity"] == 301  # ceil(1501 / 5)
    assert est.total == pytest.approx(301 * 100.0 + 3.5 * 1000.0)
    assert est.source == "test figures"


def _tiling(cells: list[int], nx: int, ny: int, name: str) -> Scenario:
    parties = ["AAA", "BBB", "CCC"]
    parts = []
    for k, p in enumerate(cells):
        i, j = k % nx, k // nx
        parts.append(
            (
                f"c{k}",
                parties[p],
                box(70.0 + 0.2 * i / nx, 40.0 + 0.1 * j / ny, 70.0 + 0.2 * (i + 1) / nx, 40.0 + 0.1 * (j + 1) / ny),
                "de-facto",
            )
        )
    s = make_scenario(name, parts)
    s.parties["CCC"] = Party("CCC", "Party C")
    return s


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 4), st.integers(1, 3), st.data())
def test_land_balance_of_two_tilings_sums_to_zero(nx: int, ny: int, data: st.DataObject) -> None:
    a = data.draw(st.lists(st.integers(0, 2), min_size=nx * ny, max_size=nx * ny))
    b = data.draw(st.lists(st.integers(0, 2), min_size=nx * ny, max_size=nx * ny))
    sa, sb = _tiling(a, nx, ny, "a"), _tiling(b, nx, ny, "b")
    lc = land_changes(sa, sb)
    assert abs(lc.balance["net_km2"].sum()) < 1e-6
    assert NO_PARTY not in set(lc.flows["from"]) | set(lc.flows["to"])
    # Known answer: the land changing hands is the area of the cells whose party differs.
    changed = shapely.union_all(
        [g for g, x, y in zip(sa.territory.geometry, a, b, strict=True) if x != y] or [shapely.Polygon()]
    )
    expected = gpd.GeoSeries([changed], crs=WGS84).to_crs(lc.crs).area.iloc[0] / 1e6
    assert lc.total_km2 == pytest.approx(expected, rel=1e-6, abs=1e-6)
    for _, r in lc.balance.iterrows():
        assert r["scenario_km2"] - r["baseline_km2"] == pytest.approx(r["net_km2"], abs=1e-6)


# ------------------------------------------------------------------ real bundled data


def test_corridor_claim_moves_the_corridor(scenario) -> None:  # type: ignore[no-untyped-def]
    base, claim = scenario("status-quo"), scenario("tj-corridor-claim")
    lc = land_changes(base, claim)
    assert list(zip(lc.flows["from"], lc.flows["to"], strict=True)) == [("KGZ", "TJK")]
    # Independent answer: the declared corridor intersected with Kyrgyz land, in the same CRS.
    corridor = shapely.union_all([t.geometry for t in claim.transfers])
    kgz = base.party_geometry("KGZ")
    expected = gpd.GeoSeries([corridor.intersection(kgz)], crs=WGS84).to_crs(lc.crs).area.iloc[0] / 1e6
    assert lc.total_km2 == pytest.approx(expected, rel=1e-6)
    assert 1.0 < lc.total_km2 < 20.0  # ~20 km long, 200-500 m wide
    assert not lc.is_balanced
    net = dict(zip(lc.balance["party"], lc.balance["net_km2"], strict=True))
    assert net["KGZ"] == pytest.approx(-net["TJK"])


def test_closed_border_changes_no_land(scenario) -> None:  # type: ignore[no-untyped-def]
    c = compare(scenario("status-quo"), scenario("border-closed-2022"), with_topology=False, with_access=False)
    assert c.land.flows.empty and c.people.flows.empty and c.features.features.empty
    assert c.land.is_balanced


@pytest.mark.slow
def test_cli_compare_json(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = cli("compare", "status-quo", "tj-corridor-claim", "--format", "json", "--no-access")
    assert r.code == 0, r.err
    doc = json.loads(r.out)["comparisons"][0]
    assert doc["baseline"] == "status-quo" and doc["scenario"] == "tj-corridor-claim"
    assert doc["land"][0]["from"] == "KGZ" and doc["land"][0]["to"] == "TJK"
    assert doc["access"] == [] and doc["access_status"]["available"] is False
    assert "territory" in doc["data_marks"] and doc["provenance"]["scenario"]["scenario"] == "tj-corridor-claim"
    assert doc["access_status"]["reason"] == "not requested" and doc["access_status"]["failed"] is False
    assert doc["topology"]["available"] is True
    # The corridor joins Vorukh to the Tajik mainland: the Vorukh enclave is no longer one.
    removed = doc["topology"]["enclaves_removed"]
    assert any(r["party"] == "TJK" and "Vorukh" in r["settlements"] for r in removed), removed
    assert doc["topology"]["enclaves_added"] == []
    # ... and a corridor this narrow is a new neck of Tajik land.
    assert any(
        n["party"] == "TJK" and n["change"] == "new" and n["width_after_m"] < 600 for n in doc["topology"]["necks"]
    )


def test_cli_compare_bad_costs_exit_2(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "costs.yaml"
    bad.write_text("currency: USD\nper_km_bypass_road: 100\n")
    out = tmp_path / "out.json"
    r = cli("compare", "status-quo", "tj-corridor-claim", "--costs", bad, "-o", out)
    assert r.code == 2
    assert len(r.err.strip().splitlines()) == 1 and "source" in r.err
    assert not out.exists()


COSTS_TOML = (
    'source = "test unit costs, not real"\ncurrency = "USD"\nhousehold_size = 5\n'
    "per_resettled_household = 100\nper_km_bypass_road = 10\n"
)


def _moving_population(base: Scenario, claim: Scenario) -> int:
    """Independent answer: people of the Kyrgyz settlements inside the claim's transfers (each counted once)."""
    corridor = shapely.union_all([t.geometry for t in claim.transfers])
    st = base.settlements
    inside = st[st.geometry.within(corridor) & (st["party"] == "KGZ")]
    inside = inside[inside["part_of"].fillna("").astype(str).isin(["", *map(str, inside["settlement_id"])])]
    assert inside["population"].notna().all()
    return int(inside["population"].sum())


def _added_road_km(s: Scenario) -> float:
    """Independent answer: geodesic length (km) of the roads a scenario adds, read from its own file."""
    from delimit.datasets import bundled_scenario_files

    added = gpd.read_file(bundled_scenario_files()[s.name].parent / "geometry" / "bypass_roads.geojson")
    return sum(geodesic_km(g) for g in added.geometry)


@pytest.mark.slow
def test_cli_compare_costs_table_csv_and_several_scenarios(cli, tmp_path, scenario) -> None:  # type: ignore[no-untyped-def]
    """``compare`` of two scenarios with unit costs: the cost tables, the summary table and the CSV agree
    with costs computed here from the settlements and roads the scenarios move or add."""
    good = tmp_path / "costs.toml"
    good.write_text(COSTS_TOML)
    base, claim, road = scenario("status-quo"), scenario("tj-corridor-claim"), scenario("neutral-road-2025")
    people = _moving_population(base, claim)
    assert people > 0
    households = -(-people // 5)
    road_km = _added_road_km(road)
    claim_cost, road_cost = households * 100, road_km * 10

    r = cli("compare", "status-quo", "neutral-road-2025", "tj-corridor-claim", "--costs", good, "--no-access", "--wide")
    assert r.code == 0, r.err
    text = r.out
    assert "tj-corridor-claim: cost estimate (USD)" in text and "neutral-road-2025: cost estimate (USD)" in text
    row = next(ln for ln in text.splitlines() if "resettled households" in ln and f"{claim_cost:,}" in ln)
    assert f"{households:,}" in row
    assert "summary against status-quo" in text and "cost (USD)" in text
    summary = text[text.index("summary against status-quo") :]
    claim_line = next(ln for ln in summary.splitlines() if "tj-corridor-claim" in ln)
    assert f"{claim_cost:,}" in claim_line and f"{people:,}" in claim_line

    r = cli(
        "compare",
        "status-quo",
        "neutral-road-2025",
        "tj-corridor-claim",
        "--costs",
        good,
        "--no-access",
        "--format",
        "csv",
    )
    assert r.code == 0, r.err
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO("\n".join(ln for ln in r.out.splitlines() if not ln.startswith("#")))))
    by = {x["scenario"]: x for x in rows}
    assert set(by) == {"neutral-road-2025", "tj-corridor-claim"}
    assert float(by["tj-corridor-claim"]["cost"]) == pytest.approx(claim_cost)
    assert int(by["tj-corridor-claim"]["population"]) == people
    assert by["tj-corridor-claim"]["enclaves_removed"] == "1" and by["tj-corridor-claim"]["balanced"] == "False"
    # UTM (the engine) against the geodesic length (here): within 0.1 %, then rounded to whole USD
    assert float(by["neutral-road-2025"]["cost"]) == pytest.approx(road_cost, abs=1.0)
    assert float(by["neutral-road-2025"]["land_km2"]) == 0.0 and by["neutral-road-2025"]["balanced"] == "True"
    assert by["neutral-road-2025"]["people_cut_off"] == ""  # access not requested: empty, not 0

    r = cli("compare", "status-quo", "tj-corridor-claim", "--costs", good, "--format", "json", "--no-access")
    assert r.code == 0, r.err
    doc = json.loads(r.out)["comparisons"][0]
    assert doc["costs"]["source"] == "test unit costs, not real"
    assert doc["costs"]["total"] == pytest.approx(claim_cost)


def test_neutral_road_adds_the_two_bypasses(scenario) -> None:  # type: ignore[no-untyped-def]
    c = compare(scenario("status-quo"), scenario("neutral-road-2025"), with_topology=False, with_access=False)
    assert c.land.flows.empty and c.people.flows.empty  # Vorukh stays Tajik: no land moves
    added = c.features.features[c.features.features["change"] == "added"]
    assert len(added) == 2
    # The treaty's roads: 3.4 km Tajik, 3.3 km Kyrgyz (Orda.kz citing AKIpress, 27 February 2025), drawn within 0.1 km.
    assert c.features.roads_added_km == pytest.approx(3.4 + 3.3, abs=0.25)
    costs = UnitCosts(source="test", currency="USD", per_km_bypass_road=1000.0)
    est = compare(
        scenario("status-quo"), scenario("neutral-road-2025"), costs=costs, with_topology=False, with_access=False
    ).costs
    assert est is not None and est.total == pytest.approx(1000.0 * c.features.roads_added_km)


def test_user_scenario_file_swap_of_known_area(tmp_path, scenario) -> None:  # type: ignore[no-untyped-def]
    """A scenario file written by a user: two squares traded inside Vorukh and next to it."""
    from delimit import load_scenario

    base = scenario("status-quo")
    tj = base.party_geometry("TJK")
    kg = base.party_geometry("KGZ")
    sq_tj = box(70.645, 39.830, 70.655, 39.840)  # inside Vorukh (Tajik)
    assert tj.contains(sq_tj)
    # A Kyrgyz square of the same size at the same latitude (so the same area) a little further west.
    sq_kg = None
    for dx in np.arange(0.02, 0.3, 0.01):
        cand = box(70.645 - dx, 39.830, 70.655 - dx, 39.840)
        if kg.contains(cand):
            sq_kg = cand
            break
    assert sq_kg is not None
    geo = tmp_path / "geometry"
    geo.mkdir()
    for name, g in (("to_kg", sq_tj), ("to_tj", sq_kg)):
        gpd.GeoDataFrame({"status": ["illustrative"], "source": ["test"]}, geometry=[g], crs=WGS84).to_file(
            geo / f"{name}.geojson", driver="GeoJSON"
        )
    (tmp_path / "swap.yaml").write_text(
        "schema_version: 1\nname: user-swap\ntitle: user swap\nstatus: illustrative\nbase: status-quo\ntransfers:\n"
        "  - {id: a, from: TJK, to: KGZ, status: illustrative, source: test, geometry: {path: geometry/to_kg.geojson}}\n"
        "  - {id: b, from: KGZ, to: TJK, status: illustrative, source: test, geometry: {path: geometry/to_tj.geojson}}\n",
        encoding="utf-8",
    )
    user = load_scenario(tmp_path / "swap.yaml")
    c = compare(base, user, with_topology=False, with_access=False)
    flows = {(r["from"], r["to"]): r["area_km2"] for _, r in c.land.flows.iterrows()}
    assert flows[("TJK", "KGZ")] == pytest.approx(geodesic_km2(sq_tj), rel=1e-4)
    assert flows[("KGZ", "TJK")] == pytest.approx(geodesic_km2(sq_kg), rel=1e-4)
    assert c.land.is_balanced  # same size at the same latitude: an equal-area swap
    assert c.to_json()["land_balanced"] is True
