"""Atomic writes: a failing write leaves no file and no temporary file, and never clobbers the destination."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine

from delimit.crs import WGS84
from delimit.io.atomic import atomic_directory, atomic_path, atomic_write_text
from delimit.io.raster import write_raster
from delimit.io.vector import read_layer, write_layer, write_layers
from delimit.model.raster import Raster


def _good() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"road_id": ["a", "b"], "name": ["x", "y"]}, geometry=[shapely.LineString([(70, 40), (70.1, 40)]), shapely.LineString([(70.1, 40), (70.2, 40.1)])], crs=WGS84)


def _unwritable() -> gpd.GeoDataFrame:
    """A frame no OGR driver can store (complex numbers): the write fails inside GDAL, after the file is opened."""
    return gpd.GeoDataFrame({"road_id": ["c"], "z": np.array([1 + 2j])}, geometry=[shapely.LineString([(70, 40), (71, 41)])], crs=WGS84)


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_atomic_write_text(tmp_path: Path) -> None:
    dest = atomic_write_text(tmp_path / "sub" / "a.txt", "héllo\n")
    assert dest.read_bytes() == "héllo\n".encode()
    assert _names(dest.parent) == ["a.txt"]


def test_failing_context_leaves_nothing_and_keeps_destination(tmp_path: Path) -> None:
    dest = tmp_path / "a.txt"
    dest.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(dest) as tmp:
        tmp.write_text("half-written")
        raise RuntimeError("boom")
    assert dest.read_text() == "old"
    assert _names(tmp_path) == ["a.txt"]


def test_temp_path_keeps_the_suffix(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "out.gpkg") as tmp:
        assert tmp.suffix == ".gpkg"
        assert tmp.parent == tmp_path
        assert not tmp.exists()
        tmp.write_text("x")
    assert _names(tmp_path) == ["out.gpkg"]


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp", ".fgb"])
def test_failing_vector_write_leaves_nothing(tmp_path: Path, suffix: str) -> None:
    dest = tmp_path / f"roads{suffix}"
    layers = {"roads": _good(), "bad": _unwritable()} if suffix == ".gpkg" else {"roads": _unwritable()}
    with pytest.raises(Exception, match="not supported"):
        write_layers(layers, dest)
    assert _names(tmp_path) == []


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp", ".fgb"])
def test_failing_vector_write_does_not_clobber(tmp_path: Path, suffix: str) -> None:
    dest = write_layer(_good(), tmp_path / f"roads{suffix}", "roads")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    layers = {"roads": _good(), "bad": _unwritable()} if suffix == ".gpkg" else {"roads": _unwritable()}
    with pytest.raises(Exception, match="not supported"):
        write_layers(layers, dest)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert list(read_layer(dest, "roads" if suffix == ".gpkg" else None)["road_id"]) == ["a", "b"]


def test_shapefile_rewrite_drops_stale_sidecars(tmp_path: Path) -> None:
    dest = write_layer(_good(), tmp_path / "roads.shp")
    (tmp_path / "roads.qix").write_bytes(b"stale spatial index of the old file")
    write_layer(_good().iloc[:1], dest)
    assert _names(tmp_path) == ["roads.cpg", "roads.dbf", "roads.prj", "roads.shp", "roads.shx"]
    assert list(read_layer(dest)["road_id"]) == ["a"]


def test_failing_raster_write_does_not_clobber(tmp_path: Path) -> None:
    good = Raster(np.arange(6, dtype=np.int16).reshape(2, 3), Affine(0.1, 0, 70, 0, -0.1, 40), WGS84, None, "m", "test")
    dest = write_raster(good, tmp_path / "dem.tif")
    before = dest.read_bytes()
    bad = Raster(np.zeros((2, 3), dtype=bool), good.transform, WGS84)
    with pytest.raises(TypeError, match="bool"):
        write_raster(bad, dest)
    assert dest.read_bytes() == before
    assert _names(tmp_path) == ["dem.tif"]


def test_atomic_directory(tmp_path: Path) -> None:
    dest = tmp_path / "report"
    with atomic_directory(dest) as d:
        (d / "index.html").write_text("v1")
    with pytest.raises(RuntimeError), atomic_directory(dest) as d:
        (d / "index.html").write_text("v2 half")
        raise RuntimeError("boom")
    assert (dest / "index.html").read_text() == "v1"
    assert _names(tmp_path) == ["report"]
    with atomic_directory(dest) as d:
        (d / "index.html").write_text("v2")
    assert (dest / "index.html").read_text() == "v2"
    assert _names(tmp_path) == ["report"]
