"""Reading broker JSON defensively: a missing or garbled field is a MalformedResponse, never a KeyError."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from app.brokers.base import MalformedResponse


def require_dict(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise MalformedResponse(f"expected an object for {what}, got {type(value).__name__}")
    return value


def require_list(value: Any, what: str) -> list:
    if not isinstance(value, list):
        raise MalformedResponse(f"expected a list for {what}, got {type(value).__name__}")
    return value


def field(obj: Any, key: str, what: str) -> Any:
    """obj[key], or MalformedResponse naming what was being read."""
    obj = require_dict(obj, what)
    if key not in obj or obj[key] is None:
        raise MalformedResponse(f"{what} has no {key!r}")
    return obj[key]


def to_decimal(value: Any, what: str) -> Decimal:
    """An exact Decimal from a JSON number or numeric string (floats go through their shortest repr)."""
    if isinstance(value, bool) or value is None:
        raise MalformedResponse(f"{what} is not a number: {value!r}")
    try:
        result = Decimal(str(value).strip()) if isinstance(value, (Decimal, int, float, str)) else None
    except InvalidOperation:
        result = None
    if result is None or not result.is_finite():
        raise MalformedResponse(f"{what} is not a number: {value!r}")
    return result


def decimal_field(obj: Any, key: str, what: str) -> Decimal:
    return to_decimal(field(obj, key, what), f"{what}.{key}")


def optional_decimal(obj: Any, key: str, what: str, *, zero_is_none: bool = False) -> Decimal | None:
    value = require_dict(obj, what).get(key)
    if value is None or value == "":
        return None
    result = to_decimal(value, f"{what}.{key}")
    if zero_is_none and result == 0:
        return None
    return result


def text_field(obj: Any, key: str, what: str) -> str:
    value = field(obj, key, what)
    if isinstance(value, (dict, list)):
        raise MalformedResponse(f"{what}.{key} is not text")
    return str(value)


def parse_timestamp(value: Any, what: str, *, default_tz=timezone.utc) -> datetime | None:
    """An aware datetime from ISO 8601 text or epoch milliseconds; None when absent."""
    if value in (None, "", 0):
        return None
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value / 1000, timezone.utc)
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise MalformedResponse(f"{what} is not a timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    return parsed.astimezone(timezone.utc)


def error_text(value: Any) -> str:
    """A broker's error message that may be a string, a list of strings, or absent."""
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return "" if value is None else str(value)


def choice(value: Any, options: dict, what: str):
    """options[value] for a broker's vocabulary word, or MalformedResponse for a word we do not know."""
    key = str(value).strip().lower() if value is not None else None
    if key not in options:
        raise MalformedResponse(f"{what} has an unexpected value {value!r}")
    return options[key]
