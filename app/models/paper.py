"""The paper simulator's venue state: per-connection cash, holdings and orders."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.enums import AssetClass, OrderSide, OrderStatus, OrderType, TimeInForce
from app.domain.orders import OPEN_STATUSES
from app.extensions import db
from app.models._columns import created_at_column, enum_column_type, status_in, updated_at_column
from app.models.types import Amount, UTCDateTime


class PaperAccount(db.Model):
    """The simulated cash of one paper connection."""

    __tablename__ = "paper_accounts"

    connection_id: Mapped[int] = mapped_column(
        ForeignKey("broker_connections.id", ondelete="CASCADE"), primary_key=True
    )
    cash: Mapped[Decimal] = mapped_column(Amount(), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="USD")


class PaperHoldingRow(db.Model):
    """What the simulated venue holds for a connection (the venue's view, not ours)."""

    __tablename__ = "paper_holdings"
    __table_args__ = (UniqueConstraint("connection_id", "symbol", name="uq_paper_holdings_connection_symbol"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("broker_connections.id", ondelete="CASCADE"), nullable=False
    )
    symbol: Mapped[str] = mapped_column(String(64), nullable=False)
    quantity: Mapped[Decimal] = mapped_column(Amount(), nullable=False)
    avg_price: Mapped[Decimal] = mapped_column(Amount(), nullable=False)
    asset_class: Mapped[AssetClass] = mapped_column(enum_column_type(AssetClass), nullable=False)


class PaperOrderRow(db.Model):
    """An order at the simulated venue."""

    __tablename__ = "paper_orders"
    __table_args__ = (
        UniqueConstraint("connection_id", "client_order_id", name="uq_paper_orders_connection_client_order_id"),
        # Valuing the account and every fill read the resting orders: a few rows among its whole history.
        Index("ix_paper_orders_open_connection_id", "connection_id",
              postgresql_where=status_in(OPEN_STATUSES), sqlite_where=status_in(OPEN_STATUSES)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("broker_connections.id", ondelete="CASCADE"), nullable=False, index=True
    )
    client_order_id: Mapped[str] = mapped_column(String(64), nullable=False)
    symbol: Mapped[str] = mapped_column(String(64), nullable=False)
    side: Mapped[OrderSide] = mapped_column(enum_column_type(OrderSide), nullable=False)
    quantity: Mapped[Decimal] = mapped_column(Amount(), nullable=False)
    order_type: Mapped[OrderType] = mapped_column(enum_column_type(OrderType), nullable=False)
    time_in_force: Mapped[TimeInForce] = mapped_column(enum_column_type(TimeInForce), nullable=False)
    asset_class: Mapped[AssetClass] = mapped_column(enum_column_type(AssetClass), nullable=False)
    status: Mapped[OrderStatus] = mapped_column(enum_column_type(OrderStatus), nullable=False, index=True)
    limit_price: Mapped[Decimal | None] = mapped_column(Amount())
    stop_price: Mapped[Decimal | None] = mapped_column(Amount())
    filled_quantity: Mapped[Decimal] = mapped_column(Amount(), nullable=False, default=Decimal("0"))
    avg_fill_price: Mapped[Decimal | None] = mapped_column(Amount())
    commission: Mapped[Decimal] = mapped_column(Amount(), nullable=False, default=Decimal("0"))
    stop_triggered: Mapped[bool] = mapped_column(nullable=False, default=False)
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
