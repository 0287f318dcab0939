"""Small functions: no function of the command line or the proposal engine over 120 lines of its own.

A function's own lines exclude the functions and classes nested in it (a typer command registered inside
``register`` counts apart). Numba kernels (decorated ``@njit``/``@jit``) are exempt: splitting them costs
compiled calls in the inner loop. The rule is the developers' guide's (docs/architecture.md, "Small
functions"); widen ``CHECKED`` as other packages meet it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "delimit"
CHECKED = ["cli", "propose", "treaty/from_file.py", "io/jsonfmt.py", "io/validate.py", "model"]
LIMIT = 120

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def _is_kernel(node: FunctionNode) -> bool:
    for d in node.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in ("njit", "jit"):
            return True
    return False


def own_lines(node: FunctionNode) -> int:
    """Lines of ``node`` less those of the functions and classes defined inside it."""
    assert node.end_lineno is not None
    total = node.end_lineno - node.lineno + 1
    nested = 0
    stack = list(ast.iter_child_nodes(node))
    while stack:
        child = stack.pop()
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            assert child.end_lineno is not None
            nested += child.end_lineno - child.lineno + 1
        else:
            stack.extend(ast.iter_child_nodes(child))
    return total - nested


def _files() -> list[Path]:
    out: list[Path] = []
    for part in CHECKED:
        p = SRC / part
        out += sorted(p.rglob("*.py")) if p.is_dir() else [p]
    return out


def test_own_lines_counts_nested_functions_apart() -> None:
    code = "def outer():\n    x = 1\n    def inner():\n        return 2\n    return x\n"
    node = ast.parse(code).body[0]
    assert isinstance(node, ast.FunctionDef)
    assert own_lines(node) == 3  # def outer, x = 1, return x


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_function_over_the_limit(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = [
        f"{node.name} ({own_lines(node)} lines, line {node.lineno})"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not _is_kernel(node) and own_lines(node) > LIMIT
    ]
    assert not long, f"{path.relative_to(SRC)}: split into named steps: {', '.join(long)}"
