"""The legal description of a boundary line: sections, numbered turning points, segments, lengths.

A treaty annex describes a line by its turning points (with datum), the type of each segment and
the geodesic lengths and azimuths between consecutive points. This module turns a line (a
:class:`~delimit.model.features.BoundaryLine`, a (Multi)LineString or a line layer) into those tables:

* each connected piece of the line is a **section**, numbered from 1; a section has one status
  (:mod:`delimit.treaty.status`) and is what each delegation initials and signs;
* **turning points** are the line's vertices, numbered continuously through all sections (section 1
  holds points 1..n1, section 2 holds n1+1.., ...), in order along each section; nothing is
  simplified unless ``simplify_m`` is given, in which case the tolerance and the number of vertices
  dropped are reported;
* **segments** join consecutive turning points; lengths and azimuths are geodesic on the WGS84
  ellipsoid (no projection), types come from attributes, the caller, or detection
  (:mod:`delimit.treaty.segment_types`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from delimit.crs import WGS84, crs_description, metric_crs
from delimit.errors import GeometryError, InputError
from delimit.model.features import BoundaryLine
from delimit.model.raster import Raster
from delimit.treaty.accuracy import (
    MAX_DEGREE_DECIMALS,
    Precision,
    coordinate_step_deg,
    precision_for,
)
from delimit.treaty.geodesy import inverse, to_dms, utm_coordinates
from delimit.treaty.segment_types import (
    STRAIGHT,
    DetectionSettings,
    Reference,
    detect_segment_types,
    normalise_segment_type,
)
from delimit.treaty.status import normalise_status
from delimit.treaty.terrain import sample_lonlat

ProgressFn = Callable[[str, float], None]

#: What every length and azimuth in a description is measured on.
GEODESIC_NOTE = "geodesic on the WGS84 ellipsoid (pyproj.Geod, GeographicLib algorithms); azimuths in degrees clockwise from true north"

#: Datum of every coordinate in a description.
DATUM_NOTE = (
    "World Geodetic System 1984 (WGS 84, EPSG:4326) on the WGS 84 ellipsoid (semi-major axis 6 378 137 m, "
    "inverse flattening 298.257223563); latitude/longitude in decimal degrees and DMS; UTM per point in its own zone "
    "(WGS 84 / UTM, EPSG:326zz); heights in metres above mean sea level as given by the DEM"
)


@dataclass(frozen=True)
class SectionInput:
    """One section before description: its vertices and what is known about it.

    Attributes
    ----------
    coords: (n, 2) array of lon, lat (WGS84 degrees), n >= 2, in order along the section.
    status: the section's status (validated by :func:`delimit.treaty.status.normalise_status`).
    segment_types: per segment (n - 1 entries) a type or None (None: detect or 'straight').
    type_source: where given types came from (``'attribute'`` or ``'given'``).
    name: optional section name (e.g. from a ``name`` attribute).
    """

    coords: np.ndarray
    status: str = "drafted"
    segment_types: tuple[str | None, ...] | None = None
    type_source: str = "given"
    name: str = ""


@dataclass(frozen=True)
class Paragraph:
    """One numbered paragraph of the description text (``'2.14'``), in the working language."""

    ref: str
    text: str


@dataclass
class LineDescription:
    """The legal description of a boundary line.

    Attributes
    ----------
    parties: the two parties, in the order the description names them.
    sections: GeoDataFrame, one row per section (``section, name, status, first_point, last_point,
        n_points, n_segments, closed, length_m``, geometry LineString WGS84).
    turning_points: GeoDataFrame (``point_no, section, point_in_section, lon, lat, lat_dms, lon_dms,
        utm_zone, utm_epsg, easting_m, northing_m, elevation_m, chainage_m, role, section_closed``).
    segments: GeoDataFrame (``segment_no, section, from_point, to_point, length_m, azimuth_deg,
        back_azimuth_deg, azimuth_dms, back_azimuth_dms, segment_type, follows, type_source, status,
        chainage_start_m``, geometry LineString WGS84).
    total_length_m: sum of the geodesic segment lengths (metres).
    paragraphs: the description text, numbered per section and segment run.
    vertices_in, vertices_kept, simplify_m: the simplification report (kept == in when not simplified).
    notes: anything else done to the input (zero-length segments dropped, orientation).
    settings: the tolerances and CRSs used.
    """

    parties: tuple[str, str]
    sections: gpd.GeoDataFrame
    turning_points: gpd.GeoDataFrame
    segments: gpd.GeoDataFrame
    total_length_m: float
    paragraphs: list[Paragraph]
    party_names: dict[str, str] = field(default_factory=dict)
    languages: tuple[str, str] = ("", "")
    vertices_in: int = 0
    vertices_kept: int = 0
    simplify_m: float | None = None
    notes: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    elevation_source: str = ""
    precision: Precision | None = None
    #: Caveats carried into the legal text (illustrative or schematic data, the scenario's status).
    caveats: list[str] = field(default_factory=list)
    #: The sources and their licences, one paragraph (``Provenance.attribution()``).
    attribution: str = ""

    @property
    def text(self) -> str:
        """The whole description (working language) with placeholders for both official languages."""
        from delimit.treaty.text import render_text

        return render_text(self)

    def section_lines(self) -> list[shapely.LineString]:
        """Each section as a LineString rebuilt from the turning point table (WGS84)."""
        out = []
        for _, grp in self.turning_points.groupby("section", sort=True):
            grp = grp.sort_values("point_in_section")
            xy = grp[["lon", "lat"]].to_numpy()
            if bool(grp["section_closed"].iloc[0]):
                xy = np.vstack([xy, xy[:1]])
            out.append(shapely.LineString(xy))
        return out

    def geometry(self) -> shapely.MultiLineString:
        """The whole described line as a MultiLineString (one part per section)."""
        return shapely.MultiLineString(self.section_lines())

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary: counts, length, statuses, simplification."""
        return {
            "parties": list(self.parties),
            "sections": len(self.sections),
            "turning_points": len(self.turning_points),
            "segments": len(self.segments),
            "total_length_m": round(float(self.total_length_m), 3),
            "status_counts": {str(k): int(v) for k, v in self.sections["status"].value_counts().sort_index().items()},
            "segment_types": {
                str(k): int(v) for k, v in self.segments["segment_type"].value_counts().sort_index().items()
            },
            "vertices_in": self.vertices_in,
            "vertices_kept": self.vertices_kept,
            "simplify_m": self.simplify_m,
            "measured": GEODESIC_NOTE,
            "datum": DATUM_NOTE,
            "precision": self.precision.as_dict() if self.precision else None,
            "caveats": list(self.caveats),
            "attribution": self.attribution,
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- input -> sections


def _line_parts(geom: BaseGeometry) -> list[shapely.LineString]:
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "LineString":
        return [geom]
    if geom.geom_type == "LinearRing":
        return [shapely.LineString(geom.coords)]
    if geom.geom_type in ("MultiLineString", "GeometryCollection"):
        return [p for g in shapely.get_parts(geom) for p in _line_parts(g)]
    raise GeometryError(
        None, f"a boundary line must be a LineString or MultiLineString, not a {geom.geom_type}", field="geometry"
    )


def sections_from_geometry(geom: BaseGeometry, *, merge: bool = True) -> list[shapely.LineString]:
    """The connected pieces of a (Multi)LineString, each a LineString (shared ends merged when ``merge``).

    >>> parts = sections_from_geometry(shapely.MultiLineString([[(0, 0), (1, 0)], [(1, 0), (2, 0)], [(5, 5), (6, 5)]]))
    >>> [list(p.coords) for p in parts]
    [[(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)], [(5.0, 5.0), (6.0, 5.0)]]
    """
    parts = _line_parts(geom)
    if merge and len(parts) > 1:
        merged = shapely.line_merge(shapely.MultiLineString(parts))
        parts = _line_parts(merged)
    return [p for p in parts if len(p.coords) >= 2]


def _orient_west_east(coords: np.ndarray) -> np.ndarray:
    closed = len(coords) > 3 and np.array_equal(coords[0], coords[-1])
    if closed:
        ring = coords[:-1]
        k = int(np.lexsort((ring[:, 1], ring[:, 0]))[0])
        ring = np.roll(ring, -k, axis=0)
        return np.vstack([ring, ring[:1]])
    if (coords[-1, 0], coords[-1, 1]) < (coords[0, 0], coords[0, 1]):
        return coords[::-1].copy()
    return coords


def check_section_numbers(by_section: Mapping[int, object] | None, n: int, field: str) -> None:
    """Refuse a ``{section_no: value}`` mapping that names a section the line does not have.

    Sections are numbered 1..``n``; a number outside that range is a mistake (a typo, or a
    section of another line), never silently ignored.

    >>> check_section_numbers({1: "signed"}, 2, "section-status")
    >>> check_section_numbers({9: "signed"}, 1, "section-status")
    Traceback (most recent call last):
    ...
    delimit.errors.InputError: field 'section-status': section 9 is given, but the line has only section 1
    """
    if not by_section:
        return
    wrong = sorted(k for k in by_section if not 1 <= int(k) <= n)
    if wrong:
        named = ", ".join(str(k) for k in wrong)
        raise InputError(
            None,
            f"section {named} is given, but the line has only " + ("section 1" if n == 1 else f"sections 1-{n}"),
            field=field,
        )


def _status_for(status: str | Sequence[str] | Mapping[int, str] | None, k: int, n: int) -> object:
    if status is None or isinstance(status, str):
        return status
    if isinstance(status, Mapping):
        return status.get(k + 1)
    seq = list(status)
    if len(seq) != n:
        raise InputError(None, f"{len(seq)} statuses given for {n} sections", field="status")
    return seq[k]


def section_inputs(
    line: BoundaryLine | BaseGeometry,
    *,
    status: str | Sequence[str] | Mapping[int, str] | None = None,
    segment_types: str | Mapping[int, str | Sequence[str]] | None = None,
    orient: Literal["as-given", "west-east"] = "as-given",
) -> list[SectionInput]:
    """Split a line into :class:`SectionInput` s, attaching statuses and given segment types.

    ``status``: one for every section, a list (one per section, in order) or ``{section_no: status}``.
    ``segment_types``: one for every segment, or ``{section_no: type or [type per segment]}``.
    ``orient='west-east'``: order sections by their western end and run each from west to east
    (closed sections start at their westernmost vertex) - for lines derived from territory, whose
    vertex order means nothing; ``'as-given'`` keeps the input's order and direction.
    """
    geom = line.geometry if isinstance(line, BoundaryLine) else line
    parts = sections_from_geometry(geom)
    coords = [np.asarray(p.coords, dtype=float)[:, :2] for p in parts]
    if orient == "west-east":
        coords = [_orient_west_east(c) for c in coords]
        coords.sort(key=lambda c: (float(c[:, 0].min()), float(c[:, 1].min())))
    if isinstance(status, Mapping):
        check_section_numbers(status, len(coords), "section-status")
    if isinstance(segment_types, Mapping):
        check_section_numbers(segment_types, len(coords), "segment_types")
    out = []
    for k, c in enumerate(coords):
        given: tuple[str | None, ...] | None = None
        if segment_types is not None:
            spec = segment_types.get(k + 1) if isinstance(segment_types, Mapping) else segment_types
            if isinstance(spec, str):
                given = tuple([normalise_segment_type(spec)] * (len(c) - 1))
            elif spec is not None:
                vals = [normalise_segment_type(v) for v in spec]
                if len(vals) != len(c) - 1:
                    raise InputError(
                        None,
                        f"section {k + 1}: {len(vals)} segment types for {len(c) - 1} segments",
                        field="segment_types",
                    )
                given = tuple(vals)
        out.append(SectionInput(c, str(_status_for(status, k, len(coords)) or "drafted"), given, "given"))
    return out


def section_inputs_from_layer(
    gdf: gpd.GeoDataFrame,
    parties: tuple[str, str],
    *,
    source: str | None = None,
    status_field: str = "status",
    type_field: str = "segment_type",
    section_field: str = "section",
    name_field: str = "name",
) -> list[SectionInput]:
    """Sections from a line layer, carrying its attributes.

    Features are grouped by their ``section`` value when that column exists (else by ``status``);
    within a group, touching features are merged into connected pieces, each piece a section in
    the order of the group's first feature. A section's status is its features' ``status`` (all
    features of one section must agree). ``segment_type`` on a feature applies to every segment
    lying on that feature (type_source ``'attribute'``).
    """
    if len(gdf) == 0:
        raise InputError(source, "the line layer has no features")
    where = source
    statuses = [
        normalise_status(
            gdf[status_field].iloc[i] if status_field in gdf.columns else None, parties, source=where, feature=i
        )
        for i in range(len(gdf))
    ]
    types: list[str | None] = []
    for i in range(len(gdf)):
        try:
            types.append(normalise_segment_type(gdf[type_field].iloc[i]) if type_field in gdf.columns else None)
        except ValueError as exc:
            raise InputError(where, str(exc), feature=i, field=type_field) from None
    keys = [str(v) for v in gdf[section_field]] if section_field in gdf.columns else statuses
    names = (
        [str(v) if v is not None and v == v else "" for v in gdf[name_field]]
        if name_field in gdf.columns
        else [""] * len(gdf)
    )
    groups: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    feature_geoms = gdf.geometry.to_numpy()
    tree = shapely.STRtree(feature_geoms)
    out: list[SectionInput] = []
    for key, idx in groups.items():
        sts = {statuses[i] for i in idx}
        if len(sts) > 1:
            raise InputError(
                where, f"section {key!r} mixes statuses {', '.join(sorted(sts))}", feature=idx[0], field=status_field
            )
        pieces = sections_from_geometry(
            shapely.MultiLineString([p for i in idx for p in _line_parts(feature_geoms[i])])
        )
        for piece in pieces:
            c = np.asarray(piece.coords, dtype=float)[:, :2]
            mids = shapely.points((c[:-1] + c[1:]) / 2.0)
            seg_types: list[str | None] = [None] * (len(c) - 1)
            if any(types[i] for i in idx):
                qi, ti = tree.query_nearest(mids, all_matches=False)
                for q, t in zip(qi, ti, strict=True):
                    seg_types[q] = types[t]
            name = next((names[i] for i in idx if names[i]), "")
            out.append(
                SectionInput(c, statuses[idx[0]], tuple(seg_types) if any(seg_types) else None, "attribute", name)
            )
    return out


# --------------------------------------------------------------------------- simplification


def _simplify_indices(coords: np.ndarray, tolerance_m: float, to_metric: Transformer) -> np.ndarray:
    """Indices of the vertices Douglas-Peucker keeps at ``tolerance_m`` (metres in the metric CRS)."""
    x, y = to_metric.transform(coords[:, 0], coords[:, 1])
    xy = np.column_stack([x, y])
    kept = np.asarray(shapely.simplify(shapely.LineString(xy), tolerance_m, preserve_topology=False).coords)
    idx = []
    j = 0
    for p in kept:
        while j < len(xy) and not np.array_equal(xy[j], p):
            j += 1
        if j < len(xy):
            idx.append(j)
            j += 1
    if not idx or idx[0] != 0:
        idx.insert(0, 0)
    if idx[-1] != len(xy) - 1:
        idx.append(len(xy) - 1)
    return np.asarray(idx, dtype=int)


# --------------------------------------------------------------------------- the description


def _references(frame: Any) -> Reference | None:
    if frame is None:
        return None
    if isinstance(frame, Reference):
        return frame
    if isinstance(frame, gpd.GeoDataFrame):
        if len(frame) == 0:
            return None
        g = frame.to_crs(WGS84) if frame.crs is not None and frame.crs != WGS84 else frame
        names = (
            [str(v) if v is not None and v == v else "" for v in g["name"]] if "name" in g.columns else [""] * len(g)
        )
        return Reference(list(g.geometry.values), names)
    if isinstance(frame, BaseGeometry):
        return Reference([frame], [""])
    geoms = list(frame)
    return Reference(geoms, [""] * len(geoms)) if geoms else None


def _checked_vertices(
    sections: Sequence[SectionInput], parties: tuple[str, str], simplify_m: float | None
) -> np.ndarray:
    """All sections' vertices stacked (lon, lat degrees); refuses two parties that are not two, a
    non-positive simplify tolerance (m), an empty line and coordinates that are not WGS84 lon/lat."""
    if len(parties) != 2 or parties[0] == parties[1]:
        raise InputError(None, f"a boundary needs two different parties, got {parties!r}", field="parties")
    if simplify_m is not None and not simplify_m > 0:
        raise InputError(None, f"simplify tolerance must be positive metres, got {simplify_m!r}", field="simplify_m")
    all_xy = np.vstack([s.coords for s in sections]) if sections else np.zeros((0, 2))
    if not len(sections):
        raise GeometryError(None, "the boundary line is empty (the parties share no line here)", field="geometry")
    if not np.isfinite(all_xy).all() or (np.abs(all_xy[:, 0]) > 180).any() or (np.abs(all_xy[:, 1]) > 90).any():
        raise GeometryError(None, "line coordinates must be finite WGS84 longitude/latitude", field="geometry")
    return all_xy


def _clean_sections(
    sections: Sequence[SectionInput],
    parties: tuple[str, str],
    decimals: int | None,
    simplify_m: float | None,
    to_metric: Transformer,
) -> tuple[list[SectionInput], int, int]:
    """Sections with vertices rounded to ``decimals`` (None: kept exactly), repeated vertices dropped,
    optionally simplified (Douglas-Peucker at ``simplify_m`` metres), statuses normalised; also the
    number of vertices given and of repeated vertices dropped. Refuses a line of zero length."""
    cleaned: list[SectionInput] = []
    vertices_in = 0
    dropped_zero = 0
    for s in sections:
        c = np.asarray(s.coords, dtype=float)
        c = np.round(c, decimals) if decimals is not None else c
        vertices_in += len(c)
        keep = np.r_[True, np.any(np.diff(c, axis=0) != 0, axis=1)]
        dropped_zero += int((~keep).sum())
        types = s.segment_types
        if types is not None:
            seg_keep = keep[1:]
            types = tuple(t for t, k in zip(types, seg_keep, strict=True) if k)
        c = c[keep]
        if len(c) < 2:
            continue
        if simplify_m is not None and len(c) > 2:
            idx = _simplify_indices(c, simplify_m, to_metric)
            if types is not None:
                # a kept segment takes the type of the first original segment it replaces
                types = tuple(types[i] for i in idx[:-1])
            c = c[idx]
        status = normalise_status(s.status, parties)
        cleaned.append(SectionInput(c, status, types, s.type_source, s.name))
    if not cleaned:
        raise GeometryError(None, "the boundary line has no segment of non-zero length", field="geometry")
    return cleaned, vertices_in, dropped_zero


def _line_rows(
    cleaned: list[SectionInput],
) -> tuple[dict[str, list[Any]], dict[str, list[Any]], list[dict[str, Any]]]:
    """Columns of the turning points and of the segments (numbered along the line, section by
    section; a closed section's last segment ends at its first point) and one row per section
    (geodesic length in metres)."""
    tp_rows: dict[str, list[Any]] = {
        k: [] for k in ("point_no", "section", "point_in_section", "lon", "lat", "chainage_m", "role", "section_closed")
    }
    seg_cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "segment_no",
            "section",
            "from_point",
            "to_point",
            "lon1",
            "lat1",
            "lon2",
            "lat2",
            "given",
            "status",
            "type_source",
        )
    }
    sec_rows: list[dict[str, Any]] = []
    point_no = 0
    seg_no = 0
    for k, s in enumerate(cleaned, start=1):
        c = s.coords
        closed = len(c) > 3 and np.array_equal(c[0], c[-1])
        n_pts = len(c) - 1 if closed else len(c)
        _, _, dist = inverse(c[:-1, 0], c[:-1, 1], c[1:, 0], c[1:, 1])
        chain = np.r_[0.0, np.cumsum(dist)]
        first = point_no + 1
        for i in range(n_pts):
            point_no += 1
            tp_rows["point_no"].append(point_no)
            tp_rows["section"].append(k)
            tp_rows["point_in_section"].append(i + 1)
            tp_rows["lon"].append(float(c[i, 0]))
            tp_rows["lat"].append(float(c[i, 1]))
            tp_rows["chainage_m"].append(float(chain[i]))
            role = "section start" if i == 0 else ("section end" if i == n_pts - 1 and not closed else "turning point")
            tp_rows["role"].append(role)
            tp_rows["section_closed"].append(bool(closed))
        last = point_no
        for i in range(len(c) - 1):
            seg_no += 1
            seg_cols["segment_no"].append(seg_no)
            seg_cols["section"].append(k)
            seg_cols["from_point"].append(first + i)
            seg_cols["to_point"].append(first + i + 1 if not (closed and i == len(c) - 2) else first)
            seg_cols["lon1"].append(float(c[i, 0]))
            seg_cols["lat1"].append(float(c[i, 1]))
            seg_cols["lon2"].append(float(c[i + 1, 0]))
            seg_cols["lat2"].append(float(c[i + 1, 1]))
            seg_cols["given"].append(s.segment_types[i] if s.segment_types is not None else None)
            seg_cols["status"].append(s.status)
            seg_cols["type_source"].append(s.type_source)
        sec_rows.append(
            {
                "section": k,
                "name": s.name,
                "status": s.status,
                "first_point": first,
                "last_point": last,
                "n_points": n_pts,
                "n_segments": len(c) - 1,
                "closed": bool(closed),
                "length_m": float(chain[-1]),
                "geometry": shapely.LineString(c),
            }
        )
    return tp_rows, seg_cols, sec_rows


#: Columns of the turning-point table, in order.
TURNING_POINT_TABLE_COLUMNS = [
    "point_no",
    "section",
    "point_in_section",
    "role",
    "lat",
    "lon",
    "lat_dms",
    "lon_dms",
    "utm_zone",
    "utm_epsg",
    "easting_m",
    "northing_m",
    "elevation_m",
    "chainage_m",
    "section_closed",
]


def _turning_point_table(
    tp_rows: dict[str, list[Any]], precision: Precision, elevation: Raster | None
) -> gpd.GeoDataFrame:
    """Turning points with DMS, UTM (m) and ground height (m) to the printed ``precision``; WGS84 points."""
    tp = pd.DataFrame(tp_rows)
    lon = tp["lon"].to_numpy()
    lat = tp["lat"].to_numpy()
    tp["lat_dms"] = [to_dms(v, "lat", decimals=precision.dms_decimals) for v in lat]
    tp["lon_dms"] = [to_dms(v, "lon", decimals=precision.dms_decimals) for v in lon]
    east, north, epsg, zones = utm_coordinates(lon, lat)
    tp["utm_zone"] = zones
    tp["utm_epsg"] = epsg
    tp["easting_m"] = np.round(east, precision.metre_decimals)
    tp["northing_m"] = np.round(north, precision.metre_decimals)
    tp["elevation_m"] = np.round(sample_lonlat(elevation, lon, lat), precision.elevation_decimals)
    return gpd.GeoDataFrame(tp[TURNING_POINT_TABLE_COLUMNS], geometry=shapely.points(lon, lat), crs=WGS84)


def _segment_types(
    sc: pd.DataFrame,
    river_ref: Reference | None,
    road_ref: Reference | None,
    elevation: Raster | None,
    detection: DetectionSettings,
    metric: Any,
) -> tuple[list[str], list[str], list[str]]:
    """Each segment's type (given, else detected on the rivers, roads or DEM, else straight), what it
    follows and where the type comes from (the given source, 'detected' or 'default')."""
    need = sc["given"].isna().to_numpy()
    detected_types = [STRAIGHT] * len(sc)
    follows = [""] * len(sc)
    if need.any() and (
        river_ref is not None or road_ref is not None or (elevation is not None and detection.detect_watersheds)
    ):
        idx = np.flatnonzero(need)
        t, f = detect_segment_types(
            sc["lon1"].to_numpy()[idx],
            sc["lat1"].to_numpy()[idx],
            sc["lon2"].to_numpy()[idx],
            sc["lat2"].to_numpy()[idx],
            rivers=river_ref,
            roads=road_ref,
            elevation=elevation,
            settings=detection,
            metric=metric,
        )
        for j, i in enumerate(idx.tolist()):
            detected_types[i] = t[j]
            follows[i] = f[j]
    given = [g if isinstance(g, str) else None for g in sc["given"].tolist()]
    seg_type = [g if g is not None else detected_types[i] for i, g in enumerate(given)]
    type_source = [
        src if given[i] is not None else ("detected" if detected_types[i] != STRAIGHT else "default")
        for i, src in enumerate(sc["type_source"].tolist())
    ]
    return seg_type, follows, type_source


def _segment_table(
    sc: pd.DataFrame, seg_type: list[str], follows: list[str], type_source: list[str]
) -> gpd.GeoDataFrame:
    """Segments with geodesic length (m), azimuth and back azimuth (degrees and DMS), type and chainage (m)."""
    from delimit.treaty.geodesy import azimuth_dms

    fwd, back, dist = inverse(
        sc["lon1"].to_numpy(), sc["lat1"].to_numpy(), sc["lon2"].to_numpy(), sc["lat2"].to_numpy()
    )
    seg = pd.DataFrame(
        {
            "segment_no": sc["segment_no"],
            "section": sc["section"],
            "from_point": sc["from_point"],
            "to_point": sc["to_point"],
            "length_m": dist,
            "azimuth_deg": fwd,
            "back_azimuth_deg": back,
            "azimuth_dms": [azimuth_dms(a) for a in fwd],
            "back_azimuth_dms": [azimuth_dms(a) for a in back],
            "segment_type": seg_type,
            "follows": follows,
            "type_source": type_source,
            "status": sc["status"],
        }
    )
    seg["chainage_start_m"] = seg.groupby("section")["length_m"].cumsum() - seg["length_m"]
    seg_geom = shapely.linestrings(
        np.stack([np.column_stack([sc["lon1"], sc["lat1"]]), np.column_stack([sc["lon2"], sc["lat2"]])], axis=1)
    )
    return gpd.GeoDataFrame(seg, geometry=seg_geom, crs=WGS84)


def describe_sections(
    sections: Sequence[SectionInput],
    *,
    parties: tuple[str, str],
    elevation: Raster | None = None,
    rivers: Any = None,
    roads: Any = None,
    detection: DetectionSettings = DetectionSettings(),
    simplify_m: float | None = None,
    party_names: Mapping[str, str] | None = None,
    languages: tuple[str, str] | None = None,
    notes: Sequence[str] = (),
    precision: Precision | None = None,
    progress: ProgressFn | None = None,
) -> LineDescription:
    """Describe prepared sections (see :func:`describe_line`, which most callers want).

    ``precision`` (:mod:`delimit.treaty.accuracy`) fixes the printed precision; by default it follows
    from the coordinate step of the sections' own vertices. Turning points are rounded to its
    decimal degrees (the authoritative form), so the tables, the text and a re-import agree; lengths
    and azimuths are computed from the rounded points.
    """
    all_xy = _checked_vertices(sections, parties, simplify_m)
    report = progress or (lambda _m, _f: None)
    notes = list(notes)
    if precision is None:
        precision = precision_for(coordinate_step_deg(all_xy), float(all_xy[:, 1].mean()))
    # turning points are rounded to the printed decimals when the line's vertices are quantised no finer
    # than that (points added by clipping to a window are then the only ones that move, by at most half a
    # unit); a line of unquantised floats keeps its vertices exactly and is printed to MAX_DEGREE_DECIMALS
    quantised = (
        coordinate_step_deg(all_xy, max_decimals=MAX_DEGREE_DECIMALS + 1) >= 10.0**-precision.degree_decimals * 0.999
    )
    decimals = precision.degree_decimals if quantised else None
    metric = metric_crs((float(all_xy[:, 0].mean()), float(all_xy[:, 1].mean())))
    to_metric = Transformer.from_crs(4326, metric, always_xy=True)
    cleaned, vertices_in, dropped_zero = _clean_sections(sections, parties, decimals, simplify_m, to_metric)
    if dropped_zero:
        notes.append(f"{dropped_zero} repeated vertices (zero-length segments) dropped")
    if simplify_m is not None:
        kept = sum(len(s.coords) for s in cleaned)
        notes.append(
            f"simplified with Douglas-Peucker at {simplify_m:g} m in {crs_description(metric)}: {vertices_in - dropped_zero} vertices -> {kept}"
        )
    report("turning points", 0.1)
    tp_rows, seg_cols, sec_rows = _line_rows(cleaned)
    tp_gdf = _turning_point_table(tp_rows, precision, elevation)
    report("segments", 0.3)
    sc = pd.DataFrame(seg_cols)
    river_ref, road_ref = _references(rivers), _references(roads)
    seg_type, follows, type_source = _segment_types(sc, river_ref, road_ref, elevation, detection, metric)
    report("segment types", 0.8)
    seg_gdf = _segment_table(sc, seg_type, follows, type_source)
    sec_gdf = gpd.GeoDataFrame(pd.DataFrame(sec_rows), geometry="geometry", crs=WGS84)
    names = dict(party_names or {})
    desc = LineDescription(
        parties=(parties[0], parties[1]),
        sections=sec_gdf,
        turning_points=tp_gdf,
        segments=seg_gdf,
        total_length_m=float(np.sum(seg_gdf["length_m"].to_numpy())),
        paragraphs=[],
        party_names={p: names.get(p, p) for p in parties},
        languages=languages or default_languages(parties),
        vertices_in=vertices_in,
        vertices_kept=int(len(sc) + len(sec_rows)),
        simplify_m=simplify_m,
        notes=notes,
        settings={
            "river_tolerance_m": detection.river_tolerance_m,
            "road_tolerance_m": detection.road_tolerance_m,
            "detect_watersheds": bool(detection.detect_watersheds and elevation is not None),
            "ridge_drop_m": detection.ridge_drop_m,
            "detection_crs": crs_description(metric),
            "rivers_given": river_ref is not None,
            "roads_given": road_ref is not None,
        },
        elevation_source=(elevation.source or "DEM") if elevation is not None else "",
        precision=precision,
    )
    from delimit.treaty.text import build_paragraphs

    desc.paragraphs = build_paragraphs(desc)
    report("description", 1.0)
    return desc


#: Official languages of the parties the bundled data knows (for the text placeholders). Others are
#: shown as "official language of <PARTY>".
OFFICIAL_LANGUAGES: dict[str, str] = {
    "KGZ": "Kyrgyz",
    "TJK": "Tajik",
    "UZB": "Uzbek",
    "KAZ": "Kazakh",
    "CHN": "Chinese",
}


def default_languages(parties: tuple[str, str]) -> tuple[str, str]:
    """The official language placeholder names for two parties.

    >>> default_languages(("KGZ", "XYZ"))
    ('Kyrgyz', 'official language of XYZ')
    """
    a, b = parties
    return OFFICIAL_LANGUAGES.get(a, f"official language of {a}"), OFFICIAL_LANGUAGES.get(
        b, f"official language of {b}"
    )


def describe_line(
    line: BoundaryLine | BaseGeometry,
    *,
    parties: tuple[str, str] | None = None,
    elevation: Raster | None = None,
    segment_types: str | Mapping[int, str | Sequence[str]] | None = None,
    status: str | Sequence[str] | Mapping[int, str] | None = None,
    rivers: Any = None,
    roads: Any = None,
    detection: DetectionSettings = DetectionSettings(),
    simplify_m: float | None = None,
    orient: Literal["as-given", "west-east"] = "as-given",
    party_names: Mapping[str, str] | None = None,
    languages: tuple[str, str] | None = None,
    precision: Precision | None = None,
    progress: ProgressFn | None = None,
) -> LineDescription:
    """Describe a boundary line for a treaty annex: sections, turning points, segments, text.

    Parameters
    ----------
    line:
        A :class:`BoundaryLine` (its ``parties`` are used when ``parties`` is None) or a WGS84
        LineString/MultiLineString. Each connected piece becomes a section.
    parties:
        The two parties (ISO3 ids), in the order the text names them.
    elevation:
        DEM for turning-point heights and watershed detection (None: heights left empty).
    segment_types:
        Types given by the caller: one for all segments, or ``{section_no: type | [types]}``;
        segments without a given type are detected against ``rivers``/``roads``/``elevation``
        (see :mod:`delimit.treaty.segment_types`) or else 'straight'.
    status:
        Section status: one for all, a list per section, or ``{section_no: status}``; default 'drafted'.
    simplify_m:
        Douglas-Peucker tolerance in metres; None (default) keeps every vertex. Reported in ``notes``.
    orient:
        ``'as-given'`` or ``'west-east'`` (see :func:`section_inputs`).

    Examples
    --------
    >>> d = describe_line(shapely.LineString([(70.0, 40.0), (70.01, 40.0), (70.01, 40.01)]), parties=("KGZ", "TJK"))
    >>> len(d.turning_points), len(d.segments), round(d.total_length_m, 1)
    (3, 2, 1964.3)
    >>> d.segments["azimuth_deg"].round(3).tolist()
    [89.997, 0.0]
    """
    if parties is None:
        if not isinstance(line, BoundaryLine):
            raise InputError(None, "say which two parties the line lies between (parties=...)", field="parties")
        parties = line.parties
    inputs = section_inputs(line, status=status, segment_types=segment_types, orient=orient)
    return describe_sections(
        inputs,
        parties=parties,
        elevation=elevation,
        rivers=rivers,
        roads=roads,
        detection=detection,
        simplify_m=simplify_m,
        party_names=party_names,
        languages=languages,
        notes=[f"sections oriented {orient}"] if orient != "as-given" else [],
        precision=precision,
        progress=progress,
    )
