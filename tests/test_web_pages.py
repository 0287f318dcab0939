"""The browser pages without a browser: message catalogues (English and Russian complete, Kyrgyz and
Tajik falling back to Russian visibly), the language switch, the page shells (only this server's
scripts, no data in the shell, a strict Content-Security-Policy), and the base map served to logged-in
readers checked against the dataset read independently."""

from __future__ import annotations

import re

import pyogrio
import pytest
import shapely

from _workspace_helpers import Api, client, new_workspace
from delimit.datasets import dataset_dir
from delimit.workspace.app import create_app
from delimit.workspace.auth import Role
from delimit.workspace.sections import STATUSES, STEPS
from delimit.workspace.web import (
    LANGUAGES,
    PAGES,
    WEB,
    catalogue,
    raw_catalogue,
    translate,
)

KEY_CALL = re.compile(r"""\b(?:t|tn|say)\(\s*["']([a-z_]+\.[a-z_.]+)["']""")


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for f in [*(WEB / "templates").glob("*.html"), *(WEB / "static" / "js").glob("*.js")]:
        keys |= set(KEY_CALL.findall(f.read_text(encoding="utf-8")))
    keys |= {f"page.{p}" for p in [*PAGES.values(), "login"]} | {f"lang.{c}" for c in LANGUAGES}
    keys |= (
        {f"status.{s}" for s in STATUSES}
        | {f"step.{s}" for s in STEPS}
        | {f"act.{s}" for s in STEPS}
        | {f"role.{r.value}" for r in Role}
    )
    return keys


def test_english_and_russian_are_complete_and_cover_every_message_used() -> None:
    en, ru = raw_catalogue("en"), raw_catalogue("ru")
    assert set(en) == set(ru)
    missing = _used_keys() - set(en)
    assert not missing, missing
    for key, text in en.items():  # the same placeholders in both languages
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", ru[key])), key
    cyrillic = re.compile("[а-яА-ЯёЁ]")
    untranslated = [k for k, v in ru.items() if not k.startswith("lang.") and not cyrillic.search(v)]
    assert not untranslated, untranslated


@pytest.mark.parametrize("lang", ["ky", "tg"])
def test_kyrgyz_and_tajik_fall_back_to_russian_visibly(lang) -> None:  # type: ignore[no-untyped-def]
    own = raw_catalogue(lang)
    assert own and set(own) <= set(raw_catalogue("en"))
    merged = catalogue(lang)
    assert set(merged) == set(raw_catalogue("ru"))
    assert all(merged[k] == (v, lang) for k, v in own.items())
    fallback = next(k for k in raw_catalogue("ru") if k not in own)
    assert merged[fallback] == (raw_catalogue("ru")[fallback], "ru")
    assert str(translate(lang, fallback)) == f'<span class="fallback" lang="ru">{raw_catalogue("ru")[fallback]}</span>'
    assert str(translate(lang, "nav.language")) == own["nav.language"]


@pytest.fixture(scope="module")
def app_and_users(tmp_path_factory):  # type: ignore[no-untyped-def]
    store, pw = new_workspace(tmp_path_factory.mktemp("ws"), None)
    app = create_app(store, evaluate=False)
    yield app, {"kg": Api(client(app), "head-kgz", pw["head-kgz"]), "tj": Api(client(app), "head-tjk", pw["head-tjk"])}
    store.dispose()


def test_login_page_in_each_language_with_a_switcher(app_and_users) -> None:  # type: ignore[no-untyped-def]
    app, _ = app_and_users
    http = client(app)
    ru = http.get("/login?lang=ru")
    assert ru.status_code == 200 and '<html lang="ru">' in ru.text and "Войти" in ru.text
    assert (
        ru.cookies.get("delimit_lang") == "ru" and http.get("/login").text.count('<html lang="ru">') == 1
    )  # remembered
    ky = http.get("/login?lang=ky").text
    assert (
        "Кирүү" in ky
        and "<title>Кирүү · рабочее пространство delimit</title>" in ky
        and '<span class="fallback" lang="ru">Новый пароль</span>' in ky
    )
    assert all(f'<option value="{c}"' in ky for c in LANGUAGES)
    assert client(app).get("/login", headers={"Accept-Language": "tg, ru;q=0.8"}).text.count('<html lang="tg">') == 1


def test_pages_load_only_this_servers_files_under_a_strict_policy(app_and_users) -> None:  # type: ignore[no-untyped-def]
    _app, users = app_and_users
    kg = users["kg"]
    for path in [
        "/overview",
        "/draft",
        "/compare",
        "/history",
        "/downloads",
        "/proposals/" + "a" * 32,
        "/sections/" + "b" * 32,
    ]:
        r = kg.get(path)
        assert r.status_code == 200, path
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "connect-src 'self'" in csp
        # every reference is to this server, but the empty icon (data:, so the browser asks for no favicon)
        refs = [x for x in re.findall(r'(?:src|href)="([^"]+)"', r.text) if x != "data:,"]
        assert refs and all(x.startswith(("/", "#")) and not x.startswith("//") for x in refs), refs
        assert kg.csrf in r.text  # the page carries the session's CSRF token for the JS's writes
        for ref in refs:
            if ref.startswith("/static/"):
                assert kg.get(ref).status_code == 200, ref
    style = (WEB / "static" / "js" / "common.js").read_text(encoding="utf-8")
    assert not re.search(r"\b(glyphs|sprite|tiles)\s*:", style)  # the map style names no font, sprite or tile source
    # its one URL is the relief image this server computes (its path comes from /api/basemap, checked there)
    assert re.findall(r"\burl\s*:\s*([^,}]+)", style) == ["base.hillshade.url"]


def test_basemap_is_the_datasets_own_layers_for_logged_in_readers(app_and_users) -> None:  # type: ignore[no-untyped-def]
    app, users = app_and_users
    assert client(app).get("/api/basemap").status_code == 401
    tj = users["tj"]
    b = tj.get("/api/basemap").json()
    assert set(b["layers"]) == {"territory", "rivers", "roads", "settlements", "crossings"} and "WGS84" in b["crs"]
    # Okabe & Ito (2008), in the published order, taken by sorted party id: whoever asks, whatever the party.
    assert b["colours"] == {"CHN": "#E69F00", "KAZ": "#56B4E9", "KGZ": "#009E73", "TJK": "#F0E442", "UZB": "#0072B2"}
    assert users["kg"].get("/api/basemap").json() == b  # the same map for both delegations
    # Independently: the settlements of the dataset inside the served clip area, read with pyogrio.
    gpkg = dataset_dir("fergana") / "fergana.gpkg"
    served = {f["properties"]["settlement_id"] for f in b["layers"]["settlements"]["features"]}
    area = shapely.box(
        *shapely.bounds(
            shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in b["layers"]["territory"]["features"]])
        )
    )
    sett = pyogrio.read_dataframe(gpkg, layer="settlements")
    inside = set(sett[sett.geometry.within(area)]["settlement_id"])
    assert served and inside <= served
    roads = b["layers"]["roads"]["features"]
    assert roads and all(f["properties"]["status"] for f in roads)
    assert "OpenStreetMap" in b["attribution"]
    assert b["hillshade"]["url"] == "/api/hillshade.png"  # the relief comes from this server
    assert b["default_regime"] in b["regimes"] and "borders" in b["regimes"][b["default_regime"]]


def test_hillshade_is_the_dems_relief_at_the_served_corners(app_and_users) -> None:  # type: ignore[no-untyped-def]
    """The PNG decodes (Pillow, independent of the server's own writer) to the DEM's size; its corners are the
    DEM's bounds; and it is darkest where an independent slope check says the terrain faces away from the sun."""
    import io

    import numpy as np
    import rasterio
    from PIL import Image

    app, users = app_and_users
    assert client(app).get("/api/hillshade.png").status_code == 401
    tj = users["tj"]
    r = tj.get("/api/hillshade.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    img = np.asarray(Image.open(io.BytesIO(r.content)).convert("LA"))
    with rasterio.open(dataset_dir("fergana") / "elevation.tif") as src:
        x0, y0, cx, cy = src.transform.c, src.transform.f, src.transform.a, -src.transform.e
    (w, n), (e, _), (_, s), (w2, s2) = tj.get("/api/basemap").json()["hillshade"]["coordinates"]
    assert (w, s) == (w2, s2)
    # the corners lie on the DEM's cell edges, around the workspace's window, and the image has one pixel per cell
    for edge, origin, size in ((w, x0, cx), (e, x0, cx), (n, y0, -cy), (s, y0, -cy)):
        assert (edge - origin) / size == pytest.approx(round((edge - origin) / size), abs=1e-6)
    window = shapely.geometry.shape(tj.get("/api/workspace").json()["window"])
    assert shapely.box(w, s, e, n).contains(window)
    assert img.shape[:2] == (round((n - s) / cy), round((e - w) / cx))
    alpha = img[..., 1]
    assert alpha.min() == 0 and alpha.max() > 100  # clear lit ground, shaded slopes facing away from the sun


@pytest.mark.parametrize("gx, gy", [(0.0, 0.0), (0.3, 0.0), (-0.3, 0.2), (0.0, -0.8), (1.5, 1.5), (-2.0, 0.1)])
def test_hillshade_of_a_plane_is_the_cosine_between_its_normal_and_the_sun(gx, gy) -> None:  # type: ignore[no-untyped-def]
    """A tilted plane (rising gx metres per metre eastwards, gy northwards): the shade is 255 x the dot
    product of the unit surface normal and the unit vector to the sun (az 315, alt 45), clipped at 0 -
    vector algebra, independent of the slope/aspect formula the server uses."""
    import numpy as np

    from delimit.workspace.web import M_PER_DEG, hillshade

    cell = (0.01, 0.01)
    lats = np.full(6, 40.0)
    dx, dy = M_PER_DEG * cell[0] * np.cos(np.radians(40.0)), M_PER_DEG * cell[1]
    cols, rows = np.meshgrid(np.arange(6), np.arange(6))
    z = 1000.0 + gx * cols * dx - gy * rows * dy  # rows run north to south
    normal = np.array([-gx, -gy, 1.0]) / np.linalg.norm([-gx, -gy, 1.0])
    az, alt = np.radians(315.0), np.radians(45.0)
    sun = np.array([np.sin(az) * np.cos(alt), np.cos(az) * np.cos(alt), np.sin(alt)])  # east, north, up
    expected = 255.0 * max(0.0, float(normal @ sun))
    got = hillshade(z, cell, lats).astype(float)[1:-1, 1:-1]  # the edge cells see a padded (flattened) border
    assert np.all(np.abs(got - expected) <= 1.0), (got, expected)


def test_parcel_grid_and_the_transfers_picking_parcels_makes(app_and_users) -> None:  # type: ignore[no-untyped-def]
    """A read-only hex grid over a box: parcels cover the two parties' land of the box (areas checked with
    pyproj's geodesic area of the dataset's territory), and picking parcels gives a transfer of that land."""
    from pyproj import Geod
    from shapely.geometry import shape

    app, users = app_and_users
    box = {"west": 70.54, "south": 39.86, "east": 70.60, "north": 39.89, "size_m": 600}
    assert client(app).get("/api/parcels", params=box).status_code == 401
    kg = users["kg"]
    got = kg.get("/api/parcels", params=box).json()
    feats = got["parcels"]["features"]
    assert got["units"] == "hex:600m" and feats and {f["properties"]["party"] for f in feats} == {"KGZ", "TJK"}
    geod = Geod(ellps="WGS84")
    terr = pyogrio.read_dataframe(dataset_dir("fergana") / "fergana.gpkg", layer="territory")
    for party in ("KGZ", "TJK"):
        land = shapely.intersection(
            shapely.union_all(terr[terr["party"] == party].geometry.to_numpy()), shapely.box(70.54, 39.86, 70.60, 39.89)
        )
        served = sum(f["properties"]["area_km2"] for f in feats if f["properties"]["party"] == party)
        assert served == pytest.approx(abs(geod.geometry_area_perimeter(land)[0]) / 1e6, rel=0.01), party
    kgz = [f for f in feats if f["properties"]["party"] == "KGZ"][:3]
    pick = ",".join(f["properties"]["parcel_id"] for f in kgz)
    out = kg.get("/api/parcels/transfers", params={**box, "pick": pick, "name": "pick-test"}).json()
    (tr,) = out["transfers"]
    assert (tr["from"], tr["to"]) == ("KGZ", "TJK")
    moved = shapely.union_all([shape(f["geometry"]) for f in kgz])
    got_geom = shape(tr["geometry"])
    # the transfer covers each picked parcel, and of KGZ land holds no more than them (cut along cell edges)
    assert got_geom.buffer(1e-7).covers(moved)
    kg_land = shapely.union_all(terr[terr["party"] == "KGZ"].geometry.to_numpy())
    assert abs(geod.geometry_area_perimeter(shapely.intersection(got_geom, kg_land))[0]) / 1e6 == pytest.approx(
        sum(f["properties"]["area_km2"] for f in kgz), rel=0.01
    )
    assert kg.get("/api/parcels/transfers", params={**box, "pick": "p99999"}).status_code == 422
    assert kg.get("/api/parcels", params={**box, "size_m": 7}).json()["field"] == "size_m"
    big = {"west": 69.0, "south": 39.5, "east": 71.5, "north": 40.5, "size_m": 250}
    assert kg.get("/api/parcels", params=big).status_code == 422  # too many parcels: refused before any work
