"""Where alerts go (channels) and what is waiting to go (the outbox)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models._columns import created_at_column
from app.models.types import UTCDateTime


class NotificationChannel(db.Model):
    """A Telegram chat, a Slack or Discord webhook, or an email address a user wants alerts on."""

    __tablename__ = "notification_channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # telegram, slack, discord, email
    label: Mapped[str] = mapped_column(String(100), nullable=False)
    # Bot tokens and webhook URLs are secrets: encrypted and bound to this row like broker keys.
    secrets_encrypted: Mapped[str | None] = mapped_column(Text)
    events: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")  # active or failing
    consecutive_failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = created_at_column()


class OutboxMessage(db.Model):
    """One alert for one destination, kept until it is sent, so a restart neither loses nor repeats it."""

    __tablename__ = "notification_outbox"
    __table_args__ = (UniqueConstraint("destination", "dedupe_key", name="uq_notification_outbox_destination_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "channel:<id>" for a user's channel, "ops:<kind>" for the operators' channels from the environment.
    destination: Mapped[str] = mapped_column(String(64), nullable=False)
    event: Mapped[str] = mapped_column(String(64), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    dedupe_key: Mapped[str] = mapped_column(String(128), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending", index=True)  # pending, sent, dead
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = created_at_column()
