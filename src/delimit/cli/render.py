"""Rendering for the CLI: JSON (numpy-safe, stable key order), rich tables, CSV, GeoJSON; atomic -o."""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from delimit.io.outputs import write_file_text


class Format(str, Enum):
    """Output formats shared by the commands (not every command offers every one)."""

    table = "table"
    json = "json"
    geojson = "geojson"
    csv = "csv"


def jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, shapely geometries, paths and NaN into JSON-ready values."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating | float):
        f = float(obj)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, Enum):
        return obj.value
    if hasattr(obj, "__geo_interface__"):
        return jsonable(obj.__geo_interface__)
    if hasattr(obj, "model_dump"):
        return jsonable(obj.model_dump())
    return obj


def dumps(obj: Any) -> str:
    """Pretty JSON text ending with a newline."""
    return json.dumps(jsonable(obj), indent=2, ensure_ascii=False) + "\n"


def emit_text(text: str, out: Path | None) -> None:
    """Print ``text`` to stdout, or write it atomically to ``out`` (only over a file delimit wrote, see
    :mod:`delimit.io.outputs`)."""
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_file_text(out, text)
        Console(stderr=True).print(f"wrote {out}")


def emit_json(obj: Any, out: Path | None = None) -> None:
    emit_text(dumps(obj), out)


def rows_to_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    cols = list(columns or (rows[0].keys() if rows else []))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: jsonable(v) for k, v in r.items()})
    return buf.getvalue()


def rich_table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], *, title: str | None = None, caption: str | None = None) -> Table:
    """A rich Table of ``rows`` (floats to 3 significant decimals)."""
    t = Table(title=title, caption=caption, show_lines=False)
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows:
        cells = []
        for c in columns:
            v = r.get(c, "")
            if isinstance(v, float | np.floating):
                v = "" if math.isnan(float(v)) else f"{float(v):,.3f}".rstrip("0").rstrip(".")
            cells.append(str(v) if v is not None else "")
        t.add_row(*cells)
    return t


def print_table(table: Table, out: Path | None = None) -> None:
    """Print a rich table to stdout or write it (plain text) atomically to ``out``."""
    if out is None:
        Console().print(table)
        return
    console = Console(file=io.StringIO(), width=160, color_system=None)
    console.print(table)
    emit_text(console.file.getvalue(), out)  # type: ignore[attr-defined]


def print_marks(marks: Mapping[str, Sequence[str]]) -> None:
    """Print the non-registry data marks (schematic, illustrative...) to stderr, on the face of the result."""
    if marks:
        text = "; ".join(f"{k}: {', '.join(v)}" for k, v in marks.items())
        Console(stderr=True).print(f"[yellow]note: built on hand-made data ({text})[/yellow]")
