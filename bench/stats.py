"""Small numeric helpers shared by the bench's workers and its report."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile (the value at or below which pct % of values lie)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary_ms(latencies_s: Sequence[float]) -> dict[str, float | None]:
    """p50/p90/p99/max in milliseconds from latencies in seconds."""
    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 3)

    return {
        "p50_ms": ms(percentile(latencies_s, 50)),
        "p90_ms": ms(percentile(latencies_s, 90)),
        "p99_ms": ms(percentile(latencies_s, 99)),
        "max_ms": ms(max(latencies_s) if latencies_s else None),
    }
