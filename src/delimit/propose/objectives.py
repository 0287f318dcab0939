"""Objectives of a proposal, computed from scratch on the parcel graph.

A proposal is an assignment of every node of a :class:`~delimit.propose.graph.ParcelGraph` to party
0 (A) or 1 (B). Its objectives:

* ``area_exchanged_km2``: land each party cedes (km^2, equal-area CRS);
* ``imbalance``: ``|AB - BA| / max(AB, BA)`` (dimensionless; 0 = equal areas each way; 1 = one-sided; 0 when
  nothing moves): :func:`delimit.impact.land.exchange_imbalance`, the definition ``compare`` uses too;
* ``people_moved``: people whose settlement changes country (sum of recorded populations);
* ``boundary_length_km``: length of the A-B line along the zone (metric CRS), and its change;
* ``turning_points``: vertices of that line where it turns by more than 1 degree;
* ``access_loss``: settlements that lose access to their regional centre (computed by the engine
  with :mod:`delimit.access`, when requested).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from delimit.impact.land import exchange_imbalance
from delimit.propose.graph import ParcelGraph

#: Minimum turn (degrees) that counts as a turning point.
TURN_DEG = 1.0


@dataclass(frozen=True)
class Weights:
    """Weights of the objective (lower is better): per person moved, per km of line added, per
    turning point (approximated in the chain by cut edges), per km^2 of net imbalance."""

    people: float = 1.0 / 100.0
    length_km: float = 1.0
    turning: float = 0.05
    imbalance_km2: float = 20.0

    def chain_vector(self) -> tuple[float, float, float, float]:
        """The chain's weights in its units (persons, metres, cut edges, m^2)."""
        return (self.people, self.length_km / 1000.0, self.turning, self.imbalance_km2 / 1e6)


def exchange(graph: ParcelGraph, assign: np.ndarray) -> tuple[float, float]:
    """Area (m^2) moved A->B and B->A."""
    moved = assign != graph.holder
    ab = float(graph.area_m2[moved & (graph.holder == 0)].sum())
    ba = float(graph.area_m2[moved & (graph.holder == 1)].sum())
    return ab, ba


def imbalance(ab: float, ba: float) -> float:
    """``|ab - ba| / max(ab, ba)``: :func:`delimit.impact.land.exchange_imbalance`, the one definition."""
    return exchange_imbalance(ab, ba)


def cut_mask(graph: ParcelGraph, assign: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cut flag per undirected edge index, edge lengths m) for the A-B line."""
    u, v, w, e = graph.edges()
    cut = np.zeros(len(graph.edge_geom), dtype=bool)
    lens = np.zeros(len(graph.edge_geom))
    cut[e] = assign[u] != assign[v]
    lens[e] = w
    return cut, lens


def turning_points(lines: list[BaseGeometry]) -> int:
    """Vertices where a set of line pieces, merged into lines, turns by more than :data:`TURN_DEG`."""
    if not lines:
        return 0
    merged = shapely.line_merge(shapely.union_all(shapely.set_precision(np.array(lines, dtype=object), 1e-9)))
    count = 0
    for line in shapely.get_parts(merged):
        xy = shapely.get_coordinates(line)
        if len(xy) < 3:
            continue
        d = np.diff(xy, axis=0)
        keep = np.hypot(d[:, 0], d[:, 1]) > 0
        d = d[keep]
        ang = np.degrees(np.arctan2(d[:, 1], d[:, 0]))
        turn = np.abs((np.diff(ang) + 180.0) % 360.0 - 180.0)
        count += int((turn > TURN_DEG).sum())
        if line.is_ring and len(d) > 1:
            t = abs((ang[0] - ang[-1] + 180.0) % 360.0 - 180.0)
            count += int(t > TURN_DEG)
    return count


def evaluate(graph: ParcelGraph, assign: np.ndarray, *, with_geometry: bool = True) -> dict[str, Any]:
    """The objectives of ``assign`` (see the module doc), JSON-ready."""
    a, b = graph.parties
    ab, ba = exchange(graph, assign)
    moved = assign != graph.holder
    people = round(float(graph.population[moved].sum()))
    cut, lens = cut_mask(graph, assign)
    cut0, _ = cut_mask(graph, graph.holder)
    out: dict[str, Any] = {
        "area_exchanged_km2": {a: ab / 1e6, b: ba / 1e6},
        "imbalance": imbalance(ab, ba),
        "people_moved": people,
        "parcels_moved": int(moved[: graph.n_parcels].sum()),
        "boundary_length_km": float(lens[cut].sum()) / 1000.0,
        "boundary_length_change_km": float(lens[cut].sum() - lens[cut0].sum()) / 1000.0,
        "cut_edges": int(cut.sum()),
    }
    if with_geometry:
        out["turning_points"] = turning_points(list(graph.edge_geom[cut]))
    return out


def score(metrics: dict[str, Any], weights: Weights, base_cut_edges: int = 0) -> float:
    """Weighted objective of evaluated metrics (lower is better), as the chain and the exact model
    minimise it: turning points are counted by their graph proxy, the cut edges."""
    ex = metrics["area_exchanged_km2"]
    assert isinstance(ex, dict)
    vals = list(ex.values())
    net: float = abs(vals[0] - vals[1])
    return (
        weights.people * float(metrics["people_moved"])
        + weights.length_km * float(metrics["boundary_length_change_km"])
        + weights.turning * (float(metrics["cut_edges"]) - base_cut_edges)
        + weights.imbalance_km2 * net
    )
