"""Every page: it renders, it needs a session, admins only where it says so, nobody else's ids, bad input refused."""
import re

import pytest
import sqlalchemy as sa

from app.domain.enums import Role
from app.extensions import db
from app.models import ApiToken, BrokerConnection, ComplianceFlag, Order, Position
from app.services import accounts
from tests.factories import DEFAULT_PASSWORD, UserFactory

TRADER_PAGES = ["/", "/order", "/connections", "/performance", "/settings", "/settings/2fa"]
ADMIN_PAGES = ["/admin/", "/admin/users/{user}", "/admin/kill-switch", "/admin/compliance", "/admin/audit",
               "/admin/health"]


@pytest.fixture
def people(app):
    trader = UserFactory(email="trader@example.com")
    boss = UserFactory(email="boss@example.com", role=Role.ADMIN)
    for user in (trader, boss):
        accounts.create_connection(user, "paper", "paper", "Paper", {})
    return trader, boss


def sign_in(app, email):
    client = app.test_client()
    client.post("/auth/login", data={"email": email, "password": DEFAULT_PASSWORD})
    return client


@pytest.mark.parametrize("path", TRADER_PAGES + ADMIN_PAGES)
def test_every_page_needs_a_session(client, people, path):
    response = client.get(path.format(user=people[0].id))
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("path", TRADER_PAGES)
def test_trader_pages_render(app, people, path):
    response = sign_in(app, "trader@example.com").get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_render_for_admins_and_403_for_traders(app, people, path):
    url = path.format(user=people[0].id)
    assert sign_in(app, "boss@example.com").get(url).status_code == 200
    forbidden = sign_in(app, "trader@example.com").get(url)
    assert forbidden.status_code == 403 and "trader@example.com" not in forbidden.get_data(as_text=True).split("</header>")[1]


@pytest.mark.parametrize(
    "path",
    ["/admin/users/{user}/mode", "/admin/users/{user}/halt", "/admin/users/{user}/resume", "/admin/users/{user}/kyc",
     "/admin/users/{user}/limits", "/admin/kill-switch", "/admin/compliance/1"],
)
def test_traders_cannot_post_to_admin_routes(app, people, path):
    response = sign_in(app, "trader@example.com").post(path.format(user=people[0].id), data={"reason": "x"})
    assert response.status_code == 403


def test_the_dashboard_shows_the_mode_money_and_an_empty_state(app, people):
    page = sign_in(app, "trader@example.com").get("/").get_data(as_text=True)
    assert 'data-testid="mode-badge"' in page and "PAPER" in page
    assert "100,000.00 USD" in page and "No open positions." in page


def test_the_order_ticket_previews_without_placing(app, people):
    client = sign_in(app, "trader@example.com")
    connection_id = db.session.scalar(sa.select(BrokerConnection.id).where(BrokerConnection.user_id == people[0].id))
    form = {"connection_id": connection_id, "symbol": "AAPL", "side": "buy", "quantity": "5", "type": "limit",
            "limit_price": "50", "time_in_force": "day"}
    preview = client.post("/order", data={**form, "action": "preview"})
    assert preview.status_code == 200 and "every check passes" in preview.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    placed = client.post("/order", data={**form, "action": "place"})
    assert placed.status_code == 302
    assert db.session.scalar(sa.select(Order.status)).value == "submitted"


def test_a_denied_order_shows_each_failed_check(app, people):
    client = sign_in(app, "trader@example.com")
    connection_id = db.session.scalar(sa.select(BrokerConnection.id).where(BrokerConnection.user_id == people[0].id))
    response = client.post("/order", data={"connection_id": connection_id, "symbol": "AAPL", "side": "buy",
                                           "quantity": "1000", "type": "limit", "limit_price": "50",
                                           "time_in_force": "day", "action": "place"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-code="MAX_ORDER_VALUE"' in page and 'data-code="MAX_POSITION_SIZE"' in page


@pytest.mark.parametrize("quantity", ["", "-1", "abc", "1e99"])
def test_bad_order_input_is_refused_on_the_form(app, people, quantity):
    client = sign_in(app, "trader@example.com")
    connection_id = db.session.scalar(sa.select(BrokerConnection.id).where(BrokerConnection.user_id == people[0].id))
    response = client.post("/order", data={"connection_id": connection_id, "symbol": "AAPL", "side": "buy",
                                           "quantity": quantity, "type": "market", "time_in_force": "day",
                                           "action": "place"})
    assert response.status_code in (400, 422)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_another_users_things_are_not_reachable(app, people):
    trader, boss = people
    other = UserFactory(email="other@example.com")
    connection = accounts.create_connection(other, "alpaca", "paper", "Theirs", {"key_id": "PK1", "secret_key": "s1"})
    position = Position(user_id=other.id, connection_id=connection.id, symbol="AAPL", asset_class="equity",
                        quantity=1, avg_price=1, realized_pnl=0)
    db.session.add(position)
    db.session.commit()
    client = sign_in(app, "trader@example.com")
    assert client.get(f"/?connection_id={connection.id}").status_code == 404
    assert client.post(f"/connections/{connection.id}/remove").status_code == 404
    assert db.session.get(BrokerConnection, connection.id) is not None
    client.post(f"/positions/{position.id}/exits", data={"stop_loss": "0.5"})
    db.session.refresh(position)
    assert position.stop_loss is None


def test_connections_add_test_and_remove_without_showing_keys(app, people):
    client = sign_in(app, "trader@example.com")
    added = client.post("/connections", data={"broker": "alpaca", "environment": "paper", "label": "Mine",
                                              "key": "PKEY123", "secret": "very-secret-key"})
    assert added.status_code == 302
    page = client.get("/connections").get_data(as_text=True)
    assert "Mine" in page and "very-secret-key" not in page
    bad = client.post("/connections", data={"broker": "alpaca", "environment": "sandbox", "key": "k"})
    assert bad.status_code == 422
    connection_id = db.session.scalar(sa.select(BrokerConnection.id).where(BrokerConnection.label == "Mine"))
    client.post(f"/connections/{connection_id}/remove")
    assert db.session.get(BrokerConnection, connection_id) is None


def test_two_factor_enrolment_with_a_real_code(app, people):
    import pyotp

    client = sign_in(app, "trader@example.com")
    page = client.get("/settings/2fa").get_data(as_text=True)
    assert "<svg" in page
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    wrong = client.post("/settings/2fa", data={"code": "000000"})
    assert wrong.status_code == 422
    assert client.post("/settings/2fa", data={"code": pyotp.TOTP(secret).now()}).status_code == 302
    db.session.refresh(people[0])
    assert people[0].has_2fa and secret not in (people[0].totp_secret_encrypted or "")


def test_tokens_are_shown_once_and_revocable(app, people):
    client = sign_in(app, "trader@example.com")
    created = client.post("/settings/tokens", data={"name": "bot"})
    assert created.status_code == 201
    token = re.search(r"<code>(pc_[^<]+)</code>", created.get_data(as_text=True)).group(1)
    assert token not in created.headers.get("Set-Cookie", "")
    assert token not in client.get("/settings").get_data(as_text=True)
    token_id = db.session.scalar(sa.select(ApiToken.id))
    client.post(f"/settings/tokens/{token_id}/revoke")
    assert app.test_client().get("/api/v1/orders", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_personal_limits_only_tighten(app, people):
    client = sign_in(app, "trader@example.com")
    client.post("/settings/limits", data={"max_open_positions": "3"})
    client.post("/settings/limits", data={"max_open_positions": "50"})
    from app.models import RiskLimits

    assert db.session.scalar(sa.select(RiskLimits.max_open_positions).where(RiskLimits.user_id == people[0].id)) == 3


def test_admin_closes_a_compliance_flag(app, people):
    trader, _ = people
    flag = ComplianceFlag(user_id=trader.id, code="LARGE_TRANSACTION", details={"value": "60000"})
    db.session.add(flag)
    db.session.commit()
    client = sign_in(app, "boss@example.com")
    assert "LARGE_TRANSACTION" in client.get("/admin/compliance").get_data(as_text=True)
    client.post(f"/admin/compliance/{flag.id}", data={"outcome": "dismissed", "note": "client is a fund"})
    db.session.refresh(flag)
    assert flag.status.value == "dismissed" and flag.resolution_note == "client is a fund"


@pytest.mark.parametrize(
    "route",
    ["/orders/{order}/cancel", "/positions/{position}/exits", "/connections/{connection}/test",
     "/connections/{connection}/remove", "/connections/{connection}/kite-login", "/settings/tokens/{token}/revoke"],
)
def test_actions_on_another_users_ids_answer_404_and_change_nothing(app, people, route):
    from app.services.api_tokens import create_token
    from app.services.order_pipeline import submit_order
    from app.domain.enums import OrderSource

    other = UserFactory(email="other@example.com")
    connection = accounts.create_connection(other, "zerodha", "live", "Theirs", {"api_key": "k1234", "api_secret": "s1234"})
    order = submit_order(other, {"symbol": "AAPL", "side": "buy", "quantity": "1", "type": "limit", "limit_price": "5"},
                         source=OrderSource.API).order
    position = Position(user_id=other.id, connection_id=connection.id, symbol="MSFT", asset_class="equity",
                        quantity=1, avg_price=1, realized_pnl=0)
    db.session.add(position)
    _, token = create_token(other, "theirs")
    db.session.commit()
    ids = {"order": order.id, "position": position.id, "connection": connection.id, "token": token.id}
    response = sign_in(app, "trader@example.com").post(route.format(**ids), data={"stop_loss": "1"})
    assert response.status_code == 404
    assert "Theirs" not in response.get_data(as_text=True) and "MSFT" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(BrokerConnection, connection.id) is not None
    assert db.session.get(Order, order.id).status.value == "submitted"
    assert db.session.get(ApiToken, token.id).revoked_at is None
    assert db.session.get(Position, position.id).stop_loss is None


def test_alert_channels_are_added_listed_and_removed_without_showing_secrets(app, people):
    from app.models import NotificationChannel

    client = sign_in(app, "trader@example.com")
    webhook = "https://hooks.slack.com/services/T000/B000/secretsecretsecret"
    client.post("/settings/channels", data={"kind": "slack", "label": "Desk", "webhook_url": webhook,
                                            "events": ["trading_halted", "live_order_filled"]})
    page = client.get("/settings").get_data(as_text=True)
    assert "Desk (slack)" in page and "trading_halted, live_order_filled" in page and webhook not in page
    refused = client.post("/settings/channels", data={"kind": "slack", "webhook_url": "https://evil.example/x",
                                                      "events": ["trading_halted"]}, follow_redirects=True)
    assert "hooks.slack.com" in refused.get_data(as_text=True)
    channel_id = db.session.scalar(sa.select(NotificationChannel.id))
    assert sign_in(app, "boss@example.com").post(f"/settings/channels/{channel_id}/remove").status_code == 404
    client.post(f"/settings/channels/{channel_id}/remove")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NotificationChannel)) == 0
