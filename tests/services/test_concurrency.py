"""Limits hold under parallel submissions: on PostgreSQL, 20 orders at once end with exactly the allowed number."""
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.domain.enums import OrderSource, OrderStatus
from app.extensions import db
from app.models import Order, User
from app.services.order_pipeline import submit_order
from tests.services.pipeline_fixtures import MONDAY_OPEN, quote, trader

CLIENTS = 20
SYMBOLS = [f"SYM{n:02d}" for n in range(CLIENTS)]
ROOMY = dict(max_open_positions=100, max_trades_per_day=100, max_orders_per_minute=100, max_position_size_percent=100,
             max_capital_at_risk_percent=100, max_symbol_concentration_percent=100, max_order_value=10**7)


@pytest.fixture
def pg_app(app_factory, is_postgres):
    if not is_postgres:
        pytest.skip("row locks are tested on PostgreSQL; set TEST_DATABASE_URL to run them")
    return app_factory(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": CLIENTS + 2, "max_overflow": 0, "pool_pre_ping": True})


def _race(app, user_id: int, payloads: list[dict]) -> list[str]:
    """Submit every payload from its own thread (its own session and connection), all released at once."""
    start = threading.Barrier(len(payloads))
    outcomes: list[str] = []
    lock = threading.Lock()

    def client(payload):
        with app.app_context():
            user = db.session.get(User, user_id)
            start.wait()
            try:
                result = submit_order(user, payload, source=OrderSource.API, now=MONDAY_OPEN)
                outcome = result.code
            except Exception as error:  # a crash in any client is a failed test, reported with the others
                outcome = f"error:{type(error).__name__}:{error}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=client, args=(payload,)) for payload in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def _arrange(app, balance="100000", **limits) -> int:
    with app.app_context():
        user = trader(balance=balance, **{**ROOMY, **limits})
        for symbol in SYMBOLS:
            quote(symbol, bid="99.90", ask="100", last="100")
        return user.id


def _accepted(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Order).where(Order.status == OrderStatus.FILLED))


def test_max_open_positions_holds_under_20_parallel_orders(pg_app):
    user_id = _arrange(pg_app, max_open_positions=5)
    outcomes = _race(pg_app, user_id, [{"symbol": s, "side": "buy", "quantity": "1"} for s in SYMBOLS])
    assert sorted(outcomes) == sorted(["ACCEPTED"] * 5 + ["MAX_OPEN_POSITIONS"] * 15), outcomes
    assert _accepted(pg_app) == 5


def test_max_trades_per_day_holds_under_20_parallel_orders(pg_app):
    user_id = _arrange(pg_app, max_trades_per_day=5)
    outcomes = _race(pg_app, user_id, [{"symbol": s, "side": "buy", "quantity": "1"} for s in SYMBOLS])
    assert sorted(outcomes) == sorted(["ACCEPTED"] * 5 + ["MAX_TRADES_PER_DAY"] * 15), outcomes
    assert _accepted(pg_app) == 5


def test_buying_power_holds_under_20_parallel_orders(pg_app):
    user_id = _arrange(pg_app, balance="1000")  # ten orders of 100 fit, exactly
    outcomes = _race(pg_app, user_id, [{"symbol": s, "side": "buy", "quantity": "1"} for s in SYMBOLS])
    assert sorted(outcomes) == sorted(["ACCEPTED"] * 10 + ["INSUFFICIENT_BUYING_POWER"] * 10), outcomes
    assert _accepted(pg_app) == 10
    with pg_app.app_context():
        from app.models import PaperAccount

        assert db.session.scalar(sa.select(PaperAccount.cash)) == Decimal("0")


def test_one_client_order_id_sent_twenty_times_at_once_places_one_order(pg_app):
    user_id = _arrange(pg_app)
    payload = {"symbol": "SYM00", "side": "buy", "quantity": "1", "client_order_id": "only-once"}
    outcomes = _race(pg_app, user_id, [payload] * CLIENTS)
    assert outcomes.count("ACCEPTED") == 1
    assert all(o == "ACCEPTED" or o.startswith("error:Conflict") for o in outcomes), outcomes
    assert _accepted(pg_app) == 1
