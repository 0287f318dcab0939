"""Safe readers for YAML, TOML and JSON documents (scenario files, GeoJSON sidecars).

Each reader checks size, text encoding (UTF-8) and nesting depth before and after parsing, and
turns parser errors into :class:`~delimit.errors.InputError` naming the file and the line. Once
parsed, :func:`check_document` is the one validation layer every document goes through: nesting
depth, mapping keys that are plain values, integers within ``max_int_digits``, strings within
``max_string_chars`` and valid Unicode; its errors name the field (``features.3.properties.name``).
"""

from __future__ import annotations

import functools
import json
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from delimit.errors import InputError
from delimit.io.limits import Limits, check_file, raw_nesting_depth


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


@dataclass(frozen=True)
class _HugeInteger:
    """Stands for an integer literal with more digits than allowed; :func:`check_document` names
    its field. Parsers would otherwise fail with Python's integer-string ValueError (no field)."""

    digits: int


_MERGE_TAG = "tag:yaml.org,2002:merge"


class _SafeLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML has no type hints here (no types-PyYAML): its classes are Any
    """SafeLoader that refuses duplicate keys (a silent overwrite is a classic scenario-file bug),
    keys that are lists or mappings, and reports unreadable values (``2001-13-45``,
    ``!!int abc``) at their line instead of raising Python errors."""

    max_int_digits: int = Limits().max_int_digits

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
            what = node.tag.rsplit(":", 1)[-1]
            shown = f" {node.value[:40]!r}" if isinstance(node, yaml.ScalarNode) else ""
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read{shown} as a YAML {what}", node.start_mark
            ) from None


def _construct_int(loader: _SafeLoader, node: yaml.ScalarNode) -> int | _HugeInteger:
    digits = sum(ch.isalnum() for ch in str(node.value)) - (2 if re.match(r"^[-+]?0[box]", str(node.value)) else 0)
    if digits > loader.max_int_digits:
        return _HugeInteger(digits)
    return int(yaml.SafeLoader.construct_yaml_int(loader, node))


def _construct_mapping(loader: _SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    if not isinstance(node, yaml.MappingNode):
        raise yaml.constructor.ConstructorError(None, None, f"expected a mapping, found a {node.id}", node.start_mark)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            kind = "list" if isinstance(key_node, yaml.SequenceNode) else "mapping"
            raise yaml.constructor.ConstructorError(
                None, None, f"a mapping key must be a plain value (text or number), not a {kind}", key_node.start_mark
            )
        if key_node.tag == _MERGE_TAG:
            continue  # '<<' merge keys are flattened (and checked) by PyYAML itself
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    mapping: dict[Any, Any] = yaml.SafeLoader.construct_mapping(loader, node, deep=deep)
    return mapping


_SafeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_SafeLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _load_yaml(text: str, path: Path, limits: Limits) -> Any:
    """Parse YAML safely: compose the node graph, refuse it if too deep, recursive or too large once
    aliases are expanded ("billion laughs"), and only then construct Python objects."""
    loader = _SafeLoader(text)
    loader.max_int_digits = limits.max_int_digits
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
                raise InputError(
                    path, f"document expands to more than {limits.max_nodes:,} values (aliases counted at every use)"
                )
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


def _json_int(literal: str, max_digits: int) -> int | _HugeInteger:
    digits = len(literal) - literal.startswith("-")
    return _HugeInteger(digits) if digits > max_digits else int(literal)


def _toml_huge_integer_field(text: str, min_digits: int) -> tuple[int, str] | None:
    """(line, dotted key) of the first TOML integer with at least ``min_digits`` digits, if any.

    tomllib converts integers with ``int()``, which refuses more than 4,300 digits with a
    ValueError that names neither line nor key; this finds them for the message.
    """
    table = ""
    number = re.compile(r"(?<![\w.\"'])[-+]?\d[\d_]{" + str(max(min_digits - 1, 0)) + ",}")
    for lineno, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?", line)
        if header:
            table = header.group(1).strip()
            continue
        if number.search(line):
            key = re.match(r"^\s*([^=]+?)\s*=", line)
            name = key.group(1).strip() if key else ""
            return lineno, ".".join(x for x in (table, name) if x)
    return None


def _parse(text: str, p: Path, suffix: str, limits: Limits) -> Any:
    """Parse ``text`` by ``suffix``, refusing integer literals over the digit limit by name."""
    if suffix in (".yaml", ".yml"):
        return _load_yaml(text, p, limits)
    if suffix == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            raise
        except ValueError as exc:  # Python's own integer-string limit, hit inside tomllib
            if "integer string conversion" not in str(exc):
                raise
            found = _toml_huge_integer_field(text, limits.max_int_digits + 1)
            line, key = found if found else (0, None)
            where = f" (line {line})" if line else ""
            raise InputError(
                p,
                f"integer over the {limits.max_int_digits}-digit limit{where} (raise it with DELIMIT_MAX_INT_DIGITS)",
                field=key,
            ) from None
    if suffix in (".json", ".geojson"):
        return json.loads(text, parse_int=functools.partial(_json_int, max_digits=limits.max_int_digits))
    raise InputError(p, f"unknown document type {suffix!r} (expected .yaml, .yml, .toml or .json)")


def read_document(path: str | Path, limits: Limits | None = None) -> Any:
    """Parse a YAML (``.yaml``/``.yml``), TOML (``.toml``) or JSON (``.json``/``.geojson``) document.

    The parsed document has passed :func:`check_document`.
    """
    limits = limits or Limits.from_env()
    p = Path(path)
    text = read_text(p, limits)
    _check_depth(text, p, limits)
    suffix = p.suffix.lower()
    try:
        doc = _parse(text, p, suffix, limits)
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
    check_document(doc, p, limits)
    return doc


def _dotted(keys: tuple[Any, ...]) -> str | None:
    return ".".join(_short(k) for k in keys) if keys else None


def _short(value: Any, width: int = 40) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= width else text[: width - 3] + "..."


def check_document(doc: Any, path: str | Path | None, limits: Limits | None = None) -> None:
    """The structured-document validation layer, run on every parsed YAML/TOML/JSON document.

    Refuses (InputError naming the field as a dotted path, e.g. ``features.0.properties.n``):
    nesting deeper than ``limits.max_nesting``; integers with more than ``limits.max_int_digits``
    digits; strings longer than ``limits.max_string_chars`` characters or holding unpaired
    surrogates (not Unicode text); mapping keys that are not plain values. Iterative (no recursion).
    """
    limits = limits or Limits.from_env()
    max_bits = math.ceil(limits.max_int_digits / math.log10(2)) + 1
    stack: list[tuple[Any, tuple[Any, ...]]] = [(doc, ())]
    while stack:
        node, keys = stack.pop()
        if len(keys) > limits.max_nesting:
            raise InputError(path, f"nesting deeper than {limits.max_nesting} levels")
        if isinstance(node, dict):
            for k, v in node.items():
                if (
                    not isinstance(k, str | int | float | bool | bytes)
                    and k is not None
                    and not hasattr(k, "isoformat")
                ):
                    raise InputError(
                        path,
                        f"a mapping key must be a plain value (text or number), not {type(k).__name__}",
                        field=_dotted(keys),
                    )
                _check_scalar(k, (*keys, k), path, limits, max_bits)
                stack.append((v, (*keys, k)))
        elif isinstance(node, list | tuple | set | frozenset):
            stack.extend((v, (*keys, i)) for i, v in enumerate(node))
        else:
            _check_scalar(node, keys, path, limits, max_bits)


def _check_scalar(value: Any, keys: tuple[Any, ...], path: str | Path | None, limits: Limits, max_bits: int) -> None:
    """One scalar of a document: integer size, string length and Unicode validity."""
    raise_it = functools.partial(InputError, path, field=_dotted(keys))
    if isinstance(value, _HugeInteger) or (
        isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > max_bits
    ):
        digits = value.digits if isinstance(value, _HugeInteger) else math.floor(value.bit_length() * math.log10(2)) + 1
        if isinstance(value, _HugeInteger) or digits > limits.max_int_digits:
            raise raise_it(
                f"integer of {digits:,} digits is over the {limits.max_int_digits}-digit limit (raise it with DELIMIT_MAX_INT_DIGITS)"
            )
    elif isinstance(value, str):
        if len(value) > limits.max_string_chars:
            raise raise_it(
                f"text of {len(value):,} characters is over the {limits.max_string_chars:,}-character limit (raise it with DELIMIT_MAX_STRING_CHARS)"
            )
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise raise_it(
                    f"text holds an unpaired UTF-16 surrogate at character {exc.start} (not Unicode text)"
                ) from None
