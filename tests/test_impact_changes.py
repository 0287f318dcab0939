"""Topology and access change logic on hand-built engine outputs with known answers."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from delimit.impact import compare_necks, compare_parts
from delimit.impact.access_change import RegimePair, access_changes, headline_classes, regime_pairs
from delimit.model.regime import Regime, TravellerClass


def _parts(rows: list[tuple[str, str, str, float, object]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "party": [r[0] for r in rows],
            "id": [r[1] for r in rows],
            "kind": [r[2] for r in rows],
            "area_km2": [r[3] for r in rows],
            "population": [0] * len(rows),
            "settlements": [""] * len(rows),
        },
        geometry=[r[4] for r in rows],
        crs="EPSG:4326",
    )


def test_enclave_added_removed_resized() -> None:
    before = _parts(
        [
            ("AAA", "a0", "mainland", 100.0, box(0, 0, 1, 1)),
            ("BBB", "b1", "enclave", 2.0, box(0.2, 0.2, 0.3, 0.3)),
            ("BBB", "b2", "enclave", 1.0, box(0.6, 0.6, 0.7, 0.7)),
        ]
    )
    after = _parts(
        [
            ("AAA", "a0", "mainland", 100.0, box(0, 0, 1, 1)),
            ("BBB", "b1", "enclave", 3.0, box(0.2, 0.2, 0.35, 0.3)),
            ("AAA", "a9", "exclave", 0.5, box(2, 2, 2.1, 2.1)),
        ]
    )
    ch = compare_parts(before, after)
    got = {(r["change"], r["id"]) for _, r in ch.iterrows()}
    assert got == {("resized", "b1"), ("added", "a9"), ("removed", "b2")}
    resized = ch[ch["change"] == "resized"].iloc[0]
    assert resized["area_before_km2"] == 2.0 and resized["area_km2"] == 3.0


def _necks(rows: list[tuple[str, float, float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "party": [r[0] for r in rows],
            "part": ["p"] * len(rows),
            "min_width_m": [r[3] for r in rows],
            "lon": [r[1] for r in rows],
            "lat": [r[2] for r in rows],
            "settlements": [""] * len(rows),
            "roads": [""] * len(rows),
        },
        geometry=[LineString([(r[1], r[2]), (r[1] + 0.001, r[2])]) for r in rows],
        crs="EPSG:4326",
    )


def test_necks_narrowed_widened_new_gone() -> None:
    before = _necks([("AAA", 70.0, 40.0, 800.0), ("AAA", 70.5, 40.0, 300.0), ("BBB", 71.0, 40.0, 500.0)])
    after = _necks([("AAA", 70.001, 40.0, 200.0), ("AAA", 70.5, 40.001, 600.0), ("BBB", 72.0, 40.0, 100.0)])
    ch = compare_necks(before, after)
    got = sorted(
        (
            r["change"],
            r["party"],
            r["width_before_m"] if pd.notna(r["width_before_m"]) else None,
            r["width_after_m"] if pd.notna(r["width_after_m"]) else None,
        )
        for _, r in ch.iterrows()
    )
    assert got == sorted(
        [
            ("narrowed", "AAA", 800.0, 200.0),
            ("widened", "AAA", 300.0, 600.0),
            ("new", "BBB", None, 100.0),
            ("gone", "BBB", 500.0, None),
        ]
    )


def _rows(mins: list[float | None], pops: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "settlement_id": [f"s{i}" for i in range(len(mins))],
            "settlement": [f"S{i}" for i in range(len(mins))],
            "party": ["AAA"] * len(mins),
            "population": pops,
            "target": ["T"] * len(mins),
            "minutes": [m if m is not None else float("nan") for m in mins],
            "reachable": [m is not None for m in mins],
            "note": [""] * len(mins),
        }
    )


def test_access_changes_use_engine_definitions() -> None:
    from delimit.access.travel import compare_rows

    base = {("open", "res"): _rows([10.0, 20.0, 30.0, None], [100, 200, 300, 50])}
    scen = {("open", "res"): _rows([40.0, None, 30.0, 15.0], [100, 200, 300, 50])}
    df = access_changes(base, scen, [RegimePair("open", "open", True)], compare_rows)
    r = df.iloc[0]
    assert r["people_cut_off"] == 200  # s1 loses its route
    assert r["people_gaining_access"] == 50  # s3 gains one
    assert r["person_hours_added"] == pytest.approx(100 * 30 / 60)  # only s0 is reachable under both and slower
    assert r["settlements_slower"] == 1 and r["settlements_faster"] == 0


class _S:
    def __init__(self, regimes: list[str], default: str, classes: list[TravellerClass] = ()) -> None:  # type: ignore[assignment]
        self.regimes = {r: Regime(id=r) for r in regimes}
        self.default_regime = default
        self.traveller_classes = {c.id: c for c in classes}


def test_regime_pairs_compare_defaults_then_same_ids() -> None:
    pairs = regime_pairs(_S(["open", "closed"], "open"), _S(["open", "closed", "neutral"], "neutral"))  # type: ignore[arg-type]
    assert pairs[0] == RegimePair("neutral", "open", True)
    assert RegimePair("closed", "closed", False) in pairs and RegimePair("open", "open", False) in pairs


def test_headline_classes_one_resident_per_party_sorted() -> None:
    classes = [
        TravellerClass(id="z-res-b", party="BBB", kind="resident"),
        TravellerClass(id="res-a", party="AAA", kind="resident"),
        TravellerClass(id="res-a-foot", party="AAA", kind="resident", mode="foot"),
        TravellerClass(id="cit-a", party="AAA", kind="citizen"),
    ]
    assert headline_classes(_S(["open"], "open", classes)) == ["res-a", "z-res-b"]  # type: ignore[arg-type]
