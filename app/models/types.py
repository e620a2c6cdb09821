"""Column types that keep money exact and time in UTC on PostgreSQL and SQLite alike."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import BigInteger, DateTime, Numeric
from sqlalchemy.types import TypeDecorator

QUANTITY_SCALE = 8


class Amount(TypeDecorator):
    """An exact decimal: NUMERIC on PostgreSQL, a scaled integer on SQLite.

    SQLite has no decimal type and would store NUMERIC as a binary float, so
    there the value is kept as an integer count of 10**-scale units: exact,
    ordered and summable in SQL (up to about 92 billion at scale 8).
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 24, scale: int = QUANTITY_SCALE) -> None:
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("amounts are Decimal, never float")
        value = Decimal(value)
        if not value.is_finite():
            raise ValueError(f"amount must be finite, got {value}")
        quantized = value.quantize(Decimal(1).scaleb(-self.scale), rounding=ROUND_HALF_EVEN)
        if dialect.name == "sqlite":
            return int(quantized.scaleb(self.scale))
        return quantized

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale)
        return Decimal(value)


class UTCDateTime(TypeDecorator):
    """A timezone-aware timestamp, stored in UTC; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: timestamps must be timezone-aware")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    """The current time, aware and in UTC; used as a column default callable."""
    return datetime.now(timezone.utc)
