"""Per-user risk limits; an unset field falls back to the platform default."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models._columns import updated_at_column
from app.models.types import Amount

PERCENT = dict(precision=9, scale=4)


class RiskLimits(db.Model):
    """One row per user holding the limits that user has been given."""

    __tablename__ = "risk_limits"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    max_position_size_percent: Mapped[Decimal | None] = mapped_column(Amount(**PERCENT))
    max_capital_at_risk_percent: Mapped[Decimal | None] = mapped_column(Amount(**PERCENT))
    max_open_positions: Mapped[int | None] = mapped_column(Integer)
    max_daily_loss_percent: Mapped[Decimal | None] = mapped_column(Amount(**PERCENT))
    max_weekly_loss_percent: Mapped[Decimal | None] = mapped_column(Amount(**PERCENT))
    min_dte: Mapped[int | None] = mapped_column(Integer)
    max_dte: Mapped[int | None] = mapped_column(Integer)
    max_order_value: Mapped[Decimal | None] = mapped_column(Amount())
    max_trades_per_day: Mapped[int | None] = mapped_column(Integer)
    max_orders_per_minute: Mapped[int | None] = mapped_column(Integer)
    min_account_balance: Mapped[Decimal | None] = mapped_column(Amount())
    max_daily_loss_amount: Mapped[Decimal | None] = mapped_column(Amount())
    max_weekly_loss_amount: Mapped[Decimal | None] = mapped_column(Amount())
    max_position_value: Mapped[Decimal | None] = mapped_column(Amount())
    max_symbol_concentration_percent: Mapped[Decimal | None] = mapped_column(Amount(**PERCENT))
    max_portfolio_delta: Mapped[Decimal | None] = mapped_column(Amount())
    max_portfolio_theta: Mapped[Decimal | None] = mapped_column(Amount())
    max_portfolio_vega: Mapped[Decimal | None] = mapped_column(Amount())
    updated_at: Mapped[datetime] = updated_at_column()

    LIMIT_FIELDS = (
        "max_position_size_percent",
        "max_capital_at_risk_percent",
        "max_open_positions",
        "max_daily_loss_percent",
        "max_weekly_loss_percent",
        "min_dte",
        "max_dte",
        "max_order_value",
        "max_trades_per_day",
        "max_orders_per_minute",
        "min_account_balance",
        "max_daily_loss_amount",
        "max_weekly_loss_amount",
        "max_position_value",
        "max_symbol_concentration_percent",
        "max_portfolio_delta",
        "max_portfolio_theta",
        "max_portfolio_vega",
    )


def limits_in_force(values, defaults: dict) -> dict:
    """`values` (a RiskLimits, or a row of its columns) where set, else the platform default; a user with
    no limits row (`values` None) has the defaults."""
    if values is None:
        return dict(defaults)
    return {
        field: getattr(values, field) if getattr(values, field) is not None else defaults.get(field)
        for field in RiskLimits.LIMIT_FIELDS
    }
