"""What a trader sees of an account: equity and P&L, and every risk limit with its current use."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from app.brokers.base import BrokerError
from app.domain.enums import OrderSide, OrderSource, TradingMode
from app.domain.errors import Unavailable
from app.domain.orders import OrderRequest
from app.domain.pretrade import PreTradeContext
from app.extensions import db
from app.models import BrokerConnection, User
from app.services.accounts import adapter_for, note_broker_error
from app.services.pretrade_context import build_context

# A context needs an order to look at; this one names no instrument, so only account-wide facts are read.
_PROBE = OrderRequest(symbol="", side=OrderSide.BUY, quantity=Decimal("1"))


def _context(user: User, connection: BrokerConnection, now: datetime) -> PreTradeContext:
    try:
        context = build_context(user, connection, adapter_for(connection), _PROBE, OrderSource.API, now)
    except BrokerError as error:
        db.session.rollback()
        note_broker_error(connection, error)
        db.session.commit()
        raise Unavailable(error.code, f"The broker could not be read: {error.message}") from None
    db.session.commit()  # keeps the day's baseline if this was the first look
    return context


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part / whole * 100).quantize(Decimal("0.01")) if whole > 0 else None


def account_summary(user: User, connection: BrokerConnection, now: datetime | None = None) -> dict:
    return _summary(user, connection, _context(user, connection, now or datetime.now(timezone.utc)))


def risk_usage(user: User, connection: BrokerConnection, now: datetime | None = None) -> list[dict]:
    """Each limit in force, with how much of it the account uses now (None where a limit is per order)."""
    return _usage(_context(user, connection, now or datetime.now(timezone.utc)))


def overview(user: User, connection: BrokerConnection, now: datetime | None = None) -> tuple[dict, list[dict]]:
    """The summary and the limits' use from one read of the broker (the dashboard shows both)."""
    ctx = _context(user, connection, now or datetime.now(timezone.utc))
    return _summary(user, connection, ctx), _usage(ctx)


def _summary(user: User, connection: BrokerConnection, ctx: PreTradeContext) -> dict:
    account = ctx.account
    return {
        "mode": user.trading_mode.value,
        "halted": user.trading_mode == TradingMode.HALTED,
        "equity": account.equity,
        "cash": account.cash,
        "buying_power": account.buying_power,
        "day_pnl": account.equity - ctx.day_start_equity if ctx.day_start_equity is not None else None,
        "week_pnl": account.equity - ctx.week_start_equity if ctx.week_start_equity is not None else None,
        "currency": account.currency,
        "connection": {"id": connection.id, "broker": connection.broker.value,
                       "environment": connection.environment.value, "label": connection.label},
    }


def _usage(ctx: PreTradeContext) -> list[dict]:
    equity = ctx.account.equity
    values = [h.value for h in ctx.holdings]
    largest = max(values, default=Decimal("0"))
    by_underlying: dict[str, Decimal] = {}
    for holding in ctx.holdings:
        by_underlying[holding.underlying] = by_underlying.get(holding.underlying, Decimal("0")) + holding.value
    day_loss = ctx.day_start_equity - equity if ctx.day_start_equity is not None else None
    week_loss = ctx.week_start_equity - equity if ctx.week_start_equity is not None else None
    usage = {
        "max_position_size_percent": _percent(largest, equity),
        "max_capital_at_risk_percent": _percent(sum(values, Decimal("0")) + ctx.open_buy_value, equity),
        "max_open_positions": len({h.symbol for h in ctx.holdings} | ctx.symbols_pending_open),
        "max_daily_loss_percent": _percent(max(day_loss, Decimal("0")), ctx.day_start_equity) if day_loss is not None else None,
        "max_daily_loss_amount": max(day_loss, Decimal("0")) if day_loss is not None else None,
        "max_weekly_loss_percent": _percent(max(week_loss, Decimal("0")), ctx.week_start_equity) if week_loss is not None else None,
        "max_weekly_loss_amount": max(week_loss, Decimal("0")) if week_loss is not None else None,
        "max_trades_per_day": ctx.trades_today,
        "max_orders_per_minute": ctx.trades_last_minute,
        "min_account_balance": ctx.account.cash,
        "max_position_value": largest,
        "max_symbol_concentration_percent": _percent(max(by_underlying.values(), default=Decimal("0")), equity),
    }
    return [{"limit": name, "value": value, "usage": usage.get(name)} for name, value in ctx.limits.items()]
