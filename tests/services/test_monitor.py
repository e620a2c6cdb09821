"""The position monitor: each exit rule through the pipeline, never on a stale quote, once per trigger."""
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.domain.enums import OrderSource, TradingMode
from app.extensions import db
from app.models import Order, Position, RiskLimits
from app.services.monitor import exit_client_order_id, run_monitor
from app.services.order_pipeline import submit_order
from app.services.portfolio import mark_to_market, set_exit_rules
from tests.services.pipeline_fixtures import (
    ALPACA_LIVE, MONDAY_OPEN, SATURDAY, alpaca_order_json, live_trader, mock_alpaca_account, quote, trader,
)

LATER = MONDAY_OPEN + timedelta(minutes=5)
OPTION = "SPY260303C00500000"


@pytest.fixture
def holder(app):
    user = trader(max_position_size_percent=100, max_capital_at_risk_percent=100, max_symbol_concentration_percent=100)
    quote()
    assert submit_order(user, {"symbol": "AAPL", "side": "buy", "quantity": "10"}, source=OrderSource.API,
                        now=MONDAY_OPEN).accepted
    return user, db.session.scalar(sa.select(Position))


def exits():
    return db.session.scalars(sa.select(Order).where(Order.source == OrderSource.MONITOR)).all()


def test_a_stop_loss_exits_through_the_pipeline(holder):
    user, position = holder
    set_exit_rules(user, position.id, stop_loss="95")
    quote(bid="94.80", ask="95.00", last="94.90", at=LATER)
    report = run_monitor(now=LATER)
    assert report.exits_placed == 1
    [exit_order] = exits()
    assert (exit_order.side.value, exit_order.quantity, exit_order.status.value) == ("sell", 10, "filled")
    assert exit_order.client_order_id == exit_client_order_id(position, "stop_loss", Decimal("95"))
    db.session.refresh(position)
    assert position.quantity == 0


def test_a_take_profit_exits(holder):
    user, position = holder
    set_exit_rules(user, position.id, take_profit="110")
    quote(bid="110", ask="110.20", last="110.10", at=LATER)
    assert run_monitor(now=LATER).exits_placed == 1


def test_a_trailing_stop_follows_the_high_across_runs(holder):
    user, position = holder
    set_exit_rules(user, position.id, trailing_stop_percent="5")
    quote(bid="119.90", ask="120.10", last="120", at=LATER)
    assert run_monitor(now=LATER).exits_placed == 0
    db.session.refresh(position)
    assert position.high_water_mark == Decimal("120")
    quote(bid="113.90", ask="114.10", last="114", at=LATER + timedelta(minutes=5))
    assert run_monitor(now=LATER + timedelta(minutes=5)).exits_placed == 1


def test_a_stale_quote_blocks_the_exit_and_the_report_says_so(holder):
    user, position = holder
    set_exit_rules(user, position.id, stop_loss="95")
    quote(bid="80", ask="80.10", last="80", at=LATER, age_seconds=301)
    report = run_monitor(now=LATER)
    assert report.exits_placed == 0 and report.stale == ["AAPL"] and exits() == []


def test_no_exit_while_the_market_is_closed(holder):
    user, position = holder
    set_exit_rules(user, position.id, stop_loss="95")
    quote(bid="80", ask="80.10", last="80", at=SATURDAY)
    report = run_monitor(now=SATURDAY)
    assert report.market_closed == 1 and exits() == []


def test_options_are_closed_before_expiry(app):
    user = trader(max_position_size_percent=100, max_capital_at_risk_percent=100,
                  max_symbol_concentration_percent=100, min_dte=0)
    quote(OPTION, bid="2.40", ask="2.50", last="2.45")
    assert submit_order(user, {"symbol": OPTION, "side": "buy", "quantity": "1"}, source=OrderSource.API,
                        now=MONDAY_OPEN).accepted
    quote(OPTION, bid="2.40", ask="2.50", last="2.45", at=LATER)
    report = run_monitor(now=LATER)  # expires tomorrow; the exit rule is one day before
    assert report.exits_placed == 1 and exits()[0].symbol == OPTION


def test_a_monitor_run_repeated_on_the_same_trigger_places_one_exit(app, rsps):
    user, connection = live_trader(max_position_size_percent=100, max_capital_at_risk_percent=100,
                                   max_symbol_concentration_percent=100)
    position = Position(user_id=user.id, connection_id=connection.id, symbol="AAPL", asset_class="equity",
                        quantity=Decimal("10"), avg_price=Decimal("100"), realized_pnl=Decimal("0"),
                        opened_at=MONDAY_OPEN - timedelta(days=1), stop_loss=Decimal("95"))
    db.session.add(position)
    db.session.commit()
    quote(bid="94", ask="94.10", last="94", at=LATER, source="alpaca")
    mock_alpaca_account(rsps, positions=[{"symbol": "AAPL", "qty": "10", "avg_entry_price": "100", "side": "long",
                                          "current_price": "94"}])
    placed = rsps.post(f"{ALPACA_LIVE}/v2/orders", json=alpaca_order_json(status="new", side="sell"))
    first = run_monitor(now=LATER)
    second = run_monitor(now=LATER + timedelta(minutes=1))  # the exit rests at the broker; the trigger still holds
    assert (first.exits_placed, second.exits_placed, second.exits_already_placed) == (1, 0, 1)
    assert len(placed.calls) == 1 and len(exits()) == 1


def test_a_reopened_position_gets_fresh_trigger_ids(holder):
    _, position = holder
    first = exit_client_order_id(position, "stop_loss", Decimal("95"))
    position.opened_at = position.opened_at + timedelta(days=1)
    assert exit_client_order_id(position, "stop_loss", Decimal("95")) != first
    assert len(first) == 20 and first.isalnum()


def test_a_loss_breach_halts_the_user(holder):
    user, position = holder
    db.session.scalar(sa.select(RiskLimits).where(RiskLimits.user_id == user.id)).max_daily_loss_amount = Decimal("300")
    db.session.commit()
    run_monitor(now=LATER)  # records the day's baseline
    quote(bid="60", ask="60.10", last="60", at=LATER + timedelta(minutes=5))
    report = run_monitor(now=LATER + timedelta(minutes=5))
    db.session.refresh(user)
    assert report.halted_users == [user.id] and user.trading_mode == TradingMode.HALTED


def test_exit_rules_are_validated_and_belong_to_their_owner(holder):
    from app.domain.errors import InvalidInput, NotFound

    user, position = holder
    for bad in ({"stop_loss": "-1"}, {"stop_loss": "abc"}, {"trailing_stop_percent": "100"},
                {"stop_loss": "120", "take_profit": "110"}, {"take_profit": 1.5}):
        with pytest.raises(InvalidInput):
            set_exit_rules(user, position.id, **bad)
    with pytest.raises(NotFound):
        set_exit_rules(trader("other@example.com"), position.id, stop_loss="90")


def test_positions_are_marked_to_market_with_pnl_and_quote_age(holder):
    user, _ = holder
    quote(bid="104.90", ask="105.10", last="105", at=LATER, age_seconds=30)
    portfolio = mark_to_market(user, now=LATER)
    [marked] = portfolio.positions
    assert (marked.mark_price, marked.unrealized_pnl) == (Decimal("105"), Decimal("49.0"))
    assert marked.quote_age_seconds == 30 and not marked.stale
    assert portfolio.unrealized_pnl == Decimal("49.0") and portfolio.market_value == Decimal("1050")


def test_positions_on_an_exchange_without_known_sessions_wait_and_the_rest_exit(holder, monkeypatch):
    from app.services import market_hours

    user, position = holder
    set_exit_rules(user, position.id, stop_loss="95")
    quote("NSE:INFY", at=LATER)
    limit = {"type": "limit", "limit_price": "101"}  # the Indian exchange is shut at this hour: a limit, not market
    assert submit_order(user, {"symbol": "NSE:INFY", "side": "buy", "quantity": "1", **limit},
                        source=OrderSource.API, now=MONDAY_OPEN).accepted
    quote(bid="94.80", ask="95.00", last="94.90", at=LATER)
    known = market_hours.trading_day

    def trading_day(name, now):
        if name == market_hours.INDIA:
            raise market_hours.CalendarUnknown("MARKET_CALENDAR_UNKNOWN", "no XBOM sessions recorded")
        return known(name, now)

    monkeypatch.setattr(market_hours, "trading_day", trading_day)
    report = run_monitor(now=LATER)
    assert report.no_calendar == ["NSE:INFY"] and report.exits_placed == 1
    assert [o.symbol for o in exits()] == ["AAPL"]



def test_an_exit_that_fails_unexpectedly_does_not_stop_the_others(holder, monkeypatch):
    from app.services import monitor

    user, position = holder
    set_exit_rules(user, position.id, stop_loss="95")
    quote("MSFT", at=LATER)
    assert submit_order(user, {"symbol": "MSFT", "side": "buy", "quantity": "1"},
                        source=OrderSource.API, now=MONDAY_OPEN).accepted
    msft = db.session.scalar(sa.select(Position).where(Position.symbol == "MSFT"))
    set_exit_rules(user, msft.id, stop_loss="200")
    quote(bid="94.80", ask="95.00", last="94.90", at=LATER)
    real_submit = monitor.submit_order

    def submit(owner, payload, **kwargs):
        if payload["symbol"] == "MSFT":
            raise RuntimeError("a bug in one exit")
        return real_submit(owner, payload, **kwargs)

    monkeypatch.setattr(monitor, "submit_order", submit)
    report = run_monitor(now=LATER)
    assert report.exits_refused == {"MSFT": "INTERNAL_ERROR"} and report.exits_placed == 1
    assert [o.symbol for o in exits()] == ["AAPL"]
