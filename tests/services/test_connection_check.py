"""Testing a connection answers the account's essentials or precisely what is wrong."""
from decimal import Decimal

import pytest
import requests

from app.domain.enums import ConnectionStatus
from app.extensions import db
from app.services import accounts
from app.services.connection_check import check_connection
from tests.brokers.alpaca_harness import KEY_ID, SECRET, AlpacaHarness
from tests.factories import UserFactory

PAPER = "https://paper-api.alpaca.markets"
LIVE = "https://api.alpaca.markets"


@pytest.fixture
def connection(app):
    user = UserFactory()
    return accounts.create_connection(user, "alpaca", "paper", "Alpaca", {"key_id": KEY_ID, "secret_key": SECRET})


def test_a_working_connection_answers_account_currency_and_buying_power(connection, rsps):
    AlpacaHarness().mock_account(rsps)
    AlpacaHarness().mock_positions(rsps, 1)
    result = check_connection(connection)
    assert result.ok and result.code == "OK"
    assert (result.account_id, result.currency, result.buying_power) == ("PA2W2W2Y4UOP", "USD", Decimal("262113.632"))
    db.session.refresh(connection)
    assert connection.status == ConnectionStatus.ACTIVE and connection.last_verified_at is not None


def test_keys_from_the_other_environment_are_named_as_such(connection, rsps):
    rsps.get(f"{PAPER}/v2/account", status=401, json={"message": "unauthorized"})
    rsps.get(f"{LIVE}/v2/account", json={"account_number": "LIVE1", "currency": "USD", "cash": "1",
                                         "buying_power": "1", "equity": "1"})
    result = check_connection(connection)
    assert (result.ok, result.code) == (False, "WRONG_ENVIRONMENT")
    assert "live environment" in result.message


def test_refused_keys_are_bad_credentials(connection, rsps):
    rsps.get(f"{PAPER}/v2/account", status=401, json={"message": "unauthorized"})
    rsps.get(f"{LIVE}/v2/account", status=401, json={"message": "unauthorized"})
    result = check_connection(connection)
    assert result.code == "BAD_CREDENTIALS" and SECRET not in result.message
    db.session.refresh(connection)
    assert connection.status == ConnectionStatus.ERROR and "unauthorized" in connection.last_error


def test_a_broker_that_is_down_says_so(connection, rsps):
    rsps.get(f"{PAPER}/v2/account", body=requests.ConnectTimeout("connect timed out"))
    result = check_connection(connection)
    assert result.code == "BROKER_DOWN"
    db.session.refresh(connection)
    assert connection.consecutive_failures == 1


def test_a_rate_limited_test_says_when_to_retry(connection, rsps):
    rsps.get(f"{PAPER}/v2/account", status=429, headers={"Retry-After": "90"}, body="slow down")
    result = check_connection(connection)
    assert result.code == "RATE_LIMITED" and "90 seconds" in result.message


def test_repeated_failures_open_the_breaker_and_the_connection_shows_it(app_factory, rsps):
    app = app_factory(BROKER_CIRCUIT_FAILURES=1)
    with app.app_context():
        connection = accounts.create_connection(
            UserFactory(), "alpaca", "paper", "Alpaca", {"key_id": KEY_ID, "secret_key": SECRET}
        )
        rsps.get(f"{PAPER}/v2/account", status=503, body="down")
        assert check_connection(connection).code == "BROKER_DOWN"
        calls = len(rsps.calls)
        assert accounts.breaker_state(connection).state == "open"
        again = check_connection(connection)
        assert again.code == "BROKER_DOWN" and "paused" in again.message
        assert len(rsps.calls) == calls  # failed fast, without a network call


def test_broker_calls_from_any_process_reach_the_health_summary(connection, rsps):
    import sqlalchemy as sa

    from app.models import BrokerCall
    from app.services.broker_health import broker_call_summary, flush_recorded_calls, prune_calls

    flush_recorded_calls()  # whatever earlier work in this process left queued
    db.session.execute(sa.delete(BrokerCall))
    db.session.commit()
    AlpacaHarness().mock_account(rsps)
    AlpacaHarness().mock_positions(rsps, 0)
    check_connection(connection)
    assert flush_recorded_calls() == 2  # as after the request or job that made them
    summary = broker_call_summary()["alpaca"]
    assert summary["calls"] == 2 and summary["error_rate"] == 0 and summary["p50_ms"] is not None
    from datetime import datetime, timedelta, timezone

    assert prune_calls(datetime.now(timezone.utc) + timedelta(days=3)) == 2
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BrokerCall)) == 0
