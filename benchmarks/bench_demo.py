"""What the demo and a three-scenario comparison cost: CPU time and peak memory, in fresh processes.

Figures (issue 12 aims: the demo under 30 s, ``compare`` under 800 MB):

* the demo (``scripts/demo.py``: every scenario's report against the baseline): CPU seconds
  (user + system of the process, not wall time: the machine may be shared);
* ``delimit compare status-quo tj-corridor-claim neutral-road-2025 --format json``: peak resident
  memory (MiB).

Baseline measured in the same run, in a fresh process with the same interpreter: **loading the
scenarios alone** (importing delimit and loading the four built-in scenarios), the floor every
command that reads them pays. Ratios are baseline / figure (so below 1: the work on top of loading).
Usage: ``python benchmarks/bench_demo.py [--skip-demo]`` (the demo takes about half a minute of CPU).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
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


def measure(argv: list[str]) -> tuple[float, float]:
    """``(CPU seconds user + system, peak RSS MiB)`` of one fresh process running ``argv``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("DELIMIT_PROGRESS", None)
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv[:3])}... failed:\n{err[-2000:]}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0  # Linux ru_maxrss: KiB


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--skip-demo", action="store_true", help="measure only the comparison's memory")
    args = ap.parse_args(argv)
    load_cpu, load_rss = measure([sys.executable, "-c", LOAD])
    _cmp_cpu, cmp_rss = measure([sys.executable, "-c", COMPARE])
    report("compare (3 scenarios) peak RSS", cmp_rss, "MiB", "loading the scenarios alone", load_rss)
    if not args.skip_demo:
        with tempfile.TemporaryDirectory(prefix="delimit-bench-demo-") as tmp:
            demo_cpu, _demo_rss = measure([sys.executable, str(ROOT / "scripts" / "demo.py"), "--out", tmp + "/out"])
        report("demo CPU (user+sys)", demo_cpu, "s", "loading the scenarios alone", load_cpu)
        print(f"aim: demo under 30 s CPU: {'meets' if demo_cpu < 30 else 'misses'} it ({demo_cpu:.1f} s)")
    print(f"aim: compare under 800 MB: {'meets' if cmp_rss * 1.048576 < 800 else 'misses'} it ({cmp_rss:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
