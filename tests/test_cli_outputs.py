"""Output paths through the real CLI: delimit replaces only what it wrote, reports every failed write,
and leaves no temporary behind on an error or a signal (issues 12 and 19, "Output paths")."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from delimit.io.outputs import MANIFEST

ROOT = Path(__file__).resolve().parents[1]
LINE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "test line"},
            "geometry": {
                "type": "LineString",
                "coordinates": [[70.50, 39.90], [70.52, 39.91], [70.55, 39.905], [70.58, 39.92]],
            },
        }
    ],
}


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative name -> bytes)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def no_temporaries(folder: Path) -> None:
    """No ``.NAME.*`` temporary file or folder is left in ``folder``."""
    left = [p.name for p in folder.iterdir() if p.name.startswith(".") and p.name != MANIFEST]
    assert left == [], left


@pytest.fixture
def line_file(tmp_path: Path) -> Path:
    path = tmp_path / "line.geojson"
    path.write_text(json.dumps(LINE))
    return path


def user_folder(path: Path) -> dict[str, bytes]:
    """A folder of a user's own files; returns its contents."""
    path.mkdir()
    (path / "notes.txt").write_text("my field notes\n")
    (path / "index.html").write_text("<p>my own page</p>\n")
    return tree(path)


# ------------------------------------------------------------------------------ folders a user owns


@pytest.mark.parametrize(
    "args",
    [
        ["report", "status-quo"],
        ["propose", "--zone", "band:1km", "--units", "hex:2km", "-n", "1"],
        ["treaty", "--scenario", "status-quo", "--between", "KGZ", "TJK", "--no-pdf"],
    ],
    ids=["report", "propose", "treaty"],
)
def test_folder_output_refuses_a_folder_delimit_did_not_write(
    cli: Callable[..., Any], tmp_path: Path, args: list[str]
) -> None:
    out = tmp_path / "mine"
    before = user_folder(out)
    r = cli(*args, "-o", out)
    assert r.code == 2
    line = one_line(r.err)
    assert str(out) in line and "did not write" in line and "--overwrite" in line
    assert tree(out) == before
    no_temporaries(tmp_path)


@pytest.mark.parametrize(
    "command",
    [["report", "status-quo"], ["propose"], ["treaty", "--scenario", "status-quo", "--between", "KGZ", "TJK"]],
    ids=["report", "propose", "treaty"],
)
def test_folder_output_never_replaces_a_file(cli: Callable[..., Any], tmp_path: Path, command: list[str]) -> None:
    existing = tmp_path / "existing_file.json"
    existing.write_text('{"mine": true}\n')
    r = cli(*command, "-o", existing)
    assert r.code == 2
    assert str(existing) in one_line(r.err)
    assert existing.read_text() == '{"mine": true}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing_file.json"]


@pytest.mark.parametrize(
    "command",
    [
        ["report", "status-quo"],
        ["propose"],
        ["topology", "-s", "status-quo"],
        ["scenarios", "schema"],
        ["data", "info"],
    ],
)
@pytest.mark.parametrize("where", ["empty", "under-a-file", "root"])
def test_impossible_destinations_are_named(
    cli: Callable[..., Any], tmp_path: Path, command: list[str], where: str
) -> None:
    blocker = tmp_path / "plain.txt"
    blocker.write_text("a regular file\n")
    dest = {"empty": "", "under-a-file": str(blocker / "out"), "root": "/"}[where]
    root_before = sorted(os.listdir("/"))
    r = cli(*command, "-o", dest)
    assert r.code == 2
    line = one_line(r.err)
    assert (dest or "''") in line and ".plain" not in line and "/." not in line.replace("/./", "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.txt"]
    assert sorted(os.listdir("/")) == root_before  # no '..old.*' folder at the root


@pytest.mark.parametrize("command", [["topology", "-s", "status-quo"], ["scenarios", "schema"], ["data", "info"]])
def test_file_output_at_an_existing_folder_is_refused(
    cli: Callable[..., Any], tmp_path: Path, command: list[str]
) -> None:
    r = cli(*command, "-o", tmp_path)
    assert r.code == 2
    assert str(tmp_path) in one_line(r.err) and "folder" in r.err
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------ file outputs


def test_file_output_replaces_only_what_delimit_wrote(cli: Callable[..., Any], tmp_path: Path) -> None:
    dest = tmp_path / "schema.json"
    dest.write_text("my own notes\n")
    r = cli("scenarios", "schema", "-o", dest)
    assert r.code == 2 and "--overwrite" in one_line(r.err) and str(dest) in r.err
    assert dest.read_text() == "my own notes\n"
    r = cli("scenarios", "schema", "-o", dest, "--overwrite")
    assert r.code == 0, r.err
    assert json.loads(dest.read_text())["title"]
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert (
        manifest["files"]["schema.json"]["kind"] == "file"
        and "scenarios schema" in manifest["files"]["schema.json"]["command"]
    )
    # delimit's own file: replaced without --overwrite
    r = cli("scenarios", "schema", "-o", dest)
    assert r.code == 0, r.err
    # changed by the user since: theirs again
    dest.write_text(dest.read_text() + "\n")
    r = cli("scenarios", "schema", "-o", dest)
    assert r.code == 2 and "not written by delimit" in one_line(r.err)
    no_temporaries(tmp_path)


@pytest.mark.parametrize("command", [["scenarios", "schema"], ["data", "info"], ["data", "info", "--format", "json"]])
def test_a_failed_write_is_an_error_naming_the_destination(cli: Callable[..., Any], command: list[str]) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    r = cli(*command, "-o", "/dev/full")
    assert r.code == 1
    line = one_line(r.err)
    assert "/dev/full" in line and "wrote" not in r.err and "No space" in line
    assert Path("/dev/full").is_char_device()


@pytest.mark.slow
def test_topology_to_dev_full_fails(cli: Callable[..., Any]) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    r = cli("topology", "-s", "status-quo", "--format", "json", "-o", "/dev/full")
    assert r.code == 1 and "/dev/full" in one_line(r.err.replace("\x1b", "")) and "wrote" not in r.err


# ----------------------------------------------------------------------------------- folder outputs


def test_treaty_replaces_its_own_output_and_overwrite_keeps_user_files(
    cli: Callable[..., Any], tmp_path: Path, line_file: Path
) -> None:
    out = tmp_path / "annex"
    args = ["treaty", line_file, "--between", "KGZ", "TJK", "--no-pdf", "--format", "json", "-o", out]
    r = cli(*args)
    assert r.code == 0, r.err
    manifest = json.loads((out / MANIFEST).read_text())
    first = tree(out)
    assert set(manifest["files"]) == set(first) - {MANIFEST}
    assert manifest["format"] == "delimit-output" and "treaty" in manifest["command"]
    # a previous output of delimit is replaced (atomically) without --overwrite
    r = cli(*args, "--max-spacing", "500")
    assert r.code == 0, r.err
    assert tree(out)["pillars.csv"] != first["pillars.csv"]
    no_temporaries(tmp_path)
    # a user's file in it: refused, nothing touched
    (out / "notes.txt").write_text("mine\n")
    before = tree(out)
    r = cli(*args)
    assert r.code == 2 and "notes.txt" in one_line(r.err) and "--overwrite" in r.err
    assert tree(out) == before
    # --overwrite: delimit's files rewritten, the user's kept and never listed as delimit's
    r = cli(*args, "--overwrite")
    assert r.code == 0, r.err
    after = tree(out)
    assert after["notes.txt"] == b"mine\n"
    assert after["pillars.csv"] == first["pillars.csv"]
    assert "notes.txt" not in json.loads((out / MANIFEST).read_text())["files"]
    no_temporaries(tmp_path)
    # a file of delimit's that the user edited is theirs now
    (out / "notes.txt").unlink()
    (out / "description.txt").write_text("edited by hand\n")
    r = cli(*args)
    assert r.code == 2 and "description.txt" in one_line(r.err)
    assert (out / "description.txt").read_text() == "edited by hand\n"


@pytest.mark.slow
def test_propose_overwrite_writes_into_a_user_folder_and_keeps_its_files(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    zone = tmp_path / "zone.geojson"
    box = [[70.45, 39.80], [70.65, 39.80], [70.65, 39.95], [70.45, 39.95], [70.45, 39.80]]
    zone.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [box]}}
                ],
            }
        )
    )
    out = tmp_path / "props"
    before = user_folder(out)
    r = cli("propose", "--zone", zone, "--units", "hex:2km", "-n", "1", "--format", "json", "-o", out, "--overwrite")
    assert r.code == 0, r.err
    after = tree(out)
    assert after["notes.txt"] == before["notes.txt"] and after["index.html"] == before["index.html"]
    assert "summary.json" in after and "proposals.gpkg" in after
    listed = set(json.loads((out / MANIFEST).read_text())["files"])
    assert "notes.txt" not in listed and {"summary.json", "proposals.gpkg"} <= listed
    no_temporaries(tmp_path)
    # and a second run replaces only its own files again (the user's are still not delimit's)
    r = cli("propose", "--zone", zone, "--units", "hex:2km", "-n", "1", "--format", "json", "-o", out)
    assert r.code == 2 and "--overwrite" in one_line(r.err)


@pytest.mark.slow
def test_report_replaces_its_own_report_and_never_a_users_file(cli: Callable[..., Any], tmp_path: Path) -> None:
    # the report of the baseline alone: what is checked is whose files a second run replaces, not the comparison
    out = tmp_path / "rep"
    r = cli("report", "status-quo", "--quiet", "-o", out)
    assert r.code == 0, r.err
    assert (out / "index.html").is_file() and "index.html" in json.loads((out / MANIFEST).read_text())["files"]
    (out / "my-notes.txt").write_text("minutes of the meeting\n")
    before = tree(out)
    r = cli("report", "status-quo", "--quiet", "-o", out)
    assert r.code == 2 and "my-notes.txt" in one_line(r.err) and "--overwrite" in r.err
    assert tree(out) == before
    r = cli("report", "status-quo", "--quiet", "-o", out, "--overwrite")
    assert r.code == 0, r.err
    assert (out / "my-notes.txt").read_text() == "minutes of the meeting\n"
    assert "my-notes.txt" not in json.loads((out / MANIFEST).read_text())["files"]
    no_temporaries(tmp_path)


# ------------------------------------------------------------------------------------------- signals


def _run_until_temporary(args: list[str], folder: Path, name: str, timeout: float = 240.0) -> subprocess.Popen[bytes]:
    """Start the real CLI and return once its temporary ``.NAME.*`` exists in ``folder``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code = "import sys; from delimit.cli import main; sys.exit(main(sys.argv[1:]))"
    # a background shell starts children with SIGINT ignored; a user's terminal does not
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.name.startswith(f".{name}.") for p in folder.iterdir()):
            return proc
        if proc.poll() is not None:
            raise AssertionError(f"finished before its temporary was seen: {proc.returncode} {proc.stderr.read()!r}")  # type: ignore[union-attr]
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("no temporary folder appeared")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_leaves_no_temporary(tmp_path: Path, sig: signal.Signals) -> None:
    out = tmp_path / "rep"
    proc = _run_until_temporary(["report", "status-quo", "--quiet", "-o", str(out)], tmp_path, "rep")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=240)
    assert proc.returncode == 128 + sig, err
    assert b"Traceback" not in err
    assert list(tmp_path.iterdir()) == [], [p.name for p in tmp_path.iterdir()]
