"""Build a dataset folder from OpenStreetMap extracts (``delimit data build --osm``).

One streaming pass per file through pyosmium (node locations in osmium's own index, areas
assembled by osmium), keeping only what falls in the window; rows are flushed to the GeoPackage
every :data:`FLUSH_ROWS` features, so memory stays bounded by the location index and one batch,
not by the size of the extract (when several extracts are given, the ids of the features kept are
remembered too, so that a feature in two neighbours' extracts is written once). The folder holds the embedded dataset's layers:

* ``territory``: ``boundary=administrative`` + ``admin_level=2`` relations assembled into polygons,
  clipped to the window; party = ``ISO3166-1:alpha3`` (else alpha-2). Absent, with the reason in
  the manifest's notes, when no such polygon could be assembled (an extract smaller than its country
  holds only part of the country's relation).
* ``roads``: ``highway=*`` ways of a class delimit knows (:data:`delimit.io.osm.ROAD_CLASSES`),
  not ``area=yes``, clipped to the window; ``road_class`` the delimit class, ``highway`` the tag.
* ``settlements``: ``place`` nodes (:data:`delimit.io.osm.SETTLEMENT_PLACES`) with the
  ``population`` tag parsed by :func:`delimit.io.osm.parse_population`.
* ``crossings``: ``barrier=border_control`` nodes (posts: ``kind='checkpoint'``).
* ``rivers``: ``waterway`` = river, stream, canal, ditch, drain (``kind`` = the tag).
* ``water_bodies``: ``natural=water`` and ``landuse=reservoir`` areas.
* ``pasture_candidates``: ``landuse`` = meadow, grassland (also ``natural=grassland``), farmland.
* ``window``: the window polygon.

The manifest (``manifest.json``) follows the embedded one: per layer the feature count, geometry
type, licence (ODbL 1.0) and source package ``osm-pbf`` (credited as OpenStreetMap by
:mod:`delimit.attribution`), the input files with their SHA-256, road kilometres per class
(geodesic, WGS84 ellipsoid) and the notes. Everything is stored in WGS84 (EPSG:4326).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pyogrio
import shapely
from pyproj import Geod

from delimit.crs import WGS84
from delimit.errors import InputError
from delimit.io.limits import Limits, check_file
from delimit.io.osm import ROAD_CLASSES, SETTLEMENT_PLACES, _name, _role, _year, parse_population

#: Features buffered per layer before they are appended to the GeoPackage.
FLUSH_ROWS = 20_000
WATERWAYS = frozenset({"river", "stream", "canal", "ditch", "drain"})
PASTURE_LANDUSE = frozenset({"meadow", "grassland", "farmland"})
LICENCE = "ODbL-1.0"
SOURCE_PACKAGE = "osm-pbf"
GPKG = "osm.gpkg"
ProgressFn = Callable[[str, float], None]


def parse_window(text: str | Sequence[float]) -> tuple[float, float, float, float]:
    """``'LON0,LAT0,LON1,LAT1'`` (west, south, east, north; degrees) -> a checked tuple.

    >>> parse_window("69.5,39.7,71.0,40.6")
    (69.5, 39.7, 71.0, 40.6)
    """
    parts = [p.strip() for p in text.split(",")] if isinstance(text, str) else list(text)
    if len(parts) != 4:
        raise InputError("--window", f"give four numbers LON0,LAT0,LON1,LAT1 (got {len(parts)})", field="window")
    try:
        w, s, e, n = (float(p) for p in parts)
    except ValueError:
        raise InputError("--window", f"not a number in {text!r}", field="window") from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise InputError("--window", "every bound must be a finite number", field="window")
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= 90 and -90 <= n <= 90):
        raise InputError(
            "--window", f"bounds outside ±180 longitude / ±90 latitude: {w:g},{s:g},{e:g},{n:g}", field="window"
        )
    if w >= e:
        raise InputError(
            "--window",
            f"west {w:g} is not less than east {e:g} (windows across the antimeridian are not supported)",
            field="window",
        )
    if s >= n:
        raise InputError("--window", f"south {s:g} is not less than north {n:g}", field="window")
    return (w, s, e, n)


def check_pbf(path: str | Path, limits: Limits | None = None) -> Path:
    """The path of a readable OSM PBF file; InputError when missing, too big or not a PBF.

    A PBF starts with a 4-byte big-endian header length and an ``OSMHeader`` blob header; a
    truncated file is caught while reading (osmium reports the short blob).
    """
    p = check_file(path, limits)
    if p.is_dir():
        raise InputError(p, "is a folder, not an OSM PBF file")
    with p.open("rb") as fh:
        head = fh.read(64)
    size = int.from_bytes(head[:4], "big") if len(head) >= 4 else 0
    if len(head) < 8 or not (0 < size < 64 * 1024) or b"OSMHeader" not in head[4 : 4 + size]:
        raise InputError(p, "not an OpenStreetMap PBF file (no OSMHeader block at the start)")
    return p


@dataclass
class _Sink:
    """Buffered, append-only writer of one GeoPackage layer."""

    gpkg: Path
    layer: str
    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0
    geom_types: Counter[str] = field(default_factory=Counter)

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        gdf = gpd.GeoDataFrame(self.rows, columns=[*self.columns, "geometry"], geometry="geometry", crs=WGS84)
        self.geom_types.update(gdf.geom_type)
        pyogrio.write_dataframe(
            gdf,
            self.gpkg,
            layer=self.layer,
            driver="GPKG",
            append=self.count > 0,
            promote_to_multi=False,
            geometry_type="Unknown",
        )
        self.count += len(self.rows)
        self.rows = []


LAYER_COLUMNS: dict[str, list[str]] = {
    "territory": ["part_id", "party", "name", "country_name", "status", "source", "osm_id"],
    "roads": ["road_id", "name", "road_class", "highway", "status", "source", "osm_id"],
    "settlements": [
        "settlement_id",
        "name",
        "population",
        "population_year",
        "role",
        "country_code",
        "place",
        "status",
        "source",
        "osm_id",
    ],
    "crossings": ["crossing_id", "name", "parties", "kind", "status", "source", "osm_id"],
    "rivers": ["water_id", "name", "kind", "status", "source", "osm_id"],
    "water_bodies": ["water_id", "name", "kind", "status", "source", "osm_id"],
    "pasture_candidates": ["pasture_id", "name", "landuse", "status", "source", "osm_id"],
    "window": ["name", "source"],
}


class _Builder:
    """State of one build: the sinks, the window, the counters and notes."""

    def __init__(self, gpkg: Path, window: tuple[float, float, float, float]) -> None:
        self.window = window
        self.box = shapely.box(*window)
        shapely.prepare(self.box)
        self.sinks = {name: _Sink(gpkg, name, cols) for name, cols in LAYER_COLUMNS.items()}
        self.geod = Geod(ellps="WGS84")
        self.road_km: defaultdict[str, float] = defaultdict(float)  # km by road class
        self.notes: list[str] = []
        self.admin2_seen: dict[int, str] = {}
        self.admin2_built: set[int] = set()
        self.wkb = osmium.geom.WKBFactory()
        self.dedup = False  # set when several extracts are read (neighbours' extracts overlap at the border)
        self.seen_ids: set[str] = set()
        self.ways_missing_nodes = 0
        self.pending: list[tuple[str, dict[str, Any], bytes | str | list[list[tuple[float, float]]]]] = []

    def inside(self, lon: float, lat: float) -> bool:
        w, s, e, n = self.window
        return w <= lon <= e and s <= lat <= n

    def clip(self, geom: shapely.Geometry) -> shapely.Geometry | None:
        if geom is None or geom.is_empty or not shapely.intersects(self.box, geom):
            return None
        if shapely.contains(self.box, geom):
            return geom
        out = shapely.clip_by_rect(geom, *self.window)
        return None if out.is_empty else out

    def once(self, key: str) -> bool:
        """True the first time a feature is met (always True for a single extract: no id set is kept)."""
        if not self.dedup:
            return True
        if key in self.seen_ids:
            return False
        self.seen_ids.add(key)
        return True


def _node(b: _Builder, obj: Any, source: str) -> None:
    tags = obj.tags
    if not obj.location.valid() or not b.inside(obj.location.lon, obj.location.lat):
        return
    pt = shapely.Point(obj.location.lon, obj.location.lat)
    kind = tags.get("place", "")
    if kind in SETTLEMENT_PLACES and b.once(f"n{obj.id}"):
        t = dict(tags)
        b.sinks["settlements"].add(
            {
                "settlement_id": f"osm-n{obj.id}",
                "name": _name(t),
                "population": parse_population(t.get("population")),
                "population_year": _year(t.get("population:date")),
                "role": _role(t),
                "country_code": (t.get("is_in:country_code") or t.get("addr:country") or "").strip().upper()[:2],
                "place": kind,
                "status": "registry",
                "source": source,
                "osm_id": int(obj.id),
                "geometry": pt,
            }
        )
    if tags.get("barrier") == "border_control" and b.once(f"c{obj.id}"):
        t = dict(tags)
        b.sinks["crossings"].add(
            {
                "crossing_id": f"osm-n{obj.id}",
                "name": _name(t) or f"border control n{obj.id}",
                "parties": "",
                "kind": "checkpoint",
                "status": "registry",
                "source": source,
                "osm_id": int(obj.id),
                "geometry": pt,
            }
        )


def _runs(obj: Any) -> list[list[tuple[float, float]]]:
    """The way's coordinates, cut where a node is missing from the extract (never a chord across the gap)."""
    runs: list[list[tuple[float, float]]] = [[]]
    for n in obj.nodes:
        loc = n.location
        if loc.valid():
            runs[-1].append((loc.lon, loc.lat))
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if len(r) >= 2]


def _way(b: _Builder, obj: Any, source: str) -> None:
    """Queue a road or waterway way; geometry is built, clipped and measured in batches (:func:`_flush_ways`)."""
    tags = obj.tags
    hw = tags.get("highway")
    ww = tags.get("waterway")
    cls = ROAD_CLASSES.get(hw) if hw else None
    if cls is None and ww not in WATERWAYS:
        return
    try:  # osmium builds the line in C++ (consecutive duplicate nodes dropped)
        runs: bytes | str | list[list[tuple[float, float]]] = b.wkb.create_linestring(obj)  # hex WKB
    except (osmium.InvalidLocationError, RuntimeError):  # a node missing from the extract, or fewer than 2 points
        runs = _runs(obj)
        if len(obj.nodes) and any(not n.location.valid() for n in obj.nodes):
            b.ways_missing_nodes += 1
        if not runs:
            return
    name = tags.get("name:en") or tags.get("name") or ""
    if cls is not None and tags.get("area") != "yes" and b.once(f"w{obj.id}"):
        b.pending.append(
            (
                "roads",
                {
                    "road_id": f"osm-w{obj.id}",
                    "name": name or tags.get("ref", ""),
                    "road_class": cls,
                    "highway": hw,
                    "status": "registry",
                    "source": source,
                    "osm_id": int(obj.id),
                },
                runs,
            )
        )
    if ww in WATERWAYS and b.once(f"ww{obj.id}"):
        b.pending.append(
            (
                "rivers",
                {
                    "water_id": f"osm-w{obj.id}",
                    "name": name,
                    "kind": ww,
                    "status": "registry",
                    "source": source,
                    "osm_id": int(obj.id),
                },
                runs,
            )
        )
    if len(b.pending) >= FLUSH_ROWS:
        _flush_ways(b)


def _flush_ways(b: _Builder) -> None:
    """Build, clip to the window and measure the queued ways at once (vectorised shapely and pyproj)."""
    if not b.pending:
        return
    pending, b.pending = b.pending, []
    geoms = np.empty(len(pending), dtype=object)
    wkb_at = [i for i, (_l, _a, r) in enumerate(pending) if isinstance(r, (bytes, str))]
    if wkb_at:
        geoms[wkb_at] = shapely.from_wkb([pending[i][2] for i in wkb_at])
    for i, (_l, _a, runs) in enumerate(pending):
        if not isinstance(runs, (bytes, str)):
            geoms[i] = shapely.LineString(runs[0]) if len(runs) == 1 else shapely.MultiLineString(runs)
    w, s, e, n = b.window
    bx = shapely.bounds(geoms)
    all_in = (bx[:, 0] >= w) & (bx[:, 2] <= e) & (bx[:, 1] >= s) & (bx[:, 3] <= n)
    clip = ~all_in
    if clip.any():
        geoms[clip] = shapely.clip_by_rect(geoms[clip], w, s, e, n)
    keep = ~shapely.is_empty(geoms)
    km = _km_each(b.geod, geoms)
    for kept in np.flatnonzero(keep):
        layer, attrs, _runs = pending[kept]
        g = geoms[kept]
        if g.geom_type not in ("LineString", "MultiLineString"):
            g = (
                shapely.MultiLineString([x for x in shapely.get_parts(g) if x.geom_type == "LineString"])
                if not g.is_empty
                else g
            )
        if layer == "roads":
            b.road_km[attrs["road_class"]] += float(km[kept])
        b.sinks[layer].add({**attrs, "geometry": g})


def _km_each(geod: Geod, geoms: np.ndarray) -> np.ndarray:
    """Geodesic length (km, WGS84 ellipsoid) of each (multi)line, all segments measured at once."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    xy, part = shapely.get_coordinates(parts, return_index=True)
    out = np.zeros(len(geoms))
    if len(xy) < 2:
        return out
    same = part[1:] == part[:-1]
    _f, _b, d = geod.inv(xy[:-1, 0][same], xy[:-1, 1][same], xy[1:, 0][same], xy[1:, 1][same])
    per_part = np.bincount(part[1:][same], weights=d, minlength=len(parts))
    return np.bincount(owner, weights=per_part, minlength=len(geoms)) / 1000.0


def _area(b: _Builder, obj: Any, source: str) -> None:
    tags = obj.tags
    admin2 = tags.get("boundary") == "administrative" and tags.get("admin_level") == "2" and not obj.from_way()
    landuse = tags.get("landuse", "")
    water = tags.get("natural") == "water" or landuse == "reservoir"
    pasture = landuse in PASTURE_LANDUSE or tags.get("natural") == "grassland"
    if not (admin2 or water or pasture):
        return
    oid = f"{'w' if obj.from_way() else 'r'}{obj.orig_id()}"
    try:
        geom = shapely.from_wkb(b.wkb.create_multipolygon(obj))
    except Exception as exc:  # osmium raises on degenerate rings
        if admin2:
            b.notes.append(
                f"relation {oid}: no polygon ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
            )
        return
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    geom = b.clip(geom)
    if admin2:
        b.admin2_built.add(int(obj.orig_id()))
    if geom is None or not b.once(f"a{oid}"):
        return
    geom = (
        shapely.MultiPolygon([g for g in shapely.get_parts(geom) if g.geom_type == "Polygon"])
        if geom.geom_type not in ("Polygon", "MultiPolygon")
        else geom
    )
    if geom.is_empty:
        return
    t = dict(tags)
    if admin2:
        party = (t.get("ISO3166-1:alpha3") or t.get("ISO3166-1:alpha2") or t.get("ISO3166-1") or "").strip().upper()
        if not party:
            b.notes.append(f"relation {oid} ({_name(t) or 'unnamed'}) has no ISO3166-1 tag; skipped")
            return
        for k, poly in enumerate(sorted(shapely.get_parts(geom), key=lambda g: -g.area), start=1):
            b.sinks["territory"].add(
                {
                    "part_id": f"osm-{oid}-{k}",
                    "party": party,
                    "name": "",
                    "country_name": _name(t),
                    "status": "de-facto",
                    "source": source,
                    "osm_id": int(obj.orig_id()),
                    "geometry": poly,
                }
            )
    elif water:
        b.sinks["water_bodies"].add(
            {
                "water_id": f"osm-{oid}",
                "name": _name(t),
                "kind": t.get("water", "") or landuse or "water",
                "status": "registry",
                "source": source,
                "osm_id": int(obj.orig_id()),
                "geometry": geom,
            }
        )
    else:
        b.sinks["pasture_candidates"].add(
            {
                "pasture_id": f"osm-{oid}",
                "name": _name(t),
                "landuse": landuse or "grassland",
                "status": "registry",
                "source": source,
                "osm_id": int(obj.orig_id()),
                "geometry": geom,
            }
        )


def _read_one(b: _Builder, path: Path, progress: ProgressFn) -> None:
    source = f"OpenStreetMap ({path.name})"
    areas = osmium.filter.KeyFilter("boundary", "landuse", "natural")
    proc = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_areas(areas)
        .with_filter(
            osmium.filter.KeyFilter("highway", "place", "boundary", "waterway", "landuse", "natural", "barrier")
        )
    )
    n = 0
    try:
        for obj in proc:
            n += 1
            if isinstance(obj, osmium.osm.Node):  # what obj.is_node() tests; the isinstance narrows the type
                _node(b, obj, source)
            elif isinstance(obj, osmium.osm.Way):
                _way(b, obj, source)
            elif isinstance(obj, osmium.osm.Relation):
                if obj.tags.get("boundary") == "administrative" and obj.tags.get("admin_level") == "2":
                    b.admin2_seen[int(obj.id)] = _name(dict(obj.tags))
            elif isinstance(obj, osmium.osm.Area):
                _area(b, obj, source)
            if n % 200_000 == 0:
                progress(f"{path.name}: {n:,} objects", 0.5)
    except RuntimeError as exc:
        lines = str(exc).strip().splitlines()
        raise InputError(
            path, f"cannot read as OSM PBF (truncated or corrupt): {lines[0] if lines else type(exc).__name__}"
        ) from None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_osm_dataset(
    paths: Sequence[str | Path],
    window: tuple[float, float, float, float],
    folder: Path,
    *,
    name: str = "osm",
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Write the dataset layers and ``manifest.json`` into ``folder`` (an empty, temporary folder).

    Raises InputError for a missing, oversized, truncated or non-PBF file (before or while reading;
    the caller builds in a temporary folder so nothing is left behind). Returns the manifest.
    """
    report = progress or (lambda _m, _f: None)
    files = [check_pbf(p, limits) for p in paths]
    if not files:
        raise InputError("--osm", "give at least one .osm.pbf file", field="osm")
    gpkg = folder / GPKG
    b = _Builder(gpkg, window)
    b.dedup = len(files) > 1
    for i, p in enumerate(files):
        report(f"reading {p.name}", i / len(files))
        _read_one(b, p, report)
    _flush_ways(b)
    b.sinks["window"].add(
        {
            "name": "window",
            "source": f"delimit data build --window {','.join(f'{v:g}' for v in window)}",
            "geometry": b.box,
        }
    )
    for s in b.sinks.values():
        s.flush()
    if b.ways_missing_nodes:
        b.notes.append(
            f"{b.ways_missing_nodes} way(s) reference nodes missing from the extract; their lines are cut there (no chord across the gap)"
        )
    for rid in sorted(set(b.admin2_seen) - b.admin2_built):
        b.notes.append(
            f"relation r{rid} ({b.admin2_seen[rid] or 'unnamed'}): admin_level=2 boundary could not be assembled (incomplete in the extract); not in territory"
        )
    if b.sinks["territory"].count == 0:
        b.notes.append(
            "no territory layer: no admin_level=2 boundary polygon could be assembled inside the window (an extract smaller than its country holds only part of the country's relation); give a scenario a territory layer, or build from whole-country extracts"
        )
    manifest = _manifest(b, files, window, name)
    (folder / "manifest.json").write_text(
        json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (folder / "ATTRIBUTION.md").write_text(_attribution(files), encoding="utf-8")
    report("done", 1.0)
    return manifest


def _manifest(b: _Builder, files: list[Path], window: tuple[float, float, float, float], name: str) -> dict[str, Any]:
    layers = {}
    for lname, s in b.sinks.items():
        if s.count == 0:
            continue
        gtypes = sorted(s.geom_types)
        layers[lname] = {
            "features": s.count,
            "file": GPKG,
            "geometry_type": gtypes[0] if len(gtypes) == 1 else "/".join(gtypes),
            "licence": LICENCE if lname != "window" else "delimit (Apache-2.0)",
            "source_package": SOURCE_PACKAGE if lname != "window" else "delimit",
            "source_version": ", ".join(f.name for f in files) if lname != "window" else "-",
        }
    return {
        "dataset": name,
        "version": "osm-" + hashlib.sha256("".join(_sha256(f) for f in files).encode()).hexdigest()[:12],
        "builder": "delimit data build --osm",
        "crs": "EPSG:4326",
        "vector_file": GPKG,
        "window": list(window),
        "inputs": {f.name: {"sha256": _sha256(f), "bytes": f.stat().st_size} for f in files},
        "layers": layers,
        "road_km_by_class": {k: round(v, 3) for k, v in sorted(b.road_km.items())},
        "road_km_method": "geodesic length on the WGS84 ellipsoid (pyproj Geod) of the ways clipped to the window",
        "notes": b.notes,
        "files": {GPKG: "written by delimit data build"},
    }


def _attribution(files: list[Path]) -> str:
    return (
        "# Attribution\n\n"
        "Data © OpenStreetMap contributors, available under the Open Database License (ODbL 1.0): "
        "https://www.openstreetmap.org/copyright\n\n"
        f"Built by `delimit data build` from: {', '.join(f.name for f in files)}.\n"
    )


__all__ = ["FLUSH_ROWS", "build_osm_dataset", "check_pbf", "parse_window"]
