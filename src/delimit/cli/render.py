"""Rendering for the CLI: JSON (numpy-safe, stable key order; :mod:`delimit.io.jsonfmt`), rich tables, CSV, GeoJSON; atomic -o.

Tables speak to people: human headers, yes/no, "n/a" for missing values, CRSs in words, as many
columns as fit the terminal (every column with ``--wide``), one line "title: none" for no rows.
Every data output names its sources and their licences: JSON through ``provenance`` (its
``attribution`` list), GeoJSON through top-level ``attribution``/``credits``/``provenance`` members
(:func:`with_attribution`), CSV through leading ``#`` comment lines (:func:`csv_preamble`; read with
``pandas.read_csv(path, comment="#")``).
"""

from __future__ import annotations

import csv
import io
import math
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from delimit.crs import crs_in_words, crs_words_in
from delimit.io.jsonfmt import dumps, jsonable
from delimit.io.outputs import write_file_text

__all__ = [
    "Col",
    "Format",
    "TableView",
    "attribution_line",
    "crs_in_words",
    "crs_words_in",
    "csv_preamble",
    "dumps",
    "emit_json",
    "emit_text",
    "human_header",
    "jsonable",
    "merged_credits",
    "print_marks",
    "print_table",
    "print_tables",
    "rich_table",
    "rows_to_csv",
    "short_attribution",
    "with_attribution",
]


class Format(StrEnum):
    """Output formats shared by the commands (not every command offers every one)."""

    table = "table"
    json = "json"
    geojson = "geojson"
    csv = "csv"


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


def rows_to_csv(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    *,
    provenance: Iterable[Mapping[str, Any]] | Mapping[str, Any] | None = None,
) -> str:
    """CSV text of ``rows``; with ``provenance``, led by ``#`` comment lines naming every source and licence.

    The comment lines (see :func:`csv_preamble`) come before the header row; read such a file with
    ``pandas.read_csv(path, comment="#")`` or skip lines starting with ``#``.
    """
    cols = list(columns or (rows[0].keys() if rows else []))
    buf = io.StringIO()
    if provenance is not None:
        buf.write(csv_preamble(provenance))
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: jsonable(v) for k, v in r.items()})
    return buf.getvalue()


# ---------------------------------------------------------------- attribution


def _provenances(provenance: Iterable[Mapping[str, Any]] | Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """One provenance dict or several (a list, or ``{"a": prov, "b": prov}``) as a list."""
    if isinstance(provenance, Mapping):
        if "attribution" in provenance or "scenario" in provenance:
            return [provenance]
        return [p for p in provenance.values() if isinstance(p, Mapping)]
    return [p for p in provenance if isinstance(p, Mapping)]


def merged_credits(provenance: Iterable[Mapping[str, Any]] | Mapping[str, Any]) -> list[dict[str, Any]]:
    """The credits (``provenance["attribution"]`` entries) of one or several provenances, each source once."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for prov in _provenances(provenance):
        for c in prov.get("attribution", []) or []:
            key = (str(c.get("source", "")), str(c.get("notice", "")))
            if key not in seen:
                seen[key] = dict(c)
            else:
                layers = list(seen[key].get("layers", []))
                seen[key]["layers"] = layers + [x for x in c.get("layers", []) if x not in layers]
    return list(seen.values())


def attribution_line(provenance: Iterable[Mapping[str, Any]] | Mapping[str, Any]) -> str:
    """'Data: © OpenStreetMap contributors, ODbL 1.0 (url); ...' for every source the outputs used."""
    from delimit.attribution import Credit, attribution_text

    credits = [
        Credit(
            str(c.get("source", "")), str(c.get("notice", "")), str(c.get("licence", "")), str(c.get("licence_url", ""))
        )
        for c in merged_credits(provenance)
    ]
    return attribution_text(credits)


def short_attribution(provenance: Iterable[Mapping[str, Any]] | Mapping[str, Any]) -> str:
    """One line for the terminal: 'Data: © OpenStreetMap contributors (ODbL 1.0); GeoNames (CC BY 4.0); ...'.

    Sources whose licence asks for a notice show it; the others by name and licence (delimit's own
    hand-made features are left out: the data marks name them). The JSON/GeoJSON/CSV outputs carry
    the full credits with the licences' addresses.
    """
    parts = []
    for c in merged_credits(provenance):
        if c.get("source") == "delimit":
            continue
        notice, licence = str(c.get("notice", "")), str(c.get("licence", ""))
        parts.append(f"{notice} ({licence})" if notice.startswith("©") else f"{c.get('source', '')} ({licence})")
    return "Data: " + "; ".join(parts) + "." if parts else ""


def with_attribution(
    doc: dict[str, Any], provenance: Iterable[Mapping[str, Any]] | Mapping[str, Any]
) -> dict[str, Any]:
    """``doc`` with top-level ``attribution`` (the visible text) and ``credits`` (one entry per source) members.

    Used for GeoJSON FeatureCollections (foreign members next to ``features``) and JSON documents that
    hold several provenances, so a reader finds the licence terms without walking the provenance.
    """
    return {**doc, "attribution": attribution_line(provenance), "credits": merged_credits(provenance)}


def csv_preamble(provenance: Iterable[Mapping[str, Any]] | Mapping[str, Any]) -> str:
    """``#`` comment lines for the top of a CSV output: the attribution, then each scenario and dataset."""
    lines = [f"# {attribution_line(provenance)}"]
    for prov in _provenances(provenance):
        ds = (
            f"; dataset {prov.get('dataset', '')} {prov.get('dataset_version', '')}".rstrip()
            if prov.get("dataset")
            else ""
        )
        lines.append(
            f"# scenario {prov.get('scenario', '')}{ds}; delimit {prov.get('software', {}).get('delimit', '')}"
        )
    return "".join(line.replace("\n", " ") + "\n" for line in lines)


# ---------------------------------------------------------------- words for people


#: Headers of keys that humanising alone would word badly.
HEADERS: dict[str, str] = {
    "person_hours_added": "person-hours added",
    "delta_minutes": "change (min)",
    "minutes_a": "minutes (A)",
    "minutes_b": "minutes (B)",
    "cut_off": "cut off",
    "cut_off_settlements": "settlements cut off",
    "parties_before": "before",
    "parties_after": "after",
    "population_unknown": "settlements of unknown population",
    "km": "km",
}

_UNIT_SUFFIXES = (("_km2", " (km²)"), ("_km", " (km)"), ("_m", " (m)"), ("_minutes", " (min)"))


def human_header(key: str) -> str:
    """A column header for people: ``'people_cut_off'`` -> ``'people cut off'``, ``'area_km2'`` -> ``'area (km²)'``.

    Keys that are already words (``'area km²'``) are kept.

    >>> human_header("gap_to_mainland_km"), human_header("min width m")
    ('gap to mainland (km)', 'min width m')
    """
    if key in HEADERS:
        return HEADERS[key]
    if "_" not in key:
        return key
    for suffix, unit in _UNIT_SUFFIXES:
        if key.endswith(suffix):
            return key.removesuffix(suffix).replace("_", " ") + unit
    return key.replace("_", " ")


#: What a missing value reads as in a column of this key ("n/a" elsewhere): a missing population is unknown, never 0.
MISSING_BY_KEY = {"population": "unknown"}


def cell_text(v: Any, missing: str = "n/a") -> str:
    """A table cell: yes/no for booleans, ``missing`` (n/a) for missing, thousands separators, 3 decimals at most.

    >>> cell_text(None), cell_text(float("nan"), missing="unknown"), cell_text(True), cell_text(1234.5678)
    ('n/a', 'unknown', 'yes', '1,234.568')
    """
    if v is None:
        return missing
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, float | np.floating):
        f = float(v)
        if math.isnan(f) or math.isinf(f):
            return missing
        return f"{f:,.3f}".rstrip("0").rstrip(".")
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    if isinstance(v, list | tuple | set | np.ndarray):
        return ", ".join(cell_text(x) for x in v)
    return str(v)


# ---------------------------------------------------------------- terminal tables


@dataclass(frozen=True)
class Col:
    """A table column: the row key, its header (humanised key by default) and how it gives way.

    ``optional`` columns are the first left out when the table does not fit the terminal (right to
    left); ``--wide`` shows them all. ``text`` columns hold free text (names, lists) and wrap at words.
    """

    key: str
    header: str = ""
    optional: bool = False
    text: bool = False

    @property
    def head(self) -> str:
        return self.header or human_header(self.key)


ColumnSpec = str | tuple[str, str] | Col

#: Width of a rich table's frame per column (border and one space of padding each side), and the last border.
_PER_COLUMN, _FRAME = 3, 1
#: Free-text cells wrap at words; their longest word counts up to this many characters.
_TEXT_WORD_CAP = 18
#: Width (characters) a free-text column is given, if it needs it, before optional columns are shown.
_TEXT_COMFORT = 24


def _need(keep: list[int], mins: list[int]) -> int:
    """Characters a table needs with columns ``keep`` at widths ``mins`` (frame included)."""
    return sum(mins[j] for j in keep) + _PER_COLUMN * len(keep) + _FRAME


def _col(spec: ColumnSpec) -> Col:
    if isinstance(spec, Col):
        return spec
    if isinstance(spec, tuple):
        return Col(spec[0], spec[1])
    return Col(spec)


@dataclass
class TableView:
    """Rows and columns that fit themselves to the width they are printed at (a rich renderable).

    Columns that do not fit are left out (optional ones first) and named in the caption; with
    ``wide`` every column is shown and nothing wraps. A table without rows prints one line
    ("title: none") instead of an empty frame.
    """

    rows: list[Mapping[str, Any]]
    columns: list[Col]
    title: str | None = None
    caption: str | None = None
    empty: str = "none"
    wide: bool = False

    def cells(self) -> list[list[str]]:
        missing = [MISSING_BY_KEY.get(c.key, "n/a") for c in self.columns]
        return [[cell_text(r.get(c.key), m) for c, m in zip(self.columns, missing, strict=True)] for r in self.rows]

    def _widths(self, cells: list[list[str]]) -> tuple[list[int], list[int]]:
        """(natural, minimum) width of each column: the longest cell, and the longest word."""
        natural, minimum = [], []
        for j, c in enumerate(self.columns):
            texts = [row[j] for row in cells]
            natural.append(max([len(c.head), *(len(t) for t in texts)]))
            words = [len(w) for t in texts for w in t.split()] or [0]
            longest = min(max(words), _TEXT_WORD_CAP) if c.text else max(words)
            minimum.append(max(max(len(w) for w in c.head.split()), longest))
        return natural, minimum

    def shown(self, width: int | None) -> tuple[list[int], list[int], list[int]]:
        """Indices of the columns shown at ``width`` (None: all), with their natural and minimum widths.

        Optional columns give way (right to left) first so that every column fits on whole words and
        free-text columns get a readable width (:data:`_TEXT_COMFORT`); if that cannot be had, only
        whole words are required; the last columns go only when even that does not fit.
        """
        natural, minimum = self._widths(self.cells())
        keep = list(range(len(self.columns)))
        if self.wide or width is None:
            return keep, natural, minimum
        comfort = [
            max(m, min(n, _TEXT_COMFORT)) if c.text else m
            for c, n, m in zip(self.columns, natural, minimum, strict=True)
        ]
        for mins in (comfort, minimum):
            keep = list(range(len(self.columns)))
            for j in reversed([j for j in keep if self.columns[j].optional]):
                if _need(keep, mins) <= width:
                    break
                keep.remove(j)
            if _need(keep, mins) <= width:
                return keep, natural, mins
        while _need(keep, minimum) > width and len(keep) > 2:
            keep.pop()
        return keep, natural, minimum

    def render(self, width: int | None) -> RenderableType:
        """A rich Table fitted to ``width`` characters (None or ``wide``: every column, unwrapped)."""
        if not self.rows:
            return Text(f"{self.title or 'table'}: {self.empty}" + (f" ({self.caption})" if self.caption else ""))
        keep, natural, minimum = self.shown(width)
        hidden = [self.columns[j].head for j in range(len(self.columns)) if j not in keep]
        caption = self.caption or ""
        if hidden:
            caption = (
                caption + "; " if caption else ""
            ) + f"not shown at this width: {', '.join(hidden)} (--wide shows every column)"
        t = Table(title=self.title, caption=caption or None, show_lines=False, caption_justify="left")
        cells = self.cells()
        fixed = self.wide or width is None
        widths = [natural[j] for j in keep] if fixed else self._share(keep, natural, minimum, width or 0)
        for j, w in zip(keep, widths, strict=True):
            c = self.columns[j]
            numeric = all(_numeric(row[j]) for row in cells)
            t.add_column(c.head, width=w, no_wrap=fixed, overflow="fold", justify="right" if numeric else "left")
        for row in cells:
            t.add_row(*(row[j] for j in keep))
        return t

    def _share(self, keep: list[int], natural: list[int], minimum: list[int], width: int) -> list[int]:
        """Widths of the kept columns within ``width``: each its minimum (longest word), then the room
        left given to the short columns first (so numbers and headers stay on one line), then to text."""
        w = {j: minimum[j] for j in keep}
        room = width - sum(w.values()) - _PER_COLUMN * len(keep) - _FRAME
        for text_pass in (False, True):
            for j in keep:
                if self.columns[j].text == text_pass and room > 0:
                    add = min(room, natural[j] - w[j])
                    w[j] += add
                    room -= add
        return [w[j] for j in keep]

    def natural_width(self) -> int:
        natural, _ = self._widths(self.cells())
        return sum(natural) + _PER_COLUMN * len(natural) + _FRAME

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.render(None if self.wide else options.max_width)


def _numeric(text: str) -> bool:
    return text == "n/a" or bool(re.fullmatch(r"[-+]?[\d,]*\.?\d+", text))


def rich_table(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[ColumnSpec],
    *,
    title: str | None = None,
    caption: str | None = None,
    empty: str = "none",
    wide: bool = False,
) -> TableView:
    """A table of ``rows`` for the terminal: human headers, yes/no, CRSs in words, fitted to the width.

    ``columns`` are row keys, ``(key, header)`` pairs or :class:`Col`; captions naming a CRS by its
    PROJ string or EPSG code say it in words (:func:`crs_words_in`).
    """
    return TableView(
        list(rows), [_col(c) for c in columns], title, crs_words_in(caption) if caption else caption, empty, wide
    )


#: Width of tables written to a file with ``-o`` (not ``--wide``).
FILE_WIDTH = 160


def print_tables(tables: Sequence[RenderableType | str], out: Path | None = None, *, wide: bool = False) -> None:
    """Print tables (and lines of text) to stdout, or write them as plain text atomically to ``out``.

    With ``wide``, every column of every table is shown unwrapped (the terminal may then wrap lines).
    """
    for t in tables:
        if isinstance(t, TableView):
            t.wide = t.wide or wide
    buffer = io.StringIO() if out is not None else None
    if out is None and not wide:
        console = Console()
    else:
        width = max(
            [
                FILE_WIDTH if out is not None else Console().width,
                *(t.natural_width() for t in tables if isinstance(t, TableView) and t.wide),
            ]
        )
        console = Console(
            file=buffer,
            width=width,
            color_system=None if out is not None else "auto",
        )
    for t in tables:
        console.print(Text(t) if isinstance(t, str) else t)
    if out is not None and buffer is not None:  # the buffer exists exactly when there is an ``out``
        emit_text(buffer.getvalue(), out)


def print_table(table: RenderableType, out: Path | None = None, *, wide: bool = False) -> None:
    """Print one table to stdout or write it (plain text) atomically to ``out``."""
    print_tables([table], out, wide=wide)


def print_marks(marks: Mapping[str, Sequence[str]]) -> None:
    """Print the non-registry data marks (schematic, illustrative...) to stderr, on the face of the result."""
    if marks:
        text = "; ".join(f"{k}: {', '.join(v)}" for k, v in marks.items())
        Console(stderr=True).print(f"[yellow]note: built on hand-made data ({text})[/yellow]")
