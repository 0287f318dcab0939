"""A real ``delimit serve`` process: the whole negotiation flow over HTTP, ``workspace verify`` on the
result and on a hand-altered event, and a server killed with SIGKILL in the middle of writes that
restarts with every acknowledged write present and the chain intact."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from _workspace_helpers import LINE_A, LINE_B, Api, draft_body

pytestmark = pytest.mark.slow

ENTRY = "import sys; from delimit.cli import main; sys.exit(main(sys.argv[1:]))"
SRC = str(Path(__file__).resolve().parents[1] / "src")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(folder: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-c", ENTRY, "serve", "--workspace", str(folder), "--port", str(port), "--no-evaluate"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("server did not start")


def _init(cli, folder: Path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    r = cli("workspace", "init", folder, "--scenario", "status-quo", "--parties", "KGZ", "TJK", "--mediator")
    assert r.code == 0, r.err
    return dict(re.findall(r"│ (head-kgz|head-tjk|mediator)\s+│[^│]*│[^│]*│ (\S+)\s+│", r.out))


def test_whole_flow_over_http_then_verify(tmp_path, cli) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "ws"
    pw = _init(cli, folder)
    assert set(pw) == {"head-kgz", "head-tjk", "mediator"}
    proc, base = _start(folder)
    try:
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
            sec = who.post(f"/api/sections/{sec['id']}/acts", json={"step": "sign_off", "geometry_hash": sec["geometry_hash"], "based_on_version": sec["version"]}).json()
        assert sec["status"] == "agreed_ad_referendum"
        sec = tj.put(f"/api/sections/{sec['id']}/geometry", json={"based_on_version": sec["version"], "geometry": LINE_B}).json()
        assert sec["status"] == "negotiating" and "withdrawn" in sec["note"]
        assert kg.get("/api/history/verify").json()["ok"] is True
        r = cli("workspace", "verify", folder)
        assert r.code == 0 and "chain intact" in r.out
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    con = sqlite3.connect(folder / "workspace.sqlite3")
    n = con.execute("SELECT seq FROM events WHERE kind = 'proposal.shared'").fetchone()[0]
    con.execute("UPDATE events SET payload = replace(payload, 'Kyrgyz line', 'Kyrgyz lime') WHERE seq = ?", (n,))
    con.commit()
    con.close()
    r = cli("workspace", "verify", folder)
    assert r.code == 1 and f"event {n}:" in r.err


def test_sigkill_in_the_middle_of_writes_loses_no_acknowledged_write(tmp_path, cli) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "ws"
    pw = _init(cli, folder)
    proc, base = _start(folder)
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    try:
        kg = Api(httpx.Client(base_url=base), "head-kgz", pw["head-kgz"])
        token = kg.post("/api/tokens", json={"name": "writer"}).json()["token"]

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
        while len(acknowledged) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        stop.set()
        for t in threads:
            t.join(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert len(acknowledged) >= 20
    r = cli("workspace", "verify", folder)
    assert r.code == 0, r.err
    # Restart the server application on the crashed database (in this process: same code as 'serve').
    from delimit.workspace.app import create_app
    from delimit.workspace.db import Store

    from _workspace_helpers import NEW_PASSWORD, client

    store = Store.open(folder)
    store.migrate()
    try:
        kg = Api(client(create_app(store)), "head-kgz", NEW_PASSWORD, change=False)
        stored = {p["id"] for p in kg.get("/api/proposals").json()}
        assert set(acknowledged) <= stored
        assert len(stored) - len(acknowledged) <= 4  # at most one write per writer was cut off unacknowledged
        assert kg.get("/api/history/verify").json()["ok"] is True
    finally:
        store.dispose()
