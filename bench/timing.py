"""Shared by the benchmarks: the best time of repeated runs (the least disturbed by noise)."""

from __future__ import annotations

import time


def best_of(fn, repeat: int = 3) -> tuple[float, object]:
    """Run ``fn`` ``repeat`` times; return the shortest time in seconds and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result
