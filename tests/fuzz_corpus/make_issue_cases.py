"""Write the inputs of issue 19's hostile-input cases into ``tests/fuzz_corpus/issue19/``.

Run once (``python tests/fuzz_corpus/make_issue_cases.py``); the files are committed, and
``tests/test_fuzz.py`` replays every case listed in ``cases.json`` through the real CLI. The script
makes the binary inputs (GeoPackage, GeoTIFF, SQLite) reproducible; the text ones are written here
too so that every case has one recipe.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import rasterio
import shapely
from rasterio.transform import from_origin

BOX = [[70.0, 39.8], [70.5, 39.8], [70.5, 40.2], [70.0, 40.2], [70.0, 39.8]]


def collection(geometry: Any, **extra: Any) -> dict[str, Any]:
    """One territory-like feature holding ``geometry``."""
    props = {"part_id": "kg-1", "party": "KGZ", "name": "", "status": "de-facto", "source": "fuzz"}
    return {
        "type": "FeatureCollection",
        **extra,
        "features": [{"type": "Feature", "properties": props, "geometry": geometry}],
    }


def write(folder: Path, name: str, doc: Any) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")


def geojson_cases(out: Path) -> None:
    ring = [[70.0, 39.8], [70.5, 39.8], [70.5, 40.2], [70.0, 39.8]]
    write(out, "ring_first_number.geojson", collection({"type": "Polygon", "coordinates": [[5, *ring[1:], 5]]}))
    write(out, "ring_first_null.geojson", collection({"type": "Polygon", "coordinates": [[None, *ring[1:], None]]}))
    write(out, "ring_first_bool.geojson", collection({"type": "Polygon", "coordinates": [[True, *ring[1:], True]]}))
    write(out, "multipolygon_part_number.geojson", collection({"type": "MultiPolygon", "coordinates": [[BOX], 7]}))
    write(out, "multipolygon_part_null.geojson", collection({"type": "MultiPolygon", "coordinates": [None, [BOX]]}))
    write(
        out, "geometrycollection_geometries_number.geojson", collection({"type": "GeometryCollection", "geometries": 3})
    )
    point = '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"part_id":"kg-1"},"geometry":{"type":"Point","coordinates":[%s,40]}}]}'
    write(out, "coordinate_400_digits.geojson", point % ("9" * 400))
    write(
        out,
        "integer_5000_digits.geojson",
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"part_id":"kg-1","n":%s},'
        '"geometry":{"type":"Point","coordinates":[70,40]}}]}' % ("1" * 5000),
    )
    write(
        out,
        "crs_epsg999999.geojson",
        collection(
            {"type": "Polygon", "coordinates": [BOX]}, crs={"type": "name", "properties": {"name": "EPSG:999999"}}
        ),
    )
    write(
        out,
        "crs_garbage.geojson",
        collection({"type": "Polygon", "coordinates": [BOX]}, crs={"type": "name", "properties": {"name": "garbage"}}),
    )
    write(
        out,
        "crs_utm.geojson",
        collection(
            {"type": "Polygon", "coordinates": [BOX]}, crs={"type": "name", "properties": {"name": "EPSG:32642"}}
        ),
    )
    antimeridian = [[179.0, 50.0], [-179.0, 50.0], [-179.0, 51.0], [179.0, 51.0], [179.0, 50.0]]
    write(out, "antimeridian.geojson", collection({"type": "Polygon", "coordinates": [antimeridian]}))
    # The 10 MB string, replayed small: the case sets DELIMIT_MAX_STRING_CHARS=1000.
    doc = collection({"type": "Polygon", "coordinates": [BOX]})
    doc["features"][0]["properties"]["note"] = "x" * 5000
    write(out, "long_string.geojson", doc)


def structured_cases(out: Path) -> None:
    write(out, "yaml_key_list.yaml", "name: x\n? [a, b]\n: 1\n")
    write(out, "yaml_key_mapping.yaml", "name: x\n{a: 1}: x\n")
    write(out, "yaml_5000_digits.yaml", "name: x\nschema_version: " + "1" * 5000 + "\n")
    write(out, "toml_5000_digits.toml", 'name = "x"\nschema_version = ' + "1" * 5000 + "\n")
    write(out, "scenario_dataset_null.yaml", "name: x\ndataset: null\n")
    write(out, "scenario_name_only.yaml", "name: x\n")
    write(
        out,
        "regime_delay_inf.yaml",
        "name: x\nbase: status-quo\nregimes:\n  - id: inf\n    default_crossing: {open: true, delay_minutes: .inf}\n",
    )


def empty_territory_case(out: Path) -> None:
    """A scenario whose territory layer (a GeoPackage with the right columns) has no features."""
    folder = out / "empty_territory"
    folder.mkdir(parents=True, exist_ok=True)
    cols = {"part_id": ["a"], "party": ["KGZ"], "name": [""], "status": ["de-facto"], "source": ["fuzz"]}
    gdf = gpd.GeoDataFrame(cols, geometry=[shapely.box(70, 40, 70.1, 40.1)], crs=4326).iloc[:0]
    target = folder / "territory.gpkg"
    target.unlink(missing_ok=True)
    pyogrio.write_dataframe(gdf, target, layer="territory", driver="GPKG", geometry_type="Polygon")
    write(
        folder,
        "scenario.yaml",
        "name: empty\nparties:\n  - {id: KGZ, name: Kyrgyzstan}\nlayers:\n  territory: {path: territory.gpkg, layer: territory}\n"
        "traveller_classes:\n  - {id: resident-kg, party: KGZ}\nregimes:\n  - {id: open}\ndefault_regime: open\n",
    )


def raster_cases(out: Path) -> None:
    """A 37 KB GeoTIFF declaring 100,000 x 60,000 int16 pixels (sparse tiles), and one without CRS."""
    bomb = out / "raster_bomb.tif"
    profile = {
        "driver": "GTiff",
        "width": 100_000,
        "height": 60_000,
        "count": 1,
        "dtype": "int16",
        "crs": "EPSG:4326",
        "transform": from_origin(68.0, 42.0, 0.0001, 0.0001),
        "tiled": True,
        "blockxsize": 4096,
        "blockysize": 4096,
        "sparse_ok": True,
        "compress": "deflate",
    }
    with rasterio.open(bomb, "w", **profile) as ds:
        ds.write(np.ones((16, 16), "int16"), 1, window=((0, 16), (0, 16)))
    with rasterio.open(
        out / "raster_no_crs.tif",
        "w",
        driver="GTiff",
        width=4,
        height=4,
        count=1,
        dtype="int16",
        transform=from_origin(68.0, 42.0, 0.1, 0.1),
    ) as ds:
        ds.write(np.ones((4, 4), "int16"), 1)
    (out / "elevation_bomb").mkdir(exist_ok=True)
    (out / "elevation_bomb" / "raster_bomb.tif").write_bytes(bomb.read_bytes())
    write(
        out,
        "elevation_bomb/scenario.yaml",
        "name: elevation-bomb\nbase: status-quo\nelevation: {path: raster_bomb.tif}\n",
    )
    line = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"parties": "KGZ-TJK"},
                "geometry": {"type": "LineString", "coordinates": [[70.60, 39.90], [70.62, 39.91], [70.64, 39.90]]},
            }
        ],
    }
    write(out, "line.geojson", line)


def sqlite_case(out: Path) -> None:
    """A bare SQLite database (no GeoPackage tables) named .gpkg."""
    target = out / "bare_sqlite.gpkg"
    target.unlink(missing_ok=True)
    con = sqlite3.connect(target)
    con.execute("create table t (a integer)")
    con.commit()
    con.close()


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    geojson_cases(out)
    structured_cases(out)
    empty_territory_case(out)
    raster_cases(out)
    sqlite_case(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "issue19")
