"""The exact method: a mixed-integer model of the best balanced swaps, solved with HiGHS (highspy).

Variables: ``x_i`` (binary) = parcel ``i`` goes to party B; ``c_e`` in [0, 1] = edge ``e`` lies on the
new line; ``d >= |AB - BA|`` (km^2); and, per party that must stay whole, single-commodity flows:

* every node of party P draws one unit of flow that enters from P's anchors through nodes of P
  (so each component of P holds an anchor: no new exclave);
* per status-quo group of P's anchors, the group's first anchor sends one unit to each other anchor
  through nodes of P (anchors joined now stay joined).

Balance: ``(1 - tol) AB <= BA`` and ``(1 - tol) BA <= AB``; at least one parcel moves each way.
Objective (minimised): the weighted sum of people moved, line length (km), cut edges (the
turning-point proxy) and ``d``. The ``k`` best solutions are found one after another, each excluded
from the next solve by a no-good cut, so the list is exact: no better solution was skipped.
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
    ncol = len(free)
    cost: list[float] = [0.0] * ncol
    lb: list[float] = [0.0] * ncol
    ub: list[float] = [1.0] * ncol
    integ: list[int] = [1] * ncol
    rows = _Rows()
    const = 0.0
    wp, wl, wt, wi = weights
    area_km2 = area_m2 / 1e6

    def new_col(c: float, lo: float, hi: float, integer: bool = False) -> int:
        cost.append(c)
        lb.append(lo)
        ub.append(hi)
        integ.append(1 if integer else 0)
        return len(cost) - 1

    # people moved
    for i in free:
        if holder[i] == 0:
            cost[col_of[i]] += wp * population[i]
        else:
            cost[col_of[i]] -= wp * population[i]
            const += wp * population[i]
    # cut edges
    for u, v, length in zip(edges_u.tolist(), edges_v.tolist(), edge_len_m.tolist(), strict=True):
        w = wl * length + wt
        cu, cv = col_of[u], col_of[v]
        if cu < 0 and cv < 0:
            const += w * float(fixed_val[u] != fixed_val[v])
        elif cu >= 0 and cv >= 0:
            ce = new_col(w, 0.0, 1.0)
            rows.add([ce, cu, cv], [1.0, -1.0, 1.0], 0.0, np.inf)  # c >= xu - xv
            rows.add([ce, cu, cv], [1.0, 1.0, -1.0], 0.0, np.inf)  # c >= xv - xu
        else:
            cf, fv = (cu, fixed_val[v]) if cu >= 0 else (cv, fixed_val[u])
            if fv == 0:
                cost[cf] += w  # cut iff x = 1
            else:
                cost[cf] -= w  # cut iff x = 0
                const += w
    # exchange: AB = sum_{holder A} a x (+ fixed moves), BA = sum_{holder B} a (1 - x)
    ab_cols, ab_vals, ab_const = [], [], 0.0
    ba_cols, ba_vals, ba_const = [], [], 0.0
    nab_cols, nba_cols = [], []
    nab_const = nba_const = 0
    for i in range(n):
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
    d = new_col(wi * 1e6, 0.0, np.inf)
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
    # connectivity flows
    adj: list[list[int]] = [[] for _ in range(n)]
    for u, v in zip(edges_u.tolist(), edges_v.tolist(), strict=True):
        adj[u].append(v)
        adj[v].append(u)

    def z_terms(p: int, i: int) -> tuple[list[int], list[float], float]:
        """Indicator 'node i is of party p' as (cols, vals, constant)."""
        if col_of[i] < 0:
            return [], [], float(fixed_val[i] == p)
        return ([int(col_of[i])], [1.0], 0.0) if p == 1 else ([int(col_of[i])], [-1.0], 1.0)

    for p in (0, 1):
        if not check_party[p]:
            continue
        possible = [i for i in range(n) if fixed_val[i] in (-1, p)]
        anchors = [i for i in possible if is_anchor[i] and holder[i] == p]
        if not anchors:
            raise InputError(None, "the exact method needs each party to hold land outside the zone (an anchor)", field="zone")
        big = float(len(possible))
        pos = set(possible)
        # commodity 1: anchors feed every node of p
        fcol: dict[tuple[int, int], int] = {}
        for i in possible:
            for j in adj[i]:
                if j in pos and not is_anchor[j]:
                    fcol[(i, j)] = new_col(0.0, 0.0, big)
        for (i, j), f in fcol.items():
            for node in (i, j):
                cols, vals, c0 = z_terms(p, node)
                if cols:
                    rows.add([f] + cols, [1.0] + [-big * v for v in vals], -np.inf, big * c0)
                elif c0 == 0.0:
                    ub[f] = 0.0
        for i in possible:
            if is_anchor[i]:
                continue
            ins = [fcol[(j, i)] for j in adj[i] if (j, i) in fcol]
            outs = [fcol[(i, j)] for j in adj[i] if (i, j) in fcol]
            cols, vals, c0 = z_terms(p, i)
            rows.add(ins + outs + cols, [1.0] * len(ins) + [-1.0] * len(outs) + [-v for v in vals], c0, c0)
        # commodity per anchor group: joined anchors stay joined
        groups: dict[int, list[int]] = {}
        for a in anchors:
            groups.setdefault(int(anchor_group[a]), []).append(a)
        for members in groups.values():
            if len(members) < 2:
                continue
            root, others = members[0], set(members[1:])
            cap = float(len(others))
            gcol: dict[tuple[int, int], int] = {}
            for i in possible:
                for j in adj[i]:
                    if j in pos and j != root:
                        gcol[(i, j)] = new_col(0.0, 0.0, cap)
            for (i, j), g in gcol.items():
                for node in (i, j):
                    cols, vals, c0 = z_terms(p, node)
                    if cols:
                        rows.add([g] + cols, [1.0] + [-cap * v for v in vals], -np.inf, cap * c0)
            for i in possible:
                if i == root:
                    continue
                ins = [gcol[(j, i)] for j in adj[i] if (j, i) in gcol]
                outs = [gcol[(i, j)] for j in adj[i] if (i, j) in gcol]
                need = 1.0 if i in others else 0.0
                rows.add(ins + outs, [1.0] * len(ins) + [-1.0] * len(outs), need, need)
    ncols = len(cost)
    a = coo_matrix((rows.v, (rows.r, rows.c)), shape=(len(rows.lo), ncols)).tocsc()
    lp = highspy.HighsLp()
    lp.num_col_ = ncols
    lp.num_row_ = len(rows.lo)
    lp.col_cost_ = np.array(cost, dtype=np.float64)
    lp.col_lower_ = np.array(lb, dtype=np.float64)
    lp.col_upper_ = np.array(ub, dtype=np.float64)
    lp.row_lower_ = np.array(rows.lo, dtype=np.float64)
    lp.row_upper_ = np.array(rows.hi, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    lp.integrality_ = [highspy.HighsVarType.kInteger if t else highspy.HighsVarType.kContinuous for t in integ]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-9)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    out: list[np.ndarray] = []
    objs: list[float] = []
    status = "optimal"
    for s in range(k):
        h.run()
        ms = h.getModelStatus()
        if ms != highspy.HighsModelStatus.kOptimal:
            status = h.modelStatusToString(ms)
            break
        xval = np.asarray(h.getSolution().col_value)[:ncol]
        xb = np.rint(xval).astype(np.int8)
        assign = fixed_val.astype(np.int8).copy()
        assign[free] = xb
        out.append(assign)
        objs.append(float(h.getInfo().objective_function_value) + const)
        ones = np.flatnonzero(xb == 1)
        zeros = np.flatnonzero(xb == 0)
        idx = np.concatenate([ones, zeros]).astype(np.int32)
        val = np.concatenate([-np.ones(len(ones)), np.ones(len(zeros))])
        h.addRow(1.0 - len(ones), np.inf, len(idx), idx, val)
        if progress is not None:
            progress(f"exact solution {s + 1}", (s + 1) / k)
    return ExactResult(out, objs, status)
