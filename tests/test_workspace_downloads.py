"""A proposal's downloads over HTTP (report, treaty annex, GeoPackage) and the agreed sections' annex ZIP.

Each download is built by the real engines in the server's background thread: 202 with progress
while it builds, then 200 with the file as an attachment. Contents are checked against figures
computed here independently (geodesic areas with pyproj, the submitted corridor polygon), and another
delegation's private draft answers 404 exactly like a missing proposal.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile

import pyogrio
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import shape

from _workspace_helpers import CORRIDOR, LINE_A, Api, client, draft_body, new_workspace
from delimit.workspace.app import create_app
from delimit.workspace.auth import LoginLimiter

OSM = "© OpenStreetMap contributors"
MISSING = "f" * 32
KINDS = ("report", "annex", "geopackage")


@pytest.fixture(scope="module")
def world(tmp_path_factory):  # type: ignore[no-untyped-def]
    store, pw = new_workspace(tmp_path_factory.mktemp("ws"), None)
    app = create_app(store, limiter=LoginLimiter(attempts=10_000), evaluate=False, downloads=True)
    kg, tj = Api(client(app), "head-kgz", pw["head-kgz"]), Api(client(app), "head-tjk", pw["head-tjk"])
    private = kg.post("/api/proposals", json=draft_body("kg-private")).json()
    shared = kg.post("/api/proposals", json=draft_body("kg-open")).json()
    shared = kg.post(f"/api/proposals/{shared['id']}/share", json={"based_on_version": 1}).json()
    yield app, kg, tj, private, shared
    app.state.downloads.shutdown()
    store.dispose()


def _fetch(api: Api, url: str, media_type: str, timeout_s: float = 900.0) -> bytes:
    """GET a download until it is built (202 with progress meanwhile); the bytes of the 200 answer."""
    deadline = time.monotonic() + timeout_s
    while True:
        r = api.get(url)
        if r.status_code == 200:
            assert r.headers["content-type"].split(";")[0] == media_type
            assert r.headers["content-disposition"].startswith("attachment; filename=")
            return bytes(r.content)
        assert r.status_code == 202, (url, r.status_code, r.text)
        body = r.json()
        assert body["status"] in ("queued", "running") and 0.0 <= body["progress"] <= 1.0 and r.headers["retry-after"]
        assert time.monotonic() < deadline, f"{url} still building: {body}"
        time.sleep(0.5)


@pytest.mark.parametrize("kind", KINDS)
def test_another_delegations_draft_is_404_like_a_missing_one(world, kind) -> None:  # type: ignore[no-untyped-def]
    app, _kg, tj, private, _shared = world
    a = tj.get(f"/api/proposals/{private['id']}/{kind}")
    b = tj.get(f"/api/proposals/{MISSING}/{kind}")
    assert a.status_code == b.status_code == 404 and a.json() == b.json()
    assert client(app).get(f"/api/proposals/{private['id']}/{kind}").status_code == 401


def test_geopackage_holds_the_transfer_and_territory_with_credits(world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _app, kg, tj, private, shared = world
    data = _fetch(kg, f"/api/proposals/{private['id']}/geopackage", "application/geopackage+sqlite3")
    path = tmp_path / "p.gpkg"
    path.write_bytes(data)
    layers = {name for name, _geom in pyogrio.list_layers(path)}
    assert {"transfers", "territory", "metadata"} <= layers
    tr = pyogrio.read_dataframe(path, layer="transfers")
    assert list(tr["from_party"]) == ["KGZ"] and list(tr["to_party"]) == ["TJK"] and tr.crs.to_epsg() == 4326
    sent = shape(CORRIDOR["features"][0]["geometry"])
    assert shapely.equals_exact(shapely.normalize(tr.geometry.iloc[0]), shapely.normalize(sent), tolerance=1e-9)
    territory = pyogrio.read_dataframe(path, layer="territory")
    assert {"KGZ", "TJK"} <= set(territory["party"])
    meta = pyogrio.read_info(path, layer="transfers")["layer_metadata"]
    assert OSM in meta["ATTRIBUTION"] and "EPSG:4326" in meta["CRS"]
    # The shared proposal is built for the other delegation too; the private draft never was shown to it.
    assert b"transfers" in _fetch(tj, f"/api/proposals/{shared['id']}/geopackage", "application/geopackage+sqlite3")


def test_proposal_annex_zip_has_the_treaty_files(world) -> None:  # type: ignore[no-untyped-def]
    _app, _kg, tj, _private, shared = world
    data = _fetch(tj, f"/api/proposals/{shared['id']}/annex", "application/zip")
    z = zipfile.ZipFile(io.BytesIO(data))
    names = {n.split("/", 1)[1] for n in z.namelist()}
    assert {"description.txt", "turning_points.csv", "annex.gpkg", "ATTRIBUTION.txt", "provenance.json"} <= names
    assert "annex.pdf" not in names
    prefix = z.namelist()[0].split("/", 1)[0]
    description = z.read(f"{prefix}/description.txt").decode()
    assert "Kyrgyz" in description and "Tajik" in description
    assert OSM in z.read(f"{prefix}/ATTRIBUTION.txt").decode()
    rows = list(csv.DictReader(io.StringIO(z.read(f"{prefix}/turning_points.csv").decode())))
    # The line between the two parties runs through the corridor's neighbourhood: some turning point
    # lies on the transferred polygon's outline (the corridor moved the line there).
    corridor = shape(CORRIDOR["features"][0]["geometry"])
    near = [r for r in rows if corridor.boundary.distance(shapely.Point(float(r["lon"]), float(r["lat"]))) < 2e-5]
    assert len(rows) > 10 and near


@pytest.mark.slow
def test_report_is_one_html_file_with_the_proposals_figures(world) -> None:  # type: ignore[no-untyped-def]
    from delimit.scenario import load_scenario

    _app, kg, _tj, private, _shared = world
    html = _fetch(kg, f"/api/proposals/{private['id']}/report", "text/html").decode()
    assert OSM in html and "kg-private" in html
    assert 'src="img/' not in html and "data:image/png;base64," in html  # one file: images inlined
    # Land changing hands: the corridor's part that was Kyrgyz under the baseline, geodesic area (km²).
    base = load_scenario("status-quo")
    kgz = shapely.union_all(base.territory[base.territory["party"] == "KGZ"].geometry.to_numpy())
    moved = shapely.intersection(shape(CORRIDOR["features"][0]["geometry"]), kgz)
    km2 = abs(Geod(ellps="WGS84").geometry_area_perimeter(moved)[0]) / 1e6
    assert f"{km2:.2f}" in html or f"{km2 - 0.01:.2f}" in html or f"{km2 + 0.01:.2f}" in html, km2


def test_agreed_sections_annex_as_zip(world) -> None:  # type: ignore[no-untyped-def]
    app, kg, tj, _private, _shared = world
    r = kg.get("/api/annex", params={"format": "zip"})
    assert r.status_code == 409  # nothing agreed yet
    sec = kg.post("/api/sections", json={"name": "north", "geometry": LINE_A}).json()
    for api in (kg, tj):
        sec = api.post(
            f"/api/sections/{sec['id']}/acts",
            json={"step": "sign_off", "based_on_version": sec["version"], "geometry_hash": sec["geometry_hash"]},
        ).json()
    assert sec["status"] == "agreed_ad_referendum"
    r = tj.get("/api/annex", params={"format": "zip"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert r.headers["content-disposition"].startswith("attachment;")
    z = zipfile.ZipFile(io.BytesIO(r.content))
    names = {n.split("/", 1)[1] for n in z.namelist()}
    assert {"description.txt", "turning_points.csv", "annex.gpkg", "ATTRIBUTION.txt", "provenance.json"} <= names
    prefix = z.namelist()[0].split("/", 1)[0]
    rows = list(csv.DictReader(io.StringIO(z.read(f"{prefix}/turning_points.csv").decode())))
    sent = [tuple(c) for c in LINE_A["coordinates"]]
    got = [(float(r["lon"]), float(r["lat"])) for r in rows]
    assert len(got) == len(sent) and all(
        abs(a - c) < 1e-6 and abs(b - d) < 1e-6 for (a, b), (c, d) in zip(got, sent, strict=True)
    )
    assert "drawn by the delegations" in z.read(f"{prefix}/description.txt").decode()
    assert tj.get("/api/annex").text.startswith(z.read(f"{prefix}/description.txt").decode()[:40])
    assert client(app).get("/api/annex", params={"format": "zip"}).status_code == 401


def test_a_failed_build_answers_409_once_then_is_retried(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A treaty annex is between two parties: in a three-party workspace its build fails, the failure is
    reported once with the reason (409), and asking again starts a new build (202)."""
    from delimit.workspace.admin import init_workspace
    from delimit.workspace.db import Store

    (tmp_path / "ws3").mkdir()
    store = Store.open(tmp_path / "ws3", must_exist=False)
    pw = {
        a.username: a.password
        for a in init_workspace(store, scenario="status-quo", parties=["KGZ", "TJK", "UZB"], mediator=False)
    }
    app = create_app(store, evaluate=False, downloads=True)
    try:
        kg = Api(client(app), "head-kgz", pw["head-kgz"])
        p = kg.post("/api/proposals", json=draft_body("three")).json()
        url = f"/api/proposals/{p['id']}/annex"
        deadline = time.monotonic() + 300
        while (r := kg.get(url)).status_code == 202:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert r.status_code == 409 and "two parties" in r.json()["detail"] and "retry" in r.json()["detail"]
        assert kg.get(url).status_code == 202  # forgotten, so built again
    finally:
        app.state.downloads.shutdown()
        store.dispose()
