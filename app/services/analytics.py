"""Performance per connection: trades, win rate, consecutive losses, max drawdown and Sharpe ratio."""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from app.domain.enums import OrderSide
from app.extensions import db
from app.models import BrokerConnection, EquitySnapshot, Order, OrderFill, SnapshotKind, User

TRADING_DAYS_PER_YEAR = 252


@dataclass(frozen=True)
class Performance:
    connection: BrokerConnection
    trades: int  # closing fills, each a realised result
    win_rate: Decimal | None
    max_consecutive_losses: int
    realized_pnl: Decimal
    max_drawdown_percent: Decimal | None
    sharpe_ratio: Decimal | None
    equity_curve: list[tuple[str, Decimal]]


def closed_trade_results(connection_id: int) -> list[Decimal]:
    """The realised P&L of every fill that reduced a position, in time order (average-cost basis)."""
    rows = db.session.execute(
        select(OrderFill, Order).join(Order, OrderFill.order_id == Order.id)
        .where(Order.connection_id == connection_id).order_by(OrderFill.filled_at, OrderFill.id)
    ).all()
    held: dict[str, tuple[Decimal, Decimal]] = {}  # symbol -> (signed quantity, average price)
    results = []
    for fill, order in rows:
        quantity, average = held.get(order.symbol, (Decimal("0"), Decimal("0")))
        signed = fill.quantity if order.side == OrderSide.BUY else -fill.quantity
        if quantity == 0 or (quantity > 0) == (signed > 0):
            total = quantity + signed
            held[order.symbol] = (total, (average * abs(quantity) + fill.price * fill.quantity) / abs(total))
            continue
        closing = min(abs(signed), abs(quantity))
        direction = Decimal(1) if quantity > 0 else Decimal(-1)
        results.append((fill.price - average) * closing * direction * order.multiplier - fill.commission)
        remaining = quantity + signed
        held[order.symbol] = (remaining, average if (remaining > 0) == (quantity > 0) else fill.price)
    return results


def _max_drawdown(curve: list[Decimal]) -> Decimal | None:
    if len(curve) < 2:
        return None
    peak, worst = curve[0], Decimal("0")
    for equity in curve:
        peak = max(peak, equity)
        if peak > 0:
            worst = max(worst, (peak - equity) / peak)
    return (worst * 100).quantize(Decimal("0.01"))


def _sharpe(curve: list[Decimal]) -> Decimal | None:
    returns = [float(b / a - 1) for a, b in zip(curve, curve[1:]) if a > 0]
    if len(returns) < 2 or statistics.pstdev(returns) == 0:
        return None
    ratio = statistics.mean(returns) / statistics.stdev(returns) * math.sqrt(TRADING_DAYS_PER_YEAR)
    return Decimal(str(round(ratio, 2)))


def _close_snapshots(connection_id: int) -> list[EquitySnapshot]:
    return list(db.session.scalars(
        select(EquitySnapshot).where(EquitySnapshot.connection_id == connection_id,
                                     EquitySnapshot.kind == SnapshotKind.DAY_CLOSE)
        .order_by(EquitySnapshot.trading_day)
    ))


def equity_curve(connection_id: int) -> list[tuple[str, Decimal]]:
    """Equity at each trading day's close, oldest first."""
    return [(s.trading_day.isoformat(), s.equity) for s in _close_snapshots(connection_id)]


def performance(user: User) -> list[Performance]:
    """One summary per connection the user has."""
    summaries = []
    for connection in db.session.scalars(
        select(BrokerConnection).where(BrokerConnection.user_id == user.id).order_by(BrokerConnection.id)
    ):
        results = closed_trade_results(connection.id)
        streak = longest = 0
        for result in results:
            streak = streak + 1 if result < 0 else 0
            longest = max(longest, streak)
        snapshots = _close_snapshots(connection.id)
        curve = [s.equity for s in snapshots]
        wins = sum(1 for r in results if r > 0)
        summaries.append(Performance(
            connection=connection,
            trades=len(results),
            win_rate=(Decimal(wins) / len(results) * 100).quantize(Decimal("0.1")) if results else None,
            max_consecutive_losses=longest,
            realized_pnl=sum(results, Decimal("0")),
            max_drawdown_percent=_max_drawdown(curve),
            sharpe_ratio=_sharpe(curve),
            equity_curve=[(s.trading_day.isoformat(), s.equity) for s in snapshots],
        ))
    return summaries
