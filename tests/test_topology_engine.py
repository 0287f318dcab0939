"""Topology engine on the bundled Fergana scenarios and on synthetic territories with known answers."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import affinity
from shapely.geometry import Polygon, box

from delimit.crs import GEOD
from delimit.errors import InputError
from delimit.topology import analyse, analyse_territory, compare, compare_territories

CORRIDOR = Path(__file__).resolve().parents[1] / "src/delimit/data/fergana/scenarios/geometry/vorukh_corridor.geojson"

# ------------------------------------------------------------------ embedded data


@pytest.fixture(scope="module")
def status_quo(scenario):  # type: ignore[no-untyped-def]
    return analyse(scenario("status-quo"))


@pytest.fixture(scope="module")
def corridor(scenario):  # type: ignore[no-untyped-def]
    return analyse(scenario("tj-corridor-claim"))


@pytest.mark.slow
def test_fergana_enclaves_found_with_hosts(status_quo, scenario) -> None:  # type: ignore[no-untyped-def]
    terr = scenario("status-quo").territory
    parts = status_quo.parts
    for name, party, host in [
        ("Vorukh", "TJK", "KGZ"),
        ("Sokh", "UZB", "KGZ"),
        ("Shakhimardan", "UZB", "KGZ"),
        ("Qalacha", "UZB", "KGZ"),
        ("Barak", "KGZ", "UZB"),
        ("Sarvak", "TJK", "UZB"),
    ]:
        row = terr[terr["name"].str.contains(name)]
        assert len(row) == 1, name
        pt = row.geometry.iloc[0].representative_point()
        hit = parts[parts.geometry.contains(pt)]
        assert len(hit) == 1 and hit["party"].iloc[0] == party, name
        assert hit["kind"].iloc[0] == "enclave" and hit["surrounded_by"].iloc[0] == host, name
        assert hit["gap_to_mainland_km"].iloc[0] > 0
    # one mainland per party, and it is the largest part
    for _party, rows in parts.groupby("party"):
        assert (rows["kind"] == "mainland").sum() == 1
        assert rows.loc[rows["kind"] == "mainland", "area_km2"].iloc[0] == rows["area_km2"].max()
    # settlements are inside their parts: Vorukh holds population
    vorukh = parts[parts.geometry.contains(terr[terr["name"] == "Vorukh"].geometry.iloc[0].representative_point())]
    assert vorukh["population"].iloc[0] > 0


@pytest.mark.slow
def test_corridor_claim_joins_vorukh_and_reports_waist(corridor, scenario) -> None:  # type: ignore[no-untyped-def]
    terr = scenario("tj-corridor-claim").territory
    pt = terr[terr["name"] == "Vorukh"].geometry.iloc[0].representative_point()
    parts = corridor.parts
    hit = parts[parts.geometry.contains(pt)]
    assert hit["kind"].iloc[0] == "mainland" and hit["party"].iloc[0] == "TJK"
    props = json.loads(CORRIDOR.read_text())["features"][0]["properties"]
    nominal, wlon, wlat = props["nominal_min_width_m"], props["waist_lon"], props["waist_lat"]
    necks = corridor.necks[corridor.necks["party"] == "TJK"]
    dist = np.array([GEOD.inv(wlon, wlat, lon, lat)[2] for lon, lat in zip(necks["lon"], necks["lat"], strict=True)])
    # The waist is a 1 km stretch of constant 200 m width centred on (waist_lon, waist_lat): the
    # narrowest width may be measured anywhere along it, so accept up to half its length (+ 100 m).
    near = necks[dist < 600.0]
    assert len(near), "no neck near the corridor's waist"
    widths = near["min_width_m"].to_numpy()
    assert np.any(np.abs(widths - nominal) <= max(0.01 * nominal, 1.0)), widths
    row = near.iloc[int(np.argmin(np.abs(widths - nominal)))]
    assert row["roads"], "the corridor carries the Vorukh road"
    # end points are on either side, width apart
    assert abs(GEOD.inv(*row["end_a"], *row["end_b"])[2] - row["min_width_m"]) < 0.5


@pytest.mark.slow
def test_compare_status_quo_and_corridor(scenario) -> None:  # type: ignore[no-untyped-def]
    d = compare(scenario("status-quo"), scenario("tj-corridor-claim"))
    both = d.pieces[d.pieces["kind"] == "both"]
    assert len(both) >= 1 and all(list(p) == ["KGZ", "TJK"] for p in both["parties"])
    corridor_area = 5.0  # km², order of magnitude of a ~16 km x 0.5 km strip cut to KGZ land
    assert 0.5 * corridor_area < both["area_km2"].sum() < 2 * corridor_area
    doc = d.to_json()
    assert doc["provenance"]["a"]["scenario"] == "status-quo" and "territory" in doc["data_marks"]
    # reading status-quo as TJK's claim and the corridor as KGZ's, the corridor is claimed by none
    swapped = compare(scenario("status-quo"), scenario("tj-corridor-claim"), parties=["TJK", "KGZ"])
    assert (swapped.pieces["kind"] == "none").any()
    assert not (swapped.pieces["kind"] == "both").any()


def test_json_contract(corridor) -> None:  # type: ignore[no-untyped-def]
    doc = corridor.to_json()
    for key in ("scenario", "crs", "parties", "necks", "provenance", "data_marks"):
        assert key in doc
    assert doc["data_marks"]["territory"] == ["illustrative"]
    part = doc["parties"][0]["parts"][0]
    assert {"id", "kind", "area_km2", "surrounded_by", "gap_to_mainland_km", "population"} <= set(part)
    neck = doc["necks"][0]
    assert {"party", "min_width_m", "length_km", "location"} <= set(neck)
    json.dumps(doc)


# ------------------------------------------------------------------ synthetic


def frame(rows: list[tuple[str, Polygon]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"party": [p for p, _ in rows], "part_id": [f"r{i}" for i in range(len(rows))]},
        geometry=[g for _, g in rows],
        crs=4326,
    )


def synthetic() -> list[tuple[str, Polygon]]:
    """Host H (0..1°) holding an enclave E inside, an exclave of E on the coast, and a neighbour N."""
    host = box(0, 0, 1, 1).difference(box(0.4, 0.4, 0.5, 0.5))
    return [
        ("H", host),
        ("E", box(0.4, 0.4, 0.5, 0.5)),
        ("N", box(1, 0, 2, 1)),
        ("E", box(2, 0, 2.5, 1)),  # E's mainland, beside N
        ("N", box(0.9, 1.2, 1.1, 1.3)),  # N's island: exclave, not surrounded
    ]


def test_synthetic_parts_kinds_and_gaps() -> None:
    r = analyse_territory(frame(synthetic()), name="synthetic", neck_width_m=1000.0)
    p = r.parts.set_index("id")
    assert p.loc["E-2", "kind"] == "enclave" and p.loc["E-2", "surrounded_by"] == "H"
    assert p.loc["E-1", "kind"] == "mainland"
    assert p.loc["N-2", "kind"] == "exclave" and not isinstance(p.loc["N-2", "surrounded_by"], str)
    # gap from the enclave (east edge lon 0.5) to E's mainland (lon 2.0), along a parallel
    expected = GEOD.inv(0.5, 0.45, 2.0, 0.45)[2] / 1000.0
    assert abs(p.loc["E-2", "gap_to_mainland_km"] - expected) < 0.01 * expected
    # island to N's mainland: 0.2° of latitude
    assert abs(p.loc["N-2", "gap_to_mainland_km"] - GEOD.inv(1.0, 1.0, 1.0, 1.2)[2] / 1000.0) < 0.05
    assert "equal-area" in r.crs.lower() or "laea" in r.crs


def test_overlapping_claims_are_overlaps_not_enclaves() -> None:
    """Land held by two parties (an island listed under both, a claim reaching into a neighbour)
    is reported as overlapped, never as an enclave of the other party; a true enclave still is one."""
    rows = [
        ("H", box(0, 0, 1, 1).difference(box(0.4, 0.4, 0.6, 0.6))),  # H's mainland with a hole
        ("E", box(0.4, 0.4, 0.6, 0.6)),  # E's enclave filling the hole
        ("E", box(3, 0, 4, 1)),  # E's mainland
        ("H", box(1.5, 2, 1.6, 2.1)),  # an island listed under both H ...
        ("E", box(1.5, 2, 1.6, 2.1)),  # ... and E
        ("E", box(0.9, -0.5, 1.1, -0.01)),  # an E islet clear of H
        ("C", box(-0.05, 0.2, 0.05, 0.3)),  # C's claim reaching 0.05 deg into H's mainland
        ("C", box(-2, 0, -1, 1)),  # C's mainland
        ("S", box(5, 0, 7, 2)),  # S's mainland, drawn without a hole for L
        ("L", box(5.5, 0.5, 6, 1)),  # L inside it: surrounded by S, and also held by S
        ("A", shapely.union_all([box(10, 0, 12, 1), box(11, 1, 11.5, 1.5)])),  # A with a peninsula ...
        ("B", box(11, 1, 11.5, 1.5)),  # ... that B also claims: B's claim borders A at the isthmus only
        ("B", box(13, 0, 14, 1)),  # B's mainland
        ("F", box(20, 0, 20.1, 0.1)),  # an island under F ...
        ("G", box(20.0005, 0.0005, 20.1005, 0.1005)),  # ... and under G, digitised 55 m apart
        ("G", box(22, 0, 23, 1)),  # G's mainland
    ]
    r = analyse_territory(frame(rows), name="overlaps", neck_width_m=1000.0)
    p = r.parts
    enclave = p[(p.party == "E") & (p.kind == "enclave")]
    assert len(enclave) == 1 and enclave.iloc[0]["surrounded_by"] == "H" and enclave.iloc[0]["overlapped_by"] == []
    twin_e = p[(p.party == "E") & p.geometry.apply(lambda g: g.equals(box(1.5, 2, 1.6, 2.1)))].iloc[0]
    twin_h = p[(p.party == "H") & p.geometry.apply(lambda g: g.equals(box(1.5, 2, 1.6, 2.1)))].iloc[0]
    assert (
        twin_e["kind"] == "exclave"
        and twin_e["overlapped_by"] == ["H"]
        and not isinstance(twin_e["surrounded_by"], str)
    )
    assert twin_h["kind"] == "exclave" and twin_h["overlapped_by"] == ["E"]
    poke = p[(p.party == "C") & (p.kind == "exclave")].iloc[0]
    assert poke["overlapped_by"] == ["H"]
    assert p[(p.party == "H") & (p.kind == "mainland")].iloc[0]["overlapped_by"] == ["C"]
    islet = p[(p.party == "E") & p.geometry.apply(lambda g: g.equals(box(0.9, -0.5, 1.1, -0.01)))].iloc[0]
    assert islet["overlapped_by"] == []
    lesotho = p[p.party == "L"].iloc[0]
    assert lesotho["kind"] == "mainland" and lesotho["surrounded_by"] == "S" and lesotho["overlapped_by"] == ["S"]
    claim = p[(p.party == "B") & (p.kind == "exclave")].iloc[0]
    assert claim["overlapped_by"] == ["A"] and not isinstance(claim["surrounded_by"], str)
    isthmus_km = GEOD.inv(11.0, 1.0, 11.5, 1.0)[2] / 1000.0
    assert abs(claim["shared_boundary_km"]["A"] - isthmus_km) < 0.01 * isthmus_km
    offset_twin = p[(p.party == "G") & (p.kind == "exclave")].iloc[0]
    assert offset_twin["overlapped_by"] == ["F"] and not isinstance(offset_twin["surrounded_by"], str)
    parts_json = {q["id"]: q for party in r.to_json()["parties"] for q in party["parts"]}
    assert parts_json[twin_e["id"]]["overlapped_by"] == ["H"]


def test_invalid_polygon_is_reported_by_feature() -> None:
    bow = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    with pytest.raises(InputError) as exc:
        analyse_territory(frame([("A", bow)]), name="bad")
    assert "r0" in str(exc.value) and "Self-intersection" in str(exc.value)


def test_compare_synthetic_claims() -> None:
    a = frame([("X", box(0, 0, 1, 1)), ("Y", box(1, 0, 2, 1))])
    b = frame([("X", box(0, 0, 0.8, 1)), ("Y", box(0.8, 0, 2, 1))])
    d = compare_territories(a, b, name_a="x-claim", name_b="y-claim", parties=["X", "Y"])
    assert list(d.pieces["kind"]) == ["both"]
    expected = abs(GEOD.geometry_area_perimeter(shapely.geometry.polygon.orient(box(0.8, 0, 1, 1)))[0]) / 1e6
    assert abs(d.pieces["area_km2"].iloc[0] - expected) < 0.005 * expected
    # X concedes 0..0.2 to Y in its claim, Y concedes the same to X in its: claimed by none
    c = frame([("X", box(0.2, 0, 1, 1)), ("Y", box(0, 0, 0.2, 1)), ("Y", box(1, 0, 2, 1))])
    e = frame([("X", box(0, 0, 1, 1)), ("Y", box(1, 0, 2, 1))])
    d2 = compare_territories(c, e, parties=["X", "Y"])
    assert list(d2.pieces["kind"]) == ["none"]


# ------------------------------------------------------------------ properties


def _reverse(g: Polygon) -> Polygon:
    return Polygon(list(g.exterior.coords)[::-1], [list(r.coords)[::-1] for r in g.interiors])


def _roll(g: Polygon, k: int) -> Polygon:
    xy = list(g.exterior.coords)[:-1]
    k %= len(xy)
    xy = xy[k:] + xy[:k]
    return Polygon([*xy, xy[0]], [list(r.coords) for r in g.interiors])


@settings(max_examples=25, deadline=None)
@given(
    angle=st.floats(0, 360),
    roll=st.integers(0, 7),
    reverse=st.booleans(),
    lon=st.floats(-60, 60),
    lat=st.floats(-50, 50),
)
def test_enclave_detection_invariant(angle: float, roll: int, reverse: bool, lon: float, lat: float) -> None:
    rows = []
    for party, g in synthetic():
        g = affinity.rotate(g, angle, origin=(1.0, 0.5))
        g = affinity.translate(g, lon, lat)
        g = shapely.set_precision(g, 0)  # keep as is
        g = _roll(g, roll)
        if reverse:
            g = _reverse(g)
        rows.append((party, g))
    r = analyse_territory(frame(rows), neck_width_m=1000.0)
    p = r.parts.set_index("id")
    assert p.loc["E-2", "kind"] == "enclave" and p.loc["E-2", "surrounded_by"] == "H"
    assert p.loc["N-2", "kind"] == "exclave"
    assert set(p["kind"]) == {"mainland", "enclave", "exclave"}


@settings(max_examples=25, deadline=None)
@given(
    cuts=st.lists(st.floats(0.05, 0.95), min_size=1, max_size=4),
    parties=st.lists(st.sampled_from("ABC"), min_size=5, max_size=5),
)
def test_parts_tile_the_region(cuts: list[float], parties: list[str]) -> None:
    xs = [0.0, *sorted(set(round(c, 3) for c in cuts)), 1.0]
    rows = [(parties[i % 5], box(xs[i], 0, xs[i + 1], 0.5)) for i in range(len(xs) - 1)]
    rows += [(parties[(i + 2) % 5], box(xs[i], 0.5, xs[i + 1], 1)) for i in range(len(xs) - 1)]
    r = analyse_territory(frame([(p, g) for p, g in rows if g.area > 0]), neck_width_m=500.0)
    total = r.parts["area_km2"].sum()
    expected = abs(GEOD.geometry_area_perimeter(shapely.geometry.polygon.orient(box(0, 0, 1, 1)))[0]) / 1e6
    assert abs(total - expected) < 1e-3 * expected
    g = r.parts.geometry.values
    inter = sum(shapely.area(shapely.intersection(g[i], g[j])) for i in range(len(g)) for j in range(i + 1, len(g)))
    assert inter < 1e-12


# ------------------------------------------------------------- data edges: clipped parts, digitising artefacts
def test_parts_cut_by_the_window_are_clipped_with_the_side_named() -> None:
    """A window cuts a neighbour's land into a strip along its south edge and a corner piece: what lies
    beyond the window is unknown, so neither is an exclave or enclave, whatever surrounds it inside."""
    window = box(0, 0, 3, 2)
    rows = [
        ("A", box(0, 0.2, 3, 2).difference(box(1.0, 1.0, 1.2, 1.2))),  # A's land, holding a hole for B's enclave
        ("B", box(1.0, 1.0, 1.2, 1.2)),  # a real enclave of B inside A, far from the edge
        ("B", box(0, 0, 3, 0.2)),  # B's land beyond: cut by the window's south edge (largest B part: mainland)
        ("C", box(2.9, 1.9, 3, 2).intersection(window)),  # C's corner piece, on the north-east corner
        ("C", box(0, 1.9, 0.1, 2)),  # C's piece on the north-west corner (C's mainland: same area, first)
    ]
    rows[0] = ("A", rows[0][1].difference(box(2.9, 1.9, 3, 2)).difference(box(0, 1.9, 0.1, 2)))
    r = analyse_territory(frame(rows), name="window", window=window)
    p = r.parts.set_index("id")
    kinds = dict(zip(p.index, p["kind"], strict=True))
    assert kinds["B-2"] == "enclave" and p.loc["B-2", "window_sides"] == []
    on_edge = [i for i in p.index if p.loc[i, "window_sides"]]
    assert not any(kinds[i] in ("enclave", "exclave") for i in on_edge)
    clipped = [i for i in p.index if kinds[i] == "clipped"]
    assert len(clipped) == 1 and clipped[0].startswith("C-")
    assert set(p.loc[clipped[0], "window_sides"]) in ({"north", "east"}, {"north", "west"})
    assert set(p.loc["B-1", "window_sides"]) == {"south", "east", "west"}
    doc = r.to_json()
    assert "clipped" in doc["definitions"]


def _noisy_neighbours(gap_deg: float, sliver_deg: float) -> list[tuple[str, Polygon]]:
    """Two parties digitised with a known error: B's part is joined to B's mainland by a neck `gap_deg`
    wide (a digitising sliver), and a thin strip of A `sliver_deg` wide lies along the line."""
    a = box(0, 0, 1, 1)
    b_main = box(1, 0, 2, 1)
    b_bulb = box(0.2, 0.2, 0.6, 0.6)
    neck = box(0.6, 0.4 - gap_deg / 2, 1.0, 0.4 + gap_deg / 2)
    a = a.difference(b_bulb).difference(neck)
    strip = box(2.0, 0, 2.0 + sliver_deg, 1)
    return [("A", a), ("B", shapely.union_all([b_main, b_bulb, neck])), ("A", strip)]


def test_digitising_slivers_are_artefacts_not_necks_or_exclaves() -> None:
    # 2 m neck (about 1.8e-5 degrees of latitude) and a 4 m wide strip; the source is good to 10 m
    two_m = 2.0 / 110_574.0
    four_m = 4.0 / (111_320.0 * np.cos(np.radians(0.5)))
    rows = _noisy_neighbours(two_m, four_m)
    r = analyse_territory(frame(rows), name="noisy", neck_width_m=1000.0, artefact_m=10.0)
    necks = r.necks
    assert len(necks) >= 1
    narrow = necks[necks["min_width_m"] < 10.0]
    assert len(narrow) >= 1 and (narrow["kind"] == "artefact").all()
    assert all("10 m" in s for s in narrow["artefact_reason"])
    p = r.parts.set_index("id")
    strip = [i for i in p.index if p.loc[i, "party"] == "A" and p.loc[i, "kind"] != "mainland"]
    assert len(strip) == 1 and p.loc[strip[0], "kind"] == "artefact"
    # with a tolerance below the noise (1 m) the same features are facts: a neck and an exclave
    r1 = analyse_territory(frame(rows), name="noisy", neck_width_m=1000.0, artefact_m=1.0)
    assert (r1.necks["kind"] == "neck").all()
    assert set(r1.parts.loc[r1.parts["party"] == "A", "kind"]) == {"mainland", "exclave"}


def test_status_quo_edge_parts_and_known_enclaves(status_quo) -> None:  # type: ignore[no-untyped-def]
    parts = status_quo.parts
    edge = parts[parts["window_sides"].map(len) > 0]
    assert not edge["kind"].isin(["enclave", "exclave"]).any()
    south = parts[(parts["party"] == "TJK") & (parts["kind"] == "clipped")]
    assert len(south) >= 1 and all("south" in s for s in south["window_sides"])
    known = {k["name"]: k for k in status_quo.known_enclaves}
    assert (
        known["Western Qalacha"]["party"] == "TJK"
        and known["Western Qalacha"]["status"] == "known, not in the boundary data"
    )
    assert known["Western Qalacha"]["population"] is None and known["Western Qalacha"]["population_unknown"] == 1
    # the enclaves carry their municipalities' published figures (Vorukh jamoat 32,916 in 2022; Sokh District
    # 80,600 in 2022: independent figures from the cited publications), each person once
    for name, figure in (("Vorukh", 32916), ("Ravon", 80600)):
        row = parts[parts["settlements"].map(lambda s, n=name: n in s)]
        row = row[row["kind"] == "enclave"]
        assert (
            len(row) == 1 and int(row["population"].iloc[0]) == figure and int(row["population_unknown"].iloc[0]) == 0
        )
