"""OpenStreetMap reader (PBF, XML and the other formats libosmium reads) through pyosmium.

:func:`read_osm` turns an OSM extract into three delimit layers:

* ``roads`` - ways tagged ``highway=*`` of a road class delimit knows (:data:`ROAD_CLASSES`), **split
  at junctions**: wherever a node is shared by two road ways (or visited twice by one), the line is
  cut, so that junctions are shared end vertices and the access engine can build its graph from
  segment end points alone. One row per segment; ``road_id`` is ``osm-w<way id>`` for an uncut way
  and ``osm-w<way id>-<k>`` (k = 1, 2, ... along the way) for its pieces.
* ``places`` (the ``settlements`` layer) - nodes tagged ``place`` = city, town, village, hamlet or
  isolated_dwelling, with the ``population`` tag parsed safely (0 when absent or unparseable).
* ``boundaries`` (the ``territory`` layer) - relations ``boundary=administrative`` +
  ``admin_level=2`` assembled into (multi)polygons by osmium's area assembler; each polygon of a
  multipolygon becomes its own part (an exclave such as Vorukh is a part of its own), the party
  being the relation's ``ISO3166-1:alpha3`` tag.

Everything is WGS84 (EPSG:4326), the CRS of OSM. Input that osmium cannot parse, or a file over the
size limit (:mod:`delimit.io.limits`), raises :class:`~delimit.errors.InputError`. Data that is
merely incomplete, as extracts usually are (ways referencing nodes outside the extract, country
relations cut by the extract's edge), is read as far as it goes and each gap is listed in
:attr:`OsmData.problems` and in :meth:`OsmData.summary`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import osmium
import shapely

from delimit.crs import WGS84
from delimit.errors import InputError
from delimit.io.limits import Limits, check_file

#: ``highway=*`` value -> delimit ``road_class``. Link roads take their parent's class. Values not
#: listed (``proposed``, ``construction``, ``platform``, ``raceway``...) are not roads one can travel.
ROAD_CLASSES: dict[str, str] = {
    "motorway": "motorway",
    "motorway_link": "motorway",
    "trunk": "trunk",
    "trunk_link": "trunk",
    "primary": "primary",
    "primary_link": "primary",
    "secondary": "secondary",
    "secondary_link": "secondary",
    "tertiary": "tertiary",
    "tertiary_link": "tertiary",
    "unclassified": "unclassified",
    "road": "unclassified",
    "residential": "residential",
    "living_street": "residential",
    "service": "service",
    "track": "track",
    "path": "path",
    "footway": "path",
    "bridleway": "path",
    "steps": "path",
    "pedestrian": "path",
    "cycleway": "path",
}

#: ``place=*`` values read as settlements (suburbs, localities and the like are parts of or
#: names for places, not places people live in on their own).
SETTLEMENT_PLACES: frozenset[str] = frozenset({"city", "town", "village", "hamlet", "isolated_dwelling"})

#: File name endings read as OSM data (``delimit validate`` routes these here).
OSM_SUFFIXES: tuple[str, ...] = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".o5m", ".opl")

#: Populations above this are tagging errors (no settlement holds 100 million people).
MAX_POPULATION = 100_000_000

_POPULATION = re.compile(r"^~?\s*(\d{1,3}(?:[ ,.\u00a0\u202f']\d{3})+|\d+)$")
_YEAR = re.compile(r"^\s*(\d{4})(?:\b|-)")

ROAD_COLUMNS = ["road_id", "name", "road_class", "status", "source", "osm_id"]
PLACE_COLUMNS = [
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
]
BOUNDARY_COLUMNS = ["part_id", "party", "name", "country_name", "status", "source", "osm_id"]


def is_osm_path(path: str | Path) -> bool:
    """True if the file name ends like an OSM file (``.osm.pbf``, ``.pbf``, ``.osm``, ``.osm.bz2``...)."""
    return Path(path).name.lower().endswith(OSM_SUFFIXES)


def parse_population(value: str | None) -> int | None:
    """Parse an OSM ``population`` tag into a head count (persons); None (unknown) when absent, ambiguous or absurd.

    Accepts plain integers and thousands separated by space, comma, dot, apostrophe or a
    (narrow) no-break space, with an optional leading ``~``. Anything else (ranges, lists,
    words, negatives, decimals, 0) is None = unknown, never 0 people: a wrong number is worse than none.

    >>> parse_population("12 345"), parse_population("1,200"), parse_population("~800")
    (12345, 1200, 800)
    >>> parse_population("about 300"), parse_population("1000;2000"), parse_population("-5"), parse_population(None)
    (None, None, None, None)
    """
    if value is None:
        return None
    m = _POPULATION.match(value.strip())
    if not m:
        return None
    n = int(re.sub(r"\D", "", m.group(1)))
    return n if 0 < n <= MAX_POPULATION else None


def _year(value: str | None) -> int | None:
    """The year of a ``population:date`` tag (``2019`` or ``2019-01-01``); None if none."""
    if not value:
        return None
    m = _YEAR.match(value)
    return int(m.group(1)) if m and 1800 <= int(m.group(1)) <= 2100 else None


def _role(tags: dict[str, str]) -> str:
    """Settlement role from ``capital`` (an admin level in OSM) and ``place``."""
    capital = tags.get("capital", "")
    if capital in ("yes", "2"):
        return "capital"
    if capital in ("3", "4"):
        return "regional-centre"
    if capital in ("5", "6"):
        return "district-centre"
    return "town" if tags.get("place") in ("city", "town") else "village"


def _name(tags: dict[str, str], *fallbacks: str) -> str:
    """English name if tagged, else the local name, else the first fallback tag present."""
    for key in ("name:en", "name", *fallbacks):
        value = tags.get(key, "").strip()
        if value:
            return value
    return ""


@dataclass
class OsmData:
    """The layers read from one OSM file (GeoDataFrames in EPSG:4326).

    Attributes
    ----------
    path: the file read.
    roads: road segments split at junctions (roads layer columns + ``osm_id``, the way id).
    places: settlements (settlements layer columns + ``place`` kind + ``osm_id``, the node id).
    boundaries: country parts (territory layer columns + ``country_name`` + ``osm_id``, the relation id).
    ways_read: how many road ways the segments came from.
    problems: one line per gap in the data (missing nodes, unassembled or untagged boundaries).
    """

    path: str
    roads: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    boundaries: gpd.GeoDataFrame
    ways_read: int = 0
    problems: list[str] = field(default_factory=list)

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The non-empty layers under delimit's layer names (``roads``, ``settlements``, ``territory``)."""
        named = {"roads": self.roads, "settlements": self.places, "territory": self.boundaries}
        return {k: v for k, v in named.items() if len(v)}

    def summary(self) -> str:
        """One line: counts by road class, place kind and party, then the number of problems."""

        def counts(gdf: gpd.GeoDataFrame, col: str) -> str:
            c = Counter(str(v) for v in gdf[col]) if len(gdf) else Counter()
            return ", ".join(f"{k} {n}" for k, n in sorted(c.items()))

        parts = [
            f"roads {len(self.roads)} segment{'' if len(self.roads) == 1 else 's'} from {self.ways_read} way{'' if self.ways_read == 1 else 's'}"
            + (f" ({counts(self.roads, 'road_class')})" if len(self.roads) else ""),
            f"places {len(self.places)}" + (f" ({counts(self.places, 'place')})" if len(self.places) else ""),
            f"boundaries {len(self.boundaries)} part{'' if len(self.boundaries) == 1 else 's'}"
            + (f" ({counts(self.boundaries, 'party')})" if len(self.boundaries) else ""),
        ]
        text = "; ".join(parts)
        if self.problems:
            text += f"; {len(self.problems)} problem{'s' if len(self.problems) > 1 else ''} (first: {self.problems[0]})"
        return text


@dataclass
class _RoadWay:
    osm_id: int
    road_class: str
    name: str
    refs: list[int]
    coords: list[tuple[float, float] | None]


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> gpd.GeoDataFrame:
    if not rows:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)
    return gpd.GeoDataFrame(rows, columns=[*columns, "geometry"], geometry="geometry", crs=WGS84)


def _split_way(way: _RoadWay, uses: Counter[int]) -> list[list[tuple[float, float]]]:
    """Cut a way at junction nodes (used more than once) and at nodes missing from the file."""
    pieces: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    last = len(way.refs) - 1
    for i, (ref, xy) in enumerate(zip(way.refs, way.coords, strict=True)):
        if xy is None:  # node not in the extract: the line is broken here
            pieces.append(current)
            current = []
            continue
        if not current or current[-1] != xy:
            current.append(xy)
        if 0 < i < last and uses[ref] > 1:
            pieces.append(current)
            current = [xy]
    pieces.append(current)
    return [p for p in pieces if len(p) >= 2]


def _road_frame(ways: list[_RoadWay], source: str) -> gpd.GeoDataFrame:
    uses: Counter[int] = Counter()
    for w in ways:
        uses.update(w.refs)
    rows: list[dict[str, Any]] = []
    for w in ways:
        pieces = _split_way(w, uses)
        for k, coords in enumerate(pieces, start=1):
            rid = f"osm-w{w.osm_id}" if len(pieces) == 1 else f"osm-w{w.osm_id}-{k}"
            rows.append(
                {
                    "road_id": rid,
                    "name": w.name,
                    "road_class": w.road_class,
                    "status": "registry",
                    "source": source,
                    "osm_id": w.osm_id,
                    "geometry": shapely.LineString(coords),
                }
            )
    return _frame(rows, ROAD_COLUMNS)


def read_osm(path: str | Path, *, limits: Limits | None = None) -> OsmData:
    """Read roads, settlements and country boundaries from an OSM file.

    Parameters
    ----------
    path:
        An OSM file in any format libosmium reads (``.osm.pbf``, ``.osm``, ``.osm.bz2``...).
    limits:
        Size limit (default from ``DELIMIT_MAX_FILE_MB``).

    Returns
    -------
    OsmData
        ``roads`` split at junctions, ``places``, ``boundaries`` (see the module docstring).

    Raises
    ------
    InputError
        File missing, over the size limit, or not parseable as OSM data.

    Examples
    --------
    >>> data = read_osm("extract.osm.pbf")  # doctest: +SKIP
    >>> data.layers()["roads"].columns.tolist()  # doctest: +SKIP
    ['road_id', 'name', 'road_class', 'status', 'source', 'osm_id', 'geometry']
    """
    p = check_file(path, limits)
    if p.is_dir():
        raise InputError(p, "is a folder, not an OSM file")
    reader = _OsmReader(f"OpenStreetMap ({p.name})")
    processor = (
        osmium.FileProcessor(str(p))
        .with_areas(osmium.filter.TagFilter(("boundary", "administrative")))
        .with_filter(osmium.filter.KeyFilter("highway", "place", "boundary"))
    )
    try:
        for obj in processor:
            reader.read(obj)
    except RuntimeError as exc:
        raise InputError(p, f"cannot read as OSM data: {_first_line(exc)}") from None
    return reader.result(str(p))


class _OsmReader:
    """What :func:`read_osm` gathers from the objects of one file, one object at a time."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.ways: list[_RoadWay] = []
        self.place_rows: list[dict[str, Any]] = []
        self.boundary_rows: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.candidates: dict[int, str] = {}  # relation id -> name, admin_level=2 boundary relations seen
        self.assembled: set[int] = set()
        self.missing_node_ways = 0
        self.wkb = osmium.geom.WKBFactory()

    def read(self, obj: Any) -> None:
        """Take one OSM object (node, way, relation or assembled area)."""
        if isinstance(obj, osmium.osm.Node):
            self.node(obj)
        elif isinstance(obj, osmium.osm.Way):
            self.way(obj)
        elif isinstance(obj, osmium.osm.Relation):
            tags = dict(obj.tags)
            if tags.get("boundary") == "administrative" and tags.get("admin_level") == "2":
                self.candidates[int(obj.id)] = _name(tags)
        elif isinstance(obj, osmium.osm.Area):
            self.area(obj)

    def node(self, obj: Any) -> None:
        """A settlement (``place`` in :data:`SETTLEMENT_PLACES`); population None (unknown) if untagged."""
        tags = dict(obj.tags)
        kind = tags.get("place", "")
        if kind not in SETTLEMENT_PLACES or not obj.location.valid():
            return
        self.place_rows.append(
            {
                "settlement_id": f"osm-n{obj.id}",
                "name": _name(tags),
                "population": parse_population(tags.get("population")),
                "population_year": _year(tags.get("population:date")),
                "role": _role(tags),
                "country_code": (tags.get("is_in:country_code") or tags.get("addr:country") or "").strip().upper()[:2],
                "place": kind,
                "status": "registry",
                "source": self.source,
                "osm_id": int(obj.id),
                "geometry": shapely.Point(obj.location.lon, obj.location.lat),
            }
        )

    def way(self, obj: Any) -> None:
        """A road way (``highway`` in :data:`ROAD_CLASSES`, not an area), with its node refs and locations."""
        tags = dict(obj.tags)
        cls = ROAD_CLASSES.get(tags.get("highway", ""))
        if cls is None or tags.get("area") == "yes":
            return
        refs: list[int] = []
        coords: list[tuple[float, float] | None] = []
        for n in obj.nodes:
            refs.append(int(n.ref))
            coords.append((n.location.lon, n.location.lat) if n.location.valid() else None)
        if any(c is None for c in coords):
            self.missing_node_ways += 1
        self.ways.append(_RoadWay(int(obj.id), cls, _name(tags, "ref"), refs, coords))

    def area(self, obj: Any) -> None:
        """A country (admin_level=2 boundary relation assembled into polygons): one row per part."""
        if obj.from_way():
            return  # boundary segments that happen to be closed ways are not countries
        tags = dict(obj.tags)
        if tags.get("boundary") != "administrative" or tags.get("admin_level") != "2":
            return
        rid = int(obj.orig_id())
        self.assembled.add(rid)
        party = (tags.get("ISO3166-1:alpha3") or "").strip().upper()
        if not party:
            alpha2 = (tags.get("ISO3166-1:alpha2") or tags.get("ISO3166-1") or "").strip().upper()
            if not alpha2:
                self.problems.append(f"relation r{rid} ({_name(tags) or 'unnamed'}) has no ISO3166-1 tag; skipped")
                return
            party = alpha2
            self.problems.append(f"relation r{rid} has no ISO3166-1:alpha3 tag; party is its alpha-2 code {alpha2!r}")
        try:
            geom = shapely.from_wkb(self.wkb.create_multipolygon(obj))
        except Exception as exc:  # osmium raises on degenerate rings
            self.problems.append(
                f"relation r{rid} ({_name(tags)}): no polygon ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
            )
            return
        polys = sorted(shapely.get_parts(geom), key=lambda g: -g.area)
        for k, poly in enumerate(polys, start=1):
            self.boundary_rows.append(
                {
                    "part_id": f"osm-r{rid}" if len(polys) == 1 else f"osm-r{rid}-{k}",
                    "party": party,
                    "name": "",
                    "country_name": _name(tags),
                    "status": "de-facto",
                    "source": self.source,
                    "osm_id": rid,
                    "geometry": poly,
                }
            )

    def result(self, path: str) -> OsmData:
        """The layers read, with one problem line per gap found in the data."""
        problems = list(self.problems)
        if self.missing_node_ways:
            n = self.missing_node_ways
            problems.append(
                f"{n} road way{'s reference' if n > 1 else ' references'} nodes missing from the file; lines cut there"
            )
        for rid in sorted(set(self.candidates) - self.assembled):
            problems.append(
                f"relation r{rid} ({self.candidates[rid] or 'unnamed'}): boundary could not be assembled into a closed polygon (incomplete or broken rings); skipped"
            )
        places = _frame(self.place_rows, PLACE_COLUMNS)
        for col in ("population", "population_year"):  # unknown is null, never 0
            places[col] = places[col].astype("Int64")
        return OsmData(
            path=path,
            roads=_road_frame(self.ways, self.source),
            places=places,
            boundaries=_frame(self.boundary_rows, BOUNDARY_COLUMNS),
            ways_read=len(self.ways),
            problems=problems,
        )


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


__all__ = [
    "OSM_SUFFIXES",
    "ROAD_CLASSES",
    "SETTLEMENT_PLACES",
    "OsmData",
    "is_osm_path",
    "parse_population",
    "read_osm",
]
