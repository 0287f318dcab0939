"""The workspace in the browser: pages served by ``delimit serve`` next to the JSON API.

Every page is a plain HTML shell (a Jinja2 template, every string from a message catalogue in
``i18n/<lang>.json``) plus a small vanilla JavaScript module that calls the JSON API with the session
cookie and the CSRF token the page carries. Pages hold no workspace data themselves: a page of a
proposal the reader may not see is the same shell as any other, and the API answers 404.

The map is MapLibre GL JS, shipped in ``static/vendor`` (copied there by ``make web`` from a pinned
npm install); its base map is the workspace's own data (territory, settlements, roads with their
status, rivers, WGS84) served by ``GET /api/basemap`` to logged-in readers. No tile, glyph, font or
script is ever fetched from elsewhere: the style has no ``glyphs`` and labels are HTML.

Languages: English and Russian are complete; Kyrgyz and Tajik hold what could be translated reliably
and fall back to Russian, visibly (the text is marked ``lang="ru"`` and styled as a fallback).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

WEB = Path(__file__).resolve().parent
#: Languages offered, in the switcher's order, with the language each falls back to.
LANGUAGES: dict[str, str | None] = {"en": None, "ru": "en", "ky": "ru", "tg": "ru"}
LANG_COOKIE = "delimit_lang"
#: Base-map layers served by /api/basemap, with the columns kept for the map (WGS84 GeoJSON).
BASEMAP_LAYERS: dict[str, tuple[str, ...]] = {
    "territory": ("part_id", "party", "name", "status"),
    "rivers": ("water_id", "name", "kind", "status"),
    "roads": ("road_id", "name", "road_class", "status", "party"),
    "settlements": ("settlement_id", "name", "population", "role", "status", "party"),
    "crossings": ("crossing_id", "name", "parties", "status"),
}
#: Pages: URL path -> (template, title key). Each template loads ``static/js/<page>.js``.
PAGES: dict[str, str] = {
    "/overview": "overview",
    "/proposals/{proposal_id}": "proposal",
    "/compare": "compare",
    "/draft": "draft",
    "/sections/{section_id}": "section",
    "/history": "history",
    "/downloads": "downloads",
}


@functools.cache
def raw_catalogue(lang: str) -> dict[str, str]:
    """The messages of one language as stored (``i18n/<lang>.json``)."""
    data = json.loads((WEB / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


@functools.cache
def catalogue(lang: str) -> dict[str, tuple[str, str]]:
    """{key: (text, language of the text)}: the language's own messages, the rest from its fallbacks."""
    chain: list[str] = []
    cur: str | None = lang
    while cur is not None:
        chain.append(cur)
        cur = LANGUAGES[cur]
    out: dict[str, tuple[str, str]] = {}
    for code in reversed(chain):
        out.update({k: (v, code) for k, v in raw_catalogue(code).items()})
    return out


def translate(lang: str, key: str, **values: Any) -> Markup:
    """The message ``key`` in ``lang`` as HTML; a fallback is wrapped in a span marked with its language."""
    text, used = catalogue(lang).get(key, (key, "en"))
    if values:
        text = text.format(**values)
    if used != lang:
        return Markup('<span class="fallback" lang="{}">{}</span>').format(used, text)
    return escape(text)


def pick_language(request: Request) -> str:
    """?lang=, then the language cookie, then the browser's Accept-Language, then English."""
    for cand in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if cand in LANGUAGES:
            return cand
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


@functools.cache
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(WEB / "templates"), autoescape=select_autoescape(["html"]))


def render(
    request: Request, page: str, lang: str, *, actor: Any = None, csrf: str = "", extra: dict[str, Any] | None = None
) -> HTMLResponse:
    """Render ``templates/<page>.html`` in ``lang``; the JS receives the catalogue and the page's context."""
    messages = {k: list(v) for k, v in catalogue(lang).items()}
    context = {
        "page": page,
        "lang": lang,
        "csrf": csrf,
        "you": None if actor is None else {"username": actor.username, "team": actor.team, "role": actor.role.value},
        **(extra or {}),
    }
    html = (
        _env()
        .get_template(f"{page}.html")
        .render(
            t=lambda key, **v: translate(lang, key, **v),
            text=lambda key: catalogue(lang).get(key, (key, "en"))[0],
            lang=lang,
            languages=list(LANGUAGES),
            page=page,
            you=context["you"],
            query_items=list(request.query_params.multi_items()),
            csrf=csrf,
            messages_json=Markup(json.dumps(messages, ensure_ascii=False).replace("</", "<\\/")),
            context_json=Markup(json.dumps(context, ensure_ascii=False).replace("</", "<\\/")),
        )
    )
    response = HTMLResponse(
        html, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store", "Content-Language": lang}
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, samesite="strict", path="/", max_age=365 * 24 * 3600)
    return response


#: Everything from this server only (MapLibre needs blob: workers and data: images for its hatch patterns).
CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; worker-src 'self' blob:; child-src blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"


def basemap(scenario: Any, window: Any) -> dict[str, Any]:
    """The base map of a scenario clipped to the workspace window: {layer: GeoJSON FeatureCollection (WGS84)}."""
    import shapely

    from delimit.report.palette import party_colours

    area = shapely.envelope(window).buffer(0.05, join_style="mitre")
    layers: dict[str, Any] = {}
    for name, columns in BASEMAP_LAYERS.items():
        gdf = getattr(scenario, name)
        gdf = gdf[gdf.intersects(area)].copy()
        gdf["geometry"] = gdf.geometry.intersection(area)
        gdf = gdf[~gdf.geometry.is_empty]
        keep = [c for c in columns if c in gdf.columns]
        layers[name] = json.loads(gdf[[*keep, "geometry"]].to_json(na="null", drop_id=True))
    return {
        "crs": "EPSG:4326 (WGS84 longitude, latitude)",
        "scenario": scenario.name,
        "layers": layers,
        "window": json.loads(shapely.to_geojson(window)),
        "parties": {p.id: p.name for p in scenario.parties.values()},
        "colours": party_colours(scenario.parties),
        "attribution": scenario.provenance.attribution(),
        "data_marks": sorted(
            {
                f"{n}: {s}"
                for n in ("roads", "crossings")
                for s in getattr(scenario, n)["status"].unique()
                if s in ("schematic", "illustrative")
            }
        ),
    }


def mount_pages(app: FastAPI, ws: Any, session_actor: Any, ready: Any) -> None:
    """Add the pages, the static files and ``GET /api/basemap`` to ``app``.

    ``session_actor(request)`` gives (actor, csrf token) of the request's session cookie or None;
    ``ready`` is the API's dependency for an authenticated account that has changed its one-time password.
    """
    from fastapi import Depends

    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")
    cached: dict[str, Any] = {}

    @app.get("/api/basemap", tags=["meta"], response_model=dict[str, Any])
    def basemap_route(actor: Any = Depends(ready)) -> Any:
        """The workspace's base map (territory, rivers, roads with their status, settlements, crossings) as GeoJSON in WGS84."""
        if "data" not in cached:
            from delimit.scenario import load_scenario

            cached["data"] = basemap(load_scenario(ws.info.base_scenario), ws.info.window)
        return cached["data"]

    @app.get("/", include_in_schema=False)
    def root() -> Response:
        return RedirectResponse("/overview", status_code=303)

    @app.get("/login", include_in_schema=False)
    def login_page(request: Request, next: str = Query("/overview", max_length=300)) -> Response:
        target = next if next.startswith("/") and not next.startswith("//") else "/overview"
        return render(request, "login", pick_language(request), extra={"next": target})

    def page_route(page: str) -> Any:
        def show(request: Request) -> Response:
            cookie = request.cookies.get("delimit_session")
            found = session_actor(cookie) if cookie else None
            if found is None or found[0].must_change_password:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
            actor, csrf = found
            return render(
                request,
                page,
                pick_language(request),
                actor=actor,
                csrf=csrf,
                extra={"parties": ws.info.parties, "mediator": ws.info.mediator},
            )

        show.__name__ = f"page_{page}"
        return show

    for path, page in PAGES.items():
        app.add_api_route(path, page_route(page), methods=["GET"], include_in_schema=False)
