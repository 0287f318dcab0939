"""Load scenario files into :class:`~delimit.model.scenario.Scenario` objects.

Resolution: a name is looked up among the bundled scenarios; anything that looks like a path is
read from disk. ``base`` chains are resolved recursively (cycles refused), layers come from the
embedded dataset and/or files next to the scenario, transfers are applied in order, and every
reference (party, crossing, road, traveller class, regime) is checked. Errors are
:class:`~delimit.errors.InputError` naming the scenario file and the field.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pydantic import ValidationError
from pyproj import CRS

from delimit.attribution import Credit, dataset_credits, file_credit
from delimit.crs import WGS84
from delimit.datasets import bundled_scenario_files, data_root, dataset_dir, read_manifest
from delimit.errors import CRSMismatchError, InputError
from delimit.io.landcover import read_landcover, read_speed_table
from delimit.io.limits import Limits, resolve_inside
from delimit.io.raster import raster_info, read_raster
from delimit.io.structured import read_document
from delimit.io.vector import ReadReport, crs_equivalent, read_layer
from delimit.model.features import Party
from delimit.model.landcover import LandCover
from delimit.model.layers import LAYERS
from delimit.model.population import settle_population
from delimit.model.provenance import InputRecord, Provenance, sha256_file
from delimit.model.raster import Raster
from delimit.model.regime import Regime, TravellerClass
from delimit.model.scenario import Scenario, Transfer, assign_party, empty_layer
from delimit.model.transfers import apply_transfer
from delimit.model.transfers import copy_scenario as copy_scenario  # re-exported: tests and delimit.scenario use it
from delimit.scenario.schema import LayerRef, ScenarioFile


@dataclass
class _State:
    """Everything a scenario file contributes, accumulated along a base chain."""

    name: str = ""
    title: str = ""
    description: str = ""
    status: str = "illustrative"
    parties: dict[str, Party] = field(default_factory=dict)
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    layer_crs: dict[str, tuple[str, CRS]] = field(default_factory=dict)  # label -> (layer, declared CRS)
    elevation_path: Path | None = None
    landcover_paths: tuple[Path, Path] | None = None  # (land-cover raster, off-road speed table)
    transfers: list[Transfer] = field(default_factory=list)
    classes: dict[str, TravellerClass] = field(default_factory=dict)
    regimes: dict[str, Regime] = field(default_factory=dict)
    default_regime: str | None = None
    chain: list[str] = field(default_factory=list)
    inputs: list[InputRecord] = field(default_factory=list)
    dataset: str = ""
    dataset_version: str = ""
    repairs: list[Any] = field(default_factory=list)
    layer_source: dict[str, str] = field(default_factory=dict)  # layer -> file (and layer) it came from
    class_origin: dict[str, tuple[Path, int]] = field(default_factory=dict)  # class id -> (file, index)
    regime_origin: dict[str, tuple[Path, int]] = field(default_factory=dict)  # regime id -> (file, index)
    default_regime_origin: Path | None = None
    balance_tolerance: float | None = None
    credits: list[Credit] = field(default_factory=list)  # sources to credit on every output
    missing_territory: str = ""  # why a dataset folder has no territory layer (the scenario must give one)


def _looks_like_path(s: str) -> bool:
    return any(ch in s for ch in "/\\") or s.endswith((".yaml", ".yml", ".toml"))


def resolve_scenario(name_or_path: str | Path) -> Path:
    """The file behind a scenario name or path; InputError listing the bundled names if unknown."""
    s = str(name_or_path)
    p = Path(s)
    if _looks_like_path(s) or p.exists():
        if not p.exists():
            raise InputError(p, "scenario file not found")
        return p
    bundled = bundled_scenario_files()
    if s not in bundled:
        raise InputError(
            s,
            f"unknown scenario (bundled: {', '.join(sorted(bundled)) or 'none'}; or give a path to a .yaml/.toml file)",
        )
    return bundled[s]


def _validation_message(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    loc = ".".join(str(x) for x in err.get("loc", ()))
    msg = err.get("msg", "invalid")
    more = len(exc.errors()) - 1
    if more:
        msg += f" (and {more} more problem{'s' if more > 1 else ''})"
    return loc or "<document>", msg


class _Identified(Protocol):
    """An entry of a scenario file's list that carries an ``id`` (party, transfer, class, regime)."""

    @property
    def id(self) -> str: ...


def parse_scenario_file(path: str | Path, limits: Limits | None = None) -> ScenarioFile:
    """Read and validate a scenario file without loading its layers.

    Besides the schema, ids must be unique within each list of the file (parties, transfers,
    traveller classes, regimes): a second entry with the same id would silently replace the first.
    """
    p = Path(path)
    doc = read_document(p, limits)
    if not isinstance(doc, dict):
        raise InputError(p, "a scenario file must be a mapping of keys to values")
    try:
        spec = ScenarioFile.model_validate(doc)
    except ValidationError as exc:
        loc, msg = _validation_message(exc)
        raise InputError(p, msg, field=loc) from None
    id_lists: tuple[tuple[str, Sequence[_Identified]], ...] = (
        ("parties", spec.parties),
        ("transfers", spec.transfers),
        ("traveller_classes", spec.traveller_classes),
        ("regimes", spec.regimes),
    )
    for key, items in id_lists:
        first: dict[str, int] = {}
        for i, item in enumerate(items):
            if item.id in first:
                raise InputError(
                    p, f"duplicate id {item.id!r} (first at {key}.{first[item.id]})", field=f"{key}.{i}.id"
                )
            first[item.id] = i
    return spec


def _read_ref(
    ref: LayerRef,
    base_dir: Path,
    source: Path,
    field_name: str,
    layer_name: str,
    state: _State,
    repair: bool,
    limits: Limits | None,
) -> gpd.GeoDataFrame:
    target = resolve_inside(base_dir, ref.path, source=source, field=f"{field_name}.path")
    spec = LAYERS.get(layer_name)
    report = ReadReport()
    # Check the declared CRS before reprojection so that mixing is refused, never silently fixed.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # read_layer names the problem in one line
            info = pyogrio.read_info(target, layer=ref.layer)
        declared = CRS.from_user_input(info["crs"]) if info.get("crs") else None
    except Exception:
        declared = None  # read_layer gives the precise error below
    gdf = read_layer(
        target,
        ref.layer,
        geometry_types=spec.geometry_types if spec else None,
        id_field=spec.id_field if spec else None,
        required=spec.required if spec else (),
        repair=repair,
        report=report,
        limits=limits,
    )
    if declared is None and target.suffix.lower() in (".geojson", ".json"):
        declared = WGS84
    label = f"{target}" + (f" (layer {ref.layer!r})" if ref.layer else "")
    for other_label, (_, other_crs) in state.layer_crs.items():
        if declared is not None and other_crs is not None and not crs_equivalent(declared, other_crs):
            raise CRSMismatchError(
                label,
                f"CRS {declared.to_string()} differs from {other_crs.to_string()} of {other_label}; "
                "reproject the inputs to one CRS first",
                field="crs",
            )
    if declared is not None:
        state.layer_crs[label] = (layer_name, declared)
    if layer_name:
        state.layer_source[layer_name] = label
    state.repairs.extend(report.repairs)
    state.inputs.append(InputRecord(field_name, str(target), sha256_file(target)))
    _credit_user_file(state, target, layer_name or field_name)
    if spec:
        gdf = _with_defaults(gdf, layer_name)
    return gdf


def _with_defaults(gdf: gpd.GeoDataFrame, layer_name: str) -> gpd.GeoDataFrame:
    spec = LAYERS[layer_name]
    gdf = gdf.copy()
    for col, default in spec.defaults:
        if col not in gdf.columns:
            gdf[col] = default
        else:
            gdf[col] = gdf[col].fillna(default) if gdf[col].dtype == object and default is not None else gdf[col]
    if spec.id_field:
        gdf[spec.id_field] = gdf[spec.id_field].astype(str)
    return gdf


def _credit_user_file(state: _State, target: Path, what: str) -> None:
    """Credit a file the user supplied (files shipped inside delimit are credited by their dataset)."""
    if target.resolve().is_relative_to(data_root().resolve()):
        return
    name = target.name
    for i, c in enumerate(state.credits):
        if c.source == name:
            state.credits[i] = file_credit(name, (*c.layers, what))
            return
    state.credits.append(file_credit(name, (what,)))


def _dataset_folder(name: str, source: Path) -> tuple[Path, dict[str, Any]]:
    """An embedded dataset by name, or a dataset folder by path (``delimit data build`` output).

    A path (it contains a slash, or starts with ``.`` or ``~``) is taken relative to the scenario
    file's folder unless absolute; it must hold ``manifest.json`` and the vector file with every
    layer the manifest lists.
    """
    if not (any(ch in name for ch in "/\\") or name.startswith((".", "~"))):
        try:
            folder = dataset_dir(name)
        except InputError as exc:
            raise InputError(source, f"dataset {name!r}: {exc.reason}", field="dataset") from None
        return folder, read_manifest(name)
    folder = Path(name).expanduser()
    folder = folder if folder.is_absolute() else source.parent / folder
    if not folder.is_dir():
        raise InputError(source, f"dataset folder {str(folder)!r} does not exist", field="dataset")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            source,
            f"dataset folder {str(folder)!r} has no readable manifest.json ({type(exc).__name__})",
            field="dataset",
        ) from None
    gpkg = folder / str(manifest.get("vector_file", ""))
    if not manifest.get("vector_file") or not gpkg.is_file() or gpkg.resolve().parent != folder.resolve():
        raise InputError(
            source,
            f"dataset folder {str(folder)!r}: vector file {manifest.get('vector_file')!r} is missing",
            field="dataset",
        )
    try:
        present = set(pyogrio.list_layers(gpkg)[:, 0])
    except Exception as exc:  # pyogrio's DataSourceError and kin: not a readable GeoPackage
        raise InputError(
            source,
            f"dataset folder {str(folder)!r}: {gpkg.name} is not a readable GeoPackage ({type(exc).__name__})",
            field="dataset",
        ) from None
    for layer_name in manifest.get("layers", {}):
        if layer_name not in present:
            raise InputError(
                source,
                f"dataset folder {str(folder)!r} lacks the layer {layer_name!r} its manifest lists",
                field="dataset",
            )
    return folder, manifest


def _load_dataset(name: str, state: _State, source: Path, limits: Limits | None) -> None:
    folder, manifest = _dataset_folder(name, source)
    gpkg = folder / manifest.get("vector_file", f"{name}.gpkg")
    available = set(pyogrio.list_layers(gpkg)[:, 0]) if gpkg.exists() else set()
    for layer_name in LAYERS:
        if layer_name in available:
            ref = LayerRef(path=gpkg.name, layer=layer_name)
            state.layers[layer_name] = _read_ref(
                ref, folder, source, f"dataset.{layer_name}", layer_name, state, False, limits
            )
    if "territory" not in available:
        why = next((str(n) for n in manifest.get("notes", []) if "territory" in str(n)), "")
        state.missing_territory = f"dataset {name!r} has no territory layer ({why or 'none in its manifest'}); give one under layers.territory"
    elev = folder / manifest.get("elevation_file", "elevation.tif")
    state.elevation_path = elev if elev.exists() else None
    lc, table = folder / "landcover.tif", folder / "offroad_speeds.csv"
    state.landcover_paths = (lc, table) if lc.exists() and table.exists() else None
    state.dataset = name
    state.dataset_version = str(manifest.get("version", ""))
    state.credits = [
        *dataset_credits(manifest),
        *(c for c in state.credits if c.via not in ("", "delimit") and c.source != "delimit"),
    ]
    # The dataset's own files are recorded once (not per layer).
    state.inputs = [i for i in state.inputs if not i.role.startswith("dataset.")]
    state.inputs.append(InputRecord("dataset", str(gpkg.name), sha256_file(gpkg), state.dataset_version))


def _merge_file(path: Path, state: _State, seen: tuple[Path, ...], repair: bool, limits: Limits | None) -> None:
    spec = parse_scenario_file(path, limits)
    real = path.resolve()
    if real in seen:
        raise InputError(path, "scenario bases form a cycle", field="base")
    base_dir = path.parent
    if spec.base:
        base_path = Path(spec.base)
        if _looks_like_path(spec.base):
            base_path = resolve_inside(base_dir, spec.base, source=path, field="base")
        else:
            try:
                base_path = resolve_scenario(spec.base)
            except InputError as exc:
                raise InputError(path, f"base {spec.base!r}: {exc.reason}", field="base") from None
        _merge_file(base_path, state, (*seen, real), repair, limits)
    state.name = spec.name
    state.title = spec.title or state.title
    state.description = spec.description or state.description
    state.status = spec.status or state.status
    state.chain.append(spec.name)
    state.inputs.append(InputRecord("scenario", str(path), sha256_file(path)))
    for p in spec.parties:
        state.parties[p.id] = Party(p.id, p.name)
    if spec.dataset:
        _load_dataset(spec.dataset, state, path, limits)
    for layer_name, ref in spec.layers.items():
        if layer_name not in LAYERS:
            raise InputError(
                path, f"unknown layer {layer_name!r} (known: {', '.join(LAYERS)})", field=f"layers.{layer_name}"
            )
        state.layers[layer_name] = _read_ref(
            ref, base_dir, path, f"layers.{layer_name}", layer_name, state, repair, limits
        )
    if spec.elevation:
        state.elevation_path = resolve_inside(base_dir, spec.elevation.path, source=path, field="elevation.path")
    for i, tr in enumerate(spec.transfers):
        for key, party in (("from", tr.from_), ("to", tr.to)):
            if party not in state.parties:
                raise InputError(
                    path, f"unknown party {party!r} (known: {', '.join(state.parties)})", field=f"transfers.{i}.{key}"
                )
        gdf = _read_ref(tr.geometry, base_dir, path, f"transfers.{i}.geometry", "", state, repair, limits)
        polys = [g for g in gdf.geometry if g.geom_type in ("Polygon", "MultiPolygon")]
        if not polys:
            raise InputError(path, "transfer geometry holds no polygon", field=f"transfers.{i}.geometry")
        t = Transfer(tr.id, tr.from_, tr.to, tr.status, tr.source, shapely.union_all(polys))
        if "territory" not in state.layers:
            raise InputError(
                path,
                "a transfer needs a territory layer (set dataset, layers.territory or base)",
                field=f"transfers.{i}",
            )
        state.layers["territory"] = apply_transfer(state.layers["territory"], t, path, f"transfers.{i}")
        state.transfers.append(t)
    for i, ref in enumerate(spec.add_roads):
        extra = _read_ref(ref, base_dir, path, f"add_roads.{i}", "roads", state, repair, limits)
        roads = state.layers.get("roads", empty_layer("roads"))
        existing = set(roads["road_id"])
        clash = [k for k, rid in enumerate(extra["road_id"]) if rid in existing]
        if clash:
            k = clash[0]
            rid = extra["road_id"].iloc[k]
            raise InputError(
                resolve_inside(base_dir, ref.path, source=path, field=f"add_roads.{i}.path"),
                f"road id {rid!r} already exists in the roads layer (listed under add_roads.{i} of {path.name})",
                feature=f"{k} (road_id={rid})",
                field="road_id",
            )
        state.layers["roads"] = gpd.GeoDataFrame(
            pd.concat([roads, extra], ignore_index=True), geometry="geometry", crs=WGS84
        )
    for i, c in enumerate(spec.traveller_classes):
        state.classes[c.id] = c
        state.class_origin[c.id] = (path, i)
    for i, r in enumerate(spec.regimes):
        state.regimes[r.id] = r
        state.regime_origin[r.id] = (path, i)
    if spec.balance_tolerance is not None:
        state.balance_tolerance = spec.balance_tolerance
    if spec.default_regime is not None:
        state.default_regime = spec.default_regime
        state.default_regime_origin = path


def _check_references(state: _State, path: Path) -> None:
    """Every party, crossing, road, traveller class and regime named anywhere must exist.

    Errors name the file that holds the faulty reference (a base scenario's regime is reported in
    the base's file) and the field by its position in that file (``regimes.0.crossings.1.crossing``).
    """
    terr = state.layers.get("territory")
    if terr is not None and len(terr):
        parties = terr["party"].astype(str).to_numpy()
        unknown = [i for i, party in enumerate(parties) if party not in state.parties]
        if unknown:
            i = unknown[0]
            pid = terr["part_id"].iloc[i] if "part_id" in terr.columns else None
            label: int | str = f"{i} (part_id={pid})" if pid is not None else i
            known = ", ".join(state.parties) or "none"
            raise InputError(
                state.layer_source.get("territory", path),
                f"unknown party {parties[i]!r} (declared in {path.name}: {known}; declare it under 'parties')",
                feature=label,
                field="party",
            )
    crossings = set(state.layers["crossings"]["crossing_id"]) if "crossings" in state.layers else set()
    roads = set(state.layers["roads"]["road_id"]) if "roads" in state.layers else set()
    for c in state.classes.values():
        if c.party is not None and c.party not in state.parties:
            where, i = state.class_origin.get(c.id, (path, 0))
            raise InputError(
                where, f"traveller class {c.id!r} names unknown party {c.party!r}", field=f"traveller_classes.{i}.party"
            )
    for r in state.regimes.values():
        where, ri = state.regime_origin.get(r.id, (path, 0))
        at = f"regimes.{ri}"

        def check_class(cls: str, fld: str, regime: str = r.id, where: Path = where) -> None:
            if cls not in state.classes:
                known = ", ".join(state.classes) or "none"
                raise InputError(
                    where, f"regime {regime!r} names unknown traveller class {cls!r} (known: {known})", field=fld
                )

        for k, pol in enumerate(r.crossings):
            if pol.crossing not in crossings:
                raise InputError(
                    where,
                    f"regime {r.id!r} names unknown crossing {pol.crossing!r}",
                    field=f"{at}.crossings.{k}.crossing",
                )
            for cls in pol.classes:
                check_class(cls, f"{at}.crossings.{k}.classes")
        for k, bp in enumerate(r.borders):
            for party in bp.parties:
                if party not in state.parties:
                    raise InputError(
                        where,
                        f"regime {r.id!r} names a border with unknown party {party!r}",
                        field=f"{at}.borders.{k}.parties",
                    )
            for cls in bp.classes:
                check_class(cls, f"{at}.borders.{k}.classes")
        for k, x in enumerate(r.closed_crossings):
            if x not in crossings:
                raise InputError(
                    where, f"regime {r.id!r} closes unknown crossing {x!r}", field=f"{at}.closed_crossings.{k}"
                )
        for key, ids in (("neutral_roads", r.neutral_roads), ("closed_roads", r.closed_roads)):
            for k, rid in enumerate(ids):
                if rid not in roads:
                    raise InputError(where, f"regime {r.id!r} names unknown road {rid!r}", field=f"{at}.{key}.{k}")
        for t, tc in enumerate(r.transit):
            for k, rid in enumerate(tc.roads):
                if rid not in roads:
                    raise InputError(
                        where, f"transit {tc.id!r} names unknown road {rid!r}", field=f"{at}.transit.{t}.roads.{k}"
                    )
            for cls in tc.classes:
                check_class(cls, f"{at}.transit.{t}.classes")
    if state.default_regime is not None and state.default_regime not in state.regimes:
        known = ", ".join(state.regimes) or "none"
        raise InputError(
            state.default_regime_origin or path,
            f"default regime {state.default_regime!r} is not defined (defined: {known})",
            field="default_regime",
        )


def _road_parties(roads: gpd.GeoDataFrame, territory: gpd.GeoDataFrame) -> np.ndarray:
    mids = gpd.GeoDataFrame(
        geometry=shapely.line_interpolate_point(roads.geometry.values, 0.5, normalized=True), crs=WGS84
    )
    return assign_party(mids, territory)


#: Margin (degrees, about 5 km) around a scenario's data for the part of its elevation model read.
ELEVATION_MARGIN_DEG = 0.05


def _data_bounds(layers: dict[str, gpd.GeoDataFrame]) -> tuple[float, float, float, float] | None:
    """WGS84 bounds of the data window (the ``window`` layer) or else of every layer, with a margin;
    None when the scenario holds no geometry (then the whole elevation model is read)."""
    frames = [layers["window"]] if len(layers.get("window", ())) else [g for g in layers.values() if len(g)]
    boxes = np.array([g.total_bounds for g in frames]) if frames else np.empty((0, 4))
    boxes = boxes[np.isfinite(boxes).all(axis=1)]
    if not len(boxes):
        return None
    m = ELEVATION_MARGIN_DEG
    return (
        max(float(boxes[:, 0].min()) - m, -180.0),
        max(float(boxes[:, 1].min()) - m, -90.0),
        min(float(boxes[:, 2].max()) + m, 180.0),
        min(float(boxes[:, 3].max()) + m, 90.0),
    )


def load_scenario(name_or_path: str | Path, *, repair: bool = False, limits: Limits | None = None) -> Scenario:
    """Load a bundled scenario by name (``'status-quo'``) or a scenario file by path.

    Parameters
    ----------
    name_or_path:
        A bundled scenario name (see ``delimit scenarios list``) or a path to a ``.yaml``/``.toml`` file.
    repair:
        Repair invalid polygons in user layers (each repair is listed in ``scenario.repairs``).

    Returns
    -------
    Scenario
        Layers as GeoDataFrames in EPSG:4326.

    Raises
    ------
    InputError
        Naming the file, feature and field of the first problem found.

    Examples
    --------
    >>> s = load_scenario("status-quo")  # doctest: +SKIP
    >>> sorted(s.parties)  # doctest: +SKIP
    ['CHN', 'KAZ', 'KGZ', 'TJK', 'UZB']
    """
    path = resolve_scenario(name_or_path)
    state = _State()
    _merge_file(path, state, (), repair, limits)
    if "territory" not in state.layers and state.missing_territory:
        raise InputError(path, state.missing_territory, field="layers.territory")
    _check_references(state, path)
    layers = {name: state.layers.get(name, empty_layer(name)) for name in LAYERS}
    terr = layers["territory"]
    settlements = layers["settlements"].copy()
    settlements["party"] = assign_party(settlements, terr)
    settlements = settle_population(settlements, state.layer_source.get("settlements", str(path)))
    roads = layers["roads"].copy()
    roads["party"] = _road_parties(roads, terr) if len(roads) else np.array([], dtype=object)
    elev_path = state.elevation_path

    area = _data_bounds(layers)
    if elev_path is not None:
        raster_info(elev_path, limits=limits, bounds=area)  # refused now (CRS, size), not when an engine asks

    lc_paths = state.landcover_paths
    if lc_paths is not None:
        read_speed_table(lc_paths[1], limits)  # a bad speed table is refused now, not when an engine asks

    def _landcover() -> LandCover | None:
        return read_landcover(*lc_paths, limits=limits, bounds=area) if lc_paths is not None else None

    def _elev() -> Raster | None:
        # only the window the scenario's data covers is read (checked against DELIMIT_MAX_RASTER_CELLS)
        return read_raster(elev_path, units="m", limits=limits, bounds=area) if elev_path is not None else None

    prov = Provenance(
        scenario=state.name,
        scenario_chain=tuple(state.chain),
        dataset=state.dataset,
        dataset_version=state.dataset_version,
        inputs=tuple(state.inputs),
        credits=tuple(state.credits),
    )
    scenario = Scenario(
        name=state.name,
        title=state.title or state.name,
        description=state.description,
        status=state.status,
        parties=dict(state.parties),
        territory=terr,
        settlements=settlements,
        roads=roads,
        crossings=layers["crossings"],
        water_bodies=layers["water_bodies"],
        rivers=layers["rivers"],
        outline=layers["outline_naturalearth"],
        window=layers["window"],
        traveller_classes=dict(state.classes),
        regimes=dict(state.regimes),
        default_regime=state.default_regime,
        provenance=prov,
        transfers=list(state.transfers),
        repairs=list(state.repairs),
        elevation_loader=_elev,
        landcover_loader=_landcover,
        balance_tolerance=state.balance_tolerance,
    )
    return scenario
