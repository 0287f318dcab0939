"""Shared figure furniture: the hand-made-data banner, the units/CRS/sources footer, PNG output.

Every figure of a report is self-describing: a PNG lifted out of the report still states its
units, map projection and data sources in its footer, and, if any of its data is schematic or
illustrative, says so in a banner across its top.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from delimit.io.atomic import atomic_path
from delimit.model.scenario import Scenario

#: Resolution of report PNGs (dots per inch): modest, so the demo stays fast and the folder small.
DPI = 110

plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 8, "axes.titlesize": 9, "svg.fonttype": "none"})


def marks_text(marks: Mapping[str, Iterable[str]]) -> str:
    """'territory: illustrative; roads: schematic' from a data-marks mapping ('' if none)."""
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in marks.items() if list(v))


def banner_text(marks: Mapping[str, Iterable[str]]) -> str:
    """The banner for figures and tables built on hand-made data ('' if none is used)."""
    t = marks_text(marks)
    return f"BUILT ON HAND-MADE DATA - {t}" if t else ""


def sources_text(scenario: Scenario, layers: Iterable[str]) -> str:
    """Short list of data sources of ``layers`` (at most two per layer; more are counted)."""
    parts = []
    for name in layers:
        gdf = scenario.layer(name)
        if "source" not in gdf.columns or not len(gdf):
            continue
        srcs = sorted({str(s) for s in gdf["source"].unique() if str(s)})
        if not srcs:
            continue
        if len(srcs) <= 2:
            parts.append(f"{name}: {' | '.join(srcs)}")
        else:
            parts.append(f"{name}: {len(srcs)} sources (listed in the report's Sources section)")
    return "; ".join(parts)


def new_figure(width_in: float, height_in: float) -> Figure:
    """A figure outside pyplot's state machine, on an Agg canvas that draws only when saved.

    geopandas' ``plot`` ends with ``canvas.draw_idle()``, which on a plain Agg canvas renders the whole
    figure: once per layer, most of a report's drawing time. :class:`_SaveOnlyCanvas` ignores it.
    """
    fig = Figure(figsize=(width_in, height_in), dpi=DPI)
    _SaveOnlyCanvas(fig)
    return fig


def _save_only_canvas() -> type:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    class SaveOnlyCanvas(FigureCanvasAgg):
        """An Agg canvas whose ``draw_idle`` does nothing (``savefig`` and ``get_renderer`` still draw)."""

        def draw_idle(self, *args: object, **kwargs: object) -> None:
            return None

    return SaveOnlyCanvas


_SaveOnlyCanvas = _save_only_canvas()


def furnish(fig: Figure, *, banner: str, footer: str, width_chars: int = 170) -> None:
    """Draw the banner (yellow box, top) and the footer (units, CRS, sources; bottom) on ``fig``."""
    if banner:
        fig.text(
            0.5,
            0.995,
            textwrap.fill(banner, width_chars),
            ha="center",
            va="top",
            fontsize=8.5,
            fontweight="bold",
            bbox={"boxstyle": "square,pad=0.4", "facecolor": "#FFF3B0", "edgecolor": "#8A6D00"},
        )
    if footer:
        fig.text(
            0.01, 0.005, textwrap.fill(footer, width_chars + 20), ha="left", va="bottom", fontsize=6.3, color="#333333"
        )


#: zlib level of report PNGs: 3 compresses an opaque RGB figure to within ~5 % of level 6 in half the time.
PNG_COMPRESS_LEVEL = 3


def save(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as PNG to ``path`` (atomically) and close it.

    The figure is drawn once on its Agg canvas (at :data:`DPI`, the figure's own) and written as RGB:
    every report figure has an opaque white background, so the alpha channel ``savefig`` would write
    is 255 everywhere; dropping it gives the same pixels in a smaller file, encoded faster.
    """
    import numpy as np
    from matplotlib.colors import to_rgba
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    if to_rgba(fig.get_facecolor())[3] < 1.0:  # a see-through figure keeps its alpha channel
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=DPI)
        fig.clear()
        return path
    if fig.dpi != DPI:
        fig.set_dpi(DPI)
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())  # type: ignore[attr-defined]  # Agg canvases have it
    info = PngInfo()
    info.add_text("Software", f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/")
    with atomic_path(path) as tmp:
        Image.fromarray(np.ascontiguousarray(rgba[..., :3])).save(
            tmp, format="png", pnginfo=info, dpi=(DPI, DPI), compress_level=PNG_COMPRESS_LEVEL
        )
    fig.clear()
    return path
