"""The position monitor: exits on stop-loss, take-profit, trailing stop and option expiry, and loss-limit halts."""
from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

from flask import current_app
from sqlalchemy import case, literal, select, text, update

from app.brokers.base import BrokerError
from app.domain.enums import BrokerName, OrderSide, OrderSource, TradingMode
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
from app.services.paper_venue import paper_equities
from app.services.pretrade_context import baseline_equities, effective_limits_for

log = logging.getLogger(__name__)


@dataclass
class MonitorReport:
    positions: int = 0
    exits_placed: int = 0
    exits_already_placed: int = 0
    exits_refused: dict[str, str] = field(default_factory=dict)
    stale: list[str] = field(default_factory=list)
    no_calendar: list[str] = field(default_factory=list)  # their exchange's sessions are not known for now
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
    """Evaluate every open position once; exits go through the order pipeline with source "monitor".

    Positions are read as plain rows and their new trailing extremes written in one statement, so a run
    over ten thousand positions costs a few queries plus the exits it places.
    """
    now = now or datetime.now(timezone.utc)
    report = MonitorReport()
    positions = db.session.execute(
        select(Position.id, Position.user_id, Position.connection_id, Position.symbol, Position.quantity,
               Position.stop_loss, Position.take_profit, Position.trailing_stop_percent, Position.high_water_mark,
               Position.opened_at)
        .where(Position.quantity != 0).order_by(Position.id)
    ).all()
    report.positions = len(positions)
    quotes = freshest_quotes({p.symbol for p in positions})
    stale_after = current_app.config["STALE_QUOTE_SECONDS"]
    exit_days = current_app.config["OPTION_EXIT_DAYS_TO_EXPIRY"]
    # Plain rows: ORM copies of a thousand connections would be expired and rescanned at every exit's commit.
    connections = {c.id: c for c in db.session.execute(
        select(BrokerConnection.id, BrokerConnection.user_id, BrokerConnection.broker)
        .where(BrokerConnection.id.in_({p.connection_id for p in positions})))}
    sessions = _SessionClock(now)
    extremes, exits = [], []
    for position in positions:
        quote = quotes.get(position.symbol)
        if is_stale(quote, now, stale_after) or _mark(quote) is None:
            report.stale.append(position.symbol)
            continue
        calendar = market_hours.calendar_name(connections[position.connection_id].broker, position.symbol)
        day = sessions.trading_day(calendar)
        if day is None:
            report.no_calendar.append(position.symbol)
            continue
        mark = _mark(quote)
        rules = ExitRules(position.symbol, position.quantity, position.stop_loss, position.take_profit,
                          position.trailing_stop_percent, position.high_water_mark)
        extreme = updated_extreme(rules, mark)
        if extreme != position.high_water_mark:
            extremes.append({"id": position.id, "high_water_mark": extreme})
        signal = exit_signal(rules, mark, day, exit_days)
        if signal is None:
            continue
        if not sessions.is_open(calendar):
            report.market_closed += 1
            continue
        exits.append((position, signal))
    if report.stale:
        # One line per run, not per position: a feed outage would otherwise write ten thousand.
        symbols = sorted(set(report.stale))
        log.warning("monitor: not acting on %d positions in %d symbols whose quotes are stale or missing: %s%s",
                    len(report.stale), len(symbols), ", ".join(symbols[:20]), " ..." if len(symbols) > 20 else "")
    _save_extremes(extremes)
    db.session.commit()  # keep the trailing extremes seen, whatever the pipeline does next
    for position, signal in exits:
        _place_exit(position, signal, now, report)
    _check_loss_limits(positions, connections, sessions, now, report)
    return report


# Two array parameters, however many positions moved: one statement that PostgreSQL plans in microseconds.
_SAVE_EXTREMES_POSTGRESQL = text(
    "UPDATE positions SET high_water_mark = moved.mark"
    " FROM unnest(CAST(:ids AS integer[]), CAST(:marks AS numeric[])) AS moved(id, mark)"
    " WHERE positions.id = moved.id"
)


def _save_extremes(extremes: list[dict]) -> None:
    """Moved trailing extremes in a few statements, not one per position: an UPDATE from two arrays on
    PostgreSQL, and on SQLite (which has no arrays) a CASE per thousand positions."""
    if extremes and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_SAVE_EXTREMES_POSTGRESQL, {"ids": [row["id"] for row in extremes],
                                                       "marks": [row["high_water_mark"] for row in extremes]})
        return
    price = Position.high_water_mark.type  # bound as the column's own type: SQLite stores a scaled integer
    for start in range(0, len(extremes), 1000):
        chunk = {row["id"]: literal(row["high_water_mark"], price) for row in extremes[start:start + 1000]}
        db.session.execute(update(Position).where(Position.id.in_(list(chunk)))
                           .values(high_water_mark=case(chunk, value=Position.id)))


class _SessionClock:
    """Each exchange's trading day and open state at `now`, looked up once per run rather than per position."""

    def __init__(self, now: datetime):
        self._now = now
        self._days: dict[str, object] = {}
        self._open: dict[str, bool] = {}

    def trading_day(self, calendar: str):
        """None when the calendar has no sessions recorded for now: those positions wait, the rest go on."""
        if calendar not in self._days:
            try:
                self._days[calendar] = market_hours.trading_day(calendar, self._now)
            except market_hours.CalendarUnknown as unknown:
                log.error("monitor: %s", unknown.message)
                self._days[calendar] = None
        return self._days[calendar]

    def is_open(self, calendar: str) -> bool:
        if calendar not in self._open:
            self._open[calendar] = market_hours.is_open(calendar, self._now)
        return self._open[calendar]


def _place_exit(position, signal, now: datetime, report: MonitorReport) -> None:
    owner = db.session.get(User, position.user_id)
    payload = {
        "symbol": position.symbol, "quantity": f"{abs(position.quantity).normalize():f}", "type": "market",
        "side": (OrderSide.SELL if position.quantity > 0 else OrderSide.BUY).value,
        "connection_id": position.connection_id,
        "client_order_id": exit_client_order_id(position, signal.rule, signal.trigger),
        # An exit is the trader's own standing instruction: it never waits for a click.
        "confirm": True,
    }
    try:
        result = submit_order(owner, payload, source=OrderSource.MONITOR, now=now)
    except Conflict:
        report.exits_already_placed += 1
        return
    except PortcullisError as error:
        db.session.rollback()
        report.exits_refused[position.symbol] = error.code
        return
    except Exception:
        # One exit that fails unexpectedly must not leave every other stop unguarded until the next run.
        db.session.rollback()
        log.exception("monitor: %s exit for %s failed", signal.rule, position.symbol)
        report.exits_refused[position.symbol] = "INTERNAL_ERROR"
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


def _check_loss_limits(positions, connections: dict, sessions: _SessionClock, now: datetime,
                       report: MonitorReport) -> None:
    """Halt anyone whose day or week has lost past their limit (the breaker the pipeline also trips).

    Paper accounts are valued together from the database; each live account is one broker call.
    """
    by_user: dict[int, set[int]] = defaultdict(set)
    for position in positions:
        by_user[position.user_id].add(position.connection_id)
    halted = set(db.session.scalars(
        select(User.id).where(User.id.in_(list(by_user)), User.trading_mode == TradingMode.HALTED)))
    watched = {uid: ids for uid, ids in by_user.items() if uid not in halted}
    if not watched:
        return
    limits = effective_limits_for(list(watched))
    connection_ids = sorted(cid for ids in watched.values() for cid in ids)
    equities = paper_equities([cid for cid in connection_ids if connections[cid].broker == BrokerName.PAPER])
    for cid in connection_ids:
        if cid in equities:
            continue
        connection = db.session.get(BrokerConnection, cid)
        try:
            equities[cid] = adapter_for(connection).get_account().equity
        except BrokerError as error:
            note_broker_error(connection, error)
            report.errors[cid] = error.code
    day_start, week_start = _baselines(connections, equities, sessions)
    for user_id, ids in watched.items():
        for cid in sorted(ids):
            if cid not in equities or cid not in day_start:
                continue
            breach = _breach(equities[cid], day_start[cid], week_start[cid], limits[user_id])
            if breach:
                halts.halt_for_loss(db.session.get(User, user_id), breach, db.session.get(BrokerConnection, cid), now)
                report.halted_users.append(user_id)
                log.warning("monitor: user %s halted, %s", user_id, breach)
                break
    db.session.commit()


def _baselines(connections: dict, equities: dict[int, Decimal], sessions: _SessionClock):
    """Each connection's day-open and week-open equity, grouped by exchange calendar; none where the
    calendar has no sessions recorded for now."""
    by_calendar: dict[str, dict[int, tuple[int, Decimal]]] = defaultdict(dict)
    for cid, equity in equities.items():
        connection = connections[cid]
        by_calendar[market_hours.calendar_name(connection.broker, "")][cid] = (connection.user_id, equity)
    day_start, week_start = {}, {}
    for calendar, current in by_calendar.items():
        day = sessions.trading_day(calendar)
        if day is None:
            continue
        baselines = baseline_equities(
            {SnapshotKind.DAY_OPEN: day, SnapshotKind.WEEK_OPEN: market_hours.week_start(calendar, day)}, current
        )
        day_start.update(baselines[SnapshotKind.DAY_OPEN])
        week_start.update(baselines[SnapshotKind.WEEK_OPEN])
    return day_start, week_start


def _breach(equity: Decimal, day_start: Decimal, week_start: Decimal, limits: dict) -> str | None:
    for code, start, percent, amount in (
        ("DAILY_LOSS_LIMIT", day_start, limits.get("max_daily_loss_percent"), limits.get("max_daily_loss_amount")),
        ("WEEKLY_LOSS_LIMIT", week_start, limits.get("max_weekly_loss_percent"), limits.get("max_weekly_loss_amount")),
    ):
        if loss_verdict(code, start, equity, percent, amount).outcome == Outcome.DENY:
            return code
    return None
