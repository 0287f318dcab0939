"""Proposal chains against GerryChain on the same graphs, measured in the same run.

Graphs: square grids of 2,500 and 10,000 nodes (rook adjacency), unit population, two parts
(left and right halves). Both chains enforce the same guarantees: each part contiguous, each part's
population within 5 % of the ideal. ReCom: GerryChain's ``recom`` with 2 districts (merge both,
random spanning tree, balanced cut) vs delimit's whole-graph recombination (Wilson's uniform tree,
balanced cut). Flip: GerryChain's ``propose_random_flip`` with ``single_flip_contiguous`` vs
delimit's boundary flip with its exact contiguity check. Figures are steps per second (higher is
better). GerryChain is installed into this venv at bench time if missing (never a dependency).
"""

from __future__ import annotations

import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import report
from delimit.propose.chain import Chain, ChainSettings, CsrGraph, NodeWeights
from delimit.propose.graph import csr_from_edges

EPSILON = 0.05


#: The GerryChain the figures are measured against (pinned as in pyproject's ``bench`` extra and constraints.txt).
GERRYCHAIN = "gerrychain==1.0.0"


def ensure_gerrychain() -> str | None:
    """Import GerryChain, installing it with pip if missing; the reason it is unavailable, or None."""
    try:
        import gerrychain

        return None
    except ImportError:
        pass
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", GERRYCHAIN], capture_output=True, text=True
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
        return f"pip install gerrychain failed: {last}"
    try:
        import gerrychain  # noqa: F401
    except ImportError as exc:
        return f"gerrychain installed but cannot be imported: {exc}"
    return None


def grid_csr(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    idx = np.arange(k * k).reshape(k, k)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    return csr_from_edges(k * k, u, v, np.ones(len(u)))


def ours(k: int, kind: str, steps: int, seed: int = 1) -> tuple[float, Chain]:
    """Steps per second of delimit's chain on a k x k grid."""
    n = k * k
    ip, ix, w = grid_csr(k)
    holder = (np.arange(n) % k >= k // 2).astype(np.int8)
    ideal = n / 2
    s = ChainSettings(
        p_recom=1.0 if kind == "recom" else 0.0,
        region_size=0,
        max_tries=100_000,
        balance="bounds",
        lo=ideal * (1 - EPSILON),
        hi=ideal * (1 + EPSILON),
        flip_balance_hard=True,
        min_part=1,
        record_every=0,
        beta=0.0,
    )
    c = Chain(CsrGraph.plain(ip, ix, w, holder), NodeWeights(np.ones(n), np.zeros(n), np.ones(n)), s, seed=seed)
    c.run(3, chunks=1)  # compile
    t0 = time.perf_counter()
    c.run(steps, chunks=1)
    dt = time.perf_counter() - t0
    assert c.valid(), "delimit chain ended in an invalid state"
    return steps / dt, c


def theirs(k: int, kind: str, steps: int, seed: int = 1) -> float:
    """Steps per second of GerryChain on the same grid and constraints."""
    import random

    import networkx as nx
    from gerrychain import Graph, MarkovChain, Partition
    from gerrychain.accept import always_accept
    from gerrychain.constraints import single_flip_contiguous, within_percent_of_ideal_population
    from gerrychain.proposals import propose_random_flip, recom
    from gerrychain.updaters import Tally, cut_edges

    random.seed(seed)
    nxg = nx.grid_2d_graph(k, k)
    nxg = nx.convert_node_labels_to_integers(nxg, ordering="sorted")
    for v in nxg.nodes:
        nxg.nodes[v]["population"] = 1
    graph = Graph.from_networkx(nxg)
    assignment = {v: int(v % k >= k // 2) for v in graph.nodes}
    part = Partition(
        graph, assignment, updaters={"population": Tally("population", alias="population"), "cut_edges": cut_edges}
    )
    ideal = k * k / 2
    pop_ok = within_percent_of_ideal_population(part, EPSILON)
    if kind == "recom":
        proposal = partial(recom, pop_col="population", pop_target=ideal, epsilon=EPSILON)
        constraints = [pop_ok]
    else:
        proposal = propose_random_flip
        constraints = [single_flip_contiguous, pop_ok]
    import inspect

    key = (
        "initial_partition"
        if "initial_partition" in inspect.signature(MarkovChain.__init__).parameters
        else "initial_state"
    )
    chain = MarkovChain(
        proposal=proposal, constraints=constraints, accept=always_accept, total_steps=steps + 1, **{key: part}
    )
    it = iter(chain)
    next(it)  # the initial state
    t0 = time.perf_counter()
    for _ in it:
        pass
    return steps / (time.perf_counter() - t0)


def main() -> int:
    reason = ensure_gerrychain()
    if reason is None:
        import importlib.metadata

        print(f"baseline: GerryChain {importlib.metadata.version('gerrychain')} (same graphs, same run)", flush=True)
    if reason is not None:
        print(
            f"BASELINE UNAVAILABLE: GerryChain could not be installed ({reason}); printing delimit's rates only",
            flush=True,
        )
    cases = [(50, "recom", 400, 30), (100, "recom", 200, 8), (50, "flip", 200_000, 3000), (100, "flip", 200_000, 3000)]
    for k, kind, our_steps, their_steps in cases:
        rate, _ = ours(k, kind, our_steps)
        name = f"propose {kind} chain, {k * k} nodes, 2 parts, eps {EPSILON}"
        if reason is None:
            base = theirs(k, kind, their_steps)
            report(name, rate, "steps/s", f"GerryChain {kind}", base, higher_is_better=True)
        else:
            print(f"BENCH {name}: {rate:.4g} steps/s | baseline GerryChain {kind}: unavailable ({reason})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
