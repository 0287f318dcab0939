"""Treaty exports: every file opens in GDAL, the KML in fastkml, the PDF in pdftoppm; CSV round trip."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import shapely

from delimit.errors import InputError
from delimit.treaty import from_scenario
from delimit.treaty.geodesy import inverse
from delimit.treaty_export import read_coordinate_csv, write_annex

WINDOW = (70.4, 39.8, 70.8, 40.1)  # around Vorukh and Isfara


@pytest.fixture(scope="module")
def annex_dir(tmp_path_factory: pytest.TempPathFactory, scenario) -> tuple[object, Path]:  # type: ignore[no-untyped-def]
    annex = from_scenario(scenario("status-quo"), "KGZ", "TJK", window=WINDOW, max_spacing_m=1000, status={1: "signed"})
    out = tmp_path_factory.mktemp("treaty") / "annex"
    write_annex(annex, out, rows_per_section=10)
    return annex, out


@pytest.mark.slow
def test_every_file_is_written_with_provenance(annex_dir) -> None:  # type: ignore[no-untyped-def]
    _annex, out = annex_dir
    names = {p.name for p in out.iterdir()} - {".delimit-output.json"}  # the ownership manifest (delimit.io.outputs)
    for expected in (
        "annex.gpkg",
        "annex.kml",
        "annex.pdf",
        "description.txt",
        "provenance.json",
        "turning_points.csv",
        "segments.csv",
        "pillars.csv",
        "sections.csv",
        "turning_points.geojson",
        "pillars.geojson",
    ):
        assert expected in names
    assert not any(n.startswith(".") for n in names)  # no temporary files left behind
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["provenance"]["scenario"] == "status-quo"
    assert prov["data_marks"]["roads"] == ["schematic", "skeleton"]
    assert prov["crs"].startswith("EPSG:4326")
    assert set(prov["files"]) == names - {"provenance.json"}
    text = (out / "description.txt").read_text()
    assert (
        "[Kyrgyz (KGZ): authentic text to be inserted]" in text
        and "[Tajik (TJK): authentic text to be inserted]" in text
    )
    assert "Section 1, status: signed" in text


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="GDAL's ogrinfo is not installed")
def test_gdal_opens_every_vector_file(annex_dir) -> None:  # type: ignore[no-untyped-def]
    _, out = annex_dir
    files = sorted(p for p in out.iterdir() if p.suffix in (".gpkg", ".geojson", ".kml", ".csv"))
    assert len(files) >= 10
    for f in files:
        res = subprocess.run(["ogrinfo", "-ro", "-so", "-al", str(f)], capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, f"{f.name}: {res.stderr}"
    res = subprocess.run(["ogrinfo", "-ro", "-q", str(out / "annex.gpkg")], capture_output=True, text=True, timeout=60)
    for layer in ("turning_points", "segments", "pillars", "sections", "metadata"):
        assert layer in res.stdout


@pytest.mark.slow
def test_kml_opens_in_a_kml_reader(annex_dir) -> None:  # type: ignore[no-untyped-def]
    from fastkml import kml

    annex, out = annex_dir
    doc = kml.KML.from_string((out / "annex.kml").read_bytes())
    folders = list(next(iter(doc.features)).features)
    assert [f.name for f in folders][:3] == ["Sections", "Turning points", "Pillars"]
    assert len(list(folders[1].features)) == len(annex.description.turning_points)
    assert len(list(folders[2].features)) == len(annex.pillars.pillars)
    assert "signed" in next(iter(folders[0].features)).name


@pytest.mark.slow
def test_csv_round_trip_reproduces_the_line_within_a_centimetre(annex_dir) -> None:  # type: ignore[no-untyped-def]
    annex, out = annex_dir
    back = read_coordinate_csv(out / "turning_points.csv")
    original = annex.description.geometry()
    assert len(back.geoms) == len(original.geoms)
    a = shapely.get_coordinates(back)
    b = shapely.get_coordinates(original)
    assert a.shape == b.shape
    _, _, miss = inverse(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    assert miss.max() < 0.01
    assert miss.max() < 1e-3  # in fact 9 decimals of a degree keep it below 0.1 mm


def test_read_coordinate_csv_refuses_bad_tables(tmp_path: Path) -> None:
    bad = tmp_path / "t.csv"
    bad.write_text("point_no,section,lat\n1,1,40.0\n")
    with pytest.raises(InputError, match="missing") as exc:
        read_coordinate_csv(bad)
    assert exc.value.field == "lon"
    bad.write_text("point_no,section,lat,lon\n1,1,40.0,70.0\n2,1,95.0,70.1\n")
    with pytest.raises(InputError, match="not a valid coordinate"):
        read_coordinate_csv(bad)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler's pdftoppm is not installed")
def test_pdf_pages_and_map_page_is_not_blank(annex_dir, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    from matplotlib.image import imread

    _, out = annex_dir
    prefix = artifacts / "treaty-annex-page"
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(out / "annex.pdf"), str(prefix)], check=True, timeout=120)
    pages = sorted(artifacts.glob("treaty-annex-page-*.png"))
    assert 6 <= len(pages) <= 60
    map_page = np.asarray(imread(pages[1]))
    assert map_page.std() > 0.05  # the overview map page carries a drawing, not white paper
    # drawn pixels (territory fill, water, line, pillars) cover a real share of the map page
    rgb = map_page[..., :3]
    assert (rgb.mean(axis=2) < 0.98).mean() > 0.1


# ---------------------------------------------------------------------------- the command line


def test_cli_bad_input_exits_2_and_writes_nothing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "never"
    r = cli("treaty", "--scenario", "status-quo", "--between", "KGZ", "XXX", "-o", out)
    assert r.code == 2 and "unknown party 'XXX'" in r.err and len(r.err.strip().splitlines()) == 1
    r = cli("treaty", "--scenario", "status-quo", "--between", "KGZ", "TJK", "--window", "70,40,69,41", "-o", out)
    assert r.code == 2 and "window" in r.err
    r = cli("treaty", "--scenario", "status-quo", "--between", "KGZ", "TJK", "--status", "finalised", "-o", out)
    assert r.code == 2 and "unknown section status" in r.err
    assert not out.exists()


def test_cli_line_file_with_attributes(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import geopandas as gpd

    line = tmp_path / "agreed.geojson"
    gpd.GeoDataFrame(
        {"status": ["signed", "ratified-KGZ"], "segment_type": ["road", ""], "parties": ["KGZ-TJK", "KGZ-TJK"]},
        geometry=[
            shapely.LineString([(70.50, 39.95), (70.52, 39.96)]),
            shapely.LineString([(70.60, 39.95), (70.61, 39.97)]),
        ],
        crs=4326,
    ).to_file(line)
    out = tmp_path / "annex"
    r = cli("treaty", line, "-o", out, "--max-spacing", "500", "--no-pdf", "--format", "json")
    assert r.code == 0, r.err
    summary = json.loads(r.out)
    assert summary["description"]["status_counts"] == {"ratified-KGZ": 1, "signed": 1}
    assert summary["pillars"]["max_along_spacing_m"] <= 500
    assert summary["provenance"]["inputs"][0]["role"] == "line"
    back = read_coordinate_csv(out / "turning_points.csv")
    assert len(back.geoms) == 2


@pytest.mark.slow
@pytest.mark.parametrize("name", ["neutral-road-2025"])
def test_cli_acceptance_writes_the_full_annex_for_the_kyrgyz_tajik_line(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    r = cli("treaty", "--scenario", name, "--between", "KGZ", "TJK")
    assert r.code == 0, r.err
    out = tmp_path / "out" / "treaty" / f"{name}-KGZ-TJK"
    assert str(Path("out") / "treaty" / f"{name}-KGZ-TJK") in r.err
    for f in (
        "annex.gpkg",
        "annex.kml",
        "annex.pdf",
        "turning_points.csv",
        "pillars.csv",
        "description.txt",
        "provenance.json",
    ):
        assert (out / f).stat().st_size > 0
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["provenance"]["scenario"] == name
    assert prov["summary"]["description"]["total_length_m"] > 100_000  # hundreds of km of shared line
