"""An independent checker of proposals: a separate code path from the generators' bookkeeping.

The chain and the exact model keep their own incremental statistics on a CSR graph. This checker
recomputes everything from the geometry instead: adjacency from the overlap of slightly widened
polygons (shapely), components with networkx, areas by reprojecting the parcels. Every proposal
the engine returns must pass it; tests compare it against the generators.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

from delimit.impact.land import exchange_imbalance, is_balanced_exchange
from delimit.propose.graph import EPS_DEG, ParcelGraph

#: Overlap (in units of EPS_DEG^2) above which widened polygons share a line (~0.5 m or more), not a point.
_LINE_OVERLAP = 100.0


class IndependentChecker:
    """Checks assignments of one parcel graph against the graph-level constraints."""

    def __init__(self, graph: ParcelGraph) -> None:
        self.graph = graph
        n = graph.n_parcels
        parcels = graph.parcels.geometry.to_numpy()
        anchors = graph.anchors.geometry.to_numpy()
        geoms = np.concatenate([parcels, anchors])
        self.n_nodes = len(geoms)
        fat = shapely.buffer(parcels, EPS_DEG, quad_segs=2)
        tree = shapely.STRtree(fat)
        i, j = tree.query(fat, predicate="intersects")
        keep = i < j
        i, j = i[keep], j[keep]
        # parcels: widened polygons overlap along a shared line (~2 eps L), barely at a point (~eps^2)
        overlap = shapely.area(shapely.intersection(fat[i], fat[j]))
        line = overlap > _LINE_OVERLAP * EPS_DEG**2
        self.nx = nx.Graph()
        self.nx.add_nodes_from(range(len(geoms)))
        self.nx.add_edges_from(zip(i[line].tolist(), j[line].tolist(), strict=True))
        # parcel-anchor: a widened parcel reaches ~eps into the anchor along a shared line
        for k, anchor in enumerate(anchors):
            shapely.prepare(anchor)
            hit = np.flatnonzero(shapely.intersects(anchor, fat))
            if len(hit):
                pieces = shapely.area(shapely.intersection(anchor, fat[hit]))
                for p in hit[pieces > 0.5 * _LINE_OVERLAP * EPS_DEG**2].tolist():
                    self.nx.add_edge(p, len(parcels) + k)
        # anchors: outside land, plus parcels the graph promoted (whole enclaves inside the zone)
        self.anchor = np.zeros(len(geoms), dtype=bool)
        self.anchor[n:] = True
        self.anchor[:n] = graph.is_anchor[:n]
        area_crs = graph.area_crs
        self.area_m2 = np.concatenate(
            [
                gpd.GeoSeries(graph.parcels.geometry.values, crs=4326).to_crs(area_crs).area.to_numpy(),
                np.zeros(len(geoms) - n),
            ]
        )
        self.holder = graph.holder.astype(int)
        self.groups = self._anchor_groups(self.holder)

    def _components(self, assign: np.ndarray, p: int) -> list[set[int]]:
        nodes = [v for v in range(self.n_nodes) if assign[v] == p]
        return [set(c) for c in nx.connected_components(self.nx.subgraph(nodes))]

    def _anchor_groups(self, assign: np.ndarray) -> list[set[int]]:
        groups = []
        for p in (0, 1):
            for comp in self._components(assign, p):
                anchors = {v for v in comp if self.anchor[v]}
                if len(anchors) > 1:
                    groups.append(anchors)
        return groups

    def violations(
        self,
        assign: np.ndarray,
        *,
        balance: float | None = None,
        pins: np.ndarray | None = None,
        check_party: tuple[bool, bool] = (True, True),
        require_exchange: bool = True,
        min_exchange_m2: float = 0.0,
    ) -> list[str]:
        """Constraint violations of ``assign`` (empty list: it passes)."""
        g = self.graph
        out: list[str] = []
        assign = np.asarray(assign).astype(int)
        if (
            assign[self.anchor & (np.arange(self.n_nodes) >= g.n_parcels)]
            != self.holder[self.anchor & (np.arange(self.n_nodes) >= g.n_parcels)]
        ).any():
            out.append("land outside the zone changes hands")
        for p in (0, 1):
            if not check_party[p]:
                continue
            comps = self._components(assign, p)
            for comp in comps:
                if not any(self.anchor[v] for v in comp):
                    out.append(f"connected: {g.parties[p]} gets a new exclave of {len(comp)} parcel(s)")
            labels = {}
            for k, comp in enumerate(comps):
                for v in comp:
                    labels[v] = k
            for grp in self.groups:
                if self.holder[next(iter(grp))] == p and len({labels.get(v, -1) for v in grp}) > 1:
                    out.append(f"connected: a link between parts of {g.parties[p]} is cut")
        moved = assign != self.holder
        ab = float(self.area_m2[moved & (self.holder == 0)].sum())
        ba = float(self.area_m2[moved & (self.holder == 1)].sum())
        if require_exchange and (ab <= min_exchange_m2 * (1 - 1e-6) or ba <= min_exchange_m2 * (1 - 1e-6)):
            out.append(f"exchange: land does not move both ways (more than {min_exchange_m2 / 1e6:g} km2 each)")
        if balance is not None and not is_balanced_exchange(ab, ba, balance):
            out.append(f"balance: imbalance {exchange_imbalance(ab, ba):.4f} exceeds {balance}")
        if pins is not None:
            bad = np.flatnonzero((pins >= 0) & (pins != assign[: len(pins)]))
            for i in bad[:5]:
                out.append(f"pinned: parcel {g.parcels['parcel_id'].iloc[i]} must stay with {g.parties[pins[i]]}")
        return out
