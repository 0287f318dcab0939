"""The report: synthetic scenarios (fast) and the bundled Fergana scenarios in headless chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from delimit.impact import UnitCosts
from delimit.report import build_report, party_colours
from delimit.report.plots import CUT_OFF, NOT_MODELLED, population_by_band
from test_impact import EAST, ROADS, S1, S2, VILLAGES, WEST, make_scenario


def _local_refs(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"#][^"]*)"', html)


@pytest.fixture(scope="module")
def synthetic_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    base = make_scenario(
        "base",
        [("a1", "AAA", WEST, "de-facto"), ("b1", "BBB", EAST, "de-facto")],
        settlements=VILLAGES,
        roads=ROADS,
        status="de-facto",
    )
    other = make_scenario(
        "swap",
        [
            ("a1", "AAA", WEST.difference(S1).union(S2), "illustrative"),
            ("b1", "BBB", EAST.difference(S2).union(S1), "illustrative"),
        ],
        settlements=VILLAGES,
        roads=ROADS,
    )
    out = tmp_path_factory.mktemp("synthetic-report")
    costs = UnitCosts(
        source="synthetic unit costs for a test", currency="USD", household_size=5, per_resettled_household=100.0
    )
    res = build_report(base, [base, other], out, costs=costs)
    return out, res


def test_synthetic_report_is_self_contained(synthetic_report) -> None:  # type: ignore[no-untyped-def]
    out, res = synthetic_report
    html = (out / "index.html").read_text(encoding="utf-8")
    for ref in _local_refs(html):
        assert "://" not in ref and not ref.startswith("//"), ref
        assert (out / ref).is_file(), ref
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    for f in res.files:
        assert (out / f).is_file()
    assert res.summary[0]["scenario"] == "swap" and res.summary[0]["balanced"] is True


def test_synthetic_report_numbers_and_marks(synthetic_report) -> None:  # type: ignore[no-untyped-def]
    out, _res = synthetic_report
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "BUILT ON HAND-MADE DATA" in html and "territory: illustrative" in html
    assert "Westswap" in html and "Eastswap" in html  # villages changing country are named
    assert "synthetic unit costs for a test" in html  # the costs' source is shown
    assert "Lambert azimuthal equal-area" in html
    doc = json.loads((out / "comparisons.json").read_text(encoding="utf-8"))
    comp = doc["comparisons"][0]
    assert comp["costs"]["lines"][0]["quantity"] == 300  # ceil(1500 / 5)
    assert doc["provenance"]["swap"]["scenario"] == "swap"
    assert doc["data_marks"]["territory"] == ["illustrative"]


def test_palette_is_by_sorted_id_only() -> None:
    a = party_colours(["TJK", "KGZ", "UZB"])
    b = party_colours(["UZB", "KGZ", "TJK"])
    assert a == b and len(set(a.values())) == 3
    assert list(a) == ["KGZ", "TJK", "UZB"]


def test_population_bands_separate_cut_off_from_not_modelled() -> None:
    import pandas as pd

    rows = pd.DataFrame(
        {
            "population": [100, 200, 300, 400, 50],
            "minutes": [10.0, 45.0, float("nan"), float("nan"), 500.0],
            "reachable": [True, True, False, False, True],
            "note": ["", "", "", "off the road network", ""],
        }
    )
    s = population_by_band(rows)
    assert s["< 30 min"] == 100 and s["30-60 min"] == 200 and s[">= 240 min"] == 50
    assert s[CUT_OFF] == 300 and s[NOT_MODELLED] == 400
    assert s.sum() == rows["population"].sum()


def test_cli_report_bad_costs_writes_nothing(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "c.yaml"
    bad.write_text("source: ''\ncurrency: USD\nper_km_bypass_road: 3\n")
    out = tmp_path / "rep"
    r = cli("report", "status-quo", "-o", out, "--costs", bad)
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    assert not out.exists()


def test_cli_report_unknown_scenario(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "rep"
    r = cli("report", "no-such-scenario", "-o", out)
    assert r.code == 2 and "unknown scenario" in r.err
    assert not out.exists()


# ---------------------------------------------------------------- bundled data, real browser


# ``fergana_report`` (conftest): ``delimit report status-quo tj-corridor-claim --pdf``, built once per session.


@pytest.mark.slow
def test_fergana_report_content(fergana_report: Path) -> None:
    html = (fergana_report / "index.html").read_text(encoding="utf-8")
    doc = json.loads((fergana_report / "comparisons.json").read_text(encoding="utf-8"))
    comp = doc["comparisons"][0]
    assert comp["scenario"] == "tj-corridor-claim" and comp["land"][0]["from"] == "KGZ"
    assert "territory: illustrative" in html and "roads: schematic" in html
    assert "No cost estimate" in html  # no --costs: the report says so
    pdf = fergana_report / "report.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    for ref in _local_refs(html):
        assert (fergana_report / ref).is_file(), ref


@pytest.mark.slow
@pytest.mark.browser
def test_report_in_headless_chromium(fergana_report: Path, artifacts: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian chromium is not installed")
    failed: list[str] = []
    external: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("requestfailed", lambda r: failed.append(f"{r.url}: {r.failure}"))
            page.on("request", lambda r: external.append(r.url) if not r.url.startswith(("file://", "data:")) else None)
            page.goto((fergana_report / "index.html").as_uri(), wait_until="load")
            images = page.evaluate(
                "() => Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])"
            )
            page.screenshot(path=str(artifacts / "report-fergana.png"), full_page=False)
        finally:
            browser.close()
    assert not failed, failed
    assert not external, external
    assert len(images) >= 5
    broken = [src for src, complete, width in images if not complete or width <= 0]
    assert not broken, broken
    assert (artifacts / "report-fergana.png").stat().st_size > 10000


# ---------------------------------------------------------------- issue 12: the report a reader meets

#: Pages of report.pdf for status-quo and tj-corridor-claim: 28 before the layout was mended (one
#: figure per page, tables pushed whole to the next page, leaving pages half empty), 22 after; 25 once the
#: data gained the skeleton roads, cited checkpoints and off-road columns (more rows and notes, same layout).
PDF_PAGES_MAX = 26


def pdf_pages(path: Path) -> int:
    """Number of page objects in a PDF (inflating its compressed object streams)."""
    import zlib

    data = path.read_bytes()
    chunks = [data]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.DOTALL):
        try:
            chunks.append(zlib.decompress(m.group(1)))
        except zlib.error:
            continue
    return sum(len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", c)) for c in chunks)


def test_synthetic_report_says_each_caveat_once_per_section(synthetic_report) -> None:  # type: ignore[no-untyped-def]
    out, _res = synthetic_report
    html = (out / "index.html").read_text(encoding="utf-8")
    sections = html.split("<h2")
    assert len(sections) > 3
    for chunk in sections:  # the page head and each top-level section
        assert chunk.count("BUILT ON HAND-MADE DATA") <= 1, chunk[:200]
    assert html.count("+proj=") == 1  # the PROJ definition once (method section); words elsewhere
    assert "Lambert azimuthal equal-area centred on" in html


def test_single_file_report_inlines_every_image(tmp_path: Path) -> None:
    import base64

    base = make_scenario(
        "base",
        [("a1", "AAA", WEST, "de-facto"), ("b1", "BBB", EAST, "de-facto")],
        settlements=VILLAGES,
        roads=ROADS,
        status="de-facto",
    )
    out = tmp_path / "one"
    res = build_report(base, [base], out, single_file=True)
    html = (out / "index.html").read_text(encoding="utf-8")
    srcs = re.findall(r'<img src="([^"]+)"', html)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert base64.b64decode(srcs[0].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (out / "img").exists() and not any(f.startswith("img/") for f in res.files)


def test_labels_are_placed_by_priority_and_never_overlap() -> None:
    from delimit.report.figures import new_figure
    from delimit.report.maps import LabelPlacer

    fig = new_figure(4, 4)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    placer = LabelPlacer(ax)
    for k in range(30):  # thirty villages crowded around one spot, as around Ak-Say
        placer.add(f"Village {k}", (5 + 0.02 * k, 5 + 0.01 * k), priority=float(k), fontsize=7)
    placer.add("#1", (5, 5), 1000.0, force=True, fontsize=8)
    texts = placer.place()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j]), (texts[i].get_text(), texts[j].get_text())
    shown = [t.get_text() for t in texts]
    assert "#1" in shown and "Village 29" in shown  # the rank and the most important village
    assert placer.dropped and "Village 0" in placer.dropped  # the least important give way


def _map_texts(monkeypatch: pytest.MonkeyPatch) -> list:  # type: ignore[type-arg]
    from delimit.report import maps

    seen: list = []
    original = maps.save

    def spy(fig, path):  # type: ignore[no-untyped-def]
        renderer = fig.canvas.get_renderer()
        for ax in fig.axes:
            seen.append([(t.get_text(), t.get_window_extent(renderer), t) for t in ax.texts if t.get_visible()])
        return original(fig, path)

    monkeypatch.setattr(maps, "save", spy)
    return seen


def test_fergana_map_has_a_north_arrow_credit_and_no_colliding_labels(
    scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from delimit.impact import measurement_crs
    from delimit.report import maps

    s = scenario("status-quo")
    crs = measurement_crs(s)
    frame = maps.MapFrame(
        crs=crs, focus=maps.focus_bounds([s], crs), full=maps.full_bounds([s], crs), colours=party_colours(s.parties)
    )
    seen = _map_texts(monkeypatch)
    maps.overview_map(s, frame, tmp_path / "o.png", banner="")
    (texts,) = seen
    words = [t for t, _, _ in texts]
    assert "N" in words  # the north arrow's letter
    assert any("© OpenStreetMap contributors" in t for t in words)
    labels = [(t, box) for t, box, artist in texts if artist.__class__.__name__ == "Annotation" and t]
    for i in range(len(labels)):
        for j in range(i + 1, len(labels)):
            assert not labels[i][1].overlaps(labels[j][1]), (labels[i][0], labels[j][0])


def test_north_arrow_points_to_true_north() -> None:
    """At the projection's centre grid north is true north; 2° of longitude east of it, a Lambert
    azimuthal map's meridians lean towards the centre (the arrow turns anticlockwise)."""
    from pyproj import CRS

    from delimit.report import maps
    from delimit.report.figures import new_figure

    crs = CRS.from_proj4("+proj=laea +lat_0=40 +lon_0=71 +datum=WGS84 +units=m +type=crs")
    frame = maps.MapFrame(crs=crs, focus=(0, 0, 1, 1), full=(0, 0, 1, 1), colours={})
    for centre_x, sign in ((0.0, 0), (170_000.0, -1)):
        fig = new_figure(3, 3)
        ax = fig.add_axes((0, 0, 1, 1))
        maps.north_arrow(ax, frame, (centre_x - 10_000, -10_000, centre_x + 10_000, 10_000))
        arrow = next(c for c in ax.texts if c.__class__.__name__ == "Annotation")
        dx = arrow.xy[0] - arrow.xyann[0]
        assert (abs(dx) < 1e-9) if sign == 0 else (dx < -1e-3)


def test_chokepoints_get_ranks_and_names(scenario) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    from delimit.report.access_figures import ranked_places

    s = scenario("status-quo")
    road = s.roads.iloc[0]
    x, y = road.geometry.coords[0]
    rows = pd.DataFrame(
        {
            "kind": ["road", "junction", "crossing"],
            "id": [str(road["road_id"]), "v34", "x-1"],
            "name": [
                str(road["name"]),
                f"junction of {road['road_id']}, {s.roads.iloc[1]['road_id']}",
                "Ak-Say road, KGZ-TJK line (#2 from Ak-Say)",
            ],
            "lon": [x, x, x],
            "lat": [y, y, y],
        }
    )
    out = ranked_places(s, rows)
    assert out["rank"].tolist() == [1, 2, 3]
    assert (
        "#" not in out["place"].iloc[2] and "crossing 2 from Ak-Say" in out["place"].iloc[2]
    )  # '#N' is the map's rank only
    junction = out["place"].iloc[1]
    assert "v34" not in junction and str(road["road_id"]) not in junction
    assert str(road["name"]) in junction and str(s.roads.iloc[1]["name"]) in junction and " near " in junction


@pytest.mark.slow
def test_fergana_report_reads_as_a_report(fergana_report: Path) -> None:
    from delimit.datasets import data_root

    html = (fergana_report / "index.html").read_text(encoding="utf-8")
    assert "# (map)" in html and not re.search(r"<td>v\d+</td>", html)  # chokepoints by rank and name
    assert "delimit:data/fergana/scenarios/status-quo.yaml" in html  # provenance paths relative
    assert str(data_root()) not in html and '"sha256"' not in html  # no machine paths, no raw JSON
    assert html.count("+proj=") == 1
    for chunk in html.split("<h2"):
        assert chunk.count("BUILT ON HAND-MADE DATA") <= 1
    pages = pdf_pages(fergana_report / "report.pdf")
    assert 0 < pages <= PDF_PAGES_MAX, pages


@pytest.mark.slow
def test_cli_report_single_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "mail"
    r = cli("report", "status-quo", "--single-file", "--quiet", "-o", out)
    assert r.code == 0, r.err
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "<img" in html and 'src="img/' not in html and not (out / "img").exists()


def test_chokepoint_map_accounts_for_every_rank(scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Each rank of the table is on the map as #N, or named in the legend as outside the map."""
    import pandas as pd

    from delimit.impact import measurement_crs
    from delimit.report import maps

    s = scenario("status-quo")
    crs = measurement_crs(s)
    frame = maps.MapFrame(
        crs=crs, focus=maps.focus_bounds([s], crs), full=maps.full_bounds([s], crs), colours=party_colours(s.parties)
    )
    inside = s.crossings.geometry.iloc[0]
    rows = pd.DataFrame(
        {
            "rank": [1, 2],
            "kind": ["road", "crossing"],
            "id": ["far", "near"],
            "lon": [69.0, inside.x],
            "lat": [41.5, inside.y],
            "person_hours_added": [5.0, 1.0],
        }
    )
    legends: list[str] = []
    original = maps.save

    def spy(fig, path):  # type: ignore[no-untyped-def]
        legends.extend(t.get_text() for leg in fig.legends for t in leg.get_texts())
        legends.extend(t.get_text() for ax in fig.axes for t in ax.texts)
        return original(fig, path)

    monkeypatch.setattr(maps, "save", spy)
    maps.chokepoint_map(s, frame, tmp_path / "k.png", rows=rows, regime="open", banner="")
    assert "#2" in legends  # drawn at its point
    assert any(t.startswith("outside this map: #1") for t in legends)
