"""Shortest-path kernels (numba): multi-source Dijkstra on a CSR graph and on an 8-connected raster.

Both kernels use an *indexed binary heap* keyed on exact float64 costs (no rounding: results equal
an exact Dijkstra - networkx, scipy, scikit-image - within float round-off). They are written for
the access engine's needs:

* **multi-source with offsets**: every source starts at its own initial cost (e.g. the walk from a
  target's point to the node it is attached to) and the kernel records, for every node, which
  source reached it first (``origin``), so one run gives each node its *nearest* target;
* **masking instead of rebuilding**: each arc has a base cost and an optional *group*; the cost of
  an arc is ``base[a] + group_add[group[a]]`` (``group[a] < 0``: just ``base[a]``), and an infinite
  ``group_add`` closes every arc of the group. Regimes, traveller classes and closures only change
  the small ``group_add`` array and a node mask, never the CSR;
* **path metres and predecessor arcs** are carried along, so distances in km and shortest-path
  trees (for chokepoints) come from the same run.

Raster convention (identical to ``skimage.graph.MCP_Geometric``): the cost of a move between two
8-neighbour cells is the mean of their costs times the step length (``dx``, ``dy`` or the
diagonal); cells with a non-finite or negative cost are impassable; sources start at their offset.

>>> import numpy as np
>>> indptr = np.array([0, 1, 3, 4]); indices = np.array([1, 0, 2, 1]); base = np.array([2.0, 2.0, 3.0, 3.0])
>>> d, m, o, p = dijkstra_csr(indptr, indices, base, base, np.full(4, -1), np.zeros(0), np.zeros(3, np.bool_),
...                           np.array([0]), np.array([0.0]))
>>> d.tolist(), o.tolist()
([0.0, 2.0, 5.0], [0, 0, 0])
"""

from __future__ import annotations

import math

import numba
import numpy as np

INF = math.inf


@numba.njit(cache=True, inline="always")
def _sift_up(heap: np.ndarray, pos: np.ndarray, key: np.ndarray, i: int) -> None:
    node = heap[i]
    k = key[node]
    while i > 0:
        parent = (i - 1) >> 1
        pn = heap[parent]
        if key[pn] <= k:
            break
        heap[i] = pn
        pos[pn] = i
        i = parent
    heap[i] = node
    pos[node] = i


@numba.njit(cache=True, inline="always")
def _sift_down(heap: np.ndarray, pos: np.ndarray, key: np.ndarray, size: int) -> None:
    i = 0
    node = heap[0]
    k = key[node]
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        cn = heap[c]
        ck = key[cn]
        if c + 1 < size:
            c2 = heap[c + 1]
            k2 = key[c2]
            if k2 < ck:
                c = c + 1
                cn = c2
                ck = k2
        if ck >= k:
            break
        heap[i] = cn
        pos[cn] = i
        i = c
    heap[i] = node
    pos[node] = i


@numba.njit(cache=True)
def dijkstra_csr(
    indptr: np.ndarray,
    indices: np.ndarray,
    base: np.ndarray,
    length: np.ndarray,
    group: np.ndarray,
    group_add: np.ndarray,
    blocked: np.ndarray,
    sources: np.ndarray,
    offsets: np.ndarray,
    limit: float = INF,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Multi-source Dijkstra on a CSR graph.

    Parameters
    ----------
    indptr, indices: CSR structure (arcs of node ``u`` are ``indptr[u]:indptr[u+1]``, heads ``indices``).
    base: arc base cost (seconds in the engine; any non-negative unit here).
    length: arc length (metres), summed along the chosen path.
    group: arc group (``-1`` for none); the arc cost is ``base + group_add[group]``.
    group_add: additive cost per group (``inf`` closes the group).
    blocked: node mask; blocked nodes are never entered (a blocked source is skipped).
    sources, offsets: source nodes and their initial costs.
    limit: stop once the smallest tentative cost exceeds it.

    Returns
    -------
    dist, metres, origin, pred_arc:
        cost to every node (``inf`` when unreachable), path length, index into ``sources`` of the
        source that reached it (-1 none), and the arc by which it was reached (-1 for sources).
    """
    n = indptr.shape[0] - 1
    dist = np.full(n, INF)
    metres = np.full(n, INF)
    origin = np.full(n, -1, np.int32)
    pred = np.full(n, -1, np.int64)
    pos = np.full(n, -1, np.int64)  # -1 never queued, -2 settled, else heap index
    heap = np.empty(n, np.int64)
    size = 0
    for s in range(sources.shape[0]):
        u = sources[s]
        if blocked[u]:
            continue
        d0 = offsets[s]
        if d0 < dist[u]:
            dist[u] = d0
            metres[u] = 0.0
            origin[u] = s
            if pos[u] < 0:
                heap[size] = u
                pos[u] = size
                size += 1
            _sift_up(heap, pos, dist, pos[u])
    # metres start at 0 at the attached node; callers add the offset metres per source
    while size > 0:
        u = heap[0]
        size -= 1
        pos[u] = -2
        if size > 0:
            heap[0] = heap[size]
            pos[heap[0]] = 0
            _sift_down(heap, pos, dist, size)
        du = dist[u]
        if du > limit:
            dist[u] = INF
            metres[u] = INF
            origin[u] = -1
            pred[u] = -1
            # everything still queued is beyond the limit as well
            for i in range(size):
                v = heap[i]
                dist[v] = INF
                metres[v] = INF
                origin[v] = -1
                pred[v] = -1
            break
        for a in range(indptr[u], indptr[u + 1]):
            v = indices[a]
            if pos[v] == -2 or blocked[v]:
                continue
            g = group[a]
            w = base[a]
            if g >= 0:
                w = w + group_add[g]
            nd = du + w
            if nd < dist[v]:
                dist[v] = nd
                metres[v] = metres[u] + length[a]
                origin[v] = origin[u]
                pred[v] = a
                if pos[v] < 0:
                    heap[size] = v
                    pos[v] = size
                    size += 1
                _sift_up(heap, pos, dist, pos[v])
    return dist, metres, origin, pred


@numba.njit(cache=True)
def dijkstra_grid(
    cost: np.ndarray,
    dy: float,
    dx: float,
    src_rows: np.ndarray,
    src_cols: np.ndarray,
    offsets: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Multi-source Dijkstra on an 8-connected raster with the ``MCP_Geometric`` cost convention.

    Parameters
    ----------
    cost: 2-D cost per unit distance (e.g. seconds per metre); non-finite or negative = impassable.
    dy, dx: cell height and width (same unit as the distance in ``cost``).
    src_rows, src_cols, offsets: source cells and their initial cumulative costs.

    Returns
    -------
    cum, origin: cumulative cost per cell (``inf`` unreachable) and index of the source reaching it.
    """
    nr, nc = cost.shape
    n = nr * nc
    flat = cost.ravel()
    dist = np.full(n, INF)
    origin = np.full(n, -1, np.int32)
    pos = np.full(n, -1, np.int64)
    heap = np.empty(n, np.int64)
    size = 0
    diag = math.sqrt(dx * dx + dy * dy)
    drs = np.array([-1, -1, -1, 0, 0, 1, 1, 1])
    dcs = np.array([-1, 0, 1, -1, 1, -1, 0, 1])
    steps = np.array([diag, dy, diag, dx, dx, diag, dy, diag]) * 0.5
    for s in range(src_rows.shape[0]):
        r = src_rows[s]
        c = src_cols[s]
        if r < 0 or r >= nr or c < 0 or c >= nc:
            continue
        u = r * nc + c
        cu = flat[u]
        if not (cu >= 0.0 and cu < INF):
            continue
        if offsets[s] < dist[u]:
            dist[u] = offsets[s]
            origin[u] = s
            if pos[u] < 0:
                heap[size] = u
                pos[u] = size
                size += 1
            _sift_up(heap, pos, dist, pos[u])
    while size > 0:
        u = heap[0]
        size -= 1
        pos[u] = -2
        if size > 0:
            heap[0] = heap[size]
            pos[heap[0]] = 0
            _sift_down(heap, pos, dist, size)
        du = dist[u]
        r = u // nc
        c = u - r * nc
        cu = flat[u]
        for k in range(8):
            rr = r + drs[k]
            cc = c + dcs[k]
            if rr < 0 or rr >= nr or cc < 0 or cc >= nc:
                continue
            v = rr * nc + cc
            if pos[v] == -2:
                continue
            cv = flat[v]
            if not (cv >= 0.0 and cv < INF):
                continue
            nd = du + (cu + cv) * steps[k]
            if nd < dist[v]:
                dist[v] = nd
                origin[v] = origin[u]
                if pos[v] < 0:
                    heap[size] = v
                    pos[v] = size
                    size += 1
                _sift_up(heap, pos, dist, pos[v])
    return dist.reshape(nr, nc), origin.reshape(nr, nc)


def csr_from_arcs(n: int, tails: np.ndarray, heads: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], np.ndarray]:
    """Sort arcs by tail into CSR: ``(indptr, indices, [columns reordered], order)``.

    ``order`` maps CSR arc positions back to the input arc order (stable).

    >>> ip, ix, cols, order = csr_from_arcs(3, np.array([2, 0, 0]), np.array([0, 1, 2]), np.array([5., 6., 7.]))
    >>> ip.tolist(), ix.tolist(), cols[0].tolist()
    ([0, 2, 2, 3], [1, 2, 0], [6.0, 7.0, 5.0])
    """
    tails = np.asarray(tails, dtype=np.int64)
    order = np.argsort(tails, kind="stable")
    counts = np.bincount(tails, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.asarray(heads, dtype=np.int64)[order]
    return indptr, indices, [np.asarray(c)[order] for c in columns], order


# --------------------------------------------------------------------------------------------
# Bucket (delta-stepping) kernels: exact, faster than a heap on road graphs and rasters.
#
# Nodes are kept in circular buckets of width ``delta``: bucket ``floor(d / delta)``. The lowest
# non-empty bucket is emptied node by node, relaxing every arc; a node improved into the current
# bucket is processed again (label-correcting within the bucket). When ``delta`` is at most the
# smallest positive arc cost no node is ever processed twice except across zero-cost arcs, and
# when the bucket is empty every node in it holds its final cost. Keys are exact float64 costs:
# nothing is rounded, so results equal a heap Dijkstra's up to float round-off. The circular array
# holds ``nb > max_arc / delta + 1`` buckets so that pending keys never wrap onto each other;
# ``delta`` is raised (at the price of a few re-relaxations, never of exactness) when the ratio of
# the largest to the smallest arc would need more than ``MAX_BUCKETS`` buckets.
# --------------------------------------------------------------------------------------------

MAX_BUCKETS = 1 << 20


def bucket_width(min_positive: float, max_arc: float, max_buckets: int = MAX_BUCKETS) -> tuple[float, int]:
    """``(delta, n_buckets)`` for the bucket kernels given the smallest positive and largest finite arc cost.

    >>> bucket_width(1.0, 100.0)
    (1.0, 102)
    """
    if not (max_arc > 0.0) or not math.isfinite(max_arc):
        return 1.0, 2
    delta = min_positive if (min_positive > 0.0 and math.isfinite(min_positive)) else max_arc
    delta = max(delta, max_arc / (max_buckets - 2))
    nb = int(math.floor(max_arc / delta)) + 2
    return float(delta), nb


@numba.njit(cache=True)
def _grow(pool_node: np.ndarray, pool_next: np.ndarray, used: int) -> tuple[np.ndarray, np.ndarray]:
    cap = pool_node.shape[0] * 2
    a = np.empty(cap, np.int64)
    b = np.empty(cap, np.int64)
    a[:used] = pool_node[:used]
    b[:used] = pool_next[:used]
    return a, b


@numba.njit(cache=True)
def bucket_csr(
    indptr: np.ndarray,
    indices: np.ndarray,
    base: np.ndarray,
    length: np.ndarray,
    group: np.ndarray,
    group_add: np.ndarray,
    blocked: np.ndarray,
    sources: np.ndarray,
    offsets: np.ndarray,
    delta: float,
    nb: int,
    limit: float = INF,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Multi-source exact shortest paths on a CSR graph with a circular bucket queue.

    Same parameters and results as :func:`dijkstra_csr`, plus ``delta`` and ``nb`` from
    :func:`bucket_width` computed over the *effective* finite arc costs. Buckets are singly
    linked stacks in a recycled entry pool; an entry is stale (skipped) when its node's cost has
    since moved to another bucket or the node was already expanded at its current cost. Ties
    between equal costs may pick another, equally short, predecessor than a heap.
    """
    n = indptr.shape[0] - 1
    dist = np.full(n, INF)
    metres = np.full(n, INF)
    done_at = np.full(n, INF)  # cost at which the node was last expanded
    origin = np.full(n, -1, np.int32)
    pred = np.full(n, -1, np.int64)
    head = np.full(nb, -1, np.int64)
    cap = max(1024, n // 4)
    pool_node = np.empty(cap, np.int64)
    pool_next = np.empty(cap, np.int64)
    used = 0
    free = -1
    live = 0
    lo = INF
    for s in range(sources.shape[0]):
        u = sources[s]
        if blocked[u]:
            continue
        if offsets[s] < dist[u]:
            dist[u] = offsets[s]
            metres[u] = 0.0
            origin[u] = s
            if offsets[s] < lo:
                lo = offsets[s]
    if lo == INF:
        return dist, metres, origin, pred
    # sources further than the circular window from the lowest one wait in ``pending``
    order = np.argsort(offsets)
    nxt_src = 0
    cur = int(math.floor(lo / delta))
    while True:
        while nxt_src < order.shape[0]:
            s = order[nxt_src]
            u = sources[s]
            if blocked[u] or origin[u] != s or dist[u] != offsets[s]:
                nxt_src += 1
                continue
            kb = int(math.floor(dist[u] / delta))
            if kb >= cur + nb - 1:
                break
            if kb < cur:
                kb = cur
            if free >= 0:
                e = free
                free = pool_next[e]
            else:
                if used >= pool_node.shape[0]:
                    pool_node, pool_next = _grow(pool_node, pool_next, used)
                e = used
                used += 1
            slot = kb % nb
            pool_node[e] = u
            pool_next[e] = head[slot]
            head[slot] = e
            live += 1
            nxt_src += 1
        if live == 0:
            if nxt_src >= order.shape[0]:
                break
            cur = int(math.floor(offsets[order[nxt_src]] / delta))
            continue
        slot = cur % nb
        if head[slot] < 0:
            cur += 1
            continue
        if cur * delta > limit:
            break
        while head[slot] >= 0:
            e = head[slot]
            head[slot] = pool_next[e]
            u = pool_node[e]
            pool_next[e] = free
            free = e
            live -= 1
            du = dist[u]
            if du >= done_at[u] or int(math.floor(du / delta)) > cur:
                continue
            done_at[u] = du
            for a in range(indptr[u], indptr[u + 1]):
                v = indices[a]
                if blocked[v]:
                    continue
                g = group[a]
                w = base[a]
                if g >= 0:
                    w = w + group_add[g]
                nd = du + w
                if nd < dist[v]:
                    dist[v] = nd
                    metres[v] = metres[u] + length[a]
                    origin[v] = origin[u]
                    pred[v] = a
                    kb = int(math.floor(nd / delta))
                    if kb < cur:
                        kb = cur
                    if free >= 0:
                        e2 = free
                        free = pool_next[e2]
                    else:
                        if used >= pool_node.shape[0]:
                            pool_node, pool_next = _grow(pool_node, pool_next, used)
                        e2 = used
                        used += 1
                    s2 = kb % nb
                    pool_node[e2] = v
                    pool_next[e2] = head[s2]
                    head[s2] = e2
                    live += 1
        cur += 1
    if limit < INF:
        for v in range(n):
            if dist[v] > limit:
                dist[v] = INF
                metres[v] = INF
                origin[v] = -1
                pred[v] = -1
    return dist, metres, origin, pred


@numba.njit(cache=True)
def bucket_grid(
    cost: np.ndarray,
    dy: float,
    dx: float,
    src_rows: np.ndarray,
    src_cols: np.ndarray,
    offsets: np.ndarray,
    delta: float,
    nb: int,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`dijkstra_grid` with the circular bucket queue (same conventions and results).

    ``delta``/``nb`` from :func:`bucket_width` with the smallest and largest move costs
    (``min(cost) * min(dx, dy)`` and ``max(cost) * hypot(dx, dy)``). Offsets must lie within
    ``(nb - 2) * delta`` of the smallest one (true for the zero offsets of a surface from points;
    the engine checks it and falls back to :func:`dijkstra_grid` otherwise).
    """
    nr, nc = cost.shape
    n = nr * nc
    flat = cost.ravel()
    dist = np.full(n, INF)
    done = np.zeros(n, np.bool_)
    origin = np.full(n, -1, np.int32)
    head = np.full(nb, -1, np.int64)
    cap = max(1024, n // 8)
    pool_node = np.empty(cap, np.int64)
    pool_next = np.empty(cap, np.int64)
    used = 0
    free = -1
    live = 0
    diag = math.sqrt(dx * dx + dy * dy)
    drs = np.array([-1, -1, -1, 0, 0, 1, 1, 1])
    dcs = np.array([-1, 0, 1, -1, 1, -1, 0, 1])
    steps = np.array([diag, dy, diag, dx, dx, diag, dy, diag]) * 0.5
    lo = INF
    for s in range(src_rows.shape[0]):
        r = src_rows[s]
        c = src_cols[s]
        if r < 0 or r >= nr or c < 0 or c >= nc:
            continue
        u = r * nc + c
        cu = flat[u]
        if not (cu >= 0.0 and cu < INF):
            continue
        if offsets[s] < dist[u]:
            dist[u] = offsets[s]
            origin[u] = s
            if offsets[s] < lo:
                lo = offsets[s]
    if lo == INF:
        return dist.reshape(nr, nc), origin.reshape(nr, nc)
    cur = int(math.floor(lo / delta))
    for s in range(src_rows.shape[0]):
        r = src_rows[s]
        c = src_cols[s]
        if r < 0 or r >= nr or c < 0 or c >= nc:
            continue
        u = r * nc + c
        if origin[u] == s and dist[u] == offsets[s]:
            if used >= pool_node.shape[0]:
                pool_node, pool_next = _grow(pool_node, pool_next, used)
            e = used
            used += 1
            slot = int(math.floor(dist[u] / delta)) % nb
            pool_node[e] = u
            pool_next[e] = head[slot]
            head[slot] = e
            live += 1
    while live > 0:
        slot = cur % nb
        while head[slot] >= 0:
            e = head[slot]
            head[slot] = pool_next[e]
            u = pool_node[e]
            pool_next[e] = free
            free = e
            live -= 1
            if done[u]:
                continue
            du = dist[u]
            if int(math.floor(du / delta)) > cur:
                continue
            done[u] = True
            r = u // nc
            c = u - r * nc
            cu = flat[u]
            for k in range(8):
                rr = r + drs[k]
                cc = c + dcs[k]
                if rr < 0 or rr >= nr or cc < 0 or cc >= nc:
                    continue
                v = rr * nc + cc
                if done[v]:
                    continue
                cv = flat[v]
                if not (cv >= 0.0 and cv < INF):
                    continue
                nd = du + (cu + cv) * steps[k]
                if nd < dist[v]:
                    dist[v] = nd
                    origin[v] = origin[u]
                    kb = int(math.floor(nd / delta))
                    if kb < cur:
                        kb = cur
                    if free >= 0:
                        e2 = free
                        free = pool_next[e2]
                    else:
                        if used >= pool_node.shape[0]:
                            pool_node, pool_next = _grow(pool_node, pool_next, used)
                        e2 = used
                        used += 1
                    s2 = kb % nb
                    pool_node[e2] = v
                    pool_next[e2] = head[s2]
                    head[s2] = e2
                    live += 1
        cur += 1
    return dist.reshape(nr, nc), origin.reshape(nr, nc)
