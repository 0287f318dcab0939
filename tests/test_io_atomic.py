"""Atomic writes: a failing write leaves no file and no temporary file, and never clobbers the destination."""

from __future__ import annotations

import errno
import json
import os
import signal
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine

from delimit.crs import WGS84
from delimit.errors import InputError
from delimit.io import atomic, outputs
from delimit.io.atomic import atomic_directory, atomic_path, atomic_write_text
from delimit.io.raster import write_raster
from delimit.io.vector import read_layer, write_layer, write_layers
from delimit.model.raster import Raster


def _good() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"road_id": ["a", "b"], "name": ["x", "y"]},
        geometry=[shapely.LineString([(70, 40), (70.1, 40)]), shapely.LineString([(70.1, 40), (70.2, 40.1)])],
        crs=WGS84,
    )


def _unwritable() -> gpd.GeoDataFrame:
    """A frame no OGR driver can store (complex numbers): the write fails inside GDAL, after the file is opened."""
    return gpd.GeoDataFrame(
        {"road_id": ["c"], "z": np.array([1 + 2j])}, geometry=[shapely.LineString([(70, 40), (71, 41)])], crs=WGS84
    )


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


# ------------------------------------------------------------------ ownership (delimit.io.outputs)


def test_atomic_directory_refuses_a_folder_it_did_not_write(tmp_path: Path) -> None:
    dest = tmp_path / "report"
    dest.mkdir()
    (dest / "mine.txt").write_text("user")
    with pytest.raises(InputError, match=r"mine\.txt"), atomic_directory(dest) as d:
        (d / "index.html").write_text("v1")
    assert _names(dest) == ["mine.txt"]
    assert _names(tmp_path) == ["report"]


def test_atomic_directory_overwrite_keeps_other_files_and_drops_its_stale_ones(tmp_path: Path) -> None:
    dest = tmp_path / "report"
    with atomic_directory(dest) as d:
        (d / "index.html").write_text("v1")
        (d / "old.png").write_text("stale next time")
        (d / "sub").mkdir()
        (d / "sub" / "a.json").write_text("{}")
    listed = json.loads((dest / outputs.MANIFEST).read_text())["files"]
    assert set(listed) == {"index.html", "old.png", "sub/a.json"}
    (dest / "mine.txt").write_text("user")
    with outputs.policy(overwrite=True), atomic_directory(dest) as d:
        (d / "index.html").write_text("v2")
    assert _names(dest) == [outputs.MANIFEST, "index.html", "mine.txt"]
    assert (dest / "index.html").read_text() == "v2" and (dest / "mine.txt").read_text() == "user"
    assert set(json.loads((dest / outputs.MANIFEST).read_text())["files"]) == {"index.html"}
    assert _names(tmp_path) == ["report"]


def test_a_hand_edited_manifest_cannot_reach_outside_its_folder(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dest.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    doc = {
        "format": outputs.FORMAT,
        "files": {"../victim.txt": {"sha256": outputs.sha256_of(victim), "bytes": 8, "kind": "folder"}},
    }
    (dest / outputs.MANIFEST).write_text(json.dumps(doc))
    with atomic_directory(dest) as d:
        (d / "a.txt").write_text("x")
    assert victim.read_text() == "precious"


def test_writes_name_the_destination_never_the_temporary(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError) as exc:
        atomic_write_text(tmp_path, "x")
    assert exc.value.filename == str(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(NotADirectoryError) as exc2:
        atomic_write_text(blocker / "a.txt", "x")
    assert exc2.value.filename == str(blocker / "a.txt")
    assert _names(tmp_path) == ["file"]
    if os.path.exists("/dev/full"):
        with pytest.raises(OSError) as exc3:
            atomic_write_text("/dev/full", "x" * 10000)
        assert exc3.value.errno == errno.ENOSPC and exc3.value.filename == "/dev/full"
        assert Path("/dev/full").is_char_device()


def test_sigterm_removes_the_temporaries(tmp_path: Path) -> None:
    previous = atomic.install_signal_cleanup()
    try:
        with pytest.raises(atomic.Terminated), atomic_directory(tmp_path / "rep") as d:
            (d / "index.html").write_text("half")
            with atomic_path(tmp_path / "single.txt") as t:
                t.write_text("half")
                os.kill(os.getpid(), signal.SIGTERM)
                for _ in range(1000):  # the handler runs between bytecodes
                    pass
    finally:
        atomic.restore_signal_handlers(previous)
    assert _names(tmp_path) == []
    assert atomic.cleanup_temporaries() == []
