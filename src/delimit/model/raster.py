"""Rasters in memory: an array with its affine transform and CRS (e.g. the elevation model)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from affine import Affine
from pyproj import CRS


@dataclass(frozen=True)
class Raster:
    """A single-band raster.

    Attributes
    ----------
    data: 2-D array (rows, cols); ``nodata`` cells are masked by :meth:`masked`.
    transform: affine pixel -> CRS transform (pixel corner convention, as rasterio).
    crs: the raster's CRS (EPSG:4326 for the embedded DEM).
    nodata: nodata value or None.
    units: units of the values (``'m'`` for elevation).
    source: where the data came from (for attribution).
    """

    data: np.ndarray
    transform: Affine
    crs: CRS
    nodata: float | None = None
    units: str = ""
    source: str = ""

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.data.shape[0]), int(self.data.shape[1]))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) in the raster's CRS."""
        rows, cols = self.shape
        x0, y0 = self._apply(self.transform, 0.0, 0.0)
        x1, y1 = self._apply(self.transform, float(cols), float(rows))
        return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))

    @staticmethod
    def _apply(t: Affine, x: Any, y: Any) -> tuple[Any, Any]:
        """Apply an affine transform to scalars or arrays (explicit, avoiding affine's deprecated array API)."""
        return t.a * x + t.b * y + t.c, t.d * x + t.e * y + t.f

    def masked(self) -> np.ma.MaskedArray:
        """The data with nodata cells masked."""
        if self.nodata is None:
            return np.ma.masked_invalid(self.data.astype(float))
        return np.ma.masked_equal(self.data, self.nodata)

    def sample(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Values at CRS coordinates by bilinear interpolation (NaN outside the raster or on nodata).

        >>> import numpy as np
        >>> r = Raster(np.array([[0., 10.], [20., 30.]]), Affine(1, 0, 0, 0, -1, 2), CRS.from_epsg(4326))
        >>> float(r.sample(np.array([1.0]), np.array([1.0]))[0])
        15.0
        """
        cols, rows = self._apply(~self.transform, np.asarray(xs, dtype=float), np.asarray(ys, dtype=float))
        # pixel centres are at +0.5
        c = np.asarray(cols) - 0.5
        r = np.asarray(rows) - 0.5
        h, w = self.shape
        data = self.data.astype(float)
        if self.nodata is not None:
            data = np.where(self.data == self.nodata, np.nan, data)
        c0 = np.clip(np.floor(c).astype(int), 0, w - 1)
        r0 = np.clip(np.floor(r).astype(int), 0, h - 1)
        c1 = np.clip(c0 + 1, 0, w - 1)
        r1 = np.clip(r0 + 1, 0, h - 1)
        fc = np.clip(c - c0, 0.0, 1.0)
        fr = np.clip(r - r0, 0.0, 1.0)
        top = data[r0, c0] * (1 - fc) + data[r0, c1] * fc
        bot = data[r1, c0] * (1 - fc) + data[r1, c1] * fc
        out = top * (1 - fr) + bot * fr
        outside = (np.asarray(cols) < 0) | (np.asarray(cols) > w) | (np.asarray(rows) < 0) | (np.asarray(rows) > h)
        return np.where(outside, np.nan, out)
