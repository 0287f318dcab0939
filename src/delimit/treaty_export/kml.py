"""KML of a treaty annex (simplekml): sections coloured by status, turning points, pillars.

KML is WGS84 lon/lat by definition. Colours encode the *status* of each section (how far it has
come), never a party. Each placemark's description carries its table row, and the document's
description the provenance summary and data marks, so that a KML opened on its own says what it
rests on.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import simplekml

from delimit.io.atomic import atomic_write_text

if TYPE_CHECKING:
    from delimit.treaty.annex import Annex

#: Section status -> KML colour (aabbggrr); a progress ramp from grey (drafted) to dark green (demarcated).
STATUS_COLOURS: dict[str, str] = {
    "drafted": "ff9e9e9e",
    "agreed": "ff00a5ff",
    "initialled": "ff00d7ff",
    "signed": "ffd18b2b",
    "ratified": "ffb45f8c",
    "in-force": "ff32cd32",
    "demarcated": "ff006400",
}


def status_colour(status: str) -> str:
    """KML colour of a status (``ratified-XXX`` shares the 'ratified' colour)."""
    key = "ratified" if status.startswith("ratified-") else status
    return STATUS_COLOURS.get(key, "ff000000")


def _desc(row: dict[str, Any], cols: list[str]) -> str:
    cells = "".join(f"<tr><td>{html.escape(c)}</td><td>{html.escape(str(row.get(c, '')))}</td></tr>" for c in cols)
    return f"<table>{cells}</table>"


def annex_kml(annex: Annex) -> str:
    """The KML document text of an annex."""
    d = annex.description
    kml = simplekml.Kml(name=annex.title)
    marks = "; ".join(f"{k}: {', '.join(v)}" for k, v in annex.data_marks.items()) or "none"
    kml.document.description = html.escape(
        f"{annex.title}. Parties: {', '.join(annex.parties)}. Sections: {len(d.sections)}, turning points: {len(d.turning_points)}, "
        f"pillars: {len(annex.pillars.pillars)}, total length {d.total_length_m:.3f} m (geodesic, WGS84). "
        f"Hand-made data used: {marks}. Scenario: {annex.provenance.get('scenario', '')}, dataset {annex.provenance.get('dataset', '')} "
        f"{annex.provenance.get('dataset_version', '')}. Full provenance: provenance.json."
    )
    f_sec = kml.newfolder(name="Sections")
    for row in d.sections.drop(columns="geometry").to_dict("records"):
        geom = d.sections.geometry.iloc[int(row["section"]) - 1]
        ls = f_sec.newlinestring(name=f"Section {row['section']} ({row['status']})", coords=[(x, y) for x, y in geom.coords])
        ls.style.linestyle.color = status_colour(str(row["status"]))
        ls.style.linestyle.width = 3
        ls.description = _desc(row, ["section", "name", "status", "first_point", "last_point", "n_points", "length_m", "closed"])
        ls.extendeddata.newdata("status", str(row["status"]))
    f_tp = kml.newfolder(name="Turning points")
    tp_cols = ["point_no", "section", "role", "lat", "lon", "lat_dms", "lon_dms", "utm_zone", "easting_m", "northing_m", "elevation_m"]
    for row in d.turning_points.drop(columns="geometry").to_dict("records"):
        pt = f_tp.newpoint(name=str(row["point_no"]), coords=[(row["lon"], row["lat"])])
        pt.description = _desc(row, tp_cols)
        pt.style.iconstyle.scale = 0.5
        pt.style.labelstyle.scale = 0.6
    f_p = kml.newfolder(name="Pillars")
    p_cols = ["pillar_no", "section", "kind", "turning_point", "lat", "lon", "elevation_m", "moved_m", "water", "to_next_m", "sight_to_next", "clearance_m"]
    for row in annex.pillars.pillars.drop(columns="geometry").to_dict("records"):
        pt = f_p.newpoint(name=f"P{row['pillar_no']}", coords=[(row["lon"], row["lat"])])
        pt.description = _desc(row, p_cols)
        pt.style.iconstyle.scale = 0.4
        pt.style.labelstyle.scale = 0.0
    if len(annex.pillars.sight_failures):
        f_s = kml.newfolder(name="Suggested sight pillars")
        for row in annex.pillars.sight_failures.drop(columns="geometry").to_dict("records"):
            pt = f_s.newpoint(name=f"extra {row['from_pillar']}-{row['to_pillar']}", coords=[(row["suggested_lon"], row["suggested_lat"])])
            pt.description = _desc(row, list(row))
    return kml.kml()


def write_annex_kml(annex: Annex, path: str | Path) -> Path:
    """Write :func:`annex_kml` atomically."""
    return atomic_write_text(path, annex_kml(annex))
