"""Trading 212 JSON <-> domain types. Sells are negative quantities; only pending orders have their own URL."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.brokers.base import (
    AuthError,
    BrokerError,
    BrokerUnavailable,
    InvalidRequest,
    MalformedResponse,
    OrderRejected,
    RateLimited,
)
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
from app.domain.broker_types import AccountSnapshot, BrokerPosition, OrderAck, OrderReport
from app.domain.enums import AssetClass, OrderSide, OrderStatus, OrderType, TimeInForce
from app.domain.orders import OrderRequest

# The OpenAPI Order.status enum, keyed lower-case because parsing.choice compares that way.
STATUS = {
    "local": OrderStatus.SUBMITTED,
    "unconfirmed": OrderStatus.SUBMITTED,
    "confirmed": OrderStatus.SUBMITTED,
    "new": OrderStatus.SUBMITTED,
    "replacing": OrderStatus.SUBMITTED,
    "replaced": OrderStatus.SUBMITTED,
    "cancelling": OrderStatus.PENDING_CANCEL,
    "cancelled": OrderStatus.CANCELLED,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "rejected": OrderStatus.REJECTED,
}
ORDER_TYPES = {t.value: t for t in OrderType}  # MARKET, LIMIT, STOP, STOP_LIMIT lower-cased
SIDES = {"buy": OrderSide.BUY, "sell": OrderSide.SELL}
ENDPOINTS = {
    OrderType.MARKET: "market",
    OrderType.LIMIT: "limit",
    OrderType.STOP: "stop",
    OrderType.STOP_LIMIT: "stop_limit",
}
TIME_VALIDITY = {TimeInForce.DAY: "DAY", TimeInForce.GTC: "GOOD_TILL_CANCEL"}
# Order-size precision is undocumented (community reports say 4 places, unconfirmed): we refuse
# beyond 8 rather than round, so a trader's quantity is never silently changed; the broker rules on the rest.
MAX_QUANTITY_DECIMALS = 8
# 400 codes that mean "the broker refused this order" rather than "the request was malformed".
# Only these three are documented (labs SKILL.md); the prefixes catch their evident siblings.
REJECTION_CODES = frozenset({"InsufficientFreeForStocksBuy", "SellingEquityNotOwned", "MarketClosed"})
_REJECTION_PREFIXES = ("Insufficient", "SellingEquity", "MarketClosed")
# Listing suffix of a Trading 212 ticker -> the market calendar its trading hours follow.
# US lines (NYSE and Nasdaq alike) share one session, so XNYS stands for both.
_EXCHANGE_SUFFIXES = (("_US_EQ", "XNYS"), ("l_EQ", "XLON"), ("d_EQ", "XETR"))


def parse_error(status: int, body: Any, text: str) -> BrokerError:
    """The broker's error as ours; the 400 body shape is undocumented, so several are read."""
    code = message = None
    if isinstance(body, dict):
        code = str(body["code"]) if body.get("code") not in (None, "") else None
        message = body.get("clarification") or body.get("message") or body.get("error")
        message = str(message) if message not in (None, "") else None
    message = message or " ".join((text or "").split())[:300] or code or f"HTTP {status}"
    if code and code not in message:
        message = f"{code}: {message}"
    kwargs = {"status_code": status, "broker_code": code}
    if status == 400 and code and (code in REJECTION_CODES or code.startswith(_REJECTION_PREFIXES)):
        return OrderRejected(message, **kwargs)
    if status == 401:
        return AuthError(f"{message} (bad API key, or a key from the other environment)", **kwargs)
    if status == 403:
        return AuthError(f"{message} (the API key lacks the scope this call needs)", **kwargs)
    if status == 408:
        return BrokerUnavailable(f"{message} (Trading 212 timed out)", **kwargs)
    if status == 429:
        return RateLimited(message, **kwargs)
    return InvalidRequest(message, **kwargs)


def account(body: Any) -> AccountSnapshot:
    what = "Trading 212 account summary"
    available = decimal_field(field(body, "cash", what), "availableToTrade", f"{what}.cash")
    return AccountSnapshot(
        account_id=text_field(body, "id", what),
        currency=text_field(body, "currency", what),
        cash=available,
        # A cash-only account: what may be spent is what is available to trade.
        buying_power=available,
        equity=decimal_field(body, "totalValue", what),
    )


def positions(body: Any) -> list[BrokerPosition]:
    result = []
    for index, item in enumerate(require_list(body, "Trading 212 positions")):
        what = f"Trading 212 position {index}"
        instrument = field(item, "instrument", what)
        result.append(
            BrokerPosition(
                # The platform keeps Trading 212's own tickers (AAPL_US_EQ); they cannot be derived.
                symbol=text_field(instrument, "ticker", f"{what}.instrument"),
                quantity=decimal_field(item, "quantity", what),
                # Both prices are in the instrument's currency (GBX pence for many London lines).
                avg_price=decimal_field(item, "averagePricePaid", what),
                market_price=optional_decimal(item, "currentPrice", what),
            )
        )
    return result


def order_report(body: Any, fills: list[dict] | None = None) -> OrderReport:
    """One Order object; `fills` are its history entries' fill objects when read from history."""
    what = "Trading 212 order"
    body = require_dict(body, what)
    order_id = text_field(body, "id", what)
    what = f"Trading 212 order {order_id}"
    quantity = optional_decimal(body, "quantity", what)
    return OrderReport(
        broker_order_id=order_id,
        symbol=_ticker(body, what),
        side=_side(body, quantity, what),
        # Orders placed by value in the app carry no quantity; 0 says "not a share count".
        quantity=abs(quantity) if quantity is not None else Decimal("0"),
        order_type=choice(field(body, "type", what), ORDER_TYPES, f"{what}.type"),
        status=choice(field(body, "status", what), STATUS, f"{what}.status"),
        filled_quantity=_filled_quantity(body, fills or [], what),
        # Pending orders give only filledValue (documented for value orders), so no price is guessed.
        avg_fill_price=_average_price(fills or [], what),
        limit_price=optional_decimal(body, "limitPrice", what),
        stop_price=optional_decimal(body, "stopPrice", what),
        client_order_id=None,  # Trading 212 has no client order id or tag
        created_at=parse_timestamp(body.get("createdAt"), f"{what}.createdAt"),
        reject_reason="REJECTED" if str(body.get("status")).upper() == "REJECTED" else None,
    )


def order_reports(body: Any) -> list[OrderReport]:
    return [order_report(item) for item in require_list(body, "Trading 212 pending orders")]


def report_from_history(body: Any, order_id: str) -> OrderReport | None:
    """The order among one page of /equity/history/orders, with its fills; None when absent."""
    what = "Trading 212 order history"
    order, fills = None, []
    for index, item in enumerate(require_list(field(body, "items", what), f"{what}.items")):
        candidate = field(item, "order", f"{what} item {index}")
        if text_field(candidate, "id", f"{what} item {index}.order") != order_id:
            continue
        if order is None:
            order = candidate
        if require_dict(item, what).get("fill") is not None:
            fills.append(require_dict(item["fill"], f"{what} item {index}.fill"))
    return None if order is None else order_report(order, fills)


def order_ack(body: Any, client_order_id: str) -> OrderAck:
    what = "Trading 212 order answer"
    status = choice(field(body, "status", what), STATUS, f"{what}.status")
    # Trading 212 does not echo our id; the ack carries it so the platform can pair the two.
    return OrderAck(text_field(body, "id", what), status, client_order_id)


def order_body(request: OrderRequest) -> tuple[str, dict]:
    """(endpoint name, JSON body) for POST /equity/orders/{name}."""
    if request.asset_class != AssetClass.EQUITY:
        raise InvalidRequest("Trading 212 trades equities only", broker_code="UNSUPPORTED_ASSET_CLASS")
    if request.order_type not in ENDPOINTS:
        raise InvalidRequest(f"Trading 212 has no {request.order_type} orders", broker_code="UNSUPPORTED_ORDER_TYPE")
    if not request.quantity.is_finite() or request.quantity <= 0:
        raise InvalidRequest("the quantity must be positive", broker_code="INVALID_QUANTITY")
    if max(0, -request.quantity.normalize().as_tuple().exponent) > MAX_QUANTITY_DECIMALS:
        raise InvalidRequest(
            f"Trading 212 quantities may have at most {MAX_QUANTITY_DECIMALS} decimal places; "
            f"{request.quantity} is not rounded for you",
            broker_code="QUANTITY_TOO_PRECISE",
        )
    # There is no side field: a sell is a negative quantity.
    signed = request.quantity if request.side == OrderSide.BUY else -request.quantity
    body: dict[str, Any] = {"ticker": request.symbol, "quantity": wire_number(signed, "quantity")}
    if request.order_type == OrderType.MARKET:
        # The market endpoint takes no time validity: a market order placed while the market is
        # closed waits for the next open, whichever of DAY or GTC was asked.
        body["extendedHours"] = False
        return ENDPOINTS[request.order_type], body
    if request.needs_limit_price:
        body["limitPrice"] = _price(request.limit_price, "limit price")
    if request.needs_stop_price:
        body["stopPrice"] = _price(request.stop_price, "stop price")
    if request.time_in_force not in TIME_VALIDITY:
        raise InvalidRequest(f"Trading 212 has no {request.time_in_force} orders", broker_code="UNSUPPORTED_TIF")
    body["timeValidity"] = TIME_VALIDITY[request.time_in_force]
    return ENDPOINTS[request.order_type], body


def wire_number(value: Decimal, what: str) -> int | float:
    """A Decimal as a JSON number, exactly.

    The API takes JSON numbers, not strings, and requests' json= cannot encode a Decimal.
    An integral value goes as an int. Otherwise a float is built from the decimal's text only
    as a carrier for the encoder, which writes the float's shortest repr; that text must read
    back as the same decimal, or the value is refused rather than sent altered.
    """
    if not value.is_finite():
        raise InvalidRequest(f"the {what} {value} is not a number", broker_code="INVALID_NUMBER")
    if value == value.to_integral_value():
        return int(value)
    number = float(str(value))
    if Decimal(repr(number)) != value:
        raise InvalidRequest(
            f"the {what} {value} has more digits than Trading 212 can be sent exactly", broker_code="TOO_PRECISE"
        )
    return number


def exchange_for_ticker(ticker: str) -> str:
    """The market calendar (XNYS, XLON, XETR) of the exchange a Trading 212 ticker is listed on."""
    for suffix, calendar in _EXCHANGE_SUFFIXES:
        # Case matters: the London and Xetra markers are a lower-case letter before "_EQ".
        if isinstance(ticker, str) and ticker.endswith(suffix) and len(ticker) > len(suffix):
            return calendar
    raise InvalidRequest(f"no known exchange for the Trading 212 ticker {ticker!r}", broker_code="UNKNOWN_EXCHANGE")


def _price(value: Decimal | None, what: str) -> int | float:
    if value is None or not value.is_finite() or value <= 0:
        raise InvalidRequest(f"this order needs a positive {what}", broker_code="MISSING_PRICE")
    return wire_number(value, what)


def _ticker(body: dict, what: str) -> str:
    if body.get("ticker") not in (None, ""):
        return text_field(body, "ticker", what)
    return text_field(field(body, "instrument", what), "ticker", f"{what}.instrument")


def _side(body: dict, quantity: Decimal | None, what: str) -> OrderSide:
    if body.get("side") is not None:
        return choice(body["side"], SIDES, f"{what}.side")
    # Older answers carry no side; the quantity's sign says it, as on the request.
    if quantity is not None and quantity != 0:
        return OrderSide.SELL if quantity < 0 else OrderSide.BUY
    raise MalformedResponse(f"{what} has neither a side nor a signed quantity")


def _filled_quantity(body: dict, fills: list[dict], what: str) -> Decimal:
    filled = optional_decimal(body, "filledQuantity", what)
    if filled is None and fills:
        filled = sum((abs(decimal_field(fill, "quantity", f"{what} fill")) for fill in fills), Decimal("0"))
    return abs(filled) if filled is not None else Decimal("0")


def _average_price(fills: list[dict], what: str) -> Decimal | None:
    """Quantity-weighted price of the fills, exact when there is one."""
    priced = [
        (abs(decimal_field(fill, "quantity", f"{what} fill")), decimal_field(fill, "price", f"{what} fill"))
        for fill in fills
    ]
    total = sum((quantity for quantity, _ in priced), Decimal("0"))
    if not priced or total == 0:
        return None
    if len(priced) == 1:
        return priced[0][1]
    return sum((quantity * price for quantity, price in priced), Decimal("0")) / total
