"""Validation of geodata files (vector, raster, OSM): what ``delimit validate`` runs on each file.

:func:`validate_paths` opens each file with the same readers the engines use (so a file that
validates will load), and additionally refuses geodata files in different CRSs given together.
Scenario files belong to the layer above: ``delimit.scenario.validate.validate_files`` passes its
scenario check in (``scenario=``), so this module imports nothing above ``delimit.model``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyogrio

from delimit.errors import CRSMismatchError, InputError
from delimit.io.limits import Limits, check_file
from delimit.io.osm import is_osm_path
from delimit.io.raster import raster_info
from delimit.io.vector import DRIVERS, ReadReport, crs_equivalent, read_layer

SCENARIO_SUFFIXES = (".yaml", ".yml", ".toml")
RASTER_SUFFIXES = (".tif", ".tiff")


@dataclass
class ValidationResult:
    """What was checked in one file."""

    path: str
    kind: str
    summary: str
    repairs: list[Any] = field(default_factory=list)
    crs: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for ``delimit validate --format json``."""
        return {
            "path": self.path,
            "kind": self.kind,
            "summary": self.summary,
            "crs": self.crs,
            "repairs": [str(r) for r in self.repairs],
            "notes": list(self.notes),
        }


#: A check of one scenario file: (path, repair, limits) -> what was checked (see ``delimit.scenario.validate``).
ScenarioCheck = Callable[[Path, bool, "Limits | None"], "ValidationResult"]


def validate_file(
    path: str | Path, *, repair: bool = False, limits: Limits | None = None, scenario: ScenarioCheck | None = None
) -> ValidationResult:
    """Validate one file; raise InputError on the first problem.

    A scenario file (.yaml/.toml) is handed to ``scenario`` (refused without one: geodata only here).
    """
    from delimit.model.layers import LAYERS

    p = Path(path)
    check_file(p, limits)
    suffix = p.suffix.lower()
    if suffix in SCENARIO_SUFFIXES:
        if scenario is None:
            raise InputError(p, "a scenario file: validate it with delimit.scenario.validate.validate_files")
        return scenario(p, repair, limits)
    if suffix in RASTER_SUFFIXES:
        info = raster_info(p, limits=limits)  # everything read_raster checks, without reading pixels
        return ValidationResult(str(p), "raster", f"raster {info.width}x{info.height}", [], info.crs.to_string())
    if is_osm_path(p):
        from delimit.io.osm import read_osm

        data = read_osm(p, limits=limits)
        return ValidationResult(str(p), "osm", data.summary(), [], "EPSG:4326", list(data.problems))
    if suffix not in DRIVERS:
        raise InputError(
            p,
            f"unknown file type {suffix!r} (scenario .yaml/.toml, vector {' '.join(sorted(DRIVERS))}, raster .tif, OSM .osm.pbf/.osm)",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # GDAL's complaint reaches the user in the InputError below
            layers = [str(n) for n, _ in pyogrio.list_layers(p)]
    except Exception as exc:
        if suffix in (".geojson", ".json"):
            # let the GeoJSON pre-checks name the problem precisely
            read_layer(p, limits=limits)
        raise InputError(p, f"cannot open as vector data: {str(exc).splitlines()[0]}") from None
    report = ReadReport()
    layer_counts: list[str] = []
    crs = None
    for name in layers:
        spec = LAYERS.get(name)
        gdf = read_layer(
            p,
            name if len(layers) > 1 or suffix == ".gpkg" else None,
            geometry_types=spec.geometry_types if spec else None,
            id_field=spec.id_field if spec else None,
            required=spec.required if spec else (),
            repair=repair,
            report=report,
            limits=limits,
        )
        if name == "settlements" or (spec is None and len(layers) == 1 and "settlement_id" in gdf.columns):
            from delimit.model.population import check_settlements

            check_settlements(gdf, p)
        layer_counts.append(f"{name} {len(gdf)}")
        crs = report.source_crs
    return ValidationResult(str(p), "vector", "layers: " + ", ".join(layer_counts), list(report.repairs), crs)


def validate_paths(
    paths: Sequence[str | Path],
    *,
    repair: bool = False,
    limits: Limits | None = None,
    scenario: ScenarioCheck | None = None,
) -> list[ValidationResult]:
    """Validate every file; refuse geodata files whose CRSs differ. Raises InputError on the first problem.

    Scenario files go to ``scenario`` (see :func:`validate_file`).
    """
    results = [validate_file(p, repair=repair, limits=limits, scenario=scenario) for p in paths]
    geodata = [r for r in results if r.kind in ("vector", "raster") and r.crs]
    for r in geodata[1:]:
        if not crs_equivalent(r.crs, geodata[0].crs):
            raise CRSMismatchError(
                r.path,
                f"CRS {r.crs} differs from {geodata[0].path}'s {geodata[0].crs}; inputs must share one CRS",
                field="crs",
            )
    return results
