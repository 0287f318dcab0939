"""Many-to-many travel costs: an exact origin x destination matrix (e.g. settlements x targets).

:func:`travel_time_matrix` runs one distances-only bucket search per row or per column, whichever
side is smaller (columns on the reversed graph), each stopped as soon as every cell of its row or
column is final (:func:`delimit.access.kernels.bucket_matrix_csr`). Costs are exact - the same as
:func:`delimit.access.solver.solve` and scipy's Dijkstra up to float round-off (tested against
both, and against pandana's contraction hierarchies where pandana is installed). Units are those
of the network's arc costs: seconds on an :class:`~delimit.access.network.AccessNetwork`.
"""

from __future__ import annotations

import numpy as np

from delimit.access.kernels import bucket_matrix_csr, bucket_width, effective_costs, reverse_csr
from delimit.access.network import AccessNetwork
from delimit.access.solver import _arc_bounds, _heads


def _reversed(net: AccessNetwork) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The network's reversed CSR ``(indptr, indices, order)``, built once per network."""
    cache = getattr(net, "_reversed_csr", None)
    if cache is None or cache[2].shape != net.indices.shape:
        cache = reverse_csr(net.indptr, net.indices)
        net._reversed_csr = cache  # type: ignore[attr-defined]  # a per-network cache AccessNetwork declares no field for
    return cache


def cost_matrix(
    indptr: np.ndarray,
    indices: np.ndarray,
    cost: np.ndarray,
    blocked: np.ndarray,
    from_nodes: np.ndarray,
    from_offsets: np.ndarray,
    to_nodes: np.ndarray,
    to_offsets: np.ndarray,
    reverse: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Exact ``(len(from_nodes), len(to_nodes))`` shortest costs on a CSR graph with effective arc costs.

    Node -1 means off the graph (a row or column of ``inf``); offsets are added at either end.
    Searches run from the smaller side; searching from the destinations needs the reversed CSR
    (``reverse``, from :func:`delimit.access.kernels.reverse_csr`; built here when not given).
    """
    cost = np.asarray(cost, np.float64)
    finite = cost[np.isfinite(cost)]
    pos = finite[finite > 0]
    lo = float(pos.min()) if len(pos) else 1.0
    hi = float(finite.max()) if len(finite) else 1.0
    delta, nbits = bucket_width(lo, max(hi, lo))
    args = (np.asarray(from_nodes, np.int64), np.asarray(from_offsets, np.float64))
    back = (np.asarray(to_nodes, np.int64), np.asarray(to_offsets, np.float64))
    if len(back[0]) >= len(args[0]):
        return bucket_matrix_csr(indptr, indices, cost, blocked, *args, *back, delta, nbits)
    rip, rix, order = reverse if reverse is not None else reverse_csr(indptr, indices)
    return bucket_matrix_csr(rip, rix, cost[order], blocked, *back, *args, delta, nbits).T.copy()


def travel_time_matrix(
    net: AccessNetwork,
    group_add: np.ndarray,
    blocked: np.ndarray,
    from_nodes: np.ndarray,
    from_offsets: np.ndarray,
    to_nodes: np.ndarray,
    to_offsets: np.ndarray,
) -> np.ndarray:
    """Seconds from every origin to every destination on ``net`` under one regime and class.

    ``group_add``/``blocked`` come from :func:`delimit.access.rules.group_costs`; origins and
    destinations are network nodes (-1: not attached, giving ``inf``) with their connector seconds
    (e.g. ``net.attach``'s ``node`` and ``offset_s``). Returns a float64 array of seconds, ``inf``
    where no route exists.
    """
    _arc_bounds(net)
    w = effective_costs(net.base, net.group, group_add)
    return cost_matrix(
        net.indptr, _heads(net), w, blocked, from_nodes, from_offsets, to_nodes, to_offsets, reverse=_reversed(net)
    )
