"""Land cover and the off-road speeds read with it (the vehicle classes' tracks across terrain)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from delimit.model.raster import Raster

#: Slope rules of the off-road speed table: ``tobler`` scales the flat speed by Tobler's hiking
#: function (AccessMod's WALKING correction), ``none`` keeps it on every slope (AccessMod's
#: MOTORIZED), ``impassable`` closes the class (speed 0).
SLOPE_RULES: tuple[str, ...] = ("tobler", "none", "impassable")

#: IGBP classes as MODIS MCD12C1 codes them (0 water ... 16 barren).
IGBP_CLASSES: range = range(0, 17)


@dataclass(frozen=True)
class LandCover:
    """A land-cover raster (IGBP class per cell) and the off-road speed table that goes with it.

    Attributes
    ----------
    raster: uint8 IGBP class per cell (``nodata`` where unknown), geographic CRS.
    speeds: one row per class: ``igbp_class`` (int), ``label``, ``speed_kmh`` (float, km/h on flat
        ground, >= 0), ``slope_rule`` (one of :data:`SLOPE_RULES`), ``source`` (the citation).
    table_path: the speed table's file (named in errors and in outputs' assumptions).
    """

    raster: Raster
    speeds: pd.DataFrame
    table_path: str
