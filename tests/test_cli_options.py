"""Options of the CLI that had no test, each through the real command with an outcome known beforehand.

The treaty checks use a synthetic line and DEM whose answers follow from their construction; the
topology and chokepoint checks compare one output format or option with another run taken as the oracle.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from pyproj import Geod
from rasterio.transform import from_origin

GEOD = Geod(ellps="WGS84")

# ---------------------------------------------------------------------------- treaty on a synthetic line

#: A west-east line at 40° N with a vertex 0.00002° (about 2.2 m) north of the straight line at 70.085° E.
VERTICES = [(70.0, 40.0), (70.03, 40.0), (70.07, 40.0), (70.085, 40.00002), (70.10, 40.0)]
#: Flat ground at 500 m with a 300 m wall 0.003° wide on lon 70.05, between the pillars at 70.03 and 70.07.
RIDGE_LON = 70.05


@pytest.fixture(scope="module")
def line_and_dem(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("treaty")
    line = folder / "line.geojson"
    gpd.GeoDataFrame(
        {"status": ["drafted"], "name": ["test line"]}, geometry=[shapely.LineString(VERTICES)], crs="EPSG:4326"
    ).to_file(line, driver="GeoJSON")
    res, x0, y0, w, h = 0.001, 69.95, 40.05, 200, 100
    z = np.full((h, w), 500, dtype="int16")
    lons = x0 + res * (np.arange(w) + 0.5)
    z[:, np.abs(lons - RIDGE_LON) < 0.0015] = 800
    dem = folder / "dem.tif"
    profile = {"driver": "GTiff", "width": w, "height": h, "count": 1, "dtype": "int16", "crs": "EPSG:4326"}
    with rasterio.open(dem, "w", transform=from_origin(x0, y0, res, res), **profile) as d:
        d.write(z, 1)
    return line, dem


def _treaty(cli, line: Path, out: Path, *args: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    r = cli("treaty", line, "--between", "AAA", "BBB", "--no-pdf", "--format", "json", "-o", out, *args)
    assert r.code == 0, r.err
    return json.loads(r.out)


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.mark.slow
def test_treaty_dem_sight_check_and_sight_pillars(cli, line_and_dem, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    line, dem = line_and_dem
    doc = _treaty(cli, line, tmp_path / "a", "--dem", dem, "--max-spacing", "5000")
    # heights come from the DEM: every turning point stands on the flat 500 m ground
    assert {r["elevation_m"] for r in _rows(tmp_path / "a" / "turning_points.csv")} == {"500"}
    # the wall hides the pillar at 70.07 from the one at 70.03, and only that pair
    assert doc["pillars"]["sight_pairs_checked"] == 4 and doc["pillars"]["sight_blocked"] == 1
    (fail,) = _rows(tmp_path / "a" / "sight_failures.csv")
    assert abs(float(fail["obstruction_lon"]) - RIDGE_LON) <= 0.0015 + 0.001
    assert fail["obstruction_elevation_m"] == "800"
    pillars = _rows(tmp_path / "a" / "pillars.csv")
    lons = {p["pillar_no"]: float(p["lon"]) for p in pillars}
    assert (lons[fail["from_pillar"]], lons[fail["to_pillar"]]) == (70.03, 70.07)

    fixed = _treaty(cli, line, tmp_path / "b", "--dem", dem, "--max-spacing", "5000", "--add-sight-pillars")
    assert fixed["pillars"]["settings"]["add_sight_pillars"] is True
    added = [p for p in _rows(tmp_path / "b" / "pillars.csv") if p["kind"] != "turning point"]
    assert len(added) >= 1 and fixed["pillars"]["pillars"] == len(pillars) + len(added)
    assert all(70.03 < float(p["lon"]) < 70.07 for p in added)  # between the pair that could not see each other


@pytest.mark.slow
def test_treaty_without_dem_checks_no_sight(cli, line_and_dem, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    line, _ = line_and_dem
    doc = _treaty(cli, line, tmp_path / "a", "--max-spacing", "5000")
    # no elevation: every pair's sight is unknown, none is called blocked or clear
    assert doc["pillars"]["sight_pairs_checked"] == doc["pillars"]["sight_unknown"] == 4
    assert doc["pillars"]["sight_blocked"] == 0
    assert {r["elevation_m"] for r in _rows(tmp_path / "a" / "turning_points.csv")} == {""}


@pytest.mark.slow
def test_treaty_simplify_m_drops_only_the_small_kink(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # On the central meridian of UTM zone 42N (69° E), which is straight in the metric CRS and a geodesic,
    # with one vertex 0.00003° of longitude (about 2.6 m) east of it.
    line = tmp_path / "meridian.geojson"
    coords = [(69.0, 40.0), (69.00003, 40.05), (69.0, 40.10)]
    gpd.GeoDataFrame({"status": ["drafted"]}, geometry=[shapely.LineString(coords)], crs="EPSG:4326").to_file(
        line, driver="GeoJSON"
    )
    offset = GEOD.inv(69.0, 40.05, 69.00003, 40.05)[2]
    assert 2.4 < offset < 2.7
    kept = _treaty(cli, line, tmp_path / "a", "--simplify-m", str(offset / 2), "--no-watersheds")
    assert kept["description"]["vertices_kept"] == 3 and kept["description"]["turning_points"] == 3
    dropped = _treaty(cli, line, tmp_path / "b", "--simplify-m", str(offset * 2), "--no-watersheds")
    d = dropped["description"]
    assert (d["vertices_in"], d["vertices_kept"], d["turning_points"]) == (3, 2, 2)
    assert d["simplify_m"] == pytest.approx(offset * 2)
    lats = [float(r["lat"]) for r in _rows(tmp_path / "b" / "turning_points.csv")]
    assert lats == [40.0, 40.1]


@pytest.mark.slow
def test_treaty_section_status(cli, line_and_dem, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    line, _ = line_and_dem
    doc = _treaty(cli, line, tmp_path / "a", "--section-status", "1=signed", "--no-watersheds")
    assert doc["description"]["status_counts"] == {"signed": 1}
    assert [r["status"] for r in _rows(tmp_path / "a" / "sections.csv")] == ["signed"]
    doc = _treaty(cli, line, tmp_path / "b", "--status", "agreed", "--no-watersheds")
    assert doc["description"]["status_counts"] == {"agreed": 1}


# ---------------------------------------------------------------------------- topology


def _parts_and_necks(doc: dict) -> dict:  # type: ignore[type-arg]
    """``topology --format json`` as {parts: [... with party], necks: [...]}."""
    parts = [{**p, "party": g["party"]} for g in doc["parties"] for p in g["parts"]]
    return {"parts": parts, "necks": doc["necks"]}


@pytest.mark.slow
def test_topology_party_keeps_exactly_that_partys_parts(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("topology", "--scenario", "status-quo", "--format", "json")
    assert r.code == 0, r.err
    every = _parts_and_necks(json.loads(r.out))
    r = cli("topology", "--scenario", "status-quo", "--party", "TJK", "--format", "json")
    assert r.code == 0, r.err
    tjk = _parts_and_necks(json.loads(r.out))
    # oracle: the unfiltered run's Tajik parts and necks, unchanged
    assert tjk["parts"] and all(p["party"] == "TJK" for p in tjk["parts"])
    key = lambda p: p["id"]  # noqa: E731
    assert sorted(tjk["parts"], key=key) == sorted([p for p in every["parts"] if p["party"] == "TJK"], key=key)
    assert len(tjk["necks"]) == sum(n["party"] == "TJK" for n in every["necks"])
    vorukh = next(p for p in tjk["parts"] if "Vorukh" in p["settlements"])
    assert vorukh["kind"] == "enclave" and vorukh["surrounded_by"] == "KGZ"

    # the table shows the same parts, with the same areas (as printed, 2 decimals or more)
    r = cli("topology", "--scenario", "status-quo", "--party", "TJK", "--wide")
    assert r.code == 0, r.err
    for p in tjk["parts"]:
        line = next(ln for ln in r.out.splitlines() if f" {p['id']} " in ln)
        assert f"{p['area_km2']:,.2f}"[:-1] in line, (p["id"], line)


def test_topology_repair(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A self-intersecting (bow-tie) part is refused, naming --repair; with --repair it is repaired and reported."""
    bowtie = shapely.Polygon([(70.0, 40.0), (70.1, 40.1), (70.1, 40.0), (70.0, 40.1), (70.0, 40.0)])
    assert not bowtie.is_valid
    square = shapely.box(70.1, 40.0, 70.2, 40.1)
    gpd.GeoDataFrame(
        {
            "part_id": ["a", "b"],
            "party": ["AAA", "BBB"],
            "name": ["", ""],
            "status": ["illustrative"] * 2,
            "source": ["test"] * 2,
        },
        geometry=[bowtie, square],
        crs="EPSG:4326",
    ).to_file(tmp_path / "territory.geojson", driver="GeoJSON")
    (tmp_path / "s.yaml").write_text(
        "schema_version: 1\nname: bowtie\ntitle: bow tie\nstatus: illustrative\n"
        "layers:\n  territory: {path: territory.geojson}\n"
        "parties:\n  - {id: AAA, name: A}\n  - {id: BBB, name: B}\n",
        encoding="utf-8",
    )
    r = cli("topology", "--scenario", tmp_path / "s.yaml", "--format", "json")
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    assert "invalid geometry" in r.err and "--repair" in r.err
    r = cli("topology", "--scenario", tmp_path / "s.yaml", "--format", "json", "--repair")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    aaa = [p for p in _parts_and_necks(doc)["parts"] if p["party"] == "AAA"]
    # the repaired bow tie is its two triangles, 1/4 of the 0.1° square each: half the square in all
    half = abs(GEOD.geometry_area_perimeter(shapely.box(70.0, 40.0, 70.1, 40.1))[0]) / 2e6
    assert sum(p["area_km2"] for p in aaa) == pytest.approx(half, rel=2e-3)
    assert "repair" in r.err.lower() or "repair" in json.dumps(doc).lower()


# ---------------------------------------------------------------------------- chokepoints


@pytest.mark.slow
def test_chokepoints_class_csv_and_geojson_agree_with_json(cli) -> None:  # type: ignore[no-untyped-def]
    args = ("chokepoints", "-s", "status-quo", "--class", "resident-kg", "-n", "4")
    r = cli(*args, "--format", "json")
    assert r.code == 0, r.err
    rows = json.loads(r.out)["rows"]
    assert len(rows) == 4
    r = cli(*args, "--format", "csv")
    assert r.code == 0, r.err
    table = list(csv.DictReader(io.StringIO("\n".join(ln for ln in r.out.splitlines() if not ln.startswith("#")))))
    assert [x["id"] for x in table] == [x["id"] for x in rows]
    assert [int(x["people_cut_off"]) for x in table] == [x["people_cut_off"] for x in rows]
    r = cli(*args, "--format", "geojson")
    assert r.code == 0, r.err
    feats = json.loads(r.out)["features"]
    assert [f["properties"]["id"] for f in feats] == [x["id"] for x in rows]
    for f, x in zip(feats, rows, strict=True):
        # the point of a chokepoint is its location (a line's representative point for a road)
        geom = shapely.geometry.shape(f["geometry"])
        pt = geom if geom.geom_type == "Point" else geom.interpolate(0.5, normalized=True)
        assert geom.distance(shapely.Point(*x["location"])) < 1e-6 or pt.distance(shapely.Point(*x["location"])) < 1e-6
    # resident-kg differs from the default class: the ranking is the class's own
    r = cli("chokepoints", "-s", "status-quo", "--class", "no-such-class")
    assert r.code == 2
