"""Moving an order through its life: every status change through the transition table, every fill once."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from decimal import Decimal

from app.domain.broker_types import OrderReport
from app.domain.enums import LIVE_ENVIRONMENTS
from app.extensions import db
from app.models import BrokerConnection
from app.services.notifications import notify
from app.domain.enums import OrderStatus
from app.domain.orders import FINAL_STATUSES, can_transition
from app.models import Order
from app.services.positions import EIGHT_PLACES, apply_fill

log = logging.getLogger(__name__)


def move_order(order: Order, status: OrderStatus, *, reason: str | None = None,
               now: datetime | None = None) -> bool:
    """Change the order's status if the table allows it; a late or backwards event is ignored."""
    if status == order.status:
        return False
    if not can_transition(order.status, status):
        log.warning("order %s: ignoring %s -> %s", order.id, order.status, status)
        return False
    order.status = status
    if reason:
        order.reject_reason = reason[:500]
    if status in FINAL_STATUSES:
        order.closed_at = now or datetime.now(timezone.utc)
    _alert_if_live(order)
    return True


LIVE_ALERTS = {
    OrderStatus.SUBMITTED: "live_order_placed",
    OrderStatus.FILLED: "live_order_filled",
    OrderStatus.REJECTED: "live_order_rejected",
    OrderStatus.CANCELLED: "live_order_cancelled",
}


def _alert_if_live(order: Order) -> None:
    event = LIVE_ALERTS.get(order.status)
    connection = db.session.get(BrokerConnection, order.connection_id) if order.connection_id else None
    if event is None or connection is None or connection.environment not in LIVE_ENVIRONMENTS:
        return
    text = f"{order.side.value} {order.quantity.normalize():f} {order.symbol} ({order.order_type.value})"
    if order.reject_reason and order.status == OrderStatus.REJECTED:
        text += f": {order.reject_reason}"
    notify(event, f"Live order {order.status.value}: {order.symbol}", text, user_id=order.user_id,
           dedupe_key=f"order:{order.id}:{order.status.value}")


def apply_report(order: Order, report: OrderReport, *, now: datetime | None = None) -> None:
    """Bring the order in line with what the broker reports: new fills first, then the status."""
    now = now or datetime.now(timezone.utc)
    if order.broker_order_id is None:
        order.broker_order_id = report.broker_order_id
    new_quantity = report.filled_quantity - order.filled_quantity
    if new_quantity > 0 and order.status not in FINAL_STATUSES:
        price = _price_of_new_fills(order, report, new_quantity)
        if price is None:
            log.warning("order %s: %s filled without a price; fills wait for a fuller report", order.id, new_quantity)
        else:
            # Keyed on the cumulative quantity, so the same report applied twice adds nothing.
            key = f"{report.broker_order_id}:{report.filled_quantity}"
            apply_fill(order, new_quantity, price, report.created_at or now, key)
    status = report.status
    if status == OrderStatus.FILLED and order.filled_quantity < order.quantity:
        return  # never call it filled before every share is accounted for
    move_order(order, status, reason=report.reject_reason, now=now)


def _price_of_new_fills(order: Order, report: OrderReport, new_quantity: Decimal) -> Decimal | None:
    """The average price of just the new fills, from the broker's cumulative average."""
    if report.avg_fill_price is None or report.avg_fill_price <= 0:
        return None
    previous = (order.avg_fill_price or Decimal("0")) * order.filled_quantity
    price = (report.avg_fill_price * report.filled_quantity - previous) / new_quantity
    return price.quantize(EIGHT_PLACES) if price > 0 else report.avg_fill_price
