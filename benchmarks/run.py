"""Run every benchmark (``benchmarks/bench_*.py``) in its own process and print their figures.

Usage: ``python benchmarks/run.py [substring ...]`` (only benchmarks whose file name contains one
of the substrings). Each benchmark prints ``BENCH`` lines: a figure, its baseline from the same run,
and the ratio. A summary of all BENCH lines is printed at the end.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

#: Arguments of benchmarks that take some (the issue's figure, stated here so the summary names it).
ARGS: dict[str, list[str]] = {
    "bench_osm_build.py": ["--ways", "2000000"],  # issue 14: a 2 M-way PBF, peak memory < 2 GB
}


def main(argv: list[str]) -> int:
    here = Path(__file__).resolve().parent
    files = sorted(here.glob("bench_*.py"))
    if argv:
        files = [f for f in files if any(a in f.name for a in argv)]
    lines: list[str] = []
    status = 0
    for f in files:
        print(f"== {f.name}", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, str(f), *ARGS.get(f.name, [])], stdout=subprocess.PIPE, text=True, cwd=here.parent
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            if line.startswith("BENCH"):
                lines.append(line.rstrip())
        rc = proc.wait()
        print(f"== {f.name}: exit {rc} in {time.perf_counter() - t0:.1f} s", flush=True)
        status = status or rc
    print("\nSummary (value | baseline measured in the same run | ratio):")
    for line in lines:
        print("  " + line)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
