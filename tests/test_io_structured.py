"""The structured-document layer (YAML/TOML/JSON): keys, integer size, string length, depth, odd YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from delimit.errors import InputError
from delimit.io.limits import Limits
from delimit.io.structured import check_document, read_document


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("? [a, b]\n: 1\n", "not a list"),
        ("{a: 1}: x\n", "not a mapping"),
        ("a: 2001-13-45\n", "cannot read '2001-13-45' as a YAML timestamp"),
        ("a: !!int abc\n", "cannot read 'abc' as a YAML int"),
        ("a: !!bool maybe\n", "as a YAML bool"),
        ("a: !!timestamp x\n", "as a YAML timestamp"),
        ("a: !!map [1]\n", "expected a mapping, found a sequence"),
        ("<<: 5\n", "for merging"),
    ],
)
def test_yaml_oddities_are_refused_at_their_line(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(InputError) as err:
        read_document(write(tmp_path, "s.yaml", text))
    assert fragment in err.value.message and "line 1" in err.value.message


def test_yaml_merge_keys_are_read(tmp_path: Path) -> None:
    doc = read_document(write(tmp_path, "s.yaml", "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n"))
    assert doc["other"] == {"x": 1, "y": 3}


@pytest.mark.parametrize(
    ("name", "text", "field"),
    [
        ("a.json", '{"a": {"b": [1, %s]}}' % ("7" * 5000), "a.b.1"),
        ("a.json", '{"a": -%s}' % ("7" * 101), "a"),
        ("a.yaml", "a:\n  b: %s\n" % ("7" * 5000), "a.b"),
        ("a.yaml", "a: 0x%s\n" % ("f" * 200), "a"),
        ("a.toml", "[t]\nn = %s\n" % ("7" * 5000), "t.n"),
        ("a.toml", "n = %s\n" % ("7" * 150), "n"),
    ],
)
def test_huge_integers_are_refused_by_field(tmp_path: Path, name: str, text: str, field: str) -> None:
    with pytest.raises(InputError) as err:
        read_document(write(tmp_path, name, text))
    assert err.value.field == field
    assert "100-digit limit" in err.value.reason and "DELIMIT_MAX_INT_DIGITS" in err.value.reason


def test_integers_within_the_limit_are_kept(tmp_path: Path) -> None:
    big = 10**99 - 1  # 99 digits: kept exactly
    assert read_document(write(tmp_path, "a.json", f'{{"n": {big}}}'))["n"] == big
    assert read_document(write(tmp_path, "a.yaml", f"n: {-big}\n"))["n"] == -big


def test_the_integer_limit_can_be_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = write(tmp_path, "a.json", '{"n": %s}' % ("7" * 150))
    monkeypatch.setenv("DELIMIT_MAX_INT_DIGITS", "200")
    assert read_document(p)["n"] == int("7" * 150)
    monkeypatch.setenv("DELIMIT_MAX_INT_DIGITS", "5000")
    with pytest.raises(InputError, match="at most 4300"):
        read_document(p)


def test_long_strings_and_surrogates(tmp_path: Path) -> None:
    p = write(tmp_path, "a.json", '{"props": {"note": "%s"}}' % ("x" * 2000))
    with pytest.raises(InputError) as err:
        read_document(p, Limits(max_string_chars=1000))
    assert err.value.field == "props.note" and "2,000 characters" in err.value.reason
    assert read_document(p, Limits(max_string_chars=2000))["props"]["note"] == "x" * 2000
    with pytest.raises(InputError, match="surrogate") as err:
        read_document(write(tmp_path, "b.json", '{"a": ["\\ud800"]}'))
    assert err.value.field == "a.0"


def test_check_document_depth_and_keys() -> None:
    deep: list = []
    node = deep
    for _ in range(70):
        node.append([])
        node = node[0]
    with pytest.raises(InputError, match="nesting deeper than 64"):
        check_document(deep, "x", Limits())
    with pytest.raises(InputError, match="plain value"):
        check_document({("a", "b"): 1}, "x", Limits())
    check_document({"a": [1, 2.5, None, True, "é"], 3: {"b": b"x"}}, "x", Limits())
