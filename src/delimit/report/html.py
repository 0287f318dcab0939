"""Render the report's HTML from the Jinja template (offline: inline CSS, local images, no URLs)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jinja2
import numpy as np
from markupsafe import Markup


@dataclass
class Table:
    """A table for the report: rows of dicts, (key, header) columns, caption with units and CRS, banner."""

    title: str
    columns: Sequence[tuple[str, str]]
    rows: Sequence[Mapping[str, Any]]
    caption: str = ""
    banner: str = ""
    empty: str = "nothing changes"


@dataclass
class Figure:
    """An image of the report (relative path), its alt text and caption (units, CRS, sources), banner."""

    src: str
    alt: str
    caption: str
    banner: str = ""


@dataclass
class Section:
    """A titled part of the report: paragraphs, notes (unavailable, warnings), tables, figures, subsections."""

    title: str
    anchor: str
    paragraphs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    banner: str = ""
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)
    tables_first: bool = False


def fmt(v: Any, digits: int = 3) -> str:
    """Human-readable cell: thousands separators, 3 decimals for floats (trailing zeros trimmed), '-' for None/NaN."""
    if v is None:
        return "-"
    if isinstance(v, list | tuple | np.ndarray):
        return ", ".join(fmt(x, digits) for x in v) or "-"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {fmt(x, digits)}" for k, x in v.items()) or "-"
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    if isinstance(v, float | np.floating):
        f = float(v)
        if math.isnan(f) or math.isinf(f):
            return "-"
        s = f"{f:,.{digits}f}"
        return s.rstrip("0").rstrip(".") if "." in s else s
    return str(v)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("delimit.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = fmt
    env.filters["css_string"] = css_string
    return env


def css_string(text: str) -> Markup:
    r"""``text`` as a quoted CSS string (for ``@page`` margin boxes): quotes, backslashes, newlines and
    ``<`` escaped, so nothing can close the string or the ``<style>`` element.

    >>> print(css_string('a "b" <c>'))
    "a \"b\" \3c c>"
    """
    out = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ")
    return Markup(f'"{out}"')


def render(context: Mapping[str, Any]) -> str:
    """The report page as HTML text."""
    return environment().get_template("report.html.j2").render(**context)
