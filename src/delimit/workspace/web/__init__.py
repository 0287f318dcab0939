"""The workspace in the browser: pages served by ``delimit serve`` next to the JSON API.

Every page is a plain HTML shell (a Jinja2 template, every string from a message catalogue in
``i18n/<lang>.json``) plus a small vanilla JavaScript module that calls the JSON API with the session
cookie and the CSRF token the page carries. Pages hold no workspace data themselves: a page of a
proposal the reader may not see is the same shell as any other, and the API answers 404.

The map is MapLibre GL JS, shipped in ``static/vendor`` (copied there by ``make web`` from a pinned
npm install); its base map is the workspace's own data (territory, settlements, roads with their
status, rivers, WGS84) served by ``GET /api/basemap`` to logged-in readers, with the relief as a hillshade
image computed from the dataset's DEM (``GET /api/hillshade.png``). The drafting page reads a parcel grid
over the part of the line in view (``GET /api/parcels``, the propose engine's unit builder) and the
transfers that moving picked parcels makes (``GET /api/parcels/transfers``). No tile, glyph, font or
script is ever fetched from elsewhere: the style has no ``glyphs`` and labels are HTML.

Languages: English and Russian are complete; Kyrgyz and Tajik hold what could be translated reliably
and fall back to Russian, visibly (the text is marked ``lang="ru"`` and styled as a fallback).
"""

from __future__ import annotations

import functools
import json
import math
import struct
import threading
import zlib
from collections import OrderedDict
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
        "regimes": {rid: r.model_dump(mode="json", exclude_defaults=True) for rid, r in scenario.regimes.items()},
        "default_regime": scenario.default_regime,
        "data_marks": sorted(
            {
                f"{n}: {s}"
                for n in ("roads", "crossings")
                for s in getattr(scenario, n)["status"].unique()
                if s in ("schematic", "illustrative")
            }
        ),
    }


# ---- relief ------------------------------------------------------------------------------------------------
#: Metres per degree of latitude (mean, WGS84 ellipsoid); a degree of longitude is this times cos(latitude).
M_PER_DEG = 111_320.0


def hillshade(
    elevation: Any, cell_deg: tuple[float, float], lats: Any, *, azimuth_deg: float = 315.0, altitude_deg: float = 45.0
) -> Any:
    """Hillshade (0..255, uint8) of a DEM in geographic coordinates.

    ``elevation`` (metres) is a 2-D array, rows from north to south; ``cell_deg`` its (x, y) cell size in
    degrees; ``lats`` the latitude of each row (degrees), which sets the east-west cell size in metres
    (``M_PER_DEG * cos(lat)``). Slope and aspect come from Horn's (1981) third-order finite difference
    (B. K. P. Horn, "Hill shading and the reflectance map", Proc. IEEE 69(1), 14-47), and the shade from
    the standard illumination formula (Burrough & McDonnell 1998, *Principles of GIS*, p. 190; the one GDAL's
    ``gdaldem hillshade`` uses): ``255 * (cos(zenith) cos(slope) + sin(zenith) sin(slope) cos(azimuth - aspect))``,
    clipped at 0, with the sun at ``azimuth_deg`` (clockwise from north) and ``altitude_deg`` above the horizon.
    """
    import numpy as np

    z = np.pad(np.asarray(elevation, dtype=np.float64), 1, mode="edge")
    dx = (M_PER_DEG * cell_deg[0] * np.cos(np.radians(np.asarray(lats, dtype=np.float64))))[:, None]
    dy = M_PER_DEG * cell_deg[1]
    a, b, c = z[:-2, :-2], z[:-2, 1:-1], z[:-2, 2:]
    d, f = z[1:-1, :-2], z[1:-1, 2:]
    g, h, i = z[2:, :-2], z[2:, 1:-1], z[2:, 2:]
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8 * dx)  # eastwards
    dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) / (8 * dy)  # southwards (rows run north to south)
    slope = np.arctan(np.hypot(dzdx, dzdy))
    aspect = np.arctan2(dzdy, -dzdx)
    zenith = math.radians(90.0 - altitude_deg)
    azimuth = math.radians((360.0 - azimuth_deg + 90.0) % 360.0)  # compass to the maths convention
    shade = math.cos(zenith) * np.cos(slope) + math.sin(zenith) * np.sin(slope) * np.cos(azimuth - aspect)
    out: Any = np.clip(255.0 * shade, 0, 255).astype(np.uint8)
    return out


def _mercator_y(lat_deg: Any) -> Any:
    import numpy as np

    return np.log(np.tan(np.pi / 4 + np.radians(lat_deg) / 2))


def png_grey_alpha(grey: Any, alpha: Any) -> bytes:
    """A PNG (8-bit grey + alpha) of two equal-shape uint8 arrays (PNG specification, ISO/IEC 15948)."""
    import numpy as np

    h, w = grey.shape
    rows = np.stack([grey, alpha], axis=-1).reshape(h, w * 2)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rows], axis=1).tobytes()  # filter type 0 per row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 4, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def relief_image(
    dem_path: Path, area: tuple[float, float, float, float] | None = None
) -> tuple[bytes, list[list[float]]]:
    """The DEM's hillshade as a PNG laid out for the web map, and its corners (WGS84 lon, lat: NW, NE, SE, SW).

    ``area`` (west, south, east, north; degrees) limits it to the DEM cells covering that box.

    MapLibre stretches an ``image`` source linearly in Web Mercator between its corners, so the shaded
    rows are resampled (linearly) to equal steps of Mercator y. Shade is drawn as black with an opacity
    growing as the slope turns from the sun (flat land and lit slopes stay clear), so the party colours
    above and below stay readable.
    """
    import numpy as np
    import rasterio

    with rasterio.open(dem_path) as src:
        if src.crs is None or src.crs.to_epsg() != 4326:
            raise ValueError(f"{dem_path}: the DEM must be in EPSG:4326 (it is {src.crs})")
        window = None
        if area is not None:  # only the rows and columns covering ``area`` (whole cells)
            from rasterio.windows import from_bounds

            window = from_bounds(*area, transform=src.transform).round_offsets().round_lengths()
            window = window.intersection(rasterio.windows.Window(0, 0, src.width, src.height))
        z = src.read(1, masked=True, window=window).filled(np.nan).astype(np.float64)
        w, s, e, n = src.window_bounds(window) if window is not None else src.bounds
        cell = (abs(src.transform.a), abs(src.transform.e))
    z = np.where(np.isnan(z), np.nanmean(z), z)
    lats = n - (np.arange(z.shape[0]) + 0.5) * cell[1]
    shade = hillshade(z, cell, lats).astype(np.float64)
    flat = 255.0 * math.cos(math.radians(45.0))  # the shade of level ground
    ys = np.linspace(_mercator_y(n), _mercator_y(s), z.shape[0])  # equal Mercator steps, north to south
    rows = (n - np.degrees(2 * np.arctan(np.exp(ys)) - np.pi / 2)) / cell[1] - 0.5
    r0 = np.clip(np.floor(rows).astype(int), 0, z.shape[0] - 1)
    r1 = np.clip(r0 + 1, 0, z.shape[0] - 1)
    t = np.clip(rows - r0, 0.0, 1.0)[:, None]
    merc = shade[r0] * (1 - t) + shade[r1] * t
    alpha = np.clip((flat - merc) / flat * 200.0, 0, 200).astype(np.uint8)
    png = png_grey_alpha(np.zeros_like(alpha), alpha)
    return png, [[w, n], [e, n], [e, s], [w, s]]


#: The relief is served for the workspace's window and this margin around it (degrees).
RELIEF_MARGIN_DEG = 0.25


# ---- parcels for drafting -------------------------------------------------------------------------------------
#: Parcel grids the drafting page may ask for: hexagons this many metres across, and at most this many parcels.
PARCEL_SIZES_M = (250, 400, 600, 1000)
MAX_DRAFT_PARCELS = 2500


def parcel_grid(scenario: Any, parties: tuple[str, str], bbox: tuple[float, float, float, float], size_m: float) -> Any:
    """The propose engine's parcels (:mod:`delimit.propose.units`) of a hexagonal grid over ``bbox`` (WGS84).

    The zone is the box clipped to the two parties' land (water removed); cells are cut along the box
    itself, so transfers written from them never run along a territory edge. Refuses (InputError) a
    box that would cut more than ``MAX_DRAFT_PARCELS`` parcels.
    """
    import shapely

    from delimit.propose.units import build_parcels, check_parcel_count, estimate_parcels, grid_cells
    from delimit.propose.zone import zone_from_polygon

    box = shapely.box(*bbox)
    zone = zone_from_polygon(scenario, parties, box)
    estimate, _ = estimate_parcels(zone, "hex", size_m)
    check_parcel_count(
        estimate, MAX_DRAFT_PARCELS, what=f"hex:{size_m:g}m over this view", field="size_m", env="a smaller view"
    )
    return build_parcels(scenario, parties, zone, grid_cells(box, "hex", size_m), cut_zone=box)


def parcels_geojson(graph: Any) -> dict[str, Any]:
    """The parcels of a grid as a GeoJSON FeatureCollection (WGS84) with what the drafting page shows."""
    keep = ["parcel_id", "party", "area_km2", "population", "settlements", "geometry"]
    df = graph.parcels[keep].copy()
    df["settlements"] = df["settlements"].map(lambda v: ", ".join(v) if isinstance(v, (list, tuple)) else (v or ""))
    out: dict[str, Any] = json.loads(df.to_json(na="null", drop_id=True))
    return out


def picked_transfers(graph: Any, picked: list[str], name: str, source: str) -> list[dict[str, Any]]:
    """The transfers (WGS84 GeoJSON geometry) moving the picked parcels to the other party.

    Written by the propose engine's own :func:`delimit.propose.apply.proposal_transfers` (cut along cell
    edges, one transfer per direction). Unknown parcel ids raise InputError naming ``pick``.
    """
    import numpy as np
    import shapely

    from delimit.errors import InputError
    from delimit.propose.apply import proposal_transfers

    index = {pid: i for i, pid in enumerate(graph.parcels["parcel_id"])}
    unknown = [p for p in picked if p not in index]
    if unknown:
        raise InputError(None, f"unknown parcel {unknown[0]!r} in this grid", field="pick")
    assign = graph.holder.copy()
    for p in picked:
        assign[index[p]] = 1 - assign[index[p]]
    out = []
    for tr in proposal_transfers(graph, assign, proposal_id=name, source=source):
        out.append(
            {
                "id": tr.id,
                "from": tr.from_party,
                "to": tr.to_party,
                "geometry": json.loads(shapely.to_geojson(shapely.set_precision(tr.geometry, 1e-9))),
            }
        )
    moved = np.flatnonzero(assign[: graph.n_parcels] != graph.holder[: graph.n_parcels])
    return [dict(t, parcels=int(sum(graph.parcels["party"].iloc[i] == t["from"] for i in moved))) for t in out]


@functools.cache
def warm_up_drafting() -> None:
    """Import the propose engine in the background (seconds) while the drafting page loads, once per process."""

    def load() -> None:
        import delimit.propose.apply
        import delimit.propose.units
        import delimit.propose.zone  # noqa: F401

    threading.Thread(target=load, name="delimit-warm-propose", daemon=True).start()


class _Lru:
    """A small thread-safe cache of built parcel grids (each takes seconds to build)."""

    def __init__(self, size: int = 6) -> None:
        self.size, self.data, self.lock = size, OrderedDict[Any, Any](), threading.Lock()

    def get(self, key: Any, build: Any) -> Any:
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        value = build()
        with self.lock:
            self.data[key] = value
            while len(self.data) > self.size:
                self.data.popitem(last=False)
        return value


def mount_pages(app: FastAPI, ws: Any, session_actor: Any, ready: Any) -> None:
    """Add the pages, the static files and ``GET /api/basemap`` to ``app``.

    ``session_actor(request)`` gives (actor, csrf token) of the request's session cookie or None;
    ``ready`` is the API's dependency for an authenticated account that has changed its one-time password.
    """
    from fastapi import Depends

    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")
    cached: dict[str, Any] = {}
    lock = threading.RLock()
    grids = _Lru()

    @app.get("/api/basemap", tags=["meta"], response_model=dict[str, Any])
    def basemap_route(actor: Any = Depends(ready)) -> Any:
        """The workspace's base map (territory, rivers, roads with their status, settlements, crossings) as GeoJSON in WGS84."""
        if "data" not in cached:
            data = basemap(base_scenario(), ws.info.window)
            data["hillshade"] = {
                "url": "/api/hillshade.png",
                "coordinates": relief()[1],
                "source": "DEM of the dataset (elevation.tif), hillshade after Horn (1981)",
            }
            cached["data"] = data
        return cached["data"]

    def base_scenario() -> Any:
        with lock:
            if "scenario" not in cached:
                from delimit.scenario import load_scenario

                cached["scenario"] = load_scenario(ws.info.base_scenario)
            return cached["scenario"]

    @app.get(
        "/api/hillshade.png",
        tags=["meta"],
        response_class=Response,
        responses={200: {"content": {"image/png": {}}, "description": "the relief of the dataset's DEM, shaded"}},
    )
    def hillshade_route(actor: Any = Depends(ready)) -> Response:
        """The relief as a hillshade PNG (Web Mercator rows); its corners are ``hillshade.coordinates`` of /api/basemap."""
        return Response(relief()[0], media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})

    def relief() -> tuple[bytes, list[list[float]]]:
        with lock:
            if "relief" not in cached:
                from delimit.datasets import dataset_dir

                w, s, e, n = ws.info.window.bounds
                area = (w - RELIEF_MARGIN_DEG, s - RELIEF_MARGIN_DEG, e + RELIEF_MARGIN_DEG, n + RELIEF_MARGIN_DEG)
                cached["relief"] = relief_image(dataset_dir("fergana") / "elevation.tif", area)
            return cached["relief"]  # type: ignore[no-any-return]

    def grid_of(west: float, south: float, east: float, north: float, size_m: int) -> tuple[Any, list[float]]:
        from delimit.errors import InputError

        if size_m not in PARCEL_SIZES_M:
            raise InputError(None, f"size_m must be one of {', '.join(map(str, PARCEL_SIZES_M))}", field="size_m")
        w0, s0, e0, n0 = ws.info.window.bounds
        bbox = [round(v, 4) for v in (max(west, w0), max(south, s0), min(east, e0), min(north, n0))]
        if bbox[0] >= bbox[2] or bbox[1] >= bbox[3]:
            raise InputError(None, "the box lies outside the workspace's window", field="west")
        parties = (ws.info.parties[0], ws.info.parties[1])
        key = (*bbox, size_m)
        return grids.get(key, lambda: parcel_grid(base_scenario(), parties, tuple(bbox), size_m)), bbox

    box_params = {
        "west": Query(ge=-180, le=180),
        "south": Query(ge=-90, le=90),
        "east": Query(ge=-180, le=180),
        "north": Query(ge=-90, le=90),
    }

    @app.get("/api/parcels", tags=["meta"], response_model=dict[str, Any])
    def parcels_route(
        west: float = box_params["west"],
        south: float = box_params["south"],
        east: float = box_params["east"],
        north: float = box_params["north"],
        size_m: int = Query(400, description="hexagon width across flats, metres"),
        actor: Any = Depends(ready),
    ) -> Any:
        """Parcels of a hexagonal grid over a box of the baseline (the propose engine's units), for drafting.

        Read-only. The box is clipped to the workspace's window; areas in the zone's equal-area CRS.
        """
        graph, bbox = grid_of(west, south, east, north, size_m)
        return {
            "bbox": bbox,
            "size_m": size_m,
            "units": f"hex:{size_m}m",
            "crs": f"EPSG:4326 (WGS84); areas in {graph.area_crs}",
            "parcels": parcels_geojson(graph),
        }

    @app.get("/api/parcels/transfers", tags=["meta"], response_model=dict[str, Any])
    def parcel_transfers_route(
        west: float = box_params["west"],
        south: float = box_params["south"],
        east: float = box_params["east"],
        north: float = box_params["north"],
        size_m: int = Query(400),
        pick: str = Query(
            ..., max_length=20000, pattern=r"^p\d{5}(,p\d{5})*$", description="parcel ids, comma-separated"
        ),
        name: str = Query("parcels", max_length=60, pattern=r"^[a-z0-9][a-z0-9-]*$"),
        actor: Any = Depends(ready),
    ) -> Any:
        """The transfers (WGS84) that give each picked parcel to the other party: read-only, nothing stored."""
        graph, bbox = grid_of(west, south, east, north, size_m)
        source = f"parcels picked on a hex:{size_m}m grid over {bbox} by {actor.username}"
        return {
            "bbox": bbox,
            "size_m": size_m,
            "transfers": picked_transfers(graph, sorted(set(pick.split(","))), name, source),
        }

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
            if page == "draft":
                warm_up_drafting()
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
