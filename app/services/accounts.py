"""Broker connections: creating them, and turning a stored one into a working adapter."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from app.brokers.base import AuthError, Broker, BrokerError
from app.brokers.circuit import BreakerRegistry, BreakerState
from app.brokers.http import BrokerRateLimiter, HttpOptions
from app.brokers.paper.pricing import PaperSettings
from app.brokers.registry import BrokerDependencies, build_broker
from app.domain.enums import BROKER_ENVIRONMENTS, BrokerEnvironment, BrokerName, ConnectionStatus
from app.domain.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import BrokerConnection, User
from app.services.audit import record_event
from app.services.broker_health import record_call
from app.services.credentials import read_connection_credentials, store_connection_credentials
from app.services.market_data import stored_quotes
from app.services.notifications import notify
from app.services.paper_venue import SqlPaperStore

# What each broker needs to be reached, and what it may also carry.
REQUIRED_CREDENTIALS: dict[BrokerName, tuple[str, ...]] = {
    BrokerName.TRADIER: ("access_token", "account_id"),
    BrokerName.ALPACA: ("key_id", "secret_key"),
    BrokerName.ZERODHA: ("api_key", "api_secret"),
    BrokerName.TRADING212: ("api_key",),
    BrokerName.PAPER: (),
}
OPTIONAL_CREDENTIALS: dict[BrokerName, tuple[str, ...]] = {
    BrokerName.ZERODHA: ("access_token", "user_id"),
    BrokerName.TRADING212: ("api_secret",),
}
PROXY_KEY = "proxy_url"
_CREDENTIAL_VALUE = re.compile(r"^[\x21-\x7e]{1,512}$")  # printable, no spaces: keys and tokens are never prose
_EXTENSION_KEYS = {"breakers": "portcullis.breakers", "limiter": "portcullis.broker_limiter"}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _parse_broker(broker: object, environment: object) -> tuple[BrokerName, BrokerEnvironment]:
    try:
        name = BrokerName(str(broker))
    except ValueError:
        choices = ", ".join(b.value for b in BrokerName)
        raise InvalidInput("UNKNOWN_BROKER", f"Broker must be one of {choices}.", field="broker") from None
    offered = BROKER_ENVIRONMENTS[name]
    try:
        env = BrokerEnvironment(str(environment))
    except ValueError:
        env = None
    if env not in offered:
        choices = ", ".join(sorted(e.value for e in offered))
        raise InvalidInput("UNKNOWN_ENVIRONMENT", f"{name.value} offers {choices}.", field="environment")
    return name, env


def _clean_credentials(broker: BrokerName, credentials: object) -> dict[str, str]:
    if not isinstance(credentials, dict):
        raise InvalidInput("CREDENTIALS_INVALID", "Credentials must be an object of names and values.", field="credentials")
    allowed = set(REQUIRED_CREDENTIALS[broker]) | set(OPTIONAL_CREDENTIALS.get(broker, ()))
    unknown = sorted(set(credentials) - allowed)
    if unknown:
        raise InvalidInput(
            "CREDENTIALS_UNKNOWN_FIELD", f"{broker.value} does not take {', '.join(map(str, unknown))}.",
            field="credentials",
        )
    cleaned = {}
    for key, value in credentials.items():
        if value in (None, ""):
            continue
        if not isinstance(value, str) or not _CREDENTIAL_VALUE.match(value.strip()):
            raise InvalidInput(
                "CREDENTIALS_INVALID", f"{key} must be a key or token without spaces, at most 512 characters.",
                field="credentials",
            )
        cleaned[key] = value.strip()
    missing = [key for key in REQUIRED_CREDENTIALS[broker] if key not in cleaned]
    if missing:
        raise InvalidInput("CREDENTIALS_MISSING", f"{broker.value} needs {', '.join(missing)}.", field="credentials")
    return cleaned


def _clean_proxy(proxy_url: object) -> str | None:
    if proxy_url in (None, ""):
        return None
    parts = urlsplit(str(proxy_url)) if isinstance(proxy_url, str) and len(proxy_url) <= 512 else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("PROXY_INVALID", "Proxy must be an http:// or https:// URL with a host.", field="proxy_url")
    return proxy_url


def _clean_label(label: object, broker: BrokerName) -> str:
    if label in (None, ""):
        return broker.value.title()
    if not isinstance(label, str) or len(label.strip()) > 100 or not label.strip():
        raise InvalidInput("LABEL_INVALID", "Label must be text of at most 100 characters.", field="label")
    return label.strip()


def create_connection(user: User, broker: object, environment: object, label: object, credentials: object,
                      proxy_url: object = None) -> BrokerConnection:
    """Validate, encrypt and store a new broker connection for `user`."""
    name, env = _parse_broker(broker, environment)
    secrets = _clean_credentials(name, credentials or {})
    proxy = _clean_proxy(proxy_url)
    connection = BrokerConnection(
        user_id=user.id, broker=name, environment=env, label=_clean_label(label, name),
        status=ConnectionStatus.NEEDS_LOGIN if name == BrokerName.ZERODHA and "access_token" not in secrets
        else ConnectionStatus.ACTIVE,
    )
    db.session.add(connection)
    db.session.flush()
    if proxy:
        secrets[PROXY_KEY] = proxy
    store_connection_credentials(connection, secrets)
    record_event(
        "connection_created", actor_id=user.id, subject_user_id=user.id, object_type="broker_connection",
        object_id=connection.id, after={"broker": name.value, "environment": env.value, "proxy": bool(proxy)},
    )
    db.session.commit()
    return connection


def update_credentials(connection: BrokerConnection, credentials: dict, actor_id: int) -> None:
    """Merge new values into a connection's credentials (used by the Kite login)."""
    current = read_connection_credentials(connection)
    proxy = current.pop(PROXY_KEY, None)
    merged = _clean_credentials(connection.broker, {**current, **credentials})
    if proxy:
        merged[PROXY_KEY] = proxy
    store_connection_credentials(connection, merged)
    record_event(
        "connection_credentials_changed", actor_id=actor_id, subject_user_id=connection.user_id,
        object_type="broker_connection", object_id=connection.id, after={"fields": sorted(credentials)},
    )


def remove_connection(user: User, connection_id: object) -> None:
    """Delete one of the user's broker connections (with its stored keys); the paper simulator stays."""
    connection = get_connection(user, connection_id)
    if connection.broker == BrokerName.PAPER:
        raise InvalidInput("PAPER_CONNECTION_KEPT", "The paper simulator cannot be removed.")
    record_event("connection_removed", actor_id=user.id, subject_user_id=user.id, object_type="broker_connection",
                 object_id=connection.id, before={"broker": connection.broker.value,
                                                  "environment": connection.environment.value})
    db.session.delete(connection)
    db.session.commit()


def get_connection(user: User, connection_id: object) -> BrokerConnection:
    """The user's own connection; another user's id answers exactly like a missing one."""
    try:
        connection = db.session.get(BrokerConnection, int(connection_id))
    except (TypeError, ValueError):
        connection = None
    if connection is None or connection.user_id != user.id:
        raise NotFound("CONNECTION_NOT_FOUND", "No such broker connection.")
    return connection


def list_connections(user: User) -> list[BrokerConnection]:
    return list(db.session.scalars(
        select(BrokerConnection).where(BrokerConnection.user_id == user.id).order_by(BrokerConnection.id)
    ))


def default_connection(user: User) -> BrokerConnection:
    """The user's paper simulator: where an order or a view goes when no connection is named.

    Every account gets one at registration; one made another way gets it here, on first use.
    """
    connection = db.session.scalar(
        select(BrokerConnection).where(BrokerConnection.user_id == user.id, BrokerConnection.broker == BrokerName.PAPER)
        .order_by(BrokerConnection.id)
    )
    if connection is None:
        connection = BrokerConnection(user_id=user.id, broker=BrokerName.PAPER, environment=BrokerEnvironment.PAPER,
                                      label="Paper simulator")
        db.session.add(connection)
        db.session.commit()
    return connection


def _breakers() -> BreakerRegistry:
    registry = current_app.extensions.get(_EXTENSION_KEYS["breakers"])
    if registry is None:
        registry = BreakerRegistry(
            failure_threshold=current_app.config["BROKER_CIRCUIT_FAILURES"],
            cooldown_seconds=current_app.config["BROKER_CIRCUIT_COOLDOWN_SECONDS"],
        )
        current_app.extensions[_EXTENSION_KEYS["breakers"]] = registry
    return registry


def _limiter() -> BrokerRateLimiter:
    limiter = current_app.extensions.get(_EXTENSION_KEYS["limiter"])
    if limiter is None:
        limiter = BrokerRateLimiter(current_app.config["BROKER_RATELIMIT_STORAGE_URI"])
        current_app.extensions[_EXTENSION_KEYS["limiter"]] = limiter
    return limiter


def http_options(breaker_key: object, proxy_url: str | None = None) -> HttpOptions:
    """The app's timeouts and shared rate limiter, with the circuit breaker kept under `breaker_key`."""
    config = current_app.config
    return HttpOptions(
        timeout=(config["BROKER_CONNECT_TIMEOUT_SECONDS"], config["BROKER_READ_TIMEOUT_SECONDS"]),
        proxy_url=proxy_url,
        limiter=_limiter(),
        breaker=_breakers().for_key(breaker_key),
        recorder=record_call,
    )


def dependencies_for(connection: BrokerConnection, proxy_url: str | None = None) -> BrokerDependencies:
    """Transport and simulator wiring for one connection, from the app's configuration."""
    config = current_app.config
    deps = BrokerDependencies(
        http=http_options(connection.id, proxy_url),
        base_urls=config["BROKER_BASE_URLS"],
        alpaca_data_feed=config["ALPACA_DATA_FEED"],
    )
    if connection.broker == BrokerName.PAPER:
        deps.paper_store = paper_store_for(connection)
        deps.quote_source = stored_quotes
        deps.clock = _now
        deps.paper_settings = PaperSettings(
            commission_per_order=config["PAPER_COMMISSION_PER_ORDER"],
            commission_per_contract=config["PAPER_COMMISSION_PER_CONTRACT"],
            slippage_bps=config["PAPER_SLIPPAGE_BPS"],
        )
    return deps


def paper_store_for(connection: BrokerConnection) -> SqlPaperStore:
    """The simulator's books for a paper connection, opening with the owner's paper balance."""
    return SqlPaperStore(connection.id, db.session.get(User, connection.user_id).paper_balance)


def adapter_for(connection: BrokerConnection, *, environment: str | None = None) -> Broker:
    """A ready adapter; credentials are decrypted here, at the moment of use, and nowhere else."""
    secrets = read_connection_credentials(connection)
    proxy = secrets.pop(PROXY_KEY, None)
    return build_broker(
        connection.broker.value, environment or connection.environment.value, secrets,
        dependencies_for(connection, proxy),
    )


def breaker_state(connection: BrokerConnection) -> BreakerState:
    return _breakers().for_key(connection.id).state()


def note_broker_error(connection: BrokerConnection, error: BrokerError) -> None:
    """Reflect a broker failure on the connection row; the caller commits."""
    connection.last_error = f"{error.code}: {error.message}"[:500]
    connection.consecutive_failures += 1
    # One alert an hour per connection is news; one per failed call would be noise.
    notify("broker_failure", f"{connection.label}: {error.code}", connection.last_error, user_id=connection.user_id,
           dedupe_key=f"broker:{connection.id}:{_now():%Y%m%d%H}")
    if isinstance(error, AuthError):
        connection.status = ConnectionStatus.NEEDS_LOGIN if error.needs_login else ConnectionStatus.ERROR


def note_broker_success(connection: BrokerConnection) -> None:
    connection.status = ConnectionStatus.ACTIVE
    connection.last_error = None
    connection.consecutive_failures = 0
    connection.last_verified_at = _now()
