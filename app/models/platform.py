"""Platform-wide settings: a single row holding the kill switch."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime

SETTINGS_ROW_ID = 1


class PlatformSettings(db.Model):
    """The kill switch and who last moved it."""

    __tablename__ = "platform_settings"
    __table_args__ = (CheckConstraint(f"id = {SETTINGS_ROW_ID}", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=SETTINGS_ROW_ID)
    kill_switch_engaged: Mapped[bool] = mapped_column(nullable=False, default=False)
    kill_switch_reason: Mapped[str | None] = mapped_column(String(500))
    kill_switch_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    kill_switch_changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
