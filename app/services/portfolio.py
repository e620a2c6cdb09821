"""A user's positions marked to market, their P&L, and the exits they set on each position."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.domain.errors import InvalidInput, NotFound
from app.domain.options import contract_multiplier
from app.extensions import db
from app.models import Position, User
from app.services.market_data import age_seconds, freshest_quotes


@dataclass(frozen=True)
class MarkedPosition:
    position: Position
    mark_price: Decimal | None
    unrealized_pnl: Decimal | None
    quote_as_of: datetime | None
    quote_age_seconds: float | None
    stale: bool

    @property
    def multiplier(self) -> Decimal:
        return contract_multiplier(self.position.asset_class)


@dataclass(frozen=True)
class Portfolio:
    positions: list[MarkedPosition]
    unrealized_pnl: Decimal
    realized_pnl: Decimal
    market_value: Decimal


def mark_to_market(user: User, now: datetime | None = None) -> Portfolio:
    """Open positions valued at their freshest quote (one query for every symbol), with totals."""
    now = now or datetime.now(timezone.utc)
    rows = db.session.scalars(select(Position).where(Position.user_id == user.id).order_by(Position.symbol)).all()
    quotes = freshest_quotes({p.symbol for p in rows if p.quantity != 0})
    stale_after = current_app.config["STALE_QUOTE_SECONDS"]
    marked, unrealized, market_value = [], Decimal("0"), Decimal("0")
    for position in rows:
        if position.quantity == 0:
            continue
        quote = quotes.get(position.symbol)
        mark = quote.last if quote is not None and quote.last is not None else None
        view = MarkedPosition(position, mark, None, quote.as_of if quote else None, age_seconds(quote, now),
                              quote is None or age_seconds(quote, now) > stale_after)
        if mark is not None:
            pnl = (mark - position.avg_price) * position.quantity * view.multiplier
            view = MarkedPosition(position, mark, pnl, view.quote_as_of, view.quote_age_seconds, view.stale)
            unrealized += pnl
            market_value += mark * position.quantity * view.multiplier
        marked.append(view)
    realized = sum((p.realized_pnl for p in rows), Decimal("0"))
    return Portfolio(marked, unrealized, realized, market_value)


def _price(raw: Any, name: str) -> Decimal | None:
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(str(raw)) if not isinstance(raw, (bool, float)) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value <= 0 or value > Decimal("1000000000"):
        raise InvalidInput("INVALID_PRICE", f"{name} must be a positive number or empty.", field=name)
    return value


def set_exit_rules(user: User, position_id: Any, *, stop_loss: Any = None, take_profit: Any = None,
                   trailing_stop_percent: Any = None) -> Position:
    """Set (or clear, with empty values) the monitor's exits for one of the user's positions."""
    try:
        position = db.session.get(Position, int(position_id))
    except (TypeError, ValueError):
        position = None
    if position is None or position.user_id != user.id:
        raise NotFound("POSITION_NOT_FOUND", "No such position.")
    stop, target = _price(stop_loss, "stop_loss"), _price(take_profit, "take_profit")
    trailing = _price(trailing_stop_percent, "trailing_stop_percent")
    if trailing is not None and trailing >= 100:
        raise InvalidInput("INVALID_PRICE", "trailing_stop_percent must be below 100.", field="trailing_stop_percent")
    long = position.quantity > 0
    if stop is not None and target is not None and (stop >= target if long else stop <= target):
        raise InvalidInput("EXITS_CROSSED", "The stop-loss must be on the losing side of the take-profit.",
                           field="stop_loss")
    if trailing != position.trailing_stop_percent:
        position.high_water_mark = None  # a new trailing stop follows prices from now on
    position.stop_loss, position.take_profit, position.trailing_stop_percent = stop, target, trailing
    db.session.commit()
    return position
