"""Every route, for every role of the other delegation and the mediator: nothing of a delegation's
private drafts, comments, evaluations or tokens shows in any response, list, count, error or search;
another delegation's private object answers exactly like a missing one; and nothing but health and
log-in answers without a session or token. A route added without a probe here fails the test."""

from __future__ import annotations

import json

import pytest
from fastapi.routing import APIRoute

from _workspace_helpers import LINE_A, NEW_PASSWORD, Api, client, draft_body, new_workspace
from delimit.workspace.app import create_app
from delimit.workspace.auth import LoginLimiter
from delimit.workspace.evaluation import evaluation_key
from delimit.workspace.events import canonical_json, utc_now
from delimit.workspace.models import EvaluationRow
from delimit.workspace.web import PAGES

MARK = "zqx-private"  # in every private KGZ object; must never reach TJK or the mediator
MISSING = "f" * 32


def _probes(ids: dict[str, str]) -> dict[tuple[str, str], dict | None]:
    """A plausible request body for every route (None: no body)."""
    return {
        ("GET", "/api/health"): None,
        ("POST", "/api/auth/login"): {"username": "head-kgz", "password": "not-the-password"},
        ("POST", "/api/auth/logout"): None,
        ("GET", "/api/auth/me"): None,
        ("POST", "/api/auth/password"): {"old_password": "wrong-old-password", "new_password": "another long password"},
        ("GET", "/api/workspace"): None,
        ("GET", "/api/accounts"): None,
        ("POST", "/api/accounts"): {"username": "probe-account", "role": "observer"},
        ("GET", "/api/tokens"): None,
        ("POST", "/api/tokens"): {"name": "probe"},
        ("DELETE", "/api/tokens/{token_id}"): None,
        ("GET", "/api/proposals"): None,
        ("POST", "/api/proposals"): draft_body("probe-draft"),
        ("GET", "/api/proposals/{proposal_id}"): None,
        ("PUT", "/api/proposals/{proposal_id}"): {**draft_body("probe-edit"), "based_on_version": 1},
        ("POST", "/api/proposals/{proposal_id}/share"): {"based_on_version": 1},
        ("POST", "/api/proposals/{proposal_id}/versions"): None,
        ("GET", "/api/proposals/{proposal_id}/comments"): None,
        ("POST", "/api/proposals/{proposal_id}/comments"): {"text": "probe comment"},
        ("POST", "/api/proposals/{proposal_id}/evaluation"): None,
        ("GET", "/api/proposals/{proposal_id}/evaluation"): None,
        ("GET", "/api/proposals/{proposal_id}/report"): None,
        ("GET", "/api/proposals/{proposal_id}/annex"): None,
        ("GET", "/api/proposals/{proposal_id}/geopackage"): None,
        ("GET", "/api/sections"): None,
        ("POST", "/api/sections"): {"name": f"probe {len(ids)}", "geometry": LINE_A},
        ("GET", "/api/sections/{section_id}"): None,
        ("PUT", "/api/sections/{section_id}/geometry"): {"based_on_version": 99, "geometry": LINE_A},
        ("POST", "/api/sections/{section_id}/acts"): {
            "step": "sign_off",
            "based_on_version": 99,
            "geometry_hash": "0" * 64,
        },
        ("GET", "/api/annex"): None,
        ("GET", "/api/history"): None,
        ("GET", "/api/history/verify"): None,
        ("GET", "/api/basemap"): None,
        ("GET", "/api/hillshade.png"): None,
        ("GET", "/api/parcels"): None,  # without its box: 422 to a reader, 401 to nobody
        ("GET", "/api/parcels/transfers"): None,
        # The browser pages (delimit.workspace.web): shells without workspace data; the JS asks the API.
        ("GET", "/"): None,
        ("GET", "/login"): None,
        **{("GET", path): None for path in PAGES},
    }


def _is_page(path: str) -> bool:
    return not path.startswith("/api/")


@pytest.fixture(scope="module")
def world(tmp_path_factory):  # type: ignore[no-untyped-def]
    store, pw = new_workspace(tmp_path_factory.mktemp("ws"), None)
    app = create_app(store, limiter=LoginLimiter(attempts=10_000))
    kg = Api(client(app), "head-kgz", pw["head-kgz"])
    tj = Api(client(app), "head-tjk", pw["head-tjk"])
    med = Api(client(app), "mediator", pw["mediator"])
    people = {"head-tjk": tj, "mediator": med}
    for user, role in (("tj-delegate", "delegate"), ("tj-observer", "observer")):
        one_time = tj.post("/api/accounts", json={"username": user, "role": role}).json()["one_time_password"]
        people[user] = Api(client(app), user, one_time)
    # KGZ's private work: a draft, internal comments (also on a shared proposal), an evaluation, a token.
    private = kg.post("/api/proposals", json=draft_body(f"kg-{MARK}", f"title {MARK}")).json()
    kg.post(f"/api/proposals/{private['id']}/comments", json={"text": f"comment {MARK}"})
    shared = kg.post("/api/proposals", json=draft_body("kg-open", "open")).json()
    shared = kg.post(f"/api/proposals/{shared['id']}/share", json={"based_on_version": 1}).json()
    kg.post(f"/api/proposals/{shared['id']}/comments", json={"text": f"internal {MARK}"})
    token = kg.post("/api/tokens", json={"name": f"token {MARK}"}).json()
    ws = app.state.workspace
    with store.write() as s:  # a finished evaluation of the private draft, as the evaluator stores it
        key = evaluation_key(private["scenario_hash"], ws.info.base_scenario, app.state.evaluator.sections)
        s.add(
            EvaluationRow(
                key=key,
                status="done",
                progress=1.0,
                message="done",
                result=canonical_json({"note": f"result {MARK}"}),
                created_at=utc_now(),
                finished_at=utc_now(),
            )
        )
    section = med.post("/api/sections", json={"name": "public section", "geometry": LINE_A}).json()
    ids = {"proposal_id": private["id"], "token_id": token["id"], "section_id": section["id"]}
    secrets_ = [MARK, private["id"], private["scenario_hash"], token["id"], token["token"], kg.csrf]
    yield store, app, kg, people, ids, secrets_, shared
    store.dispose()


def _routes(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {(m, r.path) for r in app.routes if isinstance(r, APIRoute) for m in r.methods}


def _call(api, method: str, path: str, ids: dict[str, str], body):  # type: ignore[no-untyped-def]
    url = path.format(**ids)
    kw = {} if body is None else {"json": body}
    return {"GET": api.get, "POST": api.post, "PUT": api.put, "DELETE": api.delete}[method](url, **kw)


def test_every_route_has_a_probe(world) -> None:  # type: ignore[no-untyped-def]
    _store, app, _kg, _people, ids, _secrets, _shared = world
    assert _routes(app) == set(_probes(ids))


@pytest.mark.parametrize("user", ["head-tjk", "tj-delegate", "tj-observer", "mediator"])
def test_no_route_shows_another_delegations_private_work(world, user) -> None:  # type: ignore[no-untyped-def]
    _store, _app, _kg, people, ids, secrets_, shared = world
    api = people[user]
    missing = {k: MISSING for k in ids}
    # Lists and counts: exactly the visible proposals, and the shared one's comments for all only.
    listed = {p["id"] for p in api.get("/api/proposals").json()}
    assert ids["proposal_id"] not in listed and shared["id"] in listed
    assert all(
        c["visibility"] == "all" or c["team"] != "KGZ"
        for c in api.get(f"/api/proposals/{shared['id']}/comments").json()
    )
    for (method, path), body in sorted(_probes(ids).items(), key=lambda x: x[0][1] == "/api/auth/logout"):
        r = _call(api, method, path, ids, body)
        assert r.status_code < 500, (method, path, r.text)
        seen = r.text + json.dumps(dict(r.headers))
        for s in secrets_:
            assert s not in seen, (user, method, path, s)
        if _is_page(path):  # a page shell is the same whatever object its URL names (the API decides)
            m = _call(api, method, path, missing, body)
            assert (r.status_code, r.text) == (m.status_code, m.text), (user, method, path)
        elif "{proposal_id}" in path or "{token_id}" in path:
            m = _call(api, method, path, missing, body)
            assert (r.status_code, r.json()) == (m.status_code, m.json()), (user, method, path)
            assert r.status_code in (403, 404), (
                user,
                method,
                path,
                r.status_code,
            )  # 403 only for the role, before any lookup


def test_role_refusals_come_before_any_lookup(world) -> None:  # type: ignore[no-untyped-def]
    """An observer is refused a write with 403 whether the object exists or not (no existence oracle)."""
    _store, app, _kg, _people, ids, _secrets, _shared = world
    obs = Api(client(app), "tj-observer", NEW_PASSWORD, change=False)  # the probe above logged it out
    a = obs.post(f"/api/proposals/{ids['proposal_id']}/share", json={"based_on_version": 1})
    b = obs.post(f"/api/proposals/{MISSING}/share", json={"based_on_version": 1})
    assert a.status_code == b.status_code == 403 and a.json() == b.json()


def test_nothing_but_health_and_login_answers_without_credentials(world) -> None:  # type: ignore[no-untyped-def]
    _store, app, _kg, _people, ids, _secrets, _shared = world
    anon = client(app)
    for (method, path), body in _probes(ids).items():
        if _is_page(path):  # pages send the browser to the log-in page (which alone renders without a session)
            r = anon.get(path.format(**ids), follow_redirects=False)
            if path == "/login":
                assert r.status_code == 200 and '"csrf": ""' in r.text and '"you": null' in r.text
            else:
                assert r.status_code == 303 and r.headers["location"].startswith(
                    "/login" if path != "/" else "/overview"
                ), (path, r.status_code)
            continue
        r = (
            _call(anon, method, path, ids, body)
            if method == "GET"
            else getattr(anon, method.lower())(path.format(**ids), **({} if body is None else {"json": body}))
        )
        if path == "/api/health":
            assert r.status_code == 200
        elif path == "/api/auth/login":
            assert r.status_code == 401  # wrong password
        else:
            assert r.status_code == 401, (method, path, r.status_code)
    for asset in (
        "/static/js/common.js",
        "/static/vendor/maplibre-gl/maplibre-gl.js",
    ):  # package files, the same for all
        assert anon.get(asset).status_code == 200
    assert anon.get("/static/%2e%2e/app.py").status_code == 404
    forged = client(app)
    forged.cookies.set("delimit_session", "forged")
    assert forged.get("/api/proposals").status_code == 401
    assert anon.get("/api/proposals", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_delegations_own_evaluation_is_visible_to_it(world) -> None:  # type: ignore[no-untyped-def]
    _store, _app, kg, _people, ids, _secrets, _shared = world
    r = kg.get(f"/api/proposals/{ids['proposal_id']}/evaluation")
    assert r.status_code == 200 and r.json()["result"] == {"note": f"result {MARK}"}
