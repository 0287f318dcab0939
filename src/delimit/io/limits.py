"""Limits that refuse hostile input early: file size, nesting depth, paths escaping their folder.

The limits are deliberately generous for real border data and small for attacks. They can be
raised per call or, for the CLI, with the environment variables ``DELIMIT_MAX_FILE_MB``,
``DELIMIT_MAX_NESTING``, ``DELIMIT_MAX_INT_DIGITS``, ``DELIMIT_MAX_STRING_CHARS`` and
``DELIMIT_MAX_RASTER_CELLS`` (see :data:`ENV_VARS`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from delimit.errors import InputError

DEFAULT_MAX_FILE_MB = 2048.0
DEFAULT_MAX_NESTING = 64
#: Most values (scalars, lists, mappings) a YAML document may expand to, aliases counted at each use.
DEFAULT_MAX_NODES = 1_000_000
#: Most decimal digits of one integer in a YAML/TOML/JSON document. A 64-bit id has 20 digits;
#: Python itself refuses more than 4,300 (``sys.get_int_max_str_digits``) with a confusing error.
DEFAULT_MAX_INT_DIGITS = 100
#: Longest string in a YAML/TOML/JSON document (characters). GDAL's GeoJSON reader fails near
#: 10,000,000 characters with "Too many characters in number"; delimit refuses earlier, by name.
DEFAULT_MAX_STRING_CHARS = 1_000_000
#: Most cells (width x height) of a raster read into memory: 100 million int16 cells are 200 MB,
#: as float64 (what the engines compute in) 800 MB.
DEFAULT_MAX_RASTER_CELLS = 100_000_000

#: Environment variable -> the :class:`Limits` attribute it sets (documented in the README, "Limits").
ENV_VARS: dict[str, str] = {
    "DELIMIT_MAX_FILE_MB": "max_file_bytes",
    "DELIMIT_MAX_NESTING": "max_nesting",
    "DELIMIT_MAX_INT_DIGITS": "max_int_digits",
    "DELIMIT_MAX_STRING_CHARS": "max_string_chars",
    "DELIMIT_MAX_RASTER_CELLS": "max_raster_cells",
}


@dataclass(frozen=True)
class Limits:
    """Input limits.

    Attributes
    ----------
    max_file_bytes:
        Largest input file accepted, in bytes.
    max_nesting:
        Deepest nesting of mappings/lists accepted in YAML/TOML/JSON documents (GeoJSON coordinates
        count too).
    max_nodes:
        Most values a YAML document may expand to once its aliases are resolved (refuses "billion
        laughs" documents that are small on disk and enormous in memory).
    max_int_digits:
        Most decimal digits of an integer in a structured document.
    max_string_chars:
        Longest string (characters) in a structured document.
    max_raster_cells:
        Most raster cells (width x height of the part read) held in memory, checked against the
        raster's declared size before any pixel is read.
    """

    max_file_bytes: int = int(DEFAULT_MAX_FILE_MB * 1024 * 1024)
    max_nesting: int = DEFAULT_MAX_NESTING
    max_nodes: int = DEFAULT_MAX_NODES
    max_int_digits: int = DEFAULT_MAX_INT_DIGITS
    max_string_chars: int = DEFAULT_MAX_STRING_CHARS
    max_raster_cells: int = DEFAULT_MAX_RASTER_CELLS

    @classmethod
    def from_env(cls) -> Limits:
        """Limits from the environment variables of :data:`ENV_VARS`, defaults otherwise.

        Raises InputError naming the variable if its value is not a positive number.
        """
        mb = _env_number("DELIMIT_MAX_FILE_MB", DEFAULT_MAX_FILE_MB, "megabytes")
        nest = int(_env_number("DELIMIT_MAX_NESTING", DEFAULT_MAX_NESTING, "levels", integer=True))
        digits = int(_env_number("DELIMIT_MAX_INT_DIGITS", DEFAULT_MAX_INT_DIGITS, "digits", integer=True))
        if digits > _PYTHON_INT_DIGITS:
            raise InputError(
                "DELIMIT_MAX_INT_DIGITS",
                f"environment variable must be at most {_PYTHON_INT_DIGITS} digits (Python's own limit), not {digits}",
            )
        chars = int(_env_number("DELIMIT_MAX_STRING_CHARS", DEFAULT_MAX_STRING_CHARS, "characters", integer=True))
        cells = int(_env_number("DELIMIT_MAX_RASTER_CELLS", DEFAULT_MAX_RASTER_CELLS, "cells", integer=True))
        return cls(
            max_file_bytes=int(mb * 1024 * 1024),
            max_nesting=nest,
            max_int_digits=digits,
            max_string_chars=chars,
            max_raster_cells=cells,
        )


#: Python's limit on decimal digits converted to an int (its default; 0 would mean unlimited).
_PYTHON_INT_DIGITS = 4300


def _env_number(name: str, default: float, unit: str, *, integer: bool = False) -> float:
    """A positive number from the environment variable ``name`` (``default`` if unset or empty)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = (int(raw) if len(raw) <= 30 else math.nan) if integer else float(raw)
    except (ValueError, OverflowError):
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        kind = "a positive whole number" if integer else "a positive number"
        raise InputError(name, f"environment variable must be {kind} of {unit}, not {raw!r}")
    return value


def check_file(path: str | Path, limits: Limits | None = None) -> Path:
    """Check that ``path`` is an existing regular file within the size limit; return it as a Path."""
    limits = limits or Limits.from_env()
    p = Path(path)
    if not p.exists():
        raise InputError(p, "file not found")
    if p.is_dir():
        # Shapefile folders and similar are checked file by file by their readers.
        return p
    if not p.is_file():
        raise InputError(p, "not a regular file")
    size = p.stat().st_size
    if size > limits.max_file_bytes:
        raise InputError(
            p,
            f"file is {size / 1048576:.1f} MB, over the {limits.max_file_bytes / 1048576:.1f} MB limit "
            "(raise it with DELIMIT_MAX_FILE_MB)",
        )
    return p


def raw_nesting_depth(text: str) -> int:
    """Maximum bracket nesting depth of a JSON/flow-YAML text, counted without parsing.

    Used to refuse absurdly deep documents before a parser recurses into them.
    """
    depth = best = 0
    in_str = False
    esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > best:
                best = depth
        elif ch in "]}":
            depth -= 1
    return best


def resolve_inside(base_dir: str | Path, relative: str, *, source: str | Path | None, field: str) -> Path:
    """Resolve ``relative`` against ``base_dir`` and refuse it if it escapes that folder.

    Absolute paths, ``..`` components that leave the folder, and symlinks pointing outside are all
    refused: a scenario file may only reference files beside or below it.
    """
    base = Path(base_dir).resolve()
    rel = Path(relative)
    if rel.is_absolute():
        raise InputError(
            source, f"path {relative!r} is absolute; use a path relative to the scenario's folder", field=field
        )
    target = (base / rel).resolve()
    if target != base and base not in target.parents:
        raise InputError(source, f"path {relative!r} escapes the scenario's folder", field=field)
    return target
