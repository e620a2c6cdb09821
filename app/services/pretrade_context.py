"""Taking the user's lock and gathering everything the checks may look at."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, bindparam, func, insert, literal, or_, select, true, union_all, update

from app.brokers.base import Broker, BrokerError
from app.domain.enums import LIVE_ENVIRONMENTS, AssetClass, KycStatus, OrderSide, OrderSource, OrderStatus, OrderType
from app.domain.options import InvalidOptionSymbol, OptionSymbol, contract_multiplier
from app.domain.errors import Conflict
from app.domain.orders import UNSETTLED_STATUSES, OrderRequest
from app.domain.pretrade import ComplianceSettings, Holding, PreTradeContext, RecentOrder
from app.extensions import db
from app.models import BrokerConnection, EquitySnapshot, Order, PlatformSettings, RiskLimits, SnapshotKind, User
from app.models.platform import SETTINGS_ROW_ID
from app.models.risk_limits import limits_in_force
from app.services import market_hours
from app.services.market_data import age_seconds, expect_quotes, freshest_quotes, is_stale, upsert_quotes
from app.services.two_factor import disclosure_is_current

UNREFLECTED = (OrderStatus.PENDING_SUBMIT, OrderStatus.UNKNOWN)
# Orders our checks let through (denied and never-sent ones do not count towards rates or volume).
COUNTED = tuple(s for s in OrderStatus if s not in (OrderStatus.DENIED, OrderStatus.FAILED))


def lock_user(user_id: int) -> User:
    """Begin the order transaction holding the user's row lock, so two orders cannot both pass a limit."""
    if db.session.get_bind().dialect.name == "postgresql":
        user = db.session.scalar(
            select(User).where(User.id == user_id).with_for_update().execution_options(populate_existing=True)
        )
    else:
        # SQLite has no row locks: a write first takes the database's write lock for this transaction.
        db.session.execute(update(User).where(User.id == user_id).values(id=User.id))
        user = db.session.get(User, user_id, populate_existing=True)
    return user


def underlying(symbol: str) -> str:
    try:
        return OptionSymbol.parse(symbol).root
    except InvalidOptionSymbol:
        return symbol


def valuation_price(request: OrderRequest, quote) -> Decimal | None:
    """What an order is worth per unit for the limits: its limit, its stop, else the side of the quote it meets."""
    if request.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
        return request.limit_price
    if request.order_type == OrderType.STOP:
        return request.stop_price
    if quote is None:
        return None
    touch = quote.ask if request.side == OrderSide.BUY else quote.bid
    return touch if touch is not None and touch > 0 else quote.last


def compliance_settings() -> ComplianceSettings:
    config = current_app.config
    return ComplianceSettings(
        kyc_trade_threshold=config["KYC_TRADE_THRESHOLD"],
        kyc_daily_volume=config["KYC_DAILY_VOLUME"],
        large_transaction=config["LARGE_TRANSACTION_THRESHOLD"],
        live_confirm_threshold=config["LIVE_CONFIRM_THRESHOLD"],
        duplicate_window_seconds=config["DUPLICATE_ORDER_WINDOW_SECONDS"],
        burst_orders=config["ORDER_BURST_COUNT"],
        burst_seconds=config["ORDER_BURST_SECONDS"],
        round_trip_seconds=config["ROUND_TRIP_SECONDS"],
        outsized_multiple=config["OUTSIZED_ORDER_MULTIPLE"],
    )


def effective_limits(user: User) -> dict:
    return effective_limits_for([user.id])[user.id]


def effective_limits_for(user_ids: list[int]) -> dict[int, dict]:
    """The limits in force for each user, in one query."""
    defaults = current_app.config["DEFAULT_RISK_LIMITS"]
    columns = [getattr(RiskLimits, name) for name in RiskLimits.LIMIT_FIELDS]
    rows = {row.user_id: row for row in db.session.execute(
        select(RiskLimits.user_id, *columns).where(RiskLimits.user_id.in_(user_ids)))}
    return {uid: limits_in_force(rows.get(uid), defaults) for uid in user_ids}


def _quote_rows(adapter: Broker, connection: BrokerConnection, symbols: set[str], now: datetime) -> dict:
    """Stored quotes, refreshed from the broker for any that are missing or stale (never for the simulator)."""
    rows = freshest_quotes(symbols)
    stale_after = current_app.config["STALE_QUOTE_SECONDS"]
    wanted = sorted(s for s in symbols if is_stale(rows.get(s), now, stale_after))
    if wanted and adapter.capabilities.has_quotes and connection.broker != "paper":
        try:
            fetched = adapter.get_quotes(wanted[: adapter.capabilities.quote_batch_size])
        except BrokerError:
            fetched = {}  # the stale-quote check decides what an old or missing price means
        if fetched:
            upsert_quotes({s: (q, connection.broker.value) for s, q in fetched.items()}, fetched_at=now)
            db.session.flush()
            rows = freshest_quotes(symbols)
    return rows


def baseline_equities(periods: dict[SnapshotKind, date], current: dict[int, tuple[int, Decimal]]
                      ) -> dict[SnapshotKind, dict[int, Decimal]]:
    """The equity each period (the day, the week) started from, for many connections in one read.

    `periods` maps each kind to the day its period began, `current` maps connection id to (owner id,
    equity now): the first look of a period sets its baseline to the equity now.
    """
    found: dict[SnapshotKind, dict[int, Decimal]] = {kind: {} for kind in periods}
    for row in db.session.execute(
        select(EquitySnapshot.kind, EquitySnapshot.connection_id, EquitySnapshot.equity).where(
            EquitySnapshot.connection_id.in_(list(current)),
            or_(*(and_(EquitySnapshot.kind == kind, EquitySnapshot.trading_day == day) for kind, day in periods.items())),
        )
    ):
        found[row.kind][row.connection_id] = row.equity
    _set_missing_baselines(periods, current, found)
    return found


def _set_missing_baselines(periods: dict[SnapshotKind, date], current: dict[int, tuple[int, Decimal]],
                           found: dict[SnapshotKind, dict[int, Decimal]]) -> None:
    """A period's first look sets its baseline to the equity now, in one INSERT for every connection."""
    missing = [{"user_id": user_id, "connection_id": connection_id, "kind": kind, "trading_day": day, "equity": equity}
               for kind, day in periods.items()
               for connection_id, (user_id, equity) in current.items() if connection_id not in found[kind]]
    if missing:
        db.session.execute(insert(EquitySnapshot), missing)
        for row in missing:
            found[row["kind"]][row["connection_id"]] = row["equity"]


@dataclass(frozen=True)
class Ledger:
    """What our own tables say about the user now: limits, the kill switch, the day's counts and the baselines.

    A baseline not yet set for its period is None (see baseline_equities).
    """

    limits: dict
    kill_switch_engaged: bool
    orders_today: int
    orders_last_minute: int
    day_start_equity: Decimal | None
    week_start_equity: Decimal | None


@cache
def _ledger_query():
    """Built once: every order runs it, and building it anew cost SQLAlchemy about 0.4 ms a time."""
    user_id, connection_id = bindparam("user_id"), bindparam("connection_id")
    # Both counts in one pass over the day's orders: a busy trader's day is thousands of rows.
    counts = select(
        func.count().label("orders_today"),
        func.count().filter(Order.created_at >= bindparam("minute_ago")).label("orders_last_minute"),
    ).where(Order.user_id == user_id, Order.created_at >= bindparam("day_start"), Order.status.in_(COUNTED)).subquery()

    def baseline(kind: SnapshotKind, day: str):
        return select(EquitySnapshot.equity).where(
            EquitySnapshot.connection_id == connection_id, EquitySnapshot.kind == kind,
            EquitySnapshot.trading_day == bindparam(day),
        ).scalar_subquery()

    return select(
        *(getattr(RiskLimits, name) for name in RiskLimits.LIMIT_FIELDS),
        RiskLimits.id.label("has_limits"),
        # No settings row yet means nobody has ever engaged the switch.
        select(PlatformSettings.kill_switch_engaged).where(PlatformSettings.id == SETTINGS_ROW_ID)
        .scalar_subquery().label("kill_switch_engaged"),
        counts.c.orders_today, counts.c.orders_last_minute,
        baseline(SnapshotKind.DAY_OPEN, "day").label("day_start_equity"),
        baseline(SnapshotKind.WEEK_OPEN, "week_start").label("week_start_equity"),
    ).select_from(User).outerjoin(RiskLimits, RiskLimits.user_id == User.id).join(counts, true()).where(
        User.id == user_id
    )


def read_ledger(user: User, connection: BrokerConnection, day: date, week_start: date, day_start: datetime,
                now: datetime) -> Ledger:
    """Everything the checks take from our own tables, in one statement run after the user's lock is held.

    Subqueries keep it one round trip on every backend; each reads what a query of its own would.
    """
    row = db.session.execute(_ledger_query(), {
        "user_id": user.id, "connection_id": connection.id, "day_start": day_start,
        "minute_ago": now - timedelta(seconds=60), "day": day, "week_start": week_start,
    }).one()
    defaults = current_app.config["DEFAULT_RISK_LIMITS"]
    return Ledger(
        limits=limits_in_force(row if row.has_limits is not None else None, defaults),
        kill_switch_engaged=bool(row.kill_switch_engaged),
        orders_today=row.orders_today,
        orders_last_minute=row.orders_last_minute,
        day_start_equity=row.day_start_equity,
        week_start_equity=row.week_start_equity,
    )


def _holding(position, quote_row) -> Holding:
    """A broker position valued at the broker's mark, else our latest trade price, else its cost."""
    price = position.market_price or (quote_row.last if quote_row is not None else None) or position.avg_price
    return Holding(
        symbol=position.symbol, underlying=underlying(position.symbol), quantity=position.quantity, price=price,
        asset_class=position.asset_class,
        delta=getattr(quote_row, "delta", None), theta=getattr(quote_row, "theta", None),
        vega=getattr(quote_row, "vega", None),
    )


def _order_value(order, quote_rows: dict) -> Decimal:
    price = order.limit_price or order.stop_price or order.reference_price
    if price is None and order.symbol in quote_rows:
        row = quote_rows[order.symbol]
        price = row.ask or row.last
    remaining = order.quantity - order.filled_quantity
    return remaining * (price or Decimal("0")) * contract_multiplier(order.asset_class)


def _recent_order(row) -> RecentOrder:
    price = row.avg_fill_price or row.reference_price or Decimal("0")
    return RecentOrder(row.symbol, row.side, row.quantity, row.quantity * price * contract_multiplier(row.asset_class),
                       row.created_at, row.filled_quantity > 0)


def repeated_order(order_id: int | None) -> Conflict:
    return Conflict("DUPLICATE_CLIENT_ORDER_ID", "An order with this client_order_id already exists; nothing was placed.",
                    field="client_order_id", details={"order_id": order_id})


@cache
def _our_orders_query(whole_day: bool, with_repeat: bool):
    """Built once for each kind of order (see read_ledger's query for why)."""
    columns = (Order.id, Order.symbol, Order.side, Order.status, Order.asset_class, Order.quantity,
               Order.filled_quantity, Order.limit_price, Order.stop_price, Order.reference_price,
               Order.avg_fill_price, Order.created_at)
    user_id = bindparam("user_id")
    # Selects in one statement rather than one OR, so that each is found through its own index.
    parts = [
        select(*columns, literal("unsettled").label("part")).where(
            Order.user_id == user_id, Order.connection_id == bindparam("connection_id"),
            Order.status.in_(list(UNSETTLED_STATUSES)),
        ),
        select(*columns, literal("recent").label("part")).where(
            Order.user_id == user_id, Order.created_at >= bindparam("since"), Order.status.in_(COUNTED),
            *(() if whole_day else (Order.symbol == bindparam("symbol"),)),
        ),
    ]
    if with_repeat:
        parts.append(select(*columns, literal("repeat").label("part")).where(
            Order.user_id == user_id, Order.client_order_id == bindparam("client_order_id"),
        ))
    return union_all(*parts)


def _our_orders(user: User, connection: BrokerConnection, request: OrderRequest, day_start: datetime, now: datetime,
                settings: ComplianceSettings, client_order_id: str | None, *,
                whole_day: bool) -> tuple[list, tuple[RecentOrder, ...]]:
    """In one read: the connection's unsettled orders, and the day's counted orders the checks read as rows
    (newest first); raises Conflict (409) if the user already has an order with `client_order_id`.

    Compliance reads every row of the day (its volume, its typical order) and runs on live orders only. A
    paper order reads only its own symbol's within the duplicate window, and the ledger's counts, so the rows
    an active trader's thousandth order of the day reads are those its first did.
    """
    since = day_start if whole_day else max(day_start, now - timedelta(seconds=settings.duplicate_window_seconds))
    rows = db.session.execute(_our_orders_query(whole_day, client_order_id is not None), {
        "user_id": user.id, "connection_id": connection.id, "since": since, "symbol": request.symbol,
        "client_order_id": client_order_id,
    }).all()
    repeat = next((row for row in rows if row.part == "repeat"), None)
    if repeat is not None:
        raise repeated_order(repeat.id)
    recent = sorted((row for row in rows if row.part == "recent"), key=lambda row: row.created_at, reverse=True)
    return [row for row in rows if row.part == "unsettled"], tuple(_recent_order(row) for row in recent)


def build_context(user: User, connection: BrokerConnection, adapter: Broker, request: OrderRequest,
                  source: OrderSource, now: datetime, client_order_id: str | None = None) -> PreTradeContext:
    """Everything the checks read, taken now, under the user's lock.

    Raises Conflict if the user already has an order with `client_order_id` (found before any broker is
    asked anything), BrokerError if the account cannot be read.
    """
    calendar = market_hours.calendar_name(connection.broker, request.symbol)
    day = market_hours.trading_day(calendar, now)
    day_start = datetime.combine(day, time.min, ZoneInfo(str(market_hours.calendar_tz(calendar)))).astimezone(timezone.utc)
    is_live = connection.environment in LIVE_ENVIRONMENTS
    compliance = compliance_settings()
    open_orders, recent_orders = _our_orders(user, connection, request, day_start, now, compliance, client_order_id,
                                             whole_day=is_live)
    # The simulator values its holdings from stored quotes: these come in the same read.
    expect_quotes({request.symbol} | {o.symbol for o in open_orders})
    account = adapter.get_account()
    positions = adapter.get_positions()

    symbols = {request.symbol} | {p.symbol for p in positions} | {o.symbol for o in open_orders}
    quote_rows = _quote_rows(adapter, connection, symbols, now)
    quote = quote_rows.get(request.symbol)

    holdings = tuple(_holding(p, quote_rows.get(p.symbol)) for p in positions if p.quantity != 0)
    open_buys = [o for o in open_orders if o.side == OrderSide.BUY]
    held = {h.symbol for h in holdings}

    option_dte, option_greeks = None, None
    if request.asset_class == AssetClass.OPTION:
        try:
            option_dte = OptionSymbol.parse(request.symbol).days_to_expiry(day)
        except InvalidOptionSymbol:
            option_dte = None
        if quote is not None:
            option_greeks = (quote.delta, quote.theta, quote.vega)

    week_start = market_hours.week_start(calendar, day)
    ledger = read_ledger(user, connection, day, week_start, day_start, now)
    found = {SnapshotKind.DAY_OPEN: ledger.day_start_equity, SnapshotKind.WEEK_OPEN: ledger.week_start_equity}
    baselines = {kind: {connection.id: equity} if equity is not None else {} for kind, equity in found.items()}
    _set_missing_baselines({SnapshotKind.DAY_OPEN: day, SnapshotKind.WEEK_OPEN: week_start},
                           {connection.id: (user.id, account.equity)}, baselines)
    return PreTradeContext(
        now=now,
        trading_day=day,
        source=source,
        trading_mode=user.trading_mode,
        is_live=is_live,
        kill_switch_engaged=ledger.kill_switch_engaged,
        limits=ledger.limits,
        capabilities=adapter.capabilities,
        account=account,
        holdings=holdings,
        unreflected_buy_value=sum((_order_value(o, quote_rows) for o in open_buys if o.status in UNREFLECTED), Decimal("0")),
        open_buy_value=sum((_order_value(o, quote_rows) for o in open_buys), Decimal("0")),
        symbols_pending_open=frozenset(o.symbol for o in open_buys if o.symbol not in held),
        price=valuation_price(request, quote),
        quote_age_seconds=age_seconds(quote, now),
        stale_quote_seconds=current_app.config["STALE_QUOTE_SECONDS"],
        market_open=market_hours.is_open(calendar, now),
        market_calendar=calendar,
        recent_orders=recent_orders,
        orders_today=ledger.orders_today,
        orders_last_minute=ledger.orders_last_minute,
        day_start_equity=baselines[SnapshotKind.DAY_OPEN][connection.id],
        week_start_equity=baselines[SnapshotKind.WEEK_OPEN][connection.id],
        kyc_verified=user.kyc_status == KycStatus.VERIFIED,
        has_2fa=user.has_2fa,
        disclosure_current=disclosure_is_current(user),
        option_days_to_expiry=option_dte,
        option_greeks=option_greeks,
        compliance=compliance,
    )
