"""Tradier JSON <-> domain types. One item arrives as an object and none as "null"; orders go as form fields."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from app.brokers.base import AuthError, BrokerError, InvalidRequest, MalformedResponse, RateLimited
from app.brokers.parsing import (choice, decimal_field, error_text, field, optional_decimal, parse_timestamp,
                                 require_dict, text_field, to_decimal)
from app.domain.broker_types import AccountSnapshot, BrokerPosition, Greeks, OptionContract, OrderReport, Quote
from app.domain.enums import AssetClass, OrderSide, OrderStatus, OrderType
from app.domain.options import OPTION_MULTIPLIER, InvalidOptionSymbol, OptionRight, OptionSymbol, is_option_symbol
from app.domain.orders import OrderRequest, PositionEffect

STATUS = {
    "open": OrderStatus.SUBMITTED,
    "pending": OrderStatus.SUBMITTED,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "expired": OrderStatus.EXPIRED,
    "canceled": OrderStatus.CANCELLED,
    "rejected": OrderStatus.REJECTED,
    "error": OrderStatus.REJECTED,
}
SIDES = {
    "buy": OrderSide.BUY, "buy_to_cover": OrderSide.BUY, "buy_to_open": OrderSide.BUY, "buy_to_close": OrderSide.BUY,
    "sell": OrderSide.SELL, "sell_short": OrderSide.SELL, "sell_to_open": OrderSide.SELL,
    "sell_to_close": OrderSide.SELL,
}
ORDER_TYPES = {t.value: t for t in OrderType}
RIGHTS = {"call": OptionRight.CALL, "put": OptionRight.PUT}
# Multileg, combo and oco/oto/otoco orders have legs rather than one symbol and side; the platform never sends them.
SINGLE_LEG_CLASSES = frozenset({"equity", "option"})
TAG = re.compile(r"[A-Za-z0-9-]{1,255}")
PRICE_PLACES = Decimal("0.00000001")
# A quote without any timestamp cannot claim to be fresh; the epoch reads as stale everywhere.
UNDATED = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Placement refusals Tradier words as 400s; compared with spaces, dashes and underscores removed.
_REJECTION_HINTS = ("buyingpower", "insufficient", "notenough", "margin", "daytrading", "accountdisabled",
                    "notapproved", "restricted", "shortsale", "notshortable", "hardtoborrow")


def parse_error(status: int, body: Any, text: str) -> BrokerError:
    """A BrokerError for an HTTP error answer, keeping Tradier's message."""
    message = _errors_message(body) or " ".join(text.split())[:300] or f"HTTP {status}"
    if status in (401, 403):
        return AuthError(message, status_code=status)
    if status == 429:
        return RateLimited(message, status_code=status)
    return InvalidRequest(message, status_code=status)


def looks_like_rejection(message: str) -> bool:
    """True when a refused placement reads as the broker's own rules (funds, margin, shorting), not a bad form."""
    flat = re.sub(r"[\s_-]", "", message.lower())
    return any(hint in flat for hint in _REJECTION_HINTS)


def _errors_message(body: Any) -> str:
    # {"errors": {"error": "msg" | ["msg", ...]}}, or the older {"errors": "msg"}.
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, dict):
        return error_text(errors.get("error"))
    return error_text(errors) if isinstance(errors, (str, list)) else ""


def is_null(value: Any) -> bool:
    """Tradier's empty: JSON null or the literal string "null"."""
    return value is None or (isinstance(value, str) and value.strip().lower() == "null")


def listing(body: Any, outer: str, inner: str, what: str, *, inner_optional: bool = False) -> list:
    """body[outer][inner] as a list, whether Tradier sent a list, one bare item, or "null" for none."""
    container = require_dict(body, what)
    if outer not in container:
        raise MalformedResponse(f"{what} has no {outer!r}")
    wrapper = container[outer]
    if is_null(wrapper):
        return []
    wrapper = require_dict(wrapper, f"{what}.{outer}")
    if inner not in wrapper and not inner_optional:
        raise MalformedResponse(f"{what}.{outer} has no {inner!r}")
    value = wrapper.get(inner)
    if is_null(value):
        return []
    return value if isinstance(value, list) else [value]


def account(body: Any, account_id: str) -> AccountSnapshot:
    what = "Tradier balances"
    balances = require_dict(field(body, "balances", what), what)
    return AccountSnapshot(
        account_id=str(balances.get("account_number") or account_id),
        currency="USD",
        cash=decimal_field(balances, "total_cash", what),
        buying_power=_buying_power(balances, what),
        equity=decimal_field(balances, "total_equity", what),
    )


def _buying_power(balances: dict, what: str) -> Decimal:
    # Exactly one sub-object comes, keyed by account_type; try that one first, then whichever is there.
    kind = str(balances.get("account_type") or "").lower()
    for key in dict.fromkeys([kind, "margin", "pdt", "cash"]):
        section = balances.get(key)
        if key in ("margin", "pdt", "cash") and isinstance(section, dict):
            name = "cash_available" if key == "cash" else "stock_buying_power"
            return decimal_field(section, name, f"{what}.{key}")
    raise MalformedResponse(f"{what} has no margin, pdt or cash section")


def positions(body: Any) -> list[BrokerPosition]:
    result = []
    for index, item in enumerate(listing(body, "positions", "position", "Tradier positions")):
        what = f"Tradier position {index}"
        symbol = text_field(item, "symbol", what)
        quantity = decimal_field(item, "quantity", what)
        if quantity == 0:
            continue  # a closed-out line is not an open position, and would divide by zero
        option = is_option_symbol(symbol)
        # cost_basis is the total paid (negative for a short's credit); options carry the 100 multiplier in it.
        units = quantity * (OPTION_MULTIPLIER if option else 1)
        avg_price = _per_unit(decimal_field(item, "cost_basis", what), units, what)
        result.append(BrokerPosition(symbol, quantity, avg_price, AssetClass.OPTION if option else AssetClass.EQUITY))
    return result


def _per_unit(total: Decimal, units: Decimal, what: str) -> Decimal:
    try:
        return (total / units).quantize(PRICE_PLACES)
    except InvalidOperation:  # too many digits to hold at eight places
        raise MalformedResponse(f"{what} has an unusable cost_basis {total}") from None


def order_items(body: Any) -> list[dict]:
    """The raw orders of one list answer, each checked to be an object."""
    raw = listing(body, "orders", "order", "Tradier orders")
    return [require_dict(item, f"Tradier order {index}") for index, item in enumerate(raw)]


def is_single_leg(order: dict) -> bool:
    """True for equity and option orders, the only kinds one OrderReport can describe."""
    return str(order.get("class") or "equity").lower() in SINGLE_LEG_CLASSES


def order_report(body: Any, what: str = "Tradier order") -> OrderReport:
    order = require_dict(body, what)
    status = choice(field(order, "status", what), STATUS, f"{what}.status")
    is_option = str(order.get("class") or "").lower() == "option"
    tag = order.get("tag")
    return OrderReport(
        broker_order_id=text_field(order, "id", what),
        symbol=text_field(order, "option_symbol" if is_option else "symbol", what),
        side=choice(field(order, "side", what), SIDES, f"{what}.side"),
        quantity=decimal_field(order, "quantity", what),
        order_type=choice(field(order, "type", what), ORDER_TYPES, f"{what}.type"),
        status=status,
        filled_quantity=optional_decimal(order, "exec_quantity", what) or Decimal("0"),
        # Unfilled orders report avg_fill_price 0.0, which is no price at all.
        avg_fill_price=optional_decimal(order, "avg_fill_price", what, zero_is_none=status != OrderStatus.FILLED),
        limit_price=optional_decimal(order, "price", what),
        stop_price=optional_decimal(order, "stop_price", what),
        client_order_id=str(tag) if tag not in (None, "") and not is_null(tag) else None,
        created_at=parse_timestamp(order.get("create_date"), f"{what}.create_date"),
        reject_reason=_reject_reason(order),
    )


def _reject_reason(order: dict) -> str | None:
    reason = order.get("reason_description")
    if reason in (None, "") or isinstance(reason, (dict, list)):
        reason = _errors_message(order)
    return str(reason) if reason else None


def single_order(body: Any) -> OrderReport:
    return order_report(field(body, "order", "Tradier order"))


def placed_order_id(body: Any) -> str:
    """The id in a placement answer; its status "ok" says only that the request was received."""
    what = "Tradier order placement"
    order = require_dict(field(body, "order", what), f"{what}.order")
    return text_field(order, "id", what)


def placement_errors(body: Any) -> str:
    """The refusal carried by a 200 placement answer, or "" when there is none."""
    if not isinstance(body, dict):
        return ""
    order = body.get("order")
    return _errors_message(body) or (_errors_message(order) if isinstance(order, dict) else "")


def order_form(request: OrderRequest, client_order_id: str) -> dict[str, str]:
    """The POST /orders form fields; refuses what Tradier cannot take before anything is sent."""
    if not TAG.fullmatch(client_order_id or ""):
        raise InvalidRequest("Tradier tags take letters, digits and '-' only", broker_code="BAD_CLIENT_ORDER_ID")
    quantity = request.quantity
    if not quantity.is_finite() or quantity <= 0:
        raise InvalidRequest(f"quantity {quantity} is not a positive number", broker_code="BAD_QUANTITY")
    if quantity != quantity.to_integral_value():
        raise InvalidRequest("Tradier takes whole shares and contracts only", broker_code="FRACTIONAL_NOT_ALLOWED")
    if request.asset_class == AssetClass.OPTION:
        try:
            option = OptionSymbol.parse(request.symbol)
            form = {"class": "option", "symbol": option.root, "option_symbol": option.format()}
        except InvalidOptionSymbol as error:
            raise InvalidRequest(str(error), broker_code="BAD_OPTION_SYMBOL") from None
        form["side"] = _option_side(request)
    else:
        form = {"class": "equity", "symbol": request.symbol, "side": _equity_side(request)}
    form.update(quantity=str(int(quantity)), type=request.order_type.value, duration=request.time_in_force.value)
    if request.needs_limit_price:
        form["price"] = _price(request.limit_price, "limit")
    if request.needs_stop_price:
        form["stop"] = _price(request.stop_price, "stop")
    form["tag"] = client_order_id
    return form


def _equity_side(request: OrderRequest) -> str:
    if request.side == OrderSide.SELL:
        return "sell_short" if request.position_effect == PositionEffect.OPEN else "sell"
    return "buy_to_cover" if request.position_effect == PositionEffect.CLOSE else "buy"


def _option_side(request: OrderRequest) -> str:
    # Without a stated effect a buy opens and a sell closes: the common case, and never an accidental short.
    if request.side == OrderSide.BUY:
        return "buy_to_close" if request.position_effect == PositionEffect.CLOSE else "buy_to_open"
    return "sell_to_open" if request.position_effect == PositionEffect.OPEN else "sell_to_close"


def _price(value: Decimal | None, kind: str) -> str:
    if value is None or not value.is_finite() or value <= 0:
        raise InvalidRequest(f"a {kind} order needs a positive {kind} price", broker_code="MISSING_PRICE")
    return format(value, "f")


def quotes(body: Any) -> dict[str, Quote]:
    # When no symbol is known the answer has only unmatched_symbols, so "quote" may be absent.
    raw = listing(body, "quotes", "quote", "Tradier quotes", inner_optional=True)
    result = {}
    for index, item in enumerate(raw):
        quoted = quote(item, f"Tradier quote {index}")
        result[quoted.symbol] = quoted
    return result


def quote(raw: Any, what: str) -> Quote:
    """One quote; zero prices mean none, as_of is the newest of the trade, bid and ask times."""
    symbol = text_field(raw, "symbol", what)
    stamps = [_epoch_ms(raw.get(key), f"{what}.{key}") for key in ("trade_date", "bid_date", "ask_date")]
    return Quote(
        symbol=symbol,
        bid=optional_decimal(raw, "bid", what, zero_is_none=True),
        ask=optional_decimal(raw, "ask", what, zero_is_none=True),
        last=optional_decimal(raw, "last", what, zero_is_none=True),
        as_of=max((s for s in stamps if s is not None), default=UNDATED),
        greeks=_greeks(raw.get("greeks"), f"{what}.greeks"),
    )


def _epoch_ms(value: Any, what: str) -> datetime | None:
    if value in (None, "", 0) or is_null(value):
        return None
    millis = to_decimal(value, what)
    if millis != millis.to_integral_value():
        raise MalformedResponse(f"{what} is not epoch milliseconds: {value!r}")
    try:
        return UNDATED + timedelta(milliseconds=int(millis))
    except OverflowError:
        raise MalformedResponse(f"{what} is out of range: {value!r}") from None


def _greeks(raw: Any, what: str) -> Greeks | None:
    if is_null(raw):
        return None
    return Greeks(
        delta=optional_decimal(raw, "delta", what),
        gamma=optional_decimal(raw, "gamma", what),
        theta=optional_decimal(raw, "theta", what),
        vega=optional_decimal(raw, "vega", what),
        implied_volatility=optional_decimal(raw, "mid_iv", what),
    )


def option_chain(body: Any) -> list[OptionContract]:
    result = []
    for index, raw in enumerate(listing(body, "options", "option", "Tradier option chain")):
        what = f"Tradier option {index}"
        contract_quote = quote(raw, what)
        open_interest = optional_decimal(raw, "open_interest", what)
        result.append(OptionContract(
            symbol=contract_quote.symbol,
            underlying=text_field(raw, "underlying", what),
            expiry=_date(field(raw, "expiration_date", what), f"{what}.expiration_date"),
            right=choice(field(raw, "option_type", what), RIGHTS, f"{what}.option_type"),
            strike=decimal_field(raw, "strike", what),
            quote=contract_quote,
            open_interest=int(open_interest) if open_interest is not None else None,
        ))
    return result


def expirations(body: Any) -> list[date]:
    what = "Tradier option expirations"
    return sorted(_date(value, what) for value in listing(body, "expirations", "date", what))


def _date(value: Any, what: str) -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise MalformedResponse(f"{what} is not a date: {value!r}") from None
