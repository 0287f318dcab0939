"""Report maps (matplotlib, PNG): overview per scenario, context, travel time and chokepoints.

All maps of one report are drawn in one Lambert azimuthal equal-area projection (named in every
footer) with the same party colours (:mod:`delimit.report.palette`). Every party's land is drawn
the same way; every claim (a part whose status is not a registry status, e.g. ``claimed`` or
``illustrative``) carries the same hatching whoever makes it; land changing hands between the
baseline and the scenario is cross-hatched in neutral black.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from pyproj import CRS

from delimit.crs import crs_in_words
from delimit.model.layers import REGISTRY_STATUSES
from delimit.model.scenario import Scenario
from delimit.report.figures import furnish, new_figure, save, sources_text
from delimit.report.palette import CHANGE_HATCH, CLAIM_HATCH

Bounds = tuple[float, float, float, float]


@dataclass(frozen=True)
class MapFrame:
    """What every map of a report shares: projection, extents (projected metres) and party colours."""

    crs: CRS
    focus: Bounds
    full: Bounds
    colours: Mapping[str, str]
    #: Layers already projected (and clipped) for a map of this report: {(id(layer), bounds): (layer, view)}.
    #: The layer is kept with its view, so its id cannot be reused by another layer while cached.
    views: dict[tuple[int, Any], tuple[Any, gpd.GeoDataFrame]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    @property
    def crs_text(self) -> str:
        """The map projection in words (the PROJ string is given once, in the report's method section)."""
        return crs_in_words(self.crs)


class LabelPlacer:
    """Labels of one map placed by priority, each at the first free position around its point.

    Candidates are tried at eight offsets (north-east first); a label that would overlap one already
    placed, or leave the map, is dropped, so the most important labels (chokepoint ranks, necks,
    the largest settlements) always show and none collide. Call :meth:`place` after the extent is set.
    """

    OFFSETS: tuple[tuple[int, int, Literal["left", "center", "right"], Literal["bottom", "center", "top"]], ...] = (
        (4, 3, "left", "bottom"),
        (4, -3, "left", "top"),
        (-4, 3, "right", "bottom"),
        (-4, -3, "right", "top"),
        (6, 0, "left", "center"),
        (-6, 0, "right", "center"),
        (0, 7, "center", "bottom"),
        (0, -7, "center", "top"),
    )

    def __init__(self, ax: Axes) -> None:
        self.ax = ax
        self.items: list[tuple[float, str, tuple[float, float], dict[str, Any]]] = []
        self.placed: list[Any] = []
        self.dropped: list[str] = []

    def _renderer(self) -> Any:
        """The renderer of the axes' figure (the report draws on Agg canvases, which have one), with the axes'
        equal aspect applied first: drawing would shrink the axes box later, and labels measured before that
        would move relative to each other."""
        self.ax.apply_aspect()
        return self.ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]  # FigureCanvasBase lacks it; Agg has it

    def add(self, text: str, xy: tuple[float, float], priority: float, *, force: bool = False, **style: Any) -> None:
        """Queue ``text`` at ``xy`` (map coordinates); higher ``priority`` is placed first.

        A ``force``d label (a chokepoint's rank, which the report's table refers to) is drawn at its
        first position even when every position collides.
        """
        if text:
            self.items.append((priority, text, (float(xy[0]), float(xy[1])), {**style, "_force": force}))

    def avoid(self, *artists: Any) -> None:
        """Keep labels off these already drawn artists (north arrow, credit, scale bar)."""
        renderer = self._renderer()
        self.placed += [a.get_window_extent(renderer) for a in artists if a is not None]

    def place(self) -> list[Any]:
        """Draw the queued labels that fit; returns the matplotlib texts drawn."""
        renderer = self._renderer()
        frame = self.ax.get_window_extent(renderer)
        texts = []
        for _prio, text, xy, style in sorted(self.items, key=lambda it: -it[0]):
            style = dict(style)
            force = style.pop("_force", False)
            dx, dy, ha, va = self.OFFSETS[0]
            # one annotation tried at each position in turn (moved, not rebuilt), removed if none fits
            t = self.ax.annotate(
                text, xy, xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, annotation_clip=True, **style
            )
            for dx, dy, ha, va in self.OFFSETS:
                t.xyann = (dx, dy)
                t.set_horizontalalignment(ha)
                t.set_verticalalignment(va)
                box = t.get_window_extent(renderer).expanded(1.04, 1.1)
                inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
                if inside and not any(box.overlaps(b) for b in self.placed):
                    self.placed.append(box)
                    texts.append(t)
                    break
            else:
                t.remove()
                if force:
                    dx, dy, ha, va = self.OFFSETS[0]
                    t = self.ax.annotate(text, xy, xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, **style)
                    self.placed.append(t.get_window_extent(renderer))
                    texts.append(t)
                else:
                    self.dropped.append(text)
        self.items = []
        return texts


def map_credit(scenario: Scenario) -> str:
    """The short credit every map carries: the notices of sources whose licence asks for one
    ("© OpenStreetMap contributors"), then the other sources' names and licences."""
    parts = []
    for c in scenario.provenance.credits:
        if c.source == "delimit":
            continue
        parts.append(c.notice if c.notice.startswith("©") else f"{c.source} ({c.licence})")
    return " · ".join(parts)


def _transformer(src: Any, dst: Any) -> Any:
    """The pyproj Transformer from ``src`` to ``dst`` (x = lon/easting first), one per CRS pair:
    building one takes tens of milliseconds and every map asks for the same few pairs."""
    try:
        return _cached_transformer(src, dst)
    except TypeError:  # a CRS object that cannot be hashed: build it each time
        from pyproj import Transformer

        return Transformer.from_crs(src, dst, always_xy=True)


@lru_cache(maxsize=32)
def _cached_transformer(src: Any, dst: Any) -> Any:
    from pyproj import Transformer

    return Transformer.from_crs(src, dst, always_xy=True)


def north_arrow(ax: Axes, frame: MapFrame, b: Bounds) -> Any:
    """A north arrow in the map's top-right corner, turned to true north at the map's centre."""
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    to_ll = _transformer(frame.crs, "EPSG:4326")
    to_map = _transformer("EPSG:4326", frame.crs)
    lon, lat = to_ll.transform(cx, cy)
    nx, ny = to_map.transform(lon, min(lat + 0.05, 89.9))
    angle = float(np.arctan2(nx - cx, ny - cy))  # radians clockwise from grid north
    x0, y0, length = 0.94, 0.84, 0.09
    dx, dy = length * np.sin(angle), length * np.cos(angle)
    ax.annotate(
        "",
        xy=(x0 + dx, y0 + dy),
        xytext=(x0, y0),
        xycoords="axes fraction",
        arrowprops={"facecolor": "black", "edgecolor": "white", "width": 2.2, "headwidth": 8, "headlength": 7},
        zorder=12,
    )
    return ax.text(
        x0 + dx * 1.25,
        y0 + dy * 1.25,
        "N",
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=9,
        fontweight="bold",
        zorder=12,
        bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.7},
    )


def draw_credit(ax: Axes, scenario: Scenario) -> Any:
    """The data credit (e.g. "© OpenStreetMap contributors") in small type in the map's bottom-right corner."""
    text = map_credit(scenario)
    if not text:
        return None
    return ax.text(
        0.995,
        0.005,
        text,
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=5.5,
        color="#222222",
        zorder=12,
        bbox={"boxstyle": "square,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.75},
    )


def finish_map(ax: Axes, scenario: Scenario, frame: MapFrame, b: Bounds, placer: LabelPlacer | None = None) -> None:
    """Extent, scale bar, north arrow, data credit and (last, when positions are known) the labels."""
    _set_extent(ax, b)
    bar = _scale_bar(ax, b)
    arrow = north_arrow(ax, frame, b)
    credit = draw_credit(ax, scenario)
    if placer is not None:
        placer.avoid(bar, arrow, credit)
        placer.place()


def _pad(b: Sequence[float], frac: float, min_m: float = 5000.0) -> Bounds:
    minx, miny, maxx, maxy = (float(v) for v in b)
    dx = max((maxx - minx) * frac, min_m)
    dy = max((maxy - miny) * frac, min_m)
    return (minx - dx, miny - dy, maxx + dx, maxy + dy)


def small_parts(scenario: Scenario, crs: CRS, max_km2: float = 500.0) -> gpd.GeoDataFrame:
    """Parts that are not their party's largest and are under ``max_km2``: enclaves/exclaves by a
    simple rule, used for labelling when the topology engine is unavailable (projected to ``crs``)."""
    terr = scenario.territory.to_crs(crs)
    if not len(terr):
        return terr
    area = terr.geometry.area / 1e6
    largest = area.groupby(terr["party"]).transform("max")
    return terr[(area < largest) & (area < max_km2)]


def focus_bounds(scenarios: Sequence[Scenario], crs: CRS, extra: Sequence[gpd.GeoDataFrame] = ()) -> Bounds:
    """Extent (projected metres) of the area the scenarios are about: their border crossings, the
    ``extra`` layers (land changing hands, necks), padded by 25 % (at least 8 km); else their
    roads; else their small parts; else the whole territory."""
    boxes = []
    for s in scenarios:
        if len(s.crossings):
            boxes.append(s.crossings.to_crs(crs).total_bounds)
    for g in extra:
        if g is not None and len(g):
            boxes.append(g.to_crs(crs).total_bounds)
    if not boxes:
        boxes = [s.roads.to_crs(crs).total_bounds for s in scenarios if len(s.roads)]
    if not boxes:
        for s in scenarios:
            sp = small_parts(s, crs)
            if len(sp):
                boxes.append(sp.total_bounds)
    if not boxes:
        terr = scenarios[0].territory.to_crs(crs)
        x0, y0, x1, y1 = (float(v) for v in terr.total_bounds)
        return x0, y0, x1, y1
    b = np.array(boxes)
    return _pad((b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()), 0.25, min_m=8000.0)


def map_figure(bounds: Bounds, banner: str, *, map_width_in: float = 7.4, legend_in: float = 3.1) -> tuple[Any, Axes]:
    """A figure sized to the map's aspect: map axes on the left, room for the legend on the right,
    the banner above and the footer below."""
    aspect = (bounds[3] - bounds[1]) / max(bounds[2] - bounds[0], 1.0)
    map_h = min(max(map_width_in * aspect, 3.0), 9.0)
    map_w = map_h / aspect if map_width_in * aspect > 9.0 else map_width_in
    top_in = 0.75 if banner else 0.45
    bottom_in = 0.75
    W = map_w + legend_in + 0.3
    H = map_h + top_in + bottom_in
    fig = new_figure(W, H)
    ax = fig.add_axes((0.1 / W, bottom_in / H, map_w / W, map_h / H))
    return fig, ax


def legend(fig: Any, ax: Axes, handles: list[Any]) -> None:
    x = ax.get_position().x1 + 0.01
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(x, ax.get_position().y1), fontsize=7, frameon=False)


def territory_names(scenario: Scenario, geom: Any) -> str:
    """Names of the scenario's territory parts (``name`` column) lying in ``geom`` (WGS84), joined."""
    terr = scenario.territory
    if "name" not in terr.columns or not len(terr):
        return ""
    named = terr[terr["name"].fillna("").astype(str) != ""]
    pts = named.geometry.representative_point()
    return " / ".join(sorted({str(n) for n, p in zip(named["name"], pts, strict=True) if geom.contains(p)}))


def view(gdf: gpd.GeoDataFrame, frame: MapFrame, bounds: Bounds | None) -> gpd.GeoDataFrame:
    """``gdf`` projected to the map CRS and, if ``bounds`` is given, clipped to them (padded 5 %):
    large polygons outside the view are not drawn at all. Each (layer, bounds) is projected once per report."""
    key = (id(gdf), bounds)
    hit = frame.views.get(key)
    if hit is not None and hit[0] is gdf:
        return hit[1]
    frame.views[key] = (gdf, _view(gdf, frame, bounds))
    return frame.views[key][1]


def _view(gdf: gpd.GeoDataFrame, frame: MapFrame, bounds: Bounds | None) -> gpd.GeoDataFrame:
    g = gdf.to_crs(frame.crs)
    if bounds is None or not len(g):
        return g
    from shapely.geometry import box

    b = _pad(bounds, 0.05, min_m=0.0)
    return gpd.clip(g, box(*b), keep_geom_type=True)


def _set_extent(ax: Axes, b: Bounds) -> None:
    ax.set_xlim(b[0], b[2])
    ax.set_ylim(b[1], b[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")


def _scale_bar(ax: Axes, b: Bounds) -> Any:
    width = b[2] - b[0]
    km = (
        [1, 2, 5, 10, 20, 50, 100, 200][int(np.searchsorted([1, 2, 5, 10, 20, 50, 100, 200], width / 1000 / 6))]
        if width > 6000
        else 1
    )
    x0, y0 = b[0] + width * 0.04, b[1] + (b[3] - b[1]) * 0.04
    ax.plot([x0, x0 + km * 1000], [y0, y0], color="black", lw=2.5, solid_capstyle="butt")
    return ax.text(x0 + km * 500, y0 + (b[3] - b[1]) * 0.012, f"{km} km", ha="center", va="bottom", fontsize=7)


def draw_territory(ax: Axes, scenario: Scenario, frame: MapFrame, bounds: Bounds | None = None) -> list[Any]:
    """Each party's land in its colour; claims (non-registry status) hatched identically for every party."""
    terr = view(scenario.territory, frame, bounds)
    handles: list[Any] = []
    for party in sorted(terr["party"].astype(str).unique()):
        colour = frame.colours.get(party, "#cccccc")
        mine = terr[terr["party"].astype(str) == party]
        settled = mine[mine["status"].astype(str).isin(REGISTRY_STATUSES)]
        claimed = mine[~mine["status"].astype(str).isin(REGISTRY_STATUSES)]
        if len(settled):
            settled.plot(ax=ax, facecolor=colour, edgecolor="#333333", linewidth=0.4, alpha=0.55)
        if len(claimed):
            claimed.plot(ax=ax, facecolor=colour, edgecolor="#333333", linewidth=0.8, alpha=0.55, hatch=CLAIM_HATCH)
        name = scenario.parties[party].name if party in scenario.parties else party
        handles.append(Patch(facecolor=colour, edgecolor="#333333", alpha=0.55, label=f"{party} ({name})"))
    statuses = sorted({str(s) for s in terr["status"]} - REGISTRY_STATUSES)
    if statuses:
        handles.append(
            Patch(
                facecolor="white",
                edgecolor="#333333",
                hatch=CLAIM_HATCH,
                label=f"claim ({', '.join(statuses)}), any party",
            )
        )
    return handles


def draw_lines(
    ax: Axes, scenario: Scenario, frame: MapFrame, added_roads: Sequence[str] = (), bounds: Bounds | None = None
) -> list[Any]:
    handles: list[Any] = []
    if len(scenario.rivers):
        rivers = view(scenario.rivers, frame, bounds)
        if len(rivers):
            rivers.plot(ax=ax, color="#3B7DBF", linewidth=0.6, alpha=0.8)
            handles.append(Line2D([], [], color="#3B7DBF", lw=0.8, label="river / canal"))
    if len(scenario.water_bodies):
        water = view(scenario.water_bodies, frame, bounds)
        if len(water):
            water.plot(ax=ax, facecolor="#9CC3E6", edgecolor="#3B7DBF", linewidth=0.2)
    roads = view(scenario.roads, frame, bounds) if len(scenario.roads) else scenario.roads
    if len(roads):
        is_new = roads["road_id"].astype(str).isin(set(added_roads))
        if (~is_new).any():
            roads[~is_new].plot(ax=ax, color="#444444", linewidth=1.0)
            handles.append(
                Line2D(
                    [],
                    [],
                    color="#444444",
                    lw=1.0,
                    label="road" + (" (schematic)" if "schematic" in set(roads["status"]) else ""),
                )
            )
        if is_new.any():
            roads[is_new].plot(ax=ax, color="black", linewidth=1.6, linestyle=(0, (4, 2)))
            handles.append(Line2D([], [], color="black", lw=1.6, ls=(0, (4, 2)), label="road added by the scenario"))
    if len(scenario.crossings):
        scenario.crossings.to_crs(frame.crs).plot(
            ax=ax, marker="^", color="white", edgecolor="black", markersize=22, linewidth=0.7, zorder=5
        )
        handles.append(
            Line2D([], [], marker="^", color="white", markeredgecolor="black", ls="", label="crossing point")
        )
    return handles


def draw_settlements(
    ax: Axes,
    scenario: Scenario,
    frame: MapFrame,
    bounds: Bounds,
    *,
    labels: int = 14,
    placer: LabelPlacer | None = None,
) -> list[Any]:
    """Settlements as circles with area proportional to population; unknown population as small rings.

    The ``labels`` most populous are labelled through ``placer`` (labels that would collide are dropped).
    """
    pts = scenario.settlements.to_crs(frame.crs)
    if not len(pts):
        return []
    x, y = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
    inside = (x >= bounds[0]) & (x <= bounds[2]) & (y >= bounds[1]) & (y <= bounds[3])
    pts = pts[inside]
    pop = pts["population"].fillna(0).astype(float).to_numpy()
    known = pop > 0
    size = np.where(known, 4 + 180 * np.sqrt(pop / max(pop.max(), 1.0)), 10)
    ax.scatter(
        pts.geometry.x[known],
        pts.geometry.y[known],
        s=size[known],
        facecolor="white",
        edgecolor="black",
        linewidth=0.6,
        zorder=6,
        alpha=0.9,
    )
    ax.scatter(
        pts.geometry.x[~known],
        pts.geometry.y[~known],
        s=10,
        facecolor="none",
        edgecolor="black",
        linewidth=0.6,
        zorder=6,
    )
    order = np.argsort(-pop)[:labels]
    own = placer is None
    placer = placer or LabelPlacer(ax)
    for k in order:
        r = pts.iloc[int(k)]
        placer.add(
            str(r["name"]),
            (r.geometry.x, r.geometry.y),
            100.0 + float(np.log10(pop[int(k)] + 1.0)),
            fontsize=6.5,
            zorder=7,
        )
    if own:
        placer.place()
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            color="white",
            markeredgecolor="black",
            ls="",
            markersize=7,
            label="settlement (area ~ population)",
        )
    ]
    if (~known).any():
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                color="none",
                markeredgecolor="black",
                ls="",
                markersize=4,
                label="settlement, population unknown",
            )
        )
    return handles


def draw_changes(ax: Axes, pieces: gpd.GeoDataFrame | None, frame: MapFrame, label: str) -> list[Any]:
    if pieces is None or not len(pieces):
        return []
    pieces.to_crs(frame.crs).plot(
        ax=ax, facecolor="none", edgecolor="black", linewidth=1.0, hatch=CHANGE_HATCH, zorder=4
    )
    return [Patch(facecolor="white", edgecolor="black", hatch=CHANGE_HATCH, label=label)]


def draw_topology(
    ax: Axes, topology: Any, frame: MapFrame, bounds: Bounds | None = None, placer: LabelPlacer | None = None
) -> list[Any]:
    """Enclaves/exclaves outlined in bold, necks as black diamonds labelled with their width (m)."""
    if topology is None:
        return []
    handles: list[Any] = []
    parts = getattr(topology, "parts", None)
    if parts is not None and len(parts):
        small = parts[parts["kind"].isin(("enclave", "exclave"))]
        if len(small):
            outline = view(small, frame, bounds)
            if len(outline):
                outline.boundary.plot(ax=ax, color="black", linewidth=1.4, zorder=4)
            handles.append(Line2D([], [], color="black", lw=1.4, label="enclave / exclave outline"))
    necks = getattr(topology, "necks", None)
    if necks is not None and len(necks):
        g = necks.to_crs(frame.crs)
        if bounds is not None:
            rp = g.geometry.representative_point()
            g = g[(rp.x >= bounds[0]) & (rp.x <= bounds[2]) & (rp.y >= bounds[1]) & (rp.y <= bounds[3])]
        pts = g.geometry.representative_point()
        ax.scatter(pts.x, pts.y, marker="D", s=26, facecolor="white", edgecolor="black", linewidth=1.0, zorder=8)
        for p, w in zip(pts, g["min_width_m"], strict=True):
            if placer is not None:  # narrower necks first
                placer.add(f"{float(w):,.0f} m", (p.x, p.y), 500.0 - float(w) / 1000.0, fontsize=6.5, zorder=8)
            else:
                ax.annotate(
                    f"{float(w):,.0f} m", (p.x, p.y), xytext=(4, -8), textcoords="offset points", fontsize=6.5, zorder=8
                )
        handles.append(
            Line2D(
                [], [], marker="D", color="white", markeredgecolor="black", ls="", label="neck (label: minimum width)"
            )
        )
    return handles


def overview_map(
    scenario: Scenario,
    frame: MapFrame,
    path: Path,
    *,
    banner: str,
    pieces: gpd.GeoDataFrame | None = None,
    baseline_name: str = "",
    topology: Any = None,
    added_roads: Sequence[str] = (),
    title: str = "",
) -> Path:
    """The focus map of one scenario: land, claims, land changing hands, enclaves, necks, roads,
    crossings and settlements sized by population."""
    b = frame.focus
    fig, ax = map_figure(b, banner)
    placer = LabelPlacer(ax)
    handles = draw_territory(ax, scenario, frame, b)
    handles += draw_changes(ax, pieces, frame, f"land changing hands (vs {baseline_name})")
    handles += draw_topology(ax, topology, frame, b, placer=placer)
    handles += draw_lines(ax, scenario, frame, added_roads, bounds=b)
    handles += draw_settlements(ax, scenario, frame, b, placer=placer)
    finish_map(ax, scenario, frame, b, placer)
    ax.set_title(title or f"{scenario.name}: {scenario.title}", loc="left")
    legend(fig, ax, handles)
    footer = (
        f"Map projection: {frame.crs_text}. Colours are assigned by sorted party id (Okabe-Ito palette) and carry no meaning. "
        f"Sources: {sources_text(scenario, ('territory', 'settlements', 'roads', 'crossings', 'rivers'))}."
    )
    furnish(fig, banner=banner, footer=footer)
    return save(fig, path)


def context_map(
    scenario: Scenario, frame: MapFrame, path: Path, *, banner: str, topology_small: gpd.GeoDataFrame | None = None
) -> Path:
    """The whole data window with every party's land, the focus area boxed."""
    fig, ax = map_figure(frame.full, banner)
    placer = LabelPlacer(ax)
    handles = draw_territory(ax, scenario, frame)
    sp = topology_small if topology_small is not None else small_parts(scenario, frame.crs)
    if len(sp):
        sp = sp.to_crs(frame.crs)
        sp.boundary.plot(ax=ax, color="black", linewidth=0.9, zorder=4)
        for _, r in sp.iterrows():
            nm = r.get("name", "")
            nm = "" if nm is None or (isinstance(nm, float) and nm != nm) else str(nm)
            if nm:
                p = r.geometry.representative_point()
                placer.add(nm, (p.x, p.y), 300.0, fontsize=6.5, fontstyle="italic", zorder=7)
        handles.append(Line2D([], [], color="black", lw=0.9, label="enclave / exclave (outline)"))
    settle = scenario.settlements[scenario.settlements["population"].fillna(0) >= 100000]
    if len(settle):
        g = settle.to_crs(frame.crs)
        ax.scatter(g.geometry.x, g.geometry.y, s=8, color="black", zorder=5)
        for _, r in g.iterrows():
            placer.add(
                str(r["name"]),
                (r.geometry.x, r.geometry.y),
                100.0 + float(np.log10(float(r["population"]) + 1.0)),
                fontsize=6,
            )
    f = frame.focus
    ax.add_patch(shapely_box_patch(f))
    handles.append(Patch(facecolor="none", edgecolor="black", linestyle="--", label="area of the detailed maps"))
    finish_map(ax, scenario, frame, frame.full, placer)
    ax.set_title(f"Parties' land in the data window ({scenario.name})", loc="left")
    legend(fig, ax, handles)
    furnish(
        fig,
        banner=banner,
        footer=f"Map projection: {frame.crs_text}. Towns of at least 100,000 people labelled. Sources: {sources_text(scenario, ('territory', 'settlements'))}.",
    )
    return save(fig, path)


def shapely_box_patch(b: Bounds) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle(
        (b[0], b[1]), b[2] - b[0], b[3] - b[1], fill=False, edgecolor="black", linestyle="--", linewidth=1.0, zorder=9
    )


def _apply(t: Any, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An affine transform applied to coordinate arrays (explicit, no deprecated array operator)."""
    return t.a * x + t.b * y + t.c, t.d * x + t.e * y + t.f


def project_raster_extent(
    raster: Any, crs: CRS, bounds: Bounds | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cell-corner coordinates of ``raster`` projected into ``crs`` (for pcolormesh) and its values,
    cropped to the cells covering ``bounds`` (given in ``crs``) if given."""
    rows, cols = raster.shape
    t = raster.transform
    r0, r1, c0, c1 = 0, rows, 0, cols
    if bounds is not None:
        back = _transformer(crs, raster.crs)
        bx = np.linspace(bounds[0], bounds[2], 21)
        by = np.linspace(bounds[1], bounds[3], 21)
        gx, gy = np.meshgrid(bx, by)
        rx, ry = back.transform(gx.ravel(), gy.ravel())
        cc_, rr_ = _apply(~t, np.asarray(rx), np.asarray(ry))
        c0 = int(np.clip(np.floor(np.min(cc_)) - 1, 0, cols))
        c1 = int(np.clip(np.ceil(np.max(cc_)) + 1, 0, cols))
        r0 = int(np.clip(np.floor(np.min(rr_)) - 1, 0, rows))
        r1 = int(np.clip(np.ceil(np.max(rr_)) + 1, 0, rows))
        if c1 <= c0 or r1 <= r0:
            r0, r1, c0, c1 = 0, rows, 0, cols
    cc, rr = np.meshgrid(np.arange(c0, c1 + 1), np.arange(r0, r1 + 1))
    xs, ys = _apply(t, cc.astype(float), rr.astype(float))
    tr = _transformer(raster.crs, crs)
    px, py = tr.transform(np.asarray(xs), np.asarray(ys))
    return np.asarray(px), np.asarray(py), raster.masked()[r0:r1, c0:c1]


def travel_time_map(
    scenario: Scenario,
    frame: MapFrame,
    path: Path,
    *,
    panels: Sequence[tuple[str, Any]],
    regime: str,
    target: str,
    banner: str,
) -> Path:
    """One panel per traveller class: minutes to the nearest ``target`` under ``regime``."""
    from matplotlib import colormaps
    from matplotlib.colors import BoundaryNorm

    n = max(1, len(panels))
    fig = new_figure(5.2 * n + 1.2, 5.6)
    levels = [0, 15, 30, 60, 90, 120, 180, 240, 360]
    cmap = colormaps["viridis"].resampled(len(levels))
    norm = BoundaryNorm(levels, cmap.N, extend="max")
    mesh = None
    top = 0.86 if banner else 0.9
    for k, (cls, raster) in enumerate(panels):
        ax = fig.add_axes((0.01 + k * (0.88 / n), 0.1, 0.86 / n, top - 0.12))
        px, py, vals = project_raster_extent(raster, frame.crs, frame.focus)
        mesh = ax.pcolormesh(px, py, vals, cmap=cmap, norm=norm, shading="flat", rasterized=True)
        terr = view(scenario.territory, frame, frame.focus)
        terr.boundary.plot(ax=ax, color="white", linewidth=0.8)
        terr.boundary.plot(ax=ax, color="black", linewidth=0.3)
        if len(scenario.roads):
            rv = view(scenario.roads, frame, frame.focus)
            if len(rv):
                rv.plot(ax=ax, color="#dddddd", linewidth=0.5)
        placer = LabelPlacer(ax)
        draw_settlements(ax, scenario, frame, frame.focus, labels=6, placer=placer)
        finish_map(ax, scenario, frame, frame.focus, placer)
        ax.set_title(f"{cls}", loc="left")
    if mesh is not None:
        cax = fig.add_axes((0.91, 0.15, 0.015, top - 0.25))
        cb = fig.colorbar(mesh, cax=cax)
        cb.set_label("minutes to the nearest " + target)
    fig.text(
        0.01,
        top + 0.02,
        f"{scenario.name}, regime '{regime}': travel time (minutes) to the nearest {target}; blank = no route",
        fontsize=9,
    )
    furnish(
        fig,
        banner=banner,
        footer=f"Units: minutes. Map projection: {frame.crs_text}; travel times computed by delimit.access on the scenario's roads and terrain. Sources: {sources_text(scenario, ('roads', 'crossings', 'settlements'))}.",
    )
    return save(fig, path)


def chokepoint_map(
    scenario: Scenario,
    frame: MapFrame,
    path: Path,
    *,
    rows: gpd.GeoDataFrame | Any,
    regime: str,
    banner: str,
    topology: Any = None,
) -> Path:
    """Chokepoints (roads/crossings whose loss hurts most): circles sized by person-hours added."""
    fig, ax = map_figure(frame.focus, banner)
    handles = draw_territory(ax, scenario, frame, frame.focus)
    handles += draw_lines(ax, scenario, frame, bounds=frame.focus)
    placer = LabelPlacer(ax)
    draw_settlements(ax, scenario, frame, frame.focus, labels=8, placer=placer)
    if rows is not None and len(rows):
        lon = np.asarray(rows["lon"], dtype=float)
        lat = np.asarray(rows["lat"], dtype=float)
        g = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(frame.crs)
        hours = np.asarray(rows["person_hours_added"], dtype=float)
        hours = np.nan_to_num(hours, nan=0.0)
        size = 30 + 500 * np.sqrt(np.clip(hours, 0, None) / max(float(np.nanmax(hours)) if len(hours) else 1.0, 1e-9))
        ax.scatter(g.x, g.y, s=size, facecolor="none", edgecolor="black", linewidth=1.6, zorder=9)
        ranks = rows["rank"] if "rank" in rows else range(1, len(rows) + 1)
        for rank, p in zip(ranks, g, strict=True):  # ranks outrank every other label
            placer.add(
                f"#{int(rank)}", (p.x, p.y), 1000.0 - float(rank), force=True, fontsize=8, fontweight="bold", zorder=10
            )
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                color="none",
                markeredgecolor="black",
                markeredgewidth=1.6,
                ls="",
                markersize=10,
                label="chokepoint (area ~ person-hours added if lost; #rank)",
            )
        )
        b = frame.focus
        outside = [
            f"#{int(r)}" for r, p in zip(ranks, g, strict=True) if not (b[0] <= p.x <= b[2] and b[1] <= p.y <= b[3])
        ]
        if outside:  # every rank of the table is accounted for on the map
            handles.append(Line2D([], [], ls="", label=f"outside this map: {', '.join(outside)} (see the table)"))
    else:
        ax.text(
            0.5,
            0.5,
            "no chokepoint: no single road or crossing whose loss changes access",
            transform=ax.transAxes,
            ha="center",
            fontsize=9,
        )
    finish_map(ax, scenario, frame, frame.focus, placer)
    ax.set_title(f"{scenario.name}, regime '{regime}': chokepoints", loc="left")
    legend(fig, ax, handles)
    furnish(
        fig,
        banner=banner,
        footer=f"Units: person-hours added (population x extra travel time) and persons cut off if the road or crossing is lost. Map projection: {frame.crs_text}. Sources: {sources_text(scenario, ('roads', 'crossings', 'settlements'))}.",
    )
    return save(fig, path)


def full_bounds(scenarios: Sequence[Scenario], crs: CRS) -> Bounds:
    """Projected extent of the scenarios' windows (or territory)."""
    boxes = []
    for s in scenarios:
        layer = s.window if len(s.window) else s.territory
        if len(layer):
            boxes.append(layer.to_crs(crs).total_bounds)
    b = np.array(boxes)
    return (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max()))
