"""Write a proposal set as a folder of scenario files, a GeoPackage and a summary (atomically).

The folder holds ``summary.json``; ``proposals.gpkg`` (layer ``parcels``: every parcel once, with an
``after_<id>`` column per proposal naming the party it goes to; layer ``transfers``; layer ``zone``);
and per proposal a scenario file ``<id>.yaml`` (``base:`` the input scenario, ``transfers:`` one per
direction, ``balance_tolerance:`` the balance it was made with, so that ``compare`` judges its balance
by the same test) with its geometry in ``<id>/`` beside it, loadable by ``compare``, ``report`` and
``treaty``. With ``propose --evaluate``, ``evaluation.json`` holds each proposal compared with the
scenario (``delimit compare``'s JSON per proposal, and a summary row each). Writing goes through :func:`delimit.io.atomic.atomic_directory`: all of it or nothing.

Example (a run of :func:`delimit.propose.propose` on the bundled status quo)::

    from pathlib import Path
    from delimit.propose import save
    summary = save(result, Path("out/vorukh-swaps"), base="status-quo")
    summary["files"]   # ['P01.yaml', 'P01/P01-kgz-to-tjk.geojson', ..., 'proposals.gpkg', 'summary.json']
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import yaml

from delimit.crs import WGS84
from delimit.datasets import bundled_scenario_files
from delimit.io.atomic import atomic_directory
from delimit.io.jsonfmt import dumps
from delimit.io.vector import write_layers
from delimit.model.scenario import Transfer
from delimit.propose.engine import Proposal, ProposalSet, transfers_for

__all__ = ["base_reference", "save"]

TRANSFER_COLUMNS = ["proposal_id", "transfer_id", "from", "to", "status", "source", "geometry"]


def base_reference(scenario: str, out: Path) -> tuple[str, str | None]:
    """The ``base:`` the scenario files in ``out`` should name for ``scenario`` (a bundled name, or a
    path relative to ``out``), and a note when the written files cannot reach it."""
    if scenario in bundled_scenario_files() and not Path(scenario).exists():
        return scenario, None
    rel = os.path.relpath(Path(scenario).resolve(), out.resolve())
    if rel.startswith(".."):
        return (
            rel,
            f"the base scenario {scenario} lies outside {out}: copy the output folder beside it (scenario files may only reference files below their folder)",
        )
    return rel, None


def save(
    result: ProposalSet,
    out: Path,
    *,
    base: str,
    summary: dict[str, Any] | None = None,
    evaluation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write ``result`` to the folder ``out`` (created or replaced whole, atomically).

    ``base``: the scenario the proposals apply to, as the user named it (bundled name or file path).
    ``summary``: the summary to write (default ``result.summary()``); its ``zone_spec`` names the zone
    layer. ``evaluation``: each proposal compared with the scenario (``delimit propose --evaluate``),
    written as ``evaluation.json``. Returns the summary as written, with ``files`` (sorted, relative to
    ``out``) and any note on the base reference added to ``notes``.
    """
    summary = dict(result.summary() if summary is None else summary)
    ref, note = base_reference(base, out)
    if note:
        summary["notes"] = [*summary.get("notes", []), note]
    files: list[str] = ["summary.json", "proposals.gpkg"]
    if evaluation is not None:
        files.append("evaluation.json")
    transfer_rows: list[dict[str, Any]] = []
    with atomic_directory(out) as tmp:
        for p in result.proposals:
            files += _write_proposal(tmp, result, p, ref, summary["note"], transfer_rows)
        write_layers(_layers(result, transfer_rows, str(summary.get("zone_spec", ""))), tmp / "proposals.gpkg")
        summary["files"] = sorted(files)
        if evaluation is not None:
            (tmp / "evaluation.json").write_text(dumps(evaluation), encoding="utf-8")
        (tmp / "summary.json").write_text(dumps(summary), encoding="utf-8")
    return summary


def _write_proposal(
    tmp: Path, result: ProposalSet, p: Proposal, base: str, note: str, transfer_rows: list[dict[str, Any]]
) -> list[str]:
    """Write one proposal's transfer files and scenario file into ``tmp``; add its transfers to
    ``transfer_rows``; return the files written (relative to ``tmp``)."""
    folder = tmp / p.id
    folder.mkdir()
    files: list[str] = []
    entries = []
    for t in transfers_for(result, p):
        gj = f"{t.id}.geojson"
        row = _transfer_row(t)
        write_layers({t.id: gpd.GeoDataFrame([row], geometry="geometry", crs=WGS84)}, folder / gj)
        entries.append(
            {
                "id": t.id,
                "from": t.from_party,
                "to": t.to_party,
                "status": "illustrative",
                "source": t.source,
                "geometry": {"path": f"{p.id}/{gj}"},
            }
        )
        transfer_rows.append({"proposal_id": p.id, **row})
        files.append(f"{p.id}/{gj}")
    doc = _scenario_document(result, p, base, note, entries)
    (tmp / f"{p.id}.yaml").write_text(
        f"# {p.source}\n" + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    files.append(f"{p.id}.yaml")
    return files


def _transfer_row(t: Transfer) -> dict[str, Any]:
    return {
        "transfer_id": t.id,
        "from": t.from_party,
        "to": t.to_party,
        "status": t.status,
        "source": t.source,
        "geometry": t.geometry,
    }


def _scenario_document(
    result: ProposalSet, p: Proposal, base: str, note: str, entries: list[dict[str, Any]]
) -> dict[str, Any]:
    """The scenario file of one proposal (schema version 1), as a mapping to dump as YAML."""
    name = f"{result.scenario.name}-proposal-s{result.seed}-{p.id.lower()}"[:64].lower()
    doc: dict[str, Any] = {
        "schema_version": 1,
        "name": name,
        "title": f"Proposal {p.id} ({result.method}, seed {result.seed}) - illustrative",
        "description": (
            f"Generated land swap between {result.graph.parties[0]} and {result.graph.parties[1]}: "
            + ", ".join(f"{k} cedes {v:.3f} km2" for k, v in p.metrics["area_exchanged_km2"].items())
            + f"; {p.metrics['people_moved']} people change country. {note}"
        ),
        "status": "illustrative",
        "base": base,
        "transfers": entries,
    }
    if result.constraints.balance is not None:
        doc["balance_tolerance"] = result.constraints.balance
    return doc


def _layers(result: ProposalSet, transfer_rows: list[dict[str, Any]], zone_spec: str) -> dict[str, gpd.GeoDataFrame]:
    """The GeoPackage's layers: parcels (one column per proposal), transfers, zone (WGS84)."""
    return {
        "parcels": result.parcels_frame(),
        "transfers": gpd.GeoDataFrame(transfer_rows, columns=TRANSFER_COLUMNS, geometry="geometry", crs=WGS84),
        "zone": gpd.GeoDataFrame(
            [{"zone": zone_spec, "status": "illustrative", "geometry": result.graph.zone}],
            geometry="geometry",
            crs=WGS84,
        ),
    }
