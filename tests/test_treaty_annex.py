"""The treaty annex a boundary commission works from: sources and licences in every output, datum,
accuracy and rounding, sides, named sections and end points (a data edge is never a boundary point),
caveats in the legal text, a PDF whose tables fit and whose map sheets show the pillars, the pillar
size-of-work guard. Through the real CLI where it is CLI behaviour."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from delimit.cli import main
from delimit.treaty import describe_line, from_scenario, plan_pillars
from delimit.treaty.accuracy import coordinate_step_deg, precision_for
from delimit.treaty.pillars import PillarLimitError, estimate_pillars
from delimit.treaty.sides import (
    DATA_EDGE,
    LINE_END,
    TRIPOINT,
    classify_endpoint,
    section_sides,
    segment_sides,
)

WINDOW = "70.4,39.8,70.8,40.1"  # around Vorukh
#: What the licences require to be shown (ODbL: OpenStreetMap's copyright page; CC BY 4.0 for GeoNames).
OSM_NOTICE = "© OpenStreetMap contributors"
GEONAMES_LICENCE = "CC BY 4.0"

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None, reason="poppler-utils not installed"
)


@pytest.fixture(scope="module")
def corridor(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The annex of the Tajik corridor claim around Vorukh, written by the real CLI."""
    out = tmp_path_factory.mktemp("treaty-annex") / "corridor"
    code = main(
        [
            "treaty",
            "--scenario",
            "tj-corridor-claim",
            "--between",
            "KGZ",
            "TJK",
            "--window",
            WINDOW,
            "--pdf-rows",
            "10",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    return out


def _pdf_text(pdf: Path, *args: str) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", *args, str(pdf), "-"], capture_output=True, text=True, check=True, timeout=120
    ).stdout


# ------------------------------------------------------------------------------------- attribution


@pytest.mark.slow
def test_every_output_format_carries_the_attribution(corridor: Path) -> None:
    # GeoPackage: dataset and layer metadata (GDAL keeps both in gpkg_metadata)
    info = pyogrio.read_info(corridor / "annex.gpkg", layer="pillars")
    assert OSM_NOTICE in info["dataset_metadata"]["ATTRIBUTION"]
    assert OSM_NOTICE in info["layer_metadata"]["ATTRIBUTION"]
    credits = json.loads(info["layer_metadata"]["ATTRIBUTION_JSON"])
    assert {"OpenStreetMap", "GeoNames", "GEBCO"} <= {c["source"] for c in credits}
    with sqlite3.connect(corridor / "annex.gpkg") as con:
        rows = [r[0] for r in con.execute("SELECT metadata FROM gpkg_metadata")]
    assert any(OSM_NOTICE in r and "ODbL" in r for r in rows)
    # GeoJSON: a top-level member in every file
    for f in corridor.glob("*.geojson"):
        doc = json.loads(f.read_text(encoding="utf-8"))
        assert doc["type"] == "FeatureCollection"
        assert OSM_NOTICE in doc["attribution"]["text"] and GEONAMES_LICENCE in doc["attribution"]["text"], f.name
    # KML: the document's description
    from fastkml import kml

    doc = next(iter(kml.KML.from_string((corridor / "annex.kml").read_bytes()).features))
    assert OSM_NOTICE in doc.description and "ODbL" in doc.description
    # CSV: plain tables (GDAL reads them) with the sidecar naming every one of them
    side = (corridor / "ATTRIBUTION.txt").read_text(encoding="utf-8")
    assert OSM_NOTICE in side and GEONAMES_LICENCE in side
    for f in corridor.glob("*.csv"):
        assert f.name in side
        assert not f.read_text(encoding="utf-8").startswith("#")
    # the legal text and the provenance record
    assert OSM_NOTICE in (corridor / "description.txt").read_text(encoding="utf-8")
    prov = json.loads((corridor / "provenance.json").read_text(encoding="utf-8"))
    assert OSM_NOTICE in prov["attribution"]["text"] and "ATTRIBUTION.txt" in prov["files"]


@pytest.mark.slow
@needs_poppler
def test_pdf_shows_the_attribution_on_its_first_page_and_every_footer(corridor: Path) -> None:
    first = _pdf_text(corridor / "annex.pdf", "-f", "1", "-l", "1")
    assert OSM_NOTICE in first and "ODbL" in first and GEONAMES_LICENCE in first and "GEBCO" in first
    pages = _pdf_text(corridor / "annex.pdf").split("\f")
    pages = [p for p in pages if p.strip()]
    assert all(OSM_NOTICE in p for p in pages)


# ----------------------------------------------------------------- datum, accuracy, rounding rule


def test_rounding_rule_follows_from_the_source_step() -> None:
    # 1e-5 degree of latitude at 40 N is 1.11 m (meridian degree 111 035 m at 40 N, standard tables)
    p = precision_for(1e-5, 40.0)
    assert p.source_step_m == pytest.approx(1.11035, rel=1e-3)
    assert (p.degree_decimals, p.dms_decimals, p.metre_decimals, p.elevation_decimals) == (5, 1, 0, 0)
    # a centimetre source keeps 7 decimals and 0.001" (1e-7 deg = 0.00036")
    p = precision_for(1e-7, 40.0)
    assert (p.degree_decimals, p.dms_decimals, p.metre_decimals) == (7, 3, 2)
    assert coordinate_step_deg(np.array([70.12345, 39.5, 40.1, 41.00001])) == pytest.approx(1e-5)


@pytest.mark.slow
def test_annex_rounds_to_the_source_and_says_why(corridor: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    text = (corridor / "description.txt").read_text(encoding="utf-8")
    assert "EPSG:4326" in text and "6 378 137 m" in text and "298.257223563" in text  # datum and ellipsoid
    assert "±10 m" in text and "±16 m" in text and "DMS to 0.1″" in text and "5 places" in text
    tp = gpd.read_file(corridor / "turning_points.geojson")
    # independent check of the source: its territory vertices are multiples of 1e-5 degree (all but
    # the few where the dataset's build clipped the land to its window)
    xy = shapely.get_coordinates(scenario("status-quo").territory.geometry.to_numpy())
    assert (np.abs(xy * 1e5 - np.round(xy * 1e5)) < 1e-4).mean() > 0.99
    csv_lines = (corridor / "turning_points.csv").read_text(encoding="utf-8").splitlines()
    header = csv_lines[0].split(",")
    lat_i, el_i = header.index("lat"), header.index("elevation_m")
    for line in csv_lines[1:]:
        cells = line.split(",")
        assert len(cells[lat_i].split(".")[1]) == 5
        assert "." not in cells[el_i]  # whole metres
    assert all(re.fullmatch(r"\d+°\d\d'\d\d\.\d\"[NS]", s) for s in tp["lat_dms"])
    assert not re.search(r"\d\.\d{3} m\b", text)  # no millimetre lengths from metre-accurate data


# ------------------------------------------------------------------------------------ sides


def _two_squares() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"party": ["AAA", "BBB", "CCC"]},
        geometry=[
            shapely.box(70.0, 40.0, 70.1, 40.1),
            shapely.box(70.1, 40.0, 70.2, 40.1),
            shapely.box(70.0, 40.1, 70.2, 40.2),
        ],
        crs=4326,
    )


def test_sides_follow_the_direction_of_description() -> None:
    terr = _two_squares()
    north = describe_line(shapely.LineString([(70.1, 40.0), (70.1, 40.05), (70.1, 40.1)]), parties=("AAA", "BBB"))
    left, right = segment_sides(north.segments, terr[terr["party"] != "CCC"])
    assert left == ["AAA", "AAA"] and right == ["BBB", "BBB"]  # heading north, west is on the left
    south = describe_line(shapely.LineString([(70.1, 40.1), (70.1, 40.0)]), parties=("AAA", "BBB"))
    left, right = segment_sides(south.segments, terr[terr["party"] != "CCC"])
    assert (left, right) == (["BBB"], ["AAA"])
    per = section_sides(north.sections, north.segments, ["AAA", "AAA"], ["BBB", "BBB"])
    assert per[0]["left"] == "AAA" and per[0]["right"] == "BBB" and per[0]["differing_segments"] == []


def test_end_points_tripoint_data_edge_and_line_end() -> None:
    terr = _two_squares()
    names = {"AAA": "Aland", "BBB": "Bland", "CCC": "Cland"}
    top = classify_endpoint(70.1, 40.1, ("AAA", "BBB"), terr, [], names=names)
    assert top.kind == TRIPOINT and top.other == "CCC" and "Cland" in top.words
    window = shapely.box(69.0, 40.05, 71.0, 41.0)
    edge = classify_endpoint(70.1, 40.05, ("AAA", "BBB"), terr, [window], names=names)
    assert (
        edge.kind == DATA_EDGE
        and "leaves the area covered by this annex" in edge.words
        and "tripoint" not in edge.words
    )
    bottom = classify_endpoint(70.1, 40.0, ("AAA", "BBB"), terr, [], names=names)
    assert bottom.kind == LINE_END


@pytest.mark.slow
def test_sections_are_named_with_sides_and_window_ends_are_not_boundary_points(corridor: Path) -> None:
    secs = gpd.read_file(corridor / "sections.geojson")
    text = (corridor / "description.txt").read_text(encoding="utf-8")
    x0, y0, x1, y1 = (float(v) for v in WINDOW.split(","))
    for _, s in secs.iterrows():
        assert s["name"]
        assert {s["left_party"], s["right_party"]} == {"KGZ", "TJK"}
        for kind, (x, y) in ((s["start_kind"], s.geometry.coords[0]), (s["end_kind"], s.geometry.coords[-1])):
            on_edge = min(abs(x - x0), abs(x - x1), abs(y - y0), abs(y - y1)) < 2e-5
            assert (kind == DATA_EDGE) == on_edge
    assert "where the line leaves the area covered by this annex" in text
    assert "lies on the left of the line" in text
    for k in secs["section"]:
        opening = next(line for line in text.splitlines() if line.startswith(f"{k}.0  "))
        assert "tripoint" not in opening or "leaves the area" not in opening


@pytest.mark.slow
def test_the_vorukh_enclave_lies_inside_its_closed_section(scenario) -> None:  # type: ignore[no-untyped-def]
    annex = from_scenario(scenario("status-quo"), "KGZ", "TJK", window=(70.3, 39.6, 70.9, 40.2), max_spacing_m=5000)
    ring = annex.description.sections[annex.description.sections["closed"]]
    assert len(ring) == 1 and "Vorukh" in ring["name"].iloc[0]
    # Vorukh is a Tajik enclave in Kyrgyzstan: the party inside the ring is on the left of a
    # counter-clockwise ring and on the right of a clockwise one
    inside_left = shapely.is_ccw(ring.geometry.iloc[0])
    assert ring["left_party"].iloc[0] == ("TJK" if inside_left else "KGZ")
    assert ring["right_party"].iloc[0] == ("KGZ" if inside_left else "TJK")
    assert ring["start_kind"].iloc[0] == "closed"


@pytest.mark.slow
def test_dataset_window_edge_is_not_a_boundary_point(scenario) -> None:  # type: ignore[no-untyped-def]
    # a user window reaching beyond the data: the line's ends at 39.2 N lie on the dataset's own window
    annex = from_scenario(scenario("status-quo"), "KGZ", "TJK", window=(71.8, 38.5, 72.6, 39.5), max_spacing_m=5000)
    tp = annex.description.turning_points.set_index("point_no")
    at_edge = 0
    for _, s in annex.description.sections.iterrows():
        for kind, no in ((s["start_kind"], s["first_point"]), (s["end_kind"], s["last_point"])):
            if s["closed"]:
                continue
            if abs(float(tp.loc[no, "lat"]) - 39.2) < 2e-5:  # the data window's declared southern bound
                assert kind == DATA_EDGE
                at_edge += 1
    assert at_edge >= 1
    assert "39°12'00.0\"N" in annex.description.text
    for p in annex.description.paragraphs:
        if "39°12'00.0\"N" in p.text and p.ref.endswith(".0"):
            assert "leaves the area covered by this annex" in p.text


# ------------------------------------------------------------------------------------ caveats


@pytest.mark.slow
def test_caveats_of_illustrative_data_are_in_the_legal_text(corridor: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    text = (corridor / "description.txt").read_text(encoding="utf-8")
    caveats = [line for line in text.splitlines() if "CAVEAT:" in line]
    assert any("ILLUSTRATIVE" in c and "corridor" in c for c in caveats)  # the transfer's status and source
    assert any("CLAIMED" in c for c in caveats)  # the scenario's own status
    plain = from_scenario(
        scenario("status-quo"), "KGZ", "TJK", window=(70.4, 39.8, 70.8, 40.1), max_spacing_m=5000, use_roads=False
    )
    assert not any("ILLUSTRATIVE" in c for c in plain.description.caveats)  # de-facto territory carries no such caveat


# ------------------------------------------------------------------------------------ KML


@pytest.mark.slow
def test_kml_descriptions_are_rounded_and_worded(corridor: Path) -> None:
    text = (corridor / "annex.kml").read_text(encoding="utf-8")
    descriptions = re.findall(r"<description>(.*?)</description>", text, flags=re.DOTALL)
    assert len(descriptions) > 100
    body = "\n".join(descriptions[1:])
    assert "False" not in body and "True" not in body and "nan" not in body
    assert not re.search(r"\d\.\d{6,}", body)  # no raw floats
    assert "Line of sight to next pillar" in body and " m<" in body.replace("&lt;", "<")


# ------------------------------------------------------------------------------------ PDF


@pytest.mark.slow
@needs_poppler
def test_pdf_tables_fit_the_page_and_hold_every_coordinate(corridor: Path) -> None:
    pdf = corridor / "annex.pdf"
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', bbox, flags=re.DOTALL)
    assert pages
    for width, _, body in pages:
        xmax = [float(v) for v in re.findall(r'xMax="([\d.]+)"', body)]
        assert max(xmax, default=0) <= float(width)  # nothing runs off the right edge
    text = _pdf_text(pdf)
    assert "Clearance (m)" in text
    tp = gpd.read_file(corridor / "turning_points.geojson")
    words = set(text.split())
    missing = [v for v in tp["lat_dms"] if v not in words]
    assert not missing  # the coordinate table is complete
    assert "Done at" in text and "For Kyrgyzstan (KGZ)" in text and "For Tajikistan (TJK)" in text


@pytest.mark.slow
@needs_poppler
def test_pdf_has_a_legible_map_sheet_per_section(corridor: Path, artifacts: Path) -> None:
    from matplotlib.image import imread

    pdf = corridor / "annex.pdf"
    text = _pdf_text(pdf)
    titles = re.findall(r"Map sheet (\d+) of (\d+): section (\d+).*?scale 1:([\d ]+)", text)
    secs = gpd.read_file(corridor / "sections.geojson")
    assert {int(t[2]) for t in titles} == set(secs["section"].astype(int))
    pages = text.split("\f")
    first_sheet = next(i for i, p in enumerate(pages, start=1) if "Map sheet 1 of" in p)
    prefix = artifacts / "treaty-sheet"
    subprocess.run(
        ["pdftoppm", "-r", "60", "-f", str(first_sheet), "-l", str(first_sheet), "-png", str(pdf), str(prefix)],
        check=True,
        timeout=120,
    )
    img = np.asarray(imread(sorted(artifacts.glob("treaty-sheet-*.png"))[-1]))[..., :3]
    red = (img[..., 0] > 0.55) & (img[..., 1] < 0.25) & (img[..., 2] < 0.25)  # turning-point pillar symbols
    assert red.sum() > 50
    # scale: pillars the median distance apart stand at least ~3 mm apart on paper
    pil = gpd.read_file(corridor / "pillars.geojson")
    scale = int(titles[0][3].replace(" ", ""))
    median = float(np.nanmedian(pil["to_next_m"].to_numpy(dtype=float)))
    assert median / scale * 1000 >= 2.0


# ------------------------------------------------------------------------------------ size of work


def test_pillar_estimate_and_limit_before_any_layout() -> None:
    d = describe_line(shapely.LineString([(70.0, 40.0), (70.1, 40.0)]), parties=("KGZ", "TJK"))
    length = d.total_length_m
    assert estimate_pillars(length, 2, 1000.0) == 2 + int(np.ceil(length / 1000.0))
    plan = plan_pillars(d, max_spacing_m=1000.0)
    assert len(plan.pillars) <= estimate_pillars(
        length, len(d.turning_points) + len(d.sections), 1000.0
    )  # an upper bound
    with pytest.raises(PillarLimitError) as exc:
        plan_pillars(d, max_spacing_m=1e-9, max_pillars=1000)
    assert exc.value.estimate > 8 * 10**12 and exc.value.limit == 1000


def test_cli_refuses_a_pillar_plan_past_the_limit(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "never"
    for tiny in ("1e-9", "0.01"):  # below the option's range: refused while parsing, before any work
        r = cli("treaty", "--scenario", "status-quo", "--between", "KGZ", "TJK", "--max-spacing", tiny, "-o", out)
        assert r.code == 2 and len(r.err.strip().splitlines()) == 1 and "--max-spacing" in r.err
    r = cli("treaty", "--scenario", "status-quo", "--between", "KGZ", "TJK", "--max-spacing", "1", "-o", out)
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    assert "--max-spacing" in r.err and "pillars" in r.err and "DELIMIT_MAX_PILLARS" in r.err
    assert re.search(r"about [\d,]{7,} pillars", r.err)  # the estimate, ~ 9e5 for ~900 km at 1 m
    assert "limit of 100,000" in r.err
    monkeypatch.setenv("DELIMIT_MAX_PILLARS", "50")
    r = cli("treaty", "--scenario", "status-quo", "--between", "KGZ", "TJK", "--window", WINDOW, "-o", out)
    assert r.code == 2 and "limit of 50" in r.err
    monkeypatch.setenv("DELIMIT_MAX_PILLARS", "many")
    r = cli("treaty", "--scenario", "status-quo", "--between", "KGZ", "TJK", "--window", WINDOW, "-o", out)
    assert r.code == 2 and "DELIMIT_MAX_PILLARS" in r.err
    assert not out.exists()
