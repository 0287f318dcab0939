"""The treaty engine on synthetic lines with known answers and on the bundled Fergana data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS

from delimit.errors import InputError
from delimit.model.raster import Raster
from delimit.treaty import describe_line, describe_sections, from_scenario, plan_pillars, section_inputs_from_layer
from delimit.treaty.geodesy import inverse
from delimit.treaty.segment_types import RIVER, ROAD, STRAIGHT, WATERSHED
from delimit.treaty.visibility import check_sight, earth_bulge

PARTIES = ("KGZ", "TJK")


def _raster(fn, x0=69.9, y0=40.2, n=400, res=1 / 240) -> Raster:  # type: ignore[no-untyped-def]
    """A synthetic DEM: fn(lon, lat) -> metres on a grid of 15 arc-second cells (like GEBCO)."""
    cols, rows = np.meshgrid(np.arange(n) + 0.5, np.arange(n) + 0.5)
    lon = x0 + cols * res
    lat = y0 - rows * res
    return Raster(fn(lon, lat).astype(float), Affine(res, 0, x0, 0, -res, y0), CRS.from_epsg(4326), units="m")


# ---------------------------------------------------------------------------- description


def test_sections_numbering_and_lengths_on_a_known_line() -> None:
    line = shapely.MultiLineString([[(70.0, 40.0), (70.01, 40.0), (70.01, 40.01)], [(70.1, 40.0), (70.1, 40.02)]])
    d = describe_line(line, parties=PARTIES, status=["signed", "ratified-tjk"])
    assert d.sections["section"].tolist() == [1, 2]
    assert d.sections["status"].tolist() == ["signed", "ratified-TJK"]
    assert d.turning_points["point_no"].tolist() == [1, 2, 3, 4, 5]
    assert d.turning_points["section"].tolist() == [1, 1, 1, 2, 2]
    assert d.segments[["from_point", "to_point"]].values.tolist() == [[1, 2], [2, 3], [4, 5]]
    _, _, expected = inverse(
        np.array([70.0, 70.01, 70.1]),
        np.array([40.0, 40.0, 40.0]),
        np.array([70.01, 70.01, 70.1]),
        np.array([40.0, 40.01, 40.02]),
    )
    assert d.segments["length_m"].to_numpy() == pytest.approx(expected, abs=1e-9)
    assert d.total_length_m == pytest.approx(expected.sum())
    assert d.segments["azimuth_deg"].iloc[1] == pytest.approx(0.0, abs=1e-9)  # due north along a meridian
    assert d.segments["back_azimuth_deg"].iloc[1] == pytest.approx(180.0, abs=1e-9)
    assert (d.segments["status"] == ["signed", "signed", "ratified-TJK"]).all()
    assert d.vertices_in == d.vertices_kept == 5


def test_status_must_be_known() -> None:
    line = shapely.LineString([(70.0, 40.0), (70.01, 40.0)])
    with pytest.raises(InputError, match="unknown section status"):
        describe_line(line, parties=PARTIES, status="finalised")
    with pytest.raises(InputError, match="not one of"):
        describe_line(line, parties=PARTIES, status="ratified-UZB")


def test_closed_section_reuses_its_first_point() -> None:
    ring = shapely.LineString([(70.0, 40.0), (70.02, 40.0), (70.02, 40.02), (70.0, 40.0)])
    d = describe_line(ring, parties=PARTIES)
    assert len(d.turning_points) == 3
    assert d.segments["to_point"].iloc[-1] == 1
    assert bool(d.sections["closed"].iloc[0])
    assert d.section_lines()[0].equals(ring)


def test_simplification_is_reported_and_keeps_original_vertices() -> None:
    xs = np.linspace(70.0, 70.1, 101)
    ys = 40.0 + 0.000001 * np.sin(np.arange(101))  # wiggles of about 0.1 m
    line = shapely.LineString(np.column_stack([xs, ys]))
    d = describe_line(line, parties=PARTIES, simplify_m=1.0)
    assert d.vertices_in == 101 and d.vertices_kept < 10
    assert any("simplified" in n and "1 m" in n for n in d.notes)
    kept = d.turning_points[["lon", "lat"]].to_numpy()
    original = {tuple(p) for p in np.column_stack([xs, ys])}
    assert all(tuple(p) in original for p in kept)


def test_segment_types_from_rivers_roads_and_ridges() -> None:
    river = gpd.GeoDataFrame(
        {"name": ["Isfara"]}, geometry=[shapely.LineString([(70.0, 40.0), (70.05, 40.0)])], crs=4326
    )
    road = gpd.GeoDataFrame({"name": ["M41"]}, geometry=[shapely.LineString([(70.05, 40.1), (70.05, 40.15)])], crs=4326)
    # a north-south ridge along lon 70.2: terrain falls 100 m per km either side
    dem = _raster(lambda lon, lat: 2000.0 - 100.0 * np.abs(lon - 70.2) * 85.0)
    line = shapely.LineString(
        [(70.0, 40.0003), (70.05, 40.0003), (70.05, 40.1), (70.05, 40.15), (70.2, 40.15), (70.2, 40.05)]
    )
    d = describe_line(line, parties=PARTIES, rivers=river, roads=road, elevation=dem)
    assert d.segments["segment_type"].tolist() == [RIVER, STRAIGHT, ROAD, STRAIGHT, WATERSHED]
    assert d.segments["follows"].tolist()[:3] == ["Isfara", "", "M41"]
    assert d.segments["type_source"].tolist() == ["detected", "default", "detected", "default", "detected"]
    assert "along the river Isfara" in d.text
    assert (
        d.turning_points["elevation_m"].iloc[-1] == 1982
    )  # bilinear between cell centres either side of the crest (1982.3), printed to whole metres


def test_a_segment_crossing_a_river_is_not_along_it() -> None:
    river = gpd.GeoDataFrame({"name": ["Sokh"]}, geometry=[shapely.LineString([(70.0, 40.0), (70.0, 40.1)])], crs=4326)
    line = shapely.LineString([(69.9995, 40.05), (70.0005, 40.05)])  # 85 m across the river
    d = describe_line(line, parties=PARTIES, rivers=river)
    assert d.segments["segment_type"].tolist() == [STRAIGHT]


def test_layer_attributes_give_status_and_segment_type() -> None:
    gdf = gpd.GeoDataFrame(
        {"status": ["signed", "signed", "drafted"], "segment_type": ["river", "", None]},
        geometry=[
            shapely.LineString([(70.0, 40.0), (70.01, 40.0)]),
            shapely.LineString([(70.01, 40.0), (70.02, 40.01)]),
            shapely.LineString([(70.02, 40.01), (70.03, 40.01)]),
        ],
        crs=4326,
    )
    d = describe_sections(section_inputs_from_layer(gdf, PARTIES), parties=PARTIES)
    assert d.sections["status"].tolist() == ["signed", "drafted"]
    assert d.segments["segment_type"].tolist() == [RIVER, STRAIGHT, STRAIGHT]
    assert d.segments["type_source"].tolist() == ["attribute", "default", "default"]
    bad = gdf.assign(status=["signed", "bogus", "drafted"])
    with pytest.raises(InputError) as exc:
        section_inputs_from_layer(bad, PARTIES, source="line.gpkg")
    assert exc.value.feature == 1 and exc.value.field == "status"


lines = (
    st.lists(st.tuples(st.floats(-0.02, 0.02), st.floats(-0.02, 0.02)), min_size=2, max_size=12, unique=True)
    .map(lambda pts: shapely.LineString([(70.5 + x, 40.0 + y) for x, y in pts]))
    .filter(lambda g: g.length > 1e-9)
)  # offsets below a float's resolution at 70.5 deg give no line


@settings(max_examples=40, deadline=None)
@given(line=lines, spacing=st.floats(50.0, 3000.0))
def test_property_turning_points_in_order_and_spacing_within_limit(line: shapely.LineString, spacing: float) -> None:
    d = describe_line(line, parties=PARTIES)
    tp = d.turning_points
    # turning points are the line's vertices, in order, numbered continuously
    assert tp["point_no"].tolist() == list(range(1, len(tp) + 1))
    xy = np.asarray(line.coords)
    keep = np.r_[True, np.any(np.diff(xy, axis=0) != 0, axis=1)]
    expected = xy[keep]
    if d.sections["closed"].iloc[0]:
        expected = expected[:-1]
    # vertices on the printed grid are rounded to it, which may move one by float ulps or merge two that differ
    # only by ulps: every vertex is kept within 1e-9 deg, in order
    got = tp[["lon", "lat"]].to_numpy()
    assert all(np.abs(got - e).max(axis=1).min() <= 1e-9 for e in expected)  # no vertex lost
    j = 0
    for g in got:  # in the line's order
        while j < len(expected) and np.abs(expected[j] - g).max() > 1e-9:
            j += 1
        assert j < len(expected), "a turning point that is not a vertex of the line"
        j += 1
    assert (np.diff(tp["chainage_m"].to_numpy()) >= 0).all()
    plan = plan_pillars(d, max_spacing_m=spacing)
    p = plan.pillars
    assert p["along_to_next_m"].max(skipna=True) <= spacing + 1e-6
    assert (p["to_next_m"].dropna() <= spacing + 1e-6).all()
    assert (np.diff(p["chainage_m"].to_numpy()) >= 0).all()
    assert set(tp["point_no"]) <= set(p["turning_point"])  # a pillar at every turning point


# ---------------------------------------------------------------------------- pillars


def test_pillars_slide_off_a_lake_to_the_nearest_shore() -> None:
    line = shapely.LineString([(70.0, 40.0), (70.1, 40.0)])  # about 8.5 km
    lake = gpd.GeoDataFrame({"name": ["Kayrakkum"]}, geometry=[shapely.box(70.03, 39.99, 70.035, 40.01)], crs=4326)
    d = describe_line(line, parties=PARTIES)
    plan = plan_pillars(d, max_spacing_m=1000, water=lake)
    p = plan.pillars
    assert not p["in_water"].any()
    assert not shapely.intersects(lake.geometry.iloc[0], shapely.points(p["lon"], p["lat"])).any()
    moved = p[p["moved_m"] > 0]
    assert len(moved) >= 1 and set(moved["water"]) == {"Kayrakkum"}
    assert p["along_to_next_m"].max() <= 1000 + 1e-6  # the lake is narrower than the spacing
    assert len(plan.spacing_exceptions) == 0


def test_a_lake_wider_than_the_spacing_is_listed_not_hidden() -> None:
    line = shapely.LineString([(70.0, 40.0), (70.1, 40.0)])
    lake = gpd.GeoDataFrame({"name": ["Toktogul"]}, geometry=[shapely.box(70.02, 39.99, 70.06, 40.01)], crs=4326)
    plan = plan_pillars(describe_line(line, parties=PARTIES), max_spacing_m=1000, water=lake)
    assert not plan.pillars["in_water"].any()
    assert len(plan.spacing_exceptions) == 1
    gap = plan.spacing_exceptions.iloc[0]
    assert gap["water"] == "Toktogul" and gap["gap_m"] == pytest.approx(0.04 * 85_394, rel=0.01)


def test_line_of_sight_over_a_hill_fails_and_suggests_a_pillar_on_the_crest() -> None:
    # a 60 m high hill at lon 70.05 between pillars on a 2 km segment
    dem = _raster(lambda lon, lat: 1000.0 + 60.0 * np.exp(-(((lon - 70.05) * 85_000 / 500.0) ** 2)))
    line = shapely.LineString([(70.04, 40.1), (70.06, 40.1)])
    d = describe_line(line, parties=PARTIES, elevation=dem)
    plan = plan_pillars(d, max_spacing_m=5000, elevation=dem)
    assert plan.pillars["sight_to_next"].iloc[0] == "blocked"
    f = plan.sight_failures.iloc[0]
    assert f["clearance_m"] < -20
    assert f["suggested_lon"] == pytest.approx(70.05, abs=0.003)
    assert f["suggested_lat"] == pytest.approx(40.1, abs=1e-6)  # on the line
    fixed = plan_pillars(d, max_spacing_m=5000, elevation=dem, add_sight_pillars=True)
    assert (fixed.pillars["kind"] == "sight").sum() >= 1
    assert (fixed.pillars["sight_to_next"].iloc[:-1] == "clear").all()


def test_earth_curvature_hides_a_low_target_far_away() -> None:
    flat = _raster(lambda lon, lat: np.zeros_like(lon), x0=69.9, n=800)
    # 20 km apart, eyes 2.5 m high: the bulge at mid-distance is 6.8 m with k = 0.13
    lon2 = 70.0 + 20_000 / 85_300
    res = check_sight(
        np.array([70.0]),
        np.array([40.0]),
        np.array([2.5]),
        np.array([lon2]),
        np.array([40.0]),
        np.array([2.5]),
        flat,
        step_m=100,
    )
    assert res.visible[0] == 0
    assert earth_bulge(np.array([10_000.0]), np.array([20_000.0]))[0] == pytest.approx(
        10_000**2 / (2 * 6_371_008.8 / 0.87), rel=1e-12
    )
    no_dem = check_sight(
        np.array([70.0]), np.array([40.0]), np.array([2.5]), np.array([70.01]), np.array([40.0]), np.array([2.5]), None
    )
    assert no_dem.visible[0] == -1


def test_bad_spacing_is_refused() -> None:
    d = describe_line(shapely.LineString([(70.0, 40.0), (70.01, 40.0)]), parties=PARTIES)
    for bad in (0, -5, float("nan")):
        with pytest.raises(InputError):
            plan_pillars(d, max_spacing_m=bad)


# ---------------------------------------------------------------------------- bundled data


def test_fergana_kgz_tjk_annex_from_scenario(scenario) -> None:  # type: ignore[no-untyped-def]
    s = scenario("status-quo")
    annex = from_scenario(s, "KGZ", "TJK", window=(70.4, 39.8, 70.8, 40.1), max_spacing_m=1000)
    d, p = annex.description, annex.pillars
    shared = shapely.intersection(s.boundary_between("KGZ", "TJK"), shapely.box(70.4, 39.8, 70.8, 40.1))
    # every vertex of the shared line inside the window is a turning point (nothing simplified, below), and
    # every other turning point is where the window cuts the line (within the printed rounding, 0.5e-5 deg)
    inside = {tuple(xy) for xy in shapely.get_coordinates(shared) if 70.4 < xy[0] < 70.8 and 39.8 < xy[1] < 40.1}
    edge = shapely.box(70.4, 39.8, 70.8, 40.1).boundary
    cuts = [xy for xy in map(tuple, d.turning_points[["lon", "lat"]].to_numpy()) if xy not in inside]
    assert cuts and all(edge.distance(shapely.Point(xy)) <= 0.5e-5 * 2**0.5 for xy in cuts)
    # the source's vertices are kept exactly; only the points where the window cuts the line are
    # rounded to the printed 5 decimals (the source's step), so they move by at most half a unit
    assert shapely.hausdorff_distance(d.geometry(), shared) <= 0.5e-5 * 2**0.5
    inner = {tuple(xy) for xy in shapely.get_coordinates(shared) if 70.4 < xy[0] < 70.8 and 39.8 < xy[1] < 40.1}
    assert inner <= {tuple(xy) for xy in d.turning_points[["lon", "lat"]].to_numpy()}
    assert len(d.sections) >= 1 and (d.sections["status"] == "drafted").all()
    assert d.total_length_m == pytest.approx(d.segments["length_m"].sum())
    assert p.pillars["along_to_next_m"].max() <= 1000 + 1e-6
    assert not p.pillars["in_water"].any()
    assert annex.provenance["scenario"] == "status-quo"
    assert annex.data_marks.get("roads") == ["schematic", "skeleton"]
    assert set(annex.context) == {"territory", "water_bodies", "rivers"}
