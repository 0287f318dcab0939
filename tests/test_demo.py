"""``make demo``: the report of every bundled scenario, its path and a summary table."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _demo():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("demo", ROOT / "scripts" / "demo.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_summary_table_formats_rows() -> None:
    demo = _demo()
    text = demo.summary_table(
        {"summary": [{"scenario": "x", "land_km2": 1.5, "balanced": False, "population": 1200, "enclaves_added": None}]}
    )
    lines = text.splitlines()
    assert lines[0].startswith("scenario") and "land moved (km²)" in lines[0]
    assert "1.50" in lines[2] and "1,200" in lines[2] and "n/a" in lines[2] and "no" in lines[2]


@pytest.mark.slow
def test_demo_writes_the_report_and_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "fergana"
    assert _demo().run(out) == 0
    printed = capsys.readouterr().out
    assert f"Report: {(out / 'index.html').resolve()}" in printed
    doc = json.loads((out / "comparisons.json").read_text(encoding="utf-8"))
    assert doc["baseline"] == "status-quo"
    names = {r["scenario"] for r in doc["summary"]}
    assert {"border-closed-2022", "tj-corridor-claim"} <= names
    for name in names:
        assert name in printed
    assert "© OpenStreetMap contributors (ODbL 1.0)" in printed  # the data's credit, on the terminal too
    closed = next(r for r in doc["summary"] if r["scenario"] == "border-closed-2022")
    assert closed["land_km2"] == 0 and closed["balanced"] is True
    if closed["people_cut_off"] is not None:  # access engine present: closing the border cuts people off
        assert closed["people_cut_off"] > 0
