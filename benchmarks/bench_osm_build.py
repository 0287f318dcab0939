"""``delimit data build`` on a synthetic OpenStreetMap PBF (not a test): time and peak memory against pyrosm.

Goal (issue 14): a 2 M-way extract builds in one streaming pass with a peak resident memory under
2 GB; the time is printed against pyrosm's reading of the same file (``get_data_by_custom_criteria``
with ``highway`` kept: what the Helsinki test compares road kilometres with), measured in the same run.

The file is written here (OPL text converted to PBF by pyosmium) into a temporary folder (removed afterwards, never committed):
a grid of untagged nodes, 5 nodes per way, ways chained along the grid's rows so that they share
their end nodes (junctions); road classes cycle through primary, secondary, tertiary, residential and
track, every tenth way is a ``waterway=stream`` instead, and every 1,000th way's first node is a
``place=village`` with a population. Everything lies inside the build window (the worst case for
memory: every way is kept and written).

Each build and each pyrosm reading runs in its own process; its peak resident memory is the
``ru_maxrss`` of that process alone (``os.wait4``). With several ``--ways`` sizes the peaks show
whether memory stays bounded as the file grows (streaming) or grows with it.

Usage: ``PYTHONPATH=src python benchmarks/bench_osm_build.py [--ways 2000000[,...]] [--no-pyrosm]``
(``benchmarks/run.py`` runs it at the default 2 M ways).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report

REPO = Path(__file__).resolve().parents[1]
WAYS_PER_ROW = 1000
NODES_PER_WAY = 5
STEP_DEG = 0.0005  # grid spacing (about 40-55 m)
LON0, LAT0 = 60.0, 35.0
CLASSES = ("primary", "secondary", "tertiary", "residential", "track")
GOAL_MB = 2048.0
#: Address-space limit of the pyrosm baseline's process (it reads the whole file into memory).
PYROSM_AS_LIMIT = 6 << 30


def grid_shape(ways: int) -> tuple[int, int]:
    """(rows, columns of nodes) of the grid holding ``ways`` ways."""
    rows = -(-ways // WAYS_PER_ROW)
    return rows, WAYS_PER_ROW * (NODES_PER_WAY - 1) + 1


def window_for(ways: int) -> str:
    rows, cols = grid_shape(ways)
    return f"{LON0 - 0.01},{LAT0 - 0.01},{LON0 + cols * STEP_DEG + 0.01},{LAT0 + rows * STEP_DEG + 0.01}"


def write_pbf(path: Path, ways: int) -> None:
    """Write the synthetic extract: OPL text row by row, converted to PBF by libosmium (pyosmium's writer).

    Nodes first, then ways, ids ascending, as PBF readers expect. Tag values hold no spaces or
    commas (OPL would need them escaped).
    """
    import osmium

    rows, cols = grid_shape(ways)
    opl = path.with_suffix(".opl")
    with opl.open("w", encoding="ascii") as fh:
        for r in range(rows):
            lat = f"{LAT0 + r * STEP_DEG:.7f}"
            base = r * cols
            fh.write("".join(_node_line(base + c + 1, r, c, lat) for c in range(cols)))
        for r in range(rows):
            fh.write("".join(_way_line(i, r, cols) for i in range(r * WAYS_PER_ROW, min(ways, (r + 1) * WAYS_PER_ROW))))
    writer = osmium.SimpleWriter(str(path))
    try:
        osmium.apply(str(opl), writer)
    finally:
        writer.close()
        opl.unlink()


def _node_line(nid: int, r: int, c: int, lat: str) -> str:
    k, at = divmod(c, NODES_PER_WAY - 1)
    way_no = r * WAYS_PER_ROW + k
    tags = ""
    if at == 0 and k < WAYS_PER_ROW and way_no % 1000 == 0:
        tags = f"place=village,name=Village-{way_no},population={100 + way_no % 5000}"
    return f"n{nid} v1 x{LON0 + c * STEP_DEG:.7f} y{lat} T{tags}\n"


def _way_line(i: int, r: int, cols: int) -> str:
    k = i - r * WAYS_PER_ROW
    first = r * cols + k * (NODES_PER_WAY - 1) + 1
    tag = "waterway=stream" if i % 10 == 9 else f"highway={CLASSES[i % len(CLASSES)]}"
    nodes = ",".join(f"n{n}" for n in range(first, first + NODES_PER_WAY))
    return f"w{i + 1} v1 T{tag},name=way-{i} N{nodes}\n"


Measured = tuple[float, float, float, int, str]


def run_measured(args: list[str], env: dict[str, str], as_limit: int | None = None) -> Measured:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of that process alone, exit status,
    last stderr line. CPU time is the fairer comparison on a shared machine (wall time counts waiting)."""

    def limit() -> None:
        if as_limit:
            resource.setrlimit(resource.RLIMIT_AS, (as_limit, as_limit))

    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=err, preexec_fn=limit)
        _pid, status, usage = os.wait4(proc.pid, 0)
        dt = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        lines = err.read().decode(errors="replace").strip().splitlines()
    cpu = usage.ru_utime + usage.ru_stime
    return dt, cpu, usage.ru_maxrss / 1024.0, proc.returncode, lines[-1] if lines else ""


def delimit_build(pbf: Path, out: Path, window: str, env: dict[str, str]) -> Measured:
    code = "import sys; from delimit.cli import main; sys.exit(main(sys.argv[1:]))"
    args = [sys.executable, "-c", code, "data", "build", "--osm", str(pbf), "--window", window, "-o", str(out)]
    return run_measured(args, env)


def pyrosm_read(pbf: Path, env: dict[str, str]) -> Measured:
    code = (
        "import sys, pyrosm; gdf = pyrosm.OSM(sys.argv[1]).get_data_by_custom_criteria("
        "custom_filter={'highway': True}, filter_type='keep', keep_nodes=False, keep_relations=False); "
        "print(len(gdf))"
    )
    return run_measured([sys.executable, "-c", code, str(pbf)], env, PYROSM_AS_LIMIT)


def one_size(ways: int, tmp: Path, env: dict[str, str], with_pyrosm: bool) -> float:
    """Write, build and (optionally) read with pyrosm one size; print its figures; return the build's peak MiB."""
    pbf = tmp / f"synthetic-{ways}.osm.pbf"
    t0 = time.perf_counter()
    write_pbf(pbf, ways)
    print(
        f"{ways:,} ways: wrote {pbf.stat().st_size / 2**20:.1f} MiB PBF in {time.perf_counter() - t0:.1f} s", flush=True
    )
    t_b, cpu_b, mem_b, rc, last = delimit_build(pbf, tmp / f"built-{ways}", window_for(ways), env)
    print(
        f"  delimit data build: {t_b:.1f} s wall, {cpu_b:.1f} s CPU, peak {mem_b:.0f} MiB, exit {rc}"
        + (f" ({last})" if rc else ""),
        flush=True,
    )
    if with_pyrosm:
        t_p, cpu_p, mem_p, rcp, lastp = pyrosm_read(pbf, env)
        print(
            f"  pyrosm reading: {t_p:.1f} s wall, {cpu_p:.1f} s CPU, peak {mem_p:.0f} MiB, exit {rcp}"
            + (f" ({lastp})" if rcp else "")
        )
        if rc == 0 and rcp == 0:
            report(f"data build {ways:,} ways (wall)", t_b, "s", "pyrosm get_data_by_custom_criteria(highway)", t_p)
            report(f"data build {ways:,} ways (CPU)", cpu_b, "s", "pyrosm reading's CPU", cpu_p)
            report(f"data build {ways:,} ways peak memory", mem_b, "MiB", "pyrosm reading's peak", mem_p)
    print(f"  goal peak < {GOAL_MB:.0f} MiB: {'met' if rc == 0 and mem_b < GOAL_MB else 'NOT met'} ({mem_b:.0f} MiB)")
    pbf.unlink()
    return mem_b


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ways", default="2000000", help="Way count(s) of the synthetic file, comma-separated.")
    ap.add_argument("--no-pyrosm", action="store_true", help="Skip the pyrosm baseline.")
    opts = ap.parse_args(argv)
    sizes = [int(x) for x in opts.ways.split(",") if x.strip()]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    peaks = {}
    with tempfile.TemporaryDirectory(prefix="delimit-bench-osm-") as d:
        for n in sizes:
            peaks[n] = one_size(n, Path(d), env, not opts.no_pyrosm)
    if len(peaks) > 1:
        lo, hi = min(peaks), max(peaks)
        print(
            f"peak memory {peaks[lo]:.0f} MiB at {lo:,} ways, {peaks[hi]:.0f} MiB at {hi:,} ways: "
            f"x{peaks[hi] / peaks[lo]:.2f} for x{hi / lo:.1f} the ways"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
