"""Compliance flags raised for admin review."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.enums import FlagStatus
from app.extensions import db
from app.models._columns import created_at_column, enum_column_type
from app.models.types import UTCDateTime


class ComplianceFlag(db.Model):
    """An order or behaviour an admin should look at."""

    __tablename__ = "compliance_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    details: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[FlagStatus] = mapped_column(
        enum_column_type(FlagStatus), nullable=False, default=FlagStatus.OPEN, index=True
    )
    created_at: Mapped[datetime] = created_at_column()
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_note: Mapped[str | None] = mapped_column(String(500))
