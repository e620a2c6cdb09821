"""Orders that move real money: every requirement, the kill switch, TOTP, and what brokers answer."""
from decimal import Decimal

import pyotp
import pytest
import requests
import sqlalchemy as sa
from responses import matchers

from app.domain.enums import OrderSource, OrderStatus, TradingMode
from app.extensions import db
from app.models import AuditEvent, ComplianceFlag, Order
from app.services.order_pipeline import submit_order
from app.services.platform import platform_settings
from tests.services.pipeline_fixtures import (
    ALPACA_LIVE, MONDAY_OPEN, TOTP_SECRET, alpaca_order_json, live_trader, mock_alpaca_account, quote,
)

ORDER = {"symbol": "AAPL", "side": "buy", "quantity": "10"}
GENEROUS = dict(max_position_size_percent=100, max_capital_at_risk_percent=100, max_order_value=10_000_000,
                max_symbol_concentration_percent=100)


@pytest.fixture
def live(app):
    return live_trader()


def submit(user, connection, now=MONDAY_OPEN, **extra):
    return submit_order(user, {**ORDER, "connection_id": connection.id, **extra}, source=OrderSource.API, now=now)


def test_a_live_order_is_written_ahead_sent_with_its_id_and_audited(live, rsps):
    user, connection = live
    mock_alpaca_account(rsps)
    placed = rsps.post(f"{ALPACA_LIVE}/v2/orders", json=alpaca_order_json())
    result = submit(user, connection)
    assert result.accepted and result.order.status == OrderStatus.SUBMITTED
    assert result.order.broker_order_id == "61e69015-8549-4bfd-b9c3-01e75843f47d"
    import json

    assert json.loads(placed.calls[0].request.body)["client_order_id"] == result.order.client_order_id
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "live_order_accepted"))


def test_a_repeated_live_order_answers_409_before_the_broker_is_asked_anything(live, rsps):
    from app.domain.errors import Conflict

    user, connection = live
    user.trading_mode = TradingMode.PAPER  # the first is denied, and stored as denied
    db.session.commit()
    mock_alpaca_account(rsps)
    first = submit(user, connection, client_order_id="live-once")
    assert first.code == "LIVE_TRADING_NOT_ENABLED"
    calls = len(rsps.calls)
    with pytest.raises(Conflict) as repeated:
        submit(user, connection, client_order_id="live-once")
    assert repeated.value.details == {"order_id": first.order.id}
    assert len(rsps.calls) == calls  # neither the account nor the positions were read for it
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda u: setattr(u, "trading_mode", TradingMode.PAPER), "LIVE_TRADING_NOT_ENABLED"),
        (lambda u: setattr(u, "totp_enabled_at", None), "TWO_FACTOR_REQUIRED"),
        (lambda u: setattr(u, "risk_disclosure_version", "2019-01"), "RISK_DISCLOSURE_REQUIRED"),
    ],
)
def test_real_money_needs_live_mode_2fa_and_the_current_disclosure(live, rsps, change, code):
    user, connection = live
    change(user)
    db.session.commit()
    mock_alpaca_account(rsps)
    result = submit(user, connection)
    assert result.code == code and result.order.status == OrderStatus.DENIED
    assert not any(call.request.method == "POST" for call in rsps.calls)


def test_the_kill_switch_stops_live_orders_but_not_paper_ones(live, rsps):
    user, connection = live
    platform_settings().kill_switch_engaged = True
    db.session.commit()
    mock_alpaca_account(rsps)
    result = submit(user, connection)
    assert (result.http_status, result.code) == (423, "KILL_SWITCH_ENGAGED")
    assert submit_order(user, {**ORDER, "quantity": "1"}, source=OrderSource.API, now=MONDAY_OPEN).accepted


def test_an_order_that_raced_the_kill_switch_is_cancelled_before_it_is_sent(live, rsps, monkeypatch):
    from app.services import order_pipeline

    user, connection = live
    mock_alpaca_account(rsps)
    real_build = order_pipeline.build_context

    def engage_after_checks(*args, **kwargs):
        context = real_build(*args, **kwargs)
        platform_settings().kill_switch_engaged = True  # engaged by an admin between the checks and the send
        return context

    monkeypatch.setattr(order_pipeline, "build_context", engage_after_checks)
    result = submit(user, connection)
    assert result.order.status == OrderStatus.CANCELLED and "kill switch" in result.order.reject_reason
    assert not any(call.request.method == "POST" for call in rsps.calls)


def test_a_large_live_order_needs_a_totp_code_that_works_once(app, rsps):
    user, connection = live_trader(**GENEROUS)
    mock_alpaca_account(rsps)
    rsps.post(f"{ALPACA_LIVE}/v2/orders", json=alpaca_order_json())
    big = {"quantity": "60"}  # 6006 > the 5000 confirmation threshold
    assert submit(user, connection, **big).code == "CONFIRMATION_REQUIRED"
    assert submit(user, connection, **big, confirm=True).code == "TOTP_REQUIRED"
    assert submit(user, connection, **big, confirm=True, totp="000000").code == "TOTP_INVALID"
    code = pyotp.TOTP(TOTP_SECRET).now()
    assert submit(user, connection, **big, confirm=True, totp=code).accepted
    replay = submit(user, connection, quantity="61", confirm=True, totp=code)
    assert replay.code == "TOTP_INVALID"  # the same code is refused the second time
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1


def test_a_stale_quote_blocks_a_live_order(live, rsps):
    user, connection = live
    quote(source="alpaca", age_seconds=301)
    quote(source="demo", age_seconds=400)
    mock_alpaca_account(rsps)
    rsps.get(f"{ALPACA_LIVE.replace('api.', 'data.')}/v2/stocks/quotes/latest", json={"quotes": {}})
    result = submit(user, connection)
    assert result.code == "STALE_QUOTE"


def test_a_missing_quote_is_fetched_from_the_broker(live, rsps):
    user, connection = live
    db.session.execute(sa.text("DELETE FROM quotes"))
    db.session.commit()
    mock_alpaca_account(rsps)
    rsps.get("https://data.alpaca.markets/v2/stocks/quotes/latest",
             match=[matchers.query_param_matcher({"symbols": "AAPL", "feed": "iex"})],
             json={"quotes": {"AAPL": {"t": "2026-03-02T14:59:58Z", "ap": 100.2, "bp": 100.0}}})
    rsps.post(f"{ALPACA_LIVE}/v2/orders", json=alpaca_order_json())
    result = submit(user, connection)
    assert result.accepted and result.order.reference_price == Decimal("100.2")


def test_a_stale_quote_is_fetched_again_and_the_order_valued_at_the_new_price(live, rsps):
    user, connection = live
    db.session.execute(sa.text("DELETE FROM quotes"))
    quote(source="alpaca", age_seconds=301)  # the broker's own row, rewritten by the fetch
    mock_alpaca_account(rsps)
    rsps.get("https://data.alpaca.markets/v2/stocks/quotes/latest",
             json={"quotes": {"AAPL": {"t": "2026-03-02T14:59:58Z", "ap": 104.2, "bp": 104.0}}})
    rsps.post(f"{ALPACA_LIVE}/v2/orders", json=alpaca_order_json())
    result = submit(user, connection)
    assert result.accepted and result.order.reference_price == Decimal("104.2")


def test_a_broker_rejection_is_rejected_not_denied(live, rsps):
    user, connection = live
    mock_alpaca_account(rsps)
    rsps.post(f"{ALPACA_LIVE}/v2/orders", status=403, json={"code": 40310000, "message": "insufficient buying power"})
    result = submit(user, connection)
    assert result.accepted  # our checks passed; the broker said no
    assert result.order.status == OrderStatus.REJECTED and "insufficient buying power" in result.order.reject_reason


def test_a_broker_timeout_leaves_the_order_unknown_and_never_resends_it(live, rsps):
    user, connection = live
    mock_alpaca_account(rsps)
    post = rsps.post(f"{ALPACA_LIVE}/v2/orders", body=requests.ReadTimeout("read timed out"))
    result = submit(user, connection)
    assert result.order.status == OrderStatus.UNKNOWN and len(post.calls) == 1


def test_a_broker_5xx_on_placement_leaves_the_order_unknown(live, rsps):
    user, connection = live
    mock_alpaca_account(rsps)
    post = rsps.post(f"{ALPACA_LIVE}/v2/orders", status=502, body="bad gateway")
    result = submit(user, connection)
    assert result.order.status == OrderStatus.UNKNOWN and len(post.calls) == 1


def test_an_order_that_never_reached_the_broker_is_failed(live, rsps):
    user, connection = live
    mock_alpaca_account(rsps)
    rsps.post(f"{ALPACA_LIVE}/v2/orders", body=requests.ConnectTimeout("connect timed out"))
    result = submit(user, connection)
    assert result.order.status == OrderStatus.FAILED and "never reached" in result.order.reject_reason


def test_an_unreadable_account_is_503_and_stores_nothing(live, rsps):
    from app.domain.errors import Unavailable

    user, connection = live
    rsps.get(f"{ALPACA_LIVE}/v2/account", status=503, body="down")
    with pytest.raises(Unavailable):
        submit(user, connection)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_large_live_orders_leave_a_compliance_flag(app, rsps):
    user, connection = live_trader(**GENEROUS)
    mock_alpaca_account(rsps, buying_power="1000000")
    rsps.post(f"{ALPACA_LIVE}/v2/orders", json=alpaca_order_json())
    result = submit(user, connection, quantity="500", confirm=True, totp=pyotp.TOTP(TOTP_SECRET).now())
    assert result.accepted
    flags = db.session.scalars(sa.select(ComplianceFlag.code)).all()
    assert flags == ["LARGE_TRANSACTION"]


def test_kyc_is_required_above_the_per_trade_threshold(app, rsps):
    from app.domain.enums import KycStatus

    user, connection = live_trader(**GENEROUS)
    user.kyc_status = KycStatus.NONE
    db.session.commit()
    mock_alpaca_account(rsps)
    rsps.post(f"{ALPACA_LIVE}/v2/orders", json=alpaca_order_json())
    small = submit(user, connection, quantity="10")
    large = submit(user, connection, quantity="120", confirm=True, totp=pyotp.TOTP(TOTP_SECRET).now())
    assert small.accepted
    assert large.code == "KYC_REQUIRED" and large.order.status == OrderStatus.DENIED
