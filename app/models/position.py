"""Open holdings per connection, with the exits the user set on them."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.enums import AssetClass
from app.extensions import db
from app.models._columns import created_at_column, enum_column_type, updated_at_column
from app.models.types import Amount, UTCDateTime


class Position(db.Model):
    """A signed quantity of one symbol held through one connection."""

    __tablename__ = "positions"
    __table_args__ = (
        UniqueConstraint("connection_id", "symbol", name="uq_positions_connection_symbol"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("broker_connections.id", ondelete="CASCADE"), nullable=False
    )
    symbol: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    asset_class: Mapped[AssetClass] = mapped_column(enum_column_type(AssetClass), nullable=False)
    quantity: Mapped[Decimal] = mapped_column(Amount(), nullable=False)
    avg_price: Mapped[Decimal] = mapped_column(Amount(), nullable=False)
    realized_pnl: Mapped[Decimal] = mapped_column(Amount(), nullable=False, default=Decimal("0"))
    stop_loss: Mapped[Decimal | None] = mapped_column(Amount())
    take_profit: Mapped[Decimal | None] = mapped_column(Amount())
    trailing_stop_percent: Mapped[Decimal | None] = mapped_column(Amount(precision=9, scale=4))
    # Highest mark seen since the trailing stop was set.
    high_water_mark: Mapped[Decimal | None] = mapped_column(Amount())
    # When the position last went from flat to open: exit triggers are keyed on it, so a monitor
    # run repeated on one trigger places one exit, and a reopened position gets fresh triggers.
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Held at the broker but never ordered through us; still counts in exposure.
    external: Mapped[bool] = mapped_column(nullable=False, default=False)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
