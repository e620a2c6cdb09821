"""The health of each market-data source, so a failing one is alerted once and shown until it recovers."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime


class DataSource(db.Model):
    """One quote source (a broker's market data, a portfolio's prices, the demo feed) and its last outcome."""

    __tablename__ = "data_sources"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="ok")  # ok or degraded
    degraded_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
