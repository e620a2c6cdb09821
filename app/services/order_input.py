"""Turning an order as typed or posted into exact values, or a clear 400 naming the bad field."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from app.domain.enums import AssetClass, OrderSide, OrderType, TimeInForce
from app.domain.errors import InvalidInput
from app.domain.options import is_option_symbol
from app.domain.orders import OrderRequest

FIELDS = frozenset({
    "symbol", "side", "quantity", "type", "order_type", "limit_price", "stop_price", "time_in_force",
    "connection_id", "client_order_id", "confirm", "totp", "product",
})
MAX_QUANTITY = Decimal("1000000000")
MAX_PRICE = Decimal("1000000000")
MAX_DECIMALS = 8
# Equity tickers, OCC options (padded or not), Kite's EXCHANGE:SYMBOL and Trading 212's AAPL_US_EQ / VUSAl_EQ.
_SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.:_/\- ]{0,31}$")
_CLIENT_ORDER_ID = re.compile(r"^[A-Za-z0-9-]{1,48}$")


@dataclass(frozen=True)
class ParsedOrder:
    request: OrderRequest
    connection_id: int | None
    client_order_id: str | None
    confirm: bool
    totp: str | None


def new_client_order_id() -> str:
    """20 letters and digits: fits every broker's tag (Kite allows 20) and is unguessable."""
    return "pc" + secrets.token_hex(9)


def _decimal(payload: Mapping, name: str, *, required: bool, maximum: Decimal) -> Decimal | None:
    raw = payload.get(name)
    if raw is None or raw == "":
        if required:
            raise InvalidInput("FIELD_REQUIRED", f"{name} is required.", field=name)
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, str, Decimal)):
        raise InvalidInput("INVALID_NUMBER", f"{name} must be a number written as digits.", field=name)
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise InvalidInput("INVALID_NUMBER", f"{name} must be a number.", field=name) from None
    if not value.is_finite():
        raise InvalidInput("INVALID_NUMBER", f"{name} must be a finite number.", field=name)
    if value <= 0:
        raise InvalidInput("NOT_POSITIVE", f"{name} must be greater than zero.", field=name)
    if value > maximum:
        raise InvalidInput("TOO_LARGE", f"{name} must be at most {maximum}.", field=name)
    if -value.as_tuple().exponent > MAX_DECIMALS:
        raise InvalidInput("TOO_PRECISE", f"{name} may have at most {MAX_DECIMALS} decimal places.", field=name)
    return value


def _choice(payload: Mapping, name: str, enum, default=None):
    raw = payload.get(name, default)
    if raw is None:
        raise InvalidInput("FIELD_REQUIRED", f"{name} is required.", field=name)
    try:
        return enum(str(raw).strip().lower()) if isinstance(raw, str) else enum(raw)
    except ValueError:
        choices = ", ".join(member.value for member in enum)
        raise InvalidInput("INVALID_CHOICE", f"{name} must be one of {choices}.", field=name) from None


def parse_order(payload: Any) -> ParsedOrder:
    """Validate every field; anything malformed is a 400 and nothing is stored."""
    if not isinstance(payload, Mapping):
        raise InvalidInput("INVALID_BODY", "The order must be an object of fields.")
    unknown = sorted(set(payload) - FIELDS)
    if unknown:
        raise InvalidInput("UNKNOWN_FIELD", f"Unknown field(s): {', '.join(map(str, unknown))}.", field=str(unknown[0]))
    symbol = payload.get("symbol")
    if not isinstance(symbol, str) or not _SYMBOL.match(symbol.strip()):
        raise InvalidInput("INVALID_SYMBOL", "symbol must be a ticker such as AAPL, an OCC option or NSE:INFY.",
                           field="symbol")
    symbol = symbol.strip()
    order_type = _choice(payload, "type" if "type" in payload else "order_type", OrderType, "market")
    limit_price = _decimal(payload, "limit_price", required=order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT),
                           maximum=MAX_PRICE)
    stop_price = _decimal(payload, "stop_price", required=order_type in (OrderType.STOP, OrderType.STOP_LIMIT),
                          maximum=MAX_PRICE)
    if limit_price is not None and order_type not in (OrderType.LIMIT, OrderType.STOP_LIMIT):
        raise InvalidInput("PRICE_NOT_ALLOWED", f"A {order_type} order takes no limit_price.", field="limit_price")
    if stop_price is not None and order_type not in (OrderType.STOP, OrderType.STOP_LIMIT):
        raise InvalidInput("PRICE_NOT_ALLOWED", f"A {order_type} order takes no stop_price.", field="stop_price")
    option = is_option_symbol(symbol)
    request = OrderRequest(
        symbol=symbol.upper() if option else symbol,
        side=_choice(payload, "side", OrderSide),
        quantity=_decimal(payload, "quantity", required=True, maximum=MAX_QUANTITY),
        order_type=order_type,
        time_in_force=_choice(payload, "time_in_force", TimeInForce, "day"),
        limit_price=limit_price,
        stop_price=stop_price,
        asset_class=AssetClass.OPTION if option else AssetClass.EQUITY,
        product=_optional_text(payload, "product", 8),
    )
    return ParsedOrder(
        request=request,
        connection_id=_connection_id(payload.get("connection_id")),
        client_order_id=_client_order_id(payload.get("client_order_id")),
        confirm=_flag(payload.get("confirm")),
        totp=_optional_text(payload, "totp", 10),
    )


def _connection_id(raw) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not (isinstance(raw, int) or (isinstance(raw, str) and raw.strip().isdigit())):
        raise InvalidInput("INVALID_CONNECTION", "connection_id must be a whole number.", field="connection_id")
    return int(raw)


def _client_order_id(raw) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not _CLIENT_ORDER_ID.match(raw):
        raise InvalidInput("INVALID_CLIENT_ORDER_ID", "client_order_id must be 1 to 48 letters, digits or dashes.",
                           field="client_order_id")
    return raw


def _flag(raw) -> bool:
    if raw in (None, "", False, "false", "0", "off", "no"):
        return False
    if raw in (True, "true", "1", "on", "yes", "y"):
        return True
    raise InvalidInput("INVALID_FLAG", "confirm must be true or false.", field="confirm")


def _optional_text(payload: Mapping, name: str, max_length: int) -> str | None:
    raw = payload.get(name)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or len(raw.strip()) > max_length:
        raise InvalidInput("INVALID_TEXT", f"{name} must be text of at most {max_length} characters.", field=name)
    return raw.strip()
