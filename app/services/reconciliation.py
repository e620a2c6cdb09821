"""Settling our orders and positions against what each broker says, without ever sending anything."""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from app.brokers.base import Broker, BrokerError, InvalidRequest
from app.domain.broker_types import BrokerPosition, OrderReport
from app.domain.enums import AssetClass, ConnectionStatus, OrderSource, OrderStatus, TimeInForce
from app.domain.options import is_option_symbol
from app.domain.orders import UNSETTLED_STATUSES
from app.extensions import db
from app.models import BrokerConnection, Order, Position, User
from app.services.accounts import adapter_for, note_broker_error
from app.services.audit import record_event
from app.services.order_state import apply_report, move_order
from app.services.pretrade_context import lock_user

log = logging.getLogger(__name__)
# How far apart our record and the broker's may be in time for a tag-less broker's order to be ours.
MATCH_WINDOW = timedelta(minutes=10)


@dataclass
class ReconcileReport:
    """What one run did, for job_runs and the health page."""

    connections: int = 0
    orders_checked: int = 0
    orders_updated: int = 0
    external_orders: int = 0
    positions_corrected: int = 0
    errors: dict[int, str] = field(default_factory=dict)


def reconcile(now: datetime | None = None) -> ReconcileReport:
    """Settle every pending_submit (after a grace period), unknown and open order, and sync every active
    connection's positions from its broker, one connection at a time."""
    now = now or datetime.now(timezone.utc)
    grace = timedelta(seconds=current_app.config["RECONCILE_PENDING_GRACE_SECONDS"])
    orders = db.session.scalars(
        select(Order).where(Order.status.in_(list(UNSETTLED_STATUSES)), Order.connection_id.is_not(None))
        .order_by(Order.id)
    ).all()
    due = [o for o in orders if not (o.status == OrderStatus.PENDING_SUBMIT and o.created_at > now - grace)]
    by_connection: dict[int, list[int]] = defaultdict(list)
    # Every usable connection is visited, orders or not: its positions are synced from the broker.
    for connection_id in db.session.scalars(
        select(BrokerConnection.id).where(BrokerConnection.status == ConnectionStatus.ACTIVE)
    ):
        by_connection[connection_id] = []
    for order in due:
        by_connection[order.connection_id].append(order.id)
    report = ReconcileReport()
    for connection_id, order_ids in by_connection.items():
        connection = db.session.get(BrokerConnection, connection_id)
        try:
            _reconcile_connection(connection, order_ids, now, report)
            db.session.commit()
        except BrokerError as error:
            db.session.rollback()
            note_broker_error(connection, error)
            db.session.commit()
            report.errors[connection_id] = error.code
        report.connections += 1
    return report


def _reconcile_connection(connection: BrokerConnection, order_ids: list[int], now: datetime,
                          report: ReconcileReport) -> None:
    adapter = adapter_for(connection)
    lock_user(connection.user_id)  # the pipeline and reconciliation never edit a user's orders at once
    broker_orders = adapter.get_orders()
    by_id = {r.broker_order_id: r for r in broker_orders}
    ours = db.session.scalars(select(Order).where(Order.connection_id == connection.id)).all()
    linked = {o.broker_order_id for o in ours if o.broker_order_id}
    for order in (o for o in ours if o.id in order_ids):
        if order.status not in UNSETTLED_STATUSES:
            continue  # settled meanwhile by the pipeline
        report.orders_checked += 1
        before = (order.status, order.filled_quantity)
        found = _find(adapter, order, by_id, broker_orders, linked)
        if found is not None:
            linked.add(found.broker_order_id)
            apply_report(order, found, now=now)
        elif order.status == OrderStatus.PENDING_SUBMIT or order.status == OrderStatus.UNKNOWN:
            _not_found(order, adapter, now)
        if (order.status, order.filled_quantity) != before:
            report.orders_updated += 1
    report.external_orders += _record_external_orders(connection, broker_orders, ours, linked)
    report.positions_corrected += sync_positions(connection, adapter.get_positions())


def _find(adapter: Broker, order: Order, by_id: dict, broker_orders: list[OrderReport],
          linked: set[str]) -> OrderReport | None:
    """The broker's view of our order: by its id, else by our client id or tag, else by a unique match."""
    if order.broker_order_id:
        if order.broker_order_id in by_id:
            return by_id[order.broker_order_id]
        try:
            return adapter.get_order(order.broker_order_id)
        except InvalidRequest:
            return None
    found = adapter.find_order_by_client_id(order.client_order_id)
    if found is not None or adapter.capabilities.idempotent_client_order_id:
        return found
    return _unique_match(order, broker_orders, linked)


def _unique_match(order: Order, broker_orders: list[OrderReport], linked: set[str]) -> OrderReport | None:
    """For a broker that carries none of our ids: same symbol, side and size, close in time, and only one."""
    candidates = [
        r for r in broker_orders
        if r.broker_order_id not in linked and r.symbol == order.symbol and r.side == order.side
        and r.quantity == order.quantity
        and (r.created_at is None or abs(r.created_at - order.created_at) <= MATCH_WINDOW)
    ]
    return candidates[0] if len(candidates) == 1 else None


def _not_found(order: Order, adapter: Broker, now: datetime) -> None:
    if adapter.capabilities.idempotent_client_order_id:
        # The broker answers for every client order id it has seen: absent means it never arrived.
        move_order(order, OrderStatus.FAILED, reason="never reached the broker (not found by client order id)", now=now)
    elif order.status == OrderStatus.PENDING_SUBMIT:
        move_order(order, OrderStatus.UNKNOWN, reason="not found at the broker yet; awaiting confirmation")


def _record_external_orders(connection: BrokerConnection, broker_orders: list[OrderReport], ours: list[Order],
                            linked: set[str]) -> int:
    """Orders at the broker we never sent are recorded (and counted in exposure), with an audit alert."""
    own_tags = {o.client_order_id for o in ours}
    added = 0
    for report in broker_orders:
        if report.broker_order_id in linked or (report.client_order_id and report.client_order_id in own_tags):
            continue
        db.session.add(Order(
            user_id=connection.user_id, connection_id=connection.id,
            client_order_id=f"ext-{report.broker_order_id}"[:64], broker_order_id=report.broker_order_id,
            symbol=report.symbol, asset_class=_asset_class(report.symbol), side=report.side,
            quantity=report.quantity, order_type=report.order_type, limit_price=report.limit_price,
            stop_price=report.stop_price, time_in_force=TimeInForce.DAY, status=report.status,
            trading_mode=db.session.get(User, connection.user_id).trading_mode,
            source=OrderSource.EXTERNAL, filled_quantity=report.filled_quantity,
            avg_fill_price=report.avg_fill_price, checks=[],
        ))
        linked.add(report.broker_order_id)
        record_event("external_order_found", subject_user_id=connection.user_id, object_type="broker_connection",
                     object_id=connection.id, details={"broker_order_id": report.broker_order_id,
                                                       "symbol": report.symbol, "status": report.status.value})
        added += 1
    return added


def _asset_class(symbol: str) -> AssetClass:
    return AssetClass.OPTION if is_option_symbol(symbol) else AssetClass.EQUITY


def sync_positions(connection: BrokerConnection, broker_positions: list[BrokerPosition]) -> int:
    """Make our positions match the broker's (the source of truth); returns how many rows changed."""
    ours = {p.symbol: p for p in db.session.scalars(select(Position).where(Position.connection_id == connection.id))}
    changed = 0
    for held in broker_positions:
        row = ours.pop(held.symbol, None)
        if row is None:
            db.session.add(Position(
                user_id=connection.user_id, connection_id=connection.id, symbol=held.symbol,
                asset_class=held.asset_class, quantity=held.quantity, avg_price=held.avg_price,
                realized_pnl=Decimal("0"), external=True, opened_at=datetime.now(timezone.utc),
            ))
            record_event("external_position_found", subject_user_id=connection.user_id, object_type="position",
                         details={"symbol": held.symbol, "quantity": str(held.quantity)})
            changed += 1
        elif row.quantity != held.quantity:
            record_event("position_corrected", subject_user_id=connection.user_id, object_type="position",
                         object_id=row.id, before={"quantity": str(row.quantity)},
                         after={"quantity": str(held.quantity)})
            if row.quantity == 0:
                row.opened_at = datetime.now(timezone.utc)
            row.quantity, row.avg_price = held.quantity, held.avg_price
            changed += 1
    for row in ours.values():
        if row.quantity != 0:
            record_event("position_corrected", subject_user_id=connection.user_id, object_type="position",
                         object_id=row.id, before={"quantity": str(row.quantity)}, after={"quantity": "0"})
            row.quantity = Decimal("0")
            changed += 1
    return changed
