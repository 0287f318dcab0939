"""OSM reader: small PBF/XML files written with osmium.SimpleWriter, read back with exact outcomes."""

from __future__ import annotations

import json
from pathlib import Path

import osmium
import pandas as pd
import pytest
import shapely
from osmium.osm.mutable import Node, Relation, Way

from delimit.errors import InputError
from delimit.io.limits import Limits
from delimit.io.osm import parse_population, read_osm
from delimit.io.vector import read_layer, write_layers
from delimit.model.layers import LAYERS

# Node id -> (lon, lat). Roads: a cross of two ways meeting at node 3, a track from the end of
# way 10, a footway, a proposed road (not a road yet) and a roundabout (closed way).
ROAD_NODES = {
    1: (70.00, 40.00),
    2: (70.01, 40.00),
    3: (70.02, 40.00),
    4: (70.03, 40.00),
    5: (70.02, 39.99),
    6: (70.02, 40.01),
    7: (70.04, 40.01),
    8: (70.05, 40.02),
    9: (70.06, 40.02),
    20: (70.10, 40.10),
    21: (70.11, 40.10),
    22: (70.11, 40.11),
    23: (70.07, 40.03),
    24: (70.08, 40.04),
}

# Boundaries: KGZ square (0..2) x (0..2) with a hole (0.5..1)^2; TJK square (2..4) x (0..2) plus the
# hole as an exclave. Node ids from 100 up; way ids from 100 up; relation ids 1, 2 (3: unassemblable,
# 4: without an ISO tag).
SQUARES = {
    "kgz_outer": [(0, 0), (2, 0), (2, 2), (0, 2)],
    "hole": [(0.5, 0.5), (1, 0.5), (1, 1), (0.5, 1)],
    "tjk_outer": [(2, 0), (4, 0), (4, 2), (2, 2)],
    "far": [(10, 10), (11, 10), (11, 11), (10, 11)],
}


def _write_osm(path: Path, *, size_padding: int = 0) -> Path:
    """Write the test network, places and boundaries to ``path`` (format from its suffix)."""
    w = osmium.SimpleWriter(str(path))
    nodes: dict[tuple[float, float], int] = {}
    next_id = 100
    ring_ways: dict[str, int] = {}
    way_nodes: dict[int, list[int]] = {}
    for name, ring in SQUARES.items():
        ids = []
        for xy in ring:
            if xy not in nodes:
                nodes[xy] = next_id
                next_id += 1
            ids.append(nodes[xy])
        way_nodes[100 + len(ring_ways)] = [*ids, ids[0]]
        ring_ways[name] = 100 + len(ring_ways)
    # nodes must come first and in id order
    all_nodes = [(i, xy, {}) for i, xy in ROAD_NODES.items()]
    all_nodes += [
        (
            50,
            (70.015, 40.005),
            {
                "place": "town",
                "name": "Alpha",
                "name:en": "Alpha Town",
                "population": "12 345",
                "population:date": "2019-01-01",
                "capital": "6",
            },
        ),
        (51, (70.025, 40.005), {"place": "village", "name": "Beta", "population": "about 300"}),
        (52, (70.035, 40.005), {"place": "hamlet", "name": "Gamma", "population": "1,200"}),
        (53, (70.045, 40.005), {"place": "suburb", "name": "Delta"}),
        (54, (70.055, 40.005), {"place": "city", "name": "Epsilon", "capital": "yes", "population": "-5"}),
    ]
    all_nodes += [(i, xy, {}) for xy, i in nodes.items()]
    for i, xy, tags in sorted(all_nodes, key=lambda t: t[0]):
        w.add_node(Node(id=i, location=xy, tags=tags))
    w.add_way(Way(id=10, nodes=[1, 2, 3, 4], tags={"highway": "primary", "name": "Main road"}))
    w.add_way(Way(id=11, nodes=[5, 3, 6], tags={"highway": "secondary_link", "ref": "EM-05"}))
    w.add_way(Way(id=12, nodes=[4, 7, 8], tags={"highway": "track"}))
    w.add_way(Way(id=13, nodes=[8, 9], tags={"highway": "footway"}))
    w.add_way(Way(id=14, nodes=[7, 9], tags={"highway": "proposed"}))
    w.add_way(Way(id=15, nodes=[20, 21, 22, 20], tags={"highway": "tertiary", "junction": "roundabout"}))
    w.add_way(Way(id=16, nodes=[9, 23, 999, 24, 20], tags={"highway": "unclassified"}))  # node 999 is missing
    for wid in ring_ways.values():
        w.add_way(Way(id=wid, nodes=way_nodes[wid], tags={"padding": "x" * size_padding} if size_padding else {}))
    admin = {"type": "boundary", "boundary": "administrative", "admin_level": "2"}
    w.add_relation(
        Relation(
            id=1,
            members=[("w", ring_ways["kgz_outer"], "outer"), ("w", ring_ways["hole"], "inner")],
            tags={**admin, "name": "Кыргызстан", "name:en": "Kyrgyzstan", "ISO3166-1:alpha3": "KGZ", "ISO3166-1": "KG"},
        )
    )
    w.add_relation(
        Relation(
            id=2,
            members=[("w", ring_ways["tjk_outer"], "outer"), ("w", ring_ways["hole"], "outer")],
            tags={**admin, "name:en": "Tajikistan", "ISO3166-1:alpha3": "TJK"},
        )
    )
    w.add_relation(
        Relation(id=3, members=[("w", 5000, "outer")], tags={**admin, "name": "Nowhere", "ISO3166-1:alpha3": "NWH"})
    )
    w.add_relation(Relation(id=4, members=[("w", ring_ways["far"], "outer")], tags={**admin, "name": "Untagged"}))
    w.close()
    return path


@pytest.fixture(params=["pbf", "xml"])
def osm_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return _write_osm(tmp_path / ("test.osm.pbf" if request.param == "pbf" else "test.osm"))


def test_roads_are_split_at_junctions(osm_file: Path) -> None:
    data = read_osm(osm_file)
    roads = data.roads.set_index("road_id")
    # way 10 is cut at node 3 (shared with way 11); its end node 4 (shared with the track) is an end already
    assert sorted(roads.index) == sorted(
        ["osm-w10-1", "osm-w10-2", "osm-w11-1", "osm-w11-2", "osm-w12", "osm-w13", "osm-w15", "osm-w16-1", "osm-w16-2"]
    )
    assert list(roads.loc["osm-w10-1"].geometry.coords) == [ROAD_NODES[1], ROAD_NODES[2], ROAD_NODES[3]]
    assert list(roads.loc["osm-w10-2"].geometry.coords) == [ROAD_NODES[3], ROAD_NODES[4]]
    # the junction is a shared vertex of four segment ends
    ends = [c for g in data.roads.geometry for c in (g.coords[0], g.coords[-1])]
    assert ends.count(ROAD_NODES[3]) == 4
    # the way with a node missing from the file is cut at the gap
    assert list(roads.loc["osm-w16-1"].geometry.coords) == [ROAD_NODES[9], ROAD_NODES[23]]
    assert list(roads.loc["osm-w16-2"].geometry.coords) == [ROAD_NODES[24], ROAD_NODES[20]]


def test_road_classes_names_and_columns(osm_file: Path) -> None:
    data = read_osm(osm_file)
    roads = data.roads.set_index("road_id")
    assert roads.loc["osm-w10-1", "road_class"] == "primary"
    assert roads.loc["osm-w11-1", "road_class"] == "secondary"  # a link takes its parent's class
    assert roads.loc["osm-w11-1", "name"] == "EM-05"  # ref when there is no name
    assert roads.loc["osm-w10-1", "name"] == "Main road"
    assert roads.loc["osm-w12", "road_class"] == "track"
    assert roads.loc["osm-w13", "road_class"] == "path"
    assert roads.loc["osm-w15", "geometry"].is_closed  # roundabout kept whole
    assert 14 not in set(data.roads["osm_id"])  # highway=proposed is not a road
    assert set(data.roads["status"]) == {"registry"}
    assert set(data.roads["source"]) == {f"OpenStreetMap ({osm_file.name})"}
    spec = LAYERS["roads"]
    for col in (spec.id_field, *spec.required, *(k for k, _ in spec.defaults), "osm_id"):
        assert col in data.roads.columns
    assert data.ways_read == 6
    assert data.roads.crs.to_epsg() == 4326


def test_places(osm_file: Path) -> None:
    data = read_osm(osm_file)
    places = data.places.set_index("settlement_id")
    assert sorted(places.index) == ["osm-n50", "osm-n51", "osm-n52", "osm-n54"]  # the suburb is not a settlement
    assert places.loc["osm-n50", "name"] == "Alpha Town"  # English name preferred
    assert places.loc["osm-n50", "population"] == 12345
    assert places.loc["osm-n50", "population_year"] == 2019
    assert places.loc["osm-n50", "role"] == "district-centre"
    assert places.loc["osm-n50", "place"] == "town"
    assert places["population"].dtype == "Int64"
    assert places.loc["osm-n51", "population"] is pd.NA  # 'about 300' is not a number: unknown, never 0
    assert places.loc["osm-n51", "role"] == "village"
    assert places.loc["osm-n52", "population"] == 1200
    assert places.loc["osm-n54", "population"] is pd.NA  # negative: unknown
    assert places.loc["osm-n51", "population_year"] is pd.NA  # no population:date
    assert places.loc["osm-n54", "role"] == "capital"
    assert places.loc["osm-n54"].geometry.coords[0] == (70.055, 40.005)


def test_boundaries_assembled_with_exclave(osm_file: Path) -> None:
    data = read_osm(osm_file)
    b = data.boundaries.set_index("part_id")
    assert sorted(b.index) == ["osm-r1", "osm-r2-1", "osm-r2-2"]
    assert b.loc["osm-r1", "party"] == "KGZ"
    assert b.loc["osm-r1", "country_name"] == "Kyrgyzstan"
    assert b.loc["osm-r1"].geometry.area == pytest.approx(4.0 - 0.25)  # square with the exclave's hole
    assert b.loc["osm-r2-1"].geometry.area == pytest.approx(4.0)  # largest part first
    assert b.loc["osm-r2-2"].geometry.area == pytest.approx(0.25)  # the exclave, a part of its own
    assert set(b["party"]) == {"KGZ", "TJK"}
    assert set(b["status"]) == {"de-facto"}
    kgz = b.loc["osm-r1"].geometry
    tjk = shapely.union_all(b.loc[["osm-r2-1", "osm-r2-2"]].geometry.values)
    assert kgz.intersection(tjk).area == pytest.approx(0.0, abs=1e-12)
    assert kgz.union(tjk).area == pytest.approx(8.0)


def test_problems_are_reported_not_hidden(osm_file: Path) -> None:
    data = read_osm(osm_file)
    text = " | ".join(data.problems)
    assert "r3 (Nowhere)" in text and "could not be assembled" in text
    assert "r4 (Untagged) has no ISO3166-1 tag" in text
    assert "1 road way references nodes missing" in text
    summary = data.summary()
    assert "\n" not in summary
    assert summary.startswith(
        "roads 9 segments from 6 ways (path 1, primary 2, secondary 2, tertiary 1, track 1, unclassified 2)"
    )
    assert "places 4 (city 1, hamlet 1, town 1, village 1)" in summary
    assert "boundaries 3 parts (KGZ 1, TJK 2)" in summary
    assert "3 problems" in summary


def test_osm_layers_pass_delimit_validation(osm_file: Path, tmp_path: Path) -> None:
    """The layers OSM gives are valid delimit layers: written to a GeoPackage, they read back under the layer specs."""
    data = read_osm(osm_file)
    out = write_layers(data.layers(), tmp_path / "osm.gpkg")
    for name, frame in data.layers().items():
        spec = LAYERS[name]
        back = read_layer(out, name, geometry_types=spec.geometry_types, id_field=spec.id_field, required=spec.required)
        assert len(back) == len(frame)
        assert list(back[spec.id_field]) == list(frame[spec.id_field])


def test_pbf_and_xml_agree(tmp_path: Path) -> None:
    a = read_osm(_write_osm(tmp_path / "a.osm.pbf"))
    b = read_osm(_write_osm(tmp_path / "b.osm"))
    for x, y in ((a.roads, b.roads), (a.places, b.places), (a.boundaries, b.boundaries)):
        pd.testing.assert_frame_equal(
            pd.DataFrame(x.drop(columns=["source", "geometry"])), pd.DataFrame(y.drop(columns=["source", "geometry"]))
        )
        assert all(g1.equals(g2) for g1, g2 in zip(x.geometry, y.geometry, strict=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12345", 12345),
        ("12 345", 12345),
        ("12\u202f345", 12345),
        ("1.234.567", 1234567),
        ("~800", 800),
        ("0", None),
        ("", None),
        ("abc", None),
        ("1000-2000", None),
        ("1000;2000", None),
        ("12.5", None),
        ("-3", None),
        ("999999999999", None),
        ("12,34", None),
    ],
)
def test_parse_population(text: str, expected: int | None) -> None:
    """A tag that is no plain positive head count is unknown (None), never 0 people."""
    assert parse_population(text) == expected


def test_empty_file_gives_empty_layers(tmp_path: Path) -> None:
    p = tmp_path / "empty.osm.pbf"
    osmium.SimpleWriter(str(p)).close()
    data = read_osm(p)
    assert (len(data.roads), len(data.places), len(data.boundaries)) == (0, 0, 0)
    assert list(data.roads.columns)[:3] == ["road_id", "name", "road_class"]
    assert data.layers() == {}
    assert data.summary() == "roads 0 segments from 0 ways; places 0; boundaries 0 parts"


def test_garbage_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "bad.osm.pbf"
    p.write_bytes(b"\x00\x01garbage" * 50)
    with pytest.raises(InputError) as err:
        read_osm(p)
    assert err.value.path == str(p)
    assert "cannot read as OSM data" in err.value.message


def test_size_limit(tmp_path: Path) -> None:
    p = _write_osm(tmp_path / "big.osm", size_padding=200)
    with pytest.raises(InputError, match=r"over the 0\.0 MB limit"):
        read_osm(p, limits=Limits(max_file_bytes=1024))


def test_cli_validate_osm(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    p = _write_osm(tmp_path / "net.osm.pbf")
    r = cli("validate", p)
    assert r.code == 0, r.err
    assert "roads 9 segments" in r.out.replace("\n", " ")
    r = cli("validate", "--format", "json", p)
    doc = json.loads(r.out)
    (result,) = doc["files"]
    assert result["kind"] == "osm" and result["crs"] == "EPSG:4326"
    assert len(result["notes"]) == 3 and any("r3 (Nowhere)" in n for n in result["notes"])
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm><node id='1'")
    r = cli("validate", bad)
    assert r.code == 2
    assert r.err.count("\n") == 1 and str(bad) in r.err
