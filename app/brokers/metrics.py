"""Latency and outcome of recent broker calls in this process, for the health page."""
from __future__ import annotations

import threading
from collections import defaultdict, deque

from app.domain.broker_types import CallRecord


def _percentile(sorted_values: list[float], fraction: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


class CallStats:
    """Keeps the last `window` calls per broker and summarises them."""

    def __init__(self, window: int = 500):
        self._calls: dict[str, deque[CallRecord]] = defaultdict(lambda: deque(maxlen=window))
        self._lock = threading.Lock()

    def record(self, call: CallRecord) -> None:
        with self._lock:
            self._calls[call.broker].append(call)

    def summary(self) -> dict[str, dict]:
        with self._lock:
            snapshot = {broker: list(calls) for broker, calls in self._calls.items()}
        result = {}
        for broker, calls in snapshot.items():
            latencies = sorted(call.latency_ms for call in calls if call.status_code is not None)
            errors = sum(1 for call in calls if call.outcome != "ok")
            result[broker] = {
                "calls": len(calls),
                "error_rate": errors / len(calls),
                "p50_ms": _percentile(latencies, 0.50),
                "p95_ms": _percentile(latencies, 0.95),
                "p99_ms": _percentile(latencies, 0.99),
                "last_outcome": calls[-1].outcome,
            }
        return result


# The process's recorder; the shared HTTP client reports every call here unless given another.
call_stats = CallStats()
