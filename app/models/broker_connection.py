"""A user's link to one broker account in one environment."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.enums import BrokerEnvironment, BrokerName, ConnectionStatus
from app.extensions import db
from app.models._columns import created_at_column, enum_column_type, updated_at_column
from app.models.types import UTCDateTime


class BrokerConnection(db.Model):
    """Broker, environment and the encrypted credentials to reach it."""

    __tablename__ = "broker_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    broker: Mapped[BrokerName] = mapped_column(enum_column_type(BrokerName), nullable=False)
    environment: Mapped[BrokerEnvironment] = mapped_column(
        enum_column_type(BrokerEnvironment), nullable=False
    )
    label: Mapped[str] = mapped_column(String(100), nullable=False)
    # Ciphertext bound to this row: see app.security.
    credentials_encrypted: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ConnectionStatus] = mapped_column(
        enum_column_type(ConnectionStatus), nullable=False, default=ConnectionStatus.ACTIVE
    )
    last_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    consecutive_failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    def __repr__(self) -> str:
        return f"<BrokerConnection {self.id} {self.broker}/{self.environment}>"
