"""The report: synthetic scenarios (fast) and the bundled Fergana scenarios in headless chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from delimit.impact import UnitCosts
from delimit.report import build_report, party_colours
from delimit.report.plots import CUT_OFF, NOT_MODELLED, population_by_band
from test_impact import S1, S2, VILLAGES, ROADS, WEST, EAST, make_scenario


def _local_refs(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"#][^"]*)"', html)


@pytest.fixture(scope="module")
def synthetic_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    base = make_scenario("base", [("a1", "AAA", WEST, "de-facto"), ("b1", "BBB", EAST, "de-facto")], settlements=VILLAGES, roads=ROADS, status="de-facto")
    other = make_scenario("swap", [("a1", "AAA", WEST.difference(S1).union(S2), "illustrative"), ("b1", "BBB", EAST.difference(S2).union(S1), "illustrative")], settlements=VILLAGES, roads=ROADS)
    out = tmp_path_factory.mktemp("synthetic-report")
    costs = UnitCosts(source="synthetic unit costs for a test", currency="USD", household_size=5, per_resettled_household=100.0)
    res = build_report(base, [base, other], out, costs=costs)
    return out, res


def test_synthetic_report_is_self_contained(synthetic_report) -> None:  # type: ignore[no-untyped-def]
    out, res = synthetic_report
    html = (out / "index.html").read_text(encoding="utf-8")
    for ref in _local_refs(html):
        assert "://" not in ref and not ref.startswith("//"), ref
        assert (out / ref).is_file(), ref
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    for f in res.files:
        assert (out / f).is_file()
    assert res.summary[0]["scenario"] == "swap" and res.summary[0]["balanced"] is True


def test_synthetic_report_numbers_and_marks(synthetic_report) -> None:  # type: ignore[no-untyped-def]
    out, res = synthetic_report
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "BUILT ON HAND-MADE DATA" in html and "territory: illustrative" in html
    assert "Westswap" in html and "Eastswap" in html  # villages changing country are named
    assert "synthetic unit costs for a test" in html  # the costs' source is shown
    assert "Lambert azimuthal equal-area" in html
    doc = json.loads((out / "comparisons.json").read_text(encoding="utf-8"))
    comp = doc["comparisons"][0]
    assert comp["costs"]["lines"][0]["quantity"] == 300  # ceil(1500 / 5)
    assert doc["provenance"]["swap"]["scenario"] == "swap"
    assert doc["data_marks"]["territory"] == ["illustrative"]


def test_palette_is_by_sorted_id_only() -> None:
    a = party_colours(["TJK", "KGZ", "UZB"])
    b = party_colours(["UZB", "KGZ", "TJK"])
    assert a == b and len(set(a.values())) == 3
    assert list(a) == ["KGZ", "TJK", "UZB"]


def test_population_bands_separate_cut_off_from_not_modelled() -> None:
    import pandas as pd

    rows = pd.DataFrame(
        {
            "population": [100, 200, 300, 400, 50],
            "minutes": [10.0, 45.0, float("nan"), float("nan"), 500.0],
            "reachable": [True, True, False, False, True],
            "note": ["", "", "", "off the road network", ""],
        }
    )
    s = population_by_band(rows)
    assert s["< 30 min"] == 100 and s["30-60 min"] == 200 and s[">= 240 min"] == 50
    assert s[CUT_OFF] == 300 and s[NOT_MODELLED] == 400
    assert s.sum() == rows["population"].sum()


def test_cli_report_bad_costs_writes_nothing(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "c.yaml"
    bad.write_text("source: ''\ncurrency: USD\nper_km_bypass_road: 3\n")
    out = tmp_path / "rep"
    r = cli("report", "status-quo", "-o", out, "--costs", bad)
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    assert not out.exists()


def test_cli_report_unknown_scenario(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "rep"
    r = cli("report", "no-such-scenario", "-o", out)
    assert r.code == 2 and "unknown scenario" in r.err
    assert not out.exists()


# ---------------------------------------------------------------- bundled data, real browser


@pytest.fixture(scope="module")
def fergana_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from delimit.cli import main

    out = tmp_path_factory.mktemp("fergana") / "report"
    assert main(["report", "status-quo", "tj-corridor-claim", "--pdf", "-o", str(out)]) == 0
    return out


@pytest.mark.slow
def test_fergana_report_content(fergana_report: Path) -> None:
    html = (fergana_report / "index.html").read_text(encoding="utf-8")
    doc = json.loads((fergana_report / "comparisons.json").read_text(encoding="utf-8"))
    comp = doc["comparisons"][0]
    assert comp["scenario"] == "tj-corridor-claim" and comp["land"][0]["from"] == "KGZ"
    assert "territory: illustrative" in html and "roads: schematic" in html
    assert "No cost estimate" in html  # no --costs: the report says so
    pdf = fergana_report / "report.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    for ref in _local_refs(html):
        assert (fergana_report / ref).is_file(), ref


@pytest.mark.slow
@pytest.mark.browser
def test_report_in_headless_chromium(fergana_report: Path, artifacts: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian chromium is not installed")
    failed: list[str] = []
    external: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("requestfailed", lambda r: failed.append(f"{r.url}: {r.failure}"))
            page.on("request", lambda r: external.append(r.url) if not r.url.startswith(("file://", "data:")) else None)
            page.goto((fergana_report / "index.html").as_uri(), wait_until="load")
            images = page.evaluate("() => Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])")
            page.screenshot(path=str(artifacts / "report-fergana.png"), full_page=False)
        finally:
            browser.close()
    assert not failed, failed
    assert not external, external
    assert len(images) >= 5
    broken = [src for src, complete, width in images if not complete or width <= 0]
    assert not broken, broken
    assert (artifacts / "report-fergana.png").stat().st_size > 10000
