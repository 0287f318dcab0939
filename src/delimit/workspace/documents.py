"""Validating what delegations send: scenario drafts (YAML + GeoJSON files) and section geometry.

A draft is the same scenario model the loader accepts (:class:`delimit.scenario.schema.ScenarioFile`),
written as YAML text, plus the GeoJSON files its transfers and added roads reference, given inline
as ``{"geometry/NAME.geojson": FeatureCollection}``. Everything is checked before anything is
stored: YAML safety limits (size, depth, aliases), the schema, references between the two, GeoJSON
structure, geometry type, validity, vertex count and the workspace's data window (WGS84). Faults are
:class:`~delimit.errors.InputError` whose ``field`` names the place (``scenario.transfers.0.to``,
``geometry.geometry/a.geojson.features.2.geometry``).
"""

from __future__ import annotations

import math
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from pydantic import ValidationError
from shapely.geometry import shape

from delimit.errors import InputError
from delimit.workspace.events import canonical_json, sha256_text

#: Most GeoJSON files a draft may carry, and most vertices over all of them.
MAX_GEOMETRY_FILES = 20
MAX_VERTICES = 200_000
#: Largest scenario YAML text (bytes).
MAX_SCENARIO_BYTES = 256 * 1024
GEOMETRY_KEY = re.compile(r"^geometry/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,80}\.geojson$")
POLYGONS = ("Polygon", "MultiPolygon")
LINES = ("LineString", "MultiLineString")


@dataclass(frozen=True)
class Draft:
    """A validated draft: the parsed scenario mapping, its GeoJSON files, and the hash of both."""

    scenario: dict[str, Any]
    geometry: dict[str, dict[str, Any]]

    @property
    def document(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "geometry": self.geometry}

    @property
    def text(self) -> str:
        """The canonical JSON stored and hashed."""
        return canonical_json(self.document)

    @property
    def scenario_hash(self) -> str:
        return sha256_text(self.text)


def preload() -> None:
    """Import what validating a draft needs (the scenario schema, the YAML reader, the dataset registry).

    A server calls this before it listens: imported lazily, they would make the first draft written
    hold the interpreter for the seconds the imports take, and every request in flight wait for it.
    """
    import delimit.datasets
    import delimit.io.structured
    import delimit.scenario.schema  # noqa: F401


def _bad(field: str, reason: str) -> InputError:
    return InputError(None, reason, field=field)


def parse_yaml_text(text: str, field: str = "scenario") -> Any:
    """Parse YAML text with the same safety limits as scenario files (size, depth, aliases, duplicate keys)."""
    from delimit.io.structured import read_document

    if len(text.encode("utf-8")) > MAX_SCENARIO_BYTES:
        raise _bad(field, f"larger than {MAX_SCENARIO_BYTES // 1024} KiB")
    with tempfile.TemporaryDirectory(prefix="delimit-ws-") as d:
        p = Path(d) / "scenario.yaml"
        p.write_text(text, encoding="utf-8")
        try:
            return read_document(p)
        except InputError as exc:
            raise _bad(field, exc.reason) from None


def _finite_coords(geom: Any) -> bool:
    coords = shapely.get_coordinates(geom)
    return bool(len(coords)) and all(math.isfinite(v) for v in coords.ravel())


def check_geometry(obj: Any, field: str, kinds: tuple[str, ...], window: shapely.Geometry) -> shapely.Geometry:
    """A GeoJSON geometry object of one of ``kinds``, finite, valid, inside the window (WGS84 lon/lat)."""
    from delimit.validity import is_valid_reason

    if not isinstance(obj, dict) or "type" not in obj or "coordinates" not in obj:
        raise _bad(field, "not a GeoJSON geometry (needs 'type' and 'coordinates')")
    if obj["type"] not in kinds:
        raise _bad(field, f"geometry type {obj['type']!r} where {' or '.join(kinds)} was expected")
    try:
        geom = shape(obj)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise _bad(field, f"malformed coordinates ({type(exc).__name__}: {exc})") from None
    if geom.is_empty or not _finite_coords(geom):
        raise _bad(field, "empty geometry or coordinates that are not finite numbers")
    if shapely.get_coordinates(geom).shape[1] != 2 and shapely.has_z(geom):
        geom = shapely.force_2d(geom)
    reason = is_valid_reason(geom)
    if reason != "Valid Geometry":
        raise _bad(field, f"invalid geometry: {reason}")
    if geom.geom_type in LINES and geom.length == 0:
        raise _bad(field, "a line of zero length")
    if not window.covers(geom):
        minx, miny, maxx, maxy = window.bounds
        raise _bad(
            field, f"geometry outside the workspace's window (lon {minx:g}..{maxx:g}, lat {miny:g}..{maxy:g}, WGS84)"
        )
    return geom


def _check_collection(key: str, fc: Any, kinds: tuple[str, ...], window: shapely.Geometry) -> int:
    field = f"geometry.{key}"
    if not isinstance(fc, dict) or fc.get("type") != "FeatureCollection" or not isinstance(fc.get("features"), list):
        raise _bad(field, "not a GeoJSON FeatureCollection")
    if not fc["features"]:
        raise _bad(field, "a FeatureCollection without features")
    vertices = 0
    for i, feat in enumerate(fc["features"]):
        at = f"{field}.features.{i}"
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise _bad(at, "not a GeoJSON Feature")
        if not isinstance(feat.get("properties", {}), (dict, type(None))):
            raise _bad(f"{at}.properties", "properties must be an object")
        geom = check_geometry(feat.get("geometry"), f"{at}.geometry", kinds, window)
        vertices += int(shapely.get_num_coordinates(geom))
    return vertices


def _scenario_model(doc: Any) -> Any:
    from delimit.scenario.schema import ScenarioFile

    if not isinstance(doc, dict):
        raise _bad("scenario", "a scenario must be a mapping of keys to values")
    try:
        return ScenarioFile.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err.get("loc", ()))
        raise _bad(f"scenario.{loc}" if loc else "scenario", err.get("msg", "invalid")) from None


def _check_references(
    spec: Any, files: dict[str, Any], parties: list[str], bundled: set[str]
) -> dict[str, tuple[str, ...]]:
    """Which kind of geometry each referenced file must hold; faults name the scenario field."""
    if spec.base is not None and spec.base not in bundled:
        raise _bad(
            "scenario.base",
            f"a workspace draft builds on a bundled scenario ({', '.join(sorted(bundled))}), not a file",
        )
    if spec.layers:
        raise _bad("scenario.layers", "workspace drafts use the workspace's dataset; layer files are not accepted")
    if spec.elevation is not None:
        raise _bad("scenario.elevation", "workspace drafts use the workspace's elevation; files are not accepted")
    if spec.dataset is not None and spec.base is None:
        raise _bad("scenario.dataset", "build on a bundled scenario with 'base' instead")
    needs: dict[str, tuple[str, ...]] = {}
    for i, tr in enumerate(spec.transfers):
        for key, party in (("from", tr.from_), ("to", tr.to)):
            if party not in parties:
                raise _bad(
                    f"scenario.transfers.{i}.{key}",
                    f"{party!r} is not a party of this workspace ({', '.join(parties)})",
                )
        needs[tr.geometry.path] = POLYGONS
    for i, ref in enumerate(spec.add_roads):
        if needs.get(ref.path) == POLYGONS:
            raise _bad(f"scenario.add_roads.{i}.path", "the same file cannot hold transfer polygons and roads")
        needs[ref.path] = LINES
    for i, tr in enumerate(spec.transfers):
        if tr.geometry.path not in files:
            raise _bad(
                f"scenario.transfers.{i}.geometry.path", f"{tr.geometry.path!r} is not among the draft's geometry files"
            )
    for i, ref in enumerate(spec.add_roads):
        if ref.path not in files:
            raise _bad(f"scenario.add_roads.{i}.path", f"{ref.path!r} is not among the draft's geometry files")
    for key in files:
        if key not in needs:
            raise _bad(f"geometry.{key}", "not referenced by the scenario")
    return needs


def validate_draft(
    scenario_yaml: str,
    geometry: dict[str, Any] | None,
    *,
    base_scenario: str,
    parties: list[str],
    window: shapely.Geometry,
) -> Draft:
    """Check a draft completely; return it normalised (``base`` defaults to the workspace's baseline)."""
    from delimit.datasets import bundled_scenario_files

    doc = parse_yaml_text(scenario_yaml)
    if isinstance(doc, dict) and doc.get("base") is None and doc.get("dataset") is None:
        doc = {**doc, "base": base_scenario}
    spec = _scenario_model(doc)
    files = geometry or {}
    if not isinstance(files, dict):
        raise _bad("geometry", "an object mapping 'geometry/NAME.geojson' to a FeatureCollection")
    if len(files) > MAX_GEOMETRY_FILES:
        raise _bad("geometry", f"more than {MAX_GEOMETRY_FILES} files")
    for key in files:
        if not GEOMETRY_KEY.match(key):
            raise _bad(f"geometry.{key}", "file names must look like 'geometry/NAME.geojson'")
    needs = _check_references(spec, files, parties, set(bundled_scenario_files()))
    vertices = 0
    for key, fc in files.items():
        vertices += _check_collection(key, fc, needs[key], window)
        if vertices > MAX_VERTICES:
            raise _bad(f"geometry.{key}", f"more than {MAX_VERTICES} vertices in the draft")
    # The stored document is the JSON the schema accepted (round-tripped, so no YAML-only types remain).
    import json

    try:
        normal = json.loads(canonical_json(doc))
    except (TypeError, ValueError) as exc:
        raise _bad("scenario", f"values that are not plain data ({exc})") from None
    return Draft(normal, {k: files[k] for k in sorted(files)})


def section_geometry(obj: Any, window: shapely.Geometry) -> tuple[dict[str, Any], str]:
    """A section's line (GeoJSON LineString/MultiLineString), canonical, and its SHA-256."""
    geom = check_geometry(obj, "geometry", LINES, window)
    if int(shapely.get_num_coordinates(geom)) > MAX_VERTICES:
        raise _bad("geometry", f"more than {MAX_VERTICES} vertices")
    import json

    canonical = json.loads(shapely.to_geojson(geom))
    return canonical, sha256_text(canonical_json(canonical))
