"""The JSON API: token auth, one error shape, every route's happy, forbidden and bad-input paths."""
import json
import re
import uuid

import pytest
import sqlalchemy as sa

from app.domain.enums import Role
from app.extensions import db
from app.models import Order
from app.services import halts
from app.services.api_tokens import create_token, revoke_token
from tests.factories import DEFAULT_PASSWORD, UserFactory

RESTING = {"symbol": "AAPL", "side": "buy", "quantity": "10", "type": "limit", "limit_price": "50"}


@pytest.fixture
def trader(app):
    user = UserFactory(email="trader@example.com")
    from app.services import accounts

    accounts.create_connection(user, "paper", "paper", "Paper", {})
    token, _ = create_token(user, "tests")
    return user, {"Authorization": f"Bearer {token}"}


@pytest.fixture
def boss(app):
    user = UserFactory(email="boss@example.com", role=Role.ADMIN)
    db.session.commit()
    token, _ = create_token(user, "tests")
    return user, {"Authorization": f"Bearer {token}"}


def error_code(response):
    return response.get_json()["error"]["code"]


# --- authentication -----------------------------------------------------------------------------


def test_requests_without_a_token_are_401_json(client):
    response = client.get("/api/v1/orders")
    assert response.status_code == 401 and error_code(response) == "UNAUTHENTICATED"


def test_unknown_and_revoked_tokens_are_refused(client, trader):
    user, headers = trader
    assert error_code(client.get("/api/v1/orders", headers={"Authorization": "Bearer pc_nope"})) == "INVALID_TOKEN"
    assert client.get("/api/v1/orders", headers=headers).status_code == 200
    from app.models import ApiToken

    revoke_token(user, db.session.scalar(sa.select(ApiToken.id)))
    assert client.get("/api/v1/orders", headers=headers).status_code == 401


def test_tokens_are_stored_hashed(trader):
    from app.models import ApiToken

    _, headers = trader
    token = headers["Authorization"].split()[1]
    assert token not in json.dumps([row.token_hash for row in db.session.scalars(sa.select(ApiToken))])


def test_the_cli_prints_the_token_alone_on_its_last_line(app, runner, client):
    UserFactory(email="script@example.com")
    db.session.commit()
    result = runner.invoke(args=["users", "create-token", "script@example.com", "--name", "bot"])
    token = result.output.strip().splitlines()[-1]
    assert result.exit_code == 0 and re.fullmatch(r"pc_[A-Za-z0-9_-]{40,}", token)
    assert client.get("/api/v1/orders", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert runner.invoke(args=["users", "create-token", "nobody@example.com"]).exit_code != 0


# --- orders ---------------------------------------------------------------------------------------


def test_place_get_list_and_cancel_an_order(client, trader):
    _, headers = trader
    placed = client.post("/api/v1/orders", json=RESTING, headers=headers)
    assert placed.status_code == 201
    order = placed.get_json()["order"]
    assert (order["status"], order["quantity"], order["limit_price"]) == ("submitted", "10", "50")
    assert {c["outcome"] for c in order["checks"]} == {"pass"}
    one = client.get(f"/api/v1/orders/{order['id']}", headers=headers).get_json()["order"]
    assert one["fills"] == [] and one["client_order_id"] == order["client_order_id"]
    listed = client.get("/api/v1/orders?status=submitted", headers=headers).get_json()["orders"]
    assert [o["id"] for o in listed] == [order["id"]]
    cancelled = client.delete(f"/api/v1/orders/{order['id']}", headers=headers)
    assert cancelled.status_code == 200 and cancelled.get_json()["order"]["status"] == "cancelled"
    again = client.delete(f"/api/v1/orders/{order['id']}", headers=headers)
    assert again.status_code == 409 and error_code(again) == "ORDER_NOT_OPEN"


def test_json_numbers_are_read_as_exact_decimals(client, trader):
    _, headers = trader
    body = json.dumps({**RESTING, "quantity": 0.1, "limit_price": 50.07})
    response = client.post("/api/v1/orders", data=body, headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 201
    assert response.get_json()["order"]["quantity"] == "0.1" and response.get_json()["order"]["limit_price"] == "50.07"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("{not json", 400, "INVALID_JSON"),
        ("[1, 2]", 400, "INVALID_BODY"),
        (json.dumps({**RESTING, "quantity": -1}), 400, "NOT_POSITIVE"),
        (json.dumps({**RESTING, "quantity": "NaN"}), 400, "INVALID_NUMBER"),
        (json.dumps({**RESTING, "limit_price": None}), 400, "FIELD_REQUIRED"),
        (json.dumps({**RESTING, "wat": 1}), 400, "UNKNOWN_FIELD"),
        (json.dumps({**RESTING, "side": 7}), 400, "INVALID_CHOICE"),
        (json.dumps({**RESTING, "connection_id": 999999}), 404, "CONNECTION_NOT_FOUND"),
    ],
)
def test_bad_orders_get_a_code_and_store_nothing(client, trader, body, status, code):
    _, headers = trader
    response = client.post("/api/v1/orders", data=body, headers={**headers, "Content-Type": "application/json"})
    assert (response.status_code, error_code(response)) == (status, code)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_denied_duplicate_confirm_and_halted_answers(client, trader):
    user, headers = trader
    assert client.post("/api/v1/orders", json={**RESTING, "client_order_id": "a-1"}, headers=headers).status_code == 201
    duplicate = client.post("/api/v1/orders", json={**RESTING, "client_order_id": "a-1"}, headers=headers)
    assert duplicate.status_code == 409 and duplicate.get_json()["error"]["details"]["order_id"]
    confirm = client.post("/api/v1/orders", json=RESTING, headers=headers)
    assert confirm.status_code == 428 and error_code(confirm) == "CONFIRMATION_REQUIRED"
    denied = client.post("/api/v1/orders", json={**RESTING, "quantity": "1000"}, headers=headers)
    assert denied.status_code == 422 and error_code(denied) == "MAX_ORDER_VALUE"
    denied_codes = {c["code"] for c in denied.get_json()["error"]["checks"] if c["outcome"] == "deny"}
    assert {"MAX_ORDER_VALUE", "MAX_POSITION_SIZE"} <= denied_codes
    assert denied.get_json()["error"]["order_id"]
    halts.halt(user, reason="test", until=None, actor_id=None)
    db.session.commit()
    halted = client.post("/api/v1/orders", json={**RESTING, "quantity": "3"}, headers=headers)
    assert halted.status_code == 423 and error_code(halted) == "TRADING_HALTED"


def test_another_users_orders_are_404(client, trader, app):
    _, headers = trader
    other = UserFactory(email="other@example.com")
    from app.services import accounts

    accounts.create_connection(other, "paper", "paper", "Paper", {})
    other_token, _ = create_token(other, "t")
    order_id = client.post("/api/v1/orders", json=RESTING, headers=headers).get_json()["order"]["id"]
    other_headers = {"Authorization": f"Bearer {other_token}"}
    for response in (client.get(f"/api/v1/orders/{order_id}", headers=other_headers),
                     client.delete(f"/api/v1/orders/{order_id}", headers=other_headers),
                     client.get(f"/api/v1/orders/{order_id + 1000}", headers=other_headers)):
        assert response.status_code == 404 and error_code(response) == "ORDER_NOT_FOUND"
    assert client.get("/api/v1/orders/abc", headers=headers).status_code == 404
    assert client.get("/api/v1/orders?status=bogus", headers=headers).status_code == 400


# --- account, positions, risk, connections ------------------------------------------------------------


def test_account_positions_and_risk(client, trader):
    _, headers = trader
    account = client.get("/api/v1/account", headers=headers).get_json()
    assert (account["mode"], account["halted"], account["currency"], account["equity"]) == ("paper", False, "USD", "100000")
    assert account["day_pnl"] == "0" and account["connection"]["broker"] == "paper"
    assert client.get("/api/v1/positions", headers=headers).get_json() == {"positions": []}
    limits = {row["limit"]: row for row in client.get("/api/v1/risk", headers=headers).get_json()["limits"]}
    assert limits["max_open_positions"] == {"limit": "max_open_positions", "value": 10, "usage": 0}
    assert limits["max_position_size_percent"]["value"] == "2"


def test_connections_never_echo_credentials(client, trader):
    _, headers = trader
    created = client.post("/api/v1/connections", headers=headers, json={
        "broker": "alpaca", "environment": "paper", "label": "A", "credentials": {"key_id": "PK1", "secret_key": "sk-very-secret"}})
    assert created.status_code == 201 and "sk-very-secret" not in created.get_data(as_text=True)
    listed = client.get("/api/v1/connections", headers=headers)
    assert len(listed.get_json()["connections"]) == 2 and "sk-very-secret" not in listed.get_data(as_text=True)
    bad = client.post("/api/v1/connections", headers=headers, json={"broker": "alpaca", "environment": "moon"})
    assert bad.status_code == 400 and error_code(bad) == "UNKNOWN_ENVIRONMENT"
    paper_id = listed.get_json()["connections"][0]["id"]
    tested = client.post(f"/api/v1/connections/{paper_id}/test", headers=headers).get_json()
    assert tested["ok"] is True and tested["buying_power"] == "100000"
    assert client.get("/api/v1/account?connection_id=999999", headers=headers).status_code == 404


# --- admin ----------------------------------------------------------------------------------------


ADMIN_ROUTES = [
    ("get", "/api/v1/admin/users"), ("post", "/api/v1/admin/users/1/mode"), ("put", "/api/v1/admin/users/1/limits"),
    ("post", "/api/v1/admin/users/1/halt"), ("post", "/api/v1/admin/users/1/resume"),
    ("post", "/api/v1/admin/kill-switch"), ("get", "/api/v1/admin/audit"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_traders_never_reach_admin_routes(client, trader, method, path):
    _, headers = trader
    response = getattr(client, method)(path, headers=headers, json={})
    assert response.status_code == 403 and error_code(response) == "ADMIN_REQUIRED"


def test_admin_routes(client, trader, boss):
    user, _ = trader
    _, headers = boss
    users = client.get("/api/v1/admin/users", headers=headers).get_json()["users"]
    assert {u["email"] for u in users} == {"trader@example.com", "boss@example.com"}
    refused = client.post(f"/api/v1/admin/users/{user.id}/mode", headers=headers,
                          json={"mode": "live", "reason": "ok", "password": DEFAULT_PASSWORD})
    assert refused.status_code == 422 and error_code(refused) == "TARGET_NEEDS_2FA"
    limits = client.put(f"/api/v1/admin/users/{user.id}/limits", headers=headers, json={"max_open_positions": 3})
    assert limits.get_json()["limits"]["max_open_positions"] == 3
    bad_limits = client.put(f"/api/v1/admin/users/{user.id}/limits", headers=headers, json={"max_open_positions": -3})
    assert bad_limits.status_code == 400
    halted = client.post(f"/api/v1/admin/users/{user.id}/halt", headers=headers, json={"reason": "review"})
    assert halted.get_json()["user"]["halted"] is True
    assert client.post(f"/api/v1/admin/users/{user.id}/resume", headers=headers, json={"reason": "done"}).status_code == 200
    switch = client.post("/api/v1/admin/kill-switch", headers=headers,
                         json={"engaged": True, "reason": "drill", "password": DEFAULT_PASSWORD})
    assert switch.get_json()["engaged"] is True
    audit = client.get(f"/api/v1/admin/audit?user_id={user.id}&action=trading_halted", headers=headers).get_json()
    assert [e["action"] for e in audit["events"]] == ["trading_halted"]
    assert client.get("/api/v1/admin/audit?limit=9999", headers=headers).status_code == 400
    assert client.post("/api/v1/admin/users/999999/halt", headers=headers, json={"reason": "x"}).status_code == 404


# --- CSRF and rate limits -----------------------------------------------------------------------------


def test_session_writes_need_csrf_but_token_writes_do_not(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        user = UserFactory(email="s@example.com")
        from app.services import accounts

        accounts.create_connection(user, "paper", "paper", "Paper", {})
        token, _ = create_token(user, "t")
    page = client.get("/auth/login").get_data(as_text=True)
    csrf_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/auth/login", data={"csrf_token": csrf_token, "email": "s@example.com", "password": DEFAULT_PASSWORD})
    forged = client.post("/api/v1/orders", json=RESTING)
    assert forged.status_code == 400 and error_code(forged) == "CSRF_FAILED"
    with_token = app.test_client().post("/api/v1/orders", json=RESTING, headers={"Authorization": f"Bearer {token}"})
    assert with_token.status_code == 201


def test_order_submissions_are_rate_limited(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_KEY_PREFIX=f"t-{uuid.uuid4().hex}", API_ORDER_RATE_LIMIT="2 per minute")
    client = app.test_client()
    with app.app_context():
        user = UserFactory(email="r@example.com")
        from app.services import accounts

        accounts.create_connection(user, "paper", "paper", "Paper", {})
        token, _ = create_token(user, "t")
    headers = {"Authorization": f"Bearer {token}"}
    statuses = [client.post("/api/v1/orders", json={**RESTING, "quantity": str(n + 1)}, headers=headers).status_code
                for n in range(3)]
    assert statuses == [201, 201, 429]
    assert error_code(client.post("/api/v1/orders", json=RESTING, headers=headers)) == "RATE_LIMITED"
