"""Alpaca JSON <-> domain types. Money arrives as strings; statuses spell 'canceled' with one L."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.brokers.base import AuthError, BrokerError, InvalidRequest, OrderRejected, RateLimited
from app.brokers.parsing import (
    choice,
    decimal_field,
    field,
    optional_decimal,
    parse_timestamp,
    require_dict,
    require_list,
    text_field,
)
from app.domain.broker_types import AccountSnapshot, BrokerPosition, OrderAck, OrderReport, Quote
from app.domain.enums import AssetClass, OrderSide, OrderStatus, OrderType, TimeInForce
from app.domain.orders import OrderRequest

STATUS = {
    "new": OrderStatus.SUBMITTED,
    "accepted": OrderStatus.SUBMITTED,
    "pending_new": OrderStatus.SUBMITTED,
    "accepted_for_bidding": OrderStatus.SUBMITTED,
    "held": OrderStatus.SUBMITTED,
    "calculated": OrderStatus.SUBMITTED,
    "pending_review": OrderStatus.SUBMITTED,
    "pending_replace": OrderStatus.SUBMITTED,
    "stopped": OrderStatus.SUBMITTED,
    "suspended": OrderStatus.SUBMITTED,
    "done_for_day": OrderStatus.SUBMITTED,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "pending_cancel": OrderStatus.PENDING_CANCEL,
    "canceled": OrderStatus.CANCELLED,
    "expired": OrderStatus.EXPIRED,
    "replaced": OrderStatus.CANCELLED,
    "rejected": OrderStatus.REJECTED,
}
ORDER_TYPES = {t.value: t for t in OrderType}
SIDES = {s.value: s for s in OrderSide}
DUPLICATE_CLIENT_ORDER_ID = "client_order_id must be unique"
# 403 is overloaded: it means "refused" for buying power and PDT rules, "forbidden" for bad keys.
_REJECTION_HINTS = ("buying power", "insufficient", "pattern day", "not allowed to short", "qty", "notional", "market")


def parse_error(status: int, body: Any, text: str) -> BrokerError:
    message = body.get("message") if isinstance(body, dict) else None
    message = message or " ".join(text.split())[:300] or f"HTTP {status}"
    code = str(body.get("code")) if isinstance(body, dict) and body.get("code") is not None else None
    if status == 401:
        return AuthError(message, status_code=status, broker_code=code)
    if status == 403:
        if any(hint in message.lower() for hint in _REJECTION_HINTS):
            return OrderRejected(message, status_code=status, broker_code=code)
        return AuthError(message, status_code=status, broker_code=code)
    if status == 429:
        return RateLimited(message, status_code=status, broker_code=code)
    return InvalidRequest(message, status_code=status, broker_code=code)


def is_duplicate_client_order_id(error: BrokerError) -> bool:
    return error.status_code == 422 and DUPLICATE_CLIENT_ORDER_ID in error.message.lower()


def account(body: Any) -> AccountSnapshot:
    what = "Alpaca account"
    return AccountSnapshot(
        account_id=text_field(body, "account_number", what),
        currency=str(require_dict(body, what).get("currency") or "USD"),
        cash=decimal_field(body, "cash", what),
        buying_power=decimal_field(body, "buying_power", what),
        equity=decimal_field(body, "equity", what),
    )


def positions(body: Any) -> list[BrokerPosition]:
    result = []
    for index, item in enumerate(require_list(body, "Alpaca positions")):
        what = f"Alpaca position {index}"
        quantity = decimal_field(item, "qty", what)
        # Short positions come with side "short"; make the sign say so whichever way qty is written.
        if str(item.get("side", "long")).lower() == "short":
            quantity = -abs(quantity)
        result.append(
            BrokerPosition(
                symbol=text_field(item, "symbol", what),
                quantity=quantity,
                avg_price=decimal_field(item, "avg_entry_price", what),
                asset_class=AssetClass.OPTION if item.get("asset_class") == "us_option" else AssetClass.EQUITY,
                market_price=optional_decimal(item, "current_price", what),
            )
        )
    return result


def order_report(body: Any) -> OrderReport:
    what = "Alpaca order"
    status_text = text_field(body, "status", what).lower()
    order_type = ORDER_TYPES.get(str(body.get("type") or body.get("order_type") or "").lower(), OrderType.MARKET)
    quantity = optional_decimal(body, "qty", what)
    if quantity is None:
        quantity = optional_decimal(body, "notional", what) or Decimal("0")
    filled = optional_decimal(body, "filled_qty", what) or Decimal("0")
    return OrderReport(
        broker_order_id=text_field(body, "id", what),
        symbol=text_field(body, "symbol", what),
        side=choice(field(body, "side", what), SIDES, f"{what}.side"),
        quantity=quantity,
        order_type=order_type,
        status=STATUS.get(status_text, OrderStatus.SUBMITTED),
        filled_quantity=filled,
        avg_fill_price=optional_decimal(body, "filled_avg_price", what),
        limit_price=optional_decimal(body, "limit_price", what),
        stop_price=optional_decimal(body, "stop_price", what),
        client_order_id=body.get("client_order_id"),
        created_at=parse_timestamp(body.get("created_at"), f"{what}.created_at"),
        reject_reason=status_text if status_text == "rejected" else None,
    )


def order_reports(body: Any) -> list[OrderReport]:
    return [order_report(item) for item in require_list(body, "Alpaca orders")]


def order_ack(body: Any) -> OrderAck:
    report = order_report(body)
    return OrderAck(report.broker_order_id, report.status, report.client_order_id)


def order_body(request: OrderRequest, client_order_id: str) -> dict:
    """The POST /v2/orders body; fractional quantities only go as market day orders, as Alpaca requires."""
    if request.quantity != request.quantity.to_integral_value() and (
        request.order_type != OrderType.MARKET or request.time_in_force != TimeInForce.DAY
    ):
        raise InvalidRequest(
            "Alpaca accepts fractional quantities only on market orders good for the day",
            broker_code="FRACTIONAL_NOT_ALLOWED",
        )
    body = {
        "symbol": request.symbol,
        "qty": _plain(request.quantity),
        "side": request.side.value,
        "type": request.order_type.value,
        "time_in_force": request.time_in_force.value,
        "client_order_id": client_order_id,
    }
    if request.limit_price is not None:
        body["limit_price"] = _plain(request.limit_price)
    if request.stop_price is not None:
        body["stop_price"] = _plain(request.stop_price)
    return body


def _plain(value: Decimal) -> str:
    """A decimal as plain digits without storage padding: 7, not 7.00000000 (and never 7E+1)."""
    return f"{value.normalize():f}"


def quotes(body: Any) -> dict[str, Quote]:
    by_symbol = field(body, "quotes", "Alpaca latest quotes")
    result = {}
    for symbol, raw in require_dict(by_symbol, "Alpaca quotes").items():
        what = f"Alpaca quote {symbol}"
        as_of = parse_timestamp(field(raw, "t", what), f"{what}.t")
        result[symbol] = Quote(
            symbol=symbol,
            bid=optional_decimal(raw, "bp", what, zero_is_none=True),
            ask=optional_decimal(raw, "ap", what, zero_is_none=True),
            last=None,
            as_of=as_of,
        )
    return result
