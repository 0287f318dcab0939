"""The 2025 treaty's bypass roads and the corridor claim, against the published accounts (issue 13).

Published figures (independent of delimit's build; cited here, not read from its output):
- 24.kg, "Kyrgyzstan ratifies agreement with Tajikistan on use of roads" (2025,
  https://24.kg/english/323936_Kyrgyzstan_ratifies_agreement_with_Tajikistan_on_use_of_roads/): the road
  Dacha - Kapchygai (Khojai Alo - Vorukh) is used by Tajikistan, Min-Oruk - Samarkandek (Orieno - Shuriston)
  by Kyrgyzstan; both take neutral status.
- Orda.kz citing AKIpress, K. Tashiev on 27 February 2025
  (https://en.orda.kz/road-through-tort-kocho-gains-neutral-status-in-kyrgyz-tajik-border-agreement-5262):
  the Tajik road 3,400 m, the Kyrgyz road 3,300 m.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pyproj import Geod
from shapely.geometry import shape
from shapely.ops import unary_union

import delimit

GEOM = Path(delimit.__file__).parent / "data" / "fergana" / "scenarios" / "geometry"
GEOD = Geod(ellps="WGS84")

#: Published lengths, km (Orda.kz citing AKIpress, 27 February 2025; see the module docstring).
PUBLISHED_KM = {"r-bypass-tj": 3.4, "r-bypass-kg": 3.3}
#: How far the drawn line may be from the published length: 100 m, the build's stated tolerance, plus
#: the rounding of the published figures to 0.1 km.
TOLERANCE_KM = 0.1 + 0.05
#: Who uses each road (24.kg, 2025).
USER = {"r-bypass-tj": "TJK", "r-bypass-kg": "KGZ"}
#: Share of the Tajik road on Tajik status-quo land at least: the data predate the treaty and Vorukh lies
#: 5.36 km from mainland Tajikistan in them (data README), so a ~3.4 km road cannot lie wholly on it.
TJ_MIN_SHARE = 0.8


def _features(name: str) -> list[dict]:  # type: ignore[type-arg]
    return json.loads((GEOM / name).read_text(encoding="utf-8"))["features"]


@pytest.fixture(scope="module")
def land() -> dict[str, object]:
    terr = delimit.load_scenario("neutral-road-2025").territory
    return {p: unary_union(list(g.geometry)) for p, g in terr.groupby("party")}


def _length_on(line, poly) -> float:  # type: ignore[no-untyped-def]
    """Geodesic length (m) of the part of ``line`` inside ``poly``."""
    part = line.intersection(poly)
    return 0.0 if part.is_empty else GEOD.geometry_length(part)


def test_bypass_lengths_match_the_published_figures() -> None:
    feats = {f["properties"]["road_id"]: f for f in _features("bypass_roads.geojson")}
    assert set(feats) == set(PUBLISHED_KM)
    for rid, km in PUBLISHED_KM.items():
        drawn = GEOD.geometry_length(shape(feats[rid]["geometry"])) / 1000
        assert abs(drawn - km) <= TOLERANCE_KM, (rid, drawn)


def test_kyrgyz_bypass_wholly_on_kyrgyz_land(land) -> None:  # type: ignore[no-untyped-def]
    (f,) = [f for f in _features("bypass_roads.geojson") if f["properties"]["road_id"] == "r-bypass-kg"]
    line = shape(f["geometry"])
    assert land[USER["r-bypass-kg"]].buffer(1e-7).covers(line)
    assert _length_on(line, land["TJK"]) < 1.0  # metres


def test_tajik_bypass_mostly_tajik_and_its_kyrgyz_part_is_transit(land) -> None:  # type: ignore[no-untyped-def]
    (f,) = [f for f in _features("bypass_roads.geojson") if f["properties"]["road_id"] == "r-bypass-tj"]
    line = shape(f["geometry"])
    total = GEOD.geometry_length(line)
    on_tj = _length_on(line, land["TJK"])
    assert on_tj / total >= TJ_MIN_SHARE
    assert abs(on_tj + _length_on(line, land["KGZ"]) - total) < 1.0  # no third party's land, no gap
    # the part on Kyrgyz land is usable by Tajik residents in the treaty's regimes: a free transit road
    sc = delimit.load_scenario("neutral-road-2025")
    for rid in ("neutral-road", "neutral-road-closed"):
        regime = sc.regimes[rid]
        roads = {r for t in regime.transit if t.kind == "free" and "resident-tj" in t.classes for r in t.roads}
        assert "r-bypass-tj" in roads, regime.id
    # the source says why it cannot lie wholly on Tajik land
    assert "5.36 km" in f["properties"]["source"] and "Kyrgyz status-quo land" in f["properties"]["source"]


def _names_a_publication(text: str) -> bool:
    return bool(re.search(r"https?://(?!\S*delimit)\S+", text)) and any(
        w in text for w in ("24.kg", "AKIpress", "Orda.kz", "Kloop", "wikipedia", "Azattyk", "Asia-Plus")
    )


@pytest.mark.parametrize("name", ["bypass_roads.geojson", "vorukh_corridor.geojson"])
def test_every_scenario_feature_has_status_and_a_published_source(name: str) -> None:
    feats = _features(name)
    assert feats
    for f in feats:
        p = f["properties"]
        assert p["status"] in {"illustrative", "schematic"}, p
        assert _names_a_publication(p["source"]), p["source"]
        assert "cited:" in p["source"] and "Drawn by delimit" in p["source"]  # what is cited, what is drawn


def test_corridor_source_says_no_published_dimensions() -> None:
    (f,) = _features("vorukh_corridor.geojson")
    src = f["properties"]["source"]
    assert "no published account found gives the corridor's length or width" in src
    drawn_km = f["properties"]["length_km"]
    assert f"{drawn_km:.1f} km long" in src  # the drawn length is stated, not a cited ~20 km
