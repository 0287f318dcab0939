"""Writers for treaty annexes (I/O): GeoPackage, GeoJSON, KML, CSV, text, PDF and provenance.

:func:`write_annex` builds the whole output folder atomically (a temporary sibling folder renamed
into place at the end, so a failed run leaves the previous annex untouched)::

    DIR/annex.gpkg            layers turning_points, segments, pillars, sections, sight_failures
                              (+ non-spatial table 'metadata': provenance, data marks, settings);
                              attribution in the dataset and layer metadata (gpkg_metadata:
                              ATTRIBUTION, ATTRIBUTION_JSON)
    DIR/<layer>.geojson       one RFC 7946 file per layer (7 decimals at most), with a top-level
                              member 'attribution' {"text", "credits"}
    DIR/annex.kml             sections coloured by status, turning points, pillars; the document
                              description names the sources and licences
    DIR/<table>.csv           turning_points, segments, pillars, sections, sight_failures,
                              spacing_exceptions (decimals of the annex's rounding rule); plain CSV
                              without comment lines: their attribution is ATTRIBUTION.txt
    DIR/ATTRIBUTION.txt       sources and licences of every file in the folder (the CSVs' sidecar)
    DIR/description.txt       the description text (sources, datum, accuracy, caveats) with
                              placeholders for both official languages
    DIR/annex.pdf             map sheets and tables (see :mod:`delimit.treaty_export.pdf`)
    DIR/provenance.json       provenance, attribution, data marks, summary, CRS, SHA-256 of every file above

:func:`read_coordinate_csv` rebuilds the line from ``turning_points.csv``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import pyogrio

from delimit.io.atomic import atomic_directory, atomic_write_text
from delimit.io.vector import write_layers
from delimit.model.provenance import sha256_file
from delimit.treaty_export.coordinates import (
    read_coordinate_csv,
    table_csv,
    write_table_csv,
)
from delimit.treaty_export.kml import annex_kml, write_annex_kml
from delimit.treaty_export.pdf import annex_html, annex_pdf, write_annex_pdf

if TYPE_CHECKING:
    from delimit.treaty.annex import Annex

ProgressFn = Callable[[str, float], None]

#: How every output names its coordinate reference.
STORAGE_CRS = "EPSG:4326 (WGS 84), longitude/latitude degrees"


def annex_layers(annex: Annex) -> dict[str, gpd.GeoDataFrame]:
    """The spatial tables of an annex, by layer name (WGS84)."""
    d, p = annex.description, annex.pillars
    return {
        "sections": d.sections,
        "turning_points": d.turning_points,
        "segments": d.segments,
        "pillars": p.pillars,
        "sight_failures": p.sight_failures,
    }


def _metadata(annex: Annex) -> dict[str, Any]:
    from delimit.io.jsonfmt import jsonable

    meta: dict[str, Any] = jsonable(
        {
            "title": annex.title,
            "crs": STORAGE_CRS,
            "measured": annex.description.summary()["measured"],
            "data_marks": annex.data_marks,
            "attribution": {"text": annex.attribution_text, "credits": annex.attribution},
            "precision": annex.description.precision.as_dict() if annex.description.precision else None,
            "caveats": list(annex.description.caveats),
            "summary": annex.summary() | {"provenance": None},
            "provenance": annex.provenance,
        }
    )
    return meta


def write_annex(
    annex: Annex,
    dest: str | Path,
    *,
    pdf: bool = True,
    rows_per_section: int = 25,
    progress: ProgressFn | None = None,
) -> dict[str, Path]:
    """Write every annex file into folder ``dest`` (replaced atomically); return {file name: final path}."""
    report = progress or (lambda _m, _f: None)
    dest = Path(dest)
    meta = _metadata(annex)
    names: list[str] = []
    with atomic_directory(dest) as tmp:
        layers = annex_layers(annex)
        report("GeoPackage", 0.05)
        gpkg_layers: dict[str, Any] = {k: v for k, v in layers.items() if len(v)}
        gpkg_layers["metadata"] = pd.DataFrame(
            {"key": list(meta), "value": [json.dumps(v, ensure_ascii=False) for v in meta.values()]}
        )
        write_gpkg_with_attribution(gpkg_layers, tmp / "annex.gpkg", annex)
        names.append("annex.gpkg")
        report("GeoJSON", 0.2)
        for name, frame in layers.items():
            if len(frame):
                write_layers({name: frame}, tmp / f"{name}.geojson")
                add_geojson_attribution(tmp / f"{name}.geojson", annex)
                names.append(f"{name}.geojson")
        report("CSV", 0.35)
        tables: dict[str, pd.DataFrame] = {**layers, "spacing_exceptions": annex.pillars.spacing_exceptions}
        prec = annex.description.precision
        decimals = {"degree_decimals": prec.degree_decimals, "metre_decimals": prec.metre_decimals} if prec else {}
        for name, frame in tables.items():
            write_table_csv(frame, tmp / f"{name}.csv", **decimals)
            names.append(f"{name}.csv")
        atomic_write_text(tmp / "ATTRIBUTION.txt", attribution_sidecar(annex, [n for n in names if n.endswith(".csv")]))
        names.append("ATTRIBUTION.txt")
        report("KML", 0.45)
        write_annex_kml(annex, tmp / "annex.kml")
        names.append("annex.kml")
        atomic_write_text(tmp / "description.txt", annex.description.text)
        names.append("description.txt")
        if pdf:
            report("PDF", 0.55)
            write_annex_pdf(annex, tmp / "annex.pdf", rows_per_section=rows_per_section)
            names.append("annex.pdf")
        report("provenance", 0.95)
        files = {n: {"sha256": sha256_file(tmp / n), "bytes": (tmp / n).stat().st_size} for n in names}
        doc = dict(meta)
        doc["files"] = files
        deg, met = (prec.degree_decimals, prec.metre_decimals) if prec else (7, 2)
        doc["csv"] = (
            f"UTF-8, comma-separated, header row, no comment lines; lat/lon with {deg} decimals of a degree, metres with {met} "
            "(heights whole metres), azimuths with 4 decimals of a degree; sources and licences in ATTRIBUTION.txt"
        )
        atomic_write_text(tmp / "provenance.json", json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        names.append("provenance.json")
    report("done", 1.0)
    return {n: dest / n for n in names}


def attribution_sidecar(annex: Annex, csv_names: list[str]) -> str:
    """Text of ``ATTRIBUTION.txt``: every source and its licence, for the files of the folder (CSV included)."""
    lines = [
        f"{annex.title}",
        "",
        (
            "Sources and licences of every file in this folder, including the CSV tables "
            f"({', '.join(csv_names)}), which carry no comment lines so that GDAL and spreadsheets read them:"
        ),
        "",
        annex.attribution_text or "No dataset credits recorded (the line came from a user's file; add its licence).",
        "",
    ]
    for c in annex.attribution:
        lines.append(
            f"- {c.get('source', '')}: {c.get('notice', '')}; licence {c.get('licence', '')} {c.get('licence_url', '')}".rstrip()
            + (f"; layers: {', '.join(c.get('layers', []))}" if c.get("layers") else "")
        )
    if annex.description.caveats:
        lines += ["", *(f"CAVEAT: {c}" for c in annex.description.caveats)]
    return "\n".join(lines).rstrip() + "\n"


def _attribution_metadata(annex: Annex) -> dict[str, str]:
    return {
        "ATTRIBUTION": annex.attribution_text,
        "ATTRIBUTION_JSON": json.dumps(annex.attribution, ensure_ascii=False),
        "CAVEATS": " ".join(annex.description.caveats),
        "CRS": STORAGE_CRS,
    }


def write_gpkg_with_attribution(layers: dict[str, Any], path: Path, annex: Annex) -> Path:
    """Write the GeoPackage layers with the attribution as dataset and layer metadata (GDAL writes
    both into the ``gpkg_metadata`` table). ``path`` lies in the annex's temporary folder."""
    meta = _attribution_metadata(annex)
    for i, (name, frame) in enumerate(layers.items()):
        pyogrio.write_dataframe(
            frame,
            path,
            layer=name,
            driver="GPKG",
            append=i > 0,
            dataset_metadata=meta if i == 0 else None,
            layer_metadata=meta,
        )
    return path


def add_geojson_attribution(path: Path, annex: Annex) -> Path:
    """Add a top-level ``attribution`` member ({"text", "credits"}) to a GeoJSON file (RFC 7946 §6.1 foreign member)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    out = {"type": doc.pop("type")}
    out["attribution"] = {"text": annex.attribution_text, "credits": annex.attribution}
    out.update(doc)
    return atomic_write_text(path, json.dumps(out, ensure_ascii=False))


__all__ = [
    "STORAGE_CRS",
    "add_geojson_attribution",
    "annex_html",
    "annex_kml",
    "annex_layers",
    "annex_pdf",
    "attribution_sidecar",
    "read_coordinate_csv",
    "table_csv",
    "write_annex",
    "write_annex_kml",
    "write_annex_pdf",
    "write_gpkg_with_attribution",
    "write_table_csv",
]
