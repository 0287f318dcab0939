"""``delimit topology`` end to end (in-process)."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
def test_topology_json_and_geojson(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = cli("topology", "--scenario", "status-quo", "--format", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["scenario"] == "status-quo" and doc["crs"] and "provenance" in doc
    kinds = {p["kind"] for party in doc["parties"] for p in party["parts"]}
    assert "enclave" in kinds
    assert all(
        p["overlapped_by"] == [] for party in doc["parties"] for p in party["parts"]
    )  # one scenario's parties do not overlap
    out = tmp_path / "t.geojson"
    r = cli("topology", "--compare", "status-quo", "tj-corridor-claim", "--format", "geojson", "-o", str(out))
    assert r.code == 0, r.err
    gj = json.loads(out.read_text())
    layers = {f["properties"]["layer"] for f in gj["features"]}
    assert layers == {"part", "neck", "disputed"}


def test_bad_input_exit_2_nothing_written(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "x.json"
    r = cli("topology", "--scenario", "no-such-scenario", "-o", str(out))
    assert r.code == 2 and "unknown scenario" in r.err and not out.exists()
    r = cli("topology", "--scenario", "status-quo", "--neck-width", "-5", "-o", str(out))
    assert r.code == 2 and not out.exists()
    r = cli("topology", "--scenario", "status-quo", "--overlap", "-5", "-o", str(out))
    assert r.code == 2 and "--overlap" in r.err and not out.exists()
    r = cli("topology")
    assert r.code == 2
