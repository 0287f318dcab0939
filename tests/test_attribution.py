"""Credits of the embedded dataset and of user files reach the scenario's provenance."""

from __future__ import annotations

import json

from delimit.attribution import attribution_text, credit_for_package, dataset_credits
from delimit.datasets import read_manifest


def test_every_manifest_layer_is_credited_once() -> None:
    manifest = read_manifest()
    credits = dataset_credits(manifest)
    layers = [name for c in credits for name in c.layers]
    assert sorted(set(layers)) == sorted([*manifest["layers"], *manifest["rasters"]])
    for c in credits:  # once per source; a layer built from several sources is credited by each
        assert len(c.layers) == len(set(c.layers))
    extra = {
        (layer["source_package"], name)
        for name, info in manifest["layers"].items()
        for layer in info.get("also_from", [])
    }
    for package, name in extra:
        assert any(name in c.layers and package in c.via for c in credits), package


def test_osm_and_geonames_terms_are_named(scenario) -> None:  # type: ignore[no-untyped-def]
    s = scenario("status-quo")
    text = s.provenance.attribution()
    assert "© OpenStreetMap contributors" in text and "ODbL 1.0" in text
    assert "GeoNames" in text and "CC BY 4.0" in text
    doc = json.loads(json.dumps(s.provenance.as_dict()))
    sources = {c["source"] for c in doc["attribution"]}
    assert {"OpenStreetMap", "GeoNames", "GEBCO"} <= sources


def test_user_file_is_credited_with_unknown_terms(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from delimit import load_scenario

    roads = tmp_path / "my_roads.geojson"
    roads.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {
                            "road_id": "r1",
                            "name": "track",
                            "road_class": "track",
                            "status": "surveyed",
                            "source": "team",
                        },
                        "geometry": {"type": "LineString", "coordinates": [[70.5, 39.9], [70.6, 39.95]]},
                    }
                ],
            }
        )
    )
    sc = tmp_path / "s.yaml"
    sc.write_text("schema_version: 1\nname: mine\nbase: status-quo\nlayers:\n  roads: {path: my_roads.geojson}\n")
    s = load_scenario(sc)
    mine = [c for c in s.provenance.credits if c.source == "my_roads.geojson"]
    assert len(mine) == 1 and mine[0].layers == ("roads",)
    assert "not recorded by delimit" in mine[0].licence
    assert "my_roads.geojson" in s.provenance.attribution()


def test_unknown_package_is_named_not_dropped() -> None:
    c = credit_for_package("some-new-pkg", "1.2")
    assert attribution_text([c]).startswith("Data: some-new-pkg")
