"""Shared fixtures: cached bundled scenarios, an in-process CLI runner, the demo report, the artefact folder;
and the order and grouping of tests for parallel runs (``make test`` runs pytest-xdist with ``--dist loadscope``;
the xdist_group marks set here take effect with ``--dist loadgroup`` once xdist's grouping works with pytest 9:
xdist 3.8.0 rewrites ``item._nodeid``, which pytest 9.2 no longer reads)."""

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
def fergana_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``delimit report status-quo tj-corridor-claim --pdf``, built once for every test that reads a bundled-data
    report with its PDF (the report's content, the browser check, the credits on every page)."""
    from delimit.cli import main

    out = tmp_path_factory.mktemp("fergana") / "report"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["report", "status-quo", "tj-corridor-claim", "--pdf", "-o", str(out)]) == 0
    return out


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


#: Session fixtures that build something expensive: every test reading one runs on the same xdist worker, so
#: the build happens once per run, not once per worker.
SHARED_BUILDS = frozenset({"demo_report", "fergana_report"})


def xdist_group_of(item: pytest.Item) -> str | None:
    """The xdist group an item must share with others, or None (free to run on any worker).

    A test using a module- or class-scoped fixture stays with its module (the fixture is built once, on one
    worker); a test using one of :data:`SHARED_BUILDS` stays with the other readers of that build.
    """
    defs = getattr(item, "_fixtureinfo", None)
    if defs is None:
        return None
    for name in sorted(item.fixturenames):
        if name in SHARED_BUILDS:
            return f"build:{name}"
    for name in item.fixturenames:
        fixturedefs = defs.name2fixturedefs.get(name)
        if fixturedefs and fixturedefs[-1].scope in ("module", "class", "package"):
            return f"module:{_module(item)}"
    return None


def _module(item: pytest.Item) -> str:
    return item.nodeid.split("::")[0]


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the xdist_group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start the longest work first, keeping each module's tests together: modules of browser tests only (whole
    flows through a browser and a server), then modules with a browser or slow test, then the rest (under xdist a
    long test started last would end the run alone; run with ``--no-loadscope-reorder`` so that xdist keeps this
    order); and give each test its xdist group (:func:`xdist_group_of`)."""
    browser_only: dict[str, bool] = {}
    rank: dict[str, int] = {}
    for item in items:
        module = _module(item)
        browser_only[module] = browser_only.get(module, True) and bool(item.get_closest_marker("browser"))
        slow = item.get_closest_marker("browser") or item.get_closest_marker("slow")
        rank[module] = min(rank.get(module, 2), 1 if slow else 2)
    rank.update({module: 0 for module, only in browser_only.items() if only})
    order = {id(item): i for i, item in enumerate(items)}
    items.sort(key=lambda item: (rank[_module(item)], order[id(item)]))
    if not config.pluginmanager.hasplugin("xdist"):
        return  # the marker is xdist's (and --strict-markers refuses an unregistered one)
    for item in items:
        group = xdist_group_of(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


os.environ.setdefault("MPLBACKEND", "Agg")
