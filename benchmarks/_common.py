"""Shared helpers for benchmarks: timing, peak memory, and printing each figure as a ratio.

Every benchmark prints lines of the form::

    BENCH <name>: <value> <unit> | baseline <baseline name>: <value> <unit> | ratio x<speed-up>

where the baseline was measured in the same run on the same machine. Benchmarks are never tests:
nothing here asserts a time.
"""

from __future__ import annotations

import gc
import resource
import time
from collections.abc import Callable
from typing import Any


def timeit(fn: Callable[[], Any], *, repeat: int = 3, min_time: float = 0.0) -> tuple[float, Any]:
    """Best wall time (seconds) of ``repeat`` calls, and the last result."""
    best = float("inf")
    result = None
    for _ in range(max(1, repeat)):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t0
        best = min(best, dt)
        if min_time and dt > min_time:
            break
    return best, result


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def report(
    name: str, value: float, unit: str, baseline_name: str, baseline_value: float, *, higher_is_better: bool = False
) -> float:
    """Print one figure against its baseline; return the speed-up ratio (>1 means we are better)."""
    if higher_is_better:
        ratio = value / baseline_value if baseline_value else float("inf")
    else:
        ratio = baseline_value / value if value else float("inf")
    print(
        f"BENCH {name}: {value:.4g} {unit} | baseline {baseline_name}: {baseline_value:.4g} {unit} | ratio x{ratio:.2f}",
        flush=True,
    )
    return ratio
