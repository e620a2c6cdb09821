"""Broker call health from every process: each call is recorded, and the page reads latency and errors from them."""
from __future__ import annotations

import logging
from collections import defaultdict, deque
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, insert, select

from app.brokers.metrics import call_stats
from app.domain.broker_types import CallRecord
from app.extensions import db
from app.models import BrokerCall

log = logging.getLogger(__name__)
WINDOW = timedelta(hours=1)
KEEP = timedelta(days=2)


# Calls wait here until the request or job that made them is over: writing them mid-transaction
# would wait on (SQLite) or tangle with the order's own transaction.
_pending: deque[CallRecord] = deque(maxlen=10_000)


def record_call(call: CallRecord) -> None:
    """Keep one call in this process's stats and queue it for the database."""
    call_stats.record(call)
    _pending.append(call)


def flush_recorded_calls() -> int:
    """Write the queued calls on a connection of their own; a failure to record never fails anything else."""
    rows = []
    while _pending:
        call = _pending.popleft()
        rows.append({"broker": call.broker, "operation": call.operation, "status_code": call.status_code,
                     "latency_ms": call.latency_ms, "outcome": call.outcome,
                     "at": call.at or datetime.now(timezone.utc)})
    if not rows:
        return 0
    try:
        with db.engine.begin() as connection:
            connection.execute(insert(BrokerCall), rows)
    except Exception as error:  # the health page is not worth an error page or a failed job
        log.warning("could not record %d broker calls: %s", len(rows), type(error).__name__)
        return 0
    return len(rows)


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    return values[min(len(values) - 1, round(fraction * (len(values) - 1)))]


def broker_call_summary(now: datetime | None = None) -> dict[str, dict]:
    """Per broker over the last hour, from every process: calls, error rate and p50/p95/p99 latency."""
    now = now or datetime.now(timezone.utc)
    rows = db.session.execute(select(BrokerCall.broker, BrokerCall.latency_ms, BrokerCall.outcome, BrokerCall.at)
                              .where(BrokerCall.at >= now - WINDOW).order_by(BrokerCall.at)).all()
    grouped: dict[str, list] = defaultdict(list)
    for row in rows:
        grouped[row.broker].append(row)
    summary = {}
    for broker, calls in grouped.items():
        latencies = sorted(call.latency_ms for call in calls)
        summary[broker] = {
            "calls": len(calls),
            "error_rate": sum(1 for call in calls if call.outcome != "ok") / len(calls),
            "p50_ms": _percentile(latencies, 0.50),
            "p95_ms": _percentile(latencies, 0.95),
            "p99_ms": _percentile(latencies, 0.99),
            "last_outcome": calls[-1].outcome,
        }
    return summary


def prune_calls(now: datetime | None = None) -> int:
    """Forget calls older than two days; the caller commits."""
    now = now or datetime.now(timezone.utc)
    return db.session.execute(delete(BrokerCall).where(BrokerCall.at < now - KEEP)).rowcount
