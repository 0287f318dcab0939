"""The main job on the embedded Fergana data (what ``make demo`` runs).

Loads every bundled scenario, writes the full report into ``--out`` (status-quo as baseline) and
prints where it is with a short summary table and the run time. Uses only the data shipped inside
the package. Progress bars are shown for each long step (set ``DELIMIT_PROGRESS=0`` to hide them
when stderr is a terminal; they show on a terminal by default).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from delimit.cli import main as cli_main
from delimit.cli.render import short_attribution

#: Columns of the printed summary: (key in comparisons.json summary rows, header, unit).
SUMMARY = (
    ("scenario", "scenario", ""),
    ("land_km2", "land moved", "km²"),
    ("balanced", "balanced", ""),
    ("settlements", "settlements", ""),
    ("population", "people", "persons"),
    ("population_unknown", "pop. unknown", "settl."),
    ("road_moved_km", "road moved", "km"),
    ("enclaves_added", "encl.+", ""),
    ("enclaves_removed", "encl.-", ""),
    ("people_cut_off", "cut off", "persons"),
    ("person_hours_added", "person-h added", "h"),
)


def _cell(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def summary_table(doc: dict[str, Any]) -> str:
    """A plain-text table of the report's summary rows (one line per scenario)."""
    heads = [h + (f" ({u})" if u else "") for _, h, u in SUMMARY]
    rows = [[_cell(r.get(k)) for k, _, _ in SUMMARY] for r in doc.get("summary", [])]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(heads)]
    line = "  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True))
    out = [line, "-" * len(line)]
    for r in rows:
        out.append("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))
    return "\n".join(out)


def run(out: Path) -> int:
    """Run the demo pipeline into ``out``; print the path and a summary; return the exit status."""
    start = time.perf_counter()
    code = cli_main(["report", "--all", "--quiet", "-o", str(out)])
    if code != 0:
        return code
    elapsed = time.perf_counter() - start
    doc = json.loads((out / "comparisons.json").read_text(encoding="utf-8"))
    index = out / "index.html"
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print()
    print(f"Report: {index.resolve()}")
    print(f"Baseline: {doc['baseline']}; {len(doc['scenarios'])} scenarios; {size / 1e6:.1f} MB; {elapsed:.0f} s")
    print(summary_table(doc))
    marks = "; ".join(f"{k}: {', '.join(v)}" for k, v in doc.get("data_marks", {}).items())
    if marks:
        print(f"Built on hand-made data ({marks}): see the banners in the report.")
    for u in doc.get("unavailable", []):
        print(u)
    print(
        "Units: land km² (equal-area CRS), road km (metric CRS), people in persons; cut off and person-hours: default regime vs the baseline's, residents by vehicle."
    )
    print(short_attribution(doc.get("provenance", {})))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("out/fergana"))
    args = parser.parse_args()
    if sys.stderr.isatty():
        os.environ.setdefault("DELIMIT_PROGRESS", "1")
    sys.exit(run(args.out))
