"""Account equity at fixed moments: the day's and week's opening baselines and each day's close."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models._columns import created_at_column, enum_column_type
from app.models.types import Amount


class SnapshotKind(StrEnum):
    DAY_OPEN = "day_open"
    WEEK_OPEN = "week_open"
    DAY_CLOSE = "day_close"


class EquitySnapshot(db.Model):
    """One connection's equity at the start of a trading day or week, or at its close."""

    __tablename__ = "equity_snapshots"
    __table_args__ = (
        UniqueConstraint("connection_id", "kind", "trading_day", name="uq_equity_snapshots_connection_kind_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("broker_connections.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[SnapshotKind] = mapped_column(enum_column_type(SnapshotKind), nullable=False)
    # The exchange's own date (a week's snapshot carries its first trading day).
    trading_day: Mapped[date] = mapped_column(Date, nullable=False)
    equity: Mapped[Decimal] = mapped_column(Amount(), nullable=False)
    created_at: Mapped[datetime] = created_at_column()
