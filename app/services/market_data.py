"""Quotes: the freshest stored price of each symbol, and storing what a source answers."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from app.domain.broker_types import Greeks, Quote
from app.extensions import db
from app.models import Quote as QuoteRow


def freshest_quotes(symbols: list[str] | set[str]) -> dict[str, QuoteRow]:
    """The most recent stored quote row of each symbol, whichever source wrote it."""
    if not symbols:
        return {}
    rows = db.session.scalars(select(QuoteRow).where(QuoteRow.symbol.in_(list(symbols))).order_by(QuoteRow.as_of))
    freshest: dict[str, QuoteRow] = {}
    for row in rows:
        freshest[row.symbol] = row
    return freshest


def as_quote(row: QuoteRow) -> Quote:
    greeks = None
    if any(v is not None for v in (row.delta, row.gamma, row.theta, row.vega)):
        greeks = Greeks(row.delta, row.gamma, row.theta, row.vega, row.implied_volatility)
    return Quote(row.symbol, row.bid, row.ask, row.last, row.as_of, greeks)


def stored_quotes(symbols: list[str]) -> dict[str, Quote]:
    """Freshest stored quotes as domain values (the paper simulator fills against these)."""
    return {symbol: as_quote(row) for symbol, row in freshest_quotes(symbols).items()}


def store_quotes(quotes: dict[str, Quote], source: str, *, fetched_at: datetime | None = None) -> int:
    """Insert or update one row per (symbol, source); the caller commits."""
    fetched_at = fetched_at or datetime.now(timezone.utc)
    existing = {
        row.symbol: row
        for row in db.session.scalars(
            select(QuoteRow).where(QuoteRow.source == source, QuoteRow.symbol.in_(list(quotes)))
        )
    }
    for symbol, quote in quotes.items():
        row = existing.get(symbol) or QuoteRow(symbol=symbol, source=source)
        row.bid, row.ask, row.last, row.as_of, row.fetched_at = quote.bid, quote.ask, quote.last, quote.as_of, fetched_at
        greeks = quote.greeks or Greeks()
        row.delta, row.gamma, row.theta, row.vega = greeks.delta, greeks.gamma, greeks.theta, greeks.vega
        row.implied_volatility = greeks.implied_volatility
        if symbol not in existing:
            db.session.add(row)
    return len(quotes)


def age_seconds(row: QuoteRow | None, now: datetime) -> float | None:
    return None if row is None else max(0.0, (now - row.as_of).total_seconds())
