"""The exact method: a mixed-integer model of the best balanced swaps, solved with HiGHS (highspy).

Variables: ``x_i`` (binary) = parcel ``i`` goes to party B; ``c_e`` in [0, 1] = edge ``e`` lies on the
new line; ``d >= |AB - BA|`` (km^2). Territories stay whole through vertex-separator cuts added
lazily (the "cut constraints" formulation of contiguity): each solution is checked, and

* a component of party P holding no anchor (a new exclave) gets, for each of its nodes i,
  ``z_i <= sum of z_j over the component's outer boundary``;
* anchors of one status-quo group left in different components get ``sum of z_j over the outer
  boundary of the first anchor's component >= 1``;

then the model is solved again, until the solution violates none. Every cut holds for every
feasible assignment, so the optimum is exact.

Balance: ``(1 - tol) AB <= BA`` and ``(1 - tol) BA <= AB``; at least one parcel moves each way.
Objective (minimised): the weighted sum of people moved, line length (km), cut edges (the
turning-point proxy) and ``d``. The ``k`` best solutions are found one after another, each excluded
from the next solve by a no-good cut (at least ``min_distance`` parcels different), so the list is exact:
no better solution was skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np
from scipy.sparse import coo_matrix

from delimit.errors import InputError

#: Largest zone (parcels) the exact method accepts by default.
EXACT_MAX_PARCELS = 200


@dataclass
class ExactResult:
    """Solutions (best first), their model objective values, and the solver's final status."""

    assignments: list[np.ndarray]
    objectives: list[float]
    status: str
    cuts: int = 0


class _Rows:
    def __init__(self) -> None:
        self.r: list[int] = []
        self.c: list[int] = []
        self.v: list[float] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def add(self, cols: list[int], vals: list[float], lo: float, hi: float) -> None:
        k = len(self.lo)
        self.r.extend([k] * len(cols))
        self.c.extend(cols)
        self.v.extend(vals)
        self.lo.append(lo)
        self.hi.append(hi)


@dataclass
class _Model:
    """The MIP under construction: column costs, bounds and integrality, rows, and the objective's constant.

    Columns ``0..n_free-1`` are the free parcels' ``x``; edge and imbalance columns follow.
    """

    cost: list[float]
    lb: list[float]
    ub: list[float]
    integ: list[int]
    rows: _Rows
    const: float = 0.0

    @classmethod
    def with_binaries(cls, n: int) -> _Model:
        return cls([0.0] * n, [0.0] * n, [1.0] * n, [1] * n, _Rows())

    def new_col(self, c: float, lo: float, hi: float, integer: bool = False) -> int:
        self.cost.append(c)
        self.lb.append(lo)
        self.ub.append(hi)
        self.integ.append(1 if integer else 0)
        return len(self.cost) - 1


def solve_exact(
    *,
    holder: np.ndarray,
    is_anchor: np.ndarray,
    anchor_group: np.ndarray,
    pins: np.ndarray,
    edges_u: np.ndarray,
    edges_v: np.ndarray,
    edge_len_m: np.ndarray,
    area_m2: np.ndarray,
    population: np.ndarray,
    weights: tuple[float, float, float, float],
    balance: float | None,
    check_party: tuple[bool, bool],
    k: int = 1,
    min_distance: int = 1,
    min_exchange_m2: float = 0.0,
    time_limit_s: float = 120.0,
    progress: Callable[[str, float], None] | None = None,
) -> ExactResult:
    """The ``k`` best assignments (node -> 0/1) under the model in the module doc.

    ``pins`` (per node, -1 free) fixes parcels; anchors are fixed to their holder. ``weights`` are
    per person, per metre of line, per cut edge, per m^2 of net imbalance (as the chain's).
    """
    n = len(holder)
    fixed_val = np.where(is_anchor, holder, pins).astype(np.int64)
    free = np.flatnonzero(fixed_val < 0)
    if len(free) == 0:
        raise InputError(None, "every parcel is pinned: nothing left to exchange", field="zone")
    col_of = np.full(n, -1, dtype=np.int64)
    col_of[free] = np.arange(len(free))
    wp, wl, wt, wi = weights
    model = _Model.with_binaries(len(free))
    _add_people_moved(model, free, holder, population, col_of, wp)
    _add_cut_edges(model, edges_u, edges_v, edge_len_m, col_of, fixed_val, wl, wt)
    _add_exchange(model, holder, is_anchor, col_of, fixed_val, area_m2 / 1e6, wi, balance, min_exchange_m2)
    adj: list[list[int]] = [[] for _ in range(n)]
    for u, v in zip(edges_u.tolist(), edges_v.tolist(), strict=True):
        adj[u].append(v)
        adj[v].append(u)
    for p in (0, 1):
        if check_party[p] and not any(is_anchor[i] and holder[i] == p for i in range(n)):
            raise InputError(
                None, "the exact method needs each party to hold land outside the zone (an anchor)", field="zone"
            )
    h = _highs(model, time_limit_s)

    def separate(assign: np.ndarray) -> list[tuple[list[int], list[float], float]]:
        return _violated_cuts(assign, adj, is_anchor, anchor_group, check_party, col_of, fixed_val)

    return _k_best(h, k, free, fixed_val, separate, model.const, min_distance, progress)


def _add_people_moved(
    model: _Model, free: np.ndarray, holder: np.ndarray, population: np.ndarray, col_of: np.ndarray, wp: float
) -> None:
    """Objective: ``wp`` per person of a free parcel that changes party."""
    for i in free.tolist():
        if holder[i] == 0:
            model.cost[col_of[i]] += wp * population[i]
        else:
            model.cost[col_of[i]] -= wp * population[i]
            model.const += wp * population[i]


def _add_cut_edges(
    model: _Model,
    edges_u: np.ndarray,
    edges_v: np.ndarray,
    edge_len_m: np.ndarray,
    col_of: np.ndarray,
    fixed_val: np.ndarray,
    wl: float,
    wt: float,
) -> None:
    """Objective: ``wl`` per metre and ``wt`` per edge on the new line (a ``c_e`` column per free-free edge)."""
    for u, v, length in zip(edges_u.tolist(), edges_v.tolist(), edge_len_m.tolist(), strict=True):
        w = wl * length + wt
        cu, cv = col_of[u], col_of[v]
        if cu < 0 and cv < 0:
            model.const += w * float(fixed_val[u] != fixed_val[v])
        elif cu >= 0 and cv >= 0:
            ce = model.new_col(w, 0.0, 1.0)
            model.rows.add([ce, cu, cv], [1.0, -1.0, 1.0], 0.0, np.inf)  # c >= xu - xv
            model.rows.add([ce, cu, cv], [1.0, 1.0, -1.0], 0.0, np.inf)  # c >= xv - xu
        else:
            cf, fv = (cu, fixed_val[v]) if cu >= 0 else (cv, fixed_val[u])
            if fv == 0:
                model.cost[cf] += w  # cut iff x = 1
            else:
                model.cost[cf] -= w  # cut iff x = 0
                model.const += w


def _add_exchange(
    model: _Model,
    holder: np.ndarray,
    is_anchor: np.ndarray,
    col_of: np.ndarray,
    fixed_val: np.ndarray,
    area_km2: np.ndarray,
    wi: float,
    balance: float | None,
    min_exchange_m2: float,
) -> None:
    """The exchange rows: ``d >= |AB - BA|`` (km^2, weighted ``wi`` per m^2), the balance, at least one
    parcel each way and more than ``min_exchange_m2`` each way.

    AB = sum over A's parcels of area x (+ fixed moves), BA = sum over B's parcels of area (1 - x).
    """
    rows = model.rows
    ab_cols, ab_vals, ab_const = [], [], 0.0
    ba_cols, ba_vals, ba_const = [], [], 0.0
    nab_cols, nba_cols = [], []
    nab_const = nba_const = 0
    for i in range(len(holder)):
        if is_anchor[i]:
            continue
        if col_of[i] >= 0:
            if holder[i] == 0:
                ab_cols.append(int(col_of[i]))
                ab_vals.append(float(area_km2[i]))
                nab_cols.append(int(col_of[i]))
            else:
                ba_cols.append(int(col_of[i]))
                ba_vals.append(-float(area_km2[i]))
                ba_const += float(area_km2[i])
                nba_cols.append(int(col_of[i]))
        elif fixed_val[i] != holder[i]:
            if holder[i] == 0:
                ab_const += float(area_km2[i])
                nab_const += 1
            else:
                ba_const += float(area_km2[i])
                nba_const += 1
    d = model.new_col(wi * 1e6, 0.0, np.inf)
    # AB - BA - d <= 0 ; BA - AB - d <= 0
    rows.add(ab_cols + ba_cols + [d], ab_vals + [-v for v in ba_vals] + [-1.0], -np.inf, ba_const - ab_const)
    rows.add(ab_cols + ba_cols + [d], [-v for v in ab_vals] + ba_vals + [-1.0], -np.inf, ab_const - ba_const)
    if balance is not None:
        t = 1.0 - balance
        # t AB - BA <= 0
        rows.add(ab_cols + ba_cols, [t * v for v in ab_vals] + [-v for v in ba_vals], -np.inf, ba_const - t * ab_const)
        # t BA - AB <= 0
        rows.add(ab_cols + ba_cols, [-v for v in ab_vals] + [t * v for v in ba_vals], -np.inf, ab_const - t * ba_const)
    # at least one parcel each way, and (optionally) more than a minimum area each way
    rows.add(nab_cols, [1.0] * len(nab_cols), 1.0 - nab_const, np.inf)
    rows.add(nba_cols, [-1.0] * len(nba_cols), 1.0 - nba_const - len(nba_cols), np.inf)
    if min_exchange_m2 > 0:
        m_km2 = min_exchange_m2 / 1e6
        rows.add(ab_cols, ab_vals, m_km2 - ab_const, np.inf)
        rows.add(ba_cols, ba_vals, m_km2 - ba_const, np.inf)


def _highs(model: _Model, time_limit_s: float) -> highspy.Highs:
    """The model passed to a HiGHS instance set for exact, deterministic, single-threaded solves."""
    rows = model.rows
    ncols = len(model.cost)
    a = coo_matrix((rows.v, (rows.r, rows.c)), shape=(len(rows.lo), ncols)).tocsc()
    lp = highspy.HighsLp()
    lp.num_col_ = ncols
    lp.num_row_ = len(rows.lo)
    lp.col_cost_ = np.array(model.cost, dtype=np.float64)
    lp.col_lower_ = np.array(model.lb, dtype=np.float64)
    lp.col_upper_ = np.array(model.ub, dtype=np.float64)
    lp.row_lower_ = np.array(rows.lo, dtype=np.float64)
    lp.row_upper_ = np.array(rows.hi, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    lp.integrality_ = [highspy.HighsVarType.kInteger if t else highspy.HighsVarType.kContinuous for t in model.integ]
    h = _new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-7)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    return h


def _k_best(
    h: highspy.Highs,
    k: int,
    free: np.ndarray,
    fixed_val: np.ndarray,
    separate: Callable[[np.ndarray], list[tuple[list[int], list[float], float]]],
    const: float,
    min_distance: int,
    progress: Callable[[str, float], None] | None,
) -> ExactResult:
    """Solve ``k`` times: each solution made whole by lazily added separator cuts (``separate``), then
    excluded from the next solve by a no-good cut (at least ``min_distance`` parcels different)."""
    ncol = len(free)
    out: list[np.ndarray] = []
    objs: list[float] = []
    status = "optimal"
    n_cuts = 0
    for s_i in range(k):
        while True:
            h.run()
            ms = h.getModelStatus()
            if ms != highspy.HighsModelStatus.kOptimal:
                status = h.modelStatusToString(ms)
                break
            xval = np.asarray(h.getSolution().col_value)[:ncol]
            xb = np.rint(xval).astype(np.int8)
            assign = fixed_val.astype(np.int8).copy()
            assign[free] = xb
            cuts = separate(assign)
            if not cuts:
                break
            for cols, vals, lo in cuts:
                h.addRow(lo, np.inf, len(cols), np.array(cols, dtype=np.int32), np.array(vals, dtype=np.float64))
            n_cuts += len(cuts)
            if n_cuts > MAX_CUTS:
                status = f"stopped after {MAX_CUTS} connectivity cuts"
                break
        if status != "optimal":
            break
        out.append(assign)
        objs.append(float(h.getInfo().objective_function_value) + const)
        ones = np.flatnonzero(xb == 1)
        zeros = np.flatnonzero(xb == 0)
        idx = np.concatenate([ones, zeros]).astype(np.int32)
        val = np.concatenate([-np.ones(len(ones)), np.ones(len(zeros))])
        h.addRow(float(min_distance) - len(ones), np.inf, len(idx), idx, val)
        if progress is not None:
            progress(f"exact solution {s_i + 1}", (s_i + 1) / k)
    return ExactResult(out, objs, status, n_cuts)


def _new_highs() -> highspy.Highs:
    """A HiGHS instance, its start-up banner kept off stdout (it would corrupt JSON output).

    HiGHS prints the banner from C++ on file descriptor 1 before any option can be set, so the
    descriptor is pointed at /dev/null for the construction only.
    """
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        return highspy.Highs()  # type: ignore[no-untyped-call]  # highspy's Highs.__init__ lacks "-> None"
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


#: Give up (and say so) after this many connectivity cuts.
MAX_CUTS = 20_000


def _z(p: int, i: int, col_of: np.ndarray, fixed_val: np.ndarray) -> tuple[list[int], list[float], float]:
    """'node i is of party p' as (columns, coefficients, constant) in the x variables."""
    c = int(col_of[i])
    if c < 0:
        return [], [], float(fixed_val[i] == p)
    return ([c], [1.0], 0.0) if p == 1 else ([c], [-1.0], 1.0)


def _violated_cuts(
    assign: np.ndarray,
    adj: list[list[int]],
    is_anchor: np.ndarray,
    anchor_group: np.ndarray,
    check_party: tuple[bool, bool],
    col_of: np.ndarray,
    fixed_val: np.ndarray,
) -> list[tuple[list[int], list[float], float]]:
    """Separator cuts violated by ``assign``, as rows ``sum(vals * x) >= lo``.

    For a component S of party P that holds no anchor: for each node i of S, ``z_i <= sum of z_j over
    the outer boundary N(S)`` (if i is P, its path to an anchor leaves S through N(S)). For anchors of
    one status-quo group split between components, with C the first anchor's component:
    ``sum of z_j over N(C) >= 1``. Both hold for every feasible assignment, so adding them keeps the
    optimum exact.
    """
    n = len(assign)
    label = np.full(n, -1, dtype=np.int64)
    cuts: list[tuple[list[int], list[float], float]] = []
    for p in (0, 1):
        if not check_party[p]:
            continue
        comps: list[list[int]] = []
        for s0 in range(n):
            if assign[s0] != p or label[s0] >= 0:
                continue
            label[s0] = len(comps)
            stack = [s0]
            members = []
            while stack:
                v = stack.pop()
                members.append(v)
                for u in adj[v]:
                    if assign[u] == p and label[u] < 0:
                        label[u] = label[s0]
                        stack.append(u)
            comps.append(members)

        def boundary(members: list[int]) -> list[int]:
            inside = set(members)
            return sorted({u for v in members for u in adj[v] if u not in inside})

        for members in comps:
            if any(is_anchor[v] for v in members):
                continue
            nb = boundary(members)
            nb_cols, nb_vals, nb_const = [], [], 0.0
            for j in nb:
                c, vv, k0 = _z(p, j, col_of, fixed_val)
                nb_cols += c
                nb_vals += vv
                nb_const += k0
            for i in members:
                ci, vi, ki = _z(p, i, col_of, fixed_val)
                if not ci:
                    continue
                # sum_N z_j - z_i >= 0
                cols = nb_cols + ci
                vals = nb_vals + [-v for v in vi]
                cuts.append((cols, vals, ki - nb_const))
        groups: dict[int, list[int]] = {}
        for v in range(n):
            if is_anchor[v] and assign[v] == p and anchor_group[v] >= 0:
                groups.setdefault(int(anchor_group[v]), []).append(v)
        for members in groups.values():
            if len({int(label[v]) for v in members}) <= 1:
                continue
            comp = comps[int(label[members[0]])]
            cols, vals, const = [], [], 0.0
            for j in boundary(comp):
                c, vv, k0 = _z(p, j, col_of, fixed_val)
                cols += c
                vals += vv
                const += k0
            cuts.append((cols, vals, 1.0 - const))
    return cuts
