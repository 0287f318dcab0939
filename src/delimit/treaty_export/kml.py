"""KML of a treaty annex (simplekml): sections coloured by status, turning points, pillars.

KML is WGS84 lon/lat by definition. Colours encode the *status* of each section (how far it has
come), never a party. Each placemark's description carries its table row, and the document's
description the sources and their licences, the caveats, the datum, the rounding rule, the
provenance summary and data marks, so that a KML opened on its own says what it rests on. Values are
worded and rounded as in the rest of the annex: yes/no, whole metres, degrees to the annex's
decimals, "not computed" for what is unknown.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import simplekml

from delimit.io.atomic import atomic_write_text
from delimit.treaty_export.coordinates import TURNING_POINT_COLUMNS

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


#: Column -> label shown in placemark descriptions.
LABELS: dict[str, str] = {
    "section": "Section",
    "name": "Name",
    "status": "Status",
    "first_point": "First turning point",
    "last_point": "Last turning point",
    "n_points": "Turning points",
    "length_m": "Length",
    "closed": "Closed line",
    "start_words": "Begins",
    "end_words": "Ends",
    "left_party": "Party on the left",
    "right_party": "Party on the right",
    "point_no": "Turning point",
    "role": "Role",
    "lat": "Latitude (°, WGS 84)",
    "lon": "Longitude (°, WGS 84)",
    "lat_dms": "Latitude (DMS)",
    "lon_dms": "Longitude (DMS)",
    "utm_zone": "UTM zone",
    "easting_m": "Easting",
    "northing_m": "Northing",
    "elevation_m": "Height above sea level",
    "pillar_no": "Pillar",
    "kind": "Type",
    "turning_point": "At turning point",
    "moved_m": "Moved off water",
    "water": "Water body",
    "to_next_m": "Distance to next pillar",
    "sight_to_next": "Line of sight to next pillar",
    "clearance_m": "Sight-line clearance",
    "from_pillar": "From pillar",
    "to_pillar": "To pillar",
    "distance_m": "Distance",
    "obstruction_elevation_m": "Obstruction height",
    "obstruction_lat": "Obstruction latitude (°)",
    "obstruction_lon": "Obstruction longitude (°)",
    "suggested_lat": "Suggested latitude (°)",
    "suggested_lon": "Suggested longitude (°)",
    "suggested_chainage_m": "Suggested chainage",
}

_DEG_COLS = {"lat", "lon", "suggested_lat", "suggested_lon", "obstruction_lat", "obstruction_lon"}


def word_value(col: str, v: Any, degree_decimals: int = 5, metre_decimals: int = 0) -> str:
    """A table value in words: yes/no, rounded degrees and metres with units, 'not computed' for NaN.

    >>> word_value("closed", False), word_value("length_m", 1234.567), word_value("elevation_m", float("nan"))
    ('no', '1 235 m', 'not computed')
    """
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "not computed"
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return "yes" if v else "no"
    if col in ("turning_point",) and not v:
        return "none (intermediate pillar)"
    if isinstance(v, int) or type(v).__name__.startswith("int"):
        return str(int(v))
    if isinstance(v, float) or type(v).__name__.startswith("float"):
        f = float(v)
        if col in _DEG_COLS:
            return f"{f:.{degree_decimals}f}"
        if col.endswith("_m"):
            dec = 0 if col.endswith("elevation_m") else metre_decimals
            return f"{f:,.{dec}f} m".replace(",", " ")
        return f"{f:g}"
    text = str(v)
    return text if text else "—"


def _desc(row: dict[str, Any], cols: list[str], deg: int, metre: int) -> str:
    cells = "".join(
        f"<tr><td>{html.escape(LABELS.get(c, c))}</td><td>{html.escape(word_value(c, row.get(c), deg, metre))}</td></tr>"
        for c in cols
        if c in row
    )
    return f"<table>{cells}</table>"


def annex_kml(annex: Annex) -> str:
    """The KML document text of an annex."""
    d = annex.description
    prec = d.precision
    deg, metre = (prec.degree_decimals, prec.metre_decimals) if prec else (7, 2)
    kml = simplekml.Kml(name=annex.title)
    marks = "; ".join(f"{k}: {', '.join(v)}" for k, v in annex.data_marks.items()) or "none"
    caveats = " ".join(f"CAVEAT: {c}" for c in d.caveats)
    rule = " ".join(prec.rule_lines()) if prec else ""
    kml.document.description = html.escape(
        f"{annex.title}. {annex.attribution_text or 'Sources: see provenance.json.'} {caveats} "
        f"Parties: {', '.join(annex.parties)}. Sections: {len(d.sections)}, turning points: {len(d.turning_points)}, "
        f"pillars: {len(annex.pillars.pillars)}, total length {word_value('length_m', d.total_length_m, deg, metre)} (geodesic, WGS 84). "
        f"Datum: WGS 84 (EPSG:4326). {rule} "
        f"Hand-made data used: {marks}. Scenario: {annex.provenance.get('scenario', '') or 'none'}, dataset {annex.provenance.get('dataset', '')} "
        f"{annex.provenance.get('dataset_version', '')}. Full provenance: provenance.json."
    )
    f_sec = kml.newfolder(name="Sections")
    for row in d.sections.drop(columns="geometry").to_dict("records"):
        geom = d.sections.geometry.iloc[int(row["section"]) - 1]
        ls = f_sec.newlinestring(
            name=f"Section {row['section']} ({row['status']})", coords=[(x, y) for x, y in geom.coords]
        )
        for side in ("left_party", "right_party"):
            if row.get(side):
                row[side] = f"{annex.party_names.get(row[side], row[side])} ({row[side]})"
        ls.style.linestyle.color = status_colour(str(row["status"]))
        ls.style.linestyle.width = 3
        ls.description = _desc(
            row,
            [
                "section",
                "name",
                "status",
                "first_point",
                "start_words",
                "last_point",
                "end_words",
                "n_points",
                "length_m",
                "closed",
                "left_party",
                "right_party",
            ],
            deg,
            metre,
        )
        ls.extendeddata.newdata("status", str(row["status"]))
    f_tp = kml.newfolder(name="Turning points")
    for row in d.turning_points.drop(columns="geometry").to_dict("records"):
        pt = f_tp.newpoint(name=str(row["point_no"]), coords=[(row["lon"], row["lat"])])
        pt.description = _desc(row, TURNING_POINT_COLUMNS, deg, metre)
        pt.style.iconstyle.scale = 0.5
        pt.style.labelstyle.scale = 0.6
    f_p = kml.newfolder(name="Pillars")
    p_cols = [
        "pillar_no",
        "section",
        "kind",
        "turning_point",
        "lat",
        "lon",
        "elevation_m",
        "moved_m",
        "water",
        "to_next_m",
        "sight_to_next",
        "clearance_m",
    ]
    for row in annex.pillars.pillars.drop(columns="geometry").to_dict("records"):
        pt = f_p.newpoint(name=f"P{row['pillar_no']}", coords=[(row["lon"], row["lat"])])
        pt.description = _desc(row, p_cols, deg, metre)
        pt.style.iconstyle.scale = 0.4
        pt.style.labelstyle.scale = 0.0
    if len(annex.pillars.sight_failures):
        f_s = kml.newfolder(name="Suggested sight pillars")
        for row in annex.pillars.sight_failures.drop(columns="geometry").to_dict("records"):
            pt = f_s.newpoint(
                name=f"extra {row['from_pillar']}-{row['to_pillar']}",
                coords=[(row["suggested_lon"], row["suggested_lat"])],
            )
            pt.description = _desc(row, list(row), deg, metre)
    text: str = kml.kml()
    return text


def write_annex_kml(annex: Annex, path: str | Path) -> Path:
    """Write :func:`annex_kml` atomically."""
    return atomic_write_text(path, annex_kml(annex))
