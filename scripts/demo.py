"""The main job on the embedded Fergana data (what ``make demo`` runs).

Loads every bundled scenario, writes the full report into ``--out`` and prints where it is with a
short summary table. Uses only the data shipped inside the package.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from delimit.cli import main as cli_main


def run(out: Path) -> int:
    """Run the demo pipeline into ``out``; return the exit status."""
    return cli_main(["report", "--all", "-o", str(out)])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("out/fergana"))
    args = parser.parse_args()
    sys.exit(run(args.out))
