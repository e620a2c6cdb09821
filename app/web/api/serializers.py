"""Rows as JSON: money and quantities as exact decimal strings, never floats; credentials never."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal


def num(value: Decimal | int | None) -> str | int | None:
    if value is None or isinstance(value, int):
        return value
    return f"{value.normalize():f}"


def when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def order_json(order, *, with_fills: bool = False) -> dict:
    body = {
        "id": order.id, "client_order_id": order.client_order_id, "connection_id": order.connection_id,
        "symbol": order.symbol, "asset_class": order.asset_class.value, "side": order.side.value,
        "quantity": num(order.quantity), "type": order.order_type.value, "time_in_force": order.time_in_force.value,
        "limit_price": num(order.limit_price), "stop_price": num(order.stop_price), "status": order.status.value,
        "filled_quantity": num(order.filled_quantity), "avg_fill_price": num(order.avg_fill_price),
        "denial_code": order.denial_code, "reject_reason": order.reject_reason, "source": order.source.value,
        "checks": order.checks, "created_at": when(order.created_at),
    }
    if with_fills:
        body["fills"] = [{"quantity": num(f.quantity), "price": num(f.price), "commission": num(f.commission),
                          "filled_at": when(f.filled_at)} for f in order.fills]
    return body


def position_json(marked) -> dict:
    position = marked.position
    return {
        "id": position.id, "symbol": position.symbol, "asset_class": position.asset_class.value,
        "quantity": num(position.quantity), "avg_price": num(position.avg_price), "mark_price": num(marked.mark_price),
        "unrealized_pnl": num(marked.unrealized_pnl), "realized_pnl": num(position.realized_pnl),
        "quote_as_of": when(marked.quote_as_of), "quote_stale": marked.stale, "external": position.external,
        "stop_loss": num(position.stop_loss), "take_profit": num(position.take_profit),
        "trailing_stop_percent": num(position.trailing_stop_percent),
    }


def connection_json(connection) -> dict:
    return {
        "id": connection.id, "broker": connection.broker.value, "environment": connection.environment.value,
        "label": connection.label, "status": connection.status.value, "last_verified_at": when(connection.last_verified_at),
        "last_error": connection.last_error,
    }


def user_json(user) -> dict:
    return {
        "id": user.id, "email": user.email, "role": user.role.value, "mode": user.trading_mode.value,
        "halted": user.trading_mode.value == "halted", "kyc_status": user.kyc_status.value,
        "two_factor": user.has_2fa, "created_at": when(user.created_at),
    }


def audit_json(event) -> dict:
    return {
        "id": event.id, "at": when(event.created_at), "action": event.action, "actor_id": event.actor_id,
        "user_id": event.subject_user_id, "object_type": event.object_type, "object_id": event.object_id,
        "reason": event.reason, "before": event.before, "after": event.after, "details": event.details,
    }


def values_json(mapping: dict) -> dict:
    return {key: num(value) if isinstance(value, Decimal) else value for key, value in mapping.items()}
