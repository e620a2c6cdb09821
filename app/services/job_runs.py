"""Recording each scheduled job's runs, and judging from them whether the scheduler is alive."""
from __future__ import annotations

import dataclasses
import logging
import os
import socket
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import select

from app.domain.enums import JobOutcome
from app.extensions import db
from app.models import JobRun
from app.observability import scrub_text, tagged
from app.services.broker_health import flush_recorded_calls

log = logging.getLogger(__name__)
# Each scheduled job and the setting that holds its interval in seconds.
JOB_INTERVALS = {
    "refresh_prices": "PRICE_REFRESH_SECONDS",
    "monitor_positions": "MONITOR_SECONDS",
    "reconcile_orders": "RECONCILE_SECONDS",
    "snapshot_equity": "SNAPSHOT_SECONDS",
    "deliver_notifications": "NOTIFY_SECONDS",
}


def _counts(result) -> dict:
    """A job's report as JSON-safe numbers and short lists."""
    if result is None:
        return {}
    raw = dataclasses.asdict(result) if dataclasses.is_dataclass(result) else dict(result)
    return {key: (value if isinstance(value, (int, float, str)) else len(value) if hasattr(value, "__len__")
                  else str(value)) for key, value in raw.items()}


def record_run(job_name: str, work: Callable[[], object], *, runner: str | None = None) -> JobRun:
    """Run `work` and keep its start, duration, outcome and counts; a failure is recorded, not raised."""
    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    run = JobRun(job_name=job_name, started_at=started, outcome=JobOutcome.RUNNING, counts={},
                 runner=runner or f"{socket.gethostname()}:{os.getpid()}")
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    try:
        result = work()
        outcome, counts, error = JobOutcome.SUCCESS, _counts(result), None
    except Exception as failure:  # a job must never take the scheduler down; the failure is kept and logged
        db.session.rollback()
        outcome, counts = JobOutcome.FAILED, {}
        error = scrub_text("".join(traceback.format_exception_only(type(failure), failure)).strip())[:2000]
        with tagged(job=job_name):
            log.exception("job %s failed", job_name)  # Sentry's logging integration reports it, tagged
    run = db.session.get(JobRun, run_id)
    run.finished_at = datetime.now(timezone.utc)
    run.duration_ms = int((time.perf_counter() - clock) * 1000)
    run.outcome, run.counts, run.error = outcome, counts, error
    db.session.commit()
    flush_recorded_calls()
    return run


def job_health(now: datetime | None = None) -> dict[str, dict]:
    """Each job's last good run and whether it is overdue (no success within three intervals)."""
    now = now or datetime.now(timezone.utc)
    health = {}
    for name, setting in JOB_INTERVALS.items():
        interval = current_app.config[setting]
        last = db.session.scalar(
            select(JobRun.finished_at).where(JobRun.job_name == name, JobRun.outcome == JobOutcome.SUCCESS)
            .order_by(JobRun.finished_at.desc()).limit(1)
        )
        age = None if last is None else (now - last).total_seconds()
        health[name] = {
            "interval_seconds": interval,
            "last_success_age_seconds": None if age is None else round(age, 1),
            "overdue": age is None or age > max(3 * interval, interval + 60),
        }
    return health
