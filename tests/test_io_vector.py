"""Vector round trips through read_layer/write_layers: GeoPackage, GeoJSON (RFC 7946), Shapefile, FlatGeobuf."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from delimit.crs import WGS84
from delimit.errors import InputError
from delimit.io.vector import ReadReport, list_layers, read_layer, write_layer, write_layers
from delimit.model.layers import LAYERS


def _territory() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "part_id": ["kg-1", "tj-1", "tj-vorukh"],
            "party": ["KGZ", "TJK", "TJK"],
            "name": ["", "", "Vorukh"],
            "status": ["de-facto"] * 3,
            "source": ["test"] * 3,
        },
        geometry=[
            shapely.box(70.0, 39.8, 70.5, 40.2),
            shapely.box(70.5, 39.8, 71.0, 40.2),
            shapely.Polygon(
                [(70.1, 39.9), (70.2, 39.9), (70.2, 40.0), (70.1, 40.0)],
                holes=[[(70.14, 39.94), (70.16, 39.94), (70.16, 39.96), (70.14, 39.96)]],
            ),
        ],
        crs=WGS84,
    )


def _roads() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "road_id": ["r1", "r2"],
            "name": ["Isfara - Vorukh", "Тортко\u0447о"],
            "road_class": ["primary", "track"],
            "status": ["schematic"] * 2,
            "source": ["test"] * 2,
        },
        geometry=[
            shapely.LineString([(70.0, 40.0), (70.1234567, 40.0765432)]),
            shapely.LineString([(70.1234567, 40.0765432), (70.3, 40.1)]),
        ],
        crs=WGS84,
    )


def _assert_same(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, tol: float = 0.0, *, orient: bool = False) -> None:
    """Same rows in the same order; geometries equal vertex by vertex (ring orientation aside if ``orient``)."""
    cols = [c for c in a.columns if c != "geometry"]
    assert list(b[cols].itertuples(index=False)) == list(a[cols].itertuples(index=False))
    for g1, g2 in zip(a.geometry, b.geometry, strict=True):
        if orient:
            g1, g2 = shapely.normalize(g1), shapely.normalize(g2)
        assert g1.equals_exact(g2, tolerance=tol), (g1.wkt, g2.wkt)


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp", ".fgb"])
@pytest.mark.parametrize("layer", ["territory", "roads"])
def test_round_trip(tmp_path: Path, suffix: str, layer: str) -> None:
    frame = _territory() if layer == "territory" else _roads()
    spec = LAYERS[layer]
    dest = tmp_path / f"{layer}{suffix}"
    write_layer(frame, dest, layer)
    back = read_layer(
        dest,
        layer if suffix == ".gpkg" else None,
        geometry_types=spec.geometry_types,
        id_field=spec.id_field,
        required=spec.required,
    )
    assert back.crs == WGS84
    # GeoJSON is written with 7 decimals (RFC 7946 advice: ~1 cm); the others are exact
    tol = 1e-7 if suffix == ".geojson" else 0.0
    if suffix == ".shp":
        # dBase cannot tell an empty string from a null: "" comes back as null
        assert back["name"].isna().sum() == (frame["name"] == "").sum()
        back["name"] = back["name"].fillna("")
    # RFC 7946 winds outer rings counter-clockwise, Shapefile clockwise: same rings, other order
    _assert_same(frame, back, tol, orient=suffix in (".geojson", ".shp"))
    # nothing but the destination (and a shapefile's sidecars) is left in the folder
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    expected = {".shp": [f"{layer}.{e}" for e in ("cpg", "dbf", "prj", "shp", "shx")]}.get(suffix, [dest.name])
    assert leftovers == expected


def test_geojson_is_rfc7946(tmp_path: Path) -> None:
    """Written GeoJSON has no 'crs' member, WGS84 lon/lat, 7 decimals, counter-clockwise outer rings."""
    frame = _territory()
    # store the first polygon clockwise: RFC 7946 output must turn it counter-clockwise
    frame.loc[0, "geometry"] = shapely.geometry.polygon.orient(frame.geometry.iloc[0], sign=-1.0)
    dest = write_layer(frame, tmp_path / "t.geojson")
    doc = json.loads(dest.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc
    ring = doc["features"][0]["geometry"]["coordinates"][0]
    assert shapely.LinearRing(ring).is_ccw
    hole = doc["features"][2]["geometry"]["coordinates"][1]
    assert not shapely.LinearRing(hole).is_ccw
    roads = write_layer(_roads(), tmp_path / "r.geojson")
    coords = json.loads(roads.read_text(encoding="utf-8"))["features"][0]["geometry"]["coordinates"]
    assert coords[1] == [70.1234567, 40.0765432]


def test_geojson_written_in_wgs84_from_a_projected_frame(tmp_path: Path) -> None:
    utm = _roads().to_crs(32642)
    dest = write_layer(utm, tmp_path / "r.geojson")
    back = read_layer(dest)
    _assert_same(_roads(), back, 1e-7)
    assert json.loads(dest.read_text(encoding="utf-8"))["features"][1]["geometry"]["coordinates"][1] == [70.3, 40.1]


def test_projected_gpkg_is_reprojected_on_read(tmp_path: Path) -> None:
    utm = _territory().to_crs(32642)
    dest = write_layer(utm, tmp_path / "t.gpkg", "territory")
    report = ReadReport()
    back = read_layer(dest, "territory", report=report)
    assert report.source_crs == "EPSG:32642"
    assert report.reprojected
    assert back.crs == WGS84
    for g1, g2 in zip(_territory().geometry, back.geometry, strict=True):
        assert g1.symmetric_difference(g2).area < 1e-12


def test_multi_layer_gpkg(tmp_path: Path) -> None:
    dest = write_layers({"territory": _territory(), "roads": _roads()}, tmp_path / "two.gpkg")
    assert list_layers(dest) == ["territory", "roads"]
    _assert_same(_roads(), read_layer(dest, "roads"))
    _assert_same(_territory(), read_layer(dest, "territory"))


def test_single_layer_formats_refuse_two_layers(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="holds one layer"):
        write_layers({"a": _roads(), "b": _roads()}, tmp_path / "two.geojson")
    assert list(tmp_path.iterdir()) == []


def test_rewrite_replaces_previous_content(tmp_path: Path) -> None:
    """Writing over an existing file replaces it whole (GeoPackage layers are not appended to old ones)."""
    dest = tmp_path / "t.gpkg"
    write_layers({"territory": _territory(), "roads": _roads()}, dest)
    write_layers({"roads": _roads().iloc[:1]}, dest)
    assert list_layers(dest) == ["roads"]
    assert len(read_layer(dest, "roads")) == 1


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"unknown vector format '\.kml'"):
        write_layer(_roads(), tmp_path / "x.kml")
    (tmp_path / "x.kml").write_text("x")
    with pytest.raises(InputError, match="unknown vector format"):
        read_layer(tmp_path / "x.kml")


def _geojson(path: Path, geometry: dict, **extra: object) -> Path:
    doc = {
        "type": "FeatureCollection",
        **extra,
        "features": [{"type": "Feature", "properties": {"part_id": "a"}, "geometry": geometry}],
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "name", ["EPSG:4326", "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326", "OGC:CRS84"]
)
def test_a_crs_member_naming_wgs84_is_accepted(tmp_path: Path, name: str) -> None:
    box = {"type": "Polygon", "coordinates": [[[70, 40], [71, 40], [71, 41], [70, 41], [70, 40]]]}
    gdf = read_layer(_geojson(tmp_path / "a.geojson", box, crs={"type": "name", "properties": {"name": name}}))
    assert gdf.geometry.iloc[0].bounds == (70.0, 40.0, 71.0, 41.0)


@pytest.mark.parametrize(
    "member",
    [
        {"type": "name", "properties": {"name": "EPSG:3857"}},
        {"type": "link", "properties": {"href": "x"}},
        "EPSG:4326",
        5,
    ],
)
def test_other_crs_members_are_refused(tmp_path: Path, member: object) -> None:
    box = {"type": "Polygon", "coordinates": [[[70, 40], [71, 40], [71, 41], [70, 41], [70, 40]]]}
    with pytest.raises(InputError) as err:
        read_layer(_geojson(tmp_path / "a.geojson", box, crs=member))
    assert err.value.field == "crs" and "RFC 7946" in err.value.reason


def test_antimeridian_edges_refused_but_parts_split_at_180_accepted(tmp_path: Path) -> None:
    """Chukotka-style land split at 180 degrees (as RFC 7946 asks) reads; the same land drawn as one
    ring across the line, and a road jumping across it, are refused in every format."""
    east = shapely.box(179.0, 65.0, 180.0, 66.0)
    west = shapely.box(-180.0, 65.0, -179.0, 66.0)
    split = gpd.GeoDataFrame({"part_id": ["a"]}, geometry=[shapely.MultiPolygon([east, west])], crs=WGS84)
    write_layer(split, tmp_path / "split.gpkg", "territory")
    assert len(read_layer(tmp_path / "split.gpkg", "territory")) == 1
    across = shapely.Polygon([(179.0, 65.0), (-179.0, 65.0), (-179.0, 66.0), (179.0, 66.0)])
    road = shapely.LineString([(179.5, 65.5), (-179.5, 65.5)])
    for name, geom, kind in (("ring.gpkg", across, "ring"), ("road.fgb", road, "line")):
        write_layer(gpd.GeoDataFrame({"road_id": ["r"]}, geometry=[geom], crs=WGS84), tmp_path / name)
        with pytest.raises(InputError) as err:
            read_layer(tmp_path / name)
        assert f"{kind} crosses the antimeridian" in err.value.reason and err.value.feature == 0


def test_bare_sqlite_named_gpkg_gives_no_warning(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    import sqlite3

    p = tmp_path / "x.gpkg"
    con = sqlite3.connect(p)
    con.execute("create table t (a integer)")
    con.commit()
    con.close()
    with pytest.raises(InputError, match="cannot open as vector data"):
        list_layers(p)
    with pytest.raises(InputError):
        read_layer(p)
    assert capfd.readouterr().err == ""
