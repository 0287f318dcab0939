"""One figure of people cut off by the 2022 closure, wherever delimit shows it (issue 13).

``delimit compare status-quo border-closed-2022 --format json`` lists the access change per regime
and traveller class; the headline is the default regime's border-zone residents by vehicle, one
class per party (their origin settlements are disjoint, so their people add up). The report's
summary table and the demo's printed table must show that same number.
"""

from __future__ import annotations

import html as html_lib
import json
import re

import pytest

import delimit
from conftest import DemoRun, load_demo_script


def _headline_from_compare_json(doc: dict) -> int:  # type: ignore[type-arg]
    """Sum people_cut_off over the default regime's resident-by-vehicle classes, one per party."""
    classes = {
        c.id: c
        for c in delimit.load_scenario("border-closed-2022").traveller_classes.values()
        if c.kind == "resident" and c.mode == "vehicle" and c.party
    }
    rows = [r for r in doc["access"] if r["default"] and r["class"] in classes]
    assert len({classes[r["class"]].party for r in rows}) == len(rows) >= 2  # one class per party
    return sum(int(r["people_cut_off"]) for r in rows)


def _column(text: str, header: str, scenario: str) -> str:
    """The cell under ``header`` in the row of ``scenario`` of the demo's plain-text table."""
    lines = text.splitlines()
    start = lines[0].index(header)
    row = next(ln for ln in lines[2:] if ln.startswith(scenario + " "))
    # cells are right-aligned under their header: read the token ending at or before the header's end
    end = start + len(header)
    return row[:end].split()[-1]


@pytest.mark.slow
def test_report_summary_and_demo_table_show_the_compare_figure(cli, demo_report: DemoRun) -> None:  # type: ignore[no-untyped-def]
    r = cli("compare", "status-quo", "border-closed-2022", "--format", "json")
    assert r.code == 0, r.err
    expected = _headline_from_compare_json(json.loads(r.out)["comparisons"][0])
    assert expected > 0  # closing every Kyrgyz-Tajik crossing cuts Vorukh off: not a vacuous check

    # the demo's report (every bundled scenario against status-quo, built once per session)
    out = demo_report.out
    assert demo_report.code == 0
    doc = json.loads((out / "comparisons.json").read_text(encoding="utf-8"))
    row = next(s for s in doc["summary"] if s["scenario"] == "border-closed-2022")
    assert row["people_cut_off"] == expected

    # the HTML summary table shows it, formatted with thousands separators
    page = html_lib.unescape((out / "index.html").read_text(encoding="utf-8"))
    summary = page[page.index('id="summary"') :]
    summary = summary[: summary.index("</table>")]
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", summary, re.S)]
    assert f"{expected:,}" in cells

    # the demo prints its table from the report's comparisons.json
    table = load_demo_script().summary_table(doc)
    assert _column(table, "cut off (persons)", "border-closed-2022") == f"{expected:,}"
    assert table in demo_report.printed
