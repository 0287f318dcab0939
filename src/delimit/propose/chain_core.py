# mypy: allow-untyped-defs
# (numba compiles the kernels from their arguments' run-time types; ``@njit`` is untyped, so mypy sees each
# kernel as Any whatever its annotations, and their many array arguments stay unannotated)
"""Numba kernels of the Markov chain: validity checks, single-node flips, spanning-tree recombination.

The kernels work on a graph in CSR form (``indptr``, ``indices``, ``elen`` metres) whose nodes carry
a party index 0/1 (``assign``), the party holding them now (``holder``), a ``fixed`` flag, an
exchange weight (``area`` m^2), a ``pop`` (persons) and a balance weight ``bw``.

Like GerryChain's partitions, the running state is updated incrementally: each move touches only the
moved nodes and their edges to update the statistics held in ``stats``:

====  ===========================================================================
 0    people whose parcel changes party (persons)
 1    area moved from party 0 to party 1 (``AB``, m^2)
 2    area moved from party 1 to party 0 (``BA``, m^2)
 3    length of edges whose ends are held by different parties (m)
 4    number of such edges
 5    balance weight held by party 1 (``bw`` units)
 6    number of nodes of party 1
====  ===========================================================================

and a Zobrist hash of the set of moved nodes. Validity ("every party's territory stays whole") is
checked exactly: a flip first tries a local search joining the node's same-party neighbours; only
when that fails, and after every recombination, the whole partition is labelled (O(nodes+edges)).

Randomness comes from a xorshift64* generator whose state is an explicit array: a seed gives the
same chain on every machine and run, whatever else uses numpy's global generator.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# indices into stats
PEOPLE, AB, BA, CUTLEN, CUTN, WB, NB = range(7)
# balance modes
BAL_NONE, BAL_EXCHANGE, BAL_BOUNDS = 0, 1, 2


@njit(cache=True)
def rng_next(state: np.ndarray) -> np.uint64:
    x: np.uint64 = state[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[0] = x
    return x * np.uint64(2685821657736338717)


@njit(cache=True)
def rng_uniform(state: np.ndarray) -> float:
    return float(rng_next(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def rng_int(state: np.ndarray, n: int) -> int:
    k = int(rng_uniform(state) * n)
    return k if k < n else n - 1


def seed_state(seed: int) -> np.ndarray:
    """A generator state from an integer seed (splitmix64 scrambled, never zero)."""
    z = (int(seed) + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    z ^= z >> 31
    return np.array([z or 0x1234567], dtype=np.uint64)


@njit(cache=True)
def partition_valid(
    assign, indptr, indices, is_anchor, anchor_group, check_party, labels, queue, group_label, min_part
):
    """True when every checked party is whole.

    A party with anchors is whole when each of its components holds an anchor and anchors of one
    status-quo group share a component. A party without anchors is whole when it forms one component
    with at least ``min_part`` nodes. ``labels``, ``queue`` (len n) and ``group_label`` (len groups)
    are work arrays.
    """
    n = len(assign)
    for i in range(n):
        labels[i] = -1
    for g in range(len(group_label)):
        group_label[g] = -1
    n_comp = np.zeros(2, dtype=np.int64)
    has_anchor_party = np.zeros(2, dtype=np.bool_)
    size = np.zeros(2, dtype=np.int64)
    for i in range(n):
        size[assign[i]] += 1
        if is_anchor[i]:
            has_anchor_party[assign[i]] = True
    comp = 0
    for s in range(n):
        if labels[s] != -1:
            continue
        p = assign[s]
        labels[s] = comp
        head = 0
        tail = 1
        queue[0] = s
        anchored = False
        while head < tail:
            v = queue[head]
            head += 1
            if is_anchor[v]:
                anchored = True
                g = anchor_group[v]
                if g >= 0:
                    if group_label[g] == -1:
                        group_label[g] = comp
                    elif group_label[g] != comp and check_party[p]:
                        return False
            for e in range(indptr[v], indptr[v + 1]):
                u = indices[e]
                if labels[u] == -1 and assign[u] == p:
                    labels[u] = comp
                    queue[tail] = u
                    tail += 1
        if check_party[p]:
            if has_anchor_party[p]:
                if not anchored:
                    return False
            else:
                n_comp[p] += 1
                if n_comp[p] > 1:
                    return False
        comp += 1
    for p in range(2):  # noqa: SIM110  (a loop, not all(...): numba's nopython mode has no generators)
        if check_party[p] and not has_anchor_party[p] and size[p] < min_part:
            return False
    return True


@njit(cache=True)
def move_node(v, q, assign, holder, indptr, indices, elen, area, pop, bw, zob, stats, hsh):
    """Give node ``v`` to party ``q`` and update the statistics incrementally."""
    p = assign[v]
    if p == q:
        return
    for e in range(indptr[v], indptr[v + 1]):
        u = indices[e]
        if u == v:
            continue
        if assign[u] == q:
            stats[CUTLEN] -= elen[e]
            stats[CUTN] -= 1.0
        elif assign[u] == p:
            stats[CUTLEN] += elen[e]
            stats[CUTN] += 1.0
    if q == holder[v]:
        stats[PEOPLE] -= pop[v]
    else:
        stats[PEOPLE] += pop[v]
    if holder[v] == 0:
        stats[AB] += area[v] if q == 1 else -area[v]
    else:
        stats[BA] += area[v] if q == 0 else -area[v]
    if q == 1:
        stats[WB] += bw[v]
        stats[NB] += 1.0
    else:
        stats[WB] -= bw[v]
        stats[NB] -= 1.0
    hsh[0] ^= zob[v]
    assign[v] = q


@njit(cache=True)
def balance_ok(mode, tol, lo, hi, total_bw, ab, ba, wb):
    if mode == BAL_EXCHANGE:
        big = ab if ab > ba else ba
        return abs(ab - ba) <= tol * big + 1e-9
    if mode == BAL_BOUNDS:
        wa = total_bw - wb
        return lo <= wb <= hi and lo <= wa <= hi
    return True


@njit(cache=True)
def energy(stats, weights):
    """weights: people, cut length (per m), cut edges, |AB-BA| (per m^2)."""
    return (
        weights[0] * stats[PEOPLE]
        + weights[1] * stats[CUTLEN]
        + weights[2] * stats[CUTN]
        + weights[3] * abs(stats[AB] - stats[BA])
    )


@njit(cache=True)
def _local_join(v, p, assign, indptr, indices, mark, queue, stamp):
    """True when all party-``p`` neighbours of ``v`` stay joined within party ``p`` without ``v``."""
    first = -1
    need = 0
    for e in range(indptr[v], indptr[v + 1]):
        u = indices[e]
        if assign[u] == p and u != v:
            if first == -1:
                first = u
            need += 1
    if need <= 1:
        return True
    # count distinct p-neighbours
    stamp[0] += 1
    s_nb = stamp[0]
    distinct = 0
    for e in range(indptr[v], indptr[v + 1]):
        u = indices[e]
        if assign[u] == p and u != v and mark[u] != s_nb:
            mark[u] = s_nb
            distinct += 1
    stamp[0] += 1
    s_seen = stamp[0]
    found = 0
    mark[v] = s_seen
    head = 0
    tail = 1
    queue[0] = first
    # neighbours are marked s_nb; visiting one counts it
    if mark[first] == s_nb:
        found += 1
    mark[first] = s_seen
    while head < tail:
        x = queue[head]
        head += 1
        for e in range(indptr[x], indptr[x + 1]):
            u = indices[e]
            if assign[u] != p or mark[u] == s_seen:
                continue
            if mark[u] == s_nb:
                found += 1
                if found == distinct:
                    return True
            mark[u] = s_seen
            queue[tail] = u
            tail += 1
    return found == distinct


@njit(cache=True)
def flip_step(
    rng,
    pool,
    assign,
    holder,
    fixed,
    indptr,
    indices,
    edge_src,
    elen,
    area,
    pop,
    bw,
    zob,
    stats,
    hsh,
    is_anchor,
    anchor_group,
    check_party,
    labels,
    queue,
    group_label,
    mark,
    stamp,
    bal_mode,
    tol,
    lo,
    hi,
    total_bw,
    flip_balance_hard,
    weights,
    beta,
    min_part,
):
    """One single-node flip on the boundary. Returns 1 if accepted, 0 otherwise.

    The node is found by drawing CSR entries from ``pool`` until one joins two parties.
    """
    nnz = len(pool)
    v = -1
    q = 0
    for _ in range(64):
        e = pool[rng_int(rng, nnz)]
        a = edge_src[e]
        b = indices[e]
        if assign[a] != assign[b] and not fixed[a]:
            v = a
            q = assign[b]
            break
    if v < 0:
        return 0
    p = assign[v]
    e_old = energy(stats, weights)
    local = _local_join(v, p, assign, indptr, indices, mark, queue, stamp)
    move_node(v, q, assign, holder, indptr, indices, elen, area, pop, bw, zob, stats, hsh)
    ok = True
    if flip_balance_hard and not balance_ok(bal_mode, tol, lo, hi, total_bw, stats[AB], stats[BA], stats[WB]):
        ok = False
    if ok and not local:
        ok = partition_valid(
            assign, indptr, indices, is_anchor, anchor_group, check_party, labels, queue, group_label, min_part
        )
    if ok and min_part > 0:
        nb = stats[NB]
        if nb < min_part or (len(assign) - nb) < min_part:
            ok = False
    if ok and beta > 0.0:
        d = energy(stats, weights) - e_old
        if d > 0.0 and rng_uniform(rng) >= np.exp(-beta * d):
            ok = False
    if not ok:
        move_node(v, p, assign, holder, indptr, indices, elen, area, pop, bw, zob, stats, hsh)
        return 0
    return 1


@njit(cache=True)
def recom_step(
    rng,
    pool,
    assign,
    holder,
    fixed,
    indptr,
    indices,
    edge_src,
    elen,
    area,
    pop,
    bw,
    zob,
    stats,
    hsh,
    is_anchor,
    anchor_group,
    check_party,
    labels,
    queue,
    group_label,
    mark,
    stamp,
    bal_mode,
    tol,
    lo,
    hi,
    total_bw,
    weights,
    beta,
    min_part,
    region_size,
    max_tries,
    any_anchor,
    loc,
    lnode,
    ldeg,
    lptr,
    ladj,
    nxt,
    intree,
    order,
    subA,
    subB,
    subW,
    par,
    cand,
):
    """One recombination: re-split a region (or the whole graph) along a random spanning tree.

    The region is a breadth-first ball of ``region_size`` free nodes around a random cut edge
    (``region_size <= 0``: every free node). Nodes outside it are contracted into one super-node per
    party; a uniform spanning tree of the contracted graph (Wilson's algorithm) is drawn and cut at an
    edge that separates the two super-nodes and keeps the balance; the two sides become the parties.
    Returns 1 if accepted, 0 otherwise.
    """
    n = len(assign)
    nnz = len(pool)
    # --- the region
    seed_node = -1
    if region_size > 0:
        for _ in range(64):
            e = pool[rng_int(rng, nnz)]
            a = edge_src[e]
            b = indices[e]
            if assign[a] != assign[b]:
                if not fixed[a]:
                    seed_node = a
                    break
                if not fixed[b]:
                    seed_node = b
                    break
        if seed_node < 0:
            return 0
    stamp[0] += 1
    s_in = stamp[0]
    r = 0
    whole = region_size <= 0 or region_size >= n
    if whole:
        for v in range(n):
            if not fixed[v]:
                lnode[r] = v
                loc[v] = r
                mark[v] = s_in
                r += 1
    else:
        lnode[0] = seed_node
        loc[seed_node] = 0
        mark[seed_node] = s_in
        r = 1
        head = 0
        while head < r and r < region_size:
            x = lnode[head]
            head += 1
            for e in range(indptr[x], indptr[x + 1]):
                u = indices[e]
                if mark[u] != s_in and not fixed[u]:
                    mark[u] = s_in
                    loc[u] = r
                    lnode[r] = u
                    r += 1
                    if r >= region_size:
                        break
    if r < 2:
        return 0
    # --- contracted local graph: region nodes 0..r-1, super A = r, super B = r+1
    sa = r
    sb = r + 1
    L = r + 2
    for i in range(L):
        ldeg[i] = 0
    for i in range(r):
        v = lnode[i]
        for e in range(indptr[v], indptr[v + 1]):
            u = indices[e]
            if mark[u] == s_in:
                ldeg[i] += 1
            else:
                ldeg[i] += 1
                ldeg[sa + assign[u]] += 1
    lptr[0] = 0
    for i in range(L):
        lptr[i + 1] = lptr[i] + ldeg[i]
        ldeg[i] = 0
    for i in range(r):
        v = lnode[i]
        for e in range(indptr[v], indptr[v + 1]):
            u = indices[e]
            if mark[u] == s_in:
                j = loc[u]
            else:
                j = sa + assign[u]
                ladj[lptr[j] + ldeg[j]] = i
                ldeg[j] += 1
            ladj[lptr[i] + ldeg[i]] = j
            ldeg[i] += 1
    has_a = lptr[sa + 1] > lptr[sa]
    has_b = lptr[sb + 1] > lptr[sb]
    root = sa if has_a else (sb if has_b else 0)
    root_party = 1 if (root == sb) else 0
    side_party = 1 - root_party
    # current region totals
    cur_ab = 0.0
    cur_ba = 0.0
    cur_wb = 0.0
    tot_a = 0.0
    tot_b = 0.0
    tot_w = 0.0
    for i in range(r):
        v = lnode[i]
        tot_w += bw[v]
        if holder[v] == 0:
            tot_a += area[v]
            if assign[v] == 1:
                cur_ab += area[v]
        else:
            tot_b += area[v]
            if assign[v] == 0:
                cur_ba += area[v]
        if assign[v] == 1:
            cur_wb += bw[v]
    # every local node must reach the root, or Wilson's walks would never end
    for i in range(L):
        intree[i] = False
    intree[root] = True
    order[0] = root
    head = 0
    tail = 1
    while head < tail:
        x = order[head]
        head += 1
        for e in range(lptr[x], lptr[x + 1]):
            j = ladj[e]
            if not intree[j]:
                intree[j] = True
                order[tail] = j
                tail += 1
    for i in range(r):
        if not intree[i]:
            return 0
    chosen = -1
    for _try in range(max_tries):
        # --- Wilson's algorithm (loop-erased random walks) rooted at root
        for i in range(L):
            intree[i] = False
            nxt[i] = -1
        intree[root] = True
        for i0 in range(L):
            if intree[i0] or lptr[i0 + 1] == lptr[i0]:
                continue
            u = i0
            while not intree[u]:
                d = lptr[u + 1] - lptr[u]
                nxt[u] = ladj[lptr[u] + rng_int(rng, d)]
                u = nxt[u]
            u = i0
            while not intree[u]:
                intree[u] = True
                u = nxt[u]
        # --- order children before parents: BFS from root over the tree
        # build child lists in ldeg/cand scratch: use counting by parent
        for i in range(L):
            par[i] = nxt[i] if i != root else -1
            ldeg[i] = 0
        for i in range(L):
            if par[i] >= 0:
                ldeg[par[i]] += 1
        # prefix sums into queue-like array 'order' positions
        # cstart stored in subW temporarily is avoided: use lptr-like over 'ladj' is busy; simple O(L*depth) avoided
        # compute depth by walking up with memo in 'cand'
        for i in range(L):
            cand[i] = -1
        cand[root] = 0
        for i in range(L):
            if cand[i] >= 0 or (not intree[i]):
                continue
            # walk up until known depth
            u = i
            k = 0
            while cand[u] < 0:
                order[k] = u
                k += 1
                u = par[u]
            base = cand[u]
            for t in range(k - 1, -1, -1):
                base += 1
                cand[order[t]] = base
        # sort nodes by depth descending via counting sort
        maxd = 0
        for i in range(L):
            if cand[i] > maxd:
                maxd = cand[i]
        cnt = np.zeros(maxd + 2, dtype=np.int64)
        for i in range(L):
            if cand[i] >= 0:
                cnt[cand[i]] += 1
        pos = np.zeros(maxd + 2, dtype=np.int64)
        acc = 0
        for dd in range(maxd, -1, -1):
            pos[dd] = acc
            acc += cnt[dd]
        m = acc
        for i in range(L):
            if cand[i] >= 0:
                order[pos[cand[i]]] = i
                pos[cand[i]] += 1
        for i in range(L):
            subA[i] = 0.0
            subB[i] = 0.0
            subW[i] = 0.0
        for i in range(r):
            v = lnode[i]
            if holder[v] == 0:
                subA[i] = area[v]
            else:
                subB[i] = area[v]
            subW[i] = bw[v]
        for t in range(m):
            i = order[t]
            if par[i] >= 0:
                subA[par[i]] += subA[i]
                subB[par[i]] += subB[i]
                subW[par[i]] += subW[i]
        # --- candidate cuts
        nc = 0
        if has_a and has_b:
            x = sb
            while x != root:
                cand[nc] = x
                nc += 1
                x = par[x]
        else:
            for i in range(L):
                if i != root and par[i] >= 0:
                    cand[nc] = i
                    nc += 1
        nvalid = 0
        for c in range(nc):
            x = cand[c]
            if side_party == 1:
                n_ab = subA[x]
                n_ba = tot_b - subB[x]
                n_wb = subW[x]
            else:
                n_ab = tot_a - subA[x]
                n_ba = subB[x]
                n_wb = tot_w - subW[x]
            g_ab = stats[AB] - cur_ab + n_ab
            g_ba = stats[BA] - cur_ba + n_ba
            g_wb = stats[WB] - cur_wb + n_wb
            if balance_ok(bal_mode, tol, lo, hi, total_bw, g_ab, g_ba, g_wb):
                cand[nvalid] = x
                nvalid += 1
        if nvalid > 0:
            chosen = cand[rng_int(rng, nvalid)]
            break
    if chosen < 0:
        return 0
    # --- mark the chosen subtree (walk up from each node; memo in 'cand')
    for i in range(L):
        cand[i] = -1
    cand[chosen] = 1
    cand[root] = 0
    for i in range(r):
        if cand[i] >= 0:
            continue
        u = i
        k = 0
        while cand[u] < 0:
            order[k] = u
            k += 1
            u = par[u]
        val = cand[u]
        for t in range(k):
            cand[order[t]] = val
    e_old = energy(stats, weights)
    # remember old parties to revert
    for i in range(r):
        subW[i] = assign[lnode[i]]
    for i in range(r):
        q = side_party if cand[i] == 1 else root_party
        move_node(lnode[i], q, assign, holder, indptr, indices, elen, area, pop, bw, zob, stats, hsh)
    ok = True
    if any_anchor or not whole:
        ok = partition_valid(
            assign, indptr, indices, is_anchor, anchor_group, check_party, labels, queue, group_label, min_part
        )
    if ok and min_part > 0:
        nb = stats[NB]
        if nb < min_part or (n - nb) < min_part:
            ok = False
    if ok and beta > 0.0:
        d = energy(stats, weights) - e_old
        if d > 0.0 and rng_uniform(rng) >= np.exp(-beta * d):
            ok = False
    if not ok:
        for i in range(r):
            move_node(lnode[i], np.int8(subW[i]), assign, holder, indptr, indices, elen, area, pop, bw, zob, stats, hsh)
        return 0
    return 1


@njit(cache=True)
def run_steps(
    n_steps,
    rng,
    pool,
    assign,
    holder,
    fixed,
    indptr,
    indices,
    edge_src,
    elen,
    area,
    pop,
    bw,
    zob,
    stats,
    hsh,
    is_anchor,
    anchor_group,
    check_party,
    bal_mode,
    tol,
    lo,
    hi,
    total_bw,
    flip_balance_hard,
    weights,
    beta,
    min_part,
    region_size,
    max_tries,
    p_recom,
    record_every,
    step0,
    rec_assign,
    rec_stats,
    rec_hash,
    rec_step,
    n_rec,
    counters,
    require_exchange,
    min_exchange,
):
    """Run ``n_steps`` steps (recombination with probability ``p_recom``, else a flip).

    Every ``record_every`` steps the state is recorded (into ``rec_*``, up to their capacity) if it
    keeps the balance, is new (by hash) and, with ``require_exchange``, moves more than
    ``min_exchange`` (m^2) each way.
    ``counters``: [recom tried, recom accepted, flips tried, flips accepted].
    """
    n = len(assign)
    labels = np.empty(n, dtype=np.int64)
    queue = np.empty(n + 2, dtype=np.int64)
    ng = 1
    for i in range(n):
        if anchor_group[i] + 1 > ng:
            ng = anchor_group[i] + 1
    group_label = np.empty(ng, dtype=np.int64)
    mark = np.zeros(n, dtype=np.int64)
    stamp = np.zeros(1, dtype=np.int64)
    loc = np.zeros(n, dtype=np.int64)
    lnode = np.zeros(n + 2, dtype=np.int64)
    ldeg = np.zeros(n + 2, dtype=np.int64)
    lptr = np.zeros(n + 3, dtype=np.int64)
    ladj = np.zeros(2 * len(indices) + 2, dtype=np.int64)
    nxt = np.zeros(n + 2, dtype=np.int64)
    intree = np.zeros(n + 2, dtype=np.bool_)
    order = np.zeros(n + 2, dtype=np.int64)
    subA = np.zeros(n + 2)
    subB = np.zeros(n + 2)
    subW = np.zeros(n + 2)
    par = np.zeros(n + 2, dtype=np.int64)
    cand = np.zeros(n + 2, dtype=np.int64)
    any_anchor = False
    for i in range(n):
        if is_anchor[i]:
            any_anchor = True
            break
    cap = rec_assign.shape[0]
    for s in range(n_steps):
        if p_recom > 0.0 and rng_uniform(rng) < p_recom:
            counters[0] += 1
            counters[1] += recom_step(
                rng,
                pool,
                assign,
                holder,
                fixed,
                indptr,
                indices,
                edge_src,
                elen,
                area,
                pop,
                bw,
                zob,
                stats,
                hsh,
                is_anchor,
                anchor_group,
                check_party,
                labels,
                queue,
                group_label,
                mark,
                stamp,
                bal_mode,
                tol,
                lo,
                hi,
                total_bw,
                weights,
                beta,
                min_part,
                region_size,
                max_tries,
                any_anchor,
                loc,
                lnode,
                ldeg,
                lptr,
                ladj,
                nxt,
                intree,
                order,
                subA,
                subB,
                subW,
                par,
                cand,
            )
        else:
            counters[2] += 1
            counters[3] += flip_step(
                rng,
                pool,
                assign,
                holder,
                fixed,
                indptr,
                indices,
                edge_src,
                elen,
                area,
                pop,
                bw,
                zob,
                stats,
                hsh,
                is_anchor,
                anchor_group,
                check_party,
                labels,
                queue,
                group_label,
                mark,
                stamp,
                bal_mode,
                tol,
                lo,
                hi,
                total_bw,
                flip_balance_hard,
                weights,
                beta,
                min_part,
            )
        step = step0 + s + 1
        if record_every > 0 and step % record_every == 0 and n_rec[0] < cap:
            if not balance_ok(bal_mode, tol, lo, hi, total_bw, stats[AB], stats[BA], stats[WB]):
                continue
            if require_exchange and (stats[AB] <= min_exchange + 1e-6 or stats[BA] <= min_exchange + 1e-6):
                continue
            h = hsh[0]
            dup = False
            for k in range(n_rec[0]):
                if rec_hash[k] == h:
                    dup = True
                    break
            if dup:
                continue
            k = n_rec[0]
            for i in range(n):
                rec_assign[k, i] = assign[i]
            for j in range(len(stats)):
                rec_stats[k, j] = stats[j]
            rec_hash[k] = h
            rec_step[k] = step
            n_rec[0] += 1
