"""A real ``delimit serve`` process: the whole negotiation flow over HTTP, ``workspace verify`` on the
result and on a hand-altered event, and a server killed with SIGKILL in the middle of writes that
restarts with every acknowledged write present and the chain intact."""

from __future__ import annotations

import re
import signal
import sqlite3
import threading
import time

import httpx
import pytest

from _workspace_helpers import LINE_A, LINE_B, NEW_PASSWORD, Api, client, draft_body, start_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory):  # type: ignore[no-untyped-def]
    """One workspace created by 'delimit workspace init' and served by 'delimit serve' for the module's tests
    (they run in order: the flow, then the kill in the middle of writes, then tampering)."""
    from delimit.cli import main

    folder = tmp_path_factory.mktemp("served") / "ws"
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert (
            main(
                ["workspace", "init", str(folder), "--scenario", "status-quo", "--parties", "KGZ", "TJK", "--mediator"]
            )
            == 0
        )
    pw = dict(re.findall(r"│ (head-kgz|head-tjk|mediator)\s+│[^│]*│[^│]*│ (\S+)\s+│", out.getvalue()))
    assert set(pw) == {"head-kgz", "head-tjk", "mediator"}
    proc, base = start_server(folder, "--no-evaluate")
    yield folder, proc, base, pw
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=30)


def test_whole_flow_over_http_then_verify(served, cli) -> None:  # type: ignore[no-untyped-def]
    folder, _proc, base, pw = served
    kg = Api(httpx.Client(base_url=base), "head-kgz", pw["head-kgz"])
    tj = Api(httpx.Client(base_url=base), "head-tjk", pw["head-tjk"])
    med = Api(httpx.Client(base_url=base), "mediator", pw["mediator"])
    a = kg.post("/api/proposals", json=draft_body("kg-line", "Kyrgyz line")).json()
    b = tj.post("/api/proposals", json=draft_body("tj-line", "Tajik line")).json()
    assert [p["id"] for p in kg.get("/api/proposals").json()] == [a["id"]]
    assert [p["id"] for p in tj.get("/api/proposals").json()] == [b["id"]]
    kg.post(f"/api/proposals/{a['id']}/share", json={"based_on_version": 1})
    assert {p["id"] for p in tj.get("/api/proposals").json()} == {a["id"], b["id"]}
    assert [p["id"] for p in kg.get("/api/proposals").json()] == [a["id"]]  # TJK's draft stays hidden
    assert tj.get(f"/api/proposals/{a['id']}").json()["state"] == "shared"
    sec = med.post("/api/sections", json={"name": "Vorukh", "geometry": LINE_A}).json()
    for who in (kg, tj):
        sec = who.post(
            f"/api/sections/{sec['id']}/acts",
            json={"step": "sign_off", "geometry_hash": sec["geometry_hash"], "based_on_version": sec["version"]},
        ).json()
    assert sec["status"] == "agreed_ad_referendum"
    sec = tj.put(
        f"/api/sections/{sec['id']}/geometry", json={"based_on_version": sec["version"], "geometry": LINE_B}
    ).json()
    assert sec["status"] == "negotiating" and "withdrawn" in sec["note"]
    assert kg.get("/api/history/verify").json()["ok"] is True
    r = cli("workspace", "verify", folder)
    assert r.code == 0 and "chain intact" in r.out


def test_sigkill_in_the_middle_of_writes_loses_no_acknowledged_write(served, cli) -> None:  # type: ignore[no-untyped-def]
    folder, proc, base, _pw = served
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    kg = Api(httpx.Client(base_url=base), "head-kgz", NEW_PASSWORD, change=False)
    token = kg.post("/api/tokens", json={"name": "writer"}).json()["token"]
    before = {p["id"] for p in kg.get("/api/proposals").json()}

    def writer(k: int) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    r = http.post("/api/proposals", json=draft_body(f"w{k}-{i}"))
                except httpx.HTTPError:
                    return  # the server is gone: this write was never acknowledged
                if r.status_code == 201:
                    with lock:
                        acknowledged.append(r.json()["id"])

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 12 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)  # writers are still sending
    proc.wait(timeout=30)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert len(acknowledged) >= 12
    r = cli("workspace", "verify", folder)
    assert r.code == 0, r.err
    # Restart the server application on the crashed database (in this process: the code 'serve' runs).
    from delimit.workspace.app import create_app
    from delimit.workspace.db import Store

    store = Store.open(folder)
    store.migrate()
    try:
        kg = Api(client(create_app(store)), "head-kgz", NEW_PASSWORD, change=False)
        stored = {p["id"] for p in kg.get("/api/proposals").json()} - before
        assert set(acknowledged) <= stored
        assert len(stored) - len(acknowledged) <= 4  # at most one write per writer cut off unacknowledged
        assert kg.get("/api/history/verify").json()["ok"] is True
    finally:
        store.dispose()


def test_verify_names_an_event_altered_by_hand(served, cli) -> None:  # type: ignore[no-untyped-def]
    folder, _proc, _base, _pw = served
    con = sqlite3.connect(folder / "workspace.sqlite3")
    n = con.execute("SELECT seq FROM events WHERE kind = 'proposal.shared'").fetchone()[0]
    con.execute("UPDATE events SET payload = replace(payload, 'Kyrgyz line', 'Kyrgyz lime') WHERE seq = ?", (n,))
    con.commit()
    con.close()
    r = cli("workspace", "verify", folder)
    assert r.code == 1 and f"event {n}:" in r.err
