"""Quotes: the freshest stored price of each symbol, and storing what a source answers."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, select

from app.domain.broker_types import Greeks, Quote
from app.extensions import db
from app.models import Quote as QuoteRow
from app.services.conflict_insert import conflict_insert
from app.services.transaction_cache import transaction_cache


def freshest_quotes(symbols: list[str] | set[str]) -> dict[str, Row]:
    """The most recent stored quote row of each symbol, whichever source wrote it; once per transaction."""
    if not symbols:
        return {}
    known = transaction_cache("freshest_quotes")
    wanted = {symbol for symbol in symbols if symbol not in known}
    if wanted:
        expected = transaction_cache("expected_quotes")
        wanted |= {symbol for symbol in expected if symbol not in known}
        expected.clear()
        known.update(dict.fromkeys(wanted))
        # Plain rows, not ORM objects: a quote is a value read as it stands, never a copy in the session that
        # an upsert or another process has since rewritten.
        query = select(*QuoteRow.__table__.columns).where(QuoteRow.symbol.in_(wanted)).order_by(QuoteRow.as_of)
        for row in db.session.execute(query):
            known[row.symbol] = row
    return {symbol: known[symbol] for symbol in symbols if known[symbol] is not None}


def expect_quotes(symbols: set[str]) -> None:
    """Symbols this transaction will ask for later: read with the first that must go to the database."""
    transaction_cache("expected_quotes").update(dict.fromkeys(symbols))


def as_quote(row: Row) -> Quote:
    greeks = None
    if any(v is not None for v in (row.delta, row.gamma, row.theta, row.vega)):
        greeks = Greeks(row.delta, row.gamma, row.theta, row.vega, row.implied_volatility)
    return Quote(row.symbol, row.bid, row.ask, row.last, row.as_of, greeks)


def stored_quotes(symbols: list[str]) -> dict[str, Quote]:
    """Freshest stored quotes as domain values (the paper simulator fills against these)."""
    return {symbol: as_quote(row) for symbol, row in freshest_quotes(symbols).items()}


def age_seconds(row: Row | None, now: datetime) -> float | None:
    return None if row is None else max(0.0, (now - row.as_of).total_seconds())


def upsert_quotes(priced: dict[str, tuple[Quote, str]], *, fetched_at: datetime) -> int:
    """Write every (symbol, source) quote in one INSERT ... ON CONFLICT statement; the caller commits."""
    if not priced:
        return 0
    rows = []
    for symbol, (quote, source) in priced.items():
        greeks = quote.greeks or Greeks()
        rows.append({
            "symbol": symbol, "source": source, "bid": quote.bid, "ask": quote.ask, "last": quote.last,
            "as_of": quote.as_of, "fetched_at": fetched_at, "delta": greeks.delta, "gamma": greeks.gamma,
            "theta": greeks.theta, "vega": greeks.vega, "implied_volatility": greeks.implied_volatility,
        })
    statement = conflict_insert(QuoteRow).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["symbol", "source"],
        set_={column: statement.excluded[column] for column in rows[0] if column not in ("symbol", "source")},
    )
    db.session.execute(statement)
    transaction_cache("freshest_quotes").clear()
    return len(rows)


def is_stale(row: Row | None, now: datetime, stale_after_seconds: int) -> bool:
    """A missing quote, or one older than STALE_QUOTE_SECONDS, is stale."""
    age = age_seconds(row, now)
    return age is None or age > stale_after_seconds
