"""Start-up time a user feels: ``import delimit.cli`` and ``delimit --version``, each in a fresh process.

Baselines measured in the same run, in fresh processes with the same interpreter:

* ``python -c pass`` -- the interpreter's own start-up, the floor no command can beat;
* ``python -c "import geopandas"`` -- what every command paid before commands were loaded lazily
  (the CLI imported geopandas, shapely and the engines up front: 2.5 s for ``--version``, 3.1 s for
  ``import delimit.cli`` in issue 12).

The aim (issue 12) is under 0.5 s for both. Wall times are the best of ``--repeat`` runs.
Usage: ``python benchmarks/bench_cli.py [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import report

ROOT = Path(__file__).resolve().parents[1]


def wall(code: str, repeat: int) -> float:
    """Best wall time (s) of running ``python -c code`` in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    floor = wall("pass", args.repeat)
    eager = wall("import geopandas", max(1, args.repeat // 2))
    cli = wall("import delimit.cli", args.repeat)
    version = wall("import sys; from delimit.cli import main; sys.exit(main(['--version']))", args.repeat)
    report("import delimit.cli", cli, "s", "python -c 'import geopandas'", eager)
    report("delimit --version", version, "s", "python -c 'import geopandas'", eager)
    report("import delimit.cli", cli, "s", "python -c pass (interpreter start-up)", floor)
    report("delimit --version", version, "s", "python -c pass (interpreter start-up)", floor)
    print(
        f"aim: under 0.5 s; import delimit.cli {'meets' if cli < 0.5 else 'misses'} it, --version {'meets' if version < 0.5 else 'misses'} it"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
