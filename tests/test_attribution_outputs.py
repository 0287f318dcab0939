"""Every non-treaty output names its data's sources and licences, through the real CLI.

The bundled Fergana data holds OpenStreetMap land (ODbL 1.0) and GeoNames settlements (CC BY 4.0):
each format must carry "© OpenStreetMap contributors" with the ODbL and name GeoNames with CC BY 4.0.
The expected words come from the licences' own terms (https://www.openstreetmap.org/copyright,
https://creativecommons.org/licenses/by/4.0/), not from delimit's output.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

OSM = "© OpenStreetMap contributors"
ODBL = "ODbL"
GEONAMES = "GeoNames"
CC_BY = "CC BY 4.0"


def _credited(text: str) -> None:
    assert OSM in text and ODBL in text, text[:400]
    assert GEONAMES in text and CC_BY in text, text[:400]


def _credits_in_provenance(prov: dict) -> None:
    sources = {c["source"]: c for c in prov["attribution"]}
    assert sources["OpenStreetMap"]["notice"] == OSM and sources["OpenStreetMap"]["licence"].startswith(ODBL)
    assert sources["GeoNames"]["licence"] == CC_BY


def _csv_rows(text: str) -> list[dict[str, str]]:
    """Rows of a CSV whose leading '#' lines are comments (as documented in delimit.cli.render)."""
    body = "".join(line + "\n" for line in text.splitlines() if not line.startswith("#"))
    return list(csv.DictReader(io.StringIO(body)))


def test_topology_json_and_geojson(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("topology", "-s", "status-quo", "--format", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    _credits_in_provenance(doc["provenance"])
    _credited(doc["attribution"])
    out = tmp_path / "t.geojson"
    r = cli("topology", "-s", "status-quo", "--format", "geojson", "-o", out)
    assert r.code == 0, r.err
    gj = json.loads(out.read_text(encoding="utf-8"))
    assert gj["type"] == "FeatureCollection" and gj["features"]
    _credited(gj["attribution"])  # a top-level member, next to "features"
    _credits_in_provenance(gj["provenance"])


def test_topology_table_names_the_sources(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("topology", "-s", "status-quo")
    assert r.code == 0, r.err
    _credited(" ".join(r.out.split()))


def test_access_json_geojson_csv(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("access", "-s", "status-quo", "-c", "resident-tj", "--format", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    _credits_in_provenance(doc["provenance"])
    r = cli("access", "-s", "status-quo", "-c", "resident-tj", "--format", "geojson")
    assert r.code == 0, r.err
    gj = json.loads(r.out)
    _credited(gj["attribution"])
    _credits_in_provenance(gj["provenance"])
    assert len(gj["features"]) == len(doc["rows"])
    r = cli("access", "-s", "status-quo", "-c", "resident-tj", "--format", "csv")
    assert r.code == 0, r.err
    first = r.out.splitlines()[0]
    assert first.startswith("# ") and OSM in first
    _credited(first)
    rows = _csv_rows(r.out)
    assert len(rows) == len(doc["rows"]) and "settlement" in rows[0]


def test_compare_json_and_csv(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("compare", "status-quo", "border-closed-2022", "--no-access", "--format", "json")
    assert r.code == 0, r.err
    top = json.loads(r.out)
    doc = top["comparisons"][0]
    _credits_in_provenance(doc["provenance"]["baseline"])
    _credits_in_provenance(doc["provenance"]["scenario"])
    _credited(top["attribution"])
    r = cli("compare", "status-quo", "border-closed-2022", "--no-access", "--format", "csv")
    assert r.code == 0, r.err
    comments = [line for line in r.out.splitlines() if line.startswith("#")]
    _credited(comments[0])
    assert any("scenario border-closed-2022" in line for line in comments)
    rows = _csv_rows(r.out)
    assert [row["scenario"] for row in rows] == ["border-closed-2022"]


@pytest.mark.slow
def test_chokepoints_csv_and_geojson(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("chokepoints", "-s", "status-quo", "-n", "3", "--format", "csv")
    assert r.code == 0, r.err
    _credited(r.out.splitlines()[0])
    assert len(_csv_rows(r.out)) == 3
    r = cli("chokepoints", "-s", "status-quo", "-n", "3", "--format", "geojson")
    assert r.code == 0, r.err
    gj = json.loads(r.out)
    _credited(gj["attribution"])
    _credits_in_provenance(gj["provenance"])


def test_data_info_table_json_and_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("data", "info")
    assert r.code == 0, r.err
    _credited(" ".join(r.out.split()))
    r = cli("data", "info", "--format", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    _credits_in_provenance({"attribution": doc["credits"]})
    _credited(doc["attribution_text"])
    out = tmp_path / "info.txt"
    r = cli("data", "info", "-o", out)
    assert r.code == 0, r.err
    _credited(" ".join(out.read_text(encoding="utf-8").split()))  # a table written to a file is credited too


def _pdf_pages_text(report: Path) -> list[str]:
    """Text of each page of the report as weasyprint lays it out for report.pdf (margin boxes included)."""
    from weasyprint import HTML

    from delimit.report.pdf import _fetcher

    doc = HTML(filename=str(report / "index.html"), url_fetcher=_fetcher(report), base_url=str(report)).render()
    pages = []
    for page in doc.pages:
        texts = [getattr(b, "text", "") for b in page._page_box.descendants()]
        pages.append(" ".join(t for t in texts if t))
    return pages


@pytest.mark.slow
def test_report_html_pdf_maps_and_json(fergana_report: Path) -> None:
    """The bundled-data report with its PDF (conftest's ``fergana_report``, shared with test_report.py)."""
    out = fergana_report
    html = (out / "index.html").read_text(encoding="utf-8")
    _credited(html)
    assert 'id="credits"' in html and "<footer" in html  # a credits section and a footer on the page
    doc = json.loads((out / "comparisons.json").read_text(encoding="utf-8"))
    for prov in doc["provenance"].values():
        _credits_in_provenance(prov)
    pages = _pdf_pages_text(out)
    assert len(pages) > 2
    for k, text in enumerate(pages, start=1):
        assert OSM in " ".join(text.split()), f"page {k} of report.pdf carries no OpenStreetMap credit"
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"


def test_every_map_carries_the_osm_credit(scenario, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The maps draw the credit on the figure itself, so a PNG lifted out of the report keeps it."""
    from matplotlib.text import Text

    from delimit.impact import measurement_crs
    from delimit.report import maps
    from delimit.report.palette import party_colours

    s = scenario("status-quo")
    crs = measurement_crs(s)
    frame = maps.MapFrame(
        crs=crs, focus=maps.focus_bounds([s], crs), full=maps.full_bounds([s], crs), colours=party_colours(s.parties)
    )
    drawn: list[str] = []
    original = maps.save

    def spy(fig, path):  # type: ignore[no-untyped-def]
        drawn.extend(t.get_text() for ax in fig.axes for t in ax.findobj(Text))
        return original(fig, path)

    maps.save = spy
    try:
        maps.overview_map(s, frame, tmp_path / "o.png", banner="")
        maps.context_map(s, frame, tmp_path / "c.png", banner="")
        maps.chokepoint_map(s, frame, tmp_path / "k.png", rows=None, regime="open", banner="")
    finally:
        maps.save = original
    assert sum(OSM in t for t in drawn) == 3
