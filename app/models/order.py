"""Orders and their fills: recorded before a real broker sees them, or with the simulator's fill."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.enums import (
    AssetClass,
    OrderSide,
    OrderSource,
    OrderStatus,
    OrderType,
    TimeInForce,
    TradingMode,
)
from app.domain.options import contract_multiplier
from app.domain.orders import UNSETTLED_STATUSES
from app.extensions import db
from app.models._columns import created_at_column, enum_column_type, status_in, updated_at_column
from app.models.types import Amount, UTCDateTime


class Order(db.Model):
    """One order as requested, as checked, and as the broker answered it."""

    __tablename__ = "orders"
    __table_args__ = (
        # Unique per user: our idempotency key, and the one brokers de-duplicate on.
        UniqueConstraint("user_id", "client_order_id", name="uq_orders_user_client_order_id"),
        # Every order's checks count the user's orders since the day began (and in the last minute), so an
        # active trader's history must not be scanned to find today.
        Index("ix_orders_user_id_created_at", "user_id", "created_at"),
        # The duplicate check reads the order's own symbol in its window: for a busy trader, a few rows among
        # the window's thousands.
        Index("ix_orders_user_id_symbol_created_at", "user_id", "symbol", "created_at"),
        # Every order's checks read the connection's unsettled orders: a few rows among its whole history.
        Index("ix_orders_unsettled_connection_id", "connection_id",
              postgresql_where=status_in(UNSETTLED_STATUSES), sqlite_where=status_in(UNSETTLED_STATUSES)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("broker_connections.id", ondelete="SET NULL"), index=True
    )
    client_order_id: Mapped[str] = mapped_column(String(64), nullable=False)
    broker_order_id: Mapped[str | None] = mapped_column(String(128), index=True)
    symbol: Mapped[str] = mapped_column(String(64), nullable=False)
    asset_class: Mapped[AssetClass] = mapped_column(enum_column_type(AssetClass), nullable=False)
    side: Mapped[OrderSide] = mapped_column(enum_column_type(OrderSide), nullable=False)
    quantity: Mapped[Decimal] = mapped_column(Amount(), nullable=False)
    order_type: Mapped[OrderType] = mapped_column(enum_column_type(OrderType), nullable=False)
    limit_price: Mapped[Decimal | None] = mapped_column(Amount())
    stop_price: Mapped[Decimal | None] = mapped_column(Amount())
    time_in_force: Mapped[TimeInForce] = mapped_column(enum_column_type(TimeInForce), nullable=False)
    status: Mapped[OrderStatus] = mapped_column(enum_column_type(OrderStatus), nullable=False, index=True)
    trading_mode: Mapped[TradingMode] = mapped_column(enum_column_type(TradingMode), nullable=False)
    source: Mapped[OrderSource] = mapped_column(enum_column_type(OrderSource), nullable=False)
    # The price the checks valued the order at (its limit, its stop, or the quote at the time).
    reference_price: Mapped[Decimal | None] = mapped_column(Amount())
    filled_quantity: Mapped[Decimal] = mapped_column(Amount(), nullable=False, default=Decimal("0"))
    avg_fill_price: Mapped[Decimal | None] = mapped_column(Amount())
    commission: Mapped[Decimal] = mapped_column(Amount(), nullable=False, default=Decimal("0"))
    # Every check's verdict as {"check", "outcome", "code", "details"} dicts.
    checks: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    denial_code: Mapped[str | None] = mapped_column(String(64))
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    fills: Mapped[list["OrderFill"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderFill.filled_at"
    )

    @property
    def multiplier(self) -> Decimal:
        return contract_multiplier(self.asset_class)

    def __repr__(self) -> str:
        return f"<Order {self.id} {self.side} {self.quantity} {self.symbol} {self.status}>"


class OrderFill(db.Model):
    """One execution; the unique key makes applying the same fill twice impossible."""

    __tablename__ = "order_fills"
    __table_args__ = (UniqueConstraint("order_id", "fill_key", name="uq_order_fills_order_fill_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), nullable=False)
    fill_key: Mapped[str] = mapped_column(String(128), nullable=False)
    quantity: Mapped[Decimal] = mapped_column(Amount(), nullable=False)
    price: Mapped[Decimal] = mapped_column(Amount(), nullable=False)
    commission: Mapped[Decimal] = mapped_column(Amount(), nullable=False, default=Decimal("0"))
    filled_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    order: Mapped[Order] = relationship(back_populates="fills")
