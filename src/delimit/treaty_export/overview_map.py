"""The overview map of a treaty annex (matplotlib, PNG bytes, no network).

Both parties' territory is drawn in the same neutral fill and labelled by id; the boundary
sections are coloured by status (progress), numbered, and the pillars shown as dots. Axes are
longitude/latitude (WGS84) with the aspect corrected for the latitude (1/cos(lat)), a scale bar in
kilometres (geodesic) and a data-marks footnote.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import shapely

from delimit.crs import GEOD

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from delimit.treaty.annex import Annex

#: Status -> matplotlib colour (same ramp as the KML).
STATUS_COLOURS_MPL: dict[str, str] = {
    "drafted": "#9e9e9e",
    "agreed": "#ffa500",
    "initialled": "#ffd700",
    "signed": "#2b8bd1",
    "ratified": "#8c5fb4",
    "in-force": "#32cd32",
    "demarcated": "#006400",
}


def status_colour(status: str) -> str:
    return STATUS_COLOURS_MPL.get("ratified" if status.startswith("ratified-") else status, "#000000")


def _polys(ax: Axes, geoms: list[shapely.Geometry], **kw: Any) -> None:
    for g in geoms:
        for p in shapely.get_parts(g):
            if p.geom_type != "Polygon" or p.is_empty:
                continue
            x, y = p.exterior.xy
            ax.fill(x, y, **kw)


def overview_png(annex: Annex, *, width_in: float = 10.0, height_in: float = 6.6, dpi: int = 150) -> bytes:
    """PNG bytes of the overview map."""
    d = annex.description
    fig, ax = plt.subplots(figsize=(width_in, height_in), dpi=dpi)
    try:
        terr = annex.context.get("territory")
        if terr is not None and len(terr):
            _polys(ax, list(terr.geometry.values), facecolor="#efefe9", edgecolor="#bdbdb5", linewidth=0.4, zorder=1)
            for party in annex.parties:
                parts = [
                    p
                    for g in terr.geometry[terr["party"] == party]
                    for p in shapely.get_parts(g)
                    if p.geom_type == "Polygon"
                ]
                if parts:
                    big = max(parts, key=lambda p: p.area)
                    rp = big.representative_point()
                    ax.text(rp.x, rp.y, party, ha="center", va="center", fontsize=11, color="#555555", zorder=5)
        wb = annex.context.get("water_bodies")
        if wb is not None and len(wb):
            _polys(ax, list(wb.geometry.values), facecolor="#bcd9ee", edgecolor="none", zorder=2)
        rv = annex.context.get("rivers")
        if rv is not None and len(rv):
            for g in rv.geometry.values:
                for p in shapely.get_parts(g):
                    if p.geom_type == "LineString":
                        x, y = p.xy
                        ax.plot(x, y, color="#6fa8dc", linewidth=0.5, zorder=2)
        seen: set[str] = set()
        for _, sec in d.sections.iterrows():
            x, y = sec.geometry.xy
            st = str(sec["status"])
            ax.plot(x, y, color=status_colour(st), linewidth=2.0, zorder=3, label=st if st not in seen else None)
            seen.add(st)
            mid = sec.geometry.interpolate(0.5, normalized=True)
            ax.annotate(
                f"S{int(sec['section'])}",
                (mid.x, mid.y),
                fontsize=8,
                fontweight="bold",
                zorder=6,
                xytext=(3, 3),
                textcoords="offset points",
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "#444444", "lw": 0.5},
            )
        pil = annex.pillars.pillars
        if len(pil):
            ax.scatter(pil["lon"], pil["lat"], s=1.5, color="#222222", zorder=4, label=f"pillars ({len(pil)})")
        minx, miny, maxx, maxy = d.sections.total_bounds
        pad = 0.04 * max(maxx - minx, maxy - miny, 0.01)
        ax.set_xlim(minx - pad, maxx + pad)
        ax.set_ylim(miny - pad, maxy + pad)
        lat_c = (miny + maxy) / 2.0
        ax.set_aspect(1.0 / max(math.cos(math.radians(lat_c)), 0.01))
        ax.set_xlabel("longitude (° E, WGS84)")
        ax.set_ylabel("latitude (° N, WGS84)")
        ax.grid(True, linewidth=0.3, color="#cccccc")
        _scale_bar(ax, minx - pad, maxx + pad, miny - pad, maxy + pad)
        ax.legend(loc="upper left", fontsize=7, title="section status", title_fontsize=7, framealpha=0.9)
        ax.set_title(annex.title, fontsize=10)
        marks = "; ".join(f"{k}: {', '.join(v)}" for k, v in annex.data_marks.items())
        foot = (
            "Boundary sections coloured by status, not by party. "
            + (f"Built on hand-made data ({marks}). " if marks else "")
            + (annex.attribution_text or "")
        )
        fig.text(0.01, 0.01, foot, fontsize=6, color="#444444", wrap=True)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
        return buf.getvalue()
    finally:
        plt.close(fig)


def round_length_m(target_m: float) -> float:
    """The largest 1, 2 or 5 times a power of ten not above ``target_m`` (metres; at least 1 m): a scale bar's length.

    >>> round_length_m(7300.0), round_length_m(1999.0), round_length_m(0.2)
    (5000.0, 1000.0, 1.0)
    """
    nice = 10.0 ** math.floor(math.log10(max(target_m, 1.0)))
    for m in (5, 2, 1):
        if m * nice <= target_m:
            return m * nice
    return nice


def _scale_bar(ax: Axes, x0: float, x1: float, y0: float, y1: float) -> None:
    """A geodesic scale bar in the lower right corner (a round number of km)."""
    lat = y0 + 0.06 * (y1 - y0)
    width_m = GEOD.inv(x0, lat, x1, lat)[2]
    nice = round_length_m(width_m / 5.0)
    lon_start = x1 - 0.05 * (x1 - x0)
    lon_end, _, _ = GEOD.fwd(lon_start, lat, 270.0, nice)
    ax.plot([lon_end, lon_start], [lat, lat], color="black", linewidth=2.5, zorder=7)
    label = f"{nice / 1000:g} km" if nice >= 1000 else f"{nice:g} m"
    ax.text((lon_start + lon_end) / 2, lat + 0.012 * (y1 - y0), label, ha="center", va="bottom", fontsize=7, zorder=7)


def is_blank(png: bytes) -> bool:
    """True when an image is (nearly) a single colour - used by tests and as a guard."""
    from matplotlib.image import imread

    img = imread(io.BytesIO(png))
    return float(np.asarray(img).std()) < 1e-3
