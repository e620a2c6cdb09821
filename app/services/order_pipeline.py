"""The one door for orders: every order is validated, locked, checked, written ahead, then sent.

The paper simulator keeps its books in our database, so its orders are neither written ahead nor sent
outside the lock: an order and its fill commit together, in one transaction, or not at all.

Only this module calls a broker's place_order or cancel_order.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.brokers.base import (
    AuthError,
    Broker,
    BrokerError,
    BrokerUnavailable,
    InvalidRequest,
    OrderRejected,
    RateLimited,
)
from app.compliance.engine import ComplianceEngine
from app.domain.enums import (
    LIVE_ENVIRONMENTS,
    BrokerName,
    ConnectionStatus,
    OrderSource,
    OrderStatus,
    TradingMode,
)
from app.domain.errors import Conflict, Unavailable, Unprocessable
from app.domain.orders import OPEN_STATUSES, OrderRequest
from app.domain.pretrade import CheckResult, Outcome
from app.extensions import db
from app.models import BrokerConnection, ComplianceFlag, Order, User
from app.observability import tag
from app.risk.engine import RiskEngine
from app.services import halts
from app.services.accounts import (
    adapter_for,
    default_connection,
    get_connection,
    note_broker_error,
    paper_store_for,
)
from app.services.audit import record_event
from app.services.order_input import ParsedOrder, new_client_order_id, parse_order
from app.services.order_queries import get_order
from app.services.order_state import apply_report, move_order
from app.services.platform import platform_settings
from app.services.pretrade_context import build_context, lock_user, repeated_order
from app.services.two_factor import consume_totp

log = logging.getLogger(__name__)
HALT_CODES = frozenset({"TRADING_HALTED", "KILL_SWITCH_ENGAGED"})
LOSS_CODES = frozenset({"DAILY_LOSS_LIMIT", "WEEKLY_LOSS_LIMIT"})


@dataclass
class SubmitResult:
    """What became of a submission: the HTTP status and code the API answers with, and the stored order."""

    http_status: int
    code: str
    message: str
    order: Order | None = None
    checks: list[dict] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.http_status == 201


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _connection_for(user: User, parsed: ParsedOrder) -> BrokerConnection:
    """The named connection (the user's own), else the paper simulator: real money is never a default."""
    if parsed.connection_id is not None:
        connection = get_connection(user, parsed.connection_id)
    else:
        connection = default_connection(user)
    if connection.status == ConnectionStatus.NEEDS_LOGIN:
        raise Unprocessable("CONNECTION_NEEDS_LOGIN", "Log in to the broker again before trading on this connection.",
                            field="connection_id")
    if connection.status == ConnectionStatus.DISABLED:
        raise Unprocessable("CONNECTION_DISABLED", "This connection is disabled.", field="connection_id")
    return connection


def _duplicate(user: User, client_order_id: str) -> Conflict:
    return repeated_order(db.session.scalar(
        select(Order.id).where(Order.user_id == user.id, Order.client_order_id == client_order_id)
    ))


def submit_order(user: User, payload: Any, *, source: OrderSource, now: datetime | None = None) -> SubmitResult:
    """Validate, lock, check, write ahead and send one order (an order to the simulator commits once, with its fill).

    Returns a SubmitResult with 201 (accepted), 422 (denied by a check; the denied
    order is stored), 423 (trading halted), or 428 (a confirmation or TOTP code is
    needed; nothing is stored). Raises InvalidInput (400) for malformed input,
    NotFound (404) for another user's connection, Conflict (409) for a repeated
    client_order_id, Unprocessable (422) for an unusable connection and
    Unavailable (503) when the broker cannot be read to check the order.
    """
    now = now or _now()
    parsed, connection, adapter, client_order_id = _prepare(user, payload)
    user = lock_user(user.id)
    halts.lift_expired_halt(user, now)
    # The simulator keeps its books in this database, so its fill can share the order's transaction.
    books_here = connection.broker == BrokerName.PAPER
    if books_here:
        # The fill below takes the simulator account's lock anyway; taking it first means the checks and
        # the fill read the account once, and read what the fill will find.
        paper_store_for(connection).lock()
    # The context's first read, under the lock, looks for the client_order_id: a copy racing the first
    # answers 409, never a second order or a confirmation prompt.
    ctx, results = _evaluate(user, connection, adapter, parsed.request, source, now, client_order_id)
    checks = [result.as_dict() for result in results]
    order = Order(
        user_id=user.id, connection_id=connection.id, client_order_id=client_order_id,
        symbol=parsed.request.symbol, asset_class=parsed.request.asset_class, side=parsed.request.side,
        quantity=parsed.request.quantity, order_type=parsed.request.order_type,
        limit_price=parsed.request.limit_price, stop_price=parsed.request.stop_price,
        time_in_force=parsed.request.time_in_force, trading_mode=user.trading_mode, source=source,
        reference_price=ctx.price, checks=checks, created_at=now,
        # Set here, not left to the insert: a simulator order is filled before it is stored.
        filled_quantity=Decimal("0"), commission=Decimal("0"),
    )

    denials = [r for r in results if r.verdict.outcome == Outcome.DENY]
    if denials:
        return _deny(user, connection, order, denials, checks, now)

    confirmations = [r for r in results if r.verdict.outcome == Outcome.CONFIRM]
    if confirmations:
        needs_totp = any(r.verdict.needs_totp for r in confirmations)
        if not parsed.confirm:
            db.session.rollback()
            return SubmitResult(428, "CONFIRMATION_REQUIRED", "Confirm this order to place it.", checks=checks)
        if needs_totp and not consume_totp(user, parsed.totp):
            db.session.rollback()
            code = "TOTP_REQUIRED" if not parsed.totp else "TOTP_INVALID"
            return SubmitResult(428, code, "Enter a current two-factor code (each code works once).", checks=checks)

    order.status = OrderStatus.PENDING_SUBMIT
    if not books_here:
        # Write-ahead: the order is durable before any broker sees it, so a crash can only leave it for
        # reconciliation. A simulator fill commits with the order or not at all, so there is nothing for
        # a first commit to protect: its order joins the session after the fill, to be stored once as the
        # fill leaves it (in the session sooner, the simulator's first read would flush it as pending).
        _store(user, order, connection, results, client_order_id)
        db.session.commit()

    _send(order, connection, adapter, parsed.request, now)
    if books_here:
        _store(user, order, connection, results, client_order_id)
    message = f"Order {order.status.value}."  # before the commit expires it: a caller may not need it read back
    db.session.commit()
    return SubmitResult(201, "ACCEPTED", message, order=order, checks=checks)


def _store(user: User, order: Order, connection: BrokerConnection, results: list[CheckResult],
           client_order_id: str) -> None:
    """Write the order (and whatever is pending with it), its compliance flags and, if live, the audit event."""
    db.session.add(order)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        conflict = _duplicate(user, client_order_id)
        if conflict.details["order_id"] is None:
            raise  # some other constraint: not a repeated order, and not to be answered as one
        raise conflict from None
    tag(order_id=order.id)
    for result in results:
        if result.verdict.outcome == Outcome.FLAG:
            db.session.add(ComplianceFlag(user_id=user.id, order_id=order.id, code=result.verdict.code,
                                          details=dict(result.verdict.details)))
    if connection.environment in LIVE_ENVIRONMENTS:
        record_event("live_order_accepted", actor_id=user.id, subject_user_id=user.id, object_type="order",
                     object_id=order.id, after={"symbol": order.symbol, "side": order.side.value,
                                                "quantity": str(order.quantity), "type": order.order_type.value})


def _prepare(user: User, payload: Any):
    parsed = parse_order(payload)
    connection = _connection_for(user, parsed)
    return parsed, connection, adapter_for(connection), parsed.client_order_id or new_client_order_id()


def _evaluate(user: User, connection: BrokerConnection, adapter: Broker, request: OrderRequest,
              source: OrderSource, now: datetime, client_order_id: str | None = None):
    """The context and every check's result; a repeated order is a 409 and a broker that cannot be read a
    503, and in either case nothing is kept."""
    try:
        ctx = build_context(user, connection, adapter, request, source, now, client_order_id)
    except Conflict:
        db.session.rollback()
        raise
    except BrokerError as error:
        db.session.rollback()
        note_broker_error(connection, error)
        db.session.commit()
        raise Unavailable(error.code, f"The broker could not be read to check this order: {error.message}") from None
    return ctx, RiskEngine().run(request, ctx) + ComplianceEngine().run(request, ctx)


@dataclass
class Preview:
    """Every check's answer for an order that is not placed, and what it would be worth."""

    checks: list[dict]
    price: Decimal | None
    value: Decimal | None

    @property
    def denied(self) -> list[dict]:
        return [c for c in self.checks if c["outcome"] == "deny"]

    @property
    def needs_confirmation(self) -> list[dict]:
        return [c for c in self.checks if c["outcome"] == "confirm"]


def preview_order(user: User, payload: Any, *, source: OrderSource = OrderSource.DASHBOARD,
                  now: datetime | None = None) -> Preview:
    """Run every check as submit_order would, place nothing and keep nothing."""
    parsed, connection, adapter, _ = _prepare(user, payload)
    ctx, results = _evaluate(user, connection, adapter, parsed.request, source, now or _now())
    db.session.rollback()
    value = parsed.request.notional(ctx.price) if ctx.price is not None else None
    return Preview([r.as_dict() for r in results], ctx.price, value)


def _deny(user: User, connection: BrokerConnection, order: Order, denials: list[CheckResult], checks: list[dict],
          now: datetime) -> SubmitResult:
    first = denials[0].verdict
    order.status = OrderStatus.DENIED
    order.denial_code = first.code
    order.closed_at = now
    db.session.add(order)
    loss = next((d.verdict.code for d in denials if d.verdict.code in LOSS_CODES), None)
    if loss and user.trading_mode != TradingMode.HALTED:
        halts.halt_for_loss(user, loss, connection, now)
    if connection.environment in LIVE_ENVIRONMENTS:
        record_event("order_denied", actor_id=user.id, subject_user_id=user.id, object_type="order",
                     after={"symbol": order.symbol, "codes": [d.verdict.code for d in denials]})
    db.session.commit()
    status = 423 if first.code in HALT_CODES else 422
    message = "; ".join(f"{d.verdict.code}" for d in denials)
    return SubmitResult(status, first.code, f"Order denied: {message}.", order=order, checks=checks)


def _send(order: Order, connection: BrokerConnection, adapter: Broker, request: OrderRequest, now: datetime) -> None:
    """Send (outside the lock, to a real broker) and record what happened; an order that may have arrived is
    never re-sent."""
    # The switch may have been engaged after this order passed its checks; only its own exits may still go.
    if (connection.environment in LIVE_ENVIRONMENTS and order.source != OrderSource.KILL_SWITCH
            and platform_settings().kill_switch_engaged):
        move_order(order, OrderStatus.CANCELLED, reason="kill switch engaged before the order was sent", now=now)
        return
    try:
        ack = adapter.place_order(request, order.client_order_id)
    except (OrderRejected, InvalidRequest) as error:
        move_order(order, OrderStatus.REJECTED, reason=f"{error.code}: {error.message}", now=now)
    except BrokerUnavailable as error:
        if error.outcome_unknown:
            move_order(order, OrderStatus.UNKNOWN, reason=f"awaiting confirmation from the broker: {error.message}")
        else:
            move_order(order, OrderStatus.FAILED, reason=f"never reached the broker: {error.message}", now=now)
            note_broker_error(connection, error)
    except (RateLimited, AuthError) as error:
        # Refused before the broker acted on it (our limiter, a 429, bad or expired credentials).
        move_order(order, OrderStatus.FAILED, reason=f"{error.code}: {error.message}", now=now)
        note_broker_error(connection, error)
    except BrokerError as error:
        # An answer we cannot read may hide a placed order: reconciliation finds out, nothing is re-sent.
        move_order(order, OrderStatus.UNKNOWN, reason=f"{error.code}: {error.message}")
    else:
        order.broker_order_id = ack.broker_order_id
        order.submitted_at = now
        move_order(order, OrderStatus.SUBMITTED)
        if ack.status not in (OrderStatus.SUBMITTED, OrderStatus.PENDING_SUBMIT):
            try:
                apply_report(order, adapter.get_order(ack.broker_order_id), now=now)
            except BrokerError as error:
                log.warning("order %s: read-back failed (%s); reconciliation will settle it", order.id, error.code)


def cancel_order(user: User, order_id: Any, *, source: OrderSource = OrderSource.API) -> Order:
    """Ask the broker to cancel one of the user's open orders; returns the order as it now stands."""
    return cancel_any_order(get_order(user, order_id), actor_id=user.id, source=source)


def cancel_any_order(order: Order, *, actor_id: int | None, source: OrderSource) -> Order:
    """Cancel an open order whoever owns it (the kill switch cancels everyone's); commits."""
    if order.status in (OrderStatus.PENDING_SUBMIT, OrderStatus.UNKNOWN):
        raise Conflict("ORDER_NOT_CONFIRMED", "The broker has not confirmed this order yet; it cannot be cancelled now.")
    if order.status not in OPEN_STATUSES or order.broker_order_id is None:
        raise Conflict("ORDER_NOT_OPEN", f"The order is {order.status.value}; only open orders can be cancelled.")
    connection = db.session.get(BrokerConnection, order.connection_id)
    adapter = adapter_for(connection)
    try:
        adapter.cancel_order(order.broker_order_id)
    except InvalidRequest:
        pass  # typically already final at the broker; the read-back below says how it ended
    except BrokerError as error:
        raise Unavailable(error.code, f"The broker did not take the cancellation: {error.message}") from None
    move_order(order, OrderStatus.PENDING_CANCEL)
    try:
        apply_report(order, adapter.get_order(order.broker_order_id))
    except BrokerError as error:
        log.info("order %s: cancel requested, state read-back failed (%s)", order.id, error.code)
    if connection.environment in LIVE_ENVIRONMENTS:
        record_event("live_order_cancel_requested", actor_id=actor_id, subject_user_id=order.user_id,
                     object_type="order", object_id=order.id, details={"source": source.value})
    db.session.commit()
    return order
