"""GeoTIFF round trips through read_raster/write_raster, and refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from pyproj import CRS

from delimit.crs import WGS84
from delimit.errors import InputError
from delimit.io.limits import Limits
from delimit.io.raster import read_raster, write_raster
from delimit.model.raster import Raster


@pytest.mark.parametrize(
    ("dtype", "nodata", "crs"),
    [
        (np.int16, -32768, WGS84),
        (np.float32, None, WGS84),
        (np.float64, np.nan, CRS.from_epsg(32642)),
        (np.uint8, 255, CRS.from_epsg(32642)),
    ],
)
def test_round_trip(tmp_path: Path, dtype: type, nodata: float | None, crs: CRS) -> None:
    rng = np.random.default_rng(7)
    data = (rng.random((37, 53)) * 200).astype(dtype)
    if nodata is not None:
        data[3, 4] = nodata
    transform = (
        Affine(0.0041666, 0, 68.3, 0, -0.0041666, 41.6) if crs == WGS84 else Affine(30, 0, 500000, 0, -30, 4400000)
    )
    src = Raster(data, transform, crs, nodata, "m", "GEBCO_2023 test")
    dest = write_raster(src, tmp_path / "dem.tif", tags={"note": "round trip"})
    back = read_raster(dest)
    assert back.data.dtype == data.dtype
    np.testing.assert_array_equal(back.data, data)  # NaN == NaN for assert_array_equal
    assert tuple(back.transform)[:6] == tuple(transform)[:6]
    assert back.crs == crs
    assert (
        (back.nodata is None and nodata is None)
        or back.nodata == nodata
        or (np.isnan(back.nodata) and np.isnan(nodata))
    )
    assert (back.units, back.source) == ("m", "GEBCO_2023 test")
    with rasterio.open(dest) as ds:
        assert ds.tags()["note"] == "round trip"
        assert ds.compression.value.lower() == "deflate"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dem.tif"]


def test_embedded_elevation_reads() -> None:
    from delimit.datasets import dataset_dir

    r = read_raster(dataset_dir() / "elevation.tif", units="m")
    assert r.crs.to_epsg() == 4326
    assert r.data.dtype == np.int16
    left, bottom, right, top = r.bounds
    assert left == pytest.approx(68.3, abs=0.01) and right == pytest.approx(73.8, abs=0.01)
    assert bottom == pytest.approx(39.2, abs=0.01) and top == pytest.approx(41.6, abs=0.01)


def test_raster_without_crs_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "nocrs.tif"
    with rasterio.open(
        p, "w", driver="GTiff", width=4, height=3, count=1, dtype="int16", transform=Affine(0.1, 0, 70, 0, -0.1, 40)
    ) as ds:
        ds.write(np.zeros((3, 4), dtype=np.int16), 1)
    with pytest.raises(InputError) as err:
        read_raster(p)
    assert err.value.field == "crs" and err.value.path == str(p)


def test_missing_band_and_garbage(tmp_path: Path) -> None:
    src = Raster(np.zeros((2, 2), dtype=np.int16), Affine(1, 0, 70, 0, -1, 40), WGS84)
    dest = write_raster(src, tmp_path / "a.tif")
    with pytest.raises(InputError, match="band 2 does not exist"):
        read_raster(dest, band=2)
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"II*\x00" + b"\x00" * 40)
    with pytest.raises(InputError, match="cannot read raster"):
        read_raster(junk)
    with pytest.raises(InputError, match="over the"):
        read_raster(dest, limits=Limits(max_file_bytes=10))


def _sparse_giant(path: Path, width: int = 100_000, height: int = 60_000) -> Path:
    """A few-KB GeoTIFF declaring ``width`` x ``height`` int16 pixels (sparse tiles)."""
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="int16",
        crs="EPSG:4326",
        transform=Affine(0.0001, 0, 68.0, 0, -0.0001, 42.0),
        tiled=True,
        blockxsize=4096,
        blockysize=4096,
        sparse_ok=True,
        compress="deflate",
    ) as ds:
        ds.write(np.ones((16, 16), np.int16), 1, window=((0, 16), (0, 16)))
    return path


def test_declared_size_is_checked_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from delimit.io.raster import raster_info

    p = _sparse_giant(tmp_path / "giant.tif")
    assert p.stat().st_size < 200_000
    for call in (lambda: read_raster(p), lambda: raster_info(p)):
        with pytest.raises(InputError) as err:
            call()
        assert err.value.field == "size" and "100,000 x 60,000 = 6,000,000,000 cells" in err.value.reason
        assert "DELIMIT_MAX_RASTER_CELLS" in err.value.reason
    monkeypatch.setenv("DELIMIT_MAX_RASTER_CELLS", str(6_000_000_000))
    assert raster_info(p).cells == 6_000_000_000  # allowed now; nothing was read


def test_a_window_reads_only_the_area_asked_for(tmp_path: Path) -> None:
    """A window of a giant raster: the cells read match rasterio's own read of those rows/columns."""
    p = _sparse_giant(tmp_path / "giant.tif")
    r = read_raster(p, bounds=(68.0005, 41.999, 68.001, 41.9995), limits=Limits(max_raster_cells=10_000))
    rows, cols = r.shape
    assert rows * cols <= 10_000
    col_off = round((r.transform.c - 68.0) / 0.0001)
    row_off = round((42.0 - r.transform.f) / 0.0001)
    assert (col_off, row_off) == (4, 4)  # one cell of margin around column 5 / row 5
    with rasterio.open(p) as ds:
        expected = ds.read(1, window=((row_off, row_off + rows), (col_off, col_off + cols)))
    np.testing.assert_array_equal(r.data, expected)
    assert r.transform.a == pytest.approx(0.0001) and r.crs.to_epsg() == 4326
    with pytest.raises(InputError, match="does not overlap"):
        read_raster(p, bounds=(10.0, 10.0, 11.0, 11.0))
    with pytest.raises(InputError, match="raster window needed"):
        read_raster(p, bounds=(68.0, 41.0, 69.0, 42.0), limits=Limits(max_raster_cells=10_000))


def test_scenario_elevation_is_checked_at_load(tmp_path: Path) -> None:
    from delimit import load_scenario

    _sparse_giant(tmp_path / "dem.tif")
    (tmp_path / "s.yaml").write_text(
        "name: giant-dem\nbase: status-quo\nelevation: {path: dem.tif}\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as err:
        load_scenario(tmp_path / "s.yaml")
    assert err.value.path == str(tmp_path / "dem.tif") and "raster window needed" in err.value.reason
