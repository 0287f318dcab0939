"""Schemathesis against the workspace's ``/openapi.json``, authenticated as each role (an API token per
role): no 5xx, no response outside the documented status codes, content types and schemas. The
example budget is kept small for the normal suite: setting ``DELIMIT_SCHEMATHESIS_EXAMPLES`` raises it
and adds schemathesis' coverage phase (boundary values of every parameter)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from _workspace_helpers import LINE_A, Api, client, draft_body, new_workspace
from delimit.workspace.app import create_app
from delimit.workspace.auth import LoginLimiter

EXAMPLES = int(os.environ.get("DELIMIT_SCHEMATHESIS_EXAMPLES", "3"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _world() -> tuple[object, dict[str, dict[str, str]]]:
    folder = Path(tempfile.mkdtemp(prefix="delimit-st-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    store, pw = new_workspace(folder / "ws", None)
    app = create_app(store, limiter=LoginLimiter(attempts=1_000_000), evaluate=False)
    kg, tj, med = (Api(client(app), u, pw[u]) for u in ("head-kgz", "head-tjk", "mediator"))
    headers = {}
    for api, name in ((kg, "head-kgz"), (tj, "head-tjk"), (med, "mediator")):
        headers[name] = {
            "Authorization": "Bearer " + api.post("/api/tokens", json={"name": "schemathesis"}).json()["token"]
        }
    for user, role in (("kg-delegate", "delegate"), ("kg-observer", "observer")):
        one_time = kg.post("/api/accounts", json={"username": user, "role": role}).json()["one_time_password"]
        headers[user] = {
            "Authorization": "Bearer "
            + Api(client(app), user, one_time).post("/api/tokens", json={"name": "st"}).json()["token"]
        }
    p = kg.post("/api/proposals", json=draft_body("shared-one")).json()
    kg.post(f"/api/proposals/{p['id']}/share", json={"based_on_version": 1})
    med.post("/api/sections", json={"name": "a section", "geometry": LINE_A})
    return app, headers


APP, HEADERS = _world()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
# The coverage phase (boundary values of every parameter) multiplies the cases; it runs when the budget is raised.
FULL = "DELIMIT_SCHEMATHESIS_EXAMPLES" in os.environ
schema.config.phases.coverage.enabled = FULL


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_openapi_for_every_role(case) -> None:  # type: ignore[no-untyped-def]
    for headers in HEADERS.values():
        case.call_and_validate(headers=headers, checks=CHECKS)


def test_openapi_lists_every_route() -> None:
    paths = client(APP).get("/openapi.json").json()["paths"]
    assert "/api/proposals/{proposal_id}/share" in paths and "/api/sections/{section_id}/acts" in paths
    assert "/api/history/verify" in paths and "/api/auth/login" in paths
