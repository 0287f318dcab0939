"""The PDF annex: HTML from a Jinja2 template rendered by WeasyPrint, with a matplotlib overview map.

The maps are embedded as ``data:`` URIs, so rendering needs no network and no files besides the
template. The annex opens with its caveats, sources and licences, datum, accuracy and rounding
rule; then the overview map, the sections (names, end points, which party lies on which side),
a map sheet per section (:mod:`delimit.treaty_export.map_sheets`), the complete coordinate table
of the turning points, and segments, pillars and the text - for long lines the first
``rows_per_section`` rows of each section of those three, saying so above each table (the full
tables are always in the CSV files and the GeoPackage). It ends with the signature block of the
treaty as a whole, the initials of each section, method and provenance.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import numpy as np
import pandas as pd

from delimit.io.atomic import atomic_write_bytes
from delimit.treaty.describe import DATUM_NOTE, GEODESIC_NOTE
from delimit.treaty_export.coordinates import TURNING_POINT_COLUMNS as TP_COLS
from delimit.treaty_export.overview_map import overview_png

if TYPE_CHECKING:
    from delimit.treaty.annex import Annex

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "report" / "templates"
TEMPLATE = "annex.html"

_DEG = {"lat", "lon", "suggested_lat", "suggested_lon", "obstruction_lat", "obstruction_lon"}

#: Column -> (header, css width class) in the PDF tables; headers carry their units.
HEADERS: dict[str, str] = {
    "point_no": "Point",
    "section": "Sec.",
    "role": "Role",
    "lat": "Latitude (°)",
    "lon": "Longitude (°)",
    "lat_dms": "Latitude (DMS)",
    "lon_dms": "Longitude (DMS)",
    "utm_zone": "UTM zone",
    "easting_m": "Easting (m)",
    "northing_m": "Northing (m)",
    "elevation_m": "Height (m)",
    "chainage_m": "Chainage (m)",
    "segment_no": "Seg.",
    "from_point": "From",
    "to_point": "To",
    "length_m": "Length (m)",
    "azimuth_dms": "Azimuth",
    "back_azimuth_dms": "Back azimuth",
    "segment_type": "Type",
    "follows": "Follows",
    "type_source": "Type from",
    "left_party": "Left",
    "right_party": "Right",
    "pillar_no": "Pillar",
    "kind": "Type",
    "turning_point": "At point",
    "moved_m": "Moved (m)",
    "to_next_m": "To next (m)",
    "sight_to_next": "Sight to next",
    "clearance_m": "Clearance (m)",
    "from_pillar": "From pillar",
    "to_pillar": "To pillar",
    "distance_m": "Distance (m)",
    "obstruction_elevation_m": "Obstruction (m)",
    "suggested_chainage_m": "Chainage (m)",
    "suggested_lat": "Latitude (°)",
    "suggested_lon": "Longitude (°)",
    "from_chainage_m": "From chainage (m)",
    "to_chainage_m": "To chainage (m)",
    "gap_m": "Gap (m)",
    "water": "Water",
    "reason": "Reason",
}


def _cell(col: str, v: Any, deg: int = 5, metre: int = 0) -> dict[str, Any]:
    if v is None or (isinstance(v, float | np.floating) and math.isnan(float(v))):
        return {"text": "–", "num": False}
    if isinstance(v, bool | np.bool_):
        return {"text": "yes" if v else "no", "num": False}
    if isinstance(v, float | np.floating):
        f = float(v)
        if col in _DEG:
            return {"text": f"{f:.{deg}f}", "num": True}
        dec = 0 if col.endswith("elevation_m") else metre
        return {"text": f"{f:,.{dec}f}".replace(",", " "), "num": True}
    if isinstance(v, int | np.integer):
        if col == "turning_point" and not v:
            return {"text": "–", "num": True}
        return {"text": str(int(v)), "num": True}
    return {"text": str(v), "num": False}


def _table(frame: pd.DataFrame, cols: list[str], deg: int = 5, metre: int = 0) -> dict[str, Any]:
    cols = [c for c in cols if c in frame.columns]
    rows = [
        [_cell(c, v, deg, metre) for c, v in zip(cols, r, strict=True)]
        for r in frame[cols].itertuples(index=False, name=None)
    ]
    return {"columns": [HEADERS.get(c, c.replace("_", " ")) for c in cols], "rows": rows}


def _head_per_section(frame: pd.DataFrame, n: int) -> tuple[pd.DataFrame, int]:
    if not len(frame):
        return frame, 0
    head = frame.groupby("section", sort=True, group_keys=False).head(n)
    return head, len(frame) - len(head)


SEG_COLS = [
    "segment_no",
    "section",
    "from_point",
    "to_point",
    "length_m",
    "azimuth_dms",
    "back_azimuth_dms",
    "segment_type",
    "follows",
    "left_party",
    "right_party",
]
PIL_COLS = [
    "pillar_no",
    "section",
    "kind",
    "turning_point",
    "lat",
    "lon",
    "lat_dms",
    "lon_dms",
    "utm_zone",
    "easting_m",
    "northing_m",
    "elevation_m",
    "to_next_m",
    "sight_to_next",
    "clearance_m",
]
FAIL_COLS = [
    "from_pillar",
    "to_pillar",
    "section",
    "distance_m",
    "clearance_m",
    "obstruction_elevation_m",
    "suggested_chainage_m",
    "suggested_lat",
    "suggested_lon",
]


def _footer_attribution(annex: Annex) -> str:
    """The credits whose licences require them (ODbL, CC BY), for every page's footer; all sources are on page 1."""
    must = [
        str(c.get("notice", "")) + ", " + str(c.get("licence", ""))
        for c in annex.attribution
        if str(c.get("licence", "")).startswith(("ODbL", "CC BY"))
    ]
    return (
        ("Data: " + "; ".join(must) + ". All sources and licences: page 1.")
        if must
        else ("Sources and licences: page 1." if annex.attribution else "")
    )


def _png_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _sections_rows(d: Any) -> list[dict[str, Any]]:
    tp = d.turning_points.set_index("point_no")
    md = d.precision.metre_decimals if d.precision else 0
    rows = []
    for r in d.sections.drop(columns="geometry").to_dict("records"):
        first, last = int(r["first_point"]), int(r["last_point"])
        if bool(r["closed"]):
            begins = f"{first} (closed line)"
            ends = f"{first} (closed line)"
        else:
            begins = f"{first}: {r.get('start_kind', '') or 'end point'}"
            ends = f"{last}: {r.get('end_kind', '') or 'end point'}"
        rows.append(
            {
                "section": int(r["section"]),
                "name": r.get("name", "") or "–",
                "status": r["status"],
                "begins": begins,
                "ends": ends,
                "first_coord": f"{tp.loc[first]['lat_dms']} {tp.loc[first]['lon_dms']}",
                "last_coord": f"{tp.loc[last]['lat_dms']} {tp.loc[last]['lon_dms']}",
                "length": f"{float(r['length_m']):,.{md}f}".replace(",", " "),
                "points": int(r["n_points"]),
                "left": d.party_names.get(r.get("left_party", ""), r.get("left_party", "")) or "unknown",
                "right": d.party_names.get(r.get("right_party", ""), r.get("right_party", "")) or "unknown",
            }
        )
    return rows


def _sheet_images(annex: Annex, sheets: bool) -> list[dict[str, str]]:
    """Title and inlined PNG of every map sheet (none when ``sheets`` is false)."""
    from delimit.treaty_export.map_sheets import plan_sheets, sheet_png

    sheet_list = plan_sheets(annex) if sheets else []
    return [
        {
            "title": f"Map sheet {i} of {len(sheet_list)}: section {s.section}"
            + (f", part {s.part} of {s.parts}" if s.parts > 1 else "")
            + f" - pillars {s.pillars[0]} to {s.pillars[1]} - scale 1:{s.scale:,}".replace(",", " "),
            "uri": _png_uri(sheet_png(annex, s)),
        }
        for i, s in enumerate(sheet_list, start=1)
    ]


def _table_note(cut: int, what: str, csv: str, rows_per_section: int) -> str:
    """What a table cut to ``rows_per_section`` rows per section leaves out, and where it is."""
    return (
        f"First {rows_per_section} rows of each section; {cut} more {what} are in {csv} and annex.gpkg."
        if cut
        else "Complete table."
    )


def _annex_tables(
    annex: Annex, rows_per_section: int, max_failures: int, deg: int, metre: int
) -> tuple[list[dict[str, Any]], list[str]]:
    """The annex's tables (turning points complete; segments and pillars cut per section; the
    ``max_failures`` worst sight failures; spacing exceptions), and a phrase per table that was cut.

    ``deg``, ``metre``: decimals of degrees and of metres (the annex's rounding rule).
    """
    d = annex.description
    plan = annex.pillars
    seg_head, seg_cut = _head_per_section(d.segments, rows_per_section)
    pil_head, pil_cut = _head_per_section(plan.pillars, rows_per_section)
    fails = plan.sight_failures.sort_values("clearance_m") if len(plan.sight_failures) else plan.sight_failures
    fail_cut = max(0, len(fails) - max_failures)
    cut_parts = []
    for label, cut in (("segments", seg_cut), ("pillars", pil_cut), ("sight failures", fail_cut)):
        if cut:
            cut_parts.append(f"{cut} {label} rows are in the files only")

    def note(cut: int, what: str, csv: str) -> str:
        return _table_note(cut, what, csv, rows_per_section)

    tables = [
        {
            "title": "Coordinates of the turning points",
            "cls": "tp",
            "note": "Complete table. Decimal degrees are authoritative; DMS and UTM are derived from them (see the rounding rule).",
            **_table(d.turning_points, TP_COLS, deg, metre),
        },
        {
            "title": "Segments",
            "cls": "seg",
            "note": note(seg_cut, "segments", "segments.csv"),
            **_table(seg_head, SEG_COLS, deg, metre),
        },
        {
            "title": "Pillar plan",
            "cls": "pil",
            "note": note(pil_cut, "pillars", "pillars.csv")
            + " Type: turning point, intermediate or sight pillar; 'At point': the turning point a pillar marks.",
            **_table(pil_head, PIL_COLS, deg, metre),
        },
        {
            "title": "Pillar pairs without line of sight",
            "cls": "fail",
            "note": (
                f"{len(fails)} blocked pairs, worst first; an extra pillar is suggested on the line at the highest obstruction."
                + (f" The first {max_failures} are shown; the rest are in sight_failures.csv." if fail_cut else "")
            ),
            **_table(fails.head(max_failures), FAIL_COLS, deg, metre),
        },
        {
            "title": "Spacing exceptions",
            "cls": "exc",
            "note": "Pairs farther apart than the spacing that no dry pillar position can fix.",
            **_table(plan.spacing_exceptions, list(plan.spacing_exceptions.columns), deg, metre),
        },
    ]
    return tables, cut_parts


def _paragraphs_shown(annex: Annex, rows_per_section: int) -> tuple[list[Any], int]:
    """The description paragraphs shown (all of section 0, the first ``rows_per_section`` of each
    other section) and how many are left to description.txt."""
    paragraphs = []
    per: dict[str, int] = {}
    para_cut = 0
    for p in annex.description.paragraphs:
        sec = p.ref.split(".")[0]
        per[sec] = per.get(sec, 0) + 1
        if sec == "0" or per[sec] <= rows_per_section:
            paragraphs.append(p)
        else:
            para_cut += 1
    return paragraphs, para_cut


def _provenance_rows(prov: dict[str, Any]) -> list[tuple[str, Any]]:
    """(what, value) rows of the annex's provenance: scenario, chain, dataset, inputs with hashes, software."""
    prov_rows = [
        ("scenario", prov.get("scenario", "")),
        ("scenario chain", " > ".join(prov.get("scenario_chain", []))),
        ("dataset", f"{prov.get('dataset', '')} {prov.get('dataset_version', '')}"),
    ]
    prov_rows += [
        (f"input: {i.get('role', '')}", f"{i.get('path', '')} sha256 {i.get('sha256', '')}")
        for i in prov.get("inputs", [])
    ]
    prov_rows += [(f"software: {k}", v) for k, v in prov.get("software", {}).items()]
    return prov_rows


def _method_lines(annex: Annex) -> list[str]:
    """The method section: datum, geodesics, rounding, sides, end points, segment types, pillars, sight."""
    d = annex.description
    plan = annex.pillars
    prec = d.precision
    s = plan.settings
    method = [
        f"Datum: {DATUM_NOTE}.",
        f"Lengths and azimuths: {GEODESIC_NOTE}. Back azimuth: direction from a segment's end back to its start.",
        *(prec.rule_lines() if prec else []),
        "Sides: a point 5 m (else 25 m, 100 m) to the left and to the right of each segment's geodesic midpoint, in the direction of description, is looked up in the parties' territory.",
        (
            "End points: a section's end on the edge of the data window is where the line leaves the area covered by this annex, never a boundary point; "
            "a tripoint is an end within 50 m of a third party's territory; otherwise the end is where the two territories cease to meet in the source data."
        ),
        "Segment types: "
        + ", ".join(f"{k}={v}" for k, v in d.settings.items())
        + ". 'detected' types are heuristics on the reference data "
        "(rivers/roads within tolerance along the whole segment; watershed: terrain falls away on both sides on the DEM) and must be confirmed.",
        (
            f"Pillars: at every turning point and at most {s['max_spacing_m']} m apart along the line (geodesic chainage); pillars in water bodies "
            f"are moved along the line to the nearest dry point ({s['shore_offset_m']} m beyond the shore)."
        ),
        f"Line of sight: terrain sampled every {s['sight_step_m']:.0f} m along the geodesic between consecutive pillars; observer eye "
        f"{s['observer_height_m']} m above a {s['pillar_height_m']} m pillar, target {s['target_height_m']} m above the next pillar top; "
        f"earth curvature with effective radius R/(1-k), R = {s['earth_radius_m']} m, refraction k = {s['refraction_k']}. "
        + " ".join(plan.notes),
        *(f"Note: {n}" for n in (*d.notes, *annex.notes)),
    ]
    return method


def annex_html(
    annex: Annex,
    *,
    rows_per_section: int = 25,
    max_failures: int = 60,
    map_png: bytes | None = None,
    sheets: bool = True,
) -> str:
    """The annex as one self-contained HTML document (maps inlined).

    The turning-point (coordinate) table is always complete; segments, pillars and the description
    paragraphs show the first ``rows_per_section`` rows of each section (all of them in the files).
    """
    d = annex.description
    prec = d.precision
    deg, metre = (prec.degree_decimals, prec.metre_decimals) if prec else (7, 2)
    summary = d.summary()
    psum = annex.pillars.summary()
    png = map_png if map_png is not None else overview_png(annex)
    map_uri = _png_uri(png)
    sheet_imgs = _sheet_images(annex, sheets)
    marks = "; ".join(f"{k}: {', '.join(v)}" for k, v in annex.data_marks.items())
    tables, cut_parts = _annex_tables(annex, rows_per_section, max_failures, deg, metre)
    paragraphs, para_cut = _paragraphs_shown(annex, rows_per_section)
    if para_cut:
        cut_parts.append(f"{para_cut} description paragraphs are in description.txt only")
    prov_rows = _provenance_rows(annex.provenance)
    method = _method_lines(annex)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True, undefined=jinja2.StrictUndefined
    )
    tpl = env.get_template(TEMPLATE)
    from delimit import __version__

    return tpl.render(
        title=annex.title,
        footer=(annex.title + (" - HAND-MADE DATA: " + marks if marks else "")).replace('"', "'"),
        footer_attribution=_footer_attribution(annex).replace('"', "'"),
        software_version=__version__,
        parties=[{"id": p, "name": annex.party_names.get(p, p)} for p in annex.parties],
        scenario=annex.scenario,
        window=", ".join(f"{v:g}" for v in annex.window) if annex.window else "",
        marks=marks,
        caveats=list(d.caveats),
        attribution=annex.attribution_text,
        credits=annex.attribution,
        rule=prec.rule_lines() if prec else [],
        summary=summary,
        pillars=psum,
        total_length=f"{d.total_length_m:,.{metre}f} m".replace(",", " "),
        datum=DATUM_NOTE,
        measured=GEODESIC_NOTE,
        truncated="; ".join(cut_parts),
        rows_per_section=rows_per_section,
        notes=[*d.notes, *annex.notes],
        map_uri=map_uri,
        sheets=sheet_imgs,
        sections=_sections_rows(d),
        signatures=[
            {
                "section": int(r["section"]),
                "status": r["status"],
                "first": int(r["first_point"]),
                "last": int(r["last_point"]),
            }
            for _, r in d.sections.iterrows()
        ],
        tables=tables,
        languages=list(d.languages),
        paragraphs=paragraphs,
        text_truncated=(
            f"The first {rows_per_section} paragraphs of each section are shown; the complete text is in description.txt."
            if para_cut
            else ""
        ),
        method=method,
        provenance=prov_rows,
    )


def annex_pdf(
    annex: Annex, *, rows_per_section: int = 25, max_failures: int = 60, map_png: bytes | None = None
) -> bytes:
    """PDF bytes of the annex (WeasyPrint; no network access: the only image is inlined)."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    html = annex_html(annex, rows_per_section=rows_per_section, max_failures=max_failures, map_png=map_png)
    pdf: bytes = HTML(string=html, base_url=str(TEMPLATE_DIR)).write_pdf()
    return pdf


def write_annex_pdf(annex: Annex, path: str | Path, **kwargs: Any) -> Path:
    """Write :func:`annex_pdf` atomically."""
    return atomic_write_bytes(path, annex_pdf(annex, **kwargs))
