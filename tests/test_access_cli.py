"""``delimit access``, ``delimit access compare`` and ``delimit chokepoints`` end to end (in-process)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np


def test_access_json_contract(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("access", "--scenario", "status-quo", "--regime", "open", "--class", "resident-tj", "--format", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert (doc["scenario"], doc["regime"], doc["class"], doc["targets"]) == (
        "status-quo",
        "open",
        "resident-tj",
        "regional-centre",
    )
    assert {"settlement", "party", "population", "target", "minutes", "km", "reachable"} <= set(doc["rows"][0])
    vorukh = next(x for x in doc["rows"] if x["settlement"] == "Vorukh")
    assert vorukh["reachable"] and vorukh["target"] == "Khujand" and vorukh["minutes"] > 0
    assert doc["provenance"]["scenario"] == "status-quo"
    assert "schematic" in doc["data_marks"]["roads"]
    assert "schematic" in r.err  # marks on the face of the table/json too


def test_access_blocks_and_writes_csv_geojson_and_raster(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from delimit.io.raster import read_raster

    r = cli(
        "access",
        "--class",
        "resident-kg",
        "--block",
        "sk-0832",
        "--format",
        "csv",
        "-o",
        tmp_path / "a.csv",
    )
    assert r.code == 0, r.err
    head = next(
        line for line in (tmp_path / "a.csv").read_text().splitlines() if not line.startswith("#")
    )  # '#' lines credit the data
    assert head.startswith("settlement_id,settlement,party,population,target")
    r = cli("access", "--class", "resident-kg", "--format", "csv", "-o", tmp_path / "open.csv")
    assert r.code == 0, r.err
    blocked, free = _csv_rows(tmp_path / "a.csv"), _csv_rows(tmp_path / "open.csv")
    assert set(blocked) == set(free)
    # Blocking a road only removes options: nobody gains access or gets faster ...
    for sid, row in blocked.items():
        if row["reachable"] == "True":
            assert free[sid]["reachable"] == "True", sid
            assert float(row["minutes"]) >= float(free[sid]["minutes"]) - 1e-9, sid
    # ... and Ak-Say, whose fastest way out runs over the skeleton road sk-0832 (by Chorku), must go round by
    # Samarkandyk when that road is blocked: slower, and no longer via the blocked road.
    ak_say = next(sid for sid, row in blocked.items() if row["settlement"] == "Ak-Say")
    assert "sk-0832" in free[ak_say]["via"] and "sk-0832" not in blocked[ak_say]["via"]
    assert float(blocked[ak_say]["minutes"]) > float(free[ak_say]["minutes"]) + 1.0
    assert "samarkandyk" in blocked[ak_say]["via"]
    r = cli(
        "access",
        "--class",
        "resident-kg",
        "--format",
        "geojson",
        "-o",
        tmp_path / "a.geojson",
        "--raster",
        tmp_path / "t.tif",
    )
    assert r.code == 0, r.err
    gj = json.loads((tmp_path / "a.geojson").read_text())
    assert gj["type"] == "FeatureCollection" and gj["features"][0]["geometry"]["type"] == "Point"
    ras = read_raster(tmp_path / "t.tif")
    assert ras.units == "min" and np.isfinite(ras.data).any()


def _csv_rows(path: Path) -> dict[str, dict[str, str]]:
    """{settlement_id: row} of an access CSV (the '#' lines credit the data)."""
    import csv
    import io

    text = "\n".join(ln for ln in path.read_text().splitlines() if not ln.startswith("#"))
    return {r["settlement_id"]: r for r in csv.DictReader(io.StringIO(text))}


def test_access_bad_input_exits_2_and_writes_nothing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "x.json"
    for args in (
        ("--class", "nobody"),
        ("--class", "resident-kg", "--regime", "nope"),
        ("--class", "resident-kg", "--block", "v99999"),
        ("--class", "resident-kg", "--targets", "harbour"),
    ):
        r = cli("access", *args, "--format", "json", "-o", out)
        assert r.code == 2, (args, r.err)
        assert r.err.startswith("delimit: error:") and len(r.err.strip().splitlines()) == 1
        assert not out.exists()
    r = cli("access", "--format", "json")
    assert r.code == 2 and "--class" in r.err


def test_access_compare(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli(
        "access",
        "compare",
        "--scenario",
        "status-quo",
        "--regime",
        "open",
        "--regime",
        "closed-2022",
        "--class",
        "resident-tj",
        "--format",
        "json",
    )
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["totals"]["people_cut_off"] > 0
    assert "person_hours_added" in doc["totals"] and "person_hours_added" in doc["definitions"]
    assert any(x["settlement"] == "Vorukh" and x["cut_off"] for x in doc["rows"])
    r = cli("access", "compare", "--regime", "open", "--class", "resident-tj")
    assert r.code == 2


def test_chokepoints_json_contract(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("chokepoints", "--scenario", "status-quo", "--regime", "open", "--top", "5", "--format", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert 0 < len(doc["rows"]) <= 5
    row = doc["rows"][0]
    assert {"kind", "id", "location", "people_cut_off", "person_hours_added"} <= set(row)
    assert row["kind"] in ("junction", "road", "crossing") and len(row["location"]) == 2
    assert doc["provenance"]["scenario"] == "status-quo" and "schematic" in doc["data_marks"]["roads"]
    r = cli("chokepoints", "--class", "resident-kg-foot")
    assert r.code == 2
    r = cli("chokepoints", "--top", "3", "--format", "json")
    assert r.code == 0, r.err
    top3 = json.loads(r.out)["rows"]
    assert len(top3) == 3
    r = cli("chokepoints", "--top", "3")
    assert r.code == 0, r.err
    assert "chokepoints: status-quo / open" in r.out
    # the first line of each table row starts with its rank (long names wrap onto further lines)
    ranked = [ln for ln in r.out.splitlines() if re.match(r"^│ \d+ +│", ln)]
    assert [int(ln.split("│")[1]) for ln in ranked] == [1, 2, 3], r.out
    for row, line in zip(top3, ranked, strict=True):
        assert f"{row['people_cut_off']:,}" in line


def test_access_user_target_layer(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    layer = tmp_path / "market.geojson"
    layer.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "Isfara market"},
                        "geometry": {"type": "Point", "coordinates": [70.62526, 40.12649]},
                    }
                ],
            }
        )
    )
    r = cli("access", "--class", "resident-kg", "--target-layer", layer, "--format", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    reached = [x for x in doc["rows"] if x["reachable"]]
    assert reached and {x["target"] for x in reached} == {"Isfara market"}


def test_a_chokepoint_id_can_be_blocked(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli(
        "chokepoints",
        "--scenario",
        "status-quo",
        "--regime",
        "open",
        "--class",
        "resident-kg",
        "--roads-only",
        "--top",
        "10",
        "--format",
        "json",
    )
    assert r.code == 0, r.err
    merged = [row for row in json.loads(r.out)["rows"] if row["id"].startswith("line:")]
    assert merged, "no merged line-crossing point in the top 10"
    row = merged[0]
    # ranked on the road network alone (--roads-only): compare on the same network (no off-road travel)
    a = cli(
        "access",
        "--scenario",
        "status-quo",
        "--regime",
        "open",
        "--class",
        "resident-kg",
        "--roads-only",
        "--format",
        "json",
    )
    b = cli(
        "access",
        "--scenario",
        "status-quo",
        "--regime",
        "open",
        "--class",
        "resident-kg",
        "--roads-only",
        "--block",
        row["id"],
        "--format",
        "json",
    )
    assert a.code == 0 and b.code == 0, b.err
    doc_a, doc_b = json.loads(a.out), json.loads(b.out)
    assert sorted(doc_b["closures"]["crossings"]) == sorted(row["members"])
    before = {x["settlement"] for x in doc_a["rows"] if x["reachable"]}
    lost = sorted(x["settlement"] for x in doc_b["rows"] if not x["reachable"] and x["settlement"] in before)
    assert lost == sorted(row["cut_off_settlements"])
