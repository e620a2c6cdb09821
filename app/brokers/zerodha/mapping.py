"""Kite JSON <-> domain types: the success/error envelope, EXCHANGE:TRADINGSYMBOL symbols, IST timestamps."""
from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from app.brokers.base import (
    AuthError, BrokerError, BrokerUnavailable, InvalidRequest, MalformedResponse, OrderRejected, RateLimited,
)
from app.brokers.parsing import (
    choice, decimal_field, error_text, field, optional_decimal, parse_timestamp, require_dict, require_list, text_field,
)
from app.domain.broker_types import AccountSnapshot, BrokerPosition, OrderAck, OrderReport, Quote
from app.domain.enums import AssetClass, OrderSide, OrderStatus, OrderType, TimeInForce
from app.domain.orders import OrderRequest

# India has one fixed offset and no daylight saving, so no tz database is needed.
IST = timezone(timedelta(hours=5, minutes=30))
EXCHANGES = frozenset({"NSE", "BSE", "NFO", "BFO"})
DERIVATIVE_EXCHANGES = frozenset({"NFO", "BFO"})
PRODUCTS = frozenset({"CNC", "MIS", "NRML"})
VARIETIES = frozenset({"regular", "amo", "co", "iceberg", "auction"})
KITE_ORDER_TYPES = {
    OrderType.MARKET: "MARKET",
    OrderType.LIMIT: "LIMIT",
    OrderType.STOP: "SL-M",
    OrderType.STOP_LIMIT: "SL",
}
ORDER_TYPES = {kite.lower(): ours for ours, kite in KITE_ORDER_TYPES.items()}
SIDES = {"buy": OrderSide.BUY, "sell": OrderSide.SELL}
# Interim words are orders still working at Kite (the docs write "PUT ORDER REQUEST RECEIVED", the mocks abbreviate).
WORKING = (
    "OPEN", "TRIGGER PENDING", "PUT ORDER REQ RECEIVED", "PUT ORDER REQUEST RECEIVED", "VALIDATION PENDING",
    "OPEN PENDING", "MODIFY VALIDATION PENDING", "MODIFY PENDING", "AMO REQ RECEIVED", "MODIFIED",
)
STATUS = {
    "COMPLETE": OrderStatus.FILLED,
    "CANCELLED": OrderStatus.CANCELLED,
    "REJECTED": OrderStatus.REJECTED,
    "CANCEL PENDING": OrderStatus.PENDING_CANCEL,
    **dict.fromkeys(WORKING, OrderStatus.SUBMITTED),
}
# Kite's error_type names the failure more reliably than the HTTP status does.
ERROR_TYPES = {
    "PermissionException": AuthError,
    "InputException": InvalidRequest,
    "OrderException": OrderRejected,
    "MarginException": OrderRejected,
    "HoldingException": OrderRejected,
    "NetworkException": BrokerUnavailable,
    "DataException": BrokerUnavailable,
}
# The API could not talk to the order system: an order sent may or may not have reached it.
OMS_FAILURES = frozenset({"NetworkException", "DataException"})
_TAG = re.compile(r"[A-Za-z0-9]{1,20}")
_ORDER_ID = re.compile(r"[A-Za-z0-9]{1,64}")


def parse_error(status: int, body: Any, text: str) -> BrokerError:
    """The BrokerError for a Kite error answer, keeping Kite's own message."""
    body = body if isinstance(body, dict) else {}
    message = error_text(body.get("message")).strip() or " ".join(str(text or "").split())[:300] or f"HTTP {status}"
    error_type = body.get("error_type") if isinstance(body.get("error_type"), str) else None
    details = dict(status_code=status, broker_code=error_type)
    if status == 429:
        return RateLimited(message, **details)
    if error_type == "TokenException":
        # Kite flushes every access token daily (around 6 AM IST): only a fresh browser login helps.
        return AuthError(message, needs_login=True, **details)
    if error_type in ERROR_TYPES:
        return ERROR_TYPES[error_type](message, **details)
    # GeneralException, UserException or no body at all: the status is all we have.
    if status in (401, 403):
        return AuthError(message, **details)
    if status >= 500:
        return BrokerUnavailable(message, **details)
    return InvalidRequest(message, **details)


def unwrap(body: Any, what: str, redact=lambda text: text) -> Any:
    """`data` from a success envelope; Kite's error envelope (even on HTTP 200) becomes its BrokerError."""
    if isinstance(body, dict) and (body.get("status") == "error" or body.get("error_type")):
        error = parse_error(200, body, "")
        error.message = redact(error.message)
        error.args = (error.message,)
        raise error
    if not isinstance(body, dict) or body.get("status") != "success":
        raise MalformedResponse(f"Kite answered {what} without a success envelope")
    return body.get("data")


def ist_time(value: Any, what: str) -> datetime | None:
    """Aware UTC from Kite's zone-less IST 'YYYY-MM-DD HH:MM:SS'; None when Kite sent none."""
    if value is not None and not isinstance(value, str):
        raise MalformedResponse(f"{what} is not a timestamp: {value!r}")
    return parse_timestamp(value, what, default_tz=IST)


def split_symbol(symbol: str) -> tuple[str, str]:
    """('NSE', 'INFY') from 'NSE:INFY'; InvalidRequest for other shapes or exchanges."""
    exchange, colon, tradingsymbol = str(symbol).partition(":")
    if not colon or not tradingsymbol.strip():
        raise InvalidRequest(f"Kite symbols read EXCHANGE:TRADINGSYMBOL, not {symbol!r}", broker_code="BAD_SYMBOL")
    if exchange not in EXCHANGES:
        raise InvalidRequest(
            f"exchange {exchange!r} is not traded through Kite here", broker_code="UNSUPPORTED_EXCHANGE"
        )
    return exchange, tradingsymbol


def check_order_id(order_id: str) -> str:
    """The id, if it is safe to put in a URL path (Kite's ids are digits)."""
    if not isinstance(order_id, str) or not _ORDER_ID.fullmatch(order_id):
        raise InvalidRequest(f"{order_id!r} is not a Kite order id", broker_code="BAD_ORDER_ID")
    return order_id


def kite_tag(client_order_id: str) -> str:
    """Our client order id as a Kite tag (alphanumeric, at most 20 characters), stable for reconciliation."""
    if _TAG.fullmatch(client_order_id):
        return client_order_id
    return hashlib.sha256(client_order_id.encode()).hexdigest()[:20]


def account(body: Any, account_id: str) -> AccountSnapshot:
    """The equity segment of /user/margins.

    Kite reports margins, not an account value: `net` is what can be used now
    (cash plus collateral minus what is blocked). With no equity figure on offer,
    `net` stands in for both buying power and equity; holdings' value is not in it.
    """
    equity = field(body, "equity", "Kite margins")
    what = "Kite equity margins"
    net = decimal_field(equity, "net", what)
    return AccountSnapshot(
        account_id=account_id,
        currency="INR",
        cash=decimal_field(field(equity, "available", what), "cash", f"{what}.available"),
        buying_power=net,
        equity=net,
    )


def _asset_class(exchange: str, tradingsymbol: str) -> AssetClass:
    # Futures have no class of their own on the platform; only CE/PE contracts are options.
    if exchange in DERIVATIVE_EXCHANGES and tradingsymbol.endswith(("CE", "PE")):
        return AssetClass.OPTION
    return AssetClass.EQUITY


def _position(item: Any, quantity: Decimal, what: str) -> BrokerPosition:
    exchange, tradingsymbol = text_field(item, "exchange", what), text_field(item, "tradingsymbol", what)
    return BrokerPosition(
        symbol=f"{exchange}:{tradingsymbol}",
        quantity=quantity,
        avg_price=decimal_field(item, "average_price", what),
        asset_class=_asset_class(exchange, tradingsymbol),
        market_price=optional_decimal(item, "last_price", what, zero_is_none=True),
    )


def _merge(held: BrokerPosition, more: BrokerPosition) -> BrokerPosition:
    """One row per symbol: today's trades (positions) and settled stock (holdings) add up."""
    quantity = held.quantity + more.quantity
    if (held.quantity > 0) == (more.quantity > 0):
        cost = held.avg_price * abs(held.quantity) + more.avg_price * abs(more.quantity)
        avg = cost / (abs(held.quantity) + abs(more.quantity))
    else:
        # A sale out of holdings: what remains keeps the larger side's price.
        avg = (held if abs(held.quantity) >= abs(more.quantity) else more).avg_price
    return replace(held, quantity=quantity, avg_price=avg, market_price=held.market_price or more.market_price)


def positions(positions_body: Any, holdings_body: Any) -> list[BrokerPosition]:
    """Net positions (signed) plus holdings (settled + T1), one row per symbol, flat ones left out."""
    rows = []
    for index, item in enumerate(require_list(field(positions_body, "net", "Kite positions"), "Kite net positions")):
        quantity = decimal_field(item, "quantity", f"Kite position {index}")
        if quantity:
            rows.append(_position(item, quantity, f"Kite position {index}"))
    for index, item in enumerate(require_list(holdings_body, "Kite holdings")):
        what = f"Kite holding {index}"
        quantity = decimal_field(item, "quantity", what) + (optional_decimal(item, "t1_quantity", what) or 0)
        if quantity:
            rows.append(_position(item, quantity, what))
    merged: dict[str, BrokerPosition] = {}
    for row in rows:
        merged[row.symbol] = _merge(merged[row.symbol], row) if row.symbol in merged else row
    return [row for row in merged.values() if row.quantity]


def order_status(status_text: str, quantity: Decimal, filled: Decimal) -> OrderStatus:
    """Our status for Kite's word; Kite has no partial-fill status, the quantities say it."""
    # Kite adds interim statuses over time; an unknown word is an order still working,
    # and failing on it would stop reconciliation of every other order in the list.
    status = STATUS.get(status_text, OrderStatus.SUBMITTED)
    if status == OrderStatus.SUBMITTED and 0 < filled < quantity:
        return OrderStatus.PARTIALLY_FILLED
    return status


def order_report(body: Any) -> OrderReport:
    """One Kite order object (an element of /orders or of an order's history)."""
    what = "Kite order"
    status_text = " ".join(text_field(body, "status", what).upper().split())
    quantity = decimal_field(body, "quantity", what)
    filled = optional_decimal(body, "filled_quantity", what) or Decimal("0")
    order_type = choice(field(body, "order_type", what), ORDER_TYPES, f"{what}.order_type")
    status = order_status(status_text, quantity, filled)
    tag = body.get("tag") or next(iter(body.get("tags") or []), None)
    reason = error_text(body.get("status_message")) or error_text(body.get("status_message_raw")) or status_text
    return OrderReport(
        broker_order_id=text_field(body, "order_id", what),
        symbol=f"{text_field(body, 'exchange', what)}:{text_field(body, 'tradingsymbol', what)}",
        side=choice(field(body, "transaction_type", what), SIDES, f"{what}.transaction_type"),
        quantity=quantity,
        order_type=order_type,
        status=status,
        filled_quantity=filled,
        avg_fill_price=optional_decimal(body, "average_price", what, zero_is_none=True),
        limit_price=optional_decimal(body, "price", what, zero_is_none=True)
        if order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT) else None,
        stop_price=optional_decimal(body, "trigger_price", what, zero_is_none=True),
        client_order_id=str(tag) if tag else None,
        created_at=ist_time(body.get("order_timestamp"), f"{what}.order_timestamp"),
        reject_reason=reason if status == OrderStatus.REJECTED else None,
    )


def order_reports(body: Any) -> list[OrderReport]:
    return [order_report(item) for item in require_list(body, "Kite orders")]


def current_state(body: Any) -> dict:
    """The last entry of GET /orders/{id}, which answers the order's whole state history."""
    history = require_list(body, "Kite order history")
    if not history:
        raise MalformedResponse("Kite answered an empty order history")
    return require_dict(history[-1], "Kite order state")


def variety(state: dict) -> str:
    """The variety an order was placed as; it is part of the cancel URL."""
    value = str(state.get("variety") or "regular")
    if value not in VARIETIES:
        raise MalformedResponse(f"Kite order has an unexpected variety {value!r}")
    return value


def _money(value: Decimal) -> str:
    return format(value, "f")


def order_form(request: OrderRequest, client_order_id: str) -> dict[str, str]:
    """The form body of POST /orders/regular; refuses what Kite cannot take before anything is sent."""
    exchange, tradingsymbol = split_symbol(request.symbol)
    if request.time_in_force != TimeInForce.DAY:
        raise InvalidRequest("Kite orders are good for the day only", broker_code="UNSUPPORTED_TIME_IN_FORCE")
    if request.quantity <= 0 or request.quantity != request.quantity.to_integral_value():
        raise InvalidRequest("Kite takes whole, positive quantities", broker_code="FRACTIONAL_NOT_ALLOWED")
    product = (request.product or "").upper()
    if not product:
        product = "NRML" if exchange in DERIVATIVE_EXCHANGES else "CNC"
    elif product not in PRODUCTS:
        # Never swap a product the trader chose for another: delivery and intraday settle differently.
        raise InvalidRequest(
            f"Kite product must be one of {', '.join(sorted(PRODUCTS))}, not {request.product!r}",
            broker_code="UNKNOWN_PRODUCT",
        )
    form = {
        "exchange": exchange,
        "tradingsymbol": tradingsymbol,
        "transaction_type": request.side.value.upper(),
        "quantity": str(int(request.quantity)),
        "product": product,
        "order_type": KITE_ORDER_TYPES[request.order_type],
        "validity": "DAY",
        "tag": kite_tag(client_order_id),
    }
    if request.needs_limit_price:
        if request.limit_price is None:
            raise InvalidRequest("a limit price is needed", broker_code="MISSING_PRICE")
        form["price"] = _money(request.limit_price)
    if request.needs_stop_price:
        if request.stop_price is None:
            raise InvalidRequest("a trigger price is needed", broker_code="MISSING_PRICE")
        form["trigger_price"] = _money(request.stop_price)
    if request.order_type in (OrderType.MARKET, OrderType.STOP):
        # SEBI's rules for API orders: market and SL-M orders without protection are refused; -1 is Kite's auto.
        form["market_protection"] = "-1"
    return form


def order_ack(body: Any, client_order_id: str) -> OrderAck:
    """Kite only acknowledges with an id; the order's state must be read later."""
    return OrderAck(text_field(body, "order_id", "Kite order answer"), OrderStatus.SUBMITTED, client_order_id)


def _best(depth: Any, side: str, what: str) -> Decimal | None:
    # Indices and illiquid contracts have no depth; an empty top level (price 0) means no bid or ask.
    if depth is None:
        return None
    levels = require_dict(depth, f"{what}.depth").get(side)
    if not levels:
        return None
    top = require_list(levels, f"{what}.depth.{side}")[0]
    return optional_decimal(top, "price", f"{what}.depth.{side}[0]", zero_is_none=True)


def quotes(body: Any, symbols: list[str]) -> dict[str, Quote]:
    """/quote data keyed by EXCHANGE:TRADINGSYMBOL; instruments Kite does not know are simply absent."""
    if body == []:
        return {}  # an empty map may arrive as an empty JSON list
    data = require_dict(body, "Kite quotes")
    result = {}
    for symbol in symbols:
        if data.get(symbol) is None:
            continue
        what = f"Kite quote {symbol}"
        raw = require_dict(data[symbol], what)
        as_of = ist_time(raw.get("timestamp") or raw.get("last_trade_time"), f"{what}.timestamp")
        if as_of is None:
            raise MalformedResponse(f"{what} has no timestamp")
        depth = raw.get("depth")
        result[symbol] = Quote(
            symbol=symbol,
            bid=_best(depth, "buy", what),
            ask=_best(depth, "sell", what),
            last=optional_decimal(raw, "last_price", what),
            as_of=as_of,
        )
    return result
