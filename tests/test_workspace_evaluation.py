"""Background evaluation of a draft by the engines, with progress, cached by the scenario's hash.

The land moving from KGZ to TJK is checked against an independent figure: the geodesic area
(pyproj Geod on the WGS84 ellipsoid) of the draft's polygon intersected with KGZ's territory read
straight from the dataset, not the engine's equal-area projection."""

from __future__ import annotations

import time

import pyogrio
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import shape

from _workspace_helpers import CORRIDOR, Api, client, draft_body
from delimit.datasets import dataset_dir
from delimit.workspace.admin import init_workspace
from delimit.workspace.app import create_app
from delimit.workspace.db import Store

pytestmark = pytest.mark.slow


def _independent_area_km2() -> float:
    terr = pyogrio.read_dataframe(dataset_dir("fergana") / "fergana.gpkg", layer="territory")
    kgz = shapely.union_all(terr[terr["party"] == "KGZ"].geometry.to_numpy())
    corridor = shapely.union_all([shape(f["geometry"]) for f in CORRIDOR["features"]])
    area_m2, _ = Geod(ellps="WGS84").geometry_area_perimeter(shapely.intersection(corridor, kgz))
    return abs(area_m2) / 1e6


def _wait(api: Api, pid: str, seen: list[dict]) -> dict:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        r = api.get(f"/api/proposals/{pid}/evaluation").json()
        seen.append(r)
        if r["status"] in ("done", "failed"):
            return r
        time.sleep(0.2)
    raise AssertionError("evaluation did not finish")


def test_draft_is_evaluated_in_the_background_and_cached_by_hash(tmp_path) -> None:
    folder = tmp_path / "ws"
    folder.mkdir()
    store = Store.open(folder, must_exist=False)
    pw = {
        a.username: a.password
        for a in init_workspace(store, scenario="status-quo", parties=["KGZ", "TJK"], mediator=False, evaluate=())
    }
    app = create_app(store)
    try:
        tj = Api(client(app), "head-tjk", pw["head-tjk"])
        kg = Api(client(app), "head-kgz", pw["head-kgz"])
        p = tj.post("/api/proposals", json=draft_body("tj-corridor")).json()
        assert tj.get(f"/api/proposals/{p['id']}/evaluation").status_code == 404
        started = tj.post(f"/api/proposals/{p['id']}/evaluation")
        assert started.status_code == 202 and started.json()["status"] in ("queued", "running", "done")
        assert kg.get(f"/api/proposals/{p['id']}/evaluation").status_code == 404  # a private draft's evaluation
        seen: list[dict] = []
        done = _wait(tj, p["id"], seen)
        assert done["status"] == "done", done["message"]
        assert done["progress"] == 1.0 and all(0.0 <= s["progress"] <= 1.0 for s in seen)
        result = done["result"]
        assert result["scenario"] == "tj-corridor" and result["baseline"] == "status-quo"
        flows = {(f["from"], f["to"]): f["area_km2"] for f in result["land"]}
        assert set(flows) == {("KGZ", "TJK")}
        assert flows[("KGZ", "TJK")] == pytest.approx(_independent_area_km2(), rel=0.01)
        # The same scenario in another proposal: served from the cache, no second run.
        q = tj.post("/api/proposals", json=draft_body("tj-corridor")).json()
        assert q["scenario_hash"] == p["scenario_hash"]
        again = tj.post(f"/api/proposals/{q['id']}/evaluation").json()
        assert again["status"] == "done" and again["result"] == result and again["finished_at"] == done["finished_at"]
    finally:
        app.state.evaluator.shutdown()
        store.dispose()
