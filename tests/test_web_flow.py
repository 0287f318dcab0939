"""The workspace in Debian's Chromium (Playwright): a real ``delimit serve`` process, one browser and three
contexts (delegation KGZ, delegation TJK, the mediator) go through the negotiation on the pages.

KGZ draws a transfer on the map and sees its evaluation (its area checked against an independent
geodesic figure); TJK cannot see the draft; KGZ shares it; TJK opens it side by side with the status quo
and sees the same hatched polygon; KGZ edits the shared proposal on the drafting page (a new version
through the versions route): drags a vertex, picks parcels of the grid, marks a neutral road; both heads
sign a section off and the map turns it agreed; the history shows every step with the chain verified;
the annex downloads (and each proposal's report, annex and GeoPackage where the server has those
routes); KGZ moves a turning point of the agreed section, which withdraws the agreement; the edited
draft's evaluation moves the picked parcels' land (checked against the dataset's geodesic area). Every
page must request nothing outside the server (any such request fails the test), and axe-core finds no
serious or critical violation on the main pages. Screenshots of each step go to ``test-artifacts/web/``
with each step's wall time in ``timings.txt``.

Speed: one browser for all contexts, the second and third accounts log in through the API inside their
context (the log-in page itself is exercised once), and every wait is on a page state or response.
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


def log_in_api(ctx: Any, base: str, user: str, password: str) -> Any:
    """Log in through the API inside the browser context (its cookies are the context's); a new page."""
    r = ctx.request.post(f"{base}/api/auth/login", data={"username": user, "password": password})
    assert r.ok, r.text()
    csrf = r.json()["csrf_token"]
    r = ctx.request.post(
        f"{base}/api/auth/password",
        data={"old_password": password, "new_password": NEW_PASSWORD},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status == 204, r.text()
    return ctx.new_page()


def open_page(page: Any, path: str) -> None:
    """Go to a page and wait until it shows its data (the page sets body[data-ready])."""
    page.goto(path)
    page.wait_for_selector("body[data-ready='1']", timeout=60_000)


def to_screen(page: Any, lon: float, lat: float, container: str = "map") -> tuple[float, float]:
    """The page coordinates of (lon, lat) on a map, from the map's own projection."""
    box = page.locator(f"#{container} canvas").bounding_box()
    x, y = page.evaluate(
        "([c, lon, lat]) => { const p = window.delimitMaps[c].project([lon, lat]); return [p.x, p.y]; }",
        [container, lon, lat],
    )
    return box["x"] + x, box["y"] + y


def draw(page: Any, lonlats: list[tuple[float, float]]) -> None:
    """Click each vertex on the drawing map, then wait until the page counts them all."""
    for lon, lat in lonlats:
        page.mouse.click(*to_screen(page, lon, lat))
    page.wait_for_function(
        "n => document.getElementById('vertices').textContent.startsWith(String(n))", arg=len(lonlats)
    )


def drag(page: Any, start: tuple[float, float], end: tuple[float, float]) -> tuple[float, float]:
    """Drag on the map from one (lon, lat) to the whole pixel nearest another, in small mouse steps; the
    (lon, lat) of that pixel (mouse events carry whole pixels), read from the map's projection before the drag."""
    x, y = (round(v) for v in to_screen(page, *end))
    box = page.locator("#map canvas").bounding_box()
    lon, lat = page.evaluate(
        "([x, y]) => window.delimitMaps.map.unproject([x, y]).toArray()", [x - box["x"], y - box["y"]]
    )
    page.mouse.move(*to_screen(page, *start))
    page.mouse.down()
    page.mouse.move(x, y, steps=8)
    page.mouse.up()
    return lon, lat


def fit(page: Any, bounds: tuple[float, float, float, float], container: str = "map") -> None:
    page.evaluate(
        "([c, b]) => window.delimitMaps[c].fitBounds([[b[0], b[1]], [b[2], b[3]]], {padding: 60, duration: 0})",
        [container, list(bounds)],
    )


def claims_on(page: Any, container: str) -> list[Any]:
    return page.evaluate(
        f"async () => (await window.delimitMaps[{container!r}].getSource('claims').getData()).features.map(f => f.geometry)"
    )


def figure_km2(page: Any, table: str, label: str) -> float:
    cell = page.locator(f"{table} tr", has_text=label).locator("td").first
    return float(cell.inner_text().replace("km²", "").replace(",", "").strip())


def fetch_json(page: Any, url: str) -> Any:
    return json.loads(page.evaluate(f"async () => JSON.stringify(await (await fetch({url!r})).json())"))


def dataset_layer(layer: str) -> Any:
    import pyogrio

    from delimit.datasets import dataset_dir

    return pyogrio.read_dataframe(dataset_dir("fergana") / "fergana.gpkg", layer=layer)


def lonely_road(page: Any, area: Any) -> tuple[str, tuple[float, float]]:
    """A road of the dataset (read with pyogrio) crossing ``area`` whose middle lies 150 m from any other road."""
    roads = dataset_layer("roads")
    roads = roads[roads.intersects(area)]
    for _, r in roads.sort_values("road_id").iterrows():
        mid = r.geometry.intersection(area).interpolate(0.5, normalized=True)
        others = roads[roads["road_id"] != r["road_id"]]
        # 0.0015 degrees: about 130 m here, far more than the click tolerance of the road tool
        crowded = len(others) and shapely.distance(others.geometry.to_numpy(), mid).min() < 0.0015
        if mid.is_empty or not area.contains(mid) or crowded:
            continue
        return str(r["road_id"]), (mid.x, mid.y)
    raise AssertionError("no road on its own in the view")


def download(page: Any, selector: str) -> tuple[Any, bytes]:
    """Click a download link and wait (through any "preparing" state) for the file."""
    with page.expect_download(timeout=120_000) as dl:
        page.click(selector)
    return dl.value, Path(dl.value.path()).read_bytes()


def test_negotiation_in_the_browser(site, artifacts) -> None:  # type: ignore[no-untyped-def]
    pw, ctx, st, base = site["pw"], site["ctx"], site["state"], site["base"]
    axe: dict[str, list[str]] = {}  # serious and critical accessibility violations by page, from every main page
    (artifacts / "web" / "timings.txt").unlink(missing_ok=True)
    _T0[0] = time.monotonic()
    kg = log_in(ctx["head-kgz"], "head-kgz", pw["head-kgz"], artifacts, axe)
    shot(kg, artifacts, "01-kgz-overview")
    audit(kg, axe)

    # KGZ drafts a transfer by drawing on the map, and sees its evaluation.
    open_page(kg, "/draft")
    hull = shape(CORRIDOR["features"][0]["geometry"]).convex_hull.simplify(0.001)
    fit(kg, hull.bounds)
    draw(kg, [tuple(c) for c in list(hull.exterior.coords)[:-1]])
    kg.fill("#name", "kg-vorukh-corridor")
    kg.fill("#title", "Vorukh corridor (KGZ draft)")
    kg.select_option("#from", "KGZ")
    kg.select_option("#to", "TJK")
    kg.click("#draft-form button[type=submit]")
    kg.wait_for_selector("progress#progress:not([hidden])")
    kg.wait_for_selector("body[data-evaluated]", timeout=180_000)
    assert kg.get_attribute("body", "data-evaluated") == "done", kg.inner_text("#evaluation")
    shot(kg, artifacts, "02-kgz-draft-evaluated")
    audit(kg, axe)
    pid = kg.get_attribute("body", "data-proposal")
    st["pid"] = pid
    shown = figure_km2(kg, "#evaluation", "Land from KGZ to TJK")
    drawn = fetch_json(kg, f"/api/proposals/{pid}")["document"]["geometry"]
    polygon = drawn["geometry/transfer.geojson"]["features"][0]["geometry"]
    assert len(polygon["coordinates"][0]) == len(hull.exterior.coords)  # every click became a vertex, ring closed
    assert shown == pytest.approx(geodesic_km2_from("KGZ", polygon), rel=0.01)
    assert "schematic" in kg.inner_text("#evaluation .caveats")

    # TJK cannot see it: not listed, and its page answers like a missing proposal.
    tj = log_in_api(ctx["head-tjk"], base, "head-tjk", pw["head-tjk"])
    open_page(tj, "/overview")
    assert "Vorukh corridor" not in tj.inner_text("#proposals")
    tj.goto(f"/proposals/{pid}")
    tj.wait_for_selector("#status.error")
    assert "Vorukh corridor" not in tj.content()
    shot(tj, artifacts, "03-tjk-cannot-see-draft")

    # KGZ shares it.
    open_page(kg, f"/proposals/{pid}")
    kg.click("#share")
    kg.wait_for_selector("#share[hidden]", state="attached")
    assert "shared" in kg.inner_text("#meta")
    kg.wait_for_selector("body[data-evaluated='done']")
    shot(kg, artifacts, "04-kgz-shared")
    audit(kg, axe)
    kg_claims = claims_on(kg, "map")

    # TJK opens it side by side with the status quo: the same hatched polygon, the same figures.
    open_page(tj, f"/compare?left=status-quo&right={pid}")
    assert claims_on(tj, "map-right") == kg_claims and claims_on(tj, "map-left") == []
    fig = tj.locator("#figures tr", has_text="Land from KGZ to TJK").locator("td")
    assert fig.nth(0).inner_text() == "baseline: no change"
    assert float(fig.nth(1).inner_text().replace("km²", "").replace(",", "").strip()) == shown
    tj.evaluate("() => window.delimitMaps['map-left'].jumpTo({center: [70.57, 39.87], zoom: 12})")
    centre = tj.evaluate("() => window.delimitMaps['map-right'].getCenter().toArray()")
    assert centre == pytest.approx([70.57, 39.87], abs=1e-6)  # synchronised maps
    shot(tj, artifacts, "05-tjk-side-by-side")
    audit(tj, axe)

    # KGZ edits the shared proposal on the drafting page (a new version through the versions route): it drags a
    # vertex of the polygon, picks parcels of the grid and marks a neutral road; the engines start on it.
    kg.click("#edit-link")
    kg.wait_for_url("**/draft?from=*")
    kg.wait_for_selector("body[data-ready='1']")
    assert kg.is_visible("#editing-from")
    view = hull.buffer(0.01).bounds
    fit(kg, view)
    first = tuple(polygon["coordinates"][0][0])
    moved_to = drag(kg, first, (first[0] - 0.002, first[1] + 0.001))
    # the parcel grid over a smaller view (it is built for what is in view): south of the corridor, by Vorukh
    centre = hull.centroid
    view = (centre.x - 0.03, centre.y - 0.065, centre.x + 0.03, centre.y - 0.035)
    fit(kg, view)
    kg.check("input[name=tool][value=parcels]")
    kg.select_option("#parcel-size", "600")
    kg.click("#load-parcels")
    kg.wait_for_function("() => /^[0-9]+$/.test(document.body.dataset.parcels || '')", timeout=60_000)
    grid = kg.evaluate("async () => await window.delimitMaps.map.getSource('parcels').getData()")
    on_screen = shapely.box(*view).buffer(-0.003)
    tjk_land = shapely.union_all(dataset_layer("territory").query("party == 'TJK'").geometry.to_numpy())
    picks = [
        f
        for f in grid["features"]
        if f["properties"]["party"] == "TJK"
        and not shape(f["geometry"]).intersects(hull.buffer(0.004))
        and on_screen.contains(shape(f["geometry"]))
        and shape(f["geometry"]).area > 2e-5
    ][:2]
    assert len(picks) == 2, "no TJK parcel away from the corridor in view"
    for f in picks:
        pt = shape(f["geometry"]).representative_point()
        kg.mouse.click(*to_screen(kg, pt.x, pt.y))
    kg.wait_for_selector("body[data-picking='2']", timeout=60_000)
    assert "parcels moving from TJK to KGZ: 2" in kg.inner_text("#summary")
    kg.check("input[name=tool][value=road]")
    road, (rx, ry) = lonely_road(kg, on_screen)
    kg.mouse.click(*to_screen(kg, rx, ry))
    kg.wait_for_selector("body[data-neutral='1']")
    assert kg.get_attribute("#neutral-list li", "data-road") == road
    shot(kg, artifacts, "06-kgz-edit-parcels-road")
    audit(kg, axe)
    kg.fill("#name", "kg-vorukh-corridor-v2")
    kg.fill("#title", "Vorukh corridor with parcels and a neutral road (KGZ draft)")
    kg.click("#draft-form button[type=submit]")
    kg.wait_for_selector("progress#progress:not([hidden])")
    kg.wait_for_function("() => document.body.dataset.proposal")
    v2 = fetch_json(kg, f"/api/proposals/{kg.get_attribute('body', 'data-proposal')}")
    assert v2["parent_id"] == pid and v2["state"] == "draft" and v2["version"] == 2  # copied, then changed
    sc, geo = v2["document"]["scenario"], v2["document"]["geometry"]
    edited = geo["geometry/transfer.geojson"]["features"][0]["geometry"]["coordinates"][0]
    assert edited[0] == pytest.approx(list(moved_to), abs=2e-6) and edited[1:-1] == polygon["coordinates"][0][1:-1]
    parcels_tr = [t for t in sc["transfers"] if t["from"] == "TJK"]
    assert len(parcels_tr) == 1 and parcels_tr[0]["to"] == "KGZ"
    moved_land = shapely.union_all([shape(f["geometry"]) for f in picks])
    regime = next(r for r in sc["regimes"] if r["id"] == "open")  # the baseline's default regime, with the road
    assert regime["neutral_roads"] == [road] and regime["borders"]
    from delimit.model.regime import Regime

    Regime.model_validate(regime)  # the same model the CLI reads
    st["v2"] = v2["id"]

    # The mediator sets out a section; both heads sign it off; the map shows it agreed.
    med = log_in_api(ctx["mediator"], base, "mediator", pw["mediator"])
    api = Api(httpx.Client(base_url=base), "mediator", NEW_PASSWORD, change=False)
    sec = api.post("/api/sections", json={"name": "Vorukh north", "geometry": LINE_A}).json()
    st["section"] = sec["id"]
    for page, n in ((kg, "07"), (tj, "08")):
        open_page(page, f"/sections/{sec['id']}")
        page.click("#act")
        page.wait_for_selector("#status.info")
        shot(page, artifacts, f"{n}-{'kgz' if page is kg else 'tjk'}-sign-off")
        audit(page, axe)
    assert tj.get_attribute("#section-status", "data-status") == "agreed_ad_referendum"
    open_page(med, "/overview")
    assert med.get_attribute(f"#sections tr[data-section='{sec['id']}']", "data-status") == "agreed_ad_referendum"
    drawn_status = med.evaluate(
        "async () => (await window.delimitMaps.map.getSource('sections').getData()).features.map(f => f.properties.status)"
    )
    assert drawn_status == ["agreed_ad_referendum"]
    shot(med, artifacts, "09-mediator-overview-agreed")
    audit(med, axe)

    # The history shows every step, the chain verified (drafts only to their own delegation).
    for page in (kg, med):
        open_page(page, "/history")
        assert page.get_attribute("#verify", "data-ok") == "true"
        kinds = page.eval_on_selector_all("#timeline li", "els => els.map(e => e.dataset.kind)")
        for kind in ("workspace.created", "account.password_changed", "proposal.shared", "section.created"):
            assert kind in kinds, kind
        assert kinds.count("section.act") == 2
        assert ("proposal.drafted" in kinds) == (page is kg) and ("proposal.edited" in kinds) == (page is kg)
    shot(kg, artifacts, "10-history")
    audit(kg, axe)

    # The annex downloads, with the agreed section; and the files of each proposal, where the server has them.
    open_page(kg, "/downloads")
    got, text = download(kg, "#annex")
    assert got.suggested_filename == "annex.txt" and "Vorukh north" in text.decode("utf-8")
    routes = set(fetch_json(kg, "/openapi.json")["paths"])  # the app's routes (the file routes come with ws-server)
    check_file_downloads(kg, routes, pid)
    shot(kg, artifacts, "11-downloads")
    audit(kg, axe)

    # KGZ moves the agreed section on the drafting page: the agreement is withdrawn, the map says negotiating.
    open_page(kg, "/draft")
    kg.check("input[name=tool][value=section]")
    kg.select_option("#section-pick", sec["id"])
    mid = LINE_A["coordinates"][1]
    fit(kg, shapely.LineString(LINE_A["coordinates"]).buffer(0.01).bounds)
    target = drag(kg, tuple(mid), (mid[0], mid[1] + 0.004))
    kg.click("#save-section")
    kg.wait_for_selector("body[data-section-saved]")
    after = fetch_json(kg, f"/api/sections/{sec['id']}")
    assert after["status"] == "negotiating" and "withdrawn" in after["note"]
    assert after["geometry"]["coordinates"][1] == pytest.approx(list(target), abs=2e-6)
    assert after["geometry"]["coordinates"][0::2] == LINE_A["coordinates"][0::2]  # the ends stay put
    assert "withdrawn" in kg.inner_text("#section-note")
    shot(kg, artifacts, "12-kgz-section-moved-withdrawn")
    audit(kg, axe)

    # The edited draft's evaluation: the picked parcels' land moves to KGZ (geodesic oracle on the dataset).
    open_page(kg, f"/proposals/{st['v2']}")
    kg.wait_for_selector("body[data-evaluated]", timeout=180_000)
    assert kg.get_attribute("body", "data-evaluated") == "done", kg.inner_text("#evaluation")
    geod = Geod(ellps="WGS84")
    expected = abs(geod.geometry_area_perimeter(shapely.intersection(moved_land, tjk_land))[0]) / 1e6
    assert figure_km2(kg, "#evaluation", "Land from TJK to KGZ") == pytest.approx(expected, rel=0.02)
    kg.wait_for_function(  # its neutral road is drawn on its map, from its own scenario
        "async (road) => { const fc = await window.delimitMaps.map.getSource('neutral').getData();"
        " return fc.features.length > 0 && fc.features.every(f => f.properties.road_id === road); }",
        arg=road,
    )
    shot(kg, artifacts, "13-kgz-edited-draft-evaluated")

    # The log-in page in Kyrgyz: what is not translated shows in Russian, marked as such.
    fresh = kg.context.browser.new_context(base_url=base)
    site["guard"].attach(fresh)
    login = fresh.new_page()
    login.goto("/login?lang=ky")
    assert login.inner_text("#login-form button[type=submit]") == "Кирүү"
    assert login.get_attribute("label[for=new-password] .fallback", "lang") == "ru"
    shot(login, artifacts, "14-login-kyrgyz-fallback-russian")
    audit(login, axe)
    fresh.close()
    assert not axe, axe


#: The files of a proposal the downloads page links, with what each must be: (route, link, file suffix, test
#: of the content: HTML, a zip archive, an SQLite database - a GeoPackage is one).
FILES = [
    ("/api/proposals/{proposal_id}/report", "report", ".html", lambda b: b"<html" in b[:4000].lower()),
    ("/api/proposals/{proposal_id}/annex", "annex", ".zip", lambda b: b.startswith(b"PK\x03\x04")),
    ("/api/proposals/{proposal_id}/geopackage", "geopackage", ".gpkg", lambda b: b.startswith(b"SQLite format 3\x00")),
]


def check_file_downloads(page: Any, routes: set[str], pid: str) -> None:
    """Each file route the app has: its link on the downloads page gives a non-empty file of the right type."""
    import io
    import zipfile

    if "/api/annex" in routes and any("format" in p.get("name", "") for p in annex_params(page)):
        got, data = download(page, "#annex-zip")
        assert data[:4] == b"PK\x03\x04" and zipfile.ZipFile(io.BytesIO(data)).namelist(), got.suggested_filename
    for route, kind, suffix, is_right_type in FILES:
        if route not in routes:
            continue  # the route comes with another branch (ws-server); merged later
        got, data = download(page, f"#proposals tr[data-proposal='{pid}'] a[data-kind='{kind}']")
        assert data and is_right_type(data) and got.suggested_filename.endswith(suffix), (kind, data[:40])
        if kind == "annex":
            assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
        if kind == "geopackage":  # a GeoPackage names its layers in gpkg_contents
            import sqlite3
            import tempfile

            with tempfile.NamedTemporaryFile(suffix=".gpkg") as f:
                f.write(data)
                f.flush()
                with contextlib.closing(sqlite3.connect(f.name)) as db:
                    assert db.execute("SELECT count(*) FROM gpkg_contents").fetchone()[0] > 0
        if kind == "report":
            assert "</html>" in data.decode("utf-8").lower()


def annex_params(page: Any) -> list[dict[str, Any]]:
    spec = fetch_json(page, "/openapi.json")["paths"]["/api/annex"]["get"]
    return list(spec.get("parameters", []))
