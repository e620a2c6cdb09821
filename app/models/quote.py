"""The latest price of each symbol from each data source."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import Amount, UTCDateTime


class Quote(db.Model):
    """Bid, ask and last with the time the source stamped them."""

    __tablename__ = "quotes"

    symbol: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    bid: Mapped[Decimal | None] = mapped_column(Amount())
    ask: Mapped[Decimal | None] = mapped_column(Amount())
    last: Mapped[Decimal | None] = mapped_column(Amount())
    # Option greeks per share of the underlying, where the source gives them.
    delta: Mapped[Decimal | None] = mapped_column(Amount())
    gamma: Mapped[Decimal | None] = mapped_column(Amount())
    theta: Mapped[Decimal | None] = mapped_column(Amount())
    vega: Mapped[Decimal | None] = mapped_column(Amount())
    implied_volatility: Mapped[Decimal | None] = mapped_column(Amount())
    as_of: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
