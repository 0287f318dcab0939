"""The parcel graph: parcels of the zone plus the fixed land around it, with shared-boundary lengths.

Nodes ``0..n-1`` are parcels (pieces of the zone, each held by one of the two parties now);
nodes ``n..n+k-1`` are *anchors*: the parts of each party's territory outside the zone (and, when a
whole enclave lies inside the zone, that enclave's largest parcel, pinned). Anchors never change
hands. Edges join nodes whose boundaries share a line (point contacts do not count), weighted by
the shared length in metres (measured in the UTM zone of the data, :func:`delimit.crs.metric_crs`).

A party's territory "stays whole" when every component of its nodes holds an anchor and anchors
that were joined in the status quo stay joined (``anchor_group``): no new exclave is created and
no existing link is cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry.base import BaseGeometry

from delimit.crs import WGS84, crs_description, equal_area_crs, metric_crs

#: Buffer (degrees, ~1 cm) used to detect shared boundaries robustly to floating-point noise.
EPS_DEG = 1e-7
#: Shared boundaries shorter than this (metres) are point contacts, not adjacency.
MIN_SHARED_M = 1.0


@dataclass
class ParcelGraph:
    """Parcels, anchors and their adjacency (CSR), ready for the exact model and the chain.

    Attributes
    ----------
    parties: the two parties ``(A, B)``; party index 0 is A, 1 is B.
    parcels: one row per parcel (WGS84): ``parcel_id, party, cell, area_km2, population,
        settlements, max_settlement_pop, road_ids, road_km, river_km, geometry``.
    anchors: one row per anchor (WGS84): ``anchor_id, party, kind ('outside'|'enclave-in-zone'), geometry``.
    holder: party index (0/1) of every node now, length ``n + k``.
    area_m2, population: per node (anchors 0), in m^2 (equal-area CRS) and persons.
    indptr, indices, edge_len_m: symmetric CSR adjacency over all nodes.
    is_anchor: per node; anchors are fixed.
    anchor_group: per node, the status-quo component id of an anchor (-1 for parcels).
    cell_geometry: per parcel, its cell clipped to the zone (WGS84): used to write transfers so that
        moved land is cut along cell edges, not along the old line.
    edge_geom: per undirected edge, the shared boundary line (WGS84); ``edge_id`` maps each CSR
        entry to its undirected edge.
    area_crs, length_crs: the CRSs areas and lengths were measured in.
    """

    parties: tuple[str, str]
    parcels: gpd.GeoDataFrame
    anchors: gpd.GeoDataFrame
    holder: np.ndarray
    area_m2: np.ndarray
    population: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    edge_len_m: np.ndarray
    is_anchor: np.ndarray
    anchor_group: np.ndarray
    cell_geometry: np.ndarray
    edge_geom: np.ndarray
    edge_id: np.ndarray
    zone: BaseGeometry
    area_crs: CRS
    length_crs: CRS
    notes: list[str] = field(default_factory=list)

    @property
    def n_parcels(self) -> int:
        return len(self.parcels)

    @property
    def n_nodes(self) -> int:
        return len(self.holder)

    def crs_info(self) -> dict[str, str]:
        return {"areas": crs_description(self.area_crs), "lengths": crs_description(self.length_crs)}

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Undirected edges ``(u, v, length_m, edge index)`` with ``u < v``."""
        deg = np.diff(self.indptr)
        src = np.repeat(np.arange(len(deg)), deg)
        keep = src < self.indices
        return src[keep], self.indices[keep], self.edge_len_m[keep], self.edge_id[keep]

    def neighbours(self, v: int) -> np.ndarray:
        return self.indices[self.indptr[v] : self.indptr[v + 1]]


def csr_from_edges(
    n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, *, with_ids: bool = False
) -> tuple[np.ndarray, ...]:
    """Symmetric CSR arrays (indptr int64, indices int64, weights float64) from undirected edges.

    With ``with_ids`` also the index of the undirected edge behind every CSR entry.
    """
    m = len(u)
    uu = np.concatenate([u, v]).astype(np.int64)
    vv = np.concatenate([v, u]).astype(np.int64)
    ww = np.concatenate([w, w]).astype(np.float64)
    ids = np.concatenate([np.arange(m), np.arange(m)]).astype(np.int64)
    order = np.lexsort((vv, uu))
    uu, vv, ww, ids = uu[order], vv[order], ww[order], ids[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, uu + 1, 1)
    if with_ids:
        return np.cumsum(indptr), vv, ww, ids
    return np.cumsum(indptr), vv, ww


def merge_edges(
    n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, g: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merge duplicate undirected edges (summing lengths, joining lines); drop self-loops."""
    keep = u != v
    u, v, w, g = u[keep], v[keep], w[keep], g[keep]
    key = np.minimum(u, v).astype(np.int64) * (n + 1) + np.maximum(u, v)
    uniq, inv = np.unique(key, return_inverse=True)
    wsum = np.zeros(len(uniq))
    np.add.at(wsum, inv, w)
    geoms = np.empty(len(uniq), dtype=object)
    counts = np.bincount(inv, minlength=len(uniq))
    first = np.full(len(uniq), -1)
    for i, k in enumerate(inv):
        if first[k] < 0:
            first[k] = i
    for k in range(len(uniq)):
        if counts[k] == 1:
            geoms[k] = g[first[k]]
    for k in np.flatnonzero(counts > 1):
        geoms[k] = shapely.union_all(g[inv == k])
    return uniq // (n + 1), uniq % (n + 1), wsum, geoms


def shared_boundaries(
    geoms_a: np.ndarray, geoms_b: np.ndarray | None, length_crs: CRS
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``(i, j, metres)`` of polygons sharing a boundary line (WGS84 inputs).

    With ``geoms_b`` None, pairs within ``geoms_a`` (``i < j``); otherwise ``i`` indexes ``geoms_a``
    and ``j`` indexes ``geoms_b``. The shared line is the part of ``i``'s boundary within ~1 cm of
    ``j`` (robust to floating-point noise of separate overlays), measured in ``length_crs``; also
    returned (fourth item) as the exact shared line where the two boundaries coincide, else that part.
    """
    other = geoms_a if geoms_b is None else geoms_b
    tree = shapely.STRtree(other)
    ia, jb = tree.query(geoms_a, predicate="dwithin", distance=EPS_DEG)
    if geoms_b is None:
        keep = ia < jb
        ia, jb = ia[keep], jb[keep]
    if len(ia) == 0:
        return ia, jb, np.zeros(0), np.zeros(0, dtype=object)
    fat = shapely.buffer(other, EPS_DEG, quad_segs=1)
    shared = shapely.intersection(shapely.boundary(geoms_a[ia]), fat[jb])
    lengths = gpd.GeoSeries(shared, crs=WGS84).to_crs(length_crs).length.to_numpy()
    keep = lengths > MIN_SHARED_M
    ia, jb, lengths, shared = ia[keep], jb[keep], lengths[keep], shared[keep]
    exact = shapely.line_merge(shapely.intersection(shapely.boundary(geoms_a[ia]), shapely.boundary(other[jb])))
    good = shapely.length(exact) >= 0.999 * shapely.length(shared)
    lines = np.where(good, exact, shared)
    return ia, jb, lengths, lines


def build_graph(
    parties: tuple[str, str],
    parcels: gpd.GeoDataFrame,
    anchors: gpd.GeoDataFrame,
    cell_geometry: np.ndarray,
    zone: BaseGeometry,
) -> ParcelGraph:
    """Build the :class:`ParcelGraph` from parcels (``party`` column) and anchors (WGS84).

    ``parcels`` must already carry ``area_km2`` and ``population``. Anchors that touch no parcel are
    dropped. Whole enclaves inside the zone (a status-quo component with no anchor) get their
    largest parcel promoted to an anchor so that they are neither lost nor grown into new exclaves.
    """
    area_crs = equal_area_crs(zone)
    length_crs = metric_crs(zone)
    n = len(parcels)
    pgeo = parcels.geometry.to_numpy()
    pi, pj, plen, pgeom = shared_boundaries(pgeo, None, length_crs)
    anchors = anchors.reset_index(drop=True)
    if len(anchors):
        ai, aj, alen, ageom = shared_boundaries(pgeo, anchors.geometry.to_numpy(), length_crs)
        used = np.unique(aj)
        anchors = anchors.iloc[used].reset_index(drop=True)
        remap = np.full(int(aj.max()) + 1 if len(aj) else 0, -1)
        remap[used] = np.arange(len(used))
        aj = remap[aj]
    else:
        ai = aj = np.zeros(0, dtype=np.int64)
        alen = np.zeros(0)
        ageom = np.zeros(0, dtype=object)
    k = len(anchors)
    party_index = {p: i for i, p in enumerate(parties)}
    holder = np.concatenate(
        [parcels["party"].map(party_index).to_numpy(), anchors["party"].map(party_index).to_numpy()]
    ).astype(np.int8)
    u = np.concatenate([pi, ai]).astype(np.int64)
    v = np.concatenate([pj, aj + n]).astype(np.int64)
    w = np.concatenate([plen, alen])
    g = np.concatenate([pgeom, ageom])
    # merge duplicate pairs (a parcel touching several tiles of one anchor)
    u, v, w, g = merge_edges(n + k, u, v, w, g)
    is_anchor = np.zeros(n + k, dtype=bool)
    is_anchor[n:] = True
    notes: list[str] = []
    # status-quo components per party: find those without an anchor
    same = holder[u] == holder[v]
    adj = coo_matrix((np.ones(int(same.sum())), (u[same], v[same])), shape=(n + k, n + k))
    _, labels = connected_components(adj, directed=False)
    comp_has_anchor = np.zeros(labels.max() + 1, dtype=bool)
    comp_has_anchor[labels[is_anchor]] = True
    area = np.concatenate([parcels["area_km2"].to_numpy() * 1e6, np.zeros(k)])
    for c in np.flatnonzero(~comp_has_anchor):
        members = np.flatnonzero(labels == c)
        big = members[np.argmax(area[members])]
        is_anchor[big] = True
        notes.append(
            f"parcel {parcels['parcel_id'].iloc[big]} anchors a {parties[holder[big]]} piece lying wholly inside the zone"
        )
    anchor_group = np.where(is_anchor, labels, -1).astype(np.int64)
    indptr, indices, lens, eid = csr_from_edges(n + k, u, v, w, with_ids=True)
    population = np.concatenate([parcels["population"].to_numpy(dtype=np.float64), np.zeros(k)])
    return ParcelGraph(
        parties=parties,
        parcels=parcels.reset_index(drop=True),
        anchors=anchors,
        holder=holder,
        area_m2=area,
        population=population,
        indptr=indptr,
        indices=indices,
        edge_len_m=lens,
        is_anchor=is_anchor,
        anchor_group=anchor_group,
        cell_geometry=np.asarray(cell_geometry, dtype=object),
        edge_geom=g,
        edge_id=eid,
        zone=zone,
        area_crs=area_crs,
        length_crs=length_crs,
        notes=notes,
    )
