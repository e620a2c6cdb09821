"""Admin actions: who may switch a user to live, halts, limits, KYC and the kill switch."""
import json
from decimal import Decimal

import pyotp
import pytest
import sqlalchemy as sa

from app.domain.enums import KycStatus, OrderSource, OrderStatus, Role, TradingMode
from app.domain.errors import Forbidden, InvalidInput, Unprocessable
from app.extensions import db
from app.models import AuditEvent, Order, Position
from app.services import admin
from app.services.credentials import store_totp_secret
from app.services.platform import platform_settings
from tests.services.pipeline_fixtures import (
    ALPACA_LIVE, MONDAY_OPEN, TOTP_SECRET, alpaca_order_json, live_trader, mock_alpaca_account, quote, trader,
)

PASSWORD = "correct horse battery"


@pytest.fixture
def boss(app):
    user = trader("boss@example.com")
    user.role = Role.ADMIN
    db.session.commit()
    return user


def ready_for_live(user):
    from flask import current_app

    store_totp_secret(user, TOTP_SECRET)
    user.totp_enabled_at = MONDAY_OPEN
    user.risk_disclosure_version = current_app.config["RISK_DISCLOSURE_VERSION"]
    user.risk_disclosure_accepted_at = MONDAY_OPEN
    db.session.commit()


def events(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_an_admin_switches_a_ready_user_to_live_with_password_and_reason(boss):
    user = trader()
    ready_for_live(user)
    admin.switch_mode(boss, user, "live", "passed review", PASSWORD)
    assert user.trading_mode == TradingMode.LIVE
    [event] = events("mode_switched")
    assert (event.actor_id, event.subject_user_id, event.reason) == (boss.id, user.id, "passed review")
    assert (event.before, event.after) == ({"mode": "paper"}, {"mode": "live"})


@pytest.mark.parametrize(
    ("prepare", "args", "error", "code"),
    [
        (ready_for_live, ("live", "", PASSWORD), InvalidInput, "REASON_REQUIRED"),
        (ready_for_live, ("live", "ok", "wrong password"), Unprocessable, "PASSWORD_INCORRECT"),
        (ready_for_live, ("yolo", "ok", PASSWORD), InvalidInput, "INVALID_MODE"),
        (lambda u: None, ("live", "ok", PASSWORD), Unprocessable, "TARGET_NEEDS_2FA"),
    ],
)
def test_refused_switches_say_why_and_change_nothing(boss, prepare, args, error, code):
    user = trader()
    prepare(user)
    with pytest.raises(error) as refused:
        admin.switch_mode(boss, user, *args)
    assert refused.value.code == code
    db.session.rollback()
    assert user.trading_mode == TradingMode.PAPER and events("mode_switched") == []


def test_a_user_without_the_current_disclosure_cannot_go_live(boss):
    user = trader()
    ready_for_live(user)
    user.risk_disclosure_version = "2019-01"
    with pytest.raises(Unprocessable) as refused:
        admin.switch_mode(boss, user, "live", "ok", PASSWORD)
    assert refused.value.code == "TARGET_NEEDS_DISCLOSURE"


def test_an_admin_with_2fa_must_also_give_a_fresh_code(boss):
    ready_for_live(boss)
    user = trader()
    ready_for_live(user)
    with pytest.raises(Unprocessable):
        admin.switch_mode(boss, user, "live", "ok", PASSWORD, totp="000000")
    code = pyotp.TOTP(TOTP_SECRET).now()
    admin.switch_mode(boss, user, "live", "ok", PASSWORD, totp=code)
    with pytest.raises(Unprocessable):
        admin.switch_mode(boss, user, "paper", "back", PASSWORD, totp=code)  # the code worked once


def test_only_admins_act(boss):
    user, other = trader(), trader("other@example.com")
    for action in (lambda: admin.switch_mode(user, other, "live", "x", PASSWORD),
                   lambda: admin.halt_user(user, other, "x"),
                   lambda: admin.set_kill_switch(user, True, "x", password=PASSWORD),
                   lambda: admin.set_limits(user, other, {"max_open_positions": 1})):
        with pytest.raises(Forbidden):
            action()


def test_halt_and_resume_are_audited_and_restore_the_mode(boss):
    user = trader()
    admin.halt_user(boss, user, "margin call")
    assert user.trading_mode == TradingMode.HALTED and user.halted_until is None
    admin.resume_user(boss, user, "resolved")
    assert user.trading_mode == TradingMode.PAPER
    assert [e.action for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))
            if e.action.startswith("trading_")] == ["trading_halted", "trading_resumed"]


def test_set_limits_validates_and_audits(boss):
    user = trader()
    limits = admin.set_limits(boss, user, {"max_open_positions": 3, "max_daily_loss_percent": "2.5"})
    assert limits["max_open_positions"] == 3 and limits["max_daily_loss_percent"] == Decimal("2.5")
    [event] = events("limits_changed")
    assert event.after == {"max_open_positions": "3", "max_daily_loss_percent": "2.5"}
    for bad in ({"max_open_positions": 1.5}, {"max_open_positions": -1}, {"max_daily_loss_percent": 101},
                {"max_open_positions": True}, {"nonsense": 1}, {}, {"min_dte": 30, "max_dte": 10}):
        with pytest.raises(InvalidInput):
            admin.set_limits(boss, user, bad)


def test_set_kyc(boss):
    user = trader()
    admin.set_kyc(boss, user, "verified", "documents checked")
    assert user.kyc_status == KycStatus.VERIFIED
    with pytest.raises(InvalidInput):
        admin.set_kyc(boss, user, "maybe", "x")


def test_the_kill_switch_cancels_open_live_orders_and_flattens_through_the_pipeline(boss, rsps):
    from app.services.order_pipeline import submit_order

    user, connection = live_trader()
    quote("MSFT", bid="89", ask="91", last="90", source="alpaca")
    mock_alpaca_account(rsps, positions=[{"symbol": "AAPL", "qty": "7", "avg_entry_price": "95", "side": "long",
                                          "current_price": "100"}])
    open_order = alpaca_order_json(order_id="open-1", status="new")
    rsps.post(f"{ALPACA_LIVE}/v2/orders", json=open_order)
    resting = submit_order(user, {"symbol": "MSFT", "side": "buy", "quantity": "1", "type": "limit",
                                  "limit_price": "90", "connection_id": connection.id}, source=OrderSource.API,
                           now=MONDAY_OPEN)
    assert resting.order.status == OrderStatus.SUBMITTED
    db.session.add(Position(user_id=user.id, connection_id=connection.id, symbol="AAPL", asset_class="equity",
                            quantity=Decimal("7"), avg_price=Decimal("95"), realized_pnl=Decimal("0")))
    db.session.commit()
    rsps.delete(f"{ALPACA_LIVE}/v2/orders/open-1", status=204)
    rsps.get(f"{ALPACA_LIVE}/v2/orders/open-1", json=alpaca_order_json(order_id="open-1", status="canceled"))
    rsps.post(f"{ALPACA_LIVE}/v2/orders", json=alpaca_order_json(order_id="flat-1", side="sell", qty="7"))

    summary = admin.set_kill_switch(boss, True, "exchange incident", cancel_open_orders=True, flatten=True,
                                    password=PASSWORD, now=MONDAY_OPEN)
    assert platform_settings().kill_switch_engaged
    assert summary["cancelled"] == 1 and summary["flatten_orders"] == 1, summary
    db.session.refresh(resting.order)
    assert resting.order.status == OrderStatus.CANCELLED
    exit_order = db.session.scalar(sa.select(Order).where(Order.source == OrderSource.KILL_SWITCH))
    assert (exit_order.side.value, exit_order.quantity) == ("sell", 7)
    sent = [json.loads(c.request.body) for c in rsps.calls if c.request.method == "POST"]
    assert sent[-1]["side"] == "sell" and sent[-1]["qty"] == "7" and sent[-1]["client_order_id"] == exit_order.client_order_id

    blocked = submit_order(user, {"symbol": "AAPL", "side": "buy", "quantity": "1", "connection_id": connection.id},
                           source=OrderSource.API, now=MONDAY_OPEN)
    assert (blocked.http_status, blocked.code) == (423, "KILL_SWITCH_ENGAGED")
    assert [e.action for e in events("kill_switch_engaged")] == ["kill_switch_engaged"]
    admin.set_kill_switch(boss, False, "incident over", password=PASSWORD)
    assert not platform_settings().kill_switch_engaged and events("kill_switch_released")


def test_the_kill_switch_needs_a_reason_and_the_password(boss):
    with pytest.raises(InvalidInput):
        admin.set_kill_switch(boss, True, "", password=PASSWORD)
    with pytest.raises(Unprocessable):
        admin.set_kill_switch(boss, True, "x", password="nope")
    with pytest.raises(InvalidInput):
        admin.set_kill_switch(boss, "yes", "x", password=PASSWORD)
    assert not platform_settings().kill_switch_engaged
