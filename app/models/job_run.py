"""A record of each scheduled job run, for health pages and /readyz."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.enums import JobOutcome
from app.extensions import db
from app.models._columns import enum_column_type
from app.models.types import UTCDateTime


class JobRun(db.Model):
    """Start, duration, outcome and counts of one job run."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[JobOutcome] = mapped_column(enum_column_type(JobOutcome), nullable=False)
    counts: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    # host:pid of the scheduler that ran it: shows which process held the leader lock.
    runner: Mapped[str | None] = mapped_column(String(128))
