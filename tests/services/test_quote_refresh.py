"""The price refresh: calls grow with distinct symbols, a failing source is isolated, quotes keep their age."""
import math
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.brokers.alpaca.adapter import AlpacaAdapter
from app.brokers.demo_feed import demo_quote
from app.domain.enums import BrokerEnvironment, BrokerName
from app.extensions import db
from app.models import AuditEvent, BrokerConnection, DataSource, Position, Quote
from app.services import accounts
from app.services.market_data import freshest_quotes, is_stale
from app.services.quote_refresh import refresh_quotes
from tests.factories import UserFactory
from tests.services.pipeline_fixtures import MONDAY_OPEN

DATA = "https://data.alpaca.markets/v2/stocks/quotes/latest"
PLATFORM = dict(MARKET_DATA_PROVIDER="alpaca", MARKET_DATA_ENVIRONMENT="paper", MARKET_DATA_KEY="PKPLATFORM",
                MARKET_DATA_SECRET="platform-secret-1")
SYMBOLS = [f"S{n:02d}" for n in range(50)]


def _alpaca_quotes(request):
    from urllib.parse import parse_qs, urlsplit

    symbols = parse_qs(urlsplit(request.url).query)["symbols"][0].split(",")
    body = {"quotes": {s: {"t": "2026-03-02T14:59:59Z", "ap": 10.5, "bp": 10.4} for s in symbols}}
    import json

    return 200, {}, json.dumps(body)


def _thousand_positions_over_fifty_symbols():
    rows = []
    for _ in range(20):
        user = UserFactory()
        connection = BrokerConnection(user_id=user.id, broker=BrokerName.PAPER, environment=BrokerEnvironment.PAPER,
                                      label="Paper")
        db.session.add(connection)
        db.session.flush()
        rows += [Position(user_id=user.id, connection_id=connection.id, symbol=symbol, asset_class="equity",
                          quantity=Decimal("1"), avg_price=Decimal("10"), realized_pnl=Decimal("0"))
                 for symbol in SYMBOLS]
    db.session.add_all(rows)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Position)) == 1000


@pytest.mark.parametrize("batch", [7, 200])
def test_calls_grow_with_distinct_symbols_not_positions(app_factory, rsps, monkeypatch, batch):
    monkeypatch.setattr(AlpacaAdapter, "capabilities", replace(AlpacaAdapter.capabilities, quote_batch_size=batch))
    app = app_factory(**PLATFORM)
    with app.app_context():
        _thousand_positions_over_fifty_symbols()
        quotes = rsps.add_callback("GET", DATA, callback=_alpaca_quotes)
        report = refresh_quotes(now=MONDAY_OPEN)
        assert report.symbols == 50
        assert report.calls == {"alpaca:platform": math.ceil(50 / batch)} and len(quotes.calls) == math.ceil(50 / batch)
        assert all(len(c.request.params["symbols"].split(",")) <= batch for c in quotes.calls)
        assert report.rows_written == 50 and report.unpriced == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Quote)) == 50


def test_quotes_keep_their_age_and_go_stale(app_factory, rsps):
    app = app_factory(**PLATFORM)
    with app.app_context():
        _thousand_positions_over_fifty_symbols()
        rsps.add_callback("GET", DATA, callback=_alpaca_quotes)
        refresh_quotes(now=MONDAY_OPEN)
        row = freshest_quotes(["S01"])["S01"]
        assert row.as_of == MONDAY_OPEN - timedelta(seconds=1)
        assert not is_stale(row, MONDAY_OPEN + timedelta(seconds=299), 300)
        assert is_stale(row, MONDAY_OPEN + timedelta(seconds=302), 300)
        assert is_stale(None, MONDAY_OPEN, 300)


def test_a_failing_source_is_isolated_degraded_and_alerted_once(app_factory, rsps):
    app = app_factory(**PLATFORM)
    with app.app_context():
        user = UserFactory()
        kite = accounts.create_connection(user, "zerodha", "live", "Kite",
                                          {"api_key": "kitekey1", "api_secret": "kitesecret1", "access_token": "tok1"})
        for symbol in ("AAPL", "NSE:INFY"):
            db.session.add(Position(user_id=user.id, connection_id=kite.id, symbol=symbol, asset_class="equity",
                                    quantity=Decimal("1"), avg_price=Decimal("1"), realized_pnl=Decimal("0")))
        db.session.commit()
        rsps.get(DATA, status=503, body="down")
        rsps.get("https://api.kite.trade/quote", json={"status": "success", "data": {"NSE:INFY": {
            "instrument_token": 408065, "timestamp": "2026-03-02 20:29:00", "last_price": 1412.95,
            "depth": {"buy": [{"price": 1412.9, "quantity": 1, "orders": 1}],
                      "sell": [{"price": 1413.0, "quantity": 1, "orders": 1}]}}}})
        first = refresh_quotes(now=MONDAY_OPEN)
        second = refresh_quotes(now=MONDAY_OPEN + timedelta(minutes=2))
        assert first.degraded == second.degraded == ["alpaca:platform"]
        assert set(freshest_quotes(["NSE:INFY", "AAPL"])) == {"NSE:INFY"}  # the other source still worked
        assert db.session.get(DataSource, "alpaca:platform").status == "degraded"
        alerts = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "data_source_degraded")).all()
        assert len(alerts) == 1  # once, not on every run

        rsps.replace("GET", DATA, json={"quotes": {"AAPL": {"t": "2026-03-02T15:03:59Z", "ap": 101, "bp": 100}}})
        refresh_quotes(now=MONDAY_OPEN + timedelta(minutes=4))
        assert db.session.get(DataSource, "alpaca:platform").status == "ok"
        assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "data_source_recovered"))


def test_trading212_positions_are_marked_from_the_portfolio(app, rsps):
    user = UserFactory()
    connection = accounts.create_connection(user, "trading212", "demo", "T212", {"api_key": "t212key", "api_secret": "t212secret"})
    db.session.add(Position(user_id=user.id, connection_id=connection.id, symbol="AAPL_US_EQ", asset_class="equity",
                            quantity=Decimal("2"), avg_price=Decimal("170"), realized_pnl=Decimal("0")))
    db.session.commit()
    rsps.get("https://demo.trading212.com/api/v0/equity/positions", json=[
        {"instrument": {"ticker": "AAPL_US_EQ", "name": "Apple", "isin": "US0378331005", "currency": "USD"},
         "quantity": 2, "currentPrice": 185.5, "averagePricePaid": 170.25, "createdAt": "2024-01-10T09:15:00Z"}])
    report = refresh_quotes(now=MONDAY_OPEN)
    row = freshest_quotes(["AAPL_US_EQ"])["AAPL_US_EQ"]
    assert (row.last, row.source) == (Decimal("185.5"), "trading212")
    assert report.calls == {f"trading212:{connection.id}": 1}


def test_without_any_source_symbols_are_reported_unpriced(app):
    user = UserFactory()
    db.session.add(Position(user_id=user.id, connection_id=accounts.create_connection(user, "paper", "paper", "P", {}).id,
                            symbol="AAPL", asset_class="equity", quantity=Decimal("1"), avg_price=Decimal("1"),
                            realized_pnl=Decimal("0")))
    db.session.commit()
    report = refresh_quotes(now=MONDAY_OPEN)
    assert report.unpriced == ["AAPL"] and report.calls == {}


def test_the_demo_feed_is_deterministic_labelled_and_sane(app_factory):
    assert demo_quote("AAPL", MONDAY_OPEN) == demo_quote("AAPL", MONDAY_OPEN + timedelta(seconds=30))
    quote = demo_quote("AAPL", MONDAY_OPEN)
    assert quote.bid < quote.last < quote.ask and quote.last > 0
    assert demo_quote("AAPL", MONDAY_OPEN + timedelta(minutes=90)).last != quote.last
    app = app_factory(DEMO_DATA=True)
    with app.app_context():
        user = UserFactory()
        db.session.add(Position(user_id=user.id, connection_id=accounts.create_connection(user, "paper", "paper", "P", {}).id,
                                symbol="MSFT", asset_class="equity", quantity=Decimal("1"), avg_price=Decimal("1"),
                                realized_pnl=Decimal("0")))
        db.session.commit()
        refresh_quotes(now=MONDAY_OPEN)
        assert freshest_quotes(["MSFT"])["MSFT"].source == "demo"
