"""Safe readers for YAML, TOML and JSON documents (scenario files, GeoJSON sidecars).

Each reader checks size, text encoding (UTF-8) and nesting depth before and after parsing, and
turns parser errors into :class:`~delimit.errors.InputError` naming the file and the line.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import yaml

from delimit.errors import InputError
from delimit.io.limits import Limits, check_file, check_nesting, raw_nesting_depth


def read_text(path: str | Path, limits: Limits | None = None) -> str:
    """Read a UTF-8 text file within the size limit."""
    p = check_file(path, limits)
    data = p.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(p, f"not UTF-8 text (byte {exc.start}, line {line})") from None
    return text.removeprefix("\ufeff")


def _check_depth(text: str, path: Path, limits: Limits) -> None:
    if raw_nesting_depth(text) > limits.max_nesting:
        raise InputError(path, f"nesting deeper than {limits.max_nesting} levels")


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (a silent overwrite is a classic scenario-file bug)."""


def _construct_mapping(loader: _SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_SafeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)  # type: ignore[arg-type]


def _load_yaml(text: str, path: Path, limits: Limits) -> Any:
    """Parse YAML safely: compose the node graph, refuse it if too deep, recursive or too large once
    aliases are expanded ("billion laughs"), and only then construct Python objects."""
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_yaml_graph(node, path, limits)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_yaml_graph(root: yaml.Node, path: Path, limits: Limits) -> None:
    """Depth and expanded size of a composed YAML graph, computed without expanding it.

    Aliases make the graph a DAG (or a cycle, which is refused): each node's expanded size and depth
    are computed once (memoised by identity), so a document of a few hundred bytes that would expand
    to billions of values is refused in microseconds.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if depth[key] > limits.max_nesting + 1:
                raise InputError(path, f"nesting deeper than {limits.max_nesting} levels")
            if size[key] > limits.max_nodes:
                raise InputError(path, f"document expands to more than {limits.max_nodes:,} values (aliases counted at every use)")
            continue
        if key in size:
            continue
        if key in on_path:
            mark = node.start_mark
            raise InputError(path, f"recursive YAML alias at line {mark.line + 1}, column {mark.column + 1}")
        on_path.add(key)
        stack.append((node, True))
        if len(on_path) > limits.max_nesting + 1:
            raise InputError(path, f"nesting deeper than {limits.max_nesting} levels")
        stack.extend((c, False) for c in children if id(c) not in size)


def read_document(path: str | Path, limits: Limits | None = None) -> Any:
    """Parse a YAML (``.yaml``/``.yml``), TOML (``.toml``) or JSON (``.json``/``.geojson``) document."""
    limits = limits or Limits.from_env()
    p = Path(path)
    text = read_text(p, limits)
    _check_depth(text, p, limits)
    suffix = p.suffix.lower()
    try:
        if suffix in (".yaml", ".yml"):
            doc = _load_yaml(text, p, limits)
        elif suffix == ".toml":
            doc = tomllib.loads(text)
        elif suffix in (".json", ".geojson"):
            doc = json.loads(text)
        else:
            raise InputError(p, f"unknown document type {suffix!r} (expected .yaml, .yml, .toml or .json)")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(p, f"malformed YAML{where}: {problem}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(p, f"malformed TOML: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(p, f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise InputError(p, f"nesting deeper than {limits.max_nesting} levels") from None
    check_nesting(doc, p, limits)
    return doc
