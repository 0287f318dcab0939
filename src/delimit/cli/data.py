"""``delimit data info``: the embedded datasets, their layers, sources and licences."""

from __future__ import annotations

from pathlib import Path

import typer

from delimit.cli.render import Format, emit_json, emit_text, print_table, rich_table
from delimit.datasets import DEFAULT_DATASET, dataset_dir, read_manifest


def register(app: typer.Typer) -> None:
    data_app = typer.Typer(help="The embedded datasets.", no_args_is_help=True)

    @data_app.command("info")
    def info(
        dataset: str = typer.Option(DEFAULT_DATASET, "--dataset", help="Embedded dataset name."),
        fmt: Format = typer.Option(Format.table, "--format", help="table or json."),
        out: Path | None = typer.Option(None, "-o", "--output", help="Write to this file (atomically)."),
    ) -> None:
        """List every layer with feature count, source package and version, licence; and the attribution."""
        manifest = read_manifest(dataset)
        manifest = {**manifest, "path": str(dataset_dir(dataset))}
        if fmt == Format.json:
            emit_json(manifest, out)
            return
        rows = [
            {
                "layer": name,
                "features": layer.get("feature_count", ""),
                "geometry": layer.get("geometry_type", ""),
                "status": ", ".join(layer.get("statuses", [])) if isinstance(layer.get("statuses"), list) else layer.get("status", ""),
                "source": f"{layer.get('source_package', '')} {layer.get('source_version', '')}".strip(),
                "licence": layer.get("licence", ""),
            }
            for name, layer in _layers(manifest)
        ]
        table = rich_table(
            rows,
            ["layer", "features", "geometry", "status", "source", "licence"],
            title=f"dataset {manifest.get('name', dataset)} {manifest.get('version', '')}",
            caption=str(manifest.get("attribution", "")),
        )
        print_table(table, out)
        if out is None:
            att = dataset_dir(dataset) / "ATTRIBUTION.md"
            if att.exists():
                emit_text("\n" + att.read_text(encoding="utf-8"), None)

    app.add_typer(data_app, name="data")


def _layers(manifest: dict) -> list[tuple[str, dict]]:
    layers = manifest.get("layers", {})
    if isinstance(layers, dict):
        return list(layers.items())
    return [(str(layer.get("name")), layer) for layer in layers]
