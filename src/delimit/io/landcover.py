"""Reader of the off-road speed table (``offroad_speeds.csv``) and of the land cover it goes with.

A bad table (missing column, negative or non-numeric speed, a class that is not an IGBP class, a
repeated class, an unknown slope rule, a row without a source) raises
:class:`delimit.errors.InputError` naming the file, the row and the field.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from delimit.errors import InputError
from delimit.io.limits import Limits, check_file
from delimit.io.raster import read_raster
from delimit.model.landcover import IGBP_CLASSES, SLOPE_RULES, LandCover

COLUMNS: tuple[str, ...] = ("igbp_class", "label", "speed_kmh", "slope_rule", "source")


def _row_error(path: Path, row: int, field: str, reason: str) -> InputError:
    return InputError(path, reason, feature=f"row {row}", field=field)


def _check_row(path: Path, row: int, rec: dict[str, str], seen: set[int]) -> dict[str, object]:
    """One validated row (``row`` counts data rows from 1, as a spreadsheet shows them after the header)."""
    try:
        cls = int(str(rec["igbp_class"]).strip())
    except ValueError:
        raise _row_error(path, row, "igbp_class", f"class {rec['igbp_class']!r} is not an integer") from None
    if cls not in IGBP_CLASSES:
        raise _row_error(
            path, row, "igbp_class", f"unknown class {cls} (IGBP classes are {IGBP_CLASSES[0]}-{IGBP_CLASSES[-1]})"
        )
    if cls in seen:
        raise _row_error(path, row, "igbp_class", f"class {cls} is listed twice")
    try:
        speed = float(str(rec["speed_kmh"]).strip())
    except ValueError:
        raise _row_error(path, row, "speed_kmh", f"speed {rec['speed_kmh']!r} is not a number") from None
    if not math.isfinite(speed) or speed < 0:
        raise _row_error(path, row, "speed_kmh", f"speed must be a finite number >= 0 km/h (got {speed:g})")
    rule = str(rec["slope_rule"]).strip()
    if rule not in SLOPE_RULES:
        raise _row_error(path, row, "slope_rule", f"unknown slope rule {rule!r} (one of {', '.join(SLOPE_RULES)})")
    if (speed == 0) != (rule == "impassable"):
        raise _row_error(path, row, "speed_kmh", "a speed of 0 goes with slope_rule 'impassable', and only with it")
    if not str(rec["source"]).strip():
        raise _row_error(path, row, "source", "every speed needs its published source")
    seen.add(cls)
    return {
        "igbp_class": cls,
        "label": str(rec["label"]),
        "speed_kmh": speed,
        "slope_rule": rule,
        "source": str(rec["source"]),
    }


def read_speed_table(path: str | Path, limits: Limits | None = None) -> pd.DataFrame:
    """The off-road speed table (see :class:`delimit.model.landcover.LandCover`), validated."""
    p = check_file(path, limits)
    try:
        raw = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(p, f"not a readable CSV table ({type(exc).__name__})") from None
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise InputError(p, f"missing column(s) {', '.join(missing)} (need {', '.join(COLUMNS)})", field=missing[0])
    seen: set[int] = set()
    rows = [_check_row(p, i + 1, rec, seen) for i, rec in enumerate(raw[list(COLUMNS)].to_dict("records"))]
    if not rows:
        raise InputError(p, "the speed table has no rows")
    return pd.DataFrame(rows, columns=list(COLUMNS))


def read_landcover(
    raster_path: str | Path,
    table_path: str | Path,
    *,
    limits: Limits | None = None,
    bounds: tuple[float, float, float, float] | None = None,
) -> LandCover:
    """The land-cover raster (only ``bounds``, WGS84 degrees, when given) with its validated speed table."""
    speeds = read_speed_table(table_path, limits)
    raster = read_raster(raster_path, units="IGBP class", source=Path(raster_path).name, limits=limits, bounds=bounds)
    return LandCover(raster=raster, speeds=speeds, table_path=str(table_path))
