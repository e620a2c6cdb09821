"""Zerodha's daily login: send the user to Kite, exchange the request token it returns for a session."""
from __future__ import annotations

from app.brokers.base import BrokerError
from app.domain.enums import BrokerName
from app.domain.errors import InvalidInput, Unprocessable
from app.extensions import db
from app.models import BrokerConnection
from app.services.accounts import adapter_for, note_broker_error, note_broker_success, update_credentials


def _kite_adapter(connection: BrokerConnection):
    if connection.broker != BrokerName.ZERODHA:
        raise InvalidInput("NOT_A_KITE_CONNECTION", "Only Zerodha connections log in through Kite.")
    return adapter_for(connection)


def login_url(connection: BrokerConnection, redirect_params: dict | None = None) -> str:
    """Where to send the user to log in to Kite with this connection's API key."""
    return _kite_adapter(connection).login_url(redirect_params)


def complete_login(connection: BrokerConnection, request_token: object, actor_id: int) -> None:
    """Exchange Kite's request token for the day's access token and store it; commits either way."""
    if not isinstance(request_token, str) or not request_token.isalnum() or len(request_token) > 128:
        raise InvalidInput("REQUEST_TOKEN_INVALID", "Kite did not return a usable request token.")
    try:
        session = _kite_adapter(connection).complete_login(request_token)
    except BrokerError as error:
        note_broker_error(connection, error)
        db.session.commit()
        raise Unprocessable(error.code, f"Kite refused the login: {error.message}") from None
    update_credentials(
        connection, {"access_token": session["access_token"], "user_id": session["user_id"]}, actor_id=actor_id
    )
    note_broker_success(connection)
    db.session.commit()
