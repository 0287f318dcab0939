"""Shared fixtures: cached bundled scenarios, an in-process CLI runner, the demo report, the artefact folder."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
ARTIFACTS = ROOT / "test-artifacts"


@functools.cache
def _load(name: str):  # type: ignore[no-untyped-def]
    from delimit import load_scenario

    return load_scenario(name)


@pytest.fixture(scope="session")
def scenario() -> Callable[[str], object]:
    """``scenario("status-quo")`` -> the loaded bundled scenario (cached for the session; do not mutate)."""
    return _load


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``delimit`` in-process: ``cli("scenarios", "list")`` -> CliResult(code, out, err)."""
    from delimit.cli import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def load_demo_script():  # type: ignore[no-untyped-def]
    """``scripts/demo.py`` (what ``make demo`` runs) as a module."""
    spec = importlib.util.spec_from_file_location("demo", ROOT / "scripts" / "demo.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@dataclass(frozen=True)
class DemoRun:
    """The demo's report of every bundled scenario, built once per session: folder, exit status, printed text."""

    out: Path
    code: int
    printed: str


@pytest.fixture(scope="session")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """Run the demo (``delimit report --all`` on the bundled data) once for every test that reads its report."""
    out = tmp_path_factory.mktemp("demo") / "fergana"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = load_demo_script().run(out)
    return DemoRun(out, code, printed.getvalue())


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for test artefacts (screenshots, rendered pages) kept after the run."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` if present (developer machines, CI); tests using it skip on a user's clone."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent (a user's fresh clone); this check needs the shared reference data")
    return SHARED_DATA


os.environ.setdefault("MPLBACKEND", "Agg")
