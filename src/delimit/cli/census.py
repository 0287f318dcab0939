"""``delimit census``: every part and every neck of every party in a boundaries file, on Dask.

    delimit census --boundaries FILE [--layer NAME ...] [--party-column party] [--neck-width-m 1000]
                   [--overlap-m 1000] [--accuracy-m 10] [--workers N | --scheduler tcp://HOST:8786] -o DIR

Writes ``DIR/census.gpkg`` (layers ``parts`` and ``necks``, WGS84) and ``DIR/census.json`` (every
part and neck, a summary per party, how the census ran, provenance with the file's credit). The
work is split and run by :mod:`delimit.distribute`; the topology is :mod:`delimit.topology.engine`'s.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from delimit.cli.options import (
    Number,
    float_option,
    int_option,
    old_spelling,
    output_option,
    overwrite_option,
    prefer,
)
from delimit.errors import InputError

#: The files ``delimit census`` writes into ``-o DIR``.
GPKG_NAME = "census.gpkg"
JSON_NAME = "census.json"


def read_boundaries(
    path: Path, layers: list[str], party_column: str, *, repair: bool = False
) -> tuple[Any, list[str], list[str]]:
    """The boundaries as one WGS84 GeoDataFrame with column ``party``, the layers read and any repairs.

    Every polygon layer of the file is read unless ``layers`` names some; layers in different CRSs
    are refused (InputError naming both), as is a layer without ``party_column``.
    """
    import geopandas as gpd
    import pandas as pd

    from delimit.geomtypes import POLYGONAL
    from delimit.io.vector import ReadReport, list_layers, read_layer

    names = layers or list_layers(path)
    frames: list[Any] = []
    crss: list[str | None] = []
    repairs: list[str] = []
    for name in names:
        report = ReadReport()
        gdf = read_layer(
            path,
            name,
            geometry_types=POLYGONAL,
            required=(party_column,),
            repair=repair,
            report=report,
            allow_empty=False,
        )
        crss.append(report.source_crs)
        repairs.extend(str(r) for r in report.repairs)
        if crss[0] != crss[-1]:
            raise InputError(
                path,
                f"layers {names[0]!r} ({crss[0]}) and {name!r} ({crss[-1]}) are in different CRSs; reproject them to one CRS or pick one with --layer",
                layer=name,
                field="crs",
            )
        party = gdf[party_column]
        if party.isna().any():
            i = int(party.isna().to_numpy().nonzero()[0][0])
            raise InputError(
                path,
                f"column {party_column!r} is empty for a feature: every feature needs its party",
                layer=name,
                feature=i,
                field=party_column,
            )
        frames.append(
            gpd.GeoDataFrame({"party": party.astype(str).to_numpy()}, geometry=gdf.geometry.values, crs=gdf.crs)
        )
    territory = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=frames[0].crs)
    return territory, list(names), repairs


def provenance(path: Path, layers: list[str], party_column: str) -> dict[str, Any]:
    """The census's provenance: the user's file (name, sha256, layers, party column), its credit, delimit's version."""
    from delimit import __version__
    from delimit.attribution import attribution_dicts, file_credit
    from delimit.io.outputs import sha256_of

    return {
        "scenario": None,
        "inputs": [{"file": path.name, "sha256": sha256_of(path), "layers": layers, "party_column": party_column}],
        "attribution": attribution_dicts([file_credit(path.name, layers)]),
        "software": {"delimit": __version__},
    }


def _flat(value: Any) -> Any:
    """A GeoPackage attribute: lists and dicts as JSON text, None kept."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value


def _layer(rows: list[dict[str, Any]], geoms: list[Any]) -> Any:
    import geopandas as gpd

    from delimit.crs import WGS84

    flat = [{k: _flat(v) for k, v in r.items()} for r in rows]
    return gpd.GeoDataFrame(flat, geometry=gpd.GeoSeries(geoms, crs=WGS84), crs=WGS84)


#: Share of an enclave's border on its host's land below which the census flags the rest (land of no party).
HOST_SHARE = 0.99


def enclave_list(parts: Any) -> list[dict[str, Any]]:
    """Every enclave with its host and a point inside it, by host then party then area; ``data_flags`` names
    what in the boundary data (not on the ground) makes it doubtful: its land also held by another party
    (overlapping polygons), or a share of its border touching no land at all (a gap between the polygons
    or the host's inland water, inside the host's outer boundary)."""
    out: list[dict[str, Any]] = []
    if not len(parts):
        return out
    rows = parts[parts["kind"] == "enclave"]
    for r in rows.itertuples(index=False):
        pt = r.geometry.representative_point()
        shared = float((r.shared_boundary_km or {}).get(r.surrounded_by, 0.0))
        share = min(1.0, shared / float(r.perimeter_km)) if r.perimeter_km else 0.0
        flags = []
        if list(r.overlapped_by):
            flags.append(f"its land is also held by {', '.join(r.overlapped_by)} in the data (overlapping polygons)")
        if share < HOST_SHARE:
            flags.append(
                f"{100.0 * (1.0 - share):.0f}% of its border touches no land in the data (a gap between the polygons, "
                f"or inland water) inside {r.surrounded_by}'s outer boundary"
            )
        out.append(
            {
                "party": r.party,
                "part": r.id,
                "host": r.surrounded_by,
                "area_km2": round(float(r.area_km2), 6),
                "lon": round(pt.x, 5),
                "lat": round(pt.y, 5),
                "border_on_host": round(share, 4),
                "data_flags": flags,
            }
        )
    return sorted(out, key=lambda e: (str(e["host"]), e["party"], -e["area_km2"]))


def census_documents(result: Any, prov: dict[str, Any], boundaries: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The JSON document and the GeoPackage layers (``parts``, ``necks``) of a census."""
    from delimit.cli.render import with_attribution
    from delimit.distribute import summarise
    from delimit.topology.result import TopologyResult

    o = result.options
    crs = "per party (see parties[].crs): " + "; ".join(sorted({p.crs.split(";")[0] for p in result.parties}))
    topo = TopologyResult(
        scenario=boundaries,
        crs=crs,
        parts=result.parts,
        necks=result.necks,
        neck_width_m=o.neck_width_m,
        artefact_m=o.artefact_m,
        provenance=prov,
    )
    party_docs = topo.party_json()
    summary = {s["party"]: s for s in summarise(result)}
    for p in party_docs:
        p["crs"] = summary[p["party"]].pop("crs")
    necks = topo.neck_json()
    doc = topo.to_json()
    doc.pop("known_enclaves", None)
    run = {k: v for k, v in result.run.items() if k != "seconds"}  # how it ran; the figures above do not depend on it
    doc.update(
        {
            "boundaries": boundaries,
            "overlap_m": o.overlap_m,
            "parties": party_docs,
            "necks": necks,
            "enclaves": enclave_list(result.parts),
            "artefact_parts": [
                {"party": r.party, "part": r.id, "area_km2": round(float(r.area_km2), 6), "reason": r.artefact_reason}
                for r in (
                    result.parts[result.parts["kind"] == "artefact"] if len(result.parts) else result.parts
                ).itertuples(index=False)
            ],
            "summary": list(summary.values()),
            "run": run,
        }
    )
    parts_rows = [{"party": p["party"], **part} for p in party_docs for part in p["parts"]]
    part_geoms = list(result.parts.geometry.values) if len(result.parts) else []
    neck_geoms = list(result.necks.geometry.values) if len(result.necks) else []
    layers = {"parts": _layer(parts_rows, part_geoms), "necks": _layer(necks, neck_geoms)}
    return with_attribution(doc, prov), layers


def register(app: typer.Typer) -> None:
    @app.command("census")
    def census(
        boundaries: Path = typer.Option(
            ...,
            "--boundaries",
            "-b",
            help="Boundaries file (GeoPackage, GeoJSON, Shapefile, FlatGeobuf): polygons with a party column.",
        ),
        layer: list[str] = typer.Option(
            [], "--layer", help="Layer(s) to read (repeat; default: every layer of the file, all in one CRS)."
        ),
        party_column: str = typer.Option(
            "party", "--party-column", help="Column naming each feature's party (country)."
        ),
        neck_width: float = float_option(
            1000.0,
            "--neck-width-m",
            help="Report necks narrower than this (metres).",
            lo=1,
            hi=100_000,
            unit="m",
        ),
        overlap: float = float_option(
            1000.0,
            "--overlap-m",
            lo=0,
            hi=100_000,
            unit="m",
            help="Another party's land reaching deeper than this (metres) into a part also holds it.",
        ),
        accuracy: float = float_option(
            10.0,
            "--accuracy-m",
            lo=0,
            hi=10_000,
            unit="m",
            help="The boundary source's stated accuracy (metres): narrower necks and thinner parts are reported as artefacts.",
        ),
        neck_width_old: float | None = old_spelling(
            "--neck-width", "--neck-width-m", rule=Number(float, 1, 100_000, "m")
        ),
        overlap_old: float | None = old_spelling("--overlap", "--overlap-m", rule=Number(float, 0, 100_000, "m")),
        accuracy_old: float | None = old_spelling("--accuracy", "--accuracy-m", rule=Number(float, 0, 10_000, "m")),
        workers: int | None = int_option(
            None,
            "--workers",
            "-w",
            lo=1,
            hi=4096,
            help="Dask workers on this machine (default: one per CPU; 1 runs serially).",
        ),
        scheduler: str | None = typer.Option(
            None,
            "--scheduler",
            help="Run on this Dask scheduler, tcp://HOST:8786 (default: $DELIMIT_SCHEDULER, else a local cluster).",
        ),
        out: Path = output_option(
            "folder",
            required=True,
            help="Output folder (census.gpkg, census.json); a folder holding other files is refused without --overwrite.",
        ),
        overwrite: bool = overwrite_option(),
        repair: bool = typer.Option(False, "--repair", help="Repair invalid polygons (each repair is reported)."),
    ) -> None:
        """Every part (mainland, exclave, enclave with host, clipped, artefact) and neck of every party in a file."""
        from rich.console import Console

        from delimit.cli.progress import progress_bar
        from delimit.cli.render import dumps, short_attribution
        from delimit.distribute import CensusOptions, choose_executor, run_census
        from delimit.io.atomic import atomic_directory
        from delimit.io.vector import write_layers

        workers, scheduler = choose_executor(workers, scheduler)
        territory, layers, repairs = read_boundaries(boundaries, layer, party_column, repair=repair)
        err = Console(stderr=True)
        for r in repairs:
            err.print(f"[yellow]repaired: {r}[/yellow]")
        prov = provenance(boundaries, layers, party_column)
        opts = CensusOptions(
            neck_width_m=prefer(neck_width, neck_width_old, old="--neck-width", new="--neck-width-m"),
            overlap_m=prefer(overlap, overlap_old, old="--overlap", new="--overlap-m"),
            artefact_m=prefer(accuracy, accuracy_old, old="--accuracy", new="--accuracy-m"),
        )
        with progress_bar(f"census {boundaries.name}") as bar:
            result = run_census(territory, opts, workers=workers, scheduler=scheduler, progress=bar)
        doc, gpkg_layers = census_documents(result, prov, boundaries.name)
        with atomic_directory(out) as tmp:
            write_layers(gpkg_layers, tmp / GPKG_NAME)
            (tmp / JSON_NAME).write_text(dumps(doc), encoding="utf-8")
        n_parts, n_necks = len(gpkg_layers["parts"]), len(gpkg_layers["necks"])
        enclaves = doc["enclaves"]
        flagged = sum(1 for e in enclaves if e["data_flags"])
        typer.echo(
            f"wrote {out}: {len(doc['summary'])} parties, {n_parts} parts ({len(enclaves)} enclaves, {flagged} of them "
            f"flagged for the data's own artefacts; {len(doc['artefact_parts'])} artefact parts), {n_necks} necks; "
            f"{result.run['tasks']} parties' tasks and {result.run['neck_tasks']} neck tasks, {result.run['executor']}"
        )
        for e in enclaves:
            flag = f"  [{'; '.join(e['data_flags'])}]" if e["data_flags"] else ""
            typer.echo(
                f"  enclave {e['part']} in {e['host']}: {e['area_km2']:.4f} km2 at {e['lat']:.4f} N {e['lon']:.4f} E{flag}"
            )
        typer.echo(short_attribution(prov))
