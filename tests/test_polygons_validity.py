"""Fast polygon-set operations and validity against the plain GEOS calls (the oracle).

Shapes are built on an integer grid so that holes often touch the shell, each other and islands
exactly at points or along edges: the cases where validity is decided.
"""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

from delimit.polygons import boundary_chunks, meeting_pairs, union_polygons
from delimit.validity import is_valid, is_valid_reason

SIDE = 24

cells = st.tuples(st.integers(-2, SIDE + 1), st.integers(-2, SIDE + 1), st.integers(1, 4), st.integers(1, 4))
#: unit lakes two cells apart never meet; a few free cells then make them touch, overlap or nest
spaced = st.sets(st.tuples(st.integers(0, SIDE // 2 - 1), st.integers(0, SIDE // 2 - 1)), min_size=2, max_size=60).map(
    lambda xy: [(2 * x + 1, 2 * y + 1, 1, 1) for x, y in sorted(xy)]
)
lakes = st.tuples(spaced, st.lists(cells, max_size=3)).map(lambda t: t[0] + t[1])
#: islands: small squares at quarter offsets (inside a lake, on the land, or across a shore)
isles = st.lists(
    st.tuples(st.integers(0, 4 * SIDE - 1), st.integers(0, 4 * SIDE - 1), st.sampled_from([0.25, 0.5, 1.0])), max_size=2
)


def _box(c: tuple[int, int, int, int]) -> Polygon:
    x, y, w, h = c
    return box(x, y, x + w, y + h)


def _shape(
    holes: list[tuple[int, int, int, int]], islands: list[tuple[int, int, float]], in_lakes: list[int] = ()
) -> shapely.Geometry:  # type: ignore[assignment]
    shell = box(0, 0, SIDE, SIDE)
    poly = Polygon(shell.exterior.coords, [_box(c).exterior.coords for c in holes])
    isl = [box(x / 4, y / 4, x / 4 + w, y / 4 + w) for x, y, w in islands]
    for k in in_lakes:  # an island in the middle of a lake
        x, y, w, h = holes[k % len(holes)]
        isl.append(box(x + w / 4, y + h / 4, x + w * 3 / 4, y + h * 3 / 4))
    return MultiPolygon([poly, *isl]) if isl else poly


@settings(max_examples=400, deadline=None)
@given(lakes, isles, st.lists(st.integers(0, 200), max_size=4))
def test_validity_matches_geos(holes, islands, in_lakes) -> None:  # type: ignore[no-untyped-def]
    g = _shape(holes, islands, in_lakes)
    expected = bool(shapely.is_valid(g))
    assert bool(is_valid([g], many_holes=2)[0]) == expected
    assert (is_valid_reason(g, many_holes=2) == "Valid Geometry") == expected


def test_validity_cases_decided_by_the_holes() -> None:
    shell = box(0, 0, 10, 10).exterior.coords
    ring = [box(x, y, x + 1, y + 1).exterior.coords for x, y in [(2, 2), (3, 3), (2, 4), (1, 3)]]
    cases = {
        "disconnected interior (four holes touching corner to corner around a cell)": (Polygon(shell, ring), False),
        "nested holes": (Polygon(shell, [box(2, 2, 6, 6).exterior.coords, box(3, 3, 4, 4).exterior.coords]), False),
        "hole outside the shell": (
            Polygon(shell, [box(2, 2, 3, 3).exterior.coords, box(12, 2, 13, 3).exterior.coords]),
            False,
        ),
        "holes sharing an edge": (
            Polygon(shell, [box(2, 2, 3, 3).exterior.coords, box(3, 2, 4, 3).exterior.coords]),
            False,
        ),
        "holes touching at a corner": (
            Polygon(shell, [box(2, 2, 3, 3).exterior.coords, box(3, 3, 4, 4).exterior.coords]),
            True,
        ),
        "hole touching the shell at a point": (
            Polygon(shell, [box(2, 2, 3, 3).exterior.coords, Polygon([(0, 5), (1, 4), (1, 6)]).exterior.coords]),
            True,
        ),
    }
    lake = Polygon(shell, [box(2, 2, 6, 6).exterior.coords, box(7, 7, 8, 8).exterior.coords])
    cases["island inside a lake"] = (MultiPolygon([lake, box(3, 3, 4, 4)]), True)
    cases["island on the land"] = (MultiPolygon([lake, box(6.5, 6.5, 6.8, 6.8)]), False)
    cases["island poking out of its lake"] = (MultiPolygon([lake, box(5, 5, 7, 5.5)]), False)
    for what, (g, expected) in cases.items():
        assert bool(shapely.is_valid(g)) == expected, what
        assert bool(is_valid([g], many_holes=2)[0]) == expected, what
        reason = is_valid_reason(g, many_holes=2)
        assert (reason == "Valid Geometry") == expected, (what, reason)
    # threads share the work and give the same answers, in order
    geoms = [g for g, _ in cases.values()] * 5
    assert is_valid(geoms, many_holes=2, workers=2).tolist() == [e for _, e in cases.values()] * 5


@settings(max_examples=150, deadline=None)
@given(st.lists(cells, min_size=1, max_size=30))
def test_meeting_pairs_match_intersects(boxes) -> None:  # type: ignore[no-untyped-def]
    geoms = np.array([_box(c) for c in boxes], dtype=object)
    i, j = meeting_pairs(geoms)
    got = set(zip(i.tolist(), j.tolist(), strict=True))
    n = len(geoms)
    want = {(a, b) for a in range(n) for b in range(a + 1, n) if geoms[a].intersects(geoms[b])}
    assert got == want


def test_meeting_pairs_inside_and_across_sets() -> None:
    big = Polygon(box(0, 0, 100, 100).exterior.coords, [box(x, 10, x + 1, 11).exterior.coords for x in range(2, 90, 3)])
    small = np.array(
        [box(50, 50, 51, 51), box(2.2, 10.2, 2.8, 10.8), box(200, 200, 201, 201), box(4, 10, 5, 11)], dtype=object
    )
    i, _j = meeting_pairs(small, np.array([big], dtype=object))
    assert sorted(i.tolist()) == [0, 3]  # inside the land; touching a lake's edge; the island in a lake meets nothing
    chunks, owner = boundary_chunks([big], size=8)
    assert set(owner.tolist()) == {0}
    assert abs(sum(c.length for c in chunks) - big.boundary.length) < 1e-9


@settings(max_examples=80, deadline=None)
@given(st.lists(cells, min_size=2, max_size=30), st.lists(cells, min_size=1, max_size=6))
def test_union_polygons_matches_union_all(holes, islands) -> None:  # type: ignore[no-untyped-def]
    shell = box(0, 0, SIDE, SIDE)
    lake_cells = [c for c in holes if c[0] > 0 and c[1] > 0 and c[0] + c[2] < SIDE and c[1] + c[3] < SIDE]
    lakes = shapely.union_all([_box(c) for c in lake_cells]) if lake_cells else None
    land = shell.difference(lakes) if lakes is not None else shell
    polys = [p for p in shapely.get_parts(land) if p.geom_type == "Polygon"] + [_box(c) for c in islands]
    import delimit.polygons as P

    old = P.MANY_HOLES
    P.MANY_HOLES = 1
    try:
        got = shapely.union_all(union_polygons(polys))
    finally:
        P.MANY_HOLES = old
    want = shapely.union_all(polys)
    assert shapely.is_valid(got)
    assert abs(got.area - want.area) < 1e-9
    assert shapely.symmetric_difference(got, want).area < 1e-9
