"""The position monitor: exits on stop-loss, take-profit, trailing stop and option expiry, and loss-limit halts."""
from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from app.brokers.base import BrokerError
from app.domain.enums import OrderSide, OrderSource, TradingMode
from app.domain.errors import Conflict, PortcullisError
from app.extensions import db
from app.models import BrokerConnection, Position, SnapshotKind, User
from app.domain.pretrade import Outcome
from app.risk.activity_checks import loss_verdict
from app.risk.exits import ExitRules, exit_signal, updated_extreme
from app.services import halts, market_hours
from app.services.accounts import adapter_for, note_broker_error
from app.services.market_data import freshest_quotes, is_stale
from app.services.notifications import notify
from app.services.order_pipeline import submit_order
from app.services.pretrade_context import baseline_equity, effective_limits

log = logging.getLogger(__name__)


@dataclass
class MonitorReport:
    positions: int = 0
    exits_placed: int = 0
    exits_already_placed: int = 0
    exits_refused: dict[str, str] = field(default_factory=dict)
    stale: list[str] = field(default_factory=list)
    market_closed: int = 0
    halted_users: list[int] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)


def exit_client_order_id(position: Position, rule: str, trigger) -> str:
    """The same trigger on the same opening of a position always gives the same id, so it exits once."""
    opened = position.opened_at.isoformat() if position.opened_at else "-"
    if isinstance(trigger, Decimal):
        trigger = f"{trigger.normalize():f}"  # 95 and 95.00000000 are the same level
    digest = hashlib.sha256(f"{position.id}|{opened}|{rule}|{trigger}".encode()).hexdigest()
    return "mx" + digest[:18]


def _mark(row) -> Decimal | None:
    if row.last is not None:
        return row.last
    if row.bid is not None and row.ask is not None:
        return (row.bid + row.ask) / 2
    return None


def run_monitor(now: datetime | None = None) -> MonitorReport:
    """Evaluate every open position once; exits go through the order pipeline with source "monitor"."""
    now = now or datetime.now(timezone.utc)
    report = MonitorReport()
    positions = db.session.scalars(select(Position).where(Position.quantity != 0).order_by(Position.id)).all()
    report.positions = len(positions)
    quotes = freshest_quotes({p.symbol for p in positions})
    stale_after = current_app.config["STALE_QUOTE_SECONDS"]
    exit_days = current_app.config["OPTION_EXIT_DAYS_TO_EXPIRY"]
    connections = {c.id: c for c in db.session.scalars(
        select(BrokerConnection).where(BrokerConnection.id.in_({p.connection_id for p in positions})))}
    for position in positions:
        connection = connections[position.connection_id]
        quote = quotes.get(position.symbol)
        if is_stale(quote, now, stale_after) or _mark(quote) is None:
            report.stale.append(position.symbol)
            log.warning("monitor: not acting on %s, its quote is stale or missing", position.symbol)
            continue
        calendar = market_hours.calendar_name(connection.broker, position.symbol)
        mark = _mark(quote)
        rules = ExitRules(position.symbol, position.quantity, position.stop_loss, position.take_profit,
                          position.trailing_stop_percent, position.high_water_mark)
        position.high_water_mark = updated_extreme(rules, mark)
        signal = exit_signal(rules, mark, market_hours.trading_day(calendar, now), exit_days)
        if signal is None:
            continue
        if not market_hours.is_open(calendar, now):
            report.market_closed += 1
            continue
        _place_exit(position, signal, now, report)
    db.session.commit()
    _check_loss_limits(positions, connections, now, report)
    return report


def _place_exit(position: Position, signal, now: datetime, report: MonitorReport) -> None:
    owner = db.session.get(User, position.user_id)
    payload = {
        "symbol": position.symbol, "quantity": f"{abs(position.quantity).normalize():f}", "type": "market",
        "side": (OrderSide.SELL if position.quantity > 0 else OrderSide.BUY).value,
        "connection_id": position.connection_id,
        "client_order_id": exit_client_order_id(position, signal.rule, signal.trigger),
        # An exit is the trader's own standing instruction: it never waits for a click.
        "confirm": True,
    }
    db.session.commit()  # keep the trailing extremes seen so far, whatever the pipeline does next
    try:
        result = submit_order(owner, payload, source=OrderSource.MONITOR, now=now)
    except Conflict:
        report.exits_already_placed += 1
        return
    except PortcullisError as error:
        db.session.rollback()
        report.exits_refused[position.symbol] = error.code
        return
    if result.accepted:
        report.exits_placed += 1
        log.info("monitor: %s exit placed for %s", signal.rule, position.symbol)
        notify("automated_exit", f"{signal.rule.replace('_', ' ')} exit: {position.symbol}",
               f"{payload['side']} {payload['quantity']} {position.symbol}, order {result.order.id} "
               f"{result.order.status.value}", user_id=position.user_id, dedupe_key=f"exit:{result.order.id}")
        db.session.commit()
    else:
        report.exits_refused[position.symbol] = result.code


def _check_loss_limits(positions, connections, now: datetime, report: MonitorReport) -> None:
    """Halt anyone whose day or week has lost past their limit (the breaker the pipeline also trips)."""
    by_user: dict[int, set[int]] = defaultdict(set)
    for position in positions:
        by_user[position.user_id].add(position.connection_id)
    for user_id, connection_ids in by_user.items():
        user = db.session.get(User, user_id)
        if user.trading_mode == TradingMode.HALTED:
            continue
        limits = effective_limits(user)
        for connection_id in connection_ids:
            connection = connections[connection_id]
            try:
                equity = adapter_for(connection).get_account().equity
            except BrokerError as error:
                note_broker_error(connection, error)
                report.errors[connection_id] = error.code
                continue
            breach = _breach(user, connection, equity, limits, now)
            if breach:
                halts.halt_for_loss(user, breach, connection, now)
                report.halted_users.append(user_id)
                log.warning("monitor: user %s halted, %s", user_id, breach)
                break
        db.session.commit()


def _breach(user: User, connection: BrokerConnection, equity: Decimal, limits: dict, now: datetime) -> str | None:
    calendar = market_hours.calendar_name(connection.broker, "")
    day = market_hours.trading_day(calendar, now)
    day_start = baseline_equity(user, connection, SnapshotKind.DAY_OPEN, day, equity)
    week_start = baseline_equity(user, connection, SnapshotKind.WEEK_OPEN, market_hours.week_start(calendar, day),
                                 equity)
    for code, start, percent, amount in (
        ("DAILY_LOSS_LIMIT", day_start, limits.get("max_daily_loss_percent"), limits.get("max_daily_loss_amount")),
        ("WEEKLY_LOSS_LIMIT", week_start, limits.get("max_weekly_loss_percent"), limits.get("max_weekly_loss_amount")),
    ):
        if loss_verdict(code, start, equity, percent, amount).outcome == Outcome.DENY:
            return code
    return None
