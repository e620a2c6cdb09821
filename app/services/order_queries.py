"""Reading a user's orders and the audit trail; everything here is scoped to who is asking."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.domain.enums import OrderStatus
from app.domain.orders import UNSETTLED_STATUSES
from app.domain.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import AuditEvent, Order, OrderFill, User

MAX_PAGE = 200


def _limit(raw: Any, default: int = 50) -> int:
    if raw in (None, ""):
        return default
    if not str(raw).isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise InvalidInput("INVALID_LIMIT", f"limit must be a whole number from 1 to {MAX_PAGE}.", field="limit")
    return int(raw)


def list_orders(user: User, status: Any = None, limit: Any = None) -> list[Order]:
    query = select(Order).where(Order.user_id == user.id).order_by(Order.id.desc()).limit(_limit(limit))
    if status not in (None, ""):
        try:
            query = query.where(Order.status == OrderStatus(status))
        except ValueError:
            choices = ", ".join(s.value for s in OrderStatus)
            raise InvalidInput("INVALID_STATUS", f"status must be one of {choices}.", field="status") from None
    return list(db.session.scalars(query))


def open_orders(user: User) -> list[Order]:
    """Orders still working or not yet settled with the broker, newest first."""
    return list(db.session.scalars(
        select(Order).where(Order.user_id == user.id, Order.status.in_(list(UNSETTLED_STATUSES)))
        .order_by(Order.id.desc())
    ))


def get_order(user: User, order_id: Any) -> Order:
    """The user's own order; another user's id answers exactly like a missing one."""
    try:
        order = db.session.get(Order, int(order_id))
    except (TypeError, ValueError):
        order = None
    if order is None or order.user_id != user.id:
        raise NotFound("ORDER_NOT_FOUND", "No such order.")
    return order


def audit_trail(*, action: Any = None, user_id: Any = None, actor_id: Any = None, before_id: Any = None,
                limit: Any = None) -> list[AuditEvent]:
    """The audit trail, newest first, filtered; page with before_id."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(_limit(limit, 100))
    if action not in (None, ""):
        query = query.where(AuditEvent.action == str(action)[:64])
    for name, raw, column in (("user_id", user_id, AuditEvent.subject_user_id),
                              ("actor_id", actor_id, AuditEvent.actor_id), ("before_id", before_id, AuditEvent.id)):
        if raw in (None, ""):
            continue
        if not str(raw).isdigit():
            raise InvalidInput("INVALID_FILTER", f"{name} must be a whole number.", field=name)
        query = query.where(column < int(raw)) if name == "before_id" else query.where(column == int(raw))
    return list(db.session.scalars(query))


def recent_fills(user: User, limit: int = 20) -> list[tuple[OrderFill, Order]]:
    """The user's latest executions with their orders, newest first."""
    rows = db.session.execute(
        select(OrderFill, Order).join(Order, OrderFill.order_id == Order.id).where(Order.user_id == user.id)
        .order_by(OrderFill.filled_at.desc()).limit(limit)
    )
    return [(fill, order) for fill, order in rows]
