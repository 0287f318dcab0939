"""The model and the scenario loader: regimes, transfers, base chains, provenance, CRS helpers."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from delimit import load_scenario
from delimit.crs import GEOD, crs_description, equal_area_crs, metric_crs, utm_epsg
from delimit.errors import InputError
from delimit.model import BorderPolicy, CrossingPolicy, CrossingRule, Regime


def test_regime_rule_resolution_order() -> None:
    r = Regime(
        id="r",
        default_crossing=CrossingRule(open=False),
        crossings=[
            CrossingPolicy(
                crossing="x1",
                classes={"a": CrossingRule(delay_minutes=3)},
                default=CrossingRule(open=True, delay_minutes=7),
            )
        ],
        borders=[BorderPolicy(parties=("KGZ", "TJK"), classes={"a": CrossingRule(delay_minutes=11)})],
        closed_crossings=["x2"],
    )
    assert r.rule("x1", "a", ("KGZ", "TJK")).delay_minutes == 3  # named crossing, class rule
    assert r.rule("x1", "b", ("KGZ", "TJK")).delay_minutes == 7  # named crossing default
    assert r.rule(None, "a", ("TJK", "KGZ")).delay_minutes == 11  # border policy, unordered pair
    assert not r.rule(None, "b", ("TJK", "KGZ")).open  # border without class rule -> regime default
    assert not r.rule("x2", "a", ("KGZ", "TJK")).open  # closed wins
    assert not r.rule(None, "a", ("KGZ", "UZB")).open


def test_status_quo_loads_with_every_layer(scenario) -> None:
    s = scenario("status-quo")
    assert {"KGZ", "TJK", "UZB"} <= set(s.parties)
    assert s.territory.crs.to_epsg() == 4326
    for name in ("territory", "settlements", "roads", "crossings", "water_bodies", "rivers", "window"):
        assert len(s.layer(name)) > 0, name
    # settlements carry the holding party, computed from territory
    vorukh = s.settlements[s.settlements["name"] == "Vorukh"]
    assert list(vorukh["party"]) == ["TJK"]
    batken = s.settlements[s.settlements["name"] == "Batken"]
    assert list(batken["party"]) == ["KGZ"]
    assert s.data_marks(["roads"]) == {"roads": ["schematic", "skeleton"]}  # local schematic roads + the OSM skeleton
    prov = s.provenance.as_dict()
    assert prov["scenario"] == "status-quo" and prov["dataset"] == "fergana" and prov["dataset_version"]
    assert all(len(i["sha256"]) == 64 for i in prov["inputs"])


def test_corridor_transfer_moves_land_and_conserves_area(scenario) -> None:
    base = scenario("status-quo")
    claim = scenario("tj-corridor-claim")
    crs = equal_area_crs(base.window)
    a = base.territory.to_crs(crs).dissolve("party").area
    b = claim.territory.to_crs(crs).dissolve("party").area
    moved = b["TJK"] - a["TJK"]
    assert moved > 1e6  # at least 1 km2 of corridor
    assert b["KGZ"] == pytest.approx(a["KGZ"] - moved, rel=1e-6)
    assert b.sum() == pytest.approx(a.sum(), rel=1e-9)
    assert claim.provenance.scenario_chain == ("status-quo", "tj-corridor-claim")
    corridor = claim.territory[claim.territory["part_id"].str.startswith("vorukh-corridor")]
    assert set(corridor["status"]) == {"illustrative"} and set(corridor["party"]) == {"TJK"}


def _write_square_scenario(tmp: Path, *, base_extra: str = "", transfer_from: str = "AA") -> Path:
    sq = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"part_id": "a1", "party": "AA", "status": "de-facto", "source": "test"},
                "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]},
            },
            {
                "type": "Feature",
                "properties": {"part_id": "b1", "party": "BB", "status": "de-facto", "source": "test"},
                "geometry": {"type": "Polygon", "coordinates": [[[1, 0], [2, 0], [2, 1], [1, 1], [1, 0]]]},
            },
        ],
    }
    swap = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "s"},
                "geometry": {"type": "Polygon", "coordinates": [[[0.5, 0], [1, 0], [1, 0.5], [0.5, 0.5], [0.5, 0]]]},
            }
        ],
    }
    (tmp / "terr.geojson").write_text(json.dumps(sq))
    (tmp / "swap.geojson").write_text(json.dumps(swap))
    (tmp / "base.yaml").write_text(
        "name: base\nparties: [{id: AA, name: Aland}, {id: BB, name: Bland}]\nlayers:\n  territory: {path: terr.geojson}\n"
        + base_extra
    )
    (tmp / "swap.yaml").write_text(
        f"name: swap\nbase: base.yaml\ntransfers:\n  - {{id: t1, from: {transfer_from}, to: BB, source: test, geometry: {{path: swap.geojson}}}}\n"
    )
    return tmp / "swap.yaml"


def test_transfer_on_synthetic_squares(tmp_path: Path) -> None:
    s = load_scenario(_write_square_scenario(tmp_path))
    areas = s.territory.to_crs(equal_area_crs(s.territory)).dissolve("party").area
    total = areas.sum()
    assert areas["BB"] / total == pytest.approx(0.625, rel=1e-3)  # 1 + 0.25 of 2 squares (near-equal at the equator)
    assert s.boundary_between("AA", "BB").length > 0


def test_transfer_from_unknown_party_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError) as e:
        load_scenario(_write_square_scenario(tmp_path, transfer_from="Z"))
    assert "swap.yaml" in str(e.value) and "transfers.0.from" in str(e.value) and "'Z'" in str(e.value)


def test_base_cycle_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: a\nbase: b.yaml\n")
    (tmp_path / "b.yaml").write_text("name: b\nbase: a.yaml\n")
    with pytest.raises(InputError, match="cycle"):
        load_scenario(tmp_path / "a.yaml")


def test_crs_helpers() -> None:
    assert utm_epsg(70.58, 39.85) == 32642
    assert utm_epsg(72.1, 40.0) == 32643
    assert utm_epsg(-70.0, -33.0) == 32719
    assert crs_description(metric_crs((70.5, 40.0))) == "EPSG:32642 (WGS 84 / UTM zone 42N)"
    assert "+proj=laea" in crs_description(equal_area_crs((70.5, 40.0)))


@settings(max_examples=40, deadline=None)
@given(lon=st.floats(60, 80), lat=st.floats(30, 50), dx=st.floats(0.01, 0.5), dy=st.floats(0.01, 0.5))
def test_equal_area_crs_matches_geodesic_area(lon: float, lat: float, dx: float, dy: float) -> None:
    """Areas in the local equal-area CRS agree with ellipsoidal (geodesic) polygon areas."""
    poly = shapely.box(lon, lat, lon + dx, lat + dy).segmentize(0.01)
    gs = gpd.GeoSeries([poly], crs=4326)
    projected = float(gs.to_crs(equal_area_crs(gs)).area.iloc[0])
    geodesic = abs(GEOD.geometry_area_perimeter(poly)[0])
    assert projected == pytest.approx(geodesic, rel=1e-4)
