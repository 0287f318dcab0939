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
        refs = re.findall(r'(?:src|href)="([^"]+)"', r.text)
        assert refs and all(x.startswith(("/", "#")) and not x.startswith("//") for x in refs), refs
        assert kg.csrf in r.text  # the page carries the session's CSRF token for the JS's writes
        for ref in refs:
            if ref.startswith("/static/"):
                assert kg.get(ref).status_code == 200, ref
    style = (WEB / "static" / "js" / "common.js").read_text(encoding="utf-8")
    assert not re.search(
        r"\b(glyphs|sprite|tiles|url)\s*:", style
    )  # the map style names no font, sprite or tile source


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
