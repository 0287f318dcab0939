"""CSV coordinate tables of a treaty annex, and reading the turning-point table back into a line.

Coordinates, lengths and azimuths are written to the annex's rounding rule
(:class:`delimit.treaty.accuracy.Precision`: e.g. 5 decimals of a degree and whole metres for a
source quantised to 1e-5°; azimuths to 4 decimals of a degree, about 0.4″). The turning points of a
description are themselves rounded to those decimals, so re-importing the turning-point table
reproduces the described line exactly. The files are plain CSV (UTF-8, comma, header row, no
comment lines) so that GDAL, spreadsheets and survey software read them; their sources and
licences are in ``ATTRIBUTION.txt`` and ``provenance.json`` beside them.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from delimit.errors import InputError
from delimit.io.atomic import atomic_write_text
from delimit.io.limits import check_file

#: Decimals per column kind when no precision is given (the finest a source can justify: 1 cm).
DEGREE_DECIMALS = 7
METRE_DECIMALS = 2

#: The turning-point columns every human-facing annex format shows (PDF table, KML descriptions), in order.
TURNING_POINT_COLUMNS = [
    "point_no",
    "section",
    "role",
    "lat",
    "lon",
    "lat_dms",
    "lon_dms",
    "utm_zone",
    "easting_m",
    "northing_m",
    "elevation_m",
]
AZIMUTH_DECIMALS = 4

_DEGREE_COLS = {
    "lat",
    "lon",
    "obstruction_lat",
    "obstruction_lon",
    "suggested_lat",
    "suggested_lon",
    "next_lat",
    "next_lon",
}
_AZIMUTH_COLS = {"azimuth_deg", "back_azimuth_deg"}


def _fmt(col: str, v: Any, deg: int = DEGREE_DECIMALS, metre: int = METRE_DECIMALS) -> str:
    if v is None:
        return ""
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, float | np.floating):
        f = float(v)
        if math.isnan(f):
            return ""
        if col in _DEGREE_COLS:
            return f"{f:.{deg}f}"
        if col in _AZIMUTH_COLS:
            return f"{f:.{AZIMUTH_DECIMALS}f}"
        if col == "elevation_m" or col.endswith("elevation_m"):
            return f"{f:.0f}"
        return f"{f:.{metre}f}"
    if isinstance(v, np.integer):
        return str(int(v))
    return str(v)


def table_csv(
    frame: pd.DataFrame, *, degree_decimals: int = DEGREE_DECIMALS, metre_decimals: int = METRE_DECIMALS
) -> str:
    """A table (geometry column dropped) as CSV text: degrees, metres (heights whole metres), azimuths to fixed decimals."""
    cols = [c for c in frame.columns if c != "geometry"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for row in frame[cols].itertuples(index=False, name=None):
        w.writerow([_fmt(c, v, degree_decimals, metre_decimals) for c, v in zip(cols, row, strict=True)])
    return buf.getvalue()


def write_table_csv(frame: pd.DataFrame, path: str | Path, **decimals: int) -> Path:
    """Write :func:`table_csv` atomically (``degree_decimals``, ``metre_decimals``)."""
    return atomic_write_text(path, table_csv(frame, **decimals))


def read_coordinate_csv(path: str | Path) -> shapely.MultiLineString:
    """Rebuild the described line from a ``turning_points.csv`` table.

    Rows are grouped by ``section`` and ordered by ``point_no``; a section whose
    ``section_closed`` is true is closed back onto its first point. Returns a MultiLineString,
    one part per section in section order (WGS84 lon/lat).

    Raises
    ------
    InputError
        Missing columns, non-numeric or out-of-range coordinates, a section with one point.
    """
    p = check_file(path)
    try:
        frame = pd.read_csv(p, dtype={"section": "Int64", "point_no": "Int64"})
    except Exception as exc:  # pandas raises many kinds
        raise InputError(
            p, f"cannot read as CSV: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    for col in ("point_no", "section", "lat", "lon"):
        if col not in frame.columns:
            raise InputError(p, "required column is missing", field=col)
    for col in ("lat", "lon"):
        vals = pd.to_numeric(frame[col], errors="coerce")
        bad = vals.isna() | (vals.abs() > (90 if col == "lat" else 180))
        if bad.any():
            raise InputError(
                p,
                f"{col} {frame[col].iloc[int(np.flatnonzero(bad)[0])]!r} is not a valid coordinate",
                feature=int(np.flatnonzero(bad)[0]),
                field=col,
            )
        frame[col] = vals
    closed_col = (
        frame["section_closed"].astype(str).str.lower().isin(["true", "1", "yes"])
        if "section_closed" in frame.columns
        else pd.Series(False, index=frame.index)
    )
    frame = frame.assign(_closed=closed_col)
    lines = []
    for sec, grp in frame.sort_values(["section", "point_no"]).groupby("section", sort=True):
        xy = grp[["lon", "lat"]].to_numpy(dtype=float)
        if bool(grp["_closed"].iloc[0]):
            xy = np.vstack([xy, xy[:1]])
        if len(xy) < 2:
            raise InputError(p, f"section {sec} has a single point", field="section")
        lines.append(shapely.LineString(xy))
    if not lines:
        raise InputError(p, "the table has no turning points")
    return shapely.MultiLineString(lines)
