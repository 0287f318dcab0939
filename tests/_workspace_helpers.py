"""Helpers for the workspace tests: a workspace on SQLite or PostgreSQL, logged-in API clients, drafts."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

# Fast argon2 parameters for the tests (before delimit.workspace.auth is imported); servers started by
# the tests inherit it. Production keeps argon2-cffi's default profile.
os.environ.setdefault("DELIMIT_WORKSPACE_ARGON2", "cheapest")

from delimit.datasets import bundled_scenario_files

PG_ENV = "DELIMIT_TEST_PG"
NEW_PASSWORD = "correct horse battery staple"

#: The illustrative corridor polygon shipped with the bundled scenarios (a real transfer geometry).
CORRIDOR = json.loads(
    (bundled_scenario_files()["status-quo"].parent / "geometry" / "vorukh_corridor.geojson").read_text()
)

LINE_A = {"type": "LineString", "coordinates": [[70.50, 39.90], [70.55, 39.92], [70.60, 39.93]]}
LINE_B = {"type": "LineString", "coordinates": [[70.50, 39.90], [70.55, 39.925], [70.60, 39.93]]}


def draft_yaml(name: str, title: str = "", *, to: str = "TJK", frm: str = "KGZ") -> str:
    return f"""schema_version: 1
name: {name}
title: "{title or name}"
status: illustrative
transfers:
  - id: corridor
    from: {frm}
    to: {to}
    status: illustrative
    source: test draft
    geometry: {{path: geometry/corridor.geojson}}
"""


def draft_body(name: str, title: str = "") -> dict[str, Any]:
    return {"scenario": draft_yaml(name, title), "geometry": {"geometry/corridor.geojson": CORRIDOR}}


BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not os.environ.get(PG_ENV),
            reason=f"{PG_ENV} (a PostgreSQL DSN) is not set: .ci/run starts a cluster and sets it",
        ),
    ),
]


@contextmanager
def database(backend: str, folder: Path) -> Iterator[tuple[Path | None, str | None]]:
    """(folder, None) for SQLite; (None, URL of a fresh throwaway schema) for PostgreSQL."""
    if backend == "sqlite":
        yield folder, None
        return
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = os.environ[PG_ENV]
    name = f"delimit_test_{secrets.token_hex(6)}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield (
            None,
            make_url(dsn).update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(hide_password=False),
        )
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def new_workspace(folder: Path | None, db: str | None, *, mediator: bool = True) -> tuple[Any, dict[str, str]]:
    """Initialise a KGZ-TJK workspace; the store and the one-time passwords by user name."""
    from delimit.workspace.admin import init_workspace
    from delimit.workspace.db import Store

    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    store = Store.open(folder, db, must_exist=False)
    accounts = init_workspace(store, scenario="status-quo", parties=["KGZ", "TJK"], mediator=mediator)
    return store, {a.username: a.password for a in accounts}


class Api:
    """A logged-in client (TestClient or httpx.Client) that sends the CSRF token with every write."""

    def __init__(self, http: Any, username: str, password: str, *, change: bool = True) -> None:
        self.http = http
        r = http.post("/api/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        self.csrf = r.json()["csrf_token"]
        self.username = username
        if change:
            r = self.post("/api/auth/password", json={"old_password": password, "new_password": NEW_PASSWORD})
            assert r.status_code == 204, r.text

    def _h(self, kw: dict[str, Any]) -> dict[str, Any]:
        return {**kw, "headers": {"X-CSRF-Token": self.csrf, **kw.get("headers", {})}}

    def get(self, url: str, **kw: Any) -> Any:
        return self.http.get(url, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self.http.post(url, **self._h(kw))

    def put(self, url: str, **kw: Any) -> Any:
        return self.http.put(url, **self._h(kw))

    def delete(self, url: str, **kw: Any) -> Any:
        return self.http.delete(url, **self._h(kw))


def client(app: Any) -> Any:
    """A fresh TestClient (own cookie jar) on ``app``."""
    from fastapi.testclient import TestClient

    return TestClient(app, base_url="http://127.0.0.1")


#: Runs the ``delimit`` CLI in a subprocess from this checkout's ``src`` (as the installed entry point would).
ENTRY = "import sys; from delimit.cli import main; sys.exit(main(sys.argv[1:]))"
SRC = str(Path(__file__).resolve().parents[1] / "src")


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(folder: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    """``delimit serve`` on a free loopback port; (process, base URL) once /api/health answers."""
    import httpx

    port = free_port()
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-c", ENTRY, "serve", "--workspace", str(folder), "--port", str(port), *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
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
