"""Workspace server load benchmark (not a test): Locust, headless, on loopback only, bounded in time.

A fresh workspace is served by a real ``delimit serve`` process (SQLite, evaluations off). Simulated
delegates of both delegations, each with an API token, read (their proposal list, one of their drafts,
the sections, the history) and write (new drafts, edits based on the version they read, comments)
for a fixed time. Figures, each against a baseline measured in the same run on the same server:

1. p95 of the reads against the p95 of ``GET /api/health`` (the server's floor: routing, no database);
2. p95 of the writes against the same baseline;
3. then the server's event log is counted: it must equal the writes acknowledged (2xx) plus the
   events of the set-up, and the chain must verify. Any failed request or mismatch exits 1.

Each route class (proposals, proposal, sections, history; create, edit, comment) is also reported
on its own against the same baseline.

The simulated delegates are Locust ``FastHttpUser`` s (geventhttpclient): Locust runs on the same
machine as the server, and its ``HttpUser`` (python-requests) spends several times more CPU per
request than ``FastHttpUser``, CPU the server then lacks. The run also prints the load average at
its start and end, and the CPU seconds the server and the load generator each spent per request,
so that a figure measured on a busy machine can be told apart from a slow server.

Usage: ``python benchmarks/bench_workspace.py [--users 50] [--duration 120]`` (defaults: the issue's
50 users for 2 minutes).
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import gevent
import locust  # noqa: F401  (first: gevent patches the standard library on import)
import numpy as np
import requests
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report

ROOT = Path(__file__).resolve().parents[1]
ENTRY = "import sys; from delimit.cli import main; sys.exit(main(sys.argv[1:]))"
NEW_PASSWORD = "benchmark password 2026"
TIMES: dict[str, list[float]] = {"read": [], "write": [], "health": []}
#: Response times (ms) per route class (the request names below: proposals, sections, history, ...).
ROUTES: dict[str, list[float]] = {}
COUNTS = {"writes_ok": 0, "conflicts": 0, "failures": 0}
LOCK = threading.Lock()
TOKENS: list[str] = []
CORRIDOR = (ROOT / "src/delimit/data/fergana/scenarios/geometry/vorukh_corridor.geojson").read_text()


def draft(name: str, title: str) -> dict:
    import json

    yaml = (
        f'name: {name}\ntitle: "{title}"\ntransfers:\n  - id: c\n    from: KGZ\n    to: TJK\n    source: benchmark\n'
        "    geometry: {path: geometry/c.geojson}\n"
    )
    return {"scenario": yaml, "geometry": {"geometry/c.geojson": json.loads(CORRIDOR)}}


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response=None, exception=None, **kw) -> None:  # type: ignore[no-untyped-def]
    kind = "health" if name == "health" else ("read" if request_type == "GET" else "write")
    with LOCK:
        code = getattr(response, "status_code", 0)
        if exception is not None and code != 409:
            COUNTS["failures"] += 1
            return
        TIMES[kind].append(response_time)
        ROUTES.setdefault(f"{request_type} {name}", []).append(response_time)
        if kind == "write" and 200 <= code < 300:
            COUNTS["writes_ok"] += 1
        elif code == 409:
            COUNTS["conflicts"] += 1


class Delegate(FastHttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.auth = {"Authorization": "Bearer " + random.choice(TOKENS)}
        self.drafts: list[tuple[str, int]] = []
        self.n = 0

    @task(1)
    def health(self) -> None:
        self.client.get("/api/health", name="health", headers=self.auth)

    @task(6)
    def read(self) -> None:
        self.client.get("/api/proposals", name="proposals", headers=self.auth)
        self.client.get("/api/sections", name="sections", headers=self.auth)
        self.client.get("/api/history?limit=20", name="history", headers=self.auth)
        if self.drafts:
            self.client.get(f"/api/proposals/{random.choice(self.drafts)[0]}", name="proposal", headers=self.auth)

    @task(2)
    def write(self) -> None:
        self.n += 1
        if not self.drafts or random.random() < 0.4:
            r = self.client.post(
                "/api/proposals", json=draft(f"d{id(self) % 10**8}-{self.n}", "new"), name="create", headers=self.auth
            )
            if r.status_code == 201:
                self.drafts.append((r.json()["id"], 1))
            return
        i = random.randrange(len(self.drafts))
        pid, version = self.drafts[i]
        if random.random() < 0.5:
            self.client.post(
                f"/api/proposals/{pid}/comments", json={"text": f"note {self.n}"}, name="comment", headers=self.auth
            )
            return
        with self.client.put(
            f"/api/proposals/{pid}",
            json={**draft(f"d{id(self) % 10**8}-e{self.n}", "edited"), "based_on_version": version},
            name="edit",
            headers=self.auth,
            catch_response=True,
        ) as r:
            if r.status_code == 200:
                self.drafts[i] = (pid, r.json()["version"])
            elif r.status_code == 409:
                r.success()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _setup(folder: Path) -> tuple[subprocess.Popen, str, int]:
    """Initialise a workspace, start the server, make API tokens; returns (process, URL, events so far)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run(
        [sys.executable, "-c", ENTRY, "workspace", "init", str(folder), "--parties", "KGZ", "TJK", "--mediator"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    import re

    pw = dict(re.findall(r"│ (head-kgz|head-tjk|mediator)\s+│[^│]*│[^│]*│ (\S+)\s+│", out))
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", ENTRY, "serve", "--workspace", str(folder), "--port", str(port), "--no-evaluate"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if requests.get(f"{base}/api/health", timeout=1).ok:
                break
        except requests.RequestException:
            time.sleep(0.2)
    setup_writes = 0
    for user in ("head-kgz", "head-tjk"):
        s = requests.Session()
        csrf = s.post(f"{base}/api/auth/login", json={"username": user, "password": pw[user]}).json()["csrf_token"]
        s.post(
            f"{base}/api/auth/password",
            json={"old_password": pw[user], "new_password": NEW_PASSWORD},
            headers={"X-CSRF-Token": csrf},
        ).raise_for_status()
        for k in range(5):
            r = s.post(f"{base}/api/tokens", json={"name": f"bench {k}"}, headers={"X-CSRF-Token": csrf})
            r.raise_for_status()
            TOKENS.append(r.json()["token"])
        setup_writes += 6
        if user == "head-kgz":
            line = {"type": "LineString", "coordinates": [[70.5, 39.9], [70.55, 39.92]]}
            s.post(
                f"{base}/api/sections", json={"name": "bench section", "geometry": line}, headers={"X-CSRF-Token": csrf}
            ).raise_for_status()
            setup_writes += 1
    initial = 1 + len(pw)  # workspace.created + one account.created per first account
    return proc, base, initial + setup_writes


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--duration", type=float, default=120.0, help="seconds of load")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="delimit-bench-ws-") as d:
        folder = Path(d) / "ws"
        proc, base, setup_events = _setup(folder)
        load_start = os.getloadavg()[0]
        cpu_server, cpu_self = _cpu_seconds(proc.pid), time.process_time()
        try:
            # stop_timeout: at the end each user finishes the request it has in flight, so that every write
            # the server accepted is also acknowledged to (and counted by) a client.
            env = Environment(user_classes=[Delegate], host=base, events=events, stop_timeout=60)
            runner = env.create_local_runner()
            runner.start(args.users, spawn_rate=max(1, args.users // 5))
            gevent.spawn_later(args.duration, runner.quit)
            runner.greenlet.join()
            cpu_server, cpu_self = _cpu_seconds(proc.pid) - cpu_server, time.process_time() - cpu_self
            load_end = os.getloadavg()[0]
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        import sqlite3

        con = sqlite3.connect(folder / "workspace.sqlite3")
        n_events = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        con.close()
        verify = subprocess.run(
            [sys.executable, "-c", ENTRY, "workspace", "verify", str(folder)],
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
            capture_output=True,
            text=True,
        )
    p95 = {k: float(np.percentile(v, 95)) if v else float("nan") for k, v in TIMES.items()}
    n = sum(len(v) for v in TIMES.values())
    print(
        f"workspace load: {args.users} users (Locust FastHttpUser) for {args.duration:g} s on SQLite, loopback; requests: {n} "
        f"(reads {len(TIMES['read'])}, writes {len(TIMES['write'])}, health {len(TIMES['health'])}); failures {COUNTS['failures']}; stale-write 409s {COUNTS['conflicts']}"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load_start:.2f} at the start, {load_end:.2f} at the end; "
        f"CPU per request: server {1000 * cpu_server / max(n, 1):.2f} ms, load generator {1000 * cpu_self / max(n, 1):.2f} ms"
    )
    report("workspace read p95", p95["read"], "ms", "GET /api/health p95", p95["health"])
    report("workspace write p95", p95["write"], "ms", "GET /api/health p95", p95["health"])
    for route, times in sorted(ROUTES.items()):
        if route != "GET health":
            report(
                f"workspace {route} p95 ({len(times)} requests)",
                float(np.percentile(times, 95)),
                "ms",
                "GET /api/health p95",
                p95["health"],
            )
    expected = setup_events + COUNTS["writes_ok"]
    print(
        f"events in the log: {n_events}; set-up events + writes acknowledged: {expected}; verify: {verify.stdout.strip() or verify.stderr.strip()}"
    )
    ok = COUNTS["failures"] == 0 and n_events == expected and verify.returncode == 0
    print("workspace load: OK" if ok else "workspace load: FAILED (failures, event count mismatch or broken chain)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
