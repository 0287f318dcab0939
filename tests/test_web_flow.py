"""The workspace in Debian's Chromium (Playwright): a real ``delimit serve`` process and three browser
contexts (delegation KGZ, delegation TJK, the mediator) go through the negotiation on the pages.

KGZ draws a transfer on the map and sees its evaluation (its area checked against an independent
geodesic figure); TJK cannot see the draft; KGZ shares it; TJK opens it side by side with the status quo
and sees the same hatched polygon; both heads sign a section off and the map turns it agreed; the history
shows every step with the chain verified; the annex downloads. Every page must request nothing outside
the server (any such request fails the test), and axe-core finds no serious or critical violation on
the main pages. Screenshots of each step go to ``test-artifacts/web/``.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import shape

from _workspace_helpers import CORRIDOR, LINE_A, NEW_PASSWORD, Api, start_server

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "web" / "vendor" / "axe-core" / "axe.min.js"

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is absent (.ci/run installs Debian's chromium)", allow_module_level=True)
from playwright import sync_api  # noqa: E402


def init_workspace(folder: Path) -> dict[str, str]:
    """``delimit workspace init`` with a mediator; the one-time passwords by user name."""
    from delimit.cli import main

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
    return pw


class Guard:
    """Aborts and records every request a page makes outside the server."""

    def __init__(self, base: str) -> None:
        self.base, self.outside = base, []

    def attach(self, ctx: Any) -> None:
        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith((self.base + "/", "data:", "blob:")):
                r.continue_()
            else:
                self.outside.append(url)
                r.abort()

        ctx.route("**/*", route)
        ctx.on(
            "request",
            lambda req: (
                None if req.url.startswith((self.base + "/", "data:", "blob:")) else self.outside.append(req.url)
            ),
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("web") / "ws"
    pw = init_workspace(folder)
    proc, base = start_server(folder)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        guard = Guard(base)
        ctxs = {}
        for user in ("head-kgz", "head-tjk", "mediator"):
            ctx = browser.new_context(
                base_url=base, viewport={"width": 1400, "height": 900}, accept_downloads=True, locale="en-GB"
            )
            guard.attach(ctx)
            ctxs[user] = ctx
        try:
            yield {"base": base, "pw": pw, "ctx": ctxs, "guard": guard, "folder": folder, "state": {}}
        finally:
            browser.close()
            proc.kill()
            proc.wait(timeout=30)
    assert not guard.outside, f"requests outside the server: {guard.outside}"


_T0 = [time.monotonic()]


def shot(page: Any, artifacts: Path, name: str) -> None:
    """A full-page screenshot of this step, and the step's wall time in ``timings.txt`` (for reading, not asserted)."""
    folder = artifacts / "web"
    folder.mkdir(exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    now = time.monotonic()
    with open(folder / "timings.txt", "a", encoding="utf-8") as f:
        f.write(f"{name}\t{now - _T0[0]:.1f} s\n")
    _T0[0] = now


SERIOUS = ("serious", "critical")


def audit(page: Any, found: dict[str, list[str]]) -> None:
    """Run axe-core on the page as it stands; record its serious and critical violations under the URL."""
    page.evaluate(
        AXE.read_text(encoding="utf-8") + "\n;true"
    )  # through the DevTools protocol: the page's CSP forbids inline scripts
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in SERIOUS
    ]
    if bad:
        found[page.url] = bad


def log_in(ctx: Any, user: str, password: str, artifacts: Path | None = None, found: dict | None = None) -> Any:
    """Log in on the log-in page, changing the one-time password; the page, now on the overview."""
    page = ctx.new_page()
    page.goto("/overview")
    assert "/login" in page.url  # no session: sent to the log-in page
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#password-form:not([hidden])")
    if artifacts is not None:
        shot(page, artifacts, "00-login-change-password")
    if found is not None:
        audit(page, found)
    page.fill("#new-password", NEW_PASSWORD)
    page.click("#password-form button[type=submit]")
    page.wait_for_url("**/overview")
    page.wait_for_selector("body[data-ready='1']")
    return page


def geodesic_km2_from(party: str, polygon: dict[str, Any]) -> float:
    """The geodesic area (WGS84 ellipsoid) of ``polygon`` within ``party``'s territory, read from the dataset."""
    import pyogrio

    from delimit.datasets import dataset_dir

    terr = pyogrio.read_dataframe(dataset_dir("fergana") / "fergana.gpkg", layer="territory")
    land = shapely.union_all(terr[terr["party"] == party].geometry.to_numpy())
    area, _ = Geod(ellps="WGS84").geometry_area_perimeter(shapely.intersection(shape(polygon), land))
    return abs(area) / 1e6


def draw(page: Any, lonlats: list[tuple[float, float]]) -> None:
    """Click each vertex on the drawing map (screen position from the map's own projection)."""
    box = page.locator("#map canvas").bounding_box()
    for lon, lat in lonlats:
        x, y = page.evaluate(
            "([lon, lat]) => { const p = window.delimitMaps.map.project([lon, lat]); return [p.x, p.y]; }", [lon, lat]
        )
        page.mouse.click(box["x"] + x, box["y"] + y)
        page.wait_for_timeout(60)


def claims_on(page: Any, container: str) -> list[Any]:
    return page.evaluate(
        f"async () => (await window.delimitMaps[{container!r}].getSource('claims').getData()).features.map(f => f.geometry)"
    )


def test_negotiation_in_the_browser(site, artifacts) -> None:  # type: ignore[no-untyped-def]
    pw, ctx, st = site["pw"], site["ctx"], site["state"]
    axe: dict[str, list[str]] = {}  # serious and critical accessibility violations by page, from every main page
    kg = log_in(ctx["head-kgz"], "head-kgz", pw["head-kgz"], artifacts, axe)
    shot(kg, artifacts, "01-kgz-overview")
    audit(kg, axe)

    # KGZ drafts a transfer by drawing on the map, and sees its evaluation.
    kg.goto("/draft")
    kg.wait_for_selector("body[data-ready='1']")
    hull = shape(CORRIDOR["features"][0]["geometry"]).convex_hull.simplify(0.001)
    kg.evaluate(
        "b => window.delimitMaps.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], {padding: 60, duration: 0})",
        list(hull.bounds),
    )
    draw(kg, [tuple(c) for c in list(hull.exterior.coords)[:-1]])
    kg.fill("#name", "kg-vorukh-corridor")
    kg.fill("#title", "Vorukh corridor (KGZ draft)")
    kg.select_option("#from", "KGZ")
    kg.select_option("#to", "TJK")
    kg.click("#draft-form button[type=submit]")
    kg.wait_for_selector("progress#progress:not([hidden])")
    kg.wait_for_selector("body[data-evaluated]", timeout=120_000)
    assert kg.get_attribute("body", "data-evaluated") == "done", kg.inner_text("#evaluation")
    shot(kg, artifacts, "02-kgz-draft-evaluated")
    audit(kg, axe)
    pid = kg.get_attribute("body", "data-proposal")
    st["pid"] = pid
    row = kg.locator("#evaluation tr", has_text="Land from KGZ to TJK")
    shown = float(row.locator("td").inner_text().replace("km²", "").replace(",", "").strip())
    drawn = json.loads(
        kg.evaluate(
            f"async () => JSON.stringify((await (await fetch('/api/proposals/{pid}')).json()).document.geometry)"
        )
    )
    polygon = drawn["geometry/transfer.geojson"]["features"][0]["geometry"]
    assert len(polygon["coordinates"][0]) == len(hull.exterior.coords)  # every click became a vertex, ring closed
    assert shown == pytest.approx(geodesic_km2_from("KGZ", polygon), rel=0.01)
    assert "schematic" in kg.inner_text("#evaluation .caveats")

    # TJK cannot see it: not listed, and its page answers like a missing proposal.
    tj = log_in(ctx["head-tjk"], "head-tjk", pw["head-tjk"])
    assert "Vorukh corridor" not in tj.inner_text("#proposals")
    tj.goto(f"/proposals/{pid}")
    tj.wait_for_selector("#status.error")
    assert "Vorukh corridor" not in tj.content()
    shot(tj, artifacts, "03-tjk-cannot-see-draft")

    # KGZ shares it.
    kg.goto(f"/proposals/{pid}")
    kg.wait_for_selector("body[data-ready='1']")
    kg.click("#share")
    kg.wait_for_selector("#share[hidden]", state="attached")
    assert "shared" in kg.inner_text("#meta")
    kg.wait_for_selector("body[data-evaluated='done']")
    shot(kg, artifacts, "04-kgz-shared")
    audit(kg, axe)
    kg_claims = claims_on(kg, "map")

    # TJK opens it side by side with the status quo: the same hatched polygon, the same figures.
    tj.goto(f"/compare?left=status-quo&right={pid}")
    tj.wait_for_selector("body[data-ready='1']", timeout=120_000)
    assert claims_on(tj, "map-right") == kg_claims and claims_on(tj, "map-left") == []
    fig = tj.locator("#figures tr", has_text="Land from KGZ to TJK").locator("td")
    assert fig.nth(0).inner_text() == "baseline: no change"
    assert float(fig.nth(1).inner_text().replace("km²", "").replace(",", "").strip()) == shown
    tj.evaluate("() => window.delimitMaps['map-left'].jumpTo({center: [70.57, 39.87], zoom: 12})")
    centre = tj.evaluate("() => window.delimitMaps['map-right'].getCenter().toArray()")
    assert centre == pytest.approx([70.57, 39.87], abs=1e-6)  # synchronised maps
    shot(tj, artifacts, "05-tjk-side-by-side")
    audit(tj, axe)

    # The mediator sets out a section; both heads sign it off; the map shows it agreed.
    med = log_in(ctx["mediator"], "mediator", pw["mediator"])
    api = Api(httpx.Client(base_url=site["base"]), "mediator", NEW_PASSWORD, change=False)
    sec = api.post("/api/sections", json={"name": "Vorukh north", "geometry": LINE_A}).json()
    st["section"] = sec["id"]
    for page, n in ((kg, "06"), (tj, "07")):
        page.goto(f"/sections/{sec['id']}")
        page.wait_for_selector("body[data-ready='1']")
        page.click("#act")
        page.wait_for_selector("#status.info")
        shot(page, artifacts, f"{n}-{'kgz' if page is kg else 'tjk'}-sign-off")
        audit(page, axe)
    assert tj.get_attribute("#section-status", "data-status") == "agreed_ad_referendum"
    med.goto("/overview")
    med.wait_for_selector("body[data-ready='1']")
    assert med.get_attribute(f"#sections tr[data-section='{sec['id']}']", "data-status") == "agreed_ad_referendum"
    drawn_status = med.evaluate(
        "async () => (await window.delimitMaps.map.getSource('sections').getData()).features.map(f => f.properties.status)"
    )
    assert drawn_status == ["agreed_ad_referendum"]
    shot(med, artifacts, "08-mediator-overview-agreed")
    audit(med, axe)

    # The history shows every step, the chain verified (the draft's creation only to its own delegation).
    for page in (kg, med):
        page.goto("/history")
        page.wait_for_selector("body[data-ready='1']")
        assert page.get_attribute("#verify", "data-ok") == "true"
        kinds = page.eval_on_selector_all("#timeline li", "els => els.map(e => e.dataset.kind)")
        for kind in ("workspace.created", "account.password_changed", "proposal.shared", "section.created"):
            assert kind in kinds, kind
        assert kinds.count("section.act") == 2
        assert ("proposal.drafted" in kinds) == (page is kg)
    shot(kg, artifacts, "09-history")
    audit(kg, axe)

    # The annex downloads, with the agreed section.
    kg.goto("/downloads")
    kg.wait_for_selector("body[data-ready='1']")
    with kg.expect_download() as dl:
        kg.click("#annex")
    text = Path(dl.value.path()).read_text(encoding="utf-8")
    assert dl.value.suggested_filename == "annex.txt" and "Vorukh north" in text
    shot(kg, artifacts, "10-downloads")
    audit(kg, axe)

    # The log-in page in Kyrgyz: what is not translated shows in Russian, marked as such.
    fresh = kg.context.browser.new_context(base_url=site["base"])
    site["guard"].attach(fresh)
    login = fresh.new_page()
    login.goto("/login?lang=ky")
    assert login.inner_text("#login-form button[type=submit]") == "Кирүү"
    assert login.get_attribute("label[for=new-password] .fallback", "lang") == "ru"
    shot(login, artifacts, "11-login-kyrgyz-fallback-russian")
    audit(login, axe)
    fresh.close()
    assert not axe, axe
