"""Zerodha's daily login through the connection service."""
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from responses import matchers

from app.domain.enums import ConnectionStatus
from app.domain.errors import InvalidInput, Unprocessable
from app.extensions import db
from app.services import accounts, kite_login
from app.services.credentials import read_connection_credentials
from tests.factories import UserFactory

API_KEY, API_SECRET = "kiteapikey01", "kitesecretvalue01"


@pytest.fixture
def connection(app):
    return accounts.create_connection(UserFactory(), "zerodha", "live", "Kite", {"api_key": API_KEY, "api_secret": API_SECRET})


def test_login_url_names_the_api_key(connection):
    url = urlsplit(kite_login.login_url(connection))
    assert (url.scheme, url.netloc, url.path) == ("https", "kite.zerodha.com", "/connect/login")
    assert parse_qs(url.query) == {"v": ["3"], "api_key": [API_KEY]}


def test_completing_the_login_stores_the_session_and_activates_the_connection(connection):
    checksum = hashlib.sha256(f"{API_KEY}reqtoken123{API_SECRET}".encode()).hexdigest()
    with responses.RequestsMock() as rsps:
        rsps.post(
            "https://api.kite.trade/session/token",
            match=[matchers.urlencoded_params_matcher(
                {"api_key": API_KEY, "request_token": "reqtoken123", "checksum": checksum})],
            json={"status": "success", "data": {"access_token": "accesstoken789", "user_id": "AB1234",
                                                "user_name": "A Trader", "login_time": "2026-03-02 09:01:02"}},
        )
        kite_login.complete_login(connection, "reqtoken123", actor_id=connection.user_id)
    db.session.expire_all()
    assert connection.status == ConnectionStatus.ACTIVE
    secrets = read_connection_credentials(connection)
    assert secrets["access_token"] == "accesstoken789" and secrets["user_id"] == "AB1234"
    assert "accesstoken789" not in connection.credentials_encrypted


def test_a_refused_login_keeps_the_connection_waiting_for_login(connection):
    with responses.RequestsMock() as rsps:
        rsps.post("https://api.kite.trade/session/token", status=403,
                  json={"status": "error", "message": "Invalid `checksum`.", "data": None,
                        "error_type": "TokenException"})
        with pytest.raises(Unprocessable) as refused:
            kite_login.complete_login(connection, "reqtoken123", actor_id=connection.user_id)
    assert refused.value.code == "BROKER_AUTH_FAILED" and "checksum" in refused.value.message
    db.session.expire_all()
    assert connection.status == ConnectionStatus.NEEDS_LOGIN
    assert "checksum" in connection.last_error and API_SECRET not in connection.last_error


@pytest.mark.parametrize("token", ["", None, "has spaces", "x" * 129, 42, "tok;en"])
def test_a_garbled_request_token_is_refused_without_a_call(connection, token):
    with responses.RequestsMock():
        with pytest.raises(InvalidInput):
            kite_login.complete_login(connection, token, actor_id=connection.user_id)


def test_other_brokers_have_no_kite_login(app):
    alpaca = accounts.create_connection(UserFactory(), "alpaca", "paper", "A", {"key_id": "PK1", "secret_key": "sk1"})
    with pytest.raises(InvalidInput):
        kite_login.login_url(alpaca)
