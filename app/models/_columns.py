"""Shared column helpers so every model spells enums and timestamps the same way."""
from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy import Enum, TextClause, text
from sqlalchemy.orm import mapped_column

from app.models.types import UTCDateTime, utcnow


def enum_column_type(enum_class: type[StrEnum], name: str | None = None) -> Enum:
    """Store an enum by its value as VARCHAR with a CHECK, portable across backends.

    `name` names the CHECK constraint; pass one when a table has two columns of the same enum.
    """
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=True,
        length=32,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
        name=name or enum_class.__name__.lower(),
    )


def created_at_column():
    return mapped_column(UTCDateTime(), nullable=False, default=utcnow)


def updated_at_column():
    return mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)


def status_in(statuses: Iterable[StrEnum]) -> TextClause:
    """`status IN (...)` as SQL text, for a partial index over the rows in those statuses."""
    return text("status IN (" + ", ".join(f"'{status.value}'" for status in sorted(statuses)) + ")")
