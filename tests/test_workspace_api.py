"""The workspace API in process: drafts stay private until shared, sections turn agreed only on both
heads' sign-off on the same geometry, a geometry change withdraws the agreement, stale writes get 409,
bad input gets 4xx naming the field with nothing stored, and the chain verifies."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from _workspace_helpers import CORRIDOR, LINE_A, LINE_B, Api, client, draft_body, draft_yaml, new_workspace
from delimit.workspace.app import create_app
from delimit.workspace.events import verify_store
from delimit.workspace.models import Event, Proposal


@pytest.fixture(scope="module")
def ws(tmp_path_factory):  # type: ignore[no-untyped-def]
    store, pw = new_workspace(tmp_path_factory.mktemp("ws"), None)
    app = create_app(store, max_body_bytes=512 * 1024)
    kg, tj, med = (
        Api(client(app), "head-kgz", pw["head-kgz"]),
        Api(client(app), "head-tjk", pw["head-tjk"]),
        Api(client(app), "mediator", pw["mediator"]),
    )
    yield store, app, kg, tj, med
    store.dispose()


def _count(store, model) -> int:  # type: ignore[no-untyped-def]
    with store.read() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_drafts_are_private_until_shared(ws) -> None:  # type: ignore[no-untyped-def]
    _store, _app, kg, tj, med = ws
    a = kg.post("/api/proposals", json=draft_body("kg-private", "Kyrgyz draft")).json()
    b = tj.post("/api/proposals", json=draft_body("tj-private", "Tajik draft")).json()
    assert a["state"] == "draft" and a["team"] == "KGZ"
    assert [p["id"] for p in tj.get("/api/proposals").json()] == [b["id"]]
    assert tj.get(f"/api/proposals/{a['id']}").status_code == 404
    assert tj.get(f"/api/proposals/{a['id']}").json() == tj.get("/api/proposals/" + "0" * 32).json()
    assert tj.get("/api/proposals", params={"q": "kyrgyz"}).json() == []
    assert med.get("/api/proposals").json() == []
    shared = kg.post(f"/api/proposals/{a['id']}/share", json={"based_on_version": a["version"]}).json()
    assert shared["state"] == "shared"
    seen = tj.get("/api/proposals").json()
    assert {p["id"] for p in seen} == {a["id"], b["id"]}
    assert tj.get(f"/api/proposals/{a['id']}").json()["document"]["geometry"]["geometry/corridor.geojson"] == CORRIDOR
    # Frozen once shared: editing is a conflict; a new version is a private draft of whoever makes it.
    r = kg.put(f"/api/proposals/{a['id']}", json={**draft_body("kg-private-2"), "based_on_version": shared["version"]})
    assert r.status_code == 409
    counter = tj.post(f"/api/proposals/{a['id']}/versions").json()
    assert counter["team"] == "TJK" and counter["state"] == "draft" and counter["parent_id"] == a["id"]
    assert counter["id"] not in {p["id"] for p in kg.get("/api/proposals").json()}


def test_comments_stay_within_a_delegation_unless_for_all(ws) -> None:  # type: ignore[no-untyped-def]
    _store, _app, kg, tj, _med = ws
    p = kg.post("/api/proposals", json=draft_body("kg-commented")).json()
    assert (
        kg.post(f"/api/proposals/{p['id']}/comments", json={"text": "internal", "visibility": "all"}).status_code == 422
    )  # a draft's comments stay inside
    kg.post(f"/api/proposals/{p['id']}/comments", json={"text": "our red line"})
    p = kg.post(f"/api/proposals/{p['id']}/share", json={"based_on_version": 1}).json()
    kg.post(f"/api/proposals/{p['id']}/comments", json={"text": "for the table", "visibility": "all"})
    tj.post(f"/api/proposals/{p['id']}/comments", json={"text": "tajik internal"})
    assert [c["text"] for c in tj.get(f"/api/proposals/{p['id']}/comments").json()] == [
        "for the table",
        "tajik internal",
    ]
    assert [c["text"] for c in kg.get(f"/api/proposals/{p['id']}/comments").json()] == ["our red line", "for the table"]
    history = json.dumps(tj.get("/api/history", params={"limit": 1000}).json())
    assert "our red line" not in history and "kg-private" not in history.replace(
        'kg-private"', ""
    )  # the shared one is visible by name


def test_section_agreed_on_both_heads_then_withdrawn_by_a_geometry_change(ws) -> None:  # type: ignore[no-untyped-def]
    _store, _app, kg, tj, med = ws
    sec = med.post("/api/sections", json={"name": "Vorukh north", "geometry": LINE_A}).json()
    assert sec["status"] == "negotiating" and sec["awaiting"] == ["KGZ", "TJK"]
    act = {"step": "sign_off", "geometry_hash": sec["geometry_hash"]}
    assert med.post(f"/api/sections/{sec['id']}/acts", json={**act, "based_on_version": 1}).status_code == 403
    sec = kg.post(f"/api/sections/{sec['id']}/acts", json={**act, "based_on_version": 1}).json()
    assert sec["status"] == "negotiating" and sec["awaiting"] == ["TJK"]
    stale = tj.post(f"/api/sections/{sec['id']}/acts", json={**act, "based_on_version": 1})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    wrong = tj.post(f"/api/sections/{sec['id']}/acts", json={**act, "geometry_hash": "a" * 64, "based_on_version": 2})
    assert wrong.status_code == 409
    sec = tj.post(f"/api/sections/{sec['id']}/acts", json={**act, "based_on_version": 2}).json()
    assert sec["status"] == "agreed_ad_referendum" and sec["next_step"] == "initial"
    moved = kg.put(
        f"/api/sections/{sec['id']}/geometry", json={"based_on_version": sec["version"], "geometry": LINE_B}
    ).json()
    assert moved["status"] == "negotiating" and moved["acts"] == []
    assert "agreement ad referendum withdrawn" in moved["note"]
    kinds = [e["kind"] for e in tj.get("/api/history").json() if e["object_id"] == sec["id"]]
    assert kinds == ["section.geometry_changed", "section.act", "section.act", "section.created"]


def test_section_runs_its_whole_course(ws) -> None:  # type: ignore[no-untyped-def]
    _store, _app, kg, tj, med = ws
    sec = kg.post("/api/sections", json={"name": "Sokh west", "geometry": LINE_A}).json()
    order = ["sign_off", "initial", "sign", "ratify", "enter_into_force", "demarcate"]
    statuses = []
    for step in order:
        for who in (kg, tj) if step != "enter_into_force" else (med,):
            r = who.post(
                f"/api/sections/{sec['id']}/acts",
                json={"step": step, "geometry_hash": sec["geometry_hash"], "based_on_version": sec["version"]},
            )
            assert r.status_code == 200, r.text
            sec = r.json()
        statuses.append(sec["status"])
    assert statuses == ["agreed_ad_referendum", "initialled", "signed", "ratified", "in_force", "demarcated"]
    r = kg.put(f"/api/sections/{sec['id']}/geometry", json={"based_on_version": sec["version"], "geometry": LINE_B})
    assert r.status_code == 409


def test_annex_describes_the_agreed_sections_alone(ws) -> None:  # type: ignore[no-untyped-def]
    from pyproj import Geod

    _store, _app, kg, tj, _med = ws
    agreed = kg.post("/api/sections", json={"name": "Annex agreed", "geometry": LINE_A}).json()
    kg.post("/api/sections", json={"name": "Annex open", "geometry": LINE_B})
    for who in (kg, tj):
        agreed = who.post(
            f"/api/sections/{agreed['id']}/acts",
            json={"step": "sign_off", "geometry_hash": agreed["geometry_hash"], "based_on_version": agreed["version"]},
        ).json()
    r = tj.get("/api/annex")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert "status: agreed. Name: Annex agreed." in r.text and "Annex open" not in r.text
    assert "KYRGYZSTAN AND TAJIKISTAN" in r.text
    assert "SOURCES OF THE LINE" in r.text and "drawn by the delegations" in r.text
    (lon, lat) = zip(*LINE_A["coordinates"], strict=True)
    metres = Geod(ellps="WGS84").line_length(lon, lat)
    assert f"it is {metres:,.0f} m long".replace(",", " ") in r.text  # lengths rounded to 1 m (source resolution)


def test_stale_draft_edit_gets_409_with_the_current_version(ws) -> None:  # type: ignore[no-untyped-def]
    store, _app, kg, _tj, _med = ws
    p = kg.post("/api/proposals", json=draft_body("kg-edit")).json()
    ok = kg.put(f"/api/proposals/{p['id']}", json={**draft_body("kg-edit", "second"), "based_on_version": 1})
    assert ok.status_code == 200 and ok.json()["version"] == 2
    before = _count(store, Event)
    r = kg.put(f"/api/proposals/{p['id']}", json={**draft_body("kg-edit", "lost update"), "based_on_version": 1})
    assert r.status_code == 409 and r.json()["current_version"] == 2
    assert _count(store, Event) == before
    assert kg.get(f"/api/proposals/{p['id']}").json()["title"] == "second"


BAD = [
    ({"scenario": "name: [unclosed", "geometry": {}}, "scenario"),
    ({"scenario": "a: &a [*a, *a]\n", "geometry": {}}, "scenario"),
    ({"scenario": "name: x\nname: y\n", "geometry": {}}, "scenario"),
    ({"scenario": "name: Bad Name\n", "geometry": {}}, "scenario.name"),
    (
        {"scenario": draft_yaml("x", to="UZB"), "geometry": {"geometry/corridor.geojson": CORRIDOR}},
        "scenario.transfers.0.to",
    ),
    ({"scenario": draft_yaml("x"), "geometry": {}}, "scenario.transfers.0.geometry.path"),
    (
        {"scenario": draft_yaml("x"), "geometry": {"geometry/corridor.geojson": {"type": "Feature"}}},
        "geometry.geometry/corridor.geojson",
    ),
    (
        {
            "scenario": draft_yaml("x"),
            "geometry": {
                "geometry/corridor.geojson": {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {},
                            "geometry": {"type": "Polygon", "coordinates": [[[10, 10], [11, 10], [11, 11], [10, 10]]]},
                        }
                    ],
                }
            },
        },
        "geometry.geometry/corridor.geojson.features.0.geometry",
    ),
    (
        {
            "scenario": draft_yaml("x"),
            "geometry": {
                "geometry/corridor.geojson": {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {},
                            "geometry": {
                                "type": "Polygon",
                                "coordinates": [[[70.5, 39.9], [70.6, 40.0], [70.6, 39.9], [70.5, 40.0], [70.5, 39.9]]],
                            },
                        }
                    ],
                }
            },
        },
        "geometry.geometry/corridor.geojson.features.0.geometry",
    ),
    (
        {
            "scenario": draft_yaml("x"),
            "geometry": {
                "geometry/corridor.geojson": {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {},
                            "geometry": {"type": "LineString", "coordinates": [[70.5, 39.9], [70.6, 40.0]]},
                        }
                    ],
                }
            },
        },
        "geometry.geometry/corridor.geojson.features.0.geometry",
    ),
    (
        {
            "scenario": draft_yaml("x"),
            "geometry": {"geometry/corridor.geojson": CORRIDOR, "geometry/../../etc.geojson": CORRIDOR},
        },
        "geometry.geometry/../../etc.geojson",
    ),
    ({"scenario": "name: x\nbase: ../../secret.yaml\n", "geometry": {}}, "scenario.base"),
    ({"scenario": "name: x\nlayers: {roads: {path: /etc/passwd}}\n", "geometry": {}}, "scenario.layers"),
    ({"geometry": {}}, "scenario"),
]


@pytest.mark.parametrize(("body", "field"), BAD, ids=[f"{i}-{f}" for i, (_, f) in enumerate(BAD)])
def test_bad_drafts_are_refused_naming_the_field_and_nothing_is_stored(ws, body, field) -> None:  # type: ignore[no-untyped-def]
    store, _app, kg, _tj, _med = ws
    before = (_count(store, Event), _count(store, Proposal))
    r = kg.post("/api/proposals", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field, r.json()
    assert (_count(store, Event), _count(store, Proposal)) == before


def test_oversized_body_and_bad_section_geometry(ws) -> None:  # type: ignore[no-untyped-def]
    store, _app, kg, _tj, med = ws
    before = _count(store, Event)
    big = {"scenario": "name: big\n" + "#" * (600 * 1024), "geometry": {}}
    r = kg.post("/api/proposals", json=big)
    assert r.status_code == 413 and r.json()["field"] == "body"
    chunks = iter([b'{"scenario": "'] + [b"x" * 1024] * 600)  # streamed: no Content-Length to refuse early
    r = kg.post("/api/proposals", content=chunks, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["field"] == "body"
    for geometry in (
        {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
        {"type": "Point", "coordinates": [70.5, 39.9]},
        {"type": "LineString", "coordinates": [[70.5, 39.9]]},
        {"type": "LineString", "coordinates": "x"},
    ):
        r = med.post("/api/sections", json={"name": "bad", "geometry": geometry})
        assert r.status_code == 422 and r.json()["field"] == "geometry", (geometry, r.text)
    assert _count(store, Event) == before


def test_authentication_csrf_roles_and_rate_limit(ws) -> None:  # type: ignore[no-untyped-def]
    _store, app, kg, _tj, _med = ws
    anon = client(app)
    assert anon.get("/api/health").status_code == 200
    assert anon.get("/api/proposals").status_code == 401
    assert anon.post("/api/proposals", json=draft_body("anon")).status_code == 401
    # A session write without the CSRF header is refused.
    assert kg.http.post("/api/proposals", json=draft_body("no-csrf")).status_code == 403
    # Cookie attributes.
    fresh = client(app)
    pw = kg.http.post(
        "/api/accounts", headers={"X-CSRF-Token": kg.csrf}, json={"username": "kg-observer", "role": "observer"}
    ).json()["one_time_password"]
    r = fresh.post("/api/auth/login", json={"username": "kg-observer", "password": pw})
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    # One-time password: nothing but a password change until it is changed.
    assert fresh.get("/api/proposals").status_code == 403
    obs = Api(client(app), "kg-observer", pw)
    assert obs.get("/api/proposals").status_code == 200
    assert obs.post("/api/proposals", json=draft_body("observer")).status_code == 403
    assert obs.post("/api/sections", json={"name": "x", "geometry": LINE_A}).status_code == 403
    # API token for scripts: no cookie, no CSRF.
    token = kg.post("/api/tokens", json={"name": "script"}).json()
    script = client(app)
    assert script.get("/api/proposals", headers={"Authorization": f"Bearer {token['token']}"}).status_code == 200
    assert (
        script.post(
            "/api/proposals", json=draft_body("by-script"), headers={"Authorization": f"Bearer {token['token']}"}
        ).status_code
        == 201
    )
    kg.delete(f"/api/tokens/{token['id']}")
    assert script.get("/api/proposals", headers={"Authorization": f"Bearer {token['token']}"}).status_code == 401
    # Rate limit on log-in.
    bad = client(app)
    codes = [
        bad.post("/api/auth/login", json={"username": "head-tjk", "password": f"wrong{i}"}).status_code
        for i in range(7)
    ]
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]


def test_chain_verifies_and_names_a_tampered_event(ws) -> None:  # type: ignore[no-untyped-def]
    store, _app, kg, _tj, _med = ws
    with store.read() as s:
        assert verify_store(s).ok
    assert kg.get("/api/history/verify").json() == {"ok": True, "broken_event": None, "reason": ""}


def test_sections_from_the_treaty_engine(ws, scenario) -> None:  # type: ignore[no-untyped-def]
    """The parties' shared line, split into the treaty engine's sections: nothing lost or added along the way."""
    from pyproj import Geod
    from shapely.geometry import shape

    from delimit.workspace.admin import import_sections, treaty_sections

    store, _app, _kg, tj, _med = ws
    sq = scenario("status-quo")
    lines = treaty_sections(sq, ["KGZ", "TJK"])
    ids = import_sections(store, lines, prefix="Treaty", source="status-quo", attribution=sq.provenance.attribution())
    geod = Geod(ellps="WGS84")
    whole = geod.geometry_length(sq.boundary_between("KGZ", "TJK"))
    listed = {s["id"]: s for s in tj.get("/api/sections").json()}
    imported = [listed[i] for i in ids]
    assert [s["name"] for s in imported] == [f"Treaty {k}" for k in range(1, len(ids) + 1)]
    assert all(s["status"] == "negotiating" for s in imported)
    assert sum(geod.geometry_length(shape(s["geometry"])) for s in imported) == pytest.approx(whole, rel=1e-9)
    assert all(sq.provenance.attribution() in s["note"] for s in imported) and "OpenStreetMap" in imported[0]["note"]
    with pytest.raises(Exception, match="exists"):
        import_sections(store, lines, prefix="Treaty", source="status-quo")


def test_history_pages_carry_the_documents_as_sent(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The history answer splices each stored payload into the JSON as it is: a draft's event carries the
    document the delegation sent (compared with the request, not with the server's output), pages with
    ``before`` continue where the last one stopped, and another team's private event is never in it."""
    store, pw = new_workspace(tmp_path / "ws", None)
    app = create_app(store)
    try:
        kg, tj = Api(client(app), "head-kgz", pw["head-kgz"]), Api(client(app), "head-tjk", pw["head-tjk"])
        sent = [draft_body(f"kg-draft-{i}", f"Кыргыз draft «{i}»") for i in range(3)]
        ids = [kg.post("/api/proposals", json=body).json()["id"] for body in sent]
        tj.post("/api/proposals", json=draft_body("tj-secret"))
        r = kg.get("/api/history", params={"limit": 2})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
        first = r.json()
        rest = kg.get("/api/history", params={"limit": 1000, "before": first[-1]["hash"]}).json()
        events = first + rest
        assert len({e["hash"] for e in events}) == len(events)
        drafted = {e["object_id"]: e for e in events if e["kind"] == "proposal.drafted"}
        assert list(drafted) == ids[::-1]  # newest first, the Tajik draft absent
        for pid, body in zip(ids, sent, strict=True):
            doc = drafted[pid]["payload"]["document"]
            assert doc["geometry"] == body["geometry"]
            assert doc["scenario"]["name"] == body["scenario"].split("name: ")[1].split("\n")[0]
        assert "tj-secret" not in json.dumps(events, ensure_ascii=False)
        assert kg.get("/api/history", params={"before": "0" * 64}).status_code == 404
    finally:
        store.dispose()
