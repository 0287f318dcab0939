"""Map sheets of a treaty annex: each section drawn at a scale where its pillars can be told apart.

A sheet is a fixed paper frame (default 257 mm × 150 mm, the map area of an A4 landscape page) at a
round scale. The scale is chosen so that pillars the median pillar distance apart stand at least
``min_gap_mm`` apart on paper (300 m at 1:100 000 = 3 mm), or larger when a whole section fits;
a section longer than one sheet is cut into consecutive sheets along its pillars. Each sheet shows
the line coloured by the section's status, every pillar with a symbol for its type and its number
(labels thinned only where they would overlap; every pillar is in the table), the window edge,
both parties' land labelled, a north arrow, a geodesic scale bar, the scale, and the sources'
attribution. Pure drawing: PNG bytes, no files.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import shapely

from delimit.crs import GEOD
from delimit.treaty_export.overview_map import round_length_m, status_colour

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from delimit.treaty.annex import Annex

#: Round scale denominators a sheet may use, largest scale first.
NICE_SCALES = (2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 200_000, 250_000, 500_000, 1_000_000)

#: Marker per pillar type.
PILLAR_MARKERS = {"turning point": ("^", "#b30000"), "intermediate": ("o", "#222222"), "sight": ("s", "#1f5fbf")}

_M_PER_DEG_LAT = 111_132.0


@dataclass(frozen=True)
class Sheet:
    """One map sheet: its section, number within the section, centre (lon, lat) and scale denominator."""

    section: int
    part: int
    parts: int
    lon: float
    lat: float
    scale: int
    pillars: tuple[int, int]  # first and last pillar number drawn on it


def _m_per_deg_lon(lat: float) -> float:
    return 111_320.0 * max(math.cos(math.radians(lat)), 0.01)


def choose_scale(max_spacing_m: float, min_gap_mm: float = 4.0) -> int:
    """The smallest round scale at which pillars ``max_spacing_m`` apart are ``min_gap_mm`` apart on paper.

    >>> choose_scale(1000.0)
    250000
    >>> choose_scale(100.0)
    25000
    """
    limit = max(max_spacing_m, 0.0) / (min_gap_mm / 1000.0)
    fitting = [s for s in NICE_SCALES if s <= limit]
    return fitting[-1] if fitting else NICE_SCALES[0]


#: Most sheets an annex draws: past it the scale is made smaller (and the sheet titles say so).
MAX_SHEETS = 120


def _sheets_at(annex: Annex, base_scale: int, width_mm: float, height_mm: float) -> list[Sheet]:
    pil = annex.pillars.pillars
    tp = annex.description.turning_points
    sheets: list[Sheet] = []
    for k in annex.description.sections["section"].astype(int):
        p = pil[pil["section"] == k]
        pts = tp[tp["section"] == k]
        order_xy = p[["lon", "lat"]].to_numpy(float) if len(p) else pts[["lon", "lat"]].to_numpy(float)
        xy = np.vstack([order_xy, pts[["lon", "lat"]].to_numpy(float)])
        nums = p["pillar_no"].to_numpy(int) if len(p) else np.zeros(len(order_xy), dtype=int)
        lat0 = float(xy[:, 1].mean())
        kx, ky = _m_per_deg_lon(lat0), _M_PER_DEG_LAT
        ext_x = float(np.ptp(xy[:, 0])) * kx
        ext_y = float(np.ptp(xy[:, 1])) * ky
        # a section that fits one sheet at the base scale is drawn whole, at the largest round scale that holds it
        whole = [s for s in NICE_SCALES if ext_x <= 0.9 * width_mm / 1000 * s and ext_y <= 0.9 * height_mm / 1000 * s]
        if whole and whole[0] <= base_scale:
            c = ((xy[:, 0].max() + xy[:, 0].min()) / 2, (xy[:, 1].max() + xy[:, 1].min()) / 2)
            sheets.append(
                Sheet(
                    k,
                    1,
                    1,
                    float(c[0]),
                    float(c[1]),
                    max(whole[0], NICE_SCALES[0]),
                    (int(nums.min()), int(nums.max())) if len(nums) else (0, 0),
                )
            )
            continue
        w = 0.9 * width_mm / 1000 * base_scale / kx
        h = 0.9 * height_mm / 1000 * base_scale / ky
        groups: list[list[int]] = []
        cur: list[int] = []
        lo = hi = None
        for i in range(len(order_xy)):
            x, y = order_xy[i]
            nlo = (x, y) if lo is None else (min(lo[0], x), min(lo[1], y))
            nhi = (x, y) if hi is None else (max(hi[0], x), max(hi[1], y))
            if cur and (nhi[0] - nlo[0] > w or nhi[1] - nlo[1] > h):
                groups.append(cur)
                prev = order_xy[cur[-1]]
                cur = [cur[-1], i]  # consecutive sheets share a pillar
                lo = (min(prev[0], x), min(prev[1], y))
                hi = (max(prev[0], x), max(prev[1], y))
            else:
                cur.append(i)
                lo, hi = nlo, nhi
        if cur:
            groups.append(cur)
        for j, g in enumerate(groups, start=1):
            sub = order_xy[g]
            c = ((sub[:, 0].max() + sub[:, 0].min()) / 2, (sub[:, 1].max() + sub[:, 1].min()) / 2)
            sheets.append(
                Sheet(k, j, len(groups), float(c[0]), float(c[1]), base_scale, (int(nums[g].min()), int(nums[g].max())))
            )
    return sheets


def plan_sheets(
    annex: Annex,
    *,
    width_mm: float = 257.0,
    height_mm: float = 150.0,
    min_gap_mm: float = 3.0,
    max_sheets: int = MAX_SHEETS,
) -> list[Sheet]:
    """The sheets covering every section, in section order (see the module docstring).

    The base scale puts pillars the median pillar distance apart ``min_gap_mm`` apart on paper
    (:func:`choose_scale`); when that needs more than ``max_sheets`` sheets, the next smaller round
    scale is tried.
    """
    pil = annex.pillars.pillars
    spacing = float(annex.pillars.settings.get("max_spacing_m", 1000.0))
    gaps = pil["to_next_m"].to_numpy(dtype=float) if len(pil) else np.array([])
    gaps = gaps[np.isfinite(gaps) & (gaps > 0)]
    typical = min(float(np.median(gaps)), spacing) if len(gaps) else spacing
    scales = [s for s in NICE_SCALES if s >= choose_scale(typical, min_gap_mm)]
    for scale in scales:
        sheets = _sheets_at(annex, scale, width_mm, height_mm)
        if len(sheets) <= max_sheets:
            return sheets
    return sheets


def _north_arrow(ax: Axes) -> None:
    ax.annotate(
        "",
        xy=(0.965, 0.93),
        xytext=(0.965, 0.82),
        xycoords="axes fraction",
        arrowprops={"arrowstyle": "-|>", "lw": 1.5, "color": "black"},
        zorder=9,
    )
    ax.text(
        0.965, 0.94, "N", transform=ax.transAxes, ha="center", va="bottom", fontsize=10, fontweight="bold", zorder=9
    )


def _scale_bar(ax: Axes, lon0: float, lon1: float, lat0: float, lat1: float) -> None:
    lat = lat0 + 0.13 * (lat1 - lat0)
    width_m = GEOD.inv(lon0, lat, lon1, lat)[2]
    nice = round_length_m(width_m / 6.0)
    end = lon1 - 0.03 * (lon1 - lon0)
    start, _, _ = GEOD.fwd(end, lat, 270.0, nice)
    half, _, _ = GEOD.fwd(start, lat, 90.0, nice / 2)
    ax.plot([start, half], [lat, lat], color="black", linewidth=3, solid_capstyle="butt", zorder=9)
    ax.plot([half, end], [lat, lat], color="white", linewidth=3, solid_capstyle="butt", zorder=9)
    ax.plot([start, end], [lat, lat], color="black", linewidth=0.6, zorder=10)
    label = f"{nice / 1000:g} km" if nice >= 1000 else f"{nice:g} m"
    ax.text(
        (start + end) / 2,
        lat + 0.015 * (lat1 - lat0),
        f"0 – {label} (geodesic)",
        ha="center",
        va="bottom",
        fontsize=7,
        zorder=9,
    )


#: A sheet's extent in degrees: (west, south, east, north) in WGS84.
Extent = tuple[float, float, float, float]


def _polygons_in(g: Any, b: Extent) -> list[Any]:
    """The non-empty polygons of ``g`` clipped to the extent ``b`` (degrees)."""
    return [p for p in shapely.get_parts(shapely.clip_by_rect(g, *b)) if p.geom_type == "Polygon" and not p.is_empty]


def _draw_land(ax: Axes, annex: Annex, b: Extent) -> None:
    """Both parties' land (pale fills) and each party's name on its largest piece in view."""
    terr = annex.context.get("territory")
    if terr is None or not len(terr):
        return
    for party, colour in zip(annex.parties, ("#f1eee4", "#e6eef1"), strict=True):
        for g in terr.geometry[terr["party"] == party]:
            for poly in _polygons_in(g, b):
                xs, ys = poly.exterior.xy
                ax.fill(xs, ys, facecolor=colour, edgecolor="#c8c4b8", linewidth=0.3, zorder=1)
    for party in annex.parties:
        parts = [p for g in terr.geometry[terr["party"] == party] for p in _polygons_in(g, b)]
        if parts:
            rp = max(parts, key=lambda p: p.area).representative_point()
            ax.text(
                rp.x,
                rp.y,
                f"{annex.party_names.get(party, party)} ({party})",
                ha="center",
                va="center",
                fontsize=9,
                color="#666666",
                zorder=5,
                style="italic",
            )


def _draw_water_and_window(ax: Axes, annex: Annex, b: Extent) -> None:
    """Water bodies, rivers and the (dashed) edge of the annex's data window."""
    frame = shapely.box(b[0], b[1], b[2], b[3])
    wb = annex.context.get("water_bodies")
    if wb is not None and len(wb):
        for g in wb.geometry[wb.intersects(frame)]:
            for poly in _polygons_in(g, b):
                xs, ys = poly.exterior.xy
                ax.fill(xs, ys, zorder=2, facecolor="#bcd9ee", edgecolor="none")
    rv = annex.context.get("rivers")
    if rv is not None and len(rv):
        for g in rv.geometry[rv.intersects(frame)]:
            for part in shapely.get_parts(g):
                if part.geom_type == "LineString":
                    xs, ys = part.xy
                    ax.plot(xs, ys, color="#6fa8dc", linewidth=0.7, zorder=2)
    if annex.window is not None:
        wx0, wy0, wx1, wy1 = annex.window
        ax.plot(
            [wx0, wx1, wx1, wx0, wx0],
            [wy0, wy0, wy1, wy1, wy0],
            color="#888888",
            linewidth=0.8,
            linestyle=(0, (4, 3)),
            zorder=3,
        )


def _draw_line(ax: Axes, annex: Annex, sheet: Sheet, b: Extent) -> None:
    """Every section of the line in view, coloured by status; the sheet's own section drawn wider."""
    frame = shapely.box(b[0], b[1], b[2], b[3])
    for _, sec in annex.description.sections.iterrows():
        if not sec.geometry.intersects(frame):
            continue
        xs, ys = sec.geometry.xy
        lw = 2.2 if int(sec["section"]) == sheet.section else 1.2
        ax.plot(xs, ys, color=status_colour(str(sec["status"])), linewidth=lw, zorder=4)


def _draw_pillars(ax: Axes, annex: Annex, sheet: Sheet, b: Extent, kx: float, ky: float) -> None:
    """Pillars in view, a symbol per type, numbered; numbers closer than 3.5 mm on paper (``kx``,
    ``ky``: metres per degree of longitude and latitude) are thinned, turning points kept first."""
    x0, y0, x1, y1 = b
    pil = annex.pillars.pillars
    vis = pil[(pil["lon"] >= x0) & (pil["lon"] <= x1) & (pil["lat"] >= y0) & (pil["lat"] <= y1)]
    for kind, (marker, colour) in PILLAR_MARKERS.items():
        sub = vis[vis["kind"] == kind]
        if len(sub):
            ax.scatter(
                sub["lon"],
                sub["lat"],
                s=14 if kind == "turning point" else 9,
                marker=marker,
                color=colour,
                zorder=6,
                label=f"pillar: {kind}",
            )
    placed: list[tuple[float, float]] = []
    min_mm = 3.5
    for _, r in vis.sort_values(
        ["kind", "pillar_no"],
        key=lambda c: c.map({"turning point": 0, "sight": 1, "intermediate": 2}) if c.name == "kind" else c,
    ).iterrows():
        px = (float(r["lon"]) - x0) * kx / sheet.scale * 1000
        py = (float(r["lat"]) - y0) * ky / sheet.scale * 1000
        if all((px - a) ** 2 + (py - b_) ** 2 >= min_mm**2 for a, b_ in placed):
            placed.append((px, py))
            ax.annotate(
                str(int(r["pillar_no"])),
                (float(r["lon"]), float(r["lat"])),
                xytext=(2.5, 2.5),
                textcoords="offset points",
                fontsize=5.5,
                zorder=7,
                bbox={"boxstyle": "round,pad=0.08", "fc": "white", "ec": "none", "alpha": 0.75},
            )


def _mark_data_edges(ax: Axes, sec_row: Any, b: Extent) -> None:
    """Ends of the section that are the edge of the data window: marked, not a boundary point."""
    x0, y0, x1, y1 = b
    for key, idx in (("start_kind", 0), ("end_kind", -1)):
        if str(sec_row.get(key, "")) == "data edge":
            ex, ey = sec_row.geometry.coords[idx]
            if x0 <= ex <= x1 and y0 <= ey <= y1:
                ax.scatter([ex], [ey], s=60, marker="o", facecolor="none", edgecolor="#888888", linewidth=1.0, zorder=6)
                ax.annotate(
                    "line leaves the area of this annex",
                    (ex, ey),
                    xytext=(6, -10),
                    textcoords="offset points",
                    fontsize=6,
                    color="#555555",
                    zorder=7,
                )


def _finish_sheet(ax: Axes, annex: Annex, sheet: Sheet, sec_row: Any, b: Extent, kx: float, ky: float) -> None:
    """Extent (true shape: aspect ``ky / kx``), north arrow, geodesic scale bar, legend and attribution."""
    x0, y0, x1, y1 = b
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(ky / kx)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.8)
    _north_arrow(ax)
    _scale_bar(ax, x0, x1, y0, y1)
    ax.legend(
        loc="upper left",
        fontsize=6.5,
        framealpha=0.9,
        title=f"Section {sheet.section} ({sec_row['status']})",
        title_fontsize=7,
    )
    marks = "; ".join(f"{k}: {', '.join(v)}" for k, v in annex.data_marks.items())
    foot = (annex.attribution_text or "") + (f" Hand-made data: {marks}." if marks else "")
    ax.text(
        0.005,
        0.005,
        foot,
        transform=ax.transAxes,
        fontsize=5.2,
        color="#333333",
        va="bottom",
        ha="left",
        wrap=True,
        zorder=9,
        bbox={"boxstyle": "square,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
    )


def sheet_png(
    annex: Annex, sheet: Sheet, *, width_mm: float = 257.0, height_mm: float = 150.0, dpi: int = 160
) -> bytes:
    """PNG bytes of one sheet, drawn at its scale when printed ``width_mm`` wide (``dpi``: dots per inch)."""
    kx, ky = _m_per_deg_lon(sheet.lat), _M_PER_DEG_LAT
    half_w = width_mm / 2000 * sheet.scale / kx
    half_h = height_mm / 2000 * sheet.scale / ky
    b: Extent = (sheet.lon - half_w, sheet.lat - half_h, sheet.lon + half_w, sheet.lat + half_h)
    fig = plt.figure(figsize=(width_mm / 25.4, height_mm / 25.4), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    try:
        _draw_land(ax, annex, b)
        _draw_water_and_window(ax, annex, b)
        _draw_line(ax, annex, sheet, b)
        _draw_pillars(ax, annex, sheet, b, kx, ky)
        sections = annex.description.sections
        sec_row = sections[sections["section"] == sheet.section].iloc[0]
        _mark_data_edges(ax, sec_row, b)
        _finish_sheet(ax, annex, sheet, sec_row, b, kx, ky)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        return buf.getvalue()
    finally:
        plt.close(fig)


__all__ = ["NICE_SCALES", "PILLAR_MARKERS", "Sheet", "choose_scale", "plan_sheets", "sheet_png"]
