"""Writers for treaty annexes (I/O): GeoPackage, GeoJSON, KML, CSV, text, PDF and provenance.

:func:`write_annex` builds the whole output folder atomically (a temporary sibling folder renamed
into place at the end, so a failed run leaves the previous annex untouched)::

    DIR/annex.gpkg            layers turning_points, segments, pillars, sections, sight_failures
                              (+ non-spatial table 'metadata': provenance, data marks, settings)
    DIR/<layer>.geojson       one RFC 7946 file per layer (7 decimals, about 1 cm)
    DIR/annex.kml             sections coloured by status, turning points, pillars
    DIR/<table>.csv           turning_points, segments, pillars, sections, sight_failures,
                              spacing_exceptions (9 decimals of a degree)
    DIR/description.txt       the description text with placeholders for both official languages
    DIR/annex.pdf             overview map and tables (see :mod:`delimit.treaty_export.pdf`)
    DIR/provenance.json       provenance, data marks, summary, CRS, SHA-256 of every file above

:func:`read_coordinate_csv` rebuilds the line from ``turning_points.csv``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from delimit.io.atomic import atomic_directory, atomic_write_text
from delimit.io.vector import write_layers
from delimit.model.provenance import sha256_file
from delimit.treaty_export.coordinates import read_coordinate_csv, table_csv, write_table_csv
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
    from delimit.cli.render import jsonable

    return jsonable(
        {
            "title": annex.title,
            "crs": STORAGE_CRS,
            "measured": annex.description.summary()["measured"],
            "data_marks": annex.data_marks,
            "summary": annex.summary() | {"provenance": None},
            "provenance": annex.provenance,
        }
    )


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
        gpkg_layers["metadata"] = pd.DataFrame({"key": list(meta), "value": [json.dumps(v, ensure_ascii=False) for v in meta.values()]})
        write_layers(gpkg_layers, tmp / "annex.gpkg")
        names.append("annex.gpkg")
        report("GeoJSON", 0.2)
        for name, frame in layers.items():
            if len(frame):
                write_layers({name: frame}, tmp / f"{name}.geojson")
                names.append(f"{name}.geojson")
        report("CSV", 0.35)
        tables: dict[str, pd.DataFrame] = {**layers, "spacing_exceptions": annex.pillars.spacing_exceptions}
        for name, frame in tables.items():
            write_table_csv(frame, tmp / f"{name}.csv")
            names.append(f"{name}.csv")
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
        doc["csv"] = "UTF-8, comma-separated, header row; lat/lon with 9 decimals (0.1 mm), metres with 3, azimuths with 8"
        atomic_write_text(tmp / "provenance.json", json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        names.append("provenance.json")
    report("done", 1.0)
    return {n: dest / n for n in names}


__all__ = [
    "STORAGE_CRS",
    "annex_html",
    "annex_kml",
    "annex_layers",
    "annex_pdf",
    "read_coordinate_csv",
    "table_csv",
    "write_annex",
    "write_annex_kml",
    "write_annex_pdf",
    "write_table_csv",
]
