"""The one solver every access computation goes through: exact multi-source shortest paths.

:func:`solve` picks the bucket kernel (:func:`delimit.access.kernels.bucket_csr`) with a bucket
width no larger than the smallest positive base arc cost, so results are exact (no rounding; the
same as a heap Dijkstra up to float round-off - tested against networkx).
"""

from __future__ import annotations

import math

import numpy as np

from delimit.access.kernels import bucket_csr, bucket_width, compact_indices, effective_costs
from delimit.access.network import AccessNetwork


def _arc_bounds(net: AccessNetwork) -> tuple[float, float]:
    cache = getattr(net, "_bounds", None)
    if cache is None:
        pos = net.base[net.base > 0]
        cache = (float(pos.min()) if len(pos) else 1.0, float(net.base.max()) if len(net.base) else 1.0)
        net._bounds = cache  # type: ignore[attr-defined]  # a per-network cache AccessNetwork declares no field for
    return cache


def _heads(net: AccessNetwork) -> np.ndarray:
    """The network's CSR heads as int32 (:func:`compact_indices`), converted once per network."""
    cache = getattr(net, "_heads32", None)
    if cache is None or cache.shape != net.indices.shape:
        cache = compact_indices(net.indices)
        net._heads32 = cache  # type: ignore[attr-defined]  # a per-network cache AccessNetwork declares no field for
    return cache


def solve(
    net: AccessNetwork,
    group_add: np.ndarray,
    blocked: np.ndarray,
    sources: np.ndarray,
    offsets: np.ndarray,
    limit: float = math.inf,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shortest costs (s), path metres, origin (index into ``sources``) and predecessor arc per node.

    ``group_add``/``blocked`` come from :func:`delimit.access.rules.group_costs`.
    """
    lo, hi = _arc_bounds(net)
    finite = group_add[np.isfinite(group_add)]
    hi = hi + (float(finite.max()) if len(finite) else 0.0)
    sources = np.asarray(sources, np.int64)
    offsets = np.asarray(offsets, np.float64)
    spread = float(offsets.max() - offsets.min()) if len(offsets) else 0.0
    delta, nbits = bucket_width(lo, max(hi, lo) + spread)
    # fold the regime's group costs into one cost array (one stream per relaxation instead of three)
    w = effective_costs(net.base, net.group, group_add)
    no_groups = np.zeros(0, np.int64)
    d, m, o, p = bucket_csr(
        net.indptr, _heads(net), w, net.length, no_groups, np.zeros(1), blocked, sources, offsets, delta, nbits
    )
    if math.isfinite(limit):
        over = d > limit
        d[over], m[over], o[over], p[over] = math.inf, math.inf, -1, -1
    return d, m, o, p
