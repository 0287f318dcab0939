"""An engine error is an error: ``compare`` and ``report`` fail on it; only ``report --keep-going`` tolerates it, and says so.

The access engine is made to raise on a bundled scenario (its ``build_network`` replaced by one that
raises); topology runs for real. Nothing in :mod:`delimit.impact` may turn that into a quiet
"unavailable" section.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from pathlib import Path

import pytest

import delimit.access
from delimit import load_scenario
from delimit.impact import EngineFailure, compare

MESSAGE = "road graph corrupted (test)"


@pytest.fixture
def access_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the access engine raise on every scenario."""

    def build_network(*args: object, **kwargs: object) -> None:
        raise RuntimeError(MESSAGE)

    monkeypatch.setattr(delimit.access, "build_network", build_network)


@pytest.mark.slow
def test_compare_raises_engine_failure(access_raises: None, scenario) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(EngineFailure, match=re.escape(MESSAGE)) as info:
        compare(scenario("status-quo"), scenario("border-closed-2022"), with_topology=False)
    assert info.value.section == "access" and info.value.scenario == "status-quo"
    assert isinstance(info.value.__cause__, RuntimeError)


@pytest.mark.slow
def test_compare_keep_going_marks_the_section_failed(access_raises: None, scenario) -> None:  # type: ignore[no-untyped-def]
    c = compare(scenario("status-quo"), scenario("border-closed-2022"), with_topology=False, keep_going=True)
    status = c.to_json()["access_status"]
    assert status["available"] is False and status["failed"] is True and MESSAGE in status["reason"]


@pytest.mark.slow
def test_cli_compare_exits_1_with_one_line(access_raises: None, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "c.json"
    r = cli("compare", "status-quo", "border-closed-2022", "--format", "json", "-o", out)
    assert r.code == 1
    lines = r.err.strip().splitlines()
    assert lines[-1] == f"delimit: error: the access engine failed on 'status-quo': RuntimeError: {MESSAGE}"
    assert not out.exists()


@pytest.mark.slow
def test_cli_report_fails_unless_keep_going(access_raises: None, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "report"
    r = cli("report", "border-closed-2022", "--quiet", "-o", out)
    assert r.code == 1
    assert r.err.strip().splitlines()[-1].startswith("delimit: error: the access engine failed on 'status-quo'")
    assert not out.exists()  # nothing written

    r = cli("report", "border-closed-2022", "--quiet", "--keep-going", "-o", out)
    assert r.code == 0, r.err
    page = html_lib.unescape((out / "index.html").read_text(encoding="utf-8"))
    top = page[page.index("<h1>") : page.index('class="toc"')]
    assert "Incomplete report (delimit report --keep-going)" in top
    assert f"access engine failed on 'status-quo': RuntimeError: {MESSAGE}" in top
    doc = json.loads((out / "comparisons.json").read_text(encoding="utf-8"))
    assert doc["comparisons"][0]["access_status"]["failed"] is True
    assert doc["comparisons"][0]["topology"]["available"] is True  # topology did not fail and is there


def test_compare_without_access_is_not_requested_not_failed() -> None:
    base = load_scenario("status-quo")
    c = compare(base, base, with_topology=False, with_access=False)
    assert c.to_json()["access_status"] == {
        "available": False,
        "section": "access",
        "reason": "not requested",
        "failed": False,
    }


def test_topology_failure_raises_unless_keep_going(monkeypatch: pytest.MonkeyPatch, scenario) -> None:  # type: ignore[no-untyped-def]
    import delimit.topology

    def analyse(*args: object, **kwargs: object) -> None:
        raise ValueError("ring self-intersection (test)")

    monkeypatch.setattr(delimit.topology, "analyse", analyse)
    base, closed = scenario("status-quo"), scenario("border-closed-2022")
    with pytest.raises(EngineFailure, match=re.escape("the topology engine failed on 'status-quo'")):
        compare(base, closed, with_access=False)
    doc = compare(base, closed, with_access=False, keep_going=True).to_json()
    assert doc["topology"]["available"] is False and doc["topology"]["failed"] is True
    assert "ring self-intersection (test)" in doc["topology"]["reason"]
