"""Stored quotes are read once per transaction, and never served stale across a write or a new transaction."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import update

from app.domain.broker_types import Quote as QuoteValue
from app.extensions import db
from app.models import Quote
from app.services.market_data import expect_quotes, freshest_quotes, stored_quotes, upsert_quotes
from tests.services.pipeline_fixtures import MONDAY_OPEN, quote
from tests.web.test_query_counts import counted_queries


def test_a_transaction_reads_each_symbol_once(app):
    quote("AAPL")
    quote("MSFT")
    with counted_queries() as statements:
        assert freshest_quotes({"AAPL"})["AAPL"].last == Decimal("100.00")
        assert set(stored_quotes(["AAPL", "MSFT"])) == {"AAPL", "MSFT"}
        assert set(freshest_quotes(["MSFT", "AAPL", "NONE"])) == {"AAPL", "MSFT"}
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 3  # AAPL; then MSFT alone; then NONE alone, which is remembered as missing
    with counted_queries() as statements:
        freshest_quotes(["NONE", "AAPL"])
    assert statements == []


def test_symbols_expected_later_come_with_the_first_read(app):
    quote("AAPL")
    quote("MSFT")
    expect_quotes({"MSFT", "NONE"})
    with counted_queries() as statements:
        assert set(freshest_quotes(["AAPL"])) == {"AAPL"}
        assert set(freshest_quotes(["MSFT", "NONE", "AAPL"])) == {"AAPL", "MSFT"}
    assert len(statements) == 1
    db.session.rollback()
    with counted_queries() as statements:  # a new transaction expects nothing and reads again
        assert set(freshest_quotes(["MSFT"])) == {"MSFT"}
    assert len(statements) == 1


def _price(last: str) -> QuoteValue:
    last = Decimal(last)
    return QuoteValue("AAPL", last - Decimal("0.10"), last + Decimal("0.10"), last, MONDAY_OPEN)


def test_a_quote_rewritten_in_the_transaction_is_read_back(app):
    quote("AAPL", source="tradier", at=MONDAY_OPEN - timedelta(minutes=10))
    before = freshest_quotes(["AAPL"])  # held, as the order checks hold what they read while refreshing it
    assert before["AAPL"].last == Decimal("100.00")
    # The same (symbol, source) row, as when a stale quote is fetched again before an order is checked.
    upsert_quotes({"AAPL": (_price("110.00"), "tradier")}, fetched_at=MONDAY_OPEN)
    row = freshest_quotes(["AAPL"])["AAPL"]
    assert (row.last, row.as_of) == (Decimal("110.00"), MONDAY_OPEN)


def test_a_savepoint_rolled_back_leaves_no_price_behind(app):
    quote("AAPL", source="tradier")
    assert freshest_quotes(["AAPL"])["AAPL"].last == Decimal("100.00")
    savepoint = db.session.begin_nested()
    upsert_quotes({"AAPL": (_price("110.00"), "tradier")}, fetched_at=MONDAY_OPEN)
    assert freshest_quotes(["AAPL"])["AAPL"].last == Decimal("110.00")
    savepoint.rollback()
    assert freshest_quotes(["AAPL"])["AAPL"].last == Decimal("100.00")


def test_the_next_transaction_sees_what_others_committed(app):
    quote("AAPL")
    assert freshest_quotes(["AAPL"])["AAPL"].last == Decimal("100.00")
    db.session.commit()
    with db.engine.begin() as other_process:
        other_process.execute(update(Quote).where(Quote.symbol == "AAPL").values(
            last=Decimal("90.00"), as_of=MONDAY_OPEN + timedelta(seconds=1)))
    assert freshest_quotes(["AAPL"])["AAPL"].last == Decimal("90.00")
