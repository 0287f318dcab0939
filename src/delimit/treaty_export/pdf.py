"""The PDF annex: HTML from a Jinja2 template rendered by WeasyPrint, with a matplotlib overview map.

The map is embedded as a ``data:`` URI, so rendering needs no network and no files besides the
template. Long lines would give PDFs of thousands of pages; the annex therefore shows the complete
sections table and signature blocks, and for turning points, segments, pillars and the text the
first ``rows_per_section`` rows of each section, saying so on its cover and above each table. The
full tables are always in the CSV files and the GeoPackage written next to it.
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
from delimit.treaty_export.overview_map import overview_png

if TYPE_CHECKING:
    from delimit.treaty.annex import Annex

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "report" / "templates"
TEMPLATE = "annex.html"

_DEG = {"lat", "lon", "suggested_lat", "suggested_lon", "obstruction_lat", "obstruction_lon"}


def _cell(col: str, v: Any) -> dict[str, Any]:
    if v is None or (isinstance(v, float | np.floating) and math.isnan(float(v))):
        return {"text": "", "num": False}
    if isinstance(v, bool | np.bool_):
        return {"text": "yes" if v else "no", "num": False}
    if isinstance(v, float | np.floating):
        f = float(v)
        return {"text": f"{f:.7f}" if col in _DEG else f"{f:,.2f}".replace(",", " "), "num": True}
    if isinstance(v, int | np.integer):
        return {"text": str(int(v)), "num": True}
    return {"text": str(v), "num": False}


def _table(frame: pd.DataFrame, cols: list[str]) -> dict[str, Any]:
    cols = [c for c in cols if c in frame.columns]
    rows = [[_cell(c, v) for c, v in zip(cols, r, strict=True)] for r in frame[cols].itertuples(index=False, name=None)]
    return {"columns": cols, "rows": rows}


def _head_per_section(frame: pd.DataFrame, n: int) -> tuple[pd.DataFrame, int]:
    if not len(frame):
        return frame, 0
    head = frame.groupby("section", sort=True, group_keys=False).head(n)
    return head, len(frame) - len(head)


TP_COLS = ["point_no", "section", "role", "lat", "lon", "lat_dms", "lon_dms", "utm_zone", "easting_m", "northing_m", "elevation_m", "chainage_m"]
SEG_COLS = ["segment_no", "section", "from_point", "to_point", "length_m", "azimuth_dms", "back_azimuth_dms", "segment_type", "follows", "type_source", "status"]
PIL_COLS = ["pillar_no", "section", "kind", "turning_point", "lat", "lon", "utm_zone", "easting_m", "northing_m", "elevation_m", "moved_m", "to_next_m", "sight_to_next", "clearance_m"]
FAIL_COLS = ["from_pillar", "to_pillar", "section", "distance_m", "clearance_m", "obstruction_elevation_m", "suggested_chainage_m", "suggested_lat", "suggested_lon"]


def annex_html(annex: Annex, *, rows_per_section: int = 25, max_failures: int = 60, map_png: bytes | None = None) -> str:
    """The annex as one self-contained HTML document (the map inlined)."""
    d = annex.description
    plan = annex.pillars
    summary = d.summary()
    psum = plan.summary()
    png = map_png if map_png is not None else overview_png(annex)
    map_uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    marks = "; ".join(f"{k}: {', '.join(v)}" for k, v in annex.data_marks.items())
    tp_head, tp_cut = _head_per_section(d.turning_points, rows_per_section)
    seg_head, seg_cut = _head_per_section(d.segments, rows_per_section)
    pil_head, pil_cut = _head_per_section(plan.pillars, rows_per_section)
    fails = plan.sight_failures.sort_values("clearance_m") if len(plan.sight_failures) else plan.sight_failures
    fail_cut = max(0, len(fails) - max_failures)
    cut_parts = []
    for label, cut in (("turning points", tp_cut), ("segments", seg_cut), ("pillars", pil_cut), ("sight failures", fail_cut)):
        if cut:
            cut_parts.append(f"{cut} {label} rows are in the files only")
    note = lambda cut, what: (f"First {rows_per_section} rows of each section; {cut} more {what} are in the CSV and GeoPackage." if cut else "")  # noqa: E731
    tables = [
        {"title": "Turning points", "note": note(tp_cut, "turning points") or "Complete table.", **_table(tp_head, TP_COLS)},
        {"title": "Segments", "note": note(seg_cut, "segments") or "Complete table.", **_table(seg_head, SEG_COLS)},
        {"title": "Pillar plan", "note": note(pil_cut, "pillars") or "Complete table.", **_table(pil_head, PIL_COLS)},
        {
            "title": "Pillar pairs without line of sight",
            "note": (
                f"{len(fails)} blocked pairs, worst first; an extra pillar is suggested on the line at the highest obstruction."
                + (f" The first {max_failures} are shown; the rest are in sight_failures.csv." if fail_cut else "")
            ),
            **_table(fails.head(max_failures), FAIL_COLS),
        },
        {"title": "Spacing exceptions", "note": "Pairs farther apart than the spacing that no dry pillar position can fix.", **_table(plan.spacing_exceptions, list(plan.spacing_exceptions.columns))},
    ]
    # paragraphs: the general ones plus the first rows_per_section per section
    paragraphs = []
    per: dict[str, int] = {}
    para_cut = 0
    for p in d.paragraphs:
        sec = p.ref.split(".")[0]
        per[sec] = per.get(sec, 0) + 1
        if sec == "0" or per[sec] <= rows_per_section:
            paragraphs.append(p)
        else:
            para_cut += 1
    if para_cut:
        cut_parts.append(f"{para_cut} description paragraphs are in description.txt only")
    sec_frame = d.sections.drop(columns="geometry")
    prov = annex.provenance
    prov_rows = [
        ("scenario", prov.get("scenario", "")),
        ("scenario chain", " > ".join(prov.get("scenario_chain", []))),
        ("dataset", f"{prov.get('dataset', '')} {prov.get('dataset_version', '')}"),
    ]
    prov_rows += [(f"input: {i.get('role', '')}", f"{i.get('path', '')} sha256 {i.get('sha256', '')}") for i in prov.get("inputs", [])]
    prov_rows += [(f"software: {k}", v) for k, v in prov.get("software", {}).items()]
    s = plan.settings
    method = [
        f"Datum: {DATUM_NOTE}.",
        f"Lengths and azimuths: {GEODESIC_NOTE}. Back azimuth: direction from a segment's end back to its start.",
        "Segment types: " + ", ".join(f"{k}={v}" for k, v in d.settings.items()) + ". 'detected' types are heuristics on the reference data "
        "(rivers/roads within tolerance along the whole segment; watershed: terrain falls away on both sides on the DEM) and must be confirmed.",
        f"Pillars: at every turning point and at most {s['max_spacing_m']} m apart along the line (geodesic chainage); pillars in water bodies "
        f"are moved along the line to the nearest dry point ({s['shore_offset_m']} m beyond the shore).",
        f"Line of sight: terrain sampled every {s['sight_step_m']:.0f} m along the geodesic between consecutive pillars; observer eye "
        f"{s['observer_height_m']} m above a {s['pillar_height_m']} m pillar, target {s['target_height_m']} m above the next pillar top; "
        f"earth curvature with effective radius R/(1-k), R = {s['earth_radius_m']} m, refraction k = {s['refraction_k']}. "
        + " ".join(plan.notes),
        *(f"Note: {n}" for n in (*d.notes, *annex.notes)),
    ]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True, undefined=jinja2.StrictUndefined)
    tpl = env.get_template(TEMPLATE)
    from delimit import __version__

    return tpl.render(
        title=annex.title,
        footer=(annex.title + (" - HAND-MADE DATA: " + marks if marks else "")).replace('"', "'"),
        software_version=__version__,
        parties=[{"id": p, "name": annex.party_names.get(p, p)} for p in annex.parties],
        scenario=annex.scenario,
        window=", ".join(f"{v:g}" for v in annex.window) if annex.window else "",
        marks=marks,
        summary=summary,
        pillars=psum,
        total_length=f"{d.total_length_m:,.3f} m".replace(",", " "),
        datum=DATUM_NOTE,
        measured=GEODESIC_NOTE,
        truncated="; ".join(cut_parts),
        rows_per_section=rows_per_section,
        notes=[*d.notes, *annex.notes],
        map_uri=map_uri,
        sections=_table(sec_frame, list(sec_frame.columns)),
        signatures=[{"section": int(r["section"]), "status": r["status"], "first": int(r["first_point"]), "last": int(r["last_point"])} for _, r in sec_frame.iterrows()],
        tables=tables,
        languages=list(d.languages),
        paragraphs=paragraphs,
        text_truncated=(f"The first {rows_per_section} paragraphs of each section are shown; the complete text is in description.txt." if para_cut else ""),
        method=method,
        provenance=prov_rows,
    )


def annex_pdf(annex: Annex, *, rows_per_section: int = 25, max_failures: int = 60, map_png: bytes | None = None) -> bytes:
    """PDF bytes of the annex (WeasyPrint; no network access: the only image is inlined)."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    html = annex_html(annex, rows_per_section=rows_per_section, max_failures=max_failures, map_png=map_png)
    return HTML(string=html, base_url=str(TEMPLATE_DIR)).write_pdf()


def write_annex_pdf(annex: Annex, path: str | Path, **kwargs: Any) -> Path:
    """Write :func:`annex_pdf` atomically."""
    return atomic_write_bytes(path, annex_pdf(annex, **kwargs))
