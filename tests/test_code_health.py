"""Code health: no function of ``src/delimit`` is longer than :data:`MAX_LINES` lines of its own.

A function's own length runs from its ``def`` line (decorators excluded) to its last line, minus
the lines of the functions and classes nested in it (each of those is measured on its own).
Exempt: numba-jitted kernels (decorated ``njit``, ``numba.njit``, ``jit`` or ``numba.jit``: one
compiled loop is clearer whole) and Alembic migration files (``workspace/migrations/``: generated
and frozen once applied).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "delimit"

#: The developers' guide: small functions, under ~120 lines.
MAX_LINES = 120

#: Functions known to be longer, as "path relative to src/delimit:qualified name" (taken from the tree
#: on 2026-11-29). Other engineers are splitting them on their branches in parallel; the lead empties
#: this set as those branches merge. It can only shrink: an entry that is no longer long, or no longer
#: exists, fails :func:`test_known_long_only_shrinks` (remove it); a new long function fails
#: :func:`test_no_function_is_too_long`.
KNOWN_LONG: frozenset[str] = frozenset()

JIT_DECORATORS = {"njit", "jit"}


def _decorator_name(node: ast.expr) -> str:
    """'njit' for ``@njit``, ``@numba.njit`` and ``@numba.njit(cache=True)``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _is_jitted(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(_decorator_name(d) in JIT_DECORATORS for d in fn.decorator_list)


def _span(node: ast.AST) -> int:
    """Lines from the ``def``/``class`` line to the node's last line (decorators excluded)."""
    end = getattr(node, "end_lineno", None) or getattr(node, "lineno", 0)
    return int(end) - int(getattr(node, "lineno", 0)) + 1


def _nested_defs(node: ast.AST) -> Iterator[ast.AST]:
    """The functions and classes directly nested in ``node`` (not those nested in them)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield child
        else:
            yield from _nested_defs(child)


def own_length(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of ``fn`` itself: its span minus the spans (decorators included) of what is nested in it."""
    nested = 0
    for d in _nested_defs(fn):
        first = min([getattr(d, "lineno", 0), *(x.lineno for x in getattr(d, "decorator_list", []))])
        nested += int(getattr(d, "end_lineno", first)) - first + 1
    return _span(fn) - nested


def function_lengths(root: Path = SRC) -> dict[str, int]:
    """{"path:qualified.name": own length in lines} of every non-exempt function under ``root``."""
    out: dict[str, int] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("workspace/migrations/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

        def walk(node: ast.AST, prefix: str, rel: str = rel) -> None:
            for child in _nested_defs(node):
                name = f"{prefix}{getattr(child, 'name', '?')}"
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and not _is_jitted(child):
                    out[f"{rel}:{name}"] = own_length(child)
                walk(child, f"{name}.")

        walk(tree, "")
    return out


def test_own_length_excludes_nested_definitions() -> None:
    """The measure itself, on a hand-counted example: 2 own lines + a 3-line nested function."""
    src = "def outer():\n    @deco\n    def inner():\n        return 1\n    return inner\n"
    fn = ast.parse(src).body[0]
    assert isinstance(fn, ast.FunctionDef)
    assert _span(fn) == 5
    assert own_length(fn) == 2


def test_jit_decorators_are_recognised() -> None:
    src = "@numba.njit(cache=True)\ndef a(): pass\n@njit\ndef b(): pass\n@jit(nopython=True)\ndef c(): pass\n@cache\ndef d(): pass\n"
    fns = [n for n in ast.parse(src).body if isinstance(n, ast.FunctionDef)]
    assert [_is_jitted(f) for f in fns] == [True, True, True, False]


def test_no_function_is_too_long() -> None:
    lengths = function_lengths()
    too_long = {k: n for k, n in lengths.items() if n > MAX_LINES and k not in KNOWN_LONG}
    assert not too_long, f"functions over {MAX_LINES} lines (split them into named steps): " + "; ".join(
        f"src/delimit/{k}: {n} lines" for k, n in sorted(too_long.items())
    )


def test_known_long_only_shrinks() -> None:
    """An entry of :data:`KNOWN_LONG` that was split (or removed) must leave the set."""
    lengths = function_lengths()
    stale = sorted(k for k in KNOWN_LONG if lengths.get(k, 0) <= MAX_LINES)
    assert not stale, "KNOWN_LONG entries no longer over the limit (remove them): " + "; ".join(
        f"src/delimit/{k}: {lengths.get(k, 'gone')} lines" for k in stale
    )
