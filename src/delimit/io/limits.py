"""Limits that refuse hostile input early: file size, nesting depth, paths escaping their folder.

The limits are deliberately generous for real border data and small for attacks. They can be
raised per call or, for the CLI, with the environment variables ``DELIMIT_MAX_FILE_MB`` and
``DELIMIT_MAX_NESTING``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from delimit.errors import InputError

DEFAULT_MAX_FILE_MB = 2048.0
DEFAULT_MAX_NESTING = 64
#: Most values (scalars, lists, mappings) a YAML document may expand to, aliases counted at each use.
DEFAULT_MAX_NODES = 1_000_000


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
    """

    max_file_bytes: int = int(DEFAULT_MAX_FILE_MB * 1024 * 1024)
    max_nesting: int = DEFAULT_MAX_NESTING
    max_nodes: int = DEFAULT_MAX_NODES

    @classmethod
    def from_env(cls) -> Limits:
        """Limits from ``DELIMIT_MAX_FILE_MB`` / ``DELIMIT_MAX_NESTING``, defaults otherwise.

        Raises InputError naming the variable if its value is not a positive number.
        """
        mb = _env_number("DELIMIT_MAX_FILE_MB", DEFAULT_MAX_FILE_MB, "megabytes")
        nest = int(_env_number("DELIMIT_MAX_NESTING", DEFAULT_MAX_NESTING, "levels", integer=True))
        return cls(max_file_bytes=int(mb * 1024 * 1024), max_nesting=nest)


def _env_number(name: str, default: float, unit: str, *, integer: bool = False) -> float:
    """A positive number from the environment variable ``name`` (``default`` if unset or empty)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
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


def check_nesting(obj: Any, path: str | Path | None, limits: Limits | None = None) -> None:
    """Refuse documents nested deeper than the limit (iteratively, so no recursion error)."""
    limits = limits or Limits.from_env()
    stack: list[tuple[Any, int]] = [(obj, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limits.max_nesting:
            raise InputError(path, f"nesting deeper than {limits.max_nesting} levels")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list | tuple):
            stack.extend((v, depth + 1) for v in node)


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
        raise InputError(source, f"path {relative!r} is absolute; use a path relative to the scenario's folder", field=field)
    target = (base / rel).resolve()
    if target != base and base not in target.parents:
        raise InputError(source, f"path {relative!r} escapes the scenario's folder", field=field)
    return target
