"""Testing a broker connection with read-only calls, and saying precisely what is wrong."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

from app.brokers.base import (
    AuthError,
    BrokerError,
    BrokerUnavailable,
    MalformedResponse,
    RateLimited,
)
from app.brokers.registry import other_environment
from app.extensions import db
from app.models import BrokerConnection
from app.services.accounts import adapter_for, note_broker_error, note_broker_success


@dataclass(frozen=True)
class ConnectionCheck:
    """The outcome of a test: the account's essentials, or a code and message saying what failed."""

    ok: bool
    code: str
    message: str
    account_id: str | None = None
    currency: str | None = None
    buying_power: Decimal | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _credentials_work_in(connection: BrokerConnection, environment: str) -> bool:
    try:
        adapter_for(connection, environment=environment).get_account()
    except BrokerError:
        return False
    return True


def check_connection(connection: BrokerConnection) -> ConnectionCheck:
    """Call the account and positions endpoints; record the outcome on the connection and commit."""
    try:
        adapter = adapter_for(connection)
        account = adapter.get_account()
        adapter.get_positions()
    except AuthError as error:
        note_broker_error(connection, error)
        result = _auth_failure(connection, error)
    except RateLimited as error:
        wait = f" Try again in {error.retry_after:.0f} seconds." if error.retry_after else ""
        result = ConnectionCheck(False, "RATE_LIMITED", f"The broker asked us to slow down.{wait}")
    except BrokerUnavailable as error:
        note_broker_error(connection, error)
        result = ConnectionCheck(False, "BROKER_DOWN", f"The broker did not answer properly: {error.message}")
    except MalformedResponse as error:
        note_broker_error(connection, error)
        result = ConnectionCheck(False, error.code, f"The broker's answer could not be read: {error.message}")
    except BrokerError as error:
        note_broker_error(connection, error)
        result = ConnectionCheck(False, error.code, error.message)
    else:
        note_broker_success(connection)
        result = ConnectionCheck(
            True, "OK", "Connected.", account.account_id, account.currency, account.buying_power
        )
    db.session.commit()
    return result


def _auth_failure(connection: BrokerConnection, error: AuthError) -> ConnectionCheck:
    if error.needs_login:
        return ConnectionCheck(False, "NEEDS_LOGIN", f"Log in at the broker again: {error.message}")
    other = other_environment(connection.broker.value, connection.environment.value)
    # Paper and live keys are separate at every broker; keys pasted into the wrong one are a common slip.
    if other and _credentials_work_in(connection, other):
        return ConnectionCheck(
            False, "WRONG_ENVIRONMENT",
            f"These credentials belong to the {other} environment, not {connection.environment.value}.",
        )
    return ConnectionCheck(False, "BAD_CREDENTIALS", f"The broker refused the credentials: {error.message}")
