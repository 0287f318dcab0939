"""Report charts: population by travel-time band under each regime, land balance per party."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from delimit.report.figures import furnish, new_figure, save

#: Travel-time bands (minutes, upper bounds) for the population chart; the last band is open-ended.
BANDS_MIN: tuple[float, ...] = (30.0, 60.0, 120.0, 240.0)


def band_labels(bands: Sequence[float] = BANDS_MIN) -> list[str]:
    """['< 30 min', '30-60 min', ..., '>= 240 min', 'cut off', 'not modelled'].

    'cut off': a route to the target exists in the model but not under this regime; 'not
    modelled': the settlement is off the modelled network or has no target of its kind (the
    access engine's ``note``), so the chart says nothing about its access.
    """
    out = [f"< {bands[0]:g} min"]
    out += [f"{a:g}-{b:g} min" for a, b in itertools.pairwise(bands)]
    out += [f">= {bands[-1]:g} min", CUT_OFF, NOT_MODELLED]
    return out


CUT_OFF = "cut off"
NOT_MODELLED = "not modelled\n(off network or no target)"


def population_by_band(rows: pd.DataFrame, bands: Sequence[float] = BANDS_MIN) -> pd.Series:
    """Persons per travel-time band from rows with ``population, minutes, reachable``."""
    labels = band_labels(bands)
    out = pd.Series(0.0, index=labels)
    if not len(rows):
        return out
    pop = rows["population"].fillna(0).astype(float).to_numpy()
    mins = rows["minutes"].astype(float).to_numpy()
    reach = rows["reachable"].astype(bool).to_numpy() & np.isfinite(mins)
    note = rows["note"].astype(str).to_numpy() if "note" in rows.columns else np.full(len(rows), "")
    unmodelled = ~reach & np.array([n.startswith(("off", "no ")) for n in note], dtype=bool)
    out[NOT_MODELLED] = float(pop[unmodelled].sum())
    out[CUT_OFF] = float(pop[~reach & ~unmodelled].sum())
    edges = [0.0, *bands, np.inf]
    for k in range(len(edges) - 1):
        sel = reach & (mins >= edges[k]) & (mins < edges[k + 1])
        out[labels[k]] = float(pop[sel].sum())
    return out


def band_chart(per_regime: Mapping[str, pd.Series], path: Path, *, title: str, banner: str, footer: str) -> Path:
    """Stacked horizontal bars: persons per travel-time band, one bar per regime."""
    from matplotlib import colormaps

    regimes = list(per_regime)
    labels = band_labels()
    colours = [
        *colormaps["viridis"](np.linspace(0.05, 0.95, len(labels) - 2)),
        (0.35, 0.35, 0.35, 1.0),
        (0.88, 0.88, 0.88, 1.0),
    ]
    fig = new_figure(9.5, 1.9 + 0.45 * max(1, len(regimes)))
    top = 0.72 if banner else 0.8
    ax = fig.add_axes((0.17, 0.3, 0.55, top - 0.3))
    left = np.zeros(len(regimes))
    for k, lab in enumerate(labels):
        vals = np.array([float(per_regime[r].get(lab, 0.0)) for r in regimes])
        ax.barh(
            regimes,
            vals,
            left=left,
            color=colours[k],
            edgecolor="white",
            linewidth=0.5,
            label=lab,
            hatch="///" if lab == CUT_OFF else None,
        )
        left += vals
    ax.set_xlabel("persons (settlement population)")
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{x:,.0f}")
    ax.invert_yaxis()
    ax.set_title(title, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    furnish(fig, banner=banner, footer=footer, width_chars=150)
    return save(fig, path)


def balance_chart(
    balance: pd.DataFrame, colours: Mapping[str, str], path: Path, *, title: str, banner: str, footer: str
) -> Path:
    """Bars of each party's net land change (km²): a balanced swap shows bars summing to zero."""
    fig = new_figure(6.5, 2.6)
    top = 0.72 if banner else 0.82
    ax = fig.add_axes((0.14, 0.25, 0.8, top - 0.25))
    parties = balance["party"].astype(str).tolist()
    vals = balance["net_km2"].astype(float).to_numpy()
    ax.bar(parties, vals, color=[colours.get(p, "#cccccc") for p in parties], edgecolor="black", linewidth=0.6)
    ax.axhline(0, color="black", lw=0.6)
    for x, v in enumerate(vals):
        ax.annotate(f"{v:+,.2f}", (x, v), ha="center", va="bottom" if v >= 0 else "top", fontsize=7)
    ax.set_ylabel("net land change (km²)")
    ax.set_title(title, loc="left")
    furnish(fig, banner=banner, footer=footer, width_chars=110)
    return save(fig, path)
