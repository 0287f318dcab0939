"""Vector I/O through pyogrio: GeoPackage, GeoJSON (RFC 7946), Shapefile and FlatGeobuf.

Readers return GeoDataFrames in WGS84 (EPSG:4326) and refuse, with an
:class:`~delimit.errors.InputError` naming file, layer, feature and field:

* files over the size limit, non-UTF-8 GeoJSON, malformed JSON, absurd nesting;
* a missing CRS (never guessed; GeoJSON without a ``crs`` member is WGS84 by RFC 7946);
* empty geometries, wrong geometry types, NaN or out-of-range coordinates, unclosed rings,
  invalid (e.g. self-intersecting) polygons - repaired only when ``repair=True``, each repair
  reported;
* duplicate ids.

Writers are atomic (:mod:`delimit.io.atomic`).
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import CRS

from delimit.crs import WGS84, same_crs
from delimit.errors import CRSMismatchError, GeometryError, InputError
from delimit.geomtypes import LINEAR, POLYGONAL, PUNTAL  # noqa: F401 - re-exported
from delimit.io.atomic import atomic_path, temp_siblings
from delimit.io.limits import Limits, check_file
from delimit.io.structured import read_document
from delimit.validity import is_valid, is_valid_reason

#: File suffix -> OGR driver for the formats delimit reads and writes.
DRIVERS: dict[str, str] = {
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".shp": "ESRI Shapefile",
    ".fgb": "FlatGeobuf",
}

#: The files that make up a Shapefile besides the ``.shp`` itself.
SHAPEFILE_SIDECARS: frozenset[str] = frozenset({".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qmd"})


@dataclass
class Repair:
    """One geometry repaired on request: which feature, why it was invalid, what it became."""

    path: str
    layer: str | None
    feature: int | str
    reason: str
    result_type: str

    def __str__(self) -> str:
        lay = f" (layer {self.layer!r})" if self.layer else ""
        return f"{self.path}{lay}: feature {self.feature}: repaired ({self.reason}) -> {self.result_type}"


@dataclass
class ReadReport:
    """What a reader did besides reading: repairs made, CRS found, reprojection."""

    repairs: list[Repair] = field(default_factory=list)
    source_crs: str | None = None
    reprojected: bool = False


def driver_for(path: str | Path) -> str:
    """The OGR driver name for a path, from its suffix; InputError for unknown formats."""
    suffix = Path(path).suffix.lower()
    if suffix not in DRIVERS:
        raise InputError(path, f"unknown vector format {suffix!r} (expected one of {', '.join(sorted(DRIVERS))})")
    return DRIVERS[suffix]


def list_layers(path: str | Path) -> list[str]:
    """Names of the layers in a vector file."""
    p = check_file(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # GDAL's complaints reach the user through the InputError
            return [str(name) for name, _ in pyogrio.list_layers(p)]
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InputError(p, f"cannot open as vector data: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _feature_label(gdf: gpd.GeoDataFrame, i: int, id_field: str | None) -> int | str:
    if id_field and id_field in gdf.columns:
        value = gdf[id_field].iloc[i]
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            return f"{i} ({id_field}={_plain(value)})"
    return i


def _precheck_geojson(path: Path, limits: Limits) -> None:
    """Structural checks GDAL would silently paper over or crash on: the ``crs`` member, feature
    form, the shape of every ``coordinates`` array, ring closure, numbers that are not finite
    floats (NaN, infinite, or integers too large for a float)."""
    doc = read_document(path, limits)
    if not isinstance(doc, dict):
        raise InputError(path, "GeoJSON must be an object")
    _check_geojson_crs(path, doc.get("crs"))
    kind = doc.get("type")
    if kind == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list):
            raise InputError(path, "FeatureCollection without a 'features' list", field="features")
    elif kind == "Feature":
        features = [doc]
    else:
        raise InputError(path, f"GeoJSON type {_shown(kind)} is not a Feature or FeatureCollection", field="type")
    for i, feat in enumerate(features):
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise InputError(path, "not a GeoJSON Feature", feature=i, field="type")
        label = _gj_label(feat, i)
        if not isinstance(feat.get("properties"), dict | None):
            raise InputError(
                path,
                f"properties must be an object or null, not {_kind(feat.get('properties'))}",
                feature=label,
                field="properties",
            )
        geom = feat.get("geometry")
        if geom is None:
            raise InputError(path, "geometry is null (empty geometry)", feature=label, field="geometry")
        _check_geojson_geometry(path, geom, label)


def _check_geojson_crs(path: Path, member: Any) -> None:
    """RFC 7946 GeoJSON is WGS84 longitude/latitude and has no ``crs`` member; an old-style
    (2008) member is accepted only when it names WGS84, never reinterpreted or ignored."""
    if member is None:
        return
    name = (
        member.get("properties", {}).get("name")
        if isinstance(member, dict) and isinstance(member.get("properties"), dict)
        else None
    )
    if not isinstance(name, str) or member.get("type") != "name":
        raise InputError(
            path,
            "the 'crs' member must name WGS84 (RFC 7946 GeoJSON is WGS84 longitude/latitude; drop the member)",
            field="crs",
        )
    try:
        crs = CRS.from_user_input(name)
    except Exception:
        raise InputError(
            path,
            f"the 'crs' member names {_shown(name)}, not a known CRS (RFC 7946 GeoJSON is WGS84 longitude/latitude)",
            field="crs",
        ) from None
    if not same_crs(crs, WGS84):
        raise InputError(
            path,
            f"the 'crs' member names {_shown(name)}; RFC 7946 GeoJSON is WGS84 longitude/latitude (reproject the file, or write a GeoPackage)",
            field="crs",
        )


#: Property names tried, in order, to name a GeoJSON feature in messages (the layers' id fields).
_ID_KEYS: tuple[str, ...] = ("part_id", "road_id", "settlement_id", "crossing_id", "water_id", "id")


def _shown(value: Any, width: int = 40) -> str:
    """A short printable repr for messages (huge numbers and strings cut)."""
    try:
        text = repr(value)
    except ValueError:  # an int too long for str()
        text = f"<integer of about {int(value.bit_length() * 0.30103) + 1} digits>"
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= width else text[: width - 3] + "..."


def _plain(value: Any, width: int = 40) -> str:
    """A value as printed in a feature label: strings as they are, cut to ``width`` characters."""
    if not isinstance(value, str):
        return _shown(value, width)
    text = value.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= width else text[: width - 3] + "..."


def _kind(value: Any) -> str:
    """The JSON kind of a parsed value, for messages: 'a number', 'null', 'an array', ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _gj_label(feat: dict[str, Any], i: int) -> int | str:
    """``'3 (part_id=kg-1)'``: the index plus the feature's id, in the form validate_frame uses."""
    raw = feat.get("properties")
    props: dict[str, Any] = raw if isinstance(raw, dict) else {}
    for key in _ID_KEYS:
        value = props.get(key)
        if value is not None and not isinstance(value, dict | list):
            return f"{i} ({key}={_plain(value)})"
    fid = feat.get("id")
    return i if fid is None or isinstance(fid, dict | list) else f"{i} (id={_plain(fid)})"


#: Array nesting of ``coordinates`` per GeoJSON geometry type (0: one position).
_COORD_DEPTH: dict[str, int] = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}
#: What an array at each nesting level holds, per geometry type, for messages.
_LEVEL_NAMES: dict[str, tuple[str, ...]] = {
    "Point": ("position",),
    "MultiPoint": ("position", "MultiPoint coordinates"),
    "LineString": ("position", "LineString coordinates"),
    "MultiLineString": ("position", "line", "MultiLineString coordinates"),
    "Polygon": ("position", "ring", "Polygon coordinates"),
    "MultiPolygon": ("position", "ring", "polygon", "MultiPolygon coordinates"),
}


def _check_geojson_geometry(path: Path, geom: Any, label: int | str, depth: int = 0) -> None:
    """Shape of one geometry object: known type, arrays nested as the type says, positions."""
    if not isinstance(geom, dict) or not isinstance(geom.get("type"), str):
        raise InputError(path, "geometry is not a GeoJSON geometry object", feature=label, field="geometry")
    gtype = geom["type"]
    if gtype == "GeometryCollection":
        members = geom.get("geometries")
        if not isinstance(members, list):
            raise InputError(
                path,
                f"GeometryCollection 'geometries' must be an array, not {_kind(members)}",
                feature=label,
                field="geometry",
            )
        for g in members:
            _check_geojson_geometry(path, g, label, depth + 1)
        return
    if gtype not in _COORD_DEPTH:
        raise InputError(path, f"unknown geometry type {_shown(gtype)}", feature=label, field="geometry")
    coords = geom.get("coordinates")
    if coords is None:
        raise InputError(path, f"{gtype} without coordinates", feature=label, field="geometry")
    if not isinstance(coords, list):
        raise InputError(
            path, f"{gtype} coordinates must be an array, not {_kind(coords)}", feature=label, field="geometry"
        )
    _check_coordinates(path, gtype, coords, label)


def _check_coordinates(path: Path, gtype: str, coords: list[Any], label: int | str) -> None:
    """Walk a ``coordinates`` array level by level (iteratively): every level an array, rings of 4+
    closed positions, lines of 2+ positions, positions of 2+ finite numbers. An empty top-level
    array is left to the empty-geometry check."""
    names = _LEVEL_NAMES[gtype]
    stack: list[tuple[Any, int, tuple[int, ...]]] = [(coords, _COORD_DEPTH[gtype], ())]
    while stack:
        node, level, at = stack.pop()
        where = "".join(f"[{k}]" for k in at)
        if level == 0:
            _check_position(path, node, label, f"{gtype} coordinates{where}")
            continue
        if not isinstance(node, list):
            raise InputError(
                path,
                f"{gtype} coordinates{where} must be a {names[level]} (an array), not {_kind(node)}",
                feature=label,
                field="geometry",
            )
        for k, child in enumerate(node):
            if level > 1:
                stack.append((child, level - 1, (*at, k)))
            else:
                _check_position(path, child, label, f"{gtype} coordinates{where}[{k}]")
        if not at:
            continue  # top level: an empty geometry is reported by validate_frame
        if names[level] == "ring":
            if len(node) < 4:
                raise InputError(path, f"{gtype} ring has fewer than 4 positions", feature=label, field="geometry")
            if [float(v) for v in node[0][:2]] != [float(v) for v in node[-1][:2]]:
                raise InputError(
                    path,
                    f"{gtype} ring is not closed (first and last positions differ)",
                    feature=label,
                    field="geometry",
                )
        elif names[level] == "line" and len(node) < 2:
            raise InputError(path, f"{gtype} line{where} has fewer than 2 positions", feature=label, field="geometry")
    if gtype == "LineString" and 0 < len(coords) < 2:
        raise InputError(path, "LineString has fewer than 2 positions", feature=label, field="geometry")


def _check_position(path: Path, pos: Any, label: int | str, where: str) -> None:
    """One position: an array of 2 or more numbers, each a finite float (huge integers refused)."""
    if not isinstance(pos, list):
        raise InputError(
            path, f"{where} must be a position (an array of numbers), not {_kind(pos)}", feature=label, field="geometry"
        )
    if len(pos) < 2:
        raise InputError(
            path,
            f"position {_shown(pos)} has fewer than 2 numbers (longitude, latitude)",
            feature=label,
            field="geometry",
        )
    for v in pos:
        if not isinstance(v, int | float) or isinstance(v, bool):
            raise InputError(path, f"coordinate {_shown(v)} is not a number", feature=label, field="geometry")
        try:
            f = float(v)
        except OverflowError:
            raise InputError(
                path,
                f"coordinate {_shown(v)} is too large for a number (outside longitude -180..180 / latitude -90..90)",
                feature=label,
                field="geometry",
            ) from None
        if not math.isfinite(f):
            raise InputError(
                path, f"coordinate is {'NaN' if math.isnan(f) else 'infinite'}", feature=label, field="geometry"
            )


def read_layer(
    path: str | Path,
    layer: str | None = None,
    *,
    geometry_types: Sequence[str] | None = None,
    id_field: str | None = None,
    required: Iterable[str] = (),
    repair: bool = False,
    report: ReadReport | None = None,
    limits: Limits | None = None,
    allow_empty: bool = True,
) -> gpd.GeoDataFrame:
    """Read one vector layer, validate it and return it in WGS84.

    Parameters
    ----------
    path, layer:
        The file and (for multi-layer formats) the layer name; default the first layer.
    geometry_types:
        Allowed geometry types, e.g. ``("Polygon", "MultiPolygon")``; None allows any.
    id_field:
        Column whose values must be unique and non-null (named in messages).
    required:
        Columns that must exist.
    repair:
        Repair invalid polygons with :func:`shapely.make_valid` instead of refusing them; every
        repair is appended to ``report.repairs``.

    Raises
    ------
    InputError
        For any of the faults listed in the module docstring.

    Examples
    --------
    >>> gdf = read_layer("roads.gpkg", "roads", geometry_types=("LineString",), id_field="road_id")  # doctest: +SKIP
    """
    limits = limits or Limits.from_env()
    p = check_file(path, limits)
    if p.is_dir():
        raise InputError(p, "is a folder, not a file (name the .gpkg/.geojson/.shp/.fgb inside it)", layer=layer)
    driver = driver_for(p)
    if driver == "GeoJSON":
        _precheck_geojson(p, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = pyogrio.read_dataframe(p, layer=layer)
    except InputError:
        raise
    except Exception as exc:
        reason = _first_line(exc)
        if "Too many characters" in reason:  # GDAL's GeoJSON tokenizer, whatever the token's kind
            reason = "a value is longer than GDAL's GeoJSON reader accepts (about 10,000,000 characters)"
        raise InputError(p, f"cannot read: {reason}", layer=layer) from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry is None:
        raise InputError(p, "layer has no geometry column", layer=layer)
    report = report if report is not None else ReadReport()
    return validate_frame(
        gdf,
        p,
        layer=layer,
        geometry_types=geometry_types,
        id_field=id_field,
        required=required,
        repair=repair,
        report=report,
        allow_empty=allow_empty,
        driver=driver,
    )


def validate_frame(
    gdf: gpd.GeoDataFrame,
    path: str | Path | None,
    *,
    layer: str | None = None,
    geometry_types: Sequence[str] | None = None,
    id_field: str | None = None,
    required: Iterable[str] = (),
    repair: bool = False,
    report: ReadReport | None = None,
    allow_empty: bool = True,
    driver: str | None = None,
) -> gpd.GeoDataFrame:
    """Validate an in-memory GeoDataFrame the way :func:`read_layer` validates a file.

    Returns a copy in EPSG:4326 (reprojected from its declared CRS, never from a guessed one).
    """
    report = report if report is not None else ReadReport()
    where = str(path) if path is not None else "<memory>"
    gdf = _with_declared_crs(gdf, where, layer, required, allow_empty, driver)
    report.source_crs = gdf.crs.to_string()
    _check_geometries(gdf, where, layer, geometry_types, id_field)
    gdf = _to_wgs84(gdf, where, layer, report)
    _check_lon_lat(gdf, where, layer, id_field)
    gdf = _check_validity(gdf, where, layer, geometry_types, id_field, repair, report)
    _check_ids(gdf, where, layer, id_field)
    return gdf.reset_index(drop=True)


def _with_declared_crs(
    gdf: gpd.GeoDataFrame,
    where: str,
    layer: str | None,
    required: Iterable[str],
    allow_empty: bool,
    driver: str | None,
) -> gpd.GeoDataFrame:
    """Required columns present, features present (unless ``allow_empty``) and a declared CRS (GeoJSON: WGS84)."""
    for col in required:
        if col not in gdf.columns:
            raise InputError(where, "required column is missing", field=col, layer=layer)
    if len(gdf) == 0 and not allow_empty:
        raise InputError(where, "layer has no features", layer=layer)
    if gdf.crs is None:
        if driver == "GeoJSON":
            return gdf.set_crs(WGS84)
        raise InputError(
            where,
            "no CRS declared (delimit never guesses a CRS; add a .prj or define the SRS)",
            layer=layer,
            field="crs",
        )
    return gdf


_TYPE_NAMES = np.array(
    [
        "Point",
        "LineString",
        "LinearRing",
        "Polygon",
        "MultiPoint",
        "MultiLineString",
        "MultiPolygon",
        "GeometryCollection",
    ]
)


def _check_geometries(
    gdf: gpd.GeoDataFrame, where: str, layer: str | None, geometry_types: Sequence[str] | None, id_field: str | None
) -> None:
    """No empty or missing geometry, only ``geometry_types``, no NaN or infinite coordinate."""
    geoms = gdf.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise GeometryError(
            where, "empty geometry", feature=_feature_label(gdf, i, id_field), field="geometry", layer=layer
        )
    if geometry_types is not None:
        names = _TYPE_NAMES[shapely.get_type_id(geoms)]
        bad = ~np.isin(names, list(geometry_types))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise GeometryError(
                where,
                f"geometry is a {names[i]}, expected {' or '.join(geometry_types)}",
                feature=_feature_label(gdf, i, id_field),
                field="geometry",
                layer=layer,
            )
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    nan_rows = ~np.isfinite(coords).all(axis=1)
    if nan_rows.any():
        i = int(index[np.flatnonzero(nan_rows)[0]])
        raise GeometryError(
            where,
            "coordinate is NaN or infinite",
            feature=_feature_label(gdf, i, id_field),
            field="geometry",
            layer=layer,
        )


def _to_wgs84(gdf: gpd.GeoDataFrame, where: str, layer: str | None, report: ReadReport) -> gpd.GeoDataFrame:
    """``gdf`` reprojected to WGS84 from its declared CRS (``report.reprojected`` set if it was)."""
    crs = CRS.from_user_input(gdf.crs)
    if crs == WGS84:
        return gdf
    try:
        gdf = gdf.to_crs(WGS84)
    except Exception as exc:
        raise InputError(
            where, f"cannot reproject from {crs.to_string()}: {_first_line(exc)}", layer=layer, field="crs"
        ) from None
    report.reprojected = True
    return gdf


def _check_lon_lat(gdf: gpd.GeoDataFrame, where: str, layer: str | None, id_field: str | None) -> None:
    """Every coordinate within longitude -180..180 / latitude -90..90, and no edge the long way round."""
    geoms = gdf.geometry.values
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    out = (np.abs(coords[:, 0]) > 180.0) | (np.abs(coords[:, 1]) > 90.0) | ~np.isfinite(coords).all(axis=1)
    if out.any():
        k = int(np.flatnonzero(out)[0])
        i = int(index[k])
        raise GeometryError(
            where,
            f"coordinate ({coords[k, 0]:g}, {coords[k, 1]:g}) is outside longitude -180..180 / latitude -90..90",
            feature=_feature_label(gdf, i, id_field),
            field="geometry",
            layer=layer,
        )
    # Antimeridian: an edge spanning more than 180 degrees of longitude runs the long way round
    jump = _antimeridian_edge(geoms)
    if jump is not None:
        i, kind, x0, x1 = jump
        raise GeometryError(
            where,
            f"{kind} crosses the antimeridian (an edge from longitude {x0:g} to {x1:g} spans more than 180 degrees); "
            "split it at 180 degrees (RFC 7946 section 3.1.9)",
            feature=_feature_label(gdf, i, id_field),
            field="geometry",
            layer=layer,
        )


def _check_validity(
    gdf: gpd.GeoDataFrame,
    where: str,
    layer: str | None,
    geometry_types: Sequence[str] | None,
    id_field: str | None,
    repair: bool,
    report: ReadReport,
) -> gpd.GeoDataFrame:
    """Invalid geometry refused with its reason, or (``repair``) made valid and listed in ``report.repairs``."""
    geoms = gdf.geometry.values
    valid = is_valid(geoms)
    if valid.all():
        return gdf
    bad_idx = np.flatnonzero(~valid)
    if not repair:
        i = int(bad_idx[0])
        reason = is_valid_reason(geoms[i])
        more = f" (and {len(bad_idx) - 1} more invalid)" if len(bad_idx) > 1 else ""
        raise GeometryError(
            where,
            f"invalid geometry: {reason}{more}; rerun with --repair to repair it",
            feature=_feature_label(gdf, i, id_field),
            field="geometry",
            layer=layer,
        )
    gdf = gdf.copy()
    fixed = list(geoms)
    for bad_i in bad_idx:
        reason = is_valid_reason(geoms[bad_i])
        g = shapely.make_valid(geoms[bad_i])
        if geometry_types is not None and set(geometry_types) <= set(POLYGONAL):
            g = _polygonal_part(g)
        fixed[bad_i] = g
        report.repairs.append(Repair(where, layer, _feature_label(gdf, int(bad_i), id_field), reason, g.geom_type))
    return gdf.set_geometry(gpd.GeoSeries(fixed, index=gdf.index, crs=gdf.crs))


def _check_ids(gdf: gpd.GeoDataFrame, where: str, layer: str | None, id_field: str | None) -> None:
    """``id_field`` (if given) present, never empty, unique."""
    if id_field is None:
        return
    if id_field not in gdf.columns:
        raise InputError(where, "id column is missing", field=id_field, layer=layer)
    ids = gdf[id_field]
    if ids.isna().any():
        i = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise InputError(where, "id is empty", feature=i, field=id_field, layer=layer)
    dup = ids.duplicated(keep="first").to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputError(where, f"duplicate id {ids.iloc[i]!r}", feature=i, field=id_field, layer=layer)


def _antimeridian_edge(geoms: np.ndarray) -> tuple[int, str, float, float] | None:
    """The first edge (feature index, 'ring'/'line', its two longitudes) whose longitudes differ by
    more than 180 degrees, or None. Such an edge means a geometry meant to cross the antimeridian
    that, read literally in WGS84, goes the long way round the Earth. Vectorised over all rings."""
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    types = shapely.get_type_id(parts)
    poly = types == 3
    rings, ring_of = shapely.get_rings(parts[poly], return_index=True)
    lines = np.isin(types, (1, 2))
    comps = np.concatenate([rings, parts[lines]])
    comp_feature = np.concatenate([part_of[poly][ring_of], part_of[lines]])
    comp_kind = np.concatenate([np.zeros(len(rings), bool), np.ones(int(lines.sum()), bool)])
    coords, comp = shapely.get_coordinates(comps, return_index=True)
    if len(coords) < 2:
        return None
    big = (np.abs(np.diff(coords[:, 0])) > 180.0) & (comp[1:] == comp[:-1])
    if not big.any():
        return None
    k = int(np.flatnonzero(big)[0])
    c = int(comp[k])
    return int(comp_feature[c]), ("line" if comp_kind[c] else "ring"), float(coords[k, 0]), float(coords[k + 1, 0])


def _polygonal_part(g: shapely.Geometry) -> shapely.Geometry:
    """Keep the polygonal part of a make_valid result (which may add lines or points)."""
    if g.geom_type in POLYGONAL:
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in POLYGONAL]
    return shapely.union_all(parts) if parts else g


def crs_equivalent(a: Any, b: Any) -> bool:
    """Alias of :func:`delimit.crs.same_crs` (axis order ignored; None equals nothing)."""
    return same_crs(a, b)


def check_same_crs(frames: Mapping[str, gpd.GeoDataFrame]) -> None:
    """Refuse to combine layers declared in different CRSs (before any reprojection).

    ``frames`` maps a label (file path) to a frame in its *declared* CRS.
    """
    first: tuple[str, Any] | None = None
    for label, gdf in frames.items():
        if first is None:
            first = (label, gdf.crs)
            continue
        if not crs_equivalent(gdf.crs, first[1]):
            raise CRSMismatchError(
                label,
                f"CRS {gdf.crs.to_string() if gdf.crs else None} differs from {first[0]}'s "
                f"{first[1].to_string() if first[1] else None}; reproject one of them first",
                field="crs",
            )


def write_layers(layers: Mapping[str, gpd.GeoDataFrame], path: str | Path) -> Path:
    """Write one or more layers to a vector file atomically.

    Multi-layer output needs a multi-layer format (GeoPackage); for GeoJSON/Shapefile/FlatGeobuf
    pass exactly one layer. GeoJSON output is RFC 7946 (WGS84, 7 decimals).
    """
    dest = Path(path)
    driver = driver_for(dest)
    if driver != "GPKG" and len(layers) != 1:
        raise InputError(dest, f"{driver} holds one layer; got {len(layers)} (write a .gpkg instead)")
    with atomic_path(dest) as tmp:
        for name, gdf in layers.items():
            kwargs: dict[str, Any] = {}
            frame = gdf
            if driver == "GeoJSON":
                frame = gdf.to_crs(WGS84) if gdf.crs is not None else gdf
                kwargs["layer_options"] = {"RFC7946": "YES", "COORDINATE_PRECISION": "7"}
            elif driver == "FlatGeobuf":
                # The packed R-tree reorders features spatially; delimit keeps feature order (messages
                # name features by index, and outputs must be reproducible), so no index.
                kwargs["layer_options"] = {"SPATIAL_INDEX": "NO"}
            pyogrio.write_dataframe(
                frame, tmp, layer=name, driver=driver, append=tmp.exists() and driver == "GPKG", **kwargs
            )
        if driver == "ESRI Shapefile":
            # Shapefiles are several files: move the sidecars next to the destination too, and
            # remove sidecars of an earlier file at ``dest`` that this write did not produce
            # (a stale .prj would give the new file a wrong CRS).
            produced = {side.suffix.lower() for side in temp_siblings(tmp) if side.stem == tmp.stem}
            for old_side in SHAPEFILE_SIDECARS - produced:
                with contextlib.suppress(FileNotFoundError):
                    dest.with_suffix(old_side).unlink()
            for side in temp_siblings(tmp):
                if side.stem == tmp.stem:
                    side.replace(dest.with_suffix(side.suffix))
    return dest


def write_layer(gdf: gpd.GeoDataFrame, path: str | Path, layer: str | None = None) -> Path:
    """Write a single layer atomically (layer name defaults to the file stem)."""
    return write_layers({layer or Path(path).stem: gdf}, path)
