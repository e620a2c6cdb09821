"""Readiness: what must work for the platform to serve and trade."""
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import DataSource
from app.observability import database_check
from app.services.job_runs import job_health


def readiness(now: datetime | None = None) -> dict:
    """Each check's result and an overall status: ok, or unavailable when the database or a job is down."""
    now = now or datetime.now(timezone.utc)
    checks: dict = {"database": database_check(db.session)}
    healthy = checks["database"]["ok"]
    if healthy:
        jobs = job_health(now)
        checks["jobs"] = jobs
        checks["data_sources"] = {
            source.name: {"status": source.status, "last_error": source.last_error}
            for source in db.session.scalars(select(DataSource).order_by(DataSource.name))
        }
        if current_app.config["READYZ_CHECK_JOBS"]:
            healthy = not any(job["overdue"] for job in jobs.values())
    return {"status": "ok" if healthy else "unavailable", "checks": checks}
