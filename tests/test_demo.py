"""``make demo``: the report of every bundled scenario, its path and a summary table."""

from __future__ import annotations

import json

import pytest

from conftest import DemoRun, load_demo_script
from delimit.datasets import bundled_scenario_files


def test_summary_table_formats_rows() -> None:
    demo = load_demo_script()
    text = demo.summary_table(
        {"summary": [{"scenario": "x", "land_km2": 1.5, "balanced": False, "population": 1200, "enclaves_added": None}]}
    )
    lines = text.splitlines()
    assert lines[0].startswith("scenario") and "land moved (km²)" in lines[0]
    assert "1.50" in lines[2] and "1,200" in lines[2] and "n/a" in lines[2] and "no" in lines[2]


@pytest.mark.slow
def test_demo_writes_the_report_and_prints_a_summary(demo_report: DemoRun) -> None:
    out, printed = demo_report.out, demo_report.printed
    assert demo_report.code == 0
    assert f"Report: {(out / 'index.html').resolve()}" in printed
    doc = json.loads((out / "comparisons.json").read_text(encoding="utf-8"))
    assert doc["baseline"] == "status-quo"
    names = {r["scenario"] for r in doc["summary"]}
    assert names == set(bundled_scenario_files("fergana")) - {"status-quo"}
    for name in names:
        assert name in printed
    assert "© OpenStreetMap contributors (ODbL 1.0)" in printed  # the data's credit, on the terminal too
    # --quiet: the command printed where the report is, not its own summary table
    assert "against status-quo" not in printed
    closed = next(r for r in doc["summary"] if r["scenario"] == "border-closed-2022")
    assert closed["land_km2"] == 0 and closed["balanced"] is True
    # Closing every Kyrgyz-Tajik crossing cuts the enclaves off from their regional centres.
    assert closed["people_cut_off"] > 0


@pytest.mark.slow
def test_demo_every_section_of_every_bundled_scenario_is_available(demo_report: DemoRun) -> None:
    """No engine failed on the bundled data: every comparison has its topology and access sections."""
    doc = json.loads((demo_report.out / "comparisons.json").read_text(encoding="utf-8"))
    assert doc["unavailable"] == []
    assert {c["scenario"] for c in doc["comparisons"]} == set(bundled_scenario_files("fergana")) - {"status-quo"}
    for c in doc["comparisons"]:
        assert c["topology"]["available"] is True, (c["scenario"], c["topology"])
        assert c["access_status"] == {"available": True}, (c["scenario"], c["access_status"])
        assert c["access"], c["scenario"]  # one row per regime and class at least
    for row in doc["summary"]:
        assert row["enclaves_added"] is not None and row["people_cut_off"] is not None, row
    page = (demo_report.out / "index.html").read_text(encoding="utf-8")
    assert "Incomplete report" not in page and 'class="unavailable"' not in page


@pytest.mark.slow
def test_report_baseline_option(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``--baseline``: the scenarios are compared with the named baseline, not status-quo."""
    out = tmp_path / "r"
    r = cli("report", "border-closed-2022", "--baseline", "neutral-road-2025", "-o", out)
    assert r.code == 0, r.err
    assert "against neutral-road-2025" in r.out  # without --quiet: the summary table
    doc = json.loads((out / "comparisons.json").read_text(encoding="utf-8"))
    assert doc["baseline"] == "neutral-road-2025" and doc["scenarios"] == ["neutral-road-2025", "border-closed-2022"]
    (c,) = doc["comparisons"]
    assert (c["baseline"], c["scenario"]) == ("neutral-road-2025", "border-closed-2022")
    # both keep the status-quo land: no land changes hands
    assert c["land"] == [] and c["land_balanced"] is True
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "border-closed-2022 against neutral-road-2025" in page
