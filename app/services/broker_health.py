"""What the health page shows of the brokers: latency percentiles and error rates of recent calls."""
from app.brokers.metrics import call_stats


def broker_call_summary() -> dict[str, dict]:
    """Per broker: calls, error rate, p50/p95/p99 latency of the last calls made by this process."""
    return call_stats.summary()
