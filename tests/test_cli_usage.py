"""Usage errors through the real CLI: one line, exit 2, never a traceback (issues 12 and 19).

Every command and subcommand is discovered from the app itself, so a new command is covered as soon
as it exists.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _walk(group: Any, ctx: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is None:  # a helper module without register()
            continue
        yield (*path, name)
        if hasattr(cmd, "list_commands"):
            yield from _walk(cmd, ctx, (*path, name))


def every_command() -> list[tuple[str, ...]]:
    """Every command path of ``delimit`` (``('access',), ('access', 'compare'), ...``)."""
    from typer import _click
    from typer.main import get_command

    from delimit.cli import app

    root = get_command(app)
    ctx = _click.Context(root, info_name="delimit")
    return list(_walk(root, ctx, ()))


COMMANDS = every_command()


def one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_every_command_is_discovered() -> None:
    names = {c[0] for c in COMMANDS}
    assert {
        "access",
        "chokepoints",
        "compare",
        "data",
        "propose",
        "report",
        "scenarios",
        "topology",
        "treaty",
        "validate",
    } <= names
    assert ("access", "compare") in COMMANDS and ("scenarios", "schema") in COMMANDS and ("data", "info") in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_unknown_option_is_one_line_exit_2(cli: Callable[..., Any], path: tuple[str, ...]) -> None:
    r = cli(*path, "--no-such-option")
    assert r.code == 2
    line = one_line(r.err)
    assert "--no-such-option" in line and line.startswith("delimit")


def test_typo_in_a_command_suggests_the_command(cli: Callable[..., Any]) -> None:
    r = cli("topolgy")
    assert r.code == 2
    assert "'topology'" in one_line(r.err)
    assert r.out == ""


def test_typo_in_an_option_suggests_the_option(cli: Callable[..., Any]) -> None:
    r = cli("topology", "--scenaro", "status-quo")
    assert r.code == 2
    line = one_line(r.err)
    assert "--scenaro" in line and "--scenario" in line


def test_no_arguments_prints_help(cli: Callable[..., Any]) -> None:
    r = cli()
    assert r.code == 0 and r.err == ""
    assert "Usage" in r.out and "topology" in r.out and "treaty" in r.out


def test_a_group_without_its_command_prints_its_help(cli: Callable[..., Any]) -> None:
    r = cli("data")
    assert r.code == 0 and "info" in r.out and "Traceback" not in r.err


def test_a_missing_required_option_is_one_line(cli: Callable[..., Any]) -> None:
    r = cli("report", "status-quo")
    assert r.code == 2 and "--output" in one_line(r.err)


# -------------------------------------------------------------------------------------------- formats

UNSUPPORTED_FORMATS = [
    (("data", "info"), "csv"),
    (("data", "info"), "geojson"),
    (("scenarios", "list"), "csv"),
    (("scenarios", "show", "status-quo"), "geojson"),
    (("validate", "x.geojson"), "csv"),
    (("topology", "-s", "status-quo"), "csv"),
    (("compare", "status-quo", "status-quo"), "geojson"),
    (("propose",), "csv"),
    (("treaty", "--scenario", "status-quo", "--between", "KGZ", "TJK"), "geojson"),
    (("access", "compare", "-r", "a", "-r", "b"), "geojson"),
    (("data", "info"), "xml"),
]


@pytest.mark.parametrize(("args", "fmt"), UNSUPPORTED_FORMATS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else v)
def test_a_format_a_command_does_not_write_is_refused(cli: Callable[..., Any], args: tuple[str, ...], fmt: str) -> None:
    r = cli(*args, "--format", fmt)
    assert r.code == 2
    line = one_line(r.err)
    assert "--format" in line and repr(fmt) in line and "table" in line
    assert r.out == ""


def test_every_format_option_names_what_it_accepts() -> None:
    """Each command's --format is a choice of its own (help lists it); none offers all formats by default."""
    from typer import _click
    from typer.main import get_command

    from delimit.cli import app

    root = get_command(app)
    ctx = _click.Context(root, info_name="delimit")
    seen = 0
    for path in COMMANDS:
        cmd: Any = root
        for name in path:
            cmd = cmd.get_command(ctx, name)
        for p in getattr(cmd, "params", []):
            if "--format" in getattr(p, "opts", []):
                seen += 1
                assert "table" in (p.help or ""), path
    assert seen >= 10


# -------------------------------------------------------------------------------------- option ranges

BAD_NUMBERS = [
    (("topology", "-s", "status-quo"), "--neck-width-m", "abc"),
    (("topology", "-s", "status-quo"), "--neck-width-m", "1e-300"),
    (("topology", "-s", "status-quo"), "--neck-width-m", "nan"),
    (("topology", "-s", "status-quo"), "--overlap-m", "-1"),
    (("chokepoints",), "-n", "abc"),
    (("chokepoints",), "-n", "1e308"),
    (("chokepoints",), "-n", "0"),
    (("propose",), "--balance", "abc"),
    (("propose",), "--balance", "1.5"),
    (("propose",), "--seed", "abc"),
    (("propose",), "--seed", "-1"),
    (("propose",), "--count", "0"),
    (("propose",), "--count", "100000"),
    (("propose",), "--min-neck-m", "inf"),
    (("propose",), "--w-people", "-1"),
    (("access", "-c", "resident-kg"), "--cell-m", "1e308"),
    (("access", "-c", "resident-kg"), "--cell-m", "inf"),
    (("access", "-c", "resident-kg"), "--cell-m", "0"),
    (("treaty", "--scenario", "status-quo", "--between", "KGZ", "TJK"), "--max-spacing-m", "1e-9"),
    (("treaty", "--scenario", "status-quo", "--between", "KGZ", "TJK"), "--max-spacing-m", "0.01"),
    (("treaty", "--scenario", "status-quo", "--between", "KGZ", "TJK"), "--refraction-k", "nan"),
    (("treaty", "--scenario", "status-quo", "--between", "KGZ", "TJK"), "--pdf-rows", "-3"),
    (("compare", "status-quo", "status-quo"), "--neck-width-m", "abc"),
    (("report", "status-quo", "-o", "never"), "--neck-width-m", "0"),
]


@pytest.mark.parametrize(
    ("args", "option", "value"), BAD_NUMBERS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else v
)
def test_a_bad_number_is_refused_before_any_work(
    cli: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    option: str,
    value: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    r = cli(*args, option, value)
    assert r.code == 2
    line = one_line(r.err)
    assert option in line and value in line
    assert " from " in line or "at least" in line  # the accepted range is stated
    assert list(tmp_path.iterdir()) == []


def test_good_numbers_pass_the_check(cli: Callable[..., Any]) -> None:
    """The ranges do not refuse values users give (the run then fails on the unknown scenario, exit 2)."""
    r = cli("topology", "-s", "no-such-scenario", "--neck-width-m", "1", "--overlap-m", "0")
    assert r.code == 2 and "no-such-scenario" in one_line(r.err)


@pytest.mark.parametrize(
    ("words", "old", "new"),
    [
        (("topology", "-s", "no-such-scenario"), "--neck-width", "--neck-width-m"),
        (("topology", "-s", "no-such-scenario"), "--overlap", "--overlap-m"),
        (("topology", "-s", "no-such-scenario"), "--accuracy", "--accuracy-m"),
        (("chokepoints", "-s", "no-such-scenario"), "--top", "-n"),
        (("propose", "--scenario", "no-such-scenario"), "--min-neck", "--min-neck-m"),
        (("propose", "--scenario", "no-such-scenario"), "--min-exchange", "--min-exchange-km2"),
        (("treaty", "--scenario", "no-such-scenario", "--between", "A", "B"), "--max-spacing", "--max-spacing-m"),
        (("compare", "no-such-scenario", "status-quo"), "--neck-width", "--neck-width-m"),
    ],
)
def test_former_option_names_still_work_and_are_hidden(
    cli: Callable[..., Any], words: tuple[str, ...], old: str, new: str
) -> None:
    """A renamed option's former spelling is still accepted (and range-checked) but no longer listed."""
    r = cli(*words, old, "5")
    assert r.code == 2 and "no-such-scenario" in one_line(r.err)
    r = cli(*words, old, "-7")
    assert r.code == 2 and old in one_line(r.err) and "out of range" in r.err
    help_text = cli(words[0], "--help").out
    assert new in help_text and f"{old} " not in help_text.replace(f"{old}-", "")


# ------------------------------------------------------------------------------------- lazy imports


def _python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout


def test_import_and_version_load_no_engine() -> None:
    heavy = ["geopandas", "shapely", "pandas", "pyproj", "numpy", "rasterio", "matplotlib"]
    code = (
        "import sys, json\n"
        "from delimit.cli import main\n"
        "main(['--version'])\n"
        f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))\n"
    )
    out = _python(code).splitlines()
    assert out[0].startswith("delimit ")
    assert json.loads(out[-1]) == []


def test_load_scenario_is_still_one_attribute_away() -> None:
    out = _python("import delimit; print(delimit.load_scenario.__module__)")
    assert out.strip() == "delimit.scenario.loader"
