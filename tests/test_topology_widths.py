"""Neck widths on synthetic shapes with known geometry, checked against a brute-force oracle."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box

from delimit.crs import GEOD
from delimit.topology import part_widths
from delimit.topology.projection import aeqd_forward, aeqd_inverse, from_tangent, to_tangent
from delimit.topology.widths import narrowest_cut


def close(value: float, expected: float) -> bool:
    return abs(value - expected) <= max(0.01 * expected, 1.0)


def dumbbell(width: float, length: float, side: float = 3000.0) -> Polygon:
    """Two squares joined by a strip ``width`` wide and ``length`` long."""
    mid = side / 2
    return shapely.union_all(
        [
            box(0, 0, side, side),
            box(side, mid - width / 2, side + length, mid + width / 2),
            box(side + length, 0, 2 * side + length, side),
        ]
    )


@pytest.mark.parametrize(("width", "length"), [(200.0, 3000.0), (50.0, 800.0), (900.0, 5000.0), (5.0, 100.0)])
def test_strip_width_and_length_exact(width: float, length: float) -> None:
    necks = part_widths(dumbbell(width, length), 1000.0)
    assert len(necks) == 1
    assert close(necks[0].min_width_m, width)
    assert close(necks[0].length_m, length)
    # the narrowest segment is across the strip, between the squares
    x, y = necks[0].location
    assert 3000.0 <= x <= 3000.0 + length and abs(y - 1500.0) <= width


def test_wider_than_threshold_is_not_a_neck() -> None:
    assert part_widths(dumbbell(1200.0, 3000.0), 1000.0) == []
    assert len(part_widths(dumbbell(1200.0, 3000.0), 1500.0)) == 1


def test_waist_in_a_corridor_is_found_at_its_own_width() -> None:
    # a 500 m corridor with a 200 m waist 1 km long in its middle
    corridor = shapely.union_all(
        [
            box(0, 0, 3000, 3000),
            box(3000, 1250, 6000, 1750),
            box(6000, 1400, 7000, 1600),
            box(7000, 1250, 10000, 1750),
            box(10000, 0, 13000, 3000),
        ]
    )
    at_300 = part_widths(corridor, 300.0)
    assert len(at_300) == 1 and close(at_300[0].min_width_m, 200.0)
    assert 6000 <= at_300[0].location[0] <= 7000
    at_1000 = part_widths(corridor, 1000.0)
    assert len(at_1000) == 1 and close(at_1000[0].min_width_m, 200.0)
    # length follows the sides, including the two 150 m steps at the waist on each side
    assert close(at_1000[0].length_m, 7300.0)


def test_ring_with_thin_side() -> None:
    ring = Point(0, 0).buffer(5000, quad_segs=256).difference(Point(300, 0).buffer(4500, quad_segs=256))
    necks = part_widths(ring, 400.0)
    assert len(necks) == 1
    assert close(necks[0].min_width_m, 200.0)
    assert necks[0].location[0] > 4500


def test_lake_inside_a_strip_counts_only_land() -> None:
    # a 600 m strip with a 400 m lake in its middle: land crossing is 100 + 100 m
    shape = dumbbell(600.0, 4000.0).difference(box(4500, 1300, 5500, 1700))
    necks = part_widths(shape, 1000.0)
    assert necks and close(necks[0].min_width_m, 200.0)


def test_multipolygon_parts_each_measured() -> None:
    mp = shapely.union_all([dumbbell(100.0, 2000.0), affinity.translate(dumbbell(300.0, 2000.0), 0, 10000)])
    widths = sorted(round(n.min_width_m) for n in part_widths(mp, 1000.0))
    assert widths == [100, 300]


def test_bad_threshold() -> None:
    with pytest.raises(ValueError):
        part_widths(box(0, 0, 1, 1), 0.0)


def test_narrowest_cut_hops_across_hole() -> None:
    a = LineString([(0, 0), (100, 0)])
    b = LineString([(0, 10), (100, 10)])
    hole = LineString([(40, 3), (60, 3), (60, 7), (40, 7), (40, 3)])
    length, segs = narrowest_cut(a, b, [hole])
    assert math.isclose(length, 6.0) and len(segs) == 2


def brute_width(poly: Polygon, x0: float, x1: float, step: float = 5.0) -> float:
    """Oracle: smallest vertical extent of the polygon over x in [x0, x1] (for strips along x)."""
    best = math.inf
    for x in np.arange(x0 + step / 2, x1, step):
        cut = poly.intersection(LineString([(x, -1e6), (x, 1e6)]))
        best = min(best, cut.length)
    return best


@settings(max_examples=30, deadline=None)
@given(
    width=st.floats(20.0, 900.0),
    length=st.floats(300.0, 6000.0),
    angle=st.floats(0.0, 360.0),
    reverse=st.booleans(),
)
def test_width_invariant_under_rotation_and_orientation(
    width: float, length: float, angle: float, reverse: bool
) -> None:
    # the documented detection guarantee: a strip longer than 2 (r - sqrt(r^2 - d^2/4)) is found
    r = 500.0
    assume(length > 2 * (r - math.sqrt(r * r - width * width / 4)) + 50.0)
    shape = dumbbell(width, length)
    oracle = brute_width(shape, 3000.0, 3000.0 + length)
    rotated = affinity.rotate(shape, angle, origin=(0, 0))
    if reverse:
        rotated = Polygon(list(rotated.exterior.coords)[::-1])
    necks = part_widths(rotated, 1000.0)
    assert len(necks) == 1
    assert close(necks[0].min_width_m, width) and close(necks[0].min_width_m, oracle)


@settings(max_examples=30, deadline=None)
@given(lon0=st.floats(-179.0, 179.0), lat0=st.floats(-80.0, 80.0), dx=st.floats(-2e5, 2e5), dy=st.floats(-2e5, 2e5))
def test_aeqd_round_trip(lon0: float, lat0: float, dx: float, dy: float) -> None:
    lon, lat = aeqd_inverse(np.array([dx]), np.array([dy]), lon0, lat0)
    x, y = aeqd_forward(lon, lat, lon0, lat0)
    assert abs(x[0] - dx) < 1e-4 and abs(y[0] - dy) < 1e-4


def _wiggly_land(seed: int = 5, vertices: int = 3000, lakes: int = 60) -> Polygon:
    """A wiggly coast (many vertices), three wide lands joined by corridors of 180 m and 420 m, and square lakes."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    r = 9000 + 150 * np.sin(37 * t) + rng.normal(0, 20, t.size)
    blob = Polygon(np.column_stack([r * np.cos(t), r * np.sin(t)]))
    land = shapely.union_all(
        [
            blob,
            box(9000, -90, 16000, 90),
            box(16000, -3000, 22000, 3000),
            box(-16000, -210, -8900, 210),
            box(-22000, -3000, -16000, 3000),
        ]
    )
    squares = [box(x, y, x + 300, y + 300) for x, y in rng.uniform(-6000, 6000, (lakes, 2))]
    return land.difference(shapely.union_all(squares))


def test_tiled_opening_finds_the_same_necks(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Opening tile by tile (big polygons) gives the same necks as opening the polygon whole."""
    import delimit.topology.widths as W

    land = _wiggly_land(seed=3, vertices=4000, lakes=40)
    whole = W.part_widths(land, 1000.0)
    monkeypatch.setattr(W, "TILE_VERTICES", 300)
    tiled = W.part_widths(land, 1000.0)
    assert len(whole) >= 2
    assert [round(n.min_width_m, 6) for n in tiled] == [round(n.min_width_m, 6) for n in whole]
    assert [round(n.length_m, 3) for n in tiled] == [round(n.length_m, 3) for n in whole]


def test_tiled_opening_of_a_polygon_narrower_than_the_opening_is_empty() -> None:
    """A sliver narrower than 2 r everywhere opens to nothing, tiled or not (it crashed in
    ``shapely.multipolygons([])``; seen on a proposal whose land carried a 2e-16 m2 speck after make_valid)."""
    from delimit.topology.widths import open_tiled

    xs = np.linspace(0.0, 5000.0, 400)
    sliver = Polygon([*list(zip(xs, np.zeros_like(xs), strict=True)), (5000.0, 3.0), (0.0, 3.0)])  # 3 m wide
    opened, residue = open_tiled(sliver, 100.0, limit=50)
    assert opened.is_empty
    assert abs(residue.area - sliver.area) <= 1e-6 * sliver.area
    speck = Polygon([(0, 0), (1e-8, 0), (1e-8, 2e-8), (0, 1e-8)])
    opened, residue = open_tiled(speck, 500.0, limit=3)
    assert opened.is_empty


def test_failed_overlay_is_redone_with_snap_rounding(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A floating-point overlay failure (GEOS TopologyException) falls back to a 1 mm snap-rounded one."""
    import delimit.topology.widths as W

    real = shapely.difference

    def fragile(a, b, grid_size=None, **kw):  # type: ignore[no-untyped-def]
        if grid_size is None:
            raise shapely.errors.GEOSException("TopologyException: found non-noded intersection")
        return real(a, b, grid_size=grid_size, **kw)

    monkeypatch.setattr(W.shapely, "difference", fragile)
    out = W._difference(
        np.array([box(0, 0, 2, 2), box(0, 0, 1, 1)], dtype=object),
        np.array([box(1, 1, 3, 3), box(5, 5, 6, 6)], dtype=object),
    )
    assert [round(g.area, 9) for g in out] == [3.0, 1.0]


def test_overlay_on_invalid_input_is_redone_on_valid_input(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """When even the snap-rounded overlay fails (input made invalid by projection), both inputs are made valid first."""
    from delimit.polygons import robust_difference

    real = shapely.difference

    def picky(a, b, grid_size=None, **kw):  # type: ignore[no-untyped-def]
        if not (shapely.is_valid(a) and shapely.is_valid(b)):
            raise shapely.errors.GEOSException("TopologyException: side location conflict")
        return real(a, b, grid_size=grid_size, **kw)

    monkeypatch.setattr(shapely, "difference", picky)
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])  # self-crossing: two triangles of area 1
    out = robust_difference([bowtie], [box(0, 0, 0.5, 2)], 1e-3)
    assert abs(out[0].area - (2.0 - 0.75)) < 1e-9


def test_edge_classification_matches_distance_oracle(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Residue edges classified by what lies across them (land: interface) agree with the plain
    method, a prepared ``dwithin`` of every edge midpoint against the opening, whole and tiled."""
    import delimit.topology.widths as W

    land = _wiggly_land()
    radius = np.array([500.0 * W.arc_factor()])
    for limit in (None, 400):
        if limit:
            monkeypatch.setattr(W, "TILE_VERTICES", limit)
        opened, residue = W.open_polygons(np.array([land], dtype=object), radius)
        fast = W.bridge_pieces(opened, residue, radius, np.array([land], dtype=object))
        slow = W.bridge_pieces(opened, residue, radius)
        assert len(fast) >= 2
        assert [(k, round(p.area, 3), len(s), len(h)) for k, p, s, h in fast] == [
            (k, round(p.area, 3), len(s), len(h)) for k, p, s, h in slow
        ]
        assert all(
            sf.equals(ss)
            for (_, _, a, _), (_, _, b, _) in zip(fast, slow, strict=True)
            for sf, ss in zip(a, b, strict=True)
        )


@settings(max_examples=60, deadline=None)
@given(
    lon0=st.floats(-179.0, 179.0),
    lat0=st.floats(-85.0, 85.0),
    d=st.floats(10.0, 10_000.0),
    az=st.floats(0.0, 360.0),
    az2=st.floats(0.0, 360.0),
)
def test_tangent_frame_has_true_scale_near_its_centre(
    lon0: float, lat0: float, d: float, az: float, az2: float
) -> None:
    """Distances in the true-scale frame match geodesic ones to 3e-5 within 10 km of the centre."""
    lon1, lat1, _ = GEOD.fwd(lon0, lat0, az, d)
    lon2, lat2, _ = GEOD.fwd(lon0, lat0, az2, d / 2)
    line = to_tangent(np.array([LineString([(lon1, lat1), (lon2, lat2)])], dtype=object), [lon0], [lat0])[0]
    true = GEOD.inv(lon1, lat1, lon2, lat2)[2]
    assume(true > 1.0)
    assert abs(line.length - true) <= 3e-5 * true + 1e-6
    (x, y), _ = line.coords
    lon, lat = from_tangent(np.array([x]), np.array([y]), np.array([lon0]), np.array([lat0]))
    assert abs(lon[0] - lon1) < 1e-9 and abs(lat[0] - lat1) < 1e-9


def test_located_crossing_is_the_geodesic_minimum() -> None:
    """locate_crossings against a brute-force oracle: geodesic distances between densely sampled sides."""
    from delimit.topology.necks import locate_crossings

    rng = np.random.default_rng(11)
    for lon0, lat0 in [(70.8, 39.9), (-60.0, 65.0), (150.0, -40.0), (10.0, 78.5)]:
        # two wiggly lines about 300 m apart, 4 km long, at some bearing
        t = np.linspace(0.0, 4000.0, 12)
        bearing = rng.uniform(0, 180)
        pts_a = [
            GEOD.fwd(*GEOD.fwd(lon0, lat0, bearing, float(s))[:2], bearing + 90, float(rng.uniform(0, 40)))[:2]
            for s in t
        ]
        pts_b = [
            GEOD.fwd(*GEOD.fwd(lon0, lat0, bearing, float(s))[:2], bearing + 90, 300.0 + float(rng.uniform(0, 40)))[:2]
            for s in t
        ]
        a, b = LineString(pts_a), LineString(pts_b)
        width, ea, eb = locate_crossings(
            np.array([a], dtype=object), np.array([b], dtype=object), (np.array([lon0]), np.array([lat0]))
        )

        # oracle: geodesic distances between densely sampled sides, coarse everywhere (about 20 m),
        # then fine (about 1 m) within 100 m of the coarse best pair
        def pairs(xa, xb):  # type: ignore[no-untyped-def]
            ia, ib = np.meshgrid(np.arange(len(xa)), np.arange(len(xb)), indexing="ij")
            d = GEOD.inv(xa[ia.ravel(), 0], xa[ia.ravel(), 1], xb[ib.ravel(), 0], xb[ib.ravel(), 1])[2]
            k = int(np.argmin(d))
            return float(d[k]), xa[ia.ravel()[k]], xb[ib.ravel()[k]]

        _, pa, pb = pairs(
            shapely.get_coordinates(shapely.segmentize(a, 0.0002)),
            shapely.get_coordinates(shapely.segmentize(b, 0.0002)),
        )
        near_a = a.intersection(Point(pa).buffer(0.0015))
        near_b = b.intersection(Point(pb).buffer(0.0015))
        best, _, _ = pairs(
            shapely.get_coordinates(shapely.segmentize(near_a, 0.00001)),
            shapely.get_coordinates(shapely.segmentize(near_b, 0.00001)),
        )
        assert width[0] <= best + 0.05
        assert width[0] >= best - 0.5  # the oracle samples about every metre, so it may overshoot by up to 0.5 m
        assert abs(GEOD.inv(ea[0, 0], ea[0, 1], eb[0, 0], eb[0, 1])[2] - width[0]) < 1e-6
