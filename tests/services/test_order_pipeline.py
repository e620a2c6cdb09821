"""The one door for orders, on the paper simulator: accepted, denied, confirmed, refused as malformed."""
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.domain.enums import OrderSource, OrderStatus, TradingMode
from app.domain.errors import Conflict, InvalidInput, NotFound, Unprocessable
from app.extensions import db
from app.models import Order, OrderFill, PaperOrderRow, Position, RiskLimits
from app.services import halts
from app.services.order_pipeline import cancel_order, submit_order
from tests.services.pipeline_fixtures import MONDAY_OPEN, SATURDAY, THANKSGIVING, paper_connection, quote, trader

BUY_10 = {"symbol": "AAPL", "side": "buy", "quantity": "10"}


def submit(user, payload=BUY_10, now=MONDAY_OPEN, **payload_extra):
    return submit_order(user, {**payload, **payload_extra}, source=OrderSource.API, now=now)


def orders():
    return db.session.scalars(sa.select(Order).order_by(Order.id)).all()


@pytest.fixture
def user(app):
    user = trader()
    quote()
    return user


def test_an_accepted_market_order_fills_and_moves_the_position(user):
    result = submit(user)
    assert (result.http_status, result.code) == (201, "ACCEPTED")
    order = result.order
    assert order.status == OrderStatus.FILLED and order.avg_fill_price == Decimal("100.1")
    assert order.reference_price == Decimal("100.10") and order.client_order_id.startswith("pc")
    assert {c["outcome"] for c in order.checks} == {"pass"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrderFill)) == 1
    position = db.session.scalar(sa.select(Position))
    assert (position.symbol, position.quantity, position.avg_price) == ("AAPL", Decimal("10"), Decimal("100.1"))


def test_a_denied_order_is_stored_with_every_failed_check_and_never_sent(user):
    user_limits = {"max_order_value": 500, "max_trades_per_day": 0}
    result = submit(trader("limited@example.com", **user_limits))
    assert (result.http_status, result.code) == (422, "MAX_ORDER_VALUE")
    stored = result.order
    assert stored.status == OrderStatus.DENIED and stored.denial_code == "MAX_ORDER_VALUE"
    denied = {c["code"]: c["details"] for c in stored.checks if c["outcome"] == "deny"}
    assert set(denied) == {"MAX_ORDER_VALUE", "MAX_TRADES_PER_DAY"}
    assert denied["MAX_ORDER_VALUE"] == {"value": "1001", "limit": "500"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaperOrderRow)) == 0


def test_the_days_trade_count_includes_orders_hours_old_though_paper_reads_only_the_last_minutes(user):
    limited = trader("busy@example.com", max_trades_per_day=3)
    for n in range(3):
        assert submit(limited, {"symbol": "AAPL", "side": "buy", "quantity": str(n + 1)}, confirm=True).accepted
    later = MONDAY_OPEN + timedelta(hours=2)
    quote(at=later)
    result = submit(limited, {"symbol": "AAPL", "side": "buy", "quantity": "9"}, now=later)
    assert (result.http_status, result.code) == (422, "MAX_TRADES_PER_DAY")
    denied = {c["code"]: c["details"] for c in result.order.checks if c["outcome"] == "deny"}
    assert denied["MAX_TRADES_PER_DAY"] == {"trades_today": "3", "limit": "3"}



def test_the_per_minute_limit_counts_every_symbol_and_forgets_orders_a_minute_old(user):
    limited = trader("quick@example.com", max_orders_per_minute=2)
    for symbol in ("MSFT", "TSLA"):
        quote(symbol)
    assert submit(limited, {"symbol": "MSFT", "side": "buy", "quantity": "1"}).accepted
    assert submit(limited, {"symbol": "TSLA", "side": "buy", "quantity": "1"},
                  now=MONDAY_OPEN + timedelta(seconds=20)).accepted
    third = submit(limited, {"symbol": "AAPL", "side": "buy", "quantity": "1"}, now=MONDAY_OPEN + timedelta(seconds=40))
    assert (third.http_status, third.code) == (422, "MAX_ORDERS_PER_MINUTE")
    denied = {c["code"]: c["details"] for c in third.order.checks if c["outcome"] == "deny"}
    assert denied["MAX_ORDERS_PER_MINUTE"] == {"orders_last_minute": "2", "limit": "2"}
    # The MSFT order is now over a minute old; the denied one never counted.
    assert submit(limited, {"symbol": "AAPL", "side": "buy", "quantity": "1"},
                  now=MONDAY_OPEN + timedelta(seconds=61)).accepted

def test_the_same_order_again_needs_confirmation_and_stores_nothing_until_confirmed(user):
    buy_5 = {"symbol": "AAPL", "side": "buy", "quantity": "5"}
    assert submit(user, buy_5).accepted
    again = submit(user, buy_5, now=MONDAY_OPEN + timedelta(seconds=30))
    assert (again.http_status, again.code) == (428, "CONFIRMATION_REQUIRED")
    assert any(c["code"] == "POSSIBLE_DUPLICATE" for c in again.checks)
    assert len(orders()) == 1
    confirmed = submit(user, buy_5, now=MONDAY_OPEN + timedelta(seconds=31), confirm=True)
    assert confirmed.accepted and len(orders()) == 2


def test_a_repeated_client_order_id_answers_409_and_places_nothing(user):
    first = submit(user, client_order_id="my-order-1")
    with pytest.raises(Conflict) as duplicate:
        submit(user, {"symbol": "MSFT", "side": "buy", "quantity": "1"}, client_order_id="my-order-1")
    assert duplicate.value.code == "DUPLICATE_CLIENT_ORDER_ID"
    assert duplicate.value.details == {"order_id": first.order.id}
    assert len(orders()) == 1 and db.session.scalar(sa.select(sa.func.count()).select_from(PaperOrderRow)) == 1


def test_client_order_ids_are_unique_per_user_not_across_users(user):
    other = trader("other@example.com")
    assert submit(user, client_order_id="same-id").accepted
    assert submit(other, client_order_id="same-id").accepted


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"side": "buy", "quantity": "1"}, "INVALID_SYMBOL"),
        ({**BUY_10, "symbol": "AAPL; DROP TABLE"}, "INVALID_SYMBOL"),
        ({**BUY_10, "symbol": 42}, "INVALID_SYMBOL"),
        ({**BUY_10, "quantity": "-1"}, "NOT_POSITIVE"),
        ({**BUY_10, "quantity": "0"}, "NOT_POSITIVE"),
        ({**BUY_10, "quantity": "NaN"}, "INVALID_NUMBER"),
        ({**BUY_10, "quantity": "Infinity"}, "INVALID_NUMBER"),
        ({**BUY_10, "quantity": "1e12"}, "TOO_LARGE"),
        ({**BUY_10, "quantity": "0.000000001"}, "TOO_PRECISE"),
        ({**BUY_10, "quantity": 1.5}, "INVALID_NUMBER"),
        ({**BUY_10, "quantity": True}, "INVALID_NUMBER"),
        ({**BUY_10, "quantity": "ten"}, "INVALID_NUMBER"),
        ({**BUY_10, "quantity": None}, "FIELD_REQUIRED"),
        ({**BUY_10, "side": "hold"}, "INVALID_CHOICE"),
        ({**BUY_10, "type": "limit"}, "FIELD_REQUIRED"),
        ({**BUY_10, "type": "stop_limit", "stop_price": "99"}, "FIELD_REQUIRED"),
        ({**BUY_10, "type": "market", "limit_price": "99"}, "PRICE_NOT_ALLOWED"),
        ({**BUY_10, "type": "limit", "limit_price": "-5"}, "NOT_POSITIVE"),
        ({**BUY_10, "type": "limit", "limit_price": "99999999999"}, "TOO_LARGE"),
        ({**BUY_10, "time_in_force": "forever"}, "INVALID_CHOICE"),
        ({**BUY_10, "leverage": "100x"}, "UNKNOWN_FIELD"),
        ({**BUY_10, "connection_id": "abc"}, "INVALID_CONNECTION"),
        ({**BUY_10, "client_order_id": "has spaces"}, "INVALID_CLIENT_ORDER_ID"),
        ({**BUY_10, "confirm": "perhaps"}, "INVALID_FLAG"),
        (["not", "an", "object"], "INVALID_BODY"),
    ],
)
def test_malformed_orders_are_400_and_store_nothing(user, payload, code):
    with pytest.raises(InvalidInput) as refused:
        submit_order(user, payload, source=OrderSource.API, now=MONDAY_OPEN)
    assert refused.value.code == code and refused.value.http_status == 400
    assert orders() == []


def test_another_users_connection_is_not_found_and_nothing_is_stored(user):
    other = trader("other@example.com")
    with pytest.raises(NotFound):
        submit(user, connection_id=paper_connection(other).id)
    assert orders() == []


def test_an_unknown_symbol_is_denied_for_want_of_a_price(user):
    result = submit(user, {"symbol": "ZZZZ", "side": "buy", "quantity": "1"})
    assert (result.http_status, result.code) == (422, "PRICE_UNAVAILABLE")


@pytest.mark.parametrize("when", [SATURDAY, THANKSGIVING], ids=["weekend", "holiday"])
def test_market_orders_are_denied_while_closed_and_limit_orders_rest(user, when):
    quote(at=when)
    closed = submit(user, now=when)
    assert (closed.http_status, closed.code) == (422, "MARKET_CLOSED")
    resting = submit(user, {"symbol": "AAPL", "side": "buy", "quantity": "5", "type": "limit", "limit_price": "95"},
                     now=when)
    assert resting.accepted and resting.order.status == OrderStatus.SUBMITTED


def test_a_halted_user_is_refused_with_423_and_the_order_is_stored_as_denied(user):
    halts.halt(user, reason="compliance review", until=None, actor_id=None)
    db.session.commit()
    result = submit(user)
    assert (result.http_status, result.code) == (423, "TRADING_HALTED")
    assert result.order.status == OrderStatus.DENIED


def test_a_daily_loss_breach_halts_the_user_until_the_next_session(user):
    assert submit(user).accepted  # sets the day's baseline at 100000
    quote(bid="40", ask="40.10", last="40")  # the position lost 600
    db.session.scalar(sa.select(RiskLimits).where(RiskLimits.user_id == user.id)).max_daily_loss_amount = Decimal("500")
    db.session.commit()
    result = submit(user, {"symbol": "AAPL", "side": "buy", "quantity": "1"}, now=MONDAY_OPEN + timedelta(minutes=5))
    assert (result.http_status, result.code) == (422, "DAILY_LOSS_LIMIT")
    db.session.refresh(user)
    assert user.trading_mode == TradingMode.HALTED and user.mode_before_halt == TradingMode.PAPER
    assert user.halted_until == MONDAY_OPEN.replace(hour=14, minute=30) + timedelta(days=1)
    # Closing the losing position is still possible only for protective sources; the trader's own order is halted.
    assert submit(user, {"symbol": "AAPL", "side": "sell", "quantity": "10"},
                  now=MONDAY_OPEN + timedelta(minutes=6)).code == "TRADING_HALTED"
    # The next session lifts the halt by itself.
    tuesday = MONDAY_OPEN + timedelta(days=1)
    quote(at=tuesday, bid="40", ask="40.10", last="40")
    after = submit(user, {"symbol": "AAPL", "side": "sell", "quantity": "10"}, now=tuesday)
    db.session.refresh(user)
    assert user.trading_mode == TradingMode.PAPER and after.accepted


def test_cancel_a_resting_order(user):
    resting = submit(user, {"symbol": "AAPL", "side": "buy", "quantity": "5", "type": "limit", "limit_price": "95"})
    cancelled = cancel_order(user, resting.order.id)
    assert cancelled.status == OrderStatus.CANCELLED
    with pytest.raises(Conflict) as again:
        cancel_order(user, resting.order.id)
    assert again.value.code == "ORDER_NOT_OPEN"


def test_another_users_order_cannot_be_cancelled(user):
    resting = submit(user, {"symbol": "AAPL", "side": "buy", "quantity": "5", "type": "limit", "limit_price": "95"})
    other = trader("other@example.com")
    for probe in (resting.order.id, "abc", None, 10**9):
        with pytest.raises(NotFound):
            cancel_order(other, probe)
    db.session.refresh(resting.order)
    assert resting.order.status == OrderStatus.SUBMITTED


def test_a_connection_waiting_for_login_is_refused_before_anything_is_stored(user):
    from app.services import accounts

    kite = accounts.create_connection(user, "zerodha", "live", "Kite", {"api_key": "k1234", "api_secret": "s1234"})
    with pytest.raises(Unprocessable) as refused:
        submit(user, connection_id=kite.id)
    assert refused.value.code == "CONNECTION_NEEDS_LOGIN" and orders() == []


def test_a_paper_order_stores_its_order_once_and_costs_the_same_whatever_the_history(user):
    from tests.web.test_query_counts import counted_queries

    busy = trader("history@example.com", max_orders_per_minute=100, max_open_positions=100)

    def statements_of(symbol: str, key: str, quantity: str = "1") -> list[str]:
        # Different sizes, so that no order looks like a repeat of the last and asks for confirmation.
        with counted_queries() as statements:
            result = submit(busy, {"symbol": symbol, "side": "buy", "quantity": quantity}, client_order_id=key)
            assert result.accepted, result.code
        return [s.lstrip() for s in statements]

    symbols = [f"S{n:02d}" for n in range(12)]
    for symbol in symbols:
        quote(symbol)
    statements_of("S00", "warm-up")  # the day's first order sets its baselines
    first = statements_of("AAPL", "first")
    for n, symbol in enumerate(symbols):  # more holdings, orders and fills behind the next one
        statements_of(symbol, f"history-{n}", quantity="2")
    later = statements_of("AAPL", "later", quantity="3")

    assert len(later) == len(first)
    assert [s for s in later if s.startswith(("INSERT INTO orders", "UPDATE orders"))] == [
        s for s in later if s.startswith("INSERT INTO orders")
    ]
    assert len([s for s in later if s.startswith("INSERT INTO orders")]) == 1
