"""Alerts: each channel's request on the wire, retries and exactly-once delivery, and trading never waits on them."""
import json
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa
from responses import matchers

from app.domain.enums import OrderSource, OrderStatus
from app.domain.errors import InvalidInput
from app.extensions import db
from app.models import NotificationChannel, OutboxMessage
from app.services.channels import senders
from app.services.notifications import add_channel, deliver_pending, notify
from app.services.order_pipeline import submit_order
from tests.factories import UserFactory
from tests.services.pipeline_fixtures import ALPACA_LIVE, MONDAY_OPEN, alpaca_order_json, live_trader, mock_alpaca_account

TOKEN = "123456789:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-ra"
SLACK = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
DISCORD = "https://discord.com/api/webhooks/123/abcdefghijklmnop"


def pending():
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.status == "pending")).all()


def test_telegram_sends_message_to_the_chat(app, rsps):
    user = UserFactory()
    add_channel(user, "telegram", "Phone", {"bot_token": TOKEN, "chat_id": "-1001234"}, ["trading_halted"])
    notify("trading_halted", "Trading halted", "DAILY_LOSS_LIMIT", user_id=user.id, dedupe_key="h1")
    db.session.commit()
    sent = rsps.post(f"https://api.telegram.org/bot{TOKEN}/sendMessage", json={"ok": True, "result": {}}, match=[
        matchers.json_params_matcher({"chat_id": "-1001234", "text": "Trading halted\nDAILY_LOSS_LIMIT",
                                      "disable_web_page_preview": True})])
    assert deliver_pending().sent == 1 and len(sent.calls) == 1


@pytest.mark.parametrize(("kind", "url", "payload"), [
    ("slack", SLACK, {"text": "*Kill switch ENGAGED*\ndrill"}),
    ("discord", DISCORD, {"content": "**Kill switch ENGAGED**\ndrill"}),
])
def test_webhooks_post_their_json(app, rsps, kind, url, payload):
    user = UserFactory()
    add_channel(user, kind, "Team", {"webhook_url": url}, ["kill_switch"])
    notify("kill_switch", "Kill switch ENGAGED", "drill", user_id=user.id, dedupe_key="k1")
    db.session.commit()
    hook = rsps.post(url, status=204 if kind == "discord" else 200, match=[matchers.json_params_matcher(payload)])
    assert deliver_pending().sent == 1 and len(hook.calls) == 1


def test_email_goes_through_the_platform_smtp_server(app_factory, monkeypatch):
    delivered = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            delivered.append(("connect", host, port, timeout))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            delivered.append(("starttls",))

        def login(self, user, password):
            delivered.append(("login", user))

        def send_message(self, message):
            delivered.append(("message", message["To"], message["Subject"], message.get_content().strip()))

    monkeypatch.setattr(senders.smtplib, "SMTP", FakeSMTP)
    smtp = {"host": "smtp.example.com", "port": 587, "username": "alerts", "password": "pw", "sender": "a@example.com",
            "starttls": True}
    app = app_factory(SMTP=smtp)
    with app.app_context():
        user = UserFactory()
        add_channel(user, "email", "Inbox", {"address": "Trader@Example.com"}, ["failed_logins"])
        notify("failed_logins", "5 failed logins", "If this was not you...", user_id=user.id, dedupe_key="f1")
        db.session.commit()
        assert deliver_pending().sent == 1
    assert delivered == [("connect", "smtp.example.com", 587, 10.0), ("starttls",), ("login", "alerts"),
                         ("message", "Trader@example.com", "[Portcullis] 5 failed logins", "If this was not you...")]


def test_retries_back_off_and_each_alert_is_sent_once_across_a_restart(app_factory, rsps):
    app = app_factory()
    with app.app_context():
        user = UserFactory()
        add_channel(user, "slack", "Team", {"webhook_url": SLACK}, ["trading_halted"])
        for n in range(3):
            notify("trading_halted", f"alert {n}", "body", user_id=user.id, dedupe_key=f"a{n}", now=MONDAY_OPEN)
        notify("trading_halted", "alert 0", "body", user_id=user.id, dedupe_key="a0", now=MONDAY_OPEN)  # seen again
        db.session.commit()
        received, failed_once = [], set()

        def slack(request):
            text = json.loads(request.body)["text"]
            if text.startswith("*alert 1*") and text not in failed_once:
                failed_once.add(text)  # Slack fails the first try of alert 1
                return 500, {}, "server error"
            received.append(text)
            return 200, {}, "ok"

        rsps.add_callback("POST", SLACK, callback=slack)
        first = deliver_pending(now=MONDAY_OPEN)
        assert (first.sent, first.retried) == (2, 1)
    # A restart: a new app and session pick up what is left, when it is due and not before.
    restarted = app_factory()
    with restarted.app_context():
        assert deliver_pending(now=MONDAY_OPEN + timedelta(seconds=10)).sent == 0
        assert deliver_pending(now=MONDAY_OPEN + timedelta(seconds=31)).sent == 1
        assert deliver_pending(now=MONDAY_OPEN + timedelta(hours=1)).sent == 0
    assert sorted(received) == ["*alert 0*\nbody", "*alert 1*\nbody", "*alert 2*\nbody"]


def test_a_failing_channel_never_affects_an_order_and_is_marked_failing(app_factory, rsps):
    app = app_factory(NOTIFY_FAILING_AFTER=2)
    with app.app_context():
        user, connection = live_trader()
        channel = add_channel(user, "slack", "Team", {"webhook_url": SLACK}, ["live_order_placed"])
        mock_alpaca_account(rsps)
        rsps.post(f"{ALPACA_LIVE}/v2/orders", json=alpaca_order_json())
        rsps.post(SLACK, body=requests.ConnectionError("slack is down"))
        result = submit_order(user, {"symbol": "AAPL", "side": "buy", "quantity": "10", "connection_id": connection.id},
                              source=OrderSource.API, now=MONDAY_OPEN)
        assert result.accepted and result.order.status == OrderStatus.SUBMITTED
        assert [m.event for m in pending()] == ["live_order_placed"]
        queued_at = pending()[0].next_attempt_at
        deliver_pending(now=queued_at)
        deliver_pending(now=queued_at + timedelta(minutes=5))
        db.session.refresh(channel)
        assert channel.status == "failing" and "could not reach" in channel.last_error


def test_each_user_chooses_their_events(app):
    user = UserFactory()
    add_channel(user, "slack", "Halts only", {"webhook_url": SLACK}, ["trading_halted"])
    assert notify("live_order_placed", "s", "b", user_id=user.id, dedupe_key="x") == 0
    assert notify("trading_halted", "s", "b", user_id=user.id, dedupe_key="y") == 1
    other = UserFactory()
    assert notify("trading_halted", "s", "b", user_id=other.id, dedupe_key="z") == 0


def test_operators_hear_platform_events_from_the_environment(app_factory):
    app = app_factory(OPS_CHANNELS={"slack": {"webhook_url": SLACK}})
    with app.app_context():
        assert notify("data_feed_degraded", "s", "b", dedupe_key="d1") == 1
        assert notify("mode_switched", "s", "b", dedupe_key="d2") == 0  # a user's own business
        assert db.session.scalar(sa.select(OutboxMessage.destination)) == "ops:slack"


@pytest.mark.parametrize(("kind", "settings"), [
    ("slack", {"webhook_url": "https://evil.example/hook"}),
    ("slack", {"webhook_url": "http://hooks.slack.com/services/x"}),
    ("discord", {"webhook_url": "https://hooks.slack.com/services/x"}),
    ("telegram", {"bot_token": "nope", "chat_id": "1"}),
    ("telegram", {"bot_token": TOKEN, "chat_id": "drop table"}),
    ("email", {"address": "not-an-address"}),
    ("pager", {}),
])
def test_bad_channels_are_refused_and_nothing_is_stored(app, kind, settings):
    user = UserFactory()
    with pytest.raises(InvalidInput):
        add_channel(user, kind, "x", settings, ["kill_switch"])
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NotificationChannel)) == 0


def test_channel_secrets_are_encrypted_and_rotated(app_factory, rsps):
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with app_factory(ENCRYPTION_KEYS=[old]).app_context():
        channel = add_channel(UserFactory(), "slack", "Team", {"webhook_url": SLACK}, ["kill_switch"])
        assert SLACK not in channel.secrets_encrypted
    assert "re-encrypted 1 secrets" in app_factory(ENCRYPTION_KEYS=[new, old]).test_cli_runner().invoke(
        args=["rotate-keys"]).output
    with app_factory(ENCRYPTION_KEYS=[new]).app_context():
        notify("kill_switch", "s", "b", user_id=db.session.scalar(sa.select(NotificationChannel.user_id)),
               dedupe_key="r")
        db.session.commit()
        hook = rsps.post(SLACK, body="ok")
        assert deliver_pending().sent == 1 and len(hook.calls) == 1  # the new key alone opens the rotated secret
