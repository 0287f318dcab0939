"""Off-road travel for vehicle classes: a pace per terrain cell from land cover and slope.

AccessMod's *mixed mode*: a traveller drives on the roads and leaves them for tracks across the
terrain, where the speed depends on the land cover (``LandCover.speeds``: km/h on flat ground per
IGBP class, every row cited in the dataset's ``offroad_speeds.csv``) and the slope:

* ``tobler``: the flat speed scaled by Tobler's hiking function, ``v(s) = v_flat * tobler(s) / tobler(0)``
  (AccessMod's WALKING correction), symmetrised like the foot mode (mean of the uphill and downhill
  paces: the access graph is undirected);
* ``none``: the flat speed on every slope (AccessMod's MOTORIZED);
* ``impassable``: no travel (water, permanent snow and ice).

Cells without a land-cover class (the raster's nodata) are impassable: no speed is known there.
Foot classes do not use this module: they keep Tobler's function (:func:`build_terrain` without land cover).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pyproj import CRS

from delimit.access.speeds import tobler_kmh, tobler_pace_symmetric
from delimit.errors import InputError
from delimit.model.landcover import LandCover


def classes_on_grid(lc: LandCover, transform: Any, crs: CRS, shape: tuple[int, int]) -> np.ndarray:
    """The IGBP class of each grid cell (nearest land-cover cell; -1 where the raster has none)."""
    import rasterio.warp

    nodata = lc.raster.nodata if lc.raster.nodata is not None else 255
    out = np.full(shape, nodata, np.float64)
    rasterio.warp.reproject(
        lc.raster.data.astype(np.float64),
        out,
        src_transform=lc.raster.transform,
        src_crs=lc.raster.crs,
        src_nodata=nodata,
        dst_transform=transform,
        dst_crs=crs,
        dst_nodata=nodata,
        resampling=rasterio.warp.Resampling.nearest,
    )
    return np.where(out == nodata, -1, out).astype(np.int64)


def offroad_pace(lc: LandCover, classes: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """Off-road pace (s/m) per cell from its IGBP class and its steepest slope (rise over run).

    Raises InputError (naming the speed table) when a class present in the cells has no row.
    """
    present = {int(c) for c in np.unique(classes) if c >= 0}
    table = lc.speeds.set_index("igbp_class")
    unknown = sorted(present - set(int(c) for c in table.index))
    if unknown:
        raise InputError(
            lc.table_path,
            f"the land cover holds class(es) {', '.join(map(str, unknown))} that the speed table does not list",
            field="igbp_class",
        )
    flat = np.full(256, np.nan)
    scaled = np.zeros(256, bool)
    for cls, row in table.iterrows():
        if row["slope_rule"] != "impassable":
            flat[int(cls)] = float(row["speed_kmh"])
            scaled[int(cls)] = row["slope_rule"] == "tobler"
    idx = np.where(classes >= 0, classes, 255)
    v = flat[idx]
    s = np.nan_to_num(np.asarray(slope, float), nan=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tob = tobler_pace_symmetric(s) * float(tobler_kmh(0.0)) / v
        pace = np.where(scaled[idx], tob, 3.6 / v)
    pace[~np.isfinite(pace) | (classes < 0)] = np.inf
    return pace


def speed_table_summary(lc: LandCover) -> list[dict[str, Any]]:
    """The speed table as the outputs' ``assumptions`` record it (class, label, km/h, slope rule)."""
    return [
        {
            "igbp_class": int(r.igbp_class),
            "label": str(r.label),
            "speed_kmh": float(r.speed_kmh),
            "slope_rule": str(r.slope_rule),
        }
        for r in lc.speeds.itertuples(index=False)
    ]
