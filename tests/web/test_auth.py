"""Register, log in, log out, change password: the happy paths, the refusals and bad input."""
import uuid

import pytest
import sqlalchemy as sa

from app.domain.enums import BrokerName, TradingMode
from app.extensions import db
from app.models import AuditEvent, BrokerConnection, RiskLimits, User
from tests.factories import DEFAULT_PASSWORD, UserFactory

PASSWORD = DEFAULT_PASSWORD


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_register_creates_a_paper_trader_and_signs_in(client, auth):
    response = auth.register(email="  New.Trader@Example.COM ")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    user = db.session.scalar(sa.select(User))
    assert user.email == "new.trader@example.com"
    assert user.trading_mode == TradingMode.PAPER
    assert user.password_hash.startswith("scrypt:")
    assert db.session.scalar(sa.select(RiskLimits.user_id)) == user.id
    assert db.session.scalar(sa.select(BrokerConnection.broker)) == BrokerName.PAPER
    assert "PAPER" in client.get("/").get_data(as_text=True)


LONG = "a" * 250 + "@example.com"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"email": "", "password": PASSWORD, "confirm": PASSWORD}, "This field is required."),
        ({"password": PASSWORD, "confirm": PASSWORD}, "This field is required."),
        ({"email": LONG, "password": PASSWORD, "confirm": PASSWORD}, "at most 254"),
        ({"email": "not-an-email", "password": PASSWORD, "confirm": PASSWORD}, "Enter a valid email address"),
        ({"email": "a@example.com", "password": "short", "confirm": "short"}, "between 10 and 128"),
        ({"email": "a@example.com", "password": "x" * 129, "confirm": "x" * 129}, "between 10 and 128"),
        ({"email": "a@example.com", "password": PASSWORD, "confirm": PASSWORD + "!"}, "Passwords must match."),
        ({"email": "a@example.com", "password": "", "confirm": ""}, "This field is required."),
    ],
)
def test_register_refuses_bad_input_and_writes_nothing(client, form, message):
    response = client.post("/auth/register", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(User) == 0 and count(BrokerConnection) == 0


def test_register_refuses_an_email_taken_in_another_case(client, auth):
    UserFactory(email="taken@example.com")
    db.session.commit()
    response = auth.register(email="TAKEN@Example.com")
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    assert count(User) == 1


def test_login_and_logout(client, auth):
    UserFactory(email="trader@example.com")
    db.session.commit()
    assert auth.login().headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/").headers["Location"].startswith("/auth/login")


def test_pages_need_a_session(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login?next=%2F"


def test_unknown_email_and_wrong_password_answer_the_same(client, auth):
    UserFactory(email="trader@example.com")
    db.session.commit()
    unknown = auth.login(email="nobody@example.com")
    wrong = auth.login(password="wrong password!")
    assert unknown.status_code == wrong.status_code == 422
    assert "Invalid email or password." in unknown.get_data(as_text=True)
    assert "Invalid email or password." in wrong.get_data(as_text=True)
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert actions.count("login_failed") == 2


@pytest.mark.parametrize(
    "form",
    [{"email": "", "password": ""}, {"email": "x" * 300, "password": PASSWORD}, {"password": PASSWORD}, {}],
)
def test_login_refuses_malformed_input(client, form):
    response = client.post("/auth/login", data=form)
    assert response.status_code == 422
    assert count(AuditEvent) == 0


def test_failed_logins_are_counted_and_lock_the_account(app, client, auth):
    user = UserFactory(email="trader@example.com")
    db.session.commit()
    threshold = app.config["LOGIN_LOCKOUT_THRESHOLD"]
    for _ in range(threshold):
        auth.login(password="wrong password!")
    db.session.refresh(user)
    assert user.failed_login_count == threshold
    assert user.locked_until is not None
    # Even the right password is refused while locked, with the same message.
    response = auth.login()
    assert response.status_code == 422
    assert "Invalid email or password." in response.get_data(as_text=True)


def test_a_good_login_resets_the_failure_count(client, auth):
    user = UserFactory(email="trader@example.com")
    db.session.commit()
    auth.login(password="wrong password!")
    auth.login()
    db.session.refresh(user)
    assert user.failed_login_count == 0 and user.last_login_at is not None


def test_login_never_redirects_off_site(client):
    UserFactory(email="trader@example.com")
    db.session.commit()
    response = client.post(
        "/auth/login?next=//evil.example/steal", data={"email": "trader@example.com", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


def _session_cookie(client):
    return client.get_cookie("session").value


def test_a_session_cookie_replayed_after_logout_is_signed_out(app, client, auth):
    UserFactory(email="trader@example.com")
    db.session.commit()
    auth.login()
    stolen = _session_cookie(client)
    auth.logout()

    attacker = app.test_client()
    attacker.set_cookie("session", stolen)
    assert attacker.get("/").status_code == 302


def test_a_remember_cookie_replayed_after_logout_is_signed_out(app, client, auth):
    UserFactory(email="trader@example.com")
    db.session.commit()
    auth.login(remember=True)
    remember = client.get_cookie("remember_token").value
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember)
    assert fresh.get("/").status_code == 200  # the cookie works until logout...
    auth.logout()
    replay = app.test_client()
    replay.set_cookie("remember_token", remember)
    assert replay.get("/").status_code == 302  # ...and never after


def test_a_changed_user_agent_drops_the_session(app, client, auth):
    UserFactory(email="trader@example.com")
    db.session.commit()
    auth.login()
    assert client.get("/", headers={"User-Agent": "another browser"}).status_code == 302


def test_change_password_signs_out_other_devices_but_not_this_one(app, client, auth):
    UserFactory(email="trader@example.com")
    db.session.commit()
    other_device = app.test_client()
    other_device.post("/auth/login", data={"email": "trader@example.com", "password": PASSWORD})
    auth.login()

    response = client.post(
        "/auth/password",
        data={"current_password": PASSWORD, "new_password": "a brand new passphrase", "confirm": "a brand new passphrase"},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other_device.get("/").status_code == 302
    auth.logout()
    assert auth.login(password="a brand new passphrase").status_code == 302


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"current_password": "wrong password!", "new_password": "a brand new passphrase", "confirm": "a brand new passphrase"}, "not correct"),
        ({"current_password": PASSWORD, "new_password": "short", "confirm": "short"}, "between 10 and 128"),
        ({"current_password": PASSWORD, "new_password": PASSWORD, "confirm": PASSWORD}, "different from the current"),
        ({"current_password": PASSWORD, "new_password": "a brand new passphrase", "confirm": "something else"}, "must match"),
        ({"current_password": "", "new_password": "", "confirm": ""}, "This field is required."),
    ],
)
def test_change_password_refuses_bad_input_and_keeps_the_old_password(client, auth, form, message):
    user = UserFactory(email="trader@example.com")
    db.session.commit()
    old_hash = user.password_hash
    auth.login()
    response = client.post("/auth/password", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_change_password_needs_a_session(client):
    assert client.get("/auth/password").status_code == 302


def test_a_post_without_a_csrf_token_is_refused(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        response = client.post(
            "/auth/register", data={"email": "a@example.com", "password": PASSWORD, "confirm": PASSWORD}
        )
        assert response.status_code == 400
        assert "form expired or was not sent by this site" in response.get_data(as_text=True)
        assert count(User) == 0


def test_a_post_with_the_forms_csrf_token_is_accepted(app_factory):
    import re

    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/auth/register").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    with app.app_context():
        response = client.post(
            "/auth/register",
            data={"csrf_token": token, "email": "a@example.com", "password": PASSWORD, "confirm": PASSWORD},
        )
        assert response.status_code == 302
        assert count(User) == 1


def _limited_app(app_factory, storage="memory://"):
    return app_factory(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=storage,
        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
        LOGIN_RATE_LIMIT="5 per minute",
    )


def test_login_rate_limit_trips_per_client(app_factory):
    client = _limited_app(app_factory).test_client()
    statuses = [
        client.post("/auth/login", data={"email": f"u{i}@example.com", "password": "wrong password!"}).status_code
        for i in range(6)
    ]
    assert statuses == [422] * 5 + [429]


def test_login_rate_limit_trips_per_account_across_addresses(app_factory):
    client = _limited_app(app_factory).test_client()
    statuses = [
        client.post(
            "/auth/login",
            data={"email": "target@example.com", "password": "wrong password!"},
            environ_base={"REMOTE_ADDR": f"198.51.100.{i}"},
        ).status_code
        for i in range(6)
    ]
    assert statuses == [422] * 5 + [429]


def _redis_url():
    import os

    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return None
    return url


def test_login_rate_limit_is_shared_across_workers_through_redis(app_factory):
    url = _redis_url()
    if url is None:
        pytest.skip("no Redis reachable at TEST_REDIS_URL")
    prefix = f"test-{uuid.uuid4().hex}"
    settings = dict(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=url, RATELIMIT_KEY_PREFIX=prefix, LOGIN_RATE_LIMIT="5 per minute"
    )
    workers = [app_factory(**settings).test_client(), app_factory(**settings).test_client()]
    statuses = [
        workers[i % 2].post("/auth/login", data={"email": "t@example.com", "password": "wrong password!"}).status_code
        for i in range(6)
    ]
    assert statuses == [422] * 5 + [429]
