"""The Markov-chain ensemble: spanning-tree recombination plus single-parcel flips, seeded.

:class:`Chain` holds a two-party partition of a graph (:class:`ChainGraph`, weighted by :class:`NodeWeights`) and its incrementally updated statistics
(people moved, area moved each way, cut length and count; see :mod:`delimit.propose.chain_core`) and
runs steps in compiled code. With ``beta > 0`` each step is accepted by the Metropolis rule on the
weighted objective (an annealing-free, fixed-temperature sampler favouring good proposals); with
``beta == 0`` every valid step is accepted (the plain ReCom / flip chains that GerryChain runs).

The same seed, graph and settings give the same sequence of states on every run.

A note on what the ensemble is: recombination proposals are not reversible moves, and the
Metropolis rule is applied to the objective difference alone (no proposal-probability correction),
so with ``beta > 0`` the chain is a guided explorer of valid partitions, not an exact sampler of a
Gibbs distribution. Its guarantees are those of validity: every state it holds keeps every party
whole and, for recorded states, the balance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from delimit.propose import chain_core as core

if TYPE_CHECKING:
    from delimit.propose.graph import ParcelGraph


@dataclass(frozen=True)
class ChainSettings:
    """How the chain moves and what it keeps.

    Attributes
    ----------
    p_recom: probability that a step is a recombination (else a single-node flip).
    region_size: free nodes re-split by one recombination (<= 0: the whole graph, as ReCom with 2 parts).
    max_tries: spanning trees drawn per recombination before giving up on a balanced cut.
    balance: ``'exchange'`` (area moved each way within ``tol`` of the larger), ``'bounds'`` (balance
        weight of each party within ``[lo, hi]``) or ``'none'``.
    flip_balance_hard: flips must keep the balance too (else balance only constrains recorded states).
    weights: objective weights (per person moved, per metre of cut, per cut edge, per m^2 of net imbalance).
    beta: inverse temperature of the Metropolis rule (0: accept every valid step).
    min_part: in graphs without anchors, the least nodes each party must keep (GerryChain: no empty district).
    record_every: record the state every this many steps (0: never).
    max_records: capacity of the record.
    require_exchange: record only states that move land both ways (more than ``min_exchange_m2`` each).
    """

    p_recom: float = 0.1
    region_size: int = 48
    max_tries: int = 50
    balance: str = "exchange"
    tol: float = 0.05
    lo: float = 0.0
    hi: float = 0.0
    flip_balance_hard: bool = False
    weights: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    beta: float = 0.0
    min_part: int = 0
    record_every: int = 10
    max_records: int = 2000
    require_exchange: bool = True
    min_exchange_m2: float = 0.0
    check_party: tuple[bool, bool] = (True, True)


_BAL = {"none": core.BAL_NONE, "exchange": core.BAL_EXCHANGE, "bounds": core.BAL_BOUNDS}


@dataclass
class ChainRecord:
    """States recorded by a chain: assignments (records x nodes, int8), statistics, hashes, steps."""

    assign: np.ndarray
    stats: np.ndarray
    hashes: np.ndarray
    steps: np.ndarray


class ChainGraph(Protocol):
    """The graph a :class:`Chain` walks: symmetric CSR adjacency over nodes held by party 0 or 1.

    :class:`~delimit.propose.graph.ParcelGraph` is one; :meth:`CsrGraph.plain` builds one without anchors.
    ``edge_len_m``: length (m) of each CSR entry's shared boundary; ``holder``: party (0/1) holding each
    node now; ``is_anchor``/``anchor_group``: see :class:`~delimit.propose.graph.ParcelGraph`.
    """

    indptr: np.ndarray
    indices: np.ndarray
    edge_len_m: np.ndarray
    holder: np.ndarray
    is_anchor: np.ndarray
    anchor_group: np.ndarray


@dataclass(frozen=True)
class CsrGraph:
    """A :class:`ChainGraph` from plain arrays (for graphs that are not parcel graphs, e.g. a grid).

    >>> import numpy as np
    >>> g = CsrGraph.plain(np.array([0, 1, 2]), np.array([1, 0]), np.array([5.0, 5.0]), np.array([0, 1]))
    >>> g.is_anchor.tolist(), g.anchor_group.tolist()
    ([False, False], [-1, -1])
    """

    indptr: np.ndarray
    indices: np.ndarray
    edge_len_m: np.ndarray
    holder: np.ndarray
    is_anchor: np.ndarray
    anchor_group: np.ndarray

    @classmethod
    def plain(cls, indptr: np.ndarray, indices: np.ndarray, edge_len_m: np.ndarray, holder: np.ndarray) -> CsrGraph:
        """A graph without anchors (every node may move unless the chain fixes it)."""
        n = len(holder)
        return cls(indptr, indices, edge_len_m, holder, np.zeros(n, dtype=bool), np.full(n, -1, dtype=np.int64))


@dataclass(frozen=True)
class NodeWeights:
    """What each node weighs for the chain, per node.

    Attributes
    ----------
    exchange_m2: land (m^2) a node moves when it changes party (the area exchanged each way).
    population: persons moved when it changes party.
    balance: the node's weight in the ``'bounds'`` balance (e.g. 1 per node, or its area).
    """

    exchange_m2: np.ndarray
    population: np.ndarray
    balance: np.ndarray

    @classmethod
    def of_parcels(cls, graph: ParcelGraph) -> NodeWeights:
        """A parcel graph's own weights: its areas (exchanged and balanced) and populations."""
        return cls(graph.area_m2, graph.population, graph.area_m2)


class Chain:
    """A seeded two-party chain on a graph.

    Parameters
    ----------
    graph: the graph (:class:`ChainGraph`: a parcel graph or a :class:`CsrGraph`).
    weights: per-node exchange area, population and balance weight (:class:`NodeWeights`).
    settings: how the chain moves and what it records.
    seed: the seed (same graph, weights, settings and seed: the same states).
    fixed: nodes that never move (default: the graph's anchors).
    start: the state to start from (default: the graph's holders).

    The compiled kernels of :mod:`delimit.propose.chain_core` take the arrays as attributes of this object.
    """

    def __init__(
        self,
        graph: ChainGraph,
        weights: NodeWeights,
        settings: ChainSettings,
        *,
        seed: int,
        fixed: np.ndarray | None = None,
        start: np.ndarray | None = None,
    ) -> None:
        self.settings = settings
        self.seed = seed
        self.counters = np.zeros(4, dtype=np.int64)
        self.indptr = np.ascontiguousarray(graph.indptr, dtype=np.int64)
        self.indices = np.ascontiguousarray(graph.indices, dtype=np.int64)
        self.elen = np.ascontiguousarray(graph.edge_len_m, dtype=np.float64)
        self.holder = np.ascontiguousarray(graph.holder, dtype=np.int8)
        self.is_anchor = np.ascontiguousarray(graph.is_anchor, dtype=np.bool_)
        self.anchor_group = np.ascontiguousarray(graph.anchor_group, dtype=np.int64)
        self.fixed = np.array(graph.is_anchor if fixed is None else fixed, dtype=np.bool_)
        self.area = np.ascontiguousarray(weights.exchange_m2, dtype=np.float64)
        self.pop = np.ascontiguousarray(weights.population, dtype=np.float64)
        self.bw = np.ascontiguousarray(weights.balance, dtype=np.float64)
        n = len(self.holder)
        self.edge_src = np.repeat(np.arange(n, dtype=np.int64), np.diff(self.indptr))
        self.rng = core.seed_state(self.seed)
        zrng = core.seed_state(self.seed ^ 0x5DEECE66D)
        self.zob = np.array([int(core.rng_next(zrng)) for _ in range(n)], dtype=np.uint64)
        self.assign = np.array(self.holder if start is None else start, dtype=np.int8)
        self.stats = np.zeros(7)
        self.hash = np.zeros(1, dtype=np.uint64)
        self._recompute_stats()
        s = self.settings
        self._rec_assign = np.zeros((max(1, s.max_records), n), dtype=np.int8)
        self._rec_stats = np.zeros((max(1, s.max_records), 7))
        self._rec_hash = np.zeros(max(1, s.max_records), dtype=np.uint64)
        self._rec_step = np.zeros(max(1, s.max_records), dtype=np.int64)
        self._n_rec = np.zeros(1, dtype=np.int64)
        self.pool = np.arange(len(self.indices), dtype=np.int64)
        self.steps_done = 0

    def _recompute_stats(self) -> None:
        """Statistics of the current state from scratch (the incremental updates must agree)."""
        a, h = self.assign, self.holder
        moved = a != h
        src = self.edge_src
        cut = a[src] != a[self.indices]
        self.stats[:] = 0.0
        self.stats[core.PEOPLE] = self.pop[moved].sum()
        self.stats[core.AB] = self.area[moved & (h == 0)].sum()
        self.stats[core.BA] = self.area[moved & (h == 1)].sum()
        self.stats[core.CUTLEN] = self.elen[cut].sum() / 2.0
        self.stats[core.CUTN] = cut.sum() / 2.0
        self.stats[core.WB] = self.bw[a == 1].sum()
        self.stats[core.NB] = float((a == 1).sum())
        hv = np.uint64(0)
        for v in np.flatnonzero(moved):
            hv ^= self.zob[v]
        self.hash[0] = hv

    def valid(self) -> bool:
        """Whether the current state keeps every party whole (exact, whole-graph labelling)."""
        n = len(self.assign)
        ng = max(1, int(self.anchor_group.max()) + 1) if len(self.anchor_group) else 1
        return bool(
            core.partition_valid(
                self.assign,
                self.indptr,
                self.indices,
                self.is_anchor,
                self.anchor_group,
                np.array(self.settings.check_party, dtype=np.bool_),
                np.empty(n, np.int64),
                np.empty(n + 2, np.int64),
                np.empty(ng, np.int64),
                self.settings.min_part,
            )
        )

    def reset(
        self, start: np.ndarray | None = None, fixed: np.ndarray | None = None, pool: np.ndarray | None = None
    ) -> None:
        """Restart from ``start`` (default: the holders), optionally with new fixed nodes and a new
        pool of CSR entries to draw moves from (a focus region). The record and generator carry on."""
        self.assign[:] = self.holder if start is None else start
        if fixed is not None:
            self.fixed = np.ascontiguousarray(fixed, dtype=np.bool_)
        self.pool = np.ascontiguousarray(np.arange(len(self.indices)) if pool is None else pool, dtype=np.int64)
        self._recompute_stats()

    def run(self, n_steps: int, *, progress: Callable[[str, float], None] | None = None, chunks: int = 20) -> None:
        """Run ``n_steps`` more steps (in ``chunks`` compiled calls, reporting progress between them)."""
        s = self.settings
        per = max(1, -(-n_steps // max(1, chunks)))
        done = 0
        while done < n_steps:
            k = min(per, n_steps - done)
            core.run_steps(
                k,
                self.rng,
                self.pool,
                self.assign,
                self.holder,
                self.fixed,
                self.indptr,
                self.indices,
                self.edge_src,
                self.elen,
                self.area,
                self.pop,
                self.bw,
                self.zob,
                self.stats,
                self.hash,
                self.is_anchor,
                self.anchor_group,
                np.array(s.check_party, dtype=np.bool_),
                _BAL[s.balance],
                float(s.tol),
                float(s.lo),
                float(s.hi),
                float(self.bw.sum()),
                bool(s.flip_balance_hard),
                np.array(s.weights, dtype=np.float64),
                float(s.beta),
                int(s.min_part),
                int(s.region_size),
                int(s.max_tries),
                float(s.p_recom),
                int(s.record_every),
                int(self.steps_done),
                self._rec_assign,
                self._rec_stats,
                self._rec_hash,
                self._rec_step,
                self._n_rec,
                self.counters,
                bool(s.require_exchange),
                float(s.min_exchange_m2),
            )
            done += k
            self.steps_done += k
            if progress is not None:
                progress(f"step {self.steps_done}", done / n_steps)

    def record(self) -> ChainRecord:
        """The states recorded so far (distinct by hash), in the order they were met."""
        k = int(self._n_rec[0])
        return ChainRecord(
            self._rec_assign[:k].copy(),
            self._rec_stats[:k].copy(),
            self._rec_hash[:k].copy(),
            self._rec_step[:k].copy(),
        )

    def clear_record(self) -> None:
        """Forget the recorded states (after harvesting them with :meth:`record`)."""
        self._n_rec[0] = 0

    def acceptance(self) -> dict[str, float]:
        c = self.counters
        return {
            "recom_steps": int(c[0]),
            "recom_accepted": int(c[1]),
            "flip_steps": int(c[2]),
            "flip_accepted": int(c[3]),
        }
