"""Terminal tables for people: human headers, yes/no, CRSs in words, columns that fit, no empty frames."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from delimit.cli.render import (
    Col,
    crs_in_words,
    crs_words_in,
    human_header,
    print_tables,
    rich_table,
)

LAEA = "+proj=laea +lat_0=40.1 +lon_0=70.9 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs +type=crs"


def _print(renderable, width: int) -> str:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None).print(renderable)
    return buf.getvalue()


def test_headers_are_words() -> None:
    assert human_header("people_cut_off") == "people cut off"
    assert human_header("area_km2") == "area (km²)"
    assert human_header("gap_to_mainland_km") == "gap to mainland (km)"
    assert human_header("min width m") == "min width m"  # already words


def test_booleans_missing_values_and_crs_in_a_table() -> None:
    rows = [{"party": "KGZ", "balanced": True, "cost": None}, {"party": "TJK", "balanced": False, "cost": float("nan")}]
    text = _print(rich_table(rows, ["party", "balanced", "cost"], caption=f"measured in unknown: {LAEA}"), 80)
    assert "yes" in text and "no" in text and "True" not in text and "False" not in text
    assert "n/a" in text and "nan" not in text
    assert "+proj" not in text and "Lambert azimuthal equal-area centred on 40.1°N 70.9°E" in " ".join(text.split())


@pytest.mark.parametrize(
    ("crs", "words"),
    [
        (LAEA, "Lambert azimuthal equal-area centred on 40.1°N 70.9°E (WGS 84)"),
        ("EPSG:32642", "UTM zone 42N (WGS 84, EPSG:32642)"),
        ("EPSG:4326", "WGS 84 longitude/latitude (EPSG:4326)"),
        (
            "+proj=laea +lat_0=-33.5 +lon_0=-70.25 +datum=WGS84 +units=m +type=crs",
            "Lambert azimuthal equal-area centred on 33.5°S 70.2°W (WGS 84)",
        ),
    ],
)
def test_crs_in_words(crs: str, words: str) -> None:
    assert crs_in_words(crs) == words


def test_crs_words_in_engine_captions() -> None:
    text = crs_words_in(f"areas: unknown: {LAEA}; lengths: EPSG:32642 (WGS 84 / UTM zone 42N)")
    assert (
        text
        == "areas: Lambert azimuthal equal-area centred on 40.1°N 70.9°E (WGS 84); lengths: UTM zone 42N (WGS 84, EPSG:32642)"
    )


def _rows() -> list[dict]:
    return [
        {
            "party": p,
            "part": f"{p}-{k}",
            "kind": kind,
            "area_km2": area,
            "perimeter_km": area / 7,
            "gap_to_mainland_km": 3.25,
            "population": 991345,
            "settlements": "Ak-Jol, Ak-Say, Ak-Suu, Ak-Tatyr, Kok-Tash",
        }
        for k, (p, kind, area) in enumerate(
            [("KGZ", "mainland", 55163.169), ("TJK", "enclave", 97.689), ("UZB", "exclave", 0.122)]
        )
    ]


COLUMNS = [
    Col("party"),
    Col("part", "part id", optional=True),
    Col("kind"),
    Col("area_km2"),
    Col("perimeter_km", optional=True),
    Col("gap_to_mainland_km", optional=True),
    Col("population"),
    Col("settlements", text=True),
]


def test_at_80_columns_no_word_is_cut_and_left_out_columns_are_named() -> None:
    text = _print(rich_table(_rows(), COLUMNS, title="parts"), 80)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "mainland" in text and not re.search(r"mainla\s*│", text)  # never "mainla / nd"
    for word in ("55,163.169", "Ak-Tatyr,", "Kok-Tash", "population"):
        assert word in text, word
    assert "not shown at this width" in text and "--wide" in text


def test_wide_shows_every_column_unwrapped(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    print_tables([rich_table(_rows(), COLUMNS, title="parts")], wide=True)
    text = capsys.readouterr().out
    for head in ("part id", "perimeter (km)", "gap to mainland (km)", "settlements"):
        assert head in text, head
    assert "Ak-Jol, Ak-Say, Ak-Suu, Ak-Tatyr, Kok-Tash" in text  # one line per row
    assert "not shown" not in text


def test_empty_table_says_none() -> None:
    text = _print(rich_table([], ["party", "kind"], title="necks narrower than 50 m"), 80)
    assert text.strip() == "necks narrower than 50 m: none"


@pytest.mark.slow
def test_topology_cli_at_80_columns_and_wide(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "80")
    r = cli("topology", "-s", "status-quo", "--neck-width", "50")
    assert r.code == 0, r.err
    assert max(len(line) for line in r.out.splitlines()) <= 80
    assert "mainland" in r.out and not re.search(r"mainla\s*│", r.out)
    assert "+proj" not in r.out and "unknown:" not in r.out
    assert "Lambert azimuthal equal-area centred on" in " ".join(r.out.split())
    assert "True" not in r.out and "False" not in r.out
    heads = [line for line in r.out.splitlines() if line.startswith("┃")]
    assert heads and not any("_" in h for h in heads)  # human headers
    r = cli("topology", "-s", "status-quo", "--neck-width", "50", "--wide")
    assert r.code == 0, r.err
    for head in ("surrounded by", "gap to mainland (km)", "perimeter (km)"):
        assert head in r.out, head
