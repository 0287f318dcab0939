"""The bad-input suite: every hostile or broken input is refused through the real CLI.

Each case runs ``delimit validate PATH`` (and, for scenarios, ``delimit scenarios show PATH``) and
asserts exit status 2, exactly one line on stderr naming the file, the feature (index or id) and the
field where there is one, and that nothing was written anywhere in the case's folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import pytest
import shapely
import yaml

from delimit.crs import WGS84

# ----------------------------------------------------------------------------- helpers

BOX_KG = [[70.0, 39.8], [70.5, 39.8], [70.5, 40.2], [70.0, 40.2], [70.0, 39.8]]
BOX_TJ = [[70.5, 39.8], [71.0, 39.8], [71.0, 40.2], [70.5, 40.2], [70.5, 39.8]]
BOW_TIE = [[70.0, 39.8], [70.5, 40.2], [70.5, 39.8], [70.0, 40.2], [70.0, 39.8]]


def feature(geometry: dict[str, Any] | None, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def polygon(ring: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring]}


def write_geojson(path: Path, features: list[dict[str, Any]], **extra: Any) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", **extra, "features": features}), encoding="utf-8")
    return path


def territory_features() -> list[dict[str, Any]]:
    return [
        feature(polygon(BOX_KG), part_id="kg-1", party="KGZ", name="", status="de-facto", source="test"),
        feature(polygon(BOX_TJ), part_id="tj-1", party="TJK", name="", status="de-facto", source="test"),
    ]


def scenario_doc(**changes: Any) -> dict[str, Any]:
    """A small, complete, valid scenario (its files written by :func:`scenario_folder`)."""
    doc: dict[str, Any] = {
        "schema_version": 1,
        "name": "mini",
        "title": "mini scenario",
        "status": "illustrative",
        "layers": {
            "territory": {"path": "territory.geojson"},
            "crossings": {"path": "crossings.geojson"},
            "roads": {"path": "roads.geojson"},
        },
        "parties": [{"id": "KGZ", "name": "Kyrgyzstan"}, {"id": "TJK", "name": "Tajikistan"}],
        "traveller_classes": [{"id": "resident-kg", "party": "KGZ"}],
        "regimes": [
            {
                "id": "open",
                "crossings": [{"crossing": "x-1", "classes": {"resident-kg": {"open": True, "delay_minutes": 5}}}],
            }
        ],
        "default_regime": "open",
    }
    doc.update(changes)
    return doc


def scenario_folder(folder: Path, doc: dict[str, Any] | None = None) -> Path:
    """Write a valid mini scenario (territory, crossings, roads, scenario.yaml) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    write_geojson(folder / "territory.geojson", territory_features())
    write_geojson(
        folder / "crossings.geojson",
        [
            feature(
                {"type": "Point", "coordinates": [70.5, 40.0]},
                crossing_id="x-1",
                name="X",
                parties="KGZ-TJK",
                status="schematic",
                source="test",
            )
        ],
    )
    write_geojson(
        folder / "roads.geojson",
        [
            feature(
                {"type": "LineString", "coordinates": [[70.2, 40.0], [70.8, 40.0]]},
                road_id="r-1",
                name="R",
                road_class="primary",
                status="schematic",
                source="test",
            )
        ],
    )
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc or scenario_doc(), sort_keys=False), encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative name -> bytes), to prove nothing was written."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else b"<dir>") for p in sorted(folder.rglob("*"))
    }


def refused(
    cli: Callable[..., Any],
    folder: Path,
    *args: str | Path,
    names: tuple[str, ...] = (),
    feature_: str | None = None,
    field: str | None = None,
    also_show: bool = False,
) -> str:
    """Run ``delimit validate *args`` (and ``scenarios show``), assert a clean refusal; return the message."""
    before = snapshot(folder)
    cwd = os.getcwd()
    messages = []
    commands = [("validate", *args)]
    if also_show:
        commands.append(("scenarios", "show", *args))
    try:
        os.chdir(folder)  # nothing may be written to the working folder either
        for command in commands:
            r = cli(*command)
            assert r.code == 2, (command, r.code, r.out, r.err)
            assert r.err.endswith("\n") and r.err.count("\n") == 1, f"not one line: {r.err!r}"
            assert r.err.startswith("delimit: error: ")
            assert r.out == ""
            for name in names:
                assert name in r.err, f"{name!r} not named in {r.err!r}"
            if feature_ is not None:
                assert f"feature {feature_}" in r.err, r.err
            if field is not None:
                assert f"field {field!r}" in r.err, r.err
            messages.append(r.err)
    finally:
        os.chdir(cwd)
    assert snapshot(folder) == before, "something was written"
    return messages[0]


def test_the_mini_scenario_is_valid(cli: Callable[..., Any], tmp_path: Path) -> None:
    """The baseline every scenario case below breaks in one place."""
    path = scenario_folder(tmp_path)
    r = cli("validate", path)
    assert r.code == 0, r.err
    assert "scenario 'mini'" in r.out


# ----------------------------------------------------------------------------- syntax


def test_malformed_json(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = tmp_path / "territory.geojson"
    p.write_text('{"type": "FeatureCollection", "features": [\n  {"type": "Feature",, }\n]}', encoding="utf-8")
    msg = refused(cli, tmp_path, p, names=(str(p), "malformed JSON", "line 2"))
    assert "column" in msg


def test_malformed_yaml(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = tmp_path / "scenario.yaml"
    p.write_text("schema_version: 1\nname: bad\nparties: [\n  {id: KGZ, name: Kyrgyzstan\n", encoding="utf-8")
    refused(cli, tmp_path, p, names=(str(p), "malformed YAML", "line"), also_show=True)


def test_yaml_that_is_not_a_mapping(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = tmp_path / "scenario.yaml"
    p.write_text("- just\n- a list\n", encoding="utf-8")
    refused(cli, tmp_path, p, names=(str(p), "mapping"), also_show=True)


def test_unknown_scenario_key(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = scenario_folder(tmp_path, scenario_doc(regimes_typo=[]))
    refused(cli, tmp_path, path, names=(str(path),), field="regimes_typo", also_show=True)


MINI_TOML = """
schema_version = 1
name = "mini"
title = "mini scenario"
default_regime = "open"

[layers.territory]
path = "territory.geojson"

[layers.crossings]
path = "crossings.geojson"

[[parties]]
id = "KGZ"
name = "Kyrgyzstan"

[[parties]]
id = "TJK"
name = "Tajikistan"

[[traveller_classes]]
id = "resident-kg"
party = "KGZ"

[[regimes]]
id = "open"

[[regimes.crossings]]
crossing = "x-1"
classes = { resident-kg = { open = true, delay_minutes = 5 } }
"""


def test_toml_scenario(cli: Callable[..., Any], tmp_path: Path) -> None:
    scenario_folder(tmp_path)
    p = tmp_path / "mini.toml"
    p.write_text(MINI_TOML, encoding="utf-8")
    r = cli("validate", p)
    assert r.code == 0, r.err
    p.write_text(MINI_TOML.replace('name = "mini"', 'name = "mini"\nname = "again"'), encoding="utf-8")
    refused(cli, tmp_path, p, names=(str(p), "malformed TOML", "line 4"), also_show=True)


def test_odd_file_names_are_printed_verbatim(cli: Callable[..., Any], tmp_path: Path) -> None:
    """Paths with rich-markup brackets are printed as they are, on one line."""
    p = write_geojson(tmp_path / "territory [draft].geojson", territory_features())
    r = cli("validate", p)
    assert r.code == 0, r.err
    assert r.out.count("\n") == 1 and f"{p}: layers:" in r.out


# ----------------------------------------------------------------------------- geometry


def test_wrong_geometry_type_in_gpkg_territory_layer(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = tmp_path / "data.gpkg"
    gdf = gpd.GeoDataFrame(
        {"part_id": ["a", "b"], "party": ["KGZ", "TJK"]},
        geometry=[shapely.Polygon(BOX_KG), shapely.LineString(BOX_TJ)],
        crs=WGS84,
    )
    pyogrio.write_dataframe(gdf, p, layer="territory", driver="GPKG", geometry_type="Unknown")
    msg = refused(
        cli,
        tmp_path,
        p,
        names=(str(p), "territory", "LineString", "Polygon"),
        feature_="1 (part_id=b)",
        field="geometry",
    )
    assert "layer 'territory'" in msg


def test_wrong_geometry_type_through_a_scenario(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = scenario_folder(tmp_path)
    lines = [feature({"type": "LineString", "coordinates": BOX_KG}, part_id="kg-1", party="KGZ")]
    write_geojson(tmp_path / "territory.geojson", lines)
    refused(
        cli,
        tmp_path,
        path,
        names=(str(tmp_path / "territory.geojson"), "LineString"),
        feature_="0 (part_id=kg-1)",
        field="geometry",
        also_show=True,
    )


def test_wrong_geometry_type_in_settlements(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = write_geojson(
        tmp_path / "settlements.geojson",
        [
            feature({"type": "Point", "coordinates": [70.1, 40.0]}, settlement_id="s1", name="A"),
            feature(polygon(BOX_KG), settlement_id="s2", name="B"),
        ],
    )
    refused(cli, tmp_path, p, names=(str(p), "Polygon", "Point"), feature_="1 (settlement_id=s2)", field="geometry")


def test_self_intersecting_polygon(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = write_geojson(
        tmp_path / "territory.geojson", [*territory_features(), feature(polygon(BOW_TIE), part_id="bow", party="KGZ")]
    )
    refused(
        cli, tmp_path, p, names=(str(p), "Self-intersection", "--repair"), feature_="2 (part_id=bow)", field="geometry"
    )


def test_repair_mends_the_bow_tie_and_says_so(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = write_geojson(
        tmp_path / "territory.geojson", [*territory_features(), feature(polygon(BOW_TIE), part_id="bow", party="KGZ")]
    )
    before = snapshot(tmp_path)
    r = cli("validate", "--repair", p)
    assert r.code == 0, r.err
    assert f"{p}: feature 2 (part_id=bow): repaired (Self-intersection" in r.out
    assert "MultiPolygon" in r.out
    r = cli("validate", "--repair", "--format", "json", p)
    doc = json.loads(r.out)
    (rep,) = doc["files"][0]["repairs"]
    assert "feature 2 (part_id=bow)" in rep and "Self-intersection" in rep
    assert snapshot(tmp_path) == before  # the file itself is never modified


def test_repair_through_a_scenario(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = scenario_folder(tmp_path)
    write_geojson(
        tmp_path / "territory.geojson",
        [*territory_features()[1:], feature(polygon(BOW_TIE), part_id="kg-1", party="KGZ")],
    )
    refused(cli, tmp_path, path, feature_="1 (part_id=kg-1)", field="geometry")
    r = cli("validate", "--repair", path)
    assert r.code == 0, r.err
    assert "feature 1 (part_id=kg-1): repaired (Self-intersection" in r.out


def test_unclosed_ring(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = write_geojson(
        tmp_path / "territory.geojson",
        [*territory_features(), feature(polygon(BOX_KG[:-1]), part_id="open", party="KGZ")],
    )
    refused(cli, tmp_path, p, names=(str(p), "not closed"), feature_="2 (part_id=open)", field="geometry")


def test_null_geometry(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = write_geojson(
        tmp_path / "territory.geojson", [*territory_features(), feature(None, part_id="nothing", party="KGZ")]
    )
    refused(cli, tmp_path, p, names=(str(p), "null"), feature_="2 (part_id=nothing)", field="geometry")


def test_empty_geometry_geojson(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = write_geojson(
        tmp_path / "territory.geojson",
        [feature({"type": "Polygon", "coordinates": []}, part_id="void", party="KGZ"), *territory_features()],
    )
    refused(cli, tmp_path, p, names=(str(p), "empty"), feature_="0 (part_id=void)", field="geometry")


def test_empty_geometry_gpkg(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = tmp_path / "data.gpkg"
    gdf = gpd.GeoDataFrame(
        {"part_id": ["a", "b"], "party": ["KGZ", "TJK"]},
        geometry=[shapely.Polygon(BOX_KG), shapely.Polygon()],
        crs=WGS84,
    )
    pyogrio.write_dataframe(gdf, p, layer="territory", driver="GPKG")
    refused(cli, tmp_path, p, names=(str(p), "empty geometry"), feature_="1 (part_id=b)", field="geometry")


def test_nan_coordinate_geojson(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = tmp_path / "settlements.geojson"
    p.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"settlement_id": "s1", "name": "A"},'
        ' "geometry": {"type": "Point", "coordinates": [70.1, NaN]}}]}',
        encoding="utf-8",
    )
    refused(cli, tmp_path, p, names=(str(p), "NaN"), feature_="0 (settlement_id=s1)", field="geometry")


def test_nan_coordinate_gpkg(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = tmp_path / "data.gpkg"
    gdf = gpd.GeoDataFrame(
        {"settlement_id": ["s1", "s2"], "name": ["A", "B"]},
        geometry=[shapely.Point(70, 40), shapely.Point(70.1, float("nan"))],
        crs=WGS84,
    )
    pyogrio.write_dataframe(gdf, p, layer="settlements", driver="GPKG")
    refused(cli, tmp_path, p, names=(str(p), "NaN"), feature_="1 (settlement_id=s2)", field="geometry")


def test_latitude_out_of_range(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = write_geojson(
        tmp_path / "settlements.geojson",
        [
            feature({"type": "Point", "coordinates": [70.1, 40.0]}, settlement_id="s1", name="A"),
            feature({"type": "Point", "coordinates": [70.1, 95.0]}, settlement_id="s2", name="B"),
        ],
    )
    refused(
        cli,
        tmp_path,
        p,
        names=(str(p), "(70.1, 95)", "latitude -90..90"),
        feature_="1 (settlement_id=s2)",
        field="geometry",
    )


# ----------------------------------------------------------------------------- CRS


def test_shapefile_without_prj(cli: Callable[..., Any], tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"road_id": ["r1"]}, geometry=[shapely.LineString([(70, 40), (70.1, 40.1)])], crs=WGS84)
    p = tmp_path / "roads.shp"
    pyogrio.write_dataframe(gdf, p)
    (tmp_path / "roads.prj").unlink()
    refused(cli, tmp_path, p, names=(str(p), "no CRS"), field="crs")


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_gpkg_layer_with_undefined_srs(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = tmp_path / "data.gpkg"
    gdf = gpd.GeoDataFrame({"road_id": ["r1"]}, geometry=[shapely.LineString([(70, 40), (70.1, 40.1)])], crs=None)
    pyogrio.write_dataframe(gdf, p, layer="roads", driver="GPKG")
    assert pyogrio.read_info(p, layer="roads")["crs"] is None  # the GeoPackage's 'undefined' SRS
    refused(cli, tmp_path, p, names=(str(p), "no CRS", "layer 'roads'"), field="crs")


def _utm_roads(path: Path) -> Path:
    gdf = gpd.GeoDataFrame(
        {"road_id": ["r-9"], "name": ["UTM road"]},
        geometry=[shapely.LineString([(70.2, 40.0), (70.8, 40.0)])],
        crs=WGS84,
    ).to_crs(32642)
    pyogrio.write_dataframe(gdf, path, layer="roads", driver="GPKG")
    return path


def test_two_files_in_different_crs(cli: Callable[..., Any], tmp_path: Path) -> None:
    a = write_geojson(tmp_path / "territory.geojson", territory_features())
    b = _utm_roads(tmp_path / "roads.gpkg")
    refused(cli, tmp_path, a, b, names=(str(b), str(a), "EPSG:32642", "EPSG:4326"), field="crs")


def test_scenario_mixing_crs(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = scenario_folder(tmp_path)
    _utm_roads(tmp_path / "roads.gpkg")
    doc = scenario_doc()
    doc["layers"]["roads"] = {"path": "roads.gpkg", "layer": "roads"}
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    refused(cli, tmp_path, path, names=("roads.gpkg", "EPSG:32642", "EPSG:4326"), field="crs", also_show=True)


def test_crs84_and_epsg4326_are_one_crs(cli: Callable[..., Any], tmp_path: Path) -> None:
    """Axis order aside, OGC:CRS84 and EPSG:4326 are the same data: not a mismatch."""
    a = write_geojson(tmp_path / "territory.geojson", territory_features())
    gdf = gpd.GeoDataFrame(
        {"road_id": ["r-1"]}, geometry=[shapely.LineString([(70.2, 40.0), (70.8, 40.0)])], crs="OGC:CRS84"
    )
    b = tmp_path / "roads.gpkg"
    pyogrio.write_dataframe(gdf, b, layer="roads", driver="GPKG")
    r = cli("validate", a, b)
    assert r.code == 0, r.err


def test_folder_given_as_a_layer(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = scenario_folder(tmp_path)
    (tmp_path / "roads_dir").mkdir()
    doc = scenario_doc()
    doc["layers"]["roads"] = {"path": "roads_dir"}
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    refused(cli, tmp_path, path, names=(str(tmp_path / "roads_dir"), "is a folder"), also_show=True)


# ----------------------------------------------------------------------------- references


def test_transfer_from_undeclared_party(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = scenario_folder(tmp_path)
    write_geojson(tmp_path / "swap.geojson", [feature(polygon(BOX_KG), id="swap")])
    doc = scenario_doc(
        transfers=[{"id": "swap", "from": "UZB", "to": "TJK", "source": "test", "geometry": {"path": "swap.geojson"}}]
    )
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    refused(cli, tmp_path, path, names=(str(path), "'UZB'"), field="transfers.0.from", also_show=True)


def test_territory_with_undeclared_party(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = scenario_folder(tmp_path)
    feats = territory_features()
    feats[1]["properties"]["party"] = "UZB"
    write_geojson(tmp_path / "territory.geojson", feats)
    refused(
        cli,
        tmp_path,
        path,
        names=("territory.geojson", "'UZB'"),
        feature_="1 (part_id=tj-1)",
        field="party",
        also_show=True,
    )


def test_regime_names_unknown_crossing(cli: Callable[..., Any], tmp_path: Path) -> None:
    doc = scenario_doc()
    doc["regimes"][0]["crossings"][0]["crossing"] = "no-such-crossing"
    path = scenario_folder(tmp_path, doc)
    refused(
        cli,
        tmp_path,
        path,
        names=(str(path), "'no-such-crossing'"),
        field="regimes.0.crossings.0.crossing",
        also_show=True,
    )


def test_regime_names_unknown_class(cli: Callable[..., Any], tmp_path: Path) -> None:
    doc = scenario_doc()
    doc["regimes"][0]["borders"] = [{"parties": ["KGZ", "TJK"], "classes": {"nobody": {"open": True}}}]
    path = scenario_folder(tmp_path, doc)
    refused(cli, tmp_path, path, names=(str(path), "'nobody'"), field="regimes.0.borders.0.classes", also_show=True)


def test_regime_border_with_unknown_party(cli: Callable[..., Any], tmp_path: Path) -> None:
    doc = scenario_doc()
    doc["regimes"][0]["borders"] = [{"parties": ["KGZ", "XXX"], "default": {"open": False}}]
    path = scenario_folder(tmp_path, doc)
    refused(cli, tmp_path, path, names=(str(path), "'XXX'"), field="regimes.0.borders.0.parties", also_show=True)


def test_duplicate_ids_in_a_layer(cli: Callable[..., Any], tmp_path: Path) -> None:
    feats = territory_features()
    feats[1]["properties"]["part_id"] = "kg-1"
    p = write_geojson(tmp_path / "territory.geojson", feats)
    refused(cli, tmp_path, p, names=(str(p), "duplicate id 'kg-1'"), feature_="1", field="part_id")


def test_duplicate_yaml_keys(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = scenario_folder(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + "name: mini-again\n", encoding="utf-8")
    refused(cli, tmp_path, path, names=(str(path), "duplicate key 'name'", "line"), also_show=True)


def test_duplicate_party_ids(cli: Callable[..., Any], tmp_path: Path) -> None:
    doc = scenario_doc(
        parties=[
            {"id": "KGZ", "name": "Kyrgyzstan"},
            {"id": "TJK", "name": "Tajikistan"},
            {"id": "KGZ", "name": "again"},
        ]
    )
    path = scenario_folder(tmp_path, doc)
    refused(cli, tmp_path, path, names=(str(path), "duplicate", "'KGZ'"), field="parties.2.id", also_show=True)


def test_added_road_clashes_with_an_existing_id(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = scenario_folder(tmp_path, scenario_doc(add_roads=[{"path": "more_roads.geojson"}]))
    line = {"type": "LineString", "coordinates": [[70.2, 40.1], [70.8, 40.1]]}
    extra = write_geojson(tmp_path / "more_roads.geojson", [feature(line, road_id="r-2"), feature(line, road_id="r-1")])
    refused(
        cli,
        tmp_path,
        path,
        names=(str(extra), "'r-1'", "add_roads.0"),
        feature_="1 (road_id=r-1)",
        field="road_id",
        also_show=True,
    )


def test_unknown_base(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = scenario_folder(tmp_path, scenario_doc(base="no-such-base"))
    refused(cli, tmp_path, path, names=(str(path), "'no-such-base'", "status-quo"), field="base", also_show=True)


def test_unknown_dataset(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = scenario_folder(tmp_path, scenario_doc(dataset="atlantis"))
    refused(cli, tmp_path, path, names=(str(path), "'atlantis'", "fergana"), field="dataset", also_show=True)


def test_transfer_covering_no_land_of_its_party(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = scenario_folder(tmp_path)
    write_geojson(tmp_path / "swap.geojson", [feature(polygon([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]))])
    doc = scenario_doc(
        transfers=[{"id": "swap", "from": "KGZ", "to": "TJK", "source": "test", "geometry": {"path": "swap.geojson"}}]
    )
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    refused(
        cli, tmp_path, path, names=(str(path), "covers no land of 'KGZ'"), field="transfers.0.geometry", also_show=True
    )


def test_geojson_position_too_short(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = write_geojson(
        tmp_path / "settlements.geojson",
        [feature({"type": "Point", "coordinates": [70.1]}, settlement_id="s1", name="A")],
    )
    refused(cli, tmp_path, p, names=(str(p), "fewer than 2 numbers"), feature_="0 (settlement_id=s1)", field="geometry")


# ----------------------------------------------------------------------------- encoding, size, nesting


def test_latin1_yaml(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = scenario_folder(tmp_path)
    path.write_bytes(path.read_bytes().replace(b"title: mini scenario", "title: Söghd".encode("latin-1")))
    refused(cli, tmp_path, path, names=(str(path), "not UTF-8", "line 3"), also_show=True)


def test_latin1_geojson(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = tmp_path / "territory.geojson"
    feats = territory_features()
    feats[0]["properties"]["name"] = "Söghd"
    p.write_bytes(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False).encode("latin-1"))
    refused(cli, tmp_path, p, names=(str(p), "not UTF-8"))


def test_file_over_the_size_limit(cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    feats = territory_features() * 1
    p = write_geojson(tmp_path / "territory.geojson", feats, padding="x" * 30_000)
    monkeypatch.setenv("DELIMIT_MAX_FILE_MB", "0.01")
    refused(cli, tmp_path, p, names=(str(p), "over the 0.0 MB limit", "DELIMIT_MAX_FILE_MB"))


def test_scenario_layer_over_the_size_limit(
    cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = scenario_folder(tmp_path)
    write_geojson(
        tmp_path / "roads.geojson",
        json.loads((tmp_path / "roads.geojson").read_text())["features"],
        padding="x" * 30_000,
    )
    monkeypatch.setenv("DELIMIT_MAX_FILE_MB", "0.01")
    refused(cli, tmp_path, path, names=(str(tmp_path / "roads.geojson"), "limit"), also_show=True)


def test_bad_limit_setting(cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = write_geojson(tmp_path / "territory.geojson", territory_features())
    monkeypatch.setenv("DELIMIT_MAX_FILE_MB", "lots")
    refused(cli, tmp_path, p, names=("DELIMIT_MAX_FILE_MB", "'lots'"))


def test_deep_json(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = tmp_path / "territory.geojson"
    p.write_text('{"type": "FeatureCollection", "features": ' + "[" * 10_000 + "]" * 10_000 + "}", encoding="utf-8")
    refused(cli, tmp_path, p, names=(str(p), "nesting deeper than 64 levels"))


def test_deep_yaml_flow(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = tmp_path / "scenario.yaml"
    p.write_text("name: deep\ndescription: " + "[" * 10_000 + "]" * 10_000 + "\n", encoding="utf-8")
    refused(cli, tmp_path, p, names=(str(p), "nesting deeper"), also_show=True)


def test_deep_yaml_block(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = tmp_path / "scenario.yaml"
    lines = ["name: deep", "layers:"] + [" " * (i + 1) + f"k{i}:" for i in range(3000)] + [" " * 3001 + "v"]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused(cli, tmp_path, p, names=(str(p), "nesting deeper"), also_show=True)


def test_yaml_alias_bomb(cli: Callable[..., Any], tmp_path: Path) -> None:
    """'Billion laughs': aliases that expand exponentially are refused before expansion."""
    p = tmp_path / "scenario.yaml"
    lines = ["name: bomb", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused(cli, tmp_path, p, names=(str(p), "expands to more than 1,000,000 values"), also_show=True)


def test_recursive_yaml_alias(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = tmp_path / "scenario.yaml"
    p.write_text("name: loop\ndescription: &a [1, *a]\n", encoding="utf-8")
    refused(cli, tmp_path, p, names=(str(p), "recursive YAML alias", "line 2"), also_show=True)


# ----------------------------------------------------------------------------- paths


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink"])
def test_path_escaping_the_scenario_folder(cli: Callable[..., Any], tmp_path: Path, kind: str) -> None:
    outside = write_geojson(tmp_path / "outside.geojson", territory_features())
    folder = tmp_path / "case"
    path = scenario_folder(folder)
    doc = scenario_doc()
    if kind == "dotdot":
        doc["layers"]["territory"] = {"path": "../outside.geojson"}
    elif kind == "absolute":
        doc["layers"]["territory"] = {"path": str(outside)}
    else:
        (folder / "link.geojson").symlink_to(outside)
        doc["layers"]["territory"] = {"path": "link.geojson"}
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    msg = refused(cli, tmp_path, path, names=(str(path),), field="layers.territory.path", also_show=True)
    assert ("absolute" if kind == "absolute" else "escapes the scenario's folder") in msg


def test_base_escaping_the_scenario_folder(cli: Callable[..., Any], tmp_path: Path) -> None:
    scenario_folder(tmp_path / "other")
    path = scenario_folder(tmp_path / "case", scenario_doc(base="../other/scenario.yaml"))
    refused(cli, tmp_path, path, names=(str(path), "escapes"), field="base", also_show=True)


def test_missing_file(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = scenario_folder(tmp_path)
    (tmp_path / "roads.geojson").unlink()
    refused(cli, tmp_path, path, names=(str(tmp_path / "roads.geojson"), "not found"), also_show=True)
    refused(cli, tmp_path, tmp_path / "nope.gpkg", names=("nope.gpkg", "not found"))


def test_unknown_file_type(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = tmp_path / "notes.docx"
    p.write_bytes(b"PK\x03\x04")
    refused(cli, tmp_path, p, names=(str(p), "unknown file type '.docx'"))


def test_binary_garbage_as_gpkg(cli: Callable[..., Any], tmp_path: Path) -> None:
    p = tmp_path / "data.gpkg"
    p.write_bytes(os.urandom(2048))
    refused(cli, tmp_path, p, names=(str(p),))


# ----------------------------------------------------------------------------- the bundled scenarios

BUNDLED = Path(__file__).resolve().parents[1] / "src" / "delimit" / "data" / "fergana" / "scenarios"
EXPECTED_BUNDLED = {"status-quo", "border-closed-2022", "tj-corridor-claim", "neutral-road-2025"}


@pytest.mark.parametrize("path", sorted(BUNDLED.glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_scenarios_validate(cli: Callable[..., Any], path: Path) -> None:
    r = cli("validate", path)
    assert r.code == 0, r.err
    assert f"scenario {path.stem!r}" in r.out


def test_all_expected_bundled_scenarios_exist() -> None:
    present = {p.stem for p in BUNDLED.glob("*.yaml")}
    missing = EXPECTED_BUNDLED - present
    assert not missing, f"bundled scenarios not yet shipped by the dataset builder: {sorted(missing)}"


# ----------------------------------------------------------------------------- issue 19 (the rest replays tests/fuzz_corpus/issue19)


def test_ten_megabyte_string_property(cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's 10 MB string: refused by the string limit, by field; above GDAL's own limit, in plain words."""
    p = write_geojson(
        tmp_path / "territory.geojson", [feature(polygon(BOX_KG), part_id="kg-1", party="KGZ", note="x" * 10_000_000)]
    )
    refused(
        cli,
        tmp_path,
        p,
        names=(str(p), "features.0.properties.note", "10,000,000 characters", "DELIMIT_MAX_STRING_CHARS"),
    )
    monkeypatch.setenv("DELIMIT_MAX_STRING_CHARS", "20000000")
    msg = refused(cli, tmp_path, p, names=(str(p), "longer than GDAL's GeoJSON reader accepts"))
    assert "Too many characters in number" not in msg


def test_issue_limits_are_listed_in_the_readme() -> None:
    """Every limit's environment variable is documented in the README's Limits section."""
    from delimit.io.limits import ENV_VARS

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Limits", 1)[1].split("\n## ", 1)[0]
    for name in ENV_VARS:
        assert f"`{name}`" in section, name
