"""What the demo and a three-scenario comparison cost: CPU time and peak memory, in fresh processes.

Figures (issue 12 aims: the demo under 30 s, ``compare`` under 800 MB):

* the demo (``scripts/demo.py``: every scenario's report against the baseline): CPU seconds
  (user + system of the child process, from ``wait4``'s resource usage: the figure the aim is
  judged on, as the machine may be shared) and wall seconds; the fastest of ``--runs`` runs;
* ``delimit compare status-quo tj-corridor-claim neutral-road-2025 --format json``: peak resident
  memory (MiB).

Baseline measured in the same run, in a fresh process with the same interpreter: **loading the
scenarios alone** (importing delimit and loading the four built-in scenarios), the floor every
command that reads them pays (CPU and wall, fastest of ``--runs``). Ratios are baseline / figure (so
below 1: the work on top of loading); on a loaded machine compare ratios, not seconds.
With ``--access`` it also prints the whole embedded default of the access engine (every settlement x
target x regime x class of the status quo, off-road travel included; :mod:`bench_access`'s ``default``).
Usage: ``python benchmarks/bench_demo.py [--skip-demo] [--runs N] [--access]`` (the demo takes about
half a minute of CPU per run).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import report

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("status-quo", "border-closed-2022", "neutral-road-2025", "tj-corridor-claim")
LOAD = "from delimit import load_scenario\n" + "".join(f"load_scenario({s!r})\n" for s in SCENARIOS)
COMPARE = (
    "import sys; from delimit.cli import main; "
    "sys.exit(main(['compare', 'status-quo', 'tj-corridor-claim', 'neutral-road-2025', '--format', 'json']))"
)


def measure(argv: list[str]) -> tuple[float, float, float]:
    """``(CPU seconds user + system, wall seconds, peak RSS MiB)`` of one fresh process running ``argv``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("DELIMIT_PROGRESS", None)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv[:3])}... failed:\n{err[-2000:]}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024.0  # Linux ru_maxrss: KiB


def fastest(argv: list[str], runs: int) -> tuple[float, float, float]:
    """The least CPU seconds, least wall seconds and largest peak RSS (MiB) of ``runs`` runs of ``argv``."""
    got = [measure(argv) for _ in range(max(1, runs))]
    return min(g[0] for g in got), min(g[1] for g in got), max(g[2] for g in got)


def demo_argv(out: str) -> list[str]:
    return [sys.executable, str(ROOT / "scripts" / "demo.py"), "--out", out]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--skip-demo", action="store_true", help="measure only the comparison's memory")
    ap.add_argument("--runs", type=int, default=1, help="runs of the baseline and of the demo (the fastest counts)")
    ap.add_argument(
        "--access",
        action="store_true",
        help="also the whole embedded default of the access engine (bench_access.py default: issue 14's < 10 s)",
    )
    args = ap.parse_args(argv)
    base = "loading the scenarios alone"
    load_cpu, load_wall, load_rss = fastest([sys.executable, "-c", LOAD], args.runs)
    _cmp_cpu, _cmp_wall, cmp_rss = measure([sys.executable, "-c", COMPARE])
    report("compare (3 scenarios) peak RSS", cmp_rss, "MiB", base, load_rss)
    if not args.skip_demo:
        with tempfile.TemporaryDirectory(prefix="delimit-bench-demo-") as tmp:
            outs = [f"{tmp}/out{k}" for k in range(max(1, args.runs))]
            got = [measure(demo_argv(o)) for o in outs]
        demo_cpu, demo_wall = min(g[0] for g in got), min(g[1] for g in got)
        report("demo CPU (user+sys)", demo_cpu, "s", base, load_cpu)
        report("demo wall", demo_wall, "s", base, load_wall)
        runs = ", ".join(f"{c:.1f} s CPU / {w:.1f} s wall" for c, w, _ in got)
        print(f"demo runs: {runs}")
        print(f"aim: demo under 30 s CPU: {'meets' if demo_cpu < 30 else 'misses'} it ({demo_cpu:.1f} s)")
    print(f"aim: compare under 800 MB: {'meets' if cmp_rss * 1.048576 < 800 else 'misses'} it ({cmp_rss:.0f} MiB)")
    if args.access:  # last, in this process: children forked after it would count its memory as theirs
        from bench_access import bench_embedded_default

        bench_embedded_default()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
