"""``propose``: balanced land swaps that keep every territory whole, ranked by weighted objectives.

Pipeline (pure: no files, no printing):

1. the zone (:mod:`delimit.propose.zone`) is split into parcels (:mod:`delimit.propose.units`) and
   a parcel graph with anchors (:mod:`delimit.propose.graph`);
2. pins are derived from settlements and roads (:mod:`delimit.propose.constraints`);
3. candidates come from the exact model (:mod:`delimit.propose.exact`, small zones) or the seeded
   Markov chain (:mod:`delimit.propose.chain`, large zones);
4. candidates are ranked (weighted sum, or Pareto front first) and picked greedily so that each
   differs from those already picked by at least ``min_distance`` parcels;
5. each picked candidate passes the independent checker (:mod:`delimit.propose.check`), and, when
   asked, the geometric checks of :mod:`delimit.topology` (necks, enclaves) and the access check of
   :mod:`delimit.access`, all on the scenario the proposal describes (:mod:`delimit.propose.apply`).
   Violations are reported per proposal; proposals violating nothing come first.

Every proposal is ``illustrative``: a generated option, not any party's position.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
from shapely.geometry.base import BaseGeometry

from delimit.errors import InputError
from delimit.model.scenario import Scenario, Transfer
from delimit.propose.apply import apply_proposal, proposal_transfers
from delimit.propose.chain import Chain, ChainRecord, ChainSettings, NodeWeights
from delimit.propose.check import IndependentChecker
from delimit.propose.constraints import Constraints, Pins, pin_parcels
from delimit.propose.exact import EXACT_MAX_PARCELS, solve_exact
from delimit.propose.graph import ParcelGraph
from delimit.propose.objectives import Weights, evaluate, score, turning_points

ProgressFn = Callable[[str, float], None]

#: Default limit on proposals per run (the CLI reads ``DELIMIT_MAX_PROPOSALS``): the chain runs
#: 3 segments of 2,000 steps per proposal asked, so the run time grows with ``n`` (the README's
#: ``-n 20`` takes a few minutes on two cores).
DEFAULT_MAX_PROPOSALS = 100

#: Seeds are numpy seeds: whole numbers from 0 to 2**63 - 1.
MAX_SEED = 2**63 - 1


def check_run_size(n: int, seed: int, max_proposals: int = DEFAULT_MAX_PROPOSALS) -> None:
    """Refuse, before any work, a proposal count outside 1..``max_proposals`` or a seed outside 0..2**63-1."""
    if n < 1:
        raise InputError(None, "the number of proposals must be at least 1", field="n")
    if n > max_proposals:
        raise InputError(
            None,
            f"{n:,} proposals asked, above the limit of {max_proposals:,} (each takes 3 chain segments of 2,000 steps; raise DELIMIT_MAX_PROPOSALS)",
            field="n",
        )
    if not 0 <= seed <= MAX_SEED:
        raise InputError(None, f"seed {seed} is not a whole number from 0 to 2**63 - 1", field="seed")


ILLUSTRATIVE_NOTE = (
    "Generated proposals are illustrative: options computed from the scenario's data under the stated "
    "constraints and weights, not any party's position or map."
)


@dataclass
class Proposal:
    """One proposal: which node goes to which party, its objectives and its violated constraints."""

    id: str
    assign: np.ndarray
    metrics: dict[str, Any]
    constraints_violated: list[str]
    score: float
    source: str
    scenario: Scenario | None = None

    def as_dict(self) -> dict[str, Any]:
        m = self.metrics
        return {
            "id": self.id,
            "area_exchanged_km2": m["area_exchanged_km2"],
            "imbalance": m["imbalance"],
            "people_moved": m["people_moved"],
            "turning_points": m.get("turning_points"),
            "access_loss": m.get("access_loss"),
            "boundary_length_km": m["boundary_length_km"],
            "boundary_length_change_km": m["boundary_length_change_km"],
            "parcels_moved": m["parcels_moved"],
            "score": self.score,
            "constraints_violated": list(self.constraints_violated),
            "status": "illustrative",
            "source": self.source,
        }


@dataclass
class ProposalSet:
    """The result of :func:`propose`."""

    scenario: Scenario
    graph: ParcelGraph
    proposals: list[Proposal]
    method: str
    seed: int
    constraints: Constraints
    weights: Weights
    pins: Pins
    info: dict[str, Any] = field(default_factory=dict)

    def parcels_frame(self) -> gpd.GeoDataFrame:
        """Every parcel once (WGS84), with one column per proposal naming the party it goes to.

        Columns: ``parcel_id, party_before, area_km2, population, settlements, road_ids``, then
        ``after_<id>`` per proposal (e.g. ``after_P01``: the party holding the parcel under that
        proposal), ``moved_in`` (the proposals that move the parcel, comma-separated), ``status``,
        ``geometry``. Each proposal's source is in its scenario file and ``summary.json``.
        """
        g = self.graph
        n = g.n_parcels
        f = (
            g.parcels[["parcel_id", "party", "area_km2", "population", "settlements", "road_ids", "geometry"]]
            .rename(columns={"party": "party_before"})
            .copy()
        )
        names = np.array(g.parties, dtype=object)
        moved_in: list[list[str]] = [[] for _ in range(n)]
        for p in self.proposals:
            f.insert(len(f.columns) - 1, f"after_{p.id}", names[p.assign[:n]])
            for i in np.flatnonzero(p.assign[:n] != g.holder[:n]).tolist():
                moved_in[i].append(p.id)
        f.insert(len(f.columns) - 1, "moved_in", [",".join(m) for m in moved_in])
        f.insert(len(f.columns) - 1, "status", "illustrative")
        return gpd.GeoDataFrame(f, geometry="geometry", crs=g.parcels.crs)

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary: proposals, settings, baseline, CRSs, provenance and data marks."""
        return {
            "proposals": [p.as_dict() for p in self.proposals],
            "parties": list(self.graph.parties),
            "method": self.method,
            "seed": self.seed,
            "constraints": self.constraints.as_dict(),
            "weights": self.weights.__dict__,
            "status": "illustrative",
            "note": ILLUSTRATIVE_NOTE,
            "crs": self.graph.crs_info(),
            "definitions": {
                "area_exchanged_km2": "land each party cedes (km2, equal-area CRS)",
                "imbalance": "|ceded by A - ceded by B| / the larger, areas in km2 (dimensionless; 0 = equal areas each way, 1 = one way only)",
                "balanced": "imbalance <= constraints.balance (the tolerance); compare applies the same test (delimit.impact.land.is_balanced_exchange) with the balance_tolerance each proposal's scenario file records",
                "people_moved": "recorded population of settlements that change party",
                "turning_points": "vertices where the new line turns by more than 1 degree, along the zone",
                "access_loss": "settlements that reached their regional centre before and no longer do (null: not checked)",
            },
            **self.info,
            "provenance": self.scenario.provenance.as_dict(),
            "data_marks": self.scenario.data_marks(["territory", "settlements", "roads", "water_bodies"]),
        }


def _pareto(points: np.ndarray) -> np.ndarray:
    """Mask of non-dominated rows (all objectives minimised)."""
    keep = np.ones(len(points), dtype=bool)
    for i in range(len(points)):
        if not keep[i]:
            continue
        dominated = np.all(points <= points[i], axis=1) & np.any(points < points[i], axis=1)
        if dominated.any():
            keep[i] = False
    return keep


def propose(
    scenario: Scenario,
    graph: ParcelGraph,
    *,
    constraints: Constraints = Constraints(),
    weights: Weights = Weights(),
    method: str = "auto",
    n: int = 10,
    seed: int = 0,
    steps: int | None = None,
    pareto: bool = False,
    min_distance: int = 2,
    exact_max_parcels: int = EXACT_MAX_PARCELS,
    access_class: dict[str, str] | None = None,
    chain_beta: float = 0.5,
    max_proposals: int | None = None,
    progress: ProgressFn | None = None,
) -> ProposalSet:
    """Generate up to ``n`` proposals on ``graph`` (built from ``scenario``).

    Parameters
    ----------
    method: ``'exact'`` (HiGHS MIP), ``'chain'`` (seeded Markov chain) or ``'auto'`` (exact up to
        ``exact_max_parcels`` parcels).
    seed: the chain's seed (the exact method is deterministic; the seed is recorded).
    steps: chain steps in all (default 2,000 per segment; see :func:`_run_chain_segments`).
    chain_beta: inverse temperature of the chain's Metropolis rule on the weighted objective.
    pareto: rank the Pareto front (people, line length, cut edges, imbalance) before the rest.
    min_distance: each picked proposal differs from every earlier one by at least this many parcels.
    access_class: traveller class per party for the access check (default: that party's resident
        vehicle class).
    max_proposals: refuse ``n`` above this (default: no limit for library callers).

    An error of the topology or access engine in the final checks propagates (it is not a violation).
    """
    say = progress or (lambda _m, _f: None)
    _check_arguments(n, seed, max_proposals, constraints, method)
    chosen = method if method != "auto" else ("exact" if graph.n_parcels <= exact_max_parcels else "chain")
    pins = pin_parcels(scenario, graph, constraints)
    start = _RunStart.of(graph, pins, constraints)
    info: dict[str, Any] = {
        "zone_km2": float(graph.parcels["area_km2"].sum()),
        "parcels": graph.n_parcels,
        "anchors": int(graph.is_anchor.sum()),
        "pinned_parcels": int((pins.party >= 0).sum()),
        "notes": list(graph.notes) + list(pins.unavoidable),
    }
    if chosen == "exact":
        cands, info["solver"] = _exact_candidates(
            graph, start, weights, constraints, n, min_distance, exact_max_parcels, say
        )
        where: dict[int, tuple[int, int]] = {}
        source_tpl = "delimit propose, seed {seed}, method exact (HiGHS MIP, rank {rank})"
    else:
        cands, where, info["chain"] = _run_chain_segments(
            graph, start.fixed, start.start, weights, constraints, start.check_party, n, seed, steps, chain_beta, say
        )
        source_tpl = (
            "delimit propose, seed {seed}, method chain (recombination + flips, segment {segment}, step {step})"
        )
    metrics, scores, order = _rank_candidates(graph, cands, weights, pareto)
    base_turn = turning_points(list(graph.edge_geom[_cut_edges(graph, graph.holder)]))
    info["baseline"] = {
        "boundary_length_km": float(evaluate(graph, graph.holder, with_geometry=False)["boundary_length_km"]),
        "turning_points": base_turn,
    }
    info["checks_skipped"] = []
    picker = _Picker(scenario, graph, constraints, pins, start.check_party, min_distance, n)
    checks = _FinalChecks(scenario, graph, constraints, access_class)
    for rank, i in enumerate(order):
        if picker.full():
            break
        if picker.too_close(cands, i):
            continue
        picker.considered += 1
        if picker.exhausted():
            break
        seg_step = where.get(i, (0, 0))
        src = source_tpl.format(seed=seed, rank=rank + 1, segment=seg_step[0], step=seg_step[1])
        prop = picker.consider(cands, i, metrics[i], float(scores[i]), src, base_turn, info)
        if prop is None:
            continue
        say(f"checking {prop.id}", 0.6 + 0.4 * min(1.0, len(picker.clean) / n))
        checks.run(prop)
        picker.file(prop)
    proposals = picker.clean + picker.flagged[: max(0, n - len(picker.clean))]
    _finish(proposals, graph, info)
    say("done", 1.0)
    return ProposalSet(scenario, graph, proposals, chosen, seed, constraints, weights, pins, info)


def _check_arguments(n: int, seed: int, max_proposals: int | None, constraints: Constraints, method: str) -> None:
    """Refuse a run size, seed, balance or method the engine cannot honour (before any work)."""
    check_run_size(n, seed, max(n, DEFAULT_MAX_PROPOSALS) if max_proposals is None else max_proposals)
    if constraints.balance is not None and not 0 <= constraints.balance < 1:
        raise InputError(None, "balance must be a fraction in [0, 1)", field="balance")
    if method not in ("auto", "exact", "chain"):
        raise InputError(None, f"unknown method {method!r} (exact, chain or auto)", field="method")


@dataclass(frozen=True)
class _RunStart:
    """Where the generators start: pinned party per node (-1 free), fixed nodes, the start state and
    which parties must stay whole."""

    pin_nodes: np.ndarray
    fixed: np.ndarray
    start: np.ndarray
    check_party: tuple[bool, bool]

    @classmethod
    def of(cls, graph: ParcelGraph, pins: Pins, constraints: Constraints) -> _RunStart:
        party_a, party_b = graph.parties
        check_party = (
            constraints.connected and party_a not in constraints.allow_exclaves,
            constraints.connected and party_b not in constraints.allow_exclaves,
        )
        pin_nodes = np.concatenate([pins.party, np.full(graph.n_nodes - graph.n_parcels, -1, dtype=np.int8)])
        fixed = graph.is_anchor | (pin_nodes >= 0)
        start = np.where(pin_nodes >= 0, pin_nodes, graph.holder).astype(np.int8)
        return cls(pin_nodes, fixed, start, check_party)


def _exact_candidates(
    graph: ParcelGraph,
    start: _RunStart,
    weights: Weights,
    constraints: Constraints,
    n: int,
    min_distance: int,
    exact_max_parcels: int,
    say: ProgressFn,
) -> tuple[list[np.ndarray], dict[str, Any]]:
    """The exact model's ``n + 2`` best assignments, and the solver's record."""
    if graph.n_parcels > 5 * exact_max_parcels:
        raise InputError(
            None,
            f"{graph.n_parcels} parcels is too many for the exact method; use --method chain or larger units",
            field="method",
        )
    u, v, w, _ = graph.edges()
    res = solve_exact(
        holder=graph.holder,
        is_anchor=graph.is_anchor,
        anchor_group=graph.anchor_group,
        pins=start.pin_nodes,
        edges_u=u,
        edges_v=v,
        edge_len_m=w,
        area_m2=graph.area_m2,
        population=graph.population,
        weights=weights.chain_vector(),
        balance=constraints.balance,
        check_party=start.check_party,
        min_exchange_m2=constraints.min_exchange_m2,
        min_distance=min_distance,
        k=n + 2,
        progress=lambda m, f: say(m, 0.6 * f),
    )
    return res.assignments, {"name": "HiGHS", "status": res.status, "solutions": len(res.assignments)}


def _rank_candidates(
    graph: ParcelGraph, cands: list[np.ndarray], weights: Weights, pareto: bool
) -> tuple[list[dict[str, Any]], np.ndarray, list[int]]:
    """Each candidate's metrics and weighted score, and the order to consider them in (best first;
    with ``pareto``, the Pareto front of people, line length change, cut edges and imbalance first)."""
    base_cut = int(evaluate(graph, graph.holder, with_geometry=False)["cut_edges"])
    metrics = [evaluate(graph, a, with_geometry=False) for a in cands]
    scores = np.array([score(m, weights, base_cut) for m in metrics])
    order = [int(i) for i in np.argsort(scores, kind="stable")]
    if pareto and cands:
        pts = np.array(
            [[m["people_moved"], m["boundary_length_change_km"], m["cut_edges"], m["imbalance"]] for m in metrics],
            dtype=float,
        )
        front = _pareto(pts)
        order = [i for i in order if front[i]] + [i for i in order if not front[i]]
    return metrics, scores, order


class _Picker:
    """Picks ranked candidates greedily: each at least ``min_distance`` parcels from those already picked,
    passing the independent checker; sorts them into clean and flagged proposals."""

    def __init__(
        self,
        scenario: Scenario,
        graph: ParcelGraph,
        constraints: Constraints,
        pins: Pins,
        check_party: tuple[bool, bool],
        min_distance: int,
        n: int,
    ) -> None:
        self.graph, self.constraints, self.pins, self.check_party = graph, constraints, pins, check_party
        self.min_distance, self.n = min_distance, n
        self.checker = IndependentChecker(graph)
        self.picked: list[int] = []
        self.clean: list[Proposal] = []
        self.flagged: list[Proposal] = []
        self.considered = 0

    def full(self) -> bool:
        return len(self.clean) >= self.n

    def exhausted(self) -> bool:
        """Whether enough candidates were considered (4n + 10) to stop looking."""
        return self.considered > 4 * self.n + 10

    def too_close(self, cands: list[np.ndarray], i: int) -> bool:
        """Whether candidate ``i`` differs from a picked one in fewer than ``min_distance`` parcels."""
        k = self.graph.n_parcels
        a = cands[i]
        return any(int((a[:k] != cands[j][:k]).sum()) < self.min_distance for j in self.picked)

    def consider(
        self,
        cands: list[np.ndarray],
        i: int,
        metrics: dict[str, Any],
        score_: float,
        source: str,
        base_turn: int,
        info: dict[str, Any],
    ) -> Proposal | None:
        """Candidate ``i`` as a proposal, or None (recorded in ``info``) when the independent checker rejects it."""
        a = cands[i]
        c = self.constraints
        viol = self.checker.violations(
            a, balance=c.balance, pins=self.pins.party, check_party=self.check_party, min_exchange_m2=c.min_exchange_m2
        )
        if viol:
            # a generator bug would surface here; never return such a proposal silently
            info.setdefault("rejected_by_checker", []).append({"candidate": int(i), "violations": viol})
            return None
        self.picked.append(i)
        m = dict(metrics)
        m["turning_points"] = turning_points(list(self.graph.edge_geom[_cut_edges(self.graph, a)]))
        m["turning_points_change"] = m["turning_points"] - base_turn
        m["access_loss"] = None
        pid = f"P{len(self.clean) + len(self.flagged) + 1:02d}"
        return Proposal(pid, a, m, [], score_, source)

    def file(self, prop: Proposal) -> None:
        (self.flagged if prop.constraints_violated else self.clean).append(prop)


class _FinalChecks:
    """The checks on the scenario each proposal describes: topology (necks, enclaves, new parts) and
    access, against the input scenario's own figures (computed once per run, held here, not in the module)."""

    def __init__(
        self, scenario: Scenario, graph: ParcelGraph, constraints: Constraints, access_class: dict[str, str] | None
    ) -> None:
        self.scenario, self.graph, self.constraints, self.access_class = scenario, graph, constraints, access_class
        self.topology = constraints.min_neck_m is not None or constraints.no_new_enclaves
        self.access = constraints.access_regime is not None
        self._base_topology: Any = None
        self._base_access: dict[str, bool] | None = None

    def run(self, prop: Proposal) -> None:
        """Add the proposal's violations (and its access loss) to it; keep its derived scenario."""
        if not (self.topology or self.access):
            return
        derived = apply_proposal(self.scenario, self.graph, prop.assign, proposal_id=prop.id, source=prop.source)
        prop.scenario = derived
        if self.topology:
            prop.constraints_violated.extend(self._topology_violations(derived))
        if self.access:
            lost = self._access_lost(derived)
            prop.metrics["access_loss"] = len(lost)
            if lost:
                prop.constraints_violated.append(
                    f"access: {len(lost)} settlement(s) lose access to their regional centre under {self.constraints.access_regime}: {', '.join(lost[:5])}"
                )

    def _topology_violations(self, after: Scenario) -> list[str]:
        from delimit.topology import analyse

        c, graph = self.constraints, self.graph
        kw: dict[str, Any] = {
            "parties": list(graph.parties),
            "neck_width_m": c.min_neck_m if c.min_neck_m is not None else 1.0,
        }
        if self._base_topology is None:
            self._base_topology = analyse(self.scenario, **kw)
        return _topology_changes(self._base_topology, analyse(after, **kw), graph.parties, c)

    def _access_lost(self, after: Scenario) -> list[str]:
        c = self.constraints
        if self._base_access is None:
            self._base_access = _reachable(self.scenario, self.graph, c.access_regime, self.access_class)
        now = _reachable(after, self.graph, c.access_regime, self.access_class)
        return sorted(s for s, ok in self._base_access.items() if ok and not now.get(s, False))


def _finish(proposals: list[Proposal], graph: ParcelGraph, info: dict[str, Any]) -> None:
    """Say why there is no proposal, if so; renumber the proposals best first (P01, P02, ...)."""
    if not proposals:
        held = {p: int((graph.holder[: graph.n_parcels] == k).sum()) for k, p in enumerate(graph.parties)}
        if min(held.values()) == 0:
            info["notes"].append(f"the zone holds parcels of one party only ({held}): there is nothing to swap")
        else:
            info["notes"].append(
                "no candidate satisfied the constraints; relax them, enlarge the zone or use smaller units"
            )
    for k, p in enumerate(proposals):
        new_id = f"P{k + 1:02d}"
        if p.id != new_id and p.scenario is not None:
            p.scenario = None
        p.id = new_id


#: Free parcels in one chain segment's focus region, and steps per segment.
FOCUS_SIZE = 400
SEGMENT_STEPS = 2000
#: Recorded states kept per segment (the best by the weighted objective).
KEEP_PER_SEGMENT = 4


def _chain_settings(
    constraints: Constraints, weights: Weights, check_party: tuple[bool, bool], beta: float
) -> ChainSettings:
    """The settings of the proposal chain: recombinations of 48-parcel regions (p = 0.1) and flips,
    Metropolis at ``beta`` on the weighted objective, a state recorded every 5 steps."""
    return ChainSettings(
        p_recom=0.1,
        region_size=48,
        max_tries=20,
        balance="exchange" if constraints.balance is not None else "none",
        tol=constraints.balance or 0.0,
        weights=weights.chain_vector(),
        beta=beta,
        record_every=5,
        max_records=SEGMENT_STEPS // 5 + 1,
        require_exchange=True,
        min_exchange_m2=constraints.min_exchange_m2,
        check_party=check_party,
    )


def _run_chain_segments(
    graph: ParcelGraph,
    fixed: np.ndarray,
    start: np.ndarray,
    weights: Weights,
    constraints: Constraints,
    check_party: tuple[bool, bool],
    n: int,
    seed: int,
    steps: int | None,
    beta: float,
    say: ProgressFn,
) -> tuple[list[np.ndarray], dict[int, tuple[int, int]], dict[str, Any]]:
    """Run the chain as an ensemble of segments, each focused on one stretch of the line.

    A negotiable swap is local: a segment restarts from the status quo, picks (with the seed) a
    place where the two parties meet, frees the ``FOCUS_SIZE`` parcels nearest to it (breadth-first)
    and runs ``SEGMENT_STEPS`` steps there (recombinations of 48-parcel regions and flips, Metropolis
    on the weighted objective). The best balanced states of each segment become candidates.
    Returns (candidates, {candidate: (segment, step)}, chain statistics).
    """
    n_segments = max(3 * n, 24) if steps is None else max(1, steps // SEGMENT_STEPS)
    settings = _chain_settings(constraints, weights, check_party, beta)
    chain = Chain(graph, NodeWeights.of_parcels(graph), settings, seed=seed, fixed=fixed, start=start)
    if not chain.valid():
        raise InputError(
            None, "the pinned parcels cannot all keep their party with every territory whole", field="constraints"
        )
    rng = np.random.default_rng(seed)
    src = chain.edge_src
    frontier = np.flatnonzero((graph.holder[src] != graph.holder[graph.indices]) & ~fixed[src])
    if len(frontier) == 0:
        raise InputError(None, "no free parcel lies on the line: nothing can be exchanged", field="zone")
    base = evaluate(graph, graph.holder, with_geometry=False)
    base_stats = (float(base["boundary_length_km"]) * 1000.0, int(base["cut_edges"]))
    cands: list[np.ndarray] = []
    where: dict[int, tuple[int, int]] = {}
    for seg in range(n_segments):
        centre = int(src[frontier[rng.integers(len(frontier))]])
        _run_segment(chain, graph, fixed, start, centre)
        for state, step in _best_records(chain.record(), weights, *base_stats):
            where[len(cands)] = (seg + 1, step)
            cands.append(state)
        say(f"chain segment {seg + 1}/{n_segments}", 0.6 * (seg + 1) / n_segments)
    info = {
        "segments": n_segments,
        "steps_per_segment": SEGMENT_STEPS,
        "focus_parcels": FOCUS_SIZE,
        "beta": beta,
        "candidates": len(cands),
        **chain.acceptance(),
    }
    return cands, where, info


def _run_segment(chain: Chain, graph: ParcelGraph, fixed: np.ndarray, start: np.ndarray, centre: int) -> None:
    """One segment: free the ``FOCUS_SIZE`` free parcels nearest ``centre``, restart from ``start``, run
    ``SEGMENT_STEPS`` steps drawing moves from the focus region only, recording afresh."""
    ball = _ball(graph, centre, ~fixed, FOCUS_SIZE)
    seg_fixed = np.ones(graph.n_nodes, dtype=bool)
    seg_fixed[ball] = False
    seg_fixed |= fixed
    in_ball = np.zeros(graph.n_nodes, dtype=bool)
    in_ball[ball] = True
    pool = np.flatnonzero(in_ball[chain.edge_src])
    chain.reset(start, seg_fixed, pool)
    chain.clear_record()
    chain.run(SEGMENT_STEPS, chunks=1)


def _best_records(rec: ChainRecord, weights: Weights, base_len_m: float, base_cut: int) -> list[tuple[np.ndarray, int]]:
    """The ``KEEP_PER_SEGMENT`` recorded states with the lowest weighted objective (from the chain's
    incremental statistics, see :mod:`delimit.propose.chain_core`), with the step each was recorded at."""
    if not len(rec.assign):
        return []
    st = rec.stats
    w = weights.chain_vector()
    sc = (
        w[0] * st[:, 0]
        + w[1] * (st[:, 3] - base_len_m)
        + w[2] * (st[:, 4] - base_cut)
        + w[3] * np.abs(st[:, 1] - st[:, 2])
    )
    return [(rec.assign[k].copy(), int(rec.steps[k])) for k in np.argsort(sc, kind="stable")[:KEEP_PER_SEGMENT]]


def _ball(graph: ParcelGraph, centre: int, free: np.ndarray, size: int) -> np.ndarray:
    """Up to ``size`` free nodes nearest ``centre`` (breadth-first over free nodes)."""
    seen = {centre}
    order = [centre]
    head = 0
    while head < len(order) and len(order) < size:
        v = order[head]
        head += 1
        for u in graph.indices[graph.indptr[v] : graph.indptr[v + 1]].tolist():
            if u not in seen and free[u]:
                seen.add(u)
                order.append(u)
                if len(order) >= size:
                    break
    return np.array(order, dtype=np.int64)


def _cut_edges(graph: ParcelGraph, assign: np.ndarray) -> np.ndarray:
    u, v, _, e = graph.edges()
    cut: np.ndarray = e[assign[u] != assign[v]]
    return cut


def _topology_changes(t0: Any, t1: Any, parties: tuple[str, str], c: Constraints) -> list[str]:
    """Violations of the topology constraints in ``t1`` (after) compared with ``t0`` (before): a party in
    more parts, with more enclaves, or with more necks narrower than ``c.min_neck_m``."""
    out: list[str] = []
    for p in parties:
        if c.connected and p not in c.allow_exclaves:
            k0 = int((t0.parts["party"] == p).sum())
            k1 = int((t1.parts["party"] == p).sum())
            if k1 > k0:
                out.append(f"connected: {p} has {k1} part(s) on the final geometry, {k0} before")
        if c.no_new_enclaves:
            e0 = int(((t0.parts["party"] == p) & (t0.parts["kind"] == "enclave")).sum())
            e1 = int(((t1.parts["party"] == p) & (t1.parts["kind"] == "enclave")).sum())
            if e1 > e0:
                out.append(f"no_new_enclaves: {p} has {e1} enclave(s), {e0} before")
        if c.min_neck_m is not None and len(t1.necks):
            n0 = t0.necks[(t0.necks["party"] == p) & (t0.necks["min_width_m"] < c.min_neck_m)]
            n1 = t1.necks[(t1.necks["party"] == p) & (t1.necks["min_width_m"] < c.min_neck_m)]
            if len(n1) > len(n0):
                out.append(f"min_neck_m: {p} has {len(n1)} neck(s) narrower than {c.min_neck_m:g} m, {len(n0)} before")
    return out


def _reachable(
    scenario: Scenario, graph: ParcelGraph, regime: str | None, classes: dict[str, str] | None
) -> dict[str, bool]:
    """settlement_id -> reachable, for settlements in the zone, each with its party's class."""
    from delimit.access import travel_times

    ids = {s for cell in graph.parcels["settlements"] for s in cell.split(",") if s}
    out: dict[str, bool] = {}
    for p in graph.parties:
        cls = (classes or {}).get(p) or _resident_class(scenario, p)
        rows = travel_times(scenario, traveller_class=cls, regime=regime).rows
        sid = "settlement_id" if "settlement_id" in rows.columns else "settlement"
        for _, r in rows.iterrows():
            key = str(r[sid])
            if key in ids and ("party" not in rows.columns or r["party"] == p):
                out[key] = bool(r["reachable"])
    return out


def _resident_class(scenario: Scenario, party: str) -> str:
    for c in scenario.traveller_classes.values():
        if c.party == party and c.kind == "resident" and c.mode == "vehicle":
            return c.id
    for c in scenario.traveller_classes.values():
        if c.party == party:
            return c.id
    raise InputError(
        scenario.name, f"no traveller class for party {party!r}: name one for the access check", field="access_class"
    )


def transfers_for(result: ProposalSet, proposal: Proposal) -> list[Transfer]:
    """The transfers of a proposal (as a scenario file lists them)."""
    return proposal_transfers(result.graph, proposal.assign, proposal_id=proposal.id, source=proposal.source)


def zone_geometry(
    scenario: Scenario,
    parties: tuple[str, str],
    spec: str,
    *,
    polygon: BaseGeometry | None = None,
    other: Scenario | None = None,
    raw: bool = False,
) -> BaseGeometry:
    """The zone for a ``--zone`` spec: ``band:WIDTH``, ``disputed:OTHER`` (``other`` loaded), or a polygon.

    With ``raw``, the outline before it is clipped to the parties' land (pass it to
    :func:`~delimit.propose.units.build_parcels` as ``cut_zone`` so that transfers cut cleanly).
    """
    from delimit.propose.zone import parse_length_m, zone_band, zone_disputed, zone_from_polygon

    if spec.startswith("band:"):
        return zone_band(scenario, parties, parse_length_m(spec[5:], field="zone"), raw=raw)
    if spec.startswith("disputed:"):
        if other is None:
            raise InputError(None, "disputed zones need the other scenario", field="zone")
        return zone_disputed(scenario, other, parties, raw=raw)
    if polygon is None:
        raise InputError(
            None, f"cannot read zone {spec!r} (band:WIDTH, disputed:SCENARIO or a polygon file)", field="zone"
        )
    return zone_from_polygon(scenario, parties, polygon, raw=raw)
