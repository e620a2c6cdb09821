"""Our ledger of positions: every fill applied once, with average price and realized P&L."""
from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from app.domain.enums import OrderSide
from app.extensions import db
from app.models import Order, OrderFill, Position
from app.services.conflict_insert import conflict_insert

log = logging.getLogger(__name__)
EIGHT_PLACES = Decimal("0.00000001")


def _position_for(order: Order) -> Position:
    """The order's position, read without flushing the order's pending changes first (a stored order's go
    in one UPDATE at commit); one opened earlier in this transaction and not yet flushed is found in the session."""
    key = (order.connection_id, order.symbol)
    position = next((p for p in db.session.new if isinstance(p, Position) and (p.connection_id, p.symbol) == key), None)
    if position is None:
        with db.session.no_autoflush:
            position = db.session.scalar(
                select(Position).where(Position.connection_id == order.connection_id, Position.symbol == order.symbol)
            )
    if position is None:
        position = Position(
            user_id=order.user_id, connection_id=order.connection_id, symbol=order.symbol,
            asset_class=order.asset_class, quantity=Decimal("0"), avg_price=Decimal("0"), realized_pnl=Decimal("0"),
        )
        db.session.add(position)
    return position


def apply_fill(order: Order, quantity: Decimal, price: Decimal, filled_at: datetime, fill_key: str,
               commission: Decimal = Decimal("0")) -> bool:
    """Record one execution of `order` and move its position; False if this fill was applied before."""
    if quantity <= 0:
        return False
    if order.id is None:
        # Not stored yet (a simulator order is stored once, filled): none of its fills can have been
        # recorded, and the order and this fill are inserted together at the next flush.
        order.fills.append(OrderFill(fill_key=fill_key, quantity=quantity, price=price, commission=commission,
                                     filled_at=filled_at))
    else:
        with db.session.no_autoflush:  # the order's row exists; its pending changes can wait for one UPDATE
            recorded = db.session.execute(
                conflict_insert(OrderFill).values(order_id=order.id, fill_key=fill_key, quantity=quantity,
                                                  price=price, commission=commission, filled_at=filled_at)
                .on_conflict_do_nothing(index_elements=["order_id", "fill_key"])
            )
        if recorded.rowcount == 0:
            log.info("fill %s of order %s was already applied", fill_key, order.id)
            return False
    position = _position_for(order)
    previous_value = (order.avg_fill_price or Decimal("0")) * order.filled_quantity
    order.filled_quantity += quantity
    order.avg_fill_price = ((previous_value + price * quantity) / order.filled_quantity).quantize(EIGHT_PLACES)
    order.commission += commission
    _move_position(position, order, quantity, price, commission, filled_at)
    return True


def _move_position(position: Position, order: Order, quantity: Decimal, price: Decimal, commission: Decimal,
                   filled_at: datetime) -> None:
    signed = quantity if order.side == OrderSide.BUY else -quantity
    held = position.quantity
    position.realized_pnl -= commission
    if held == 0:
        position.opened_at = filled_at
    if held == 0 or (held > 0) == (signed > 0):
        total = held + signed
        position.avg_price = ((position.avg_price * abs(held) + price * quantity) / abs(total)).quantize(EIGHT_PLACES)
        position.quantity = total
        return
    closing = min(abs(signed), abs(held))
    direction = Decimal(1) if held > 0 else Decimal(-1)
    position.realized_pnl += (price - position.avg_price) * closing * direction * order.multiplier
    position.quantity = held + signed
    if position.quantity == 0:
        position.avg_price = Decimal("0")
    elif (position.quantity > 0) != (held > 0):
        position.avg_price = price  # flipped: what remains was opened at this fill's price
        position.opened_at = filled_at
