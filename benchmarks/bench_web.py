"""First meaningful paint of the workspace overview in Chromium (not a test).

A fresh workspace (embedded Fergana data, one section) is served by a real ``delimit serve`` process on
loopback; Debian's Chromium, headless through Playwright, logs in and opens the overview repeatedly.
The figure is the time from navigation start to the page's ``delimit-ready`` mark, set once the map has
drawn the base data and the relief image (MapLibre's ``load``: the first visually complete frame) and the sections and
proposals tables are filled. The baseline, measured in the same run and browser: the first contentful
paint of the log-in page (a server-rendered page with no map and no API call). Medians of ``--runs``
loads each, after one warm-up load (which fills the server's base-map cache). The issue asks for under
2 s on the embedded data; the figure is printed, not asserted.

Usage: ``python benchmarks/bench_web.py [--runs 5]``
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report

ROOT = Path(__file__).resolve().parents[1]
ENTRY = "import sys; from delimit.cli import main; sys.exit(main(sys.argv[1:]))"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NEW_PASSWORD = "benchmark password 2026"
LINE = {"type": "LineString", "coordinates": [[70.50, 39.90], [70.55, 39.92], [70.60, 39.93]]}


def serve(folder: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-c", ENTRY, "serve", "--workspace", str(folder), "--port", str(port), "--no-evaluate"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return proc, base
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def prepare(folder: Path) -> dict[str, str]:
    """Initialise the workspace; a section set out by the mediator; the heads' passwords changed."""
    sys.path.insert(0, str(ROOT / "src"))
    from delimit.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert (
            main(
                ["workspace", "init", str(folder), "--scenario", "status-quo", "--parties", "KGZ", "TJK", "--mediator"]
            )
            == 0
        )
    return dict(re.findall(r"│ (head-kgz|head-tjk|mediator)\s+│[^│]*│[^│]*│ (\S+)\s+│", out.getvalue()))


def log_in(base: str, user: str, password: str) -> httpx.Client:
    http = httpx.Client(base_url=base)
    csrf = http.post("/api/auth/login", json={"username": user, "password": password}).json()["csrf_token"]
    http.post(
        "/api/auth/password",
        json={"old_password": password, "new_password": NEW_PASSWORD},
        headers={"X-CSRF-Token": csrf},
    )
    return http


def measure(base: str, runs: int) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        ctx = browser.new_context(base_url=base, viewport={"width": 1400, "height": 900})
        page = ctx.new_page()
        page.goto("/login")
        page.fill("#username", "head-kgz")
        page.fill("#password", NEW_PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("body[data-ready='1']", timeout=120_000)  # the warm-up load of the overview
        overview, login = [], []
        for _ in range(runs):
            page.goto("/overview")
            page.wait_for_selector("body[data-ready='1']", timeout=120_000)
            overview.append(page.evaluate("() => performance.getEntriesByName('delimit-ready')[0].startTime"))
            page.goto("/login")
            page.wait_for_function("() => performance.getEntriesByName('first-contentful-paint').length > 0")
            login.append(page.evaluate("() => performance.getEntriesByName('first-contentful-paint')[0].startTime"))
        browser.close()
    return overview, login


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"SKIP: {CHROMIUM} is absent")
        return 0
    with tempfile.TemporaryDirectory(prefix="delimit-bench-web-") as d:
        folder = Path(d) / "ws"
        pw = prepare(folder)
        proc, base = serve(folder)
        try:
            med = httpx.Client(base_url=base)
            csrf = med.post("/api/auth/login", json={"username": "mediator", "password": pw["mediator"]}).json()[
                "csrf_token"
            ]
            med.post(
                "/api/auth/password",
                json={"old_password": pw["mediator"], "new_password": NEW_PASSWORD},
                headers={"X-CSRF-Token": csrf},
            )
            med.post("/api/sections", json={"name": "Vorukh", "geometry": LINE}, headers={"X-CSRF-Token": csrf})
            log_in(base, "head-kgz", pw["head-kgz"])
            overview, login = measure(base, args.runs)
        finally:
            proc.kill()
            proc.wait(timeout=30)
    o, b = statistics.median(overview), statistics.median(login)
    print(f"overview first meaningful paint, ms: {[round(x) for x in overview]} (issue's target: under 2000 ms)")
    print(f"log-in page first contentful paint, ms: {[round(x) for x in login]}")
    report(
        "overview first meaningful paint (embedded data, median)",
        o,
        "ms",
        "log-in page first contentful paint (median)",
        b,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
