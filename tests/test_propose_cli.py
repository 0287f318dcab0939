"""``delimit propose``: the JSON contract, the output folder, scenario files loadable by delimit."""

from __future__ import annotations

import json

import pytest
import shapely
import yaml

from delimit.crs import equal_area_crs

BOX = (70.45, 39.80, 70.65, 39.95)


@pytest.fixture
def zone_file(tmp_path):  # type: ignore[no-untyped-def]
    import geopandas as gpd

    path = tmp_path / "zone.geojson"
    gpd.GeoDataFrame({"name": ["vorukh-west"]}, geometry=[shapely.box(*BOX)], crs=4326).to_file(path, driver="GeoJSON")
    return path


@pytest.mark.slow
def test_chain_writes_scenarios_gpkg_and_summary(cli, tmp_path, zone_file) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "props"
    args = [
        "propose",
        "--scenario",
        "status-quo",
        "--between",
        "KGZ",
        "TJK",
        "--zone",
        zone_file,
        "--units",
        "hex:1km",
        "--balance",
        "0.05",
        "--seed",
        "7",
        "-n",
        "3",
        "--method",
        "chain",
        "--steps",
        "12000",
        "--format",
        "json",
        "-o",
        out,
    ]
    r = cli(*args)
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["status"] == "illustrative" and doc["method"] == "chain" and doc["seed"] == 7
    assert "provenance" in doc and "data_marks" in doc
    assert 1 <= len(doc["proposals"]) <= 3
    for p in doc["proposals"]:
        assert set(p) >= {
            "id",
            "area_exchanged_km2",
            "imbalance",
            "people_moved",
            "turning_points",
            "access_loss",
            "constraints_violated",
        }
        assert set(p["area_exchanged_km2"]) == {"KGZ", "TJK"} and p["imbalance"] <= 0.05 + 1e-9
    assert (out / "summary.json").is_file() and (out / "proposals.gpkg").is_file()
    import pyogrio

    layers = set(pyogrio.list_layers(out / "proposals.gpkg")[:, 0])
    assert {"parcels", "transfers", "zone"} <= layers
    # each proposal is a scenario delimit loads, and it moves exactly the reported areas
    from delimit import load_scenario

    base = load_scenario("status-quo")
    for p in doc["proposals"]:
        spec = yaml.safe_load((out / f"{p['id']}.yaml").read_text())
        assert spec["base"] == "status-quo" and spec["status"] == "illustrative"
        assert all(t["status"] == "illustrative" and "seed 7" in t["source"] for t in spec["transfers"])
        s = load_scenario(out / f"{p['id']}.yaml")
        ea = equal_area_crs(base.territory)
        net = p["area_exchanged_km2"]["KGZ"] - p["area_exchanged_km2"]["TJK"]
        before = base.territory[base.territory["party"] == "TJK"].to_crs(ea).area.sum() / 1e6
        after = s.territory[s.territory["party"] == "TJK"].to_crs(ea).area.sum() / 1e6
        assert after - before == pytest.approx(net, abs=1e-3)
    # same seed, same JSON proposals
    r2 = cli(*args[:-1], tmp_path / "again")
    assert json.loads(r2.out)["proposals"] == doc["proposals"]


def test_bad_party_exits_2_and_writes_nothing(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "never"
    r = cli("propose", "--between", "KGZ", "XXX", "--zone", "band:2km", "-o", out)
    assert r.code == 2
    assert len(r.err.strip().splitlines()) == 1 and "XXX" in r.err
    assert not out.exists()


def test_bad_units_exit_2(cli, tmp_path, zone_file) -> None:  # type: ignore[no-untyped-def]
    r = cli("propose", "--zone", zone_file, "--units", "hex:0m", "-o", tmp_path / "x")
    assert r.code == 2 and not (tmp_path / "x").exists()


@pytest.mark.slow
def test_acceptance_command_on_the_whole_line(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "band"
    r = cli(
        "propose",
        "--scenario",
        "status-quo",
        "--between",
        "KGZ",
        "TJK",
        "--zone",
        "band:2km",
        "--units",
        "hex:500m",
        "--balance",
        "0.05",
        "--seed",
        "7",
        "-n",
        "20",
        "--format",
        "json",
        "-o",
        out,
    )
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["method"] == "chain" and doc["parcels"] > 5000
    assert len(doc["proposals"]) == 20
    assert all(p["constraints_violated"] == [] for p in doc["proposals"])
    assert len(list(out.glob("P*.yaml"))) == 20


@pytest.mark.slow
def test_disputed_zone_is_the_land_the_claim_moves(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``--zone disputed:OTHER`` is the land the two scenarios give to different parties: here the corridor's
    Kyrgyz land, all of one party, so there is nothing to swap and the run says so."""
    import geopandas as gpd

    from delimit import load_scenario

    out = tmp_path / "d"
    r = cli(
        "propose",
        "--zone",
        "disputed:tj-corridor-claim",
        "--units",
        "hex:500m",
        "-n",
        "2",
        "--format",
        "json",
        "-o",
        out,
    )
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    base, claim = load_scenario("status-quo"), load_scenario("tj-corridor-claim")
    corridor = shapely.union_all([t.geometry for t in claim.transfers]).intersection(base.party_geometry("KGZ"))
    ea = equal_area_crs(base.territory)
    expected = gpd.GeoSeries([corridor], crs=4326).to_crs(ea).area.iloc[0] / 1e6
    assert doc["zone_km2"] == pytest.approx(expected, rel=1e-3)
    parcels = gpd.read_file(out / "proposals.gpkg", layer="parcels")
    assert set(parcels["party_before"]) == {"KGZ"} and len(parcels) == doc["parcels"]
    assert parcels.to_crs(ea).area.sum() / 1e6 == pytest.approx(expected, rel=1e-3)
    assert doc["proposals"] == []
    assert any("one party only" in n for n in doc["notes"])


@pytest.mark.slow
def test_exact_on_user_parcels_beats_the_chain(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``--units parcels:FILE --method exact``: the user's 20 parcels are the units, every proposal is balanced,
    and no proposal of the Markov chain on the same parcels scores better than the exact optimum."""
    import geopandas as gpd

    box = (70.50, 39.83, 70.60, 39.90)
    zone = tmp_path / "zone.geojson"
    gpd.GeoDataFrame({"name": ["z"]}, geometry=[shapely.box(*box)], crs=4326).to_file(zone, driver="GeoJSON")
    cells = [
        shapely.box(70.50 + i * 0.02, 39.83 + j * 0.0175, 70.52 + i * 0.02, 39.8475 + j * 0.0175)
        for i in range(5)
        for j in range(4)
    ]
    parcels_file = tmp_path / "parcels.geojson"
    gpd.GeoDataFrame({"parcel": [f"c{k}" for k in range(20)]}, geometry=cells, crs=4326).to_file(
        parcels_file, driver="GeoJSON"
    )
    common = ["propose", "--zone", zone, "--units", f"parcels:{parcels_file}", "-n", "3", "--format", "json"]
    r = cli(*common, "--method", "exact", "--pareto", "-o", tmp_path / "exact")
    assert r.code == 0, r.err
    exact = json.loads(r.out)
    assert exact["method"] == "exact" and exact["proposals"]
    assert all(p["imbalance"] <= 0.05 + 1e-9 and p["constraints_violated"] == [] for p in exact["proposals"])
    # the units are the user's parcels cut by the parties' land: together they cover the zone
    units = gpd.read_file(tmp_path / "exact" / "proposals.gpkg", layer="parcels")
    ea = equal_area_crs(units)
    zone_km2 = gpd.GeoSeries([shapely.box(*box)], crs=4326).to_crs(ea).area.iloc[0] / 1e6
    assert units.to_crs(ea).area.sum() / 1e6 == pytest.approx(zone_km2, rel=1e-6)
    assert {p["parcels_moved"] for p in exact["proposals"]} <= set(range(1, 21))
    r = cli(*common, "--method", "chain", "--steps", "3000", "--seed", "1", "-o", tmp_path / "chain")
    assert r.code == 0, r.err
    chain = json.loads(r.out)
    best_exact = min(p["score"] for p in exact["proposals"])
    assert all(p["score"] >= best_exact - 1e-9 for p in chain["proposals"])


SMALL_BOX = (70.50, 39.84, 70.60, 39.92)


@pytest.mark.slow
def test_evaluate_on_two_workers_writes_what_one_writes(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``--evaluate`` compares every proposal with the scenario, one Dask task each: --workers 2 (a
    LocalCluster of worker processes) writes the same bytes as --workers 1 (serial), and each proposal's
    evaluation moves the areas the proposal reports."""
    import geopandas as gpd

    zone = tmp_path / "small.geojson"
    gpd.GeoDataFrame({"name": ["vorukh"]}, geometry=[shapely.box(*SMALL_BOX)], crs=4326).to_file(zone, driver="GeoJSON")
    runs = []
    for w in ("1", "2"):
        out = tmp_path / f"w{w}"
        r = cli(
            "propose",
            "--zone",
            zone,
            "--units",
            "hex:1km",
            "-n",
            "2",
            "--method",
            "exact",
            "--evaluate",
            "--no-access",
            "--workers",
            w,
            "--format",
            "json",
            "-o",
            out,
        )
        assert r.code == 0, r.err
        runs.append((r.out, (out / "summary.json").read_bytes(), (out / "evaluation.json").read_bytes()))
    assert runs[0] == runs[1]
    doc = json.loads(runs[0][0])
    evaluation = json.loads(runs[0][2])
    assert [e["id"] for e in doc["evaluation"]] == [p["id"] for p in doc["proposals"]] == evaluation["proposals"]
    assert "evaluation.json" in doc["files"] and "attribution" in evaluation
    for p, c in zip(doc["proposals"], evaluation["comparisons"], strict=True):
        assert c["baseline"] == "status-quo" and c["topology"]["available"] is True
        assert c["access_status"] == {
            "available": False,
            "section": "access",
            "reason": "not requested",
            "failed": False,
        }
        moved = {f["from"]: f["area_km2"] for f in c["land"]}
        assert moved == pytest.approx(p["area_exchanged_km2"], abs=1e-3)


def test_evaluate_executor_refused_before_any_work(cli, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A scheduler that does not answer, --workers 0, both at once, or either without --evaluate:
    exit 2, one line, nothing written (checked before the proposals are generated)."""
    from delimit.distribute import CONNECT_TIMEOUT_S

    assert CONNECT_TIMEOUT_S <= 10  # a scheduler that does not answer is given up on within 10 s
    out = tmp_path / "never"
    cases = [
        (["--evaluate", "--scheduler", "tcp://127.0.0.1:1"], "tcp://127.0.0.1:1"),
        (["--evaluate", "--workers", "0"], "--workers"),
        (["--evaluate", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
        (["--workers", "2"], "--evaluate"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--evaluate"),
    ]
    for extra, words in cases:
        r = cli("propose", "--zone", "band:2km", *extra, "-o", out)
        assert r.code == 2, (extra, r.err)
        lines = [x for x in r.err.splitlines() if x.strip()]
        assert len(lines) == 1 and words in lines[0], (extra, r.err)
        assert not out.exists()
    monkeypatch.setenv("DELIMIT_SCHEDULER", "no-such-host")
    r = cli("propose", "--zone", "band:2km", "--evaluate", "-o", out)
    assert r.code == 2 and "no-such-host" in r.err and len(r.err.strip().splitlines()) == 1
    assert not out.exists()
