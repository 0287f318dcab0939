"""delimit's own fuzzer: structurally mutated inputs through the real CLI entry point, in-process.

Generated inputs (hypothesis): GeoJSON feature collections, scenario files (YAML and TOML, with the
layers they name), GeoPackages and GeoTIFFs, each mutated structurally (a node replaced by a value
of another kind, removed, wrapped, unwrapped, duplicated; special numbers; hostile YAML snippets;
flipped bytes; declared sizes far beyond the data), and random option values for ``topology``.
Each runs ``delimit.cli.main([...])`` with the case folder as working folder and must:

* exit 0 or 2, never with an uncaught exception and never with "Traceback" on stderr;
* on exit 2, print exactly one line ``delimit: error: ...``;
* write nothing (no command here is given ``-o``), whatever the exit status;
* stay within bounded memory: no call raises the process's peak resident size more than
  :data:`MAX_CALL_BYTES` above its resident size before the call (the inputs are small and
  ``DELIMIT_MAX_RASTER_CELLS`` is lowered, so the limits do the work; ``make fuzz`` also runs under a
  4 GB address-space limit, where a bigger allocation fails as an uncaught MemoryError).

Budget: a small fixed (derandomised) run in the normal suite. ``make fuzz`` runs this module in
random rounds of ``DELIMIT_FUZZ_EXAMPLES`` examples per property until its time is up (10 minutes,
under a 4 GB address-space limit), arms a watchdog that dumps the stacks and fails on a hang
(:data:`HANG_SECONDS`), and saves every failing input, and every input drawing a kind of refusal
not yet in the corpus, under ``tests/fuzz_corpus/found/`` (a folder with the files and
``case.json``). The normal suite replays that corpus and issue 19's cases (``tests/fuzz_corpus/issue19``).

Option values are fuzzed two ways: ``topology`` runs on fuzzed scenarios with numeric option values,
and every numeric option of every command gets arbitrary text, numbers and special floats
(:func:`test_fuzz_option_values`): each must be refused in one line or accepted, never crash.
"""

from __future__ import annotations

import contextlib
import faulthandler
import hashlib
import json
import math
import os
import re
import resource
import shutil
import tempfile
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio
import shapely
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rasterio.transform import Affine

CORPUS = Path(__file__).resolve().parent / "fuzz_corpus"
ISSUE_CASES = CORPUS / "issue19"
FOUND = CORPUS / "found"

#: Examples per property: ``DELIMIT_FUZZ_EXAMPLES`` (``make fuzz``) or the small default of the suite.
BIG = bool(os.environ.get("DELIMIT_FUZZ_EXAMPLES"))
EXAMPLES = int(os.environ.get("DELIMIT_FUZZ_EXAMPLES") or 0)
#: A single CLI call running longer than this under ``make fuzz`` is a hang: stacks dumped, run fails.
HANG_SECONDS = 120
#: The most memory one fuzzed call may add to the process's resident size.
MAX_CALL_BYTES = 2 * 1024**3
#: The environment every fuzzed call runs with: rasters above a million cells refused (memory bound).
FUZZ_ENV = {"DELIMIT_MAX_RASTER_CELLS": "1000000"}
#: Most inputs saved per ``make fuzz`` round as "new refusal" examples, and most kept in the corpus
#: (failures are always saved; the normal suite replays the corpus, so it stays small).
MAX_SAVED = 25
MAX_CORPUS = 30


def fuzz_settings(default: int) -> settings:
    """Hypothesis settings: ``default`` examples derandomised in the suite, the big budget for make fuzz."""
    return settings(
        max_examples=EXAMPLES or default,
        deadline=None,
        derandomize=not BIG,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


# ----------------------------------------------------------------------------- running the CLI


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative name -> bytes)."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else b"<dir>") for p in sorted(folder.rglob("*"))
    }


@contextlib.contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_cli(
    args: list[str], folder: Path, capfd: pytest.CaptureFixture[str], env: dict[str, str] | None = None
) -> Outcome:
    """``delimit ARGS`` in-process with ``folder`` as working folder (stdout/stderr captured at fd level)."""
    from delimit.cli import main

    capfd.readouterr()
    cwd = os.getcwd()
    os.chdir(folder)
    if BIG:
        faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)
    try:
        with environment({**FUZZ_ENV, **(env or {})}):
            code = main(args)
    finally:
        if BIG:
            faulthandler.cancel_dump_traceback_later()
        os.chdir(cwd)
    captured = capfd.readouterr()
    return Outcome(code, captured.out, captured.err)


def _corpus_signatures() -> set[str]:
    """Kinds of refusal already kept in ``found/`` (so repeated ``make fuzz`` rounds keep only new ones)."""
    out = set()
    for f in FOUND.glob("*/case.json") if FOUND.exists() else []:
        with contextlib.suppress(ValueError, KeyError):
            out.add(json.loads(f.read_text(encoding="utf-8"))["signature"])
    return out


_seen: set[str] = _corpus_signatures() if BIG else set()
_saved = 0


def _signature(args: list[str], err: str) -> str:
    """A refusal's kind: its reason without the file, feature and field it names, with numbers and
    quoted values blurred (so the corpus keeps one input per kind of refusal, whatever the command)."""
    msg = err.strip().removeprefix("delimit: error: ")
    msg = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", msg)
    msg = re.sub(r"^(.*?: )?(feature [^:]*: )?(field '…': )?", "", msg)
    msg = re.sub(r" \(and \d+ more problems?\)", "", msg)
    msg = re.sub(r"\S*/\S*", "PATH", msg)
    return re.sub(r"\d[\d,.]*", "N", msg)


def save_case(folder: Path, args: list[str], env: dict[str, str] | None, why: str, signature: str = "") -> Path:
    """Copy a case folder (its input files and ``case.json``) into ``tests/fuzz_corpus/found/``."""
    blob = json.dumps([args, sorted(snapshot(folder).items())], default=lambda b: hashlib.sha1(b).hexdigest()).encode()
    dest = FOUND / f"{args[0]}-{hashlib.sha1(blob).hexdigest()[:12]}"
    if not dest.exists():
        shutil.copytree(folder, dest)
        (dest / "case.json").write_text(
            json.dumps({"args": args, "env": {**FUZZ_ENV, **(env or {})}, "why": why, "signature": signature}, indent=1)
            + "\n",
            encoding="utf-8",
        )
    return dest


#: How every refusal starts: ``delimit: error:`` or, for a usage error, ``delimit COMMAND [SUB]: error:``.
ERROR_LINE = re.compile(r"delimit( [\w-]+)*: error: ")


def check_run(
    args: list[str], folder: Path, capfd: pytest.CaptureFixture[str], env: dict[str, str] | None = None
) -> Outcome:
    """Run and assert the fuzz properties; under ``make fuzz`` save failing and newly refused inputs."""
    global _saved
    before = snapshot(folder)
    resident, peak = _resident_bytes(), _peak_bytes()
    try:
        r = run_cli(args, folder, capfd, env)
        problems = []
        if r.code not in (0, 2):
            problems.append(f"exit status {r.code}")
        if "Traceback" in r.err:
            problems.append("a traceback on stderr")
        if r.code == 2 and not (ERROR_LINE.match(r.err) and r.err.count("\n") == 1 and r.err.endswith("\n")):
            problems.append(f"not one error line: {r.err[:500]!r}")
        if snapshot(folder) != before:
            problems.append("files were written")
        new_peak = _peak_bytes()
        if new_peak > peak and new_peak - resident > MAX_CALL_BYTES:
            problems.append(f"the call took {(new_peak - resident) / 1024**3:.1f} GiB of memory")
    except BaseException as exc:  # an uncaught exception is the finding itself
        if isinstance(exc, KeyboardInterrupt):
            raise
        where = _save_failure(folder, args, env, f"uncaught {type(exc).__name__}", traceback.format_exc())
        pytest.fail(f"delimit {' '.join(args)} raised (input kept at {where}):\n{traceback.format_exc()}")
    if problems:
        where = _save_failure(folder, args, env, "; ".join(problems), r.err)
        pytest.fail(f"delimit {' '.join(args)}: {'; '.join(problems)} (input kept at {where})\nstderr: {r.err[:2000]}")
    if BIG and r.code == 2 and _saved < MAX_SAVED and len(_seen) < MAX_CORPUS:
        sig = _signature(args, r.err)
        if sig not in _seen:
            _seen.add(sig)
            save_case(folder, args, env, f"new refusal: {r.err.strip()[:300]}", sig)
            _saved += 1
    return r


def _peak_bytes() -> int:
    """Peak resident size of this process so far (bytes; Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _resident_bytes() -> int:
    """Current resident size of this process (bytes), from /proc/self/statm."""
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


_failures: set[str] = set()


def _save_failure(folder: Path, args: list[str], env: dict[str, str] | None, why: str, detail: str) -> Path:
    """Under ``make fuzz``, keep a failing input: the first of each kind in a round (hypothesis
    shrinks a failure through many variants; the smallest is printed in the failure report)."""
    kind = why + " " + re.sub(r"\d+", "N", (detail.strip().splitlines() or [""])[-1][:200])
    if not BIG or kind in _failures:
        return folder
    _failures.add(kind)
    return save_case(folder, args, env, why)


@contextlib.contextmanager
def case_folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="delimit-fuzz-") as d:
        yield Path(d)


# ----------------------------------------------------------------------------- mutations of documents

HUGE_INT = "__HUGE_INT__"
#: Numbers chosen to hit edges: ranges, float limits, integers past float and past Python's str limit.
SPECIAL_NUMBERS = [
    0,
    -0.0,
    1,
    -1,
    180.0,
    180.0000001,
    -180.0000001,
    90.0000001,
    1e308,
    -1e308,
    5e-324,
    2**63,
    -(2**63) - 1,
    10**30,
    math.nan,
    math.inf,
    -math.inf,
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(SPECIAL_NUMBERS),
    st.just(HUGE_INT),
    st.text(max_size=12),
)
json_values = st.recursive(
    scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c, max_size=3), max_leaves=10
)


def _paths(doc: Any, limit: int = 400) -> list[tuple[Any, ...]]:
    """Paths (key/index tuples) of every node of a JSON-like document, root first."""
    out: list[tuple[Any, ...]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(doc, ())]
    while stack and len(out) < limit:
        node, path = stack.pop()
        out.append(path)
        if isinstance(node, dict):
            stack.extend((v, (*path, k)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(node))
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for k in path:
        doc = doc[k]
    return doc


OPERATIONS = ("replace", "delete", "wrap", "unwrap", "duplicate", "number")


@st.composite
def mutated(draw: st.DrawFn, base: Any, max_mutations: int = 3) -> Any:
    """``base`` (a JSON-like document) after 1..max_mutations structural mutations."""
    doc = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, max_mutations))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(OPERATIONS))
        node = _get(doc, path)
        if op == "replace":
            new = draw(json_values)
        elif op == "wrap":
            new = [node]
        elif op == "unwrap":
            new = (
                node[0]
                if isinstance(node, list) and node
                else (next(iter(node.values())) if isinstance(node, dict) and node else None)
            )
        elif op == "duplicate" and isinstance(node, list):
            new = node + node[-1:] if node else [None]
        elif op == "number":
            new = draw(st.sampled_from(SPECIAL_NUMBERS))
        else:  # delete (or duplicate of a non-list: delete too)
            if not path:
                continue
            parent = _get(doc, path[:-1])
            del parent[path[-1]]
            continue
        if not path:
            doc = new
        else:
            _get(doc, path[:-1])[path[-1]] = new
    return doc


def json_text(doc: Any, digits: int) -> str:
    """JSON text of a mutated document; NaN/Infinity literals kept, HUGE_INT as a ``digits``-digit integer."""
    return json.dumps(doc, allow_nan=True).replace(json.dumps(HUGE_INT), "9" * digits)


# ----------------------------------------------------------------------------- base inputs

BOX_KG = [[70.0, 39.8], [70.5, 39.8], [70.5, 40.2], [70.0, 40.2], [70.0, 39.8]]
BOX_TJ = [[70.5, 39.8], [71.0, 39.8], [71.0, 40.2], [70.5, 40.2], [70.5, 39.8]]


def _feature(geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


TERRITORY = _collection(
    _feature(
        {"type": "Polygon", "coordinates": [BOX_KG]},
        part_id="kg-1",
        party="KGZ",
        name="",
        status="de-facto",
        source="fuzz",
    ),
    _feature(
        {"type": "MultiPolygon", "coordinates": [[BOX_TJ]]},
        part_id="tj-1",
        party="TJK",
        name="",
        status="de-facto",
        source="fuzz",
    ),
)
CROSSINGS = _collection(
    _feature(
        {"type": "Point", "coordinates": [70.5, 40.0]},
        crossing_id="x-1",
        name="X",
        parties="KGZ-TJK",
        status="schematic",
        source="fuzz",
    )
)
ROADS = _collection(
    _feature(
        {"type": "LineString", "coordinates": [[70.2, 40.0], [70.8, 40.0]]},
        road_id="r-1",
        name="R",
        road_class="primary",
        status="schematic",
        source="fuzz",
    )
)
SETTLEMENTS = _collection(
    _feature(
        {"type": "Point", "coordinates": [70.25, 40.0]},
        settlement_id="s-1",
        name="A",
        country_code="KG",
        population=1200,
        role="village",
        status="cited",
        source="fuzz",
    ),
    _feature(
        {"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [70.75, 40.0]}]},
        settlement_id="s-2",
        name="B",
        population=None,
    ),
)
LAYER_FILES = {"territory": TERRITORY, "crossings": CROSSINGS, "roads": ROADS, "settlements": SETTLEMENTS}

SCENARIO: dict[str, Any] = {
    "schema_version": 1,
    "name": "fuzz",
    "title": "fuzzed scenario",
    "status": "illustrative",
    "layers": {
        "territory": {"path": "territory.geojson"},
        "crossings": {"path": "crossings.geojson"},
        "roads": {"path": "roads.geojson"},
    },
    "parties": [{"id": "KGZ", "name": "Kyrgyzstan"}, {"id": "TJK", "name": "Tajikistan"}],
    "traveller_classes": [{"id": "resident-kg", "party": "KGZ"}],
    "regimes": [
        {
            "id": "open",
            "default_crossing": {"open": True, "delay_minutes": 5},
            "crossings": [{"crossing": "x-1", "classes": {"resident-kg": {"open": True, "delay_minutes": 5}}}],
        }
    ],
    "default_regime": "open",
}

#: Hostile YAML lines appended to a scenario file (each found by the issue's fuzzer or its kin).
YAML_SNIPPETS = [
    "? [a, b]\n: 1",
    "{a: 1}: x",
    "x: !!int abc",
    "x: 2001-13-45",
    "x: !!timestamp nope",
    "x: &a [*a]",
    "x: " + "1" * 5000,
    "x: 0x" + "f" * 300,
    "<<: 5",
    "<<: {title: merged}",
    "x: !!binary AAAA",
    'x: "\\ud800"',
    "x: !!python/object/apply:os.system [true]",
    "x: !!map [1]",
    "x: !!bool maybe",
    "x: .inf",
    "x: [" + "[" * 80 + "]" * 80 + "]",
    "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]",
]


def toml_text(doc: Any) -> str:
    """A TOML rendering of a JSON-like document (inline tables; None values dropped, as TOML has no null)."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return HUGE_DIGITS if v == HUGE_INT else json.dumps(v)
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v if x is not None) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{json.dumps(str(k))} = {value(x)}" for k, x in v.items() if x is not None) + "}"
        return json.dumps(str(v))

    if not isinstance(doc, dict):
        return f"value = {value(doc)}\n"
    return "".join(f"{json.dumps(str(k))} = {value(v)}\n" for k, v in doc.items() if v is not None)


HUGE_DIGITS = "9" * 5000


# ----------------------------------------------------------------------------- the fuzz properties


@fuzz_settings(25)
@given(
    doc=mutated(TERRITORY, max_mutations=3),
    layer=st.sampled_from(sorted(LAYER_FILES)),
    digits=st.sampled_from([30, 400, 5000]),
    cut=st.none() | st.integers(0, 2000),
)
def test_fuzz_geojson(capfd: pytest.CaptureFixture[str], doc: Any, layer: str, digits: int, cut: int | None) -> None:
    """A mutated GeoJSON FeatureCollection through ``validate``."""
    with case_folder() as folder:
        text = json_text(doc, digits)
        (folder / f"{layer}.geojson").write_text(text if cut is None else text[:cut], encoding="utf-8")
        check_run(["validate", f"{layer}.geojson"], folder, capfd)


def _write_layers(folder: Path, layer: str | None, layer_doc: Any) -> None:
    for name, doc in LAYER_FILES.items():
        (folder / f"{name}.geojson").write_text(json_text(layer_doc if name == layer else doc, 400), encoding="utf-8")


@fuzz_settings(12)
@given(
    doc=mutated(SCENARIO, max_mutations=2),
    fmt=st.sampled_from(["yaml", "toml"]),
    snippet=st.none() | st.sampled_from(YAML_SNIPPETS),
    layer=st.none() | st.sampled_from(sorted(LAYER_FILES)),
    layer_doc=mutated(ROADS, max_mutations=1),
    neck=st.sampled_from([1000.0, 250.0, 0.0, -5.0, math.nan, math.inf, 1e6]),
    overlap=st.sampled_from([1000.0, 0.0, -1.0, math.inf]),
    out_format=st.sampled_from(["table", "json", "geojson", "csv"]),
    party=st.none() | st.sampled_from(["KGZ", "TJK", "UZB", "kg"]),
)
def test_fuzz_scenario(
    capfd: pytest.CaptureFixture[str],
    doc: Any,
    fmt: str,
    snippet: str | None,
    layer: str | None,
    layer_doc: Any,
    neck: float,
    overlap: float,
    out_format: str,
    party: str | None,
) -> None:
    """A mutated scenario (YAML or TOML, plus one mutated layer file) through ``validate`` and
    ``topology --scenario FILE`` with fuzzed numeric options."""
    with case_folder() as folder:
        _write_layers(folder, layer, layer_doc)
        if fmt == "yaml":
            text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True).replace(f"'{HUGE_INT}'", HUGE_DIGITS)
            if snippet is not None:
                text = (text if isinstance(doc, dict) else "name: fuzz\n") + snippet + "\n"
        else:
            text = toml_text(doc)
        name = f"scenario.{fmt}"
        (folder / name).write_text(text, encoding="utf-8")
        check_run(["validate", name], folder, capfd)
        args = [
            "topology",
            "--scenario",
            name,
            "--neck-width",
            repr(neck),
            "--overlap",
            repr(overlap),
            "--format",
            out_format,
        ]
        check_run(args + (["--party", party] if party else []), folder, capfd)


GEOMETRIES = st.sampled_from(
    [
        shapely.Polygon(BOX_KG),
        shapely.MultiPolygon([shapely.Polygon(BOX_TJ)]),
        shapely.Polygon([(70.0, 39.8), (70.5, 40.2), (70.5, 39.8), (70.0, 40.2), (70.0, 39.8)]),  # bow tie
        shapely.Polygon(),
        shapely.Point(70.2, 40.0),
        shapely.Point(math.nan, 40.0),
        shapely.Point(1e300, 40.0),
        shapely.LineString([(70.2, 40.0), (70.8, 40.0)]),
        shapely.LineString([(179.5, 40.0), (-179.5, 40.0)]),
        shapely.Polygon([(179.0, 50.0), (-179.0, 50.0), (-179.0, 51.0), (179.0, 51.0)]),
        shapely.GeometryCollection([shapely.Point(70.2, 40.0), shapely.Polygon(BOX_KG)]),
        shapely.box(500000, 4400000, 510000, 4410000),  # metres: right in UTM, wrong in degrees
        None,
    ]
)
CRSS = st.sampled_from(
    ["EPSG:4326", "OGC:CRS84", "EPSG:32642", "EPSG:3857", "ESRI:54009", "+proj=ortho +lat_0=90 +lon_0=0", None]
)


@fuzz_settings(10)
@given(
    geoms=st.lists(GEOMETRIES, min_size=0, max_size=4),
    crs=CRSS,
    layer=st.sampled_from([*sorted(LAYER_FILES), "window", "x y", "üñí"]),
    drop=st.lists(st.sampled_from(["part_id", "party", "name", "status", "source", "road_id"]), max_size=2),
    ids=st.sampled_from(["unique", "duplicate", "null"]),
    flips=st.lists(st.tuples(st.integers(0, 200_000), st.integers(0, 255)), max_size=6),
)
def test_fuzz_geopackage(
    capfd: pytest.CaptureFixture[str],
    geoms: list[Any],
    crs: str | None,
    layer: str,
    drop: list[str],
    ids: str,
    flips: list[tuple[int, int]],
) -> None:
    """A GeoPackage of odd geometries, CRSs, columns and ids (then some bytes flipped) through ``validate``."""
    n = len(geoms)
    idv = [f"f-{i}" for i in range(n)] if ids == "unique" else (["same"] * n if ids == "duplicate" else [None] * n)
    cols = {
        "part_id": idv,
        "road_id": idv,
        "party": ["KGZ"] * n,
        "name": [""] * n,
        "status": ["de-facto"] * n,
        "source": ["fuzz"] * n,
    }
    for c in drop:
        cols.pop(c, None)
    with case_folder() as folder:
        path = folder / "data.gpkg"
        try:
            gdf = gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)
            pyogrio.write_dataframe(gdf, path, layer=layer, driver="GPKG", promote_to_multi=False)
        except Exception:
            assume(False)  # not writable as a GeoPackage: not an input a user could give
        if flips:
            data = bytearray(path.read_bytes())
            for offset, value in flips:
                data[offset % len(data)] = value
            path.write_bytes(bytes(data))
        check_run(["validate", "data.gpkg"], folder, capfd)


@fuzz_settings(15)
@given(
    width=st.sampled_from([1, 3, 64, 1001, 200_000]),
    height=st.sampled_from([1, 2, 64, 999, 150_000]),
    dtype=st.sampled_from(["uint8", "int16", "float32", "float64", "complex64"]),
    crs=CRSS,
    pixel=st.sampled_from([0.01, 30.0, 0.0, -0.01, 1e-12, 1e12]),
    nodata=st.sampled_from([None, 0, -32768, math.nan]),
    flips=st.lists(st.tuples(st.integers(0, 4096), st.integers(0, 255)), max_size=4),
    in_scenario=st.booleans(),
)
def test_fuzz_geotiff(
    capfd: pytest.CaptureFixture[str],
    width: int,
    height: int,
    dtype: str,
    crs: str | None,
    pixel: float,
    nodata: float | None,
    flips: list[tuple[int, int]],
    in_scenario: bool,
) -> None:
    """A GeoTIFF with declared sizes up to 30 billion cells (sparse: a few KB on disk), odd pixel
    sizes, types and CRSs, then some header bytes flipped; through ``validate`` directly or as a
    scenario's ``elevation:``."""
    with case_folder() as folder:
        path = folder / "dem.tif"
        profile = {
            "driver": "GTiff",
            "width": width,
            "height": height,
            "count": 1,
            "dtype": dtype,
            "crs": crs,
            "transform": Affine(pixel, 0, 70.0, 0, -pixel, 40.5),
            "tiled": width >= 256 and height >= 256,
            "sparse_ok": True,
            "compress": "deflate",
        }
        if (
            nodata is not None
            and not (dtype == "uint8" and nodata != 0)
            and not (np.issubdtype(np.dtype(dtype), np.integer) and math.isnan(nodata))
        ):
            profile["nodata"] = nodata
        try:
            with rasterio.open(path, "w", **profile) as ds:
                ds.write(
                    np.ones((min(height, 4), min(width, 4)), dtype), 1, window=((0, min(height, 4)), (0, min(width, 4)))
                )
        except Exception:
            assume(False)
        if flips:
            data = bytearray(path.read_bytes())
            for offset, value in flips:
                data[offset % len(data)] = value
            path.write_bytes(bytes(data))
        if in_scenario:
            _write_layers(folder, None, None)
            doc = {**SCENARIO, "elevation": {"path": "dem.tif"}}
            (folder / "scenario.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
            check_run(["validate", "scenario.yaml"], folder, capfd)
        else:
            check_run(["validate", "dem.tif"], folder, capfd)


@fuzz_settings(10)
@given(text=st.text(max_size=300), suffix=st.sampled_from([".yaml", ".toml", ".json", ".geojson"]))
def test_fuzz_structured_text(capfd: pytest.CaptureFixture[str], text: str, suffix: str) -> None:
    """Arbitrary text as a scenario or GeoJSON file (the parsers' own error paths)."""
    with case_folder() as folder:
        name = f"territory{suffix}" if "json" in suffix else f"scenario{suffix}"
        (folder / name).write_text(text, encoding="utf-8", errors="surrogatepass")
        check_run(["validate", name], folder, capfd)


# ----------------------------------------------------------------------------- replaying the corpus

ISSUE = {
    k: v
    for k, v in json.loads((ISSUE_CASES / "cases.json").read_text(encoding="utf-8")).items()
    if not k.startswith("_")
}


@pytest.mark.parametrize("name", sorted(ISSUE))
def test_issue_case_is_refused(capfd: pytest.CaptureFixture[str], tmp_path: Path, name: str) -> None:
    """Every hostile input of issue 19: exit 2, one line naming what it must, nothing written."""
    case = ISSUE[name]
    folder = tmp_path / "case"
    shutil.copytree(ISSUE_CASES, folder)
    before = snapshot(folder)
    r = run_cli(case["args"], folder, capfd, case.get("env"))
    assert r.code == 2, (r.code, r.out[-500:], r.err[-2000:])
    assert ERROR_LINE.match(r.err) and r.err.count("\n") == 1 and r.err.endswith("\n"), f"not one line: {r.err!r}"
    for fragment in case["expect"]:
        assert fragment in r.err, f"{fragment!r} not in {r.err!r}"
    assert snapshot(folder) == before, "something was written"


FOUND_CASES = sorted(p for p in FOUND.glob("*/case.json")) if FOUND.exists() else []


@pytest.mark.parametrize("case_file", FOUND_CASES, ids=lambda p: p.parent.name)
def test_found_case_replays(capfd: pytest.CaptureFixture[str], tmp_path: Path, case_file: Path) -> None:
    """Inputs ``make fuzz`` kept: each must now meet the fuzz properties (exit 0 or 2, one line, nothing written)."""
    case = json.loads(case_file.read_text(encoding="utf-8"))
    folder = tmp_path / "case"
    shutil.copytree(case_file.parent, folder, ignore=shutil.ignore_patterns("case.json"))
    check_run(case["args"], folder, capfd, case.get("env"))


def test_fuzz_helpers_render_and_see_writes() -> None:
    """The harness itself: TOML renders parse back, huge integers are rendered, snapshots see writes,
    and refusals differing only in paths, values and numbers share one signature."""
    import tomllib

    assert tomllib.loads(toml_text(SCENARIO)) == SCENARIO
    assert json_text({"a": [HUGE_INT, math.nan]}, 7) == '{"a": [9999999, NaN]}'
    with case_folder() as folder:
        before = snapshot(folder)
        (folder / "x").write_text("1")
        assert snapshot(folder) != before
    assert _signature(["validate"], "delimit: error: /tmp/a.geojson: feature 3: bad 'x' 12") == _signature(
        ["validate"], "delimit: error: /tmp/b.geojson: feature 7: bad 'y' 9"
    )


#: Every numeric option of every command that takes one (command words, option).
NUMERIC_OPTIONS = [
    (["topology"], "--neck-width"),
    (["topology"], "--overlap"),
    (["topology"], "--accuracy"),
    (["chokepoints"], "--top"),
    (["access"], "--cell-m"),
    (["propose"], "--balance"),
    (["propose"], "--seed"),
    (["propose"], "-n"),
    (["treaty"], "--max-spacing"),
    (["treaty"], "--refraction-k"),
    (["report"], "--neck-width"),
]


@fuzz_settings(40)
@given(
    target=st.sampled_from(NUMERIC_OPTIONS),
    value=st.one_of(
        st.text(max_size=12),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers().map(str),
        st.sampled_from(["1e308", "-1", "0", "1e-300", "nan", "inf", "-inf", "", "1_000", "0x10", "10 m"]),
    ),
)
def test_fuzz_option_values(capfd: pytest.CaptureFixture[str], target: tuple[list[str], str], value: str) -> None:
    """Any value of a numeric option is refused in one line (exit 2) or accepted; the scenario named is
    absent, so an accepted value ends in a one-line refusal of the scenario, with nothing written."""
    words, option = target
    if value.startswith("-") and not re.fullmatch(r"-[\d.eE+-]*|-inf|-nan", value):
        value = "x" + value  # a value that looks like an option would be read as one
    with case_folder() as folder:
        check_run([*words, option, value, "--scenario", "no-such-scenario.yaml"], folder, capfd)
