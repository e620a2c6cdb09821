"""Encrypting, reading and re-keying every secret the platform stores."""
from __future__ import annotations

import json

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import BrokerConnection, NotificationChannel, User
from app.security import CredentialCipher, DecryptionError, secret_context

_CIPHER_KEY = "portcullis.cipher"


def cipher() -> CredentialCipher:
    """The app's cipher, built once per app from ENCRYPTION_KEYS."""
    cached = current_app.extensions.get(_CIPHER_KEY)
    if cached is None:
        cached = CredentialCipher(current_app.config["ENCRYPTION_KEYS"])
        current_app.extensions[_CIPHER_KEY] = cached
    return cached


def _connection_context(connection: BrokerConnection) -> str:
    return secret_context("broker_connections", connection.id, "credentials")


def _totp_context(user: User) -> str:
    return secret_context("users", user.id, "totp_secret")


def store_connection_credentials(connection: BrokerConnection, credentials: dict[str, str]) -> None:
    """Encrypt credentials into the connection's row (flushing first so it has an id)."""
    if connection.id is None:
        db.session.flush()
    connection.credentials_encrypted = cipher().encrypt(
        json.dumps(credentials, sort_keys=True), _connection_context(connection)
    )


def read_connection_credentials(connection: BrokerConnection) -> dict[str, str]:
    """Decrypt a connection's credentials; call only at the moment they are needed."""
    if not connection.credentials_encrypted:
        return {}
    return json.loads(cipher().decrypt(connection.credentials_encrypted, _connection_context(connection)))


def store_totp_secret(user: User, secret: str) -> None:
    if user.id is None:
        db.session.flush()
    user.totp_secret_encrypted = cipher().encrypt(secret, _totp_context(user))


def read_totp_secret(user: User) -> str | None:
    if not user.totp_secret_encrypted:
        return None
    return cipher().decrypt(user.totp_secret_encrypted, _totp_context(user))


def rotate_encryption_keys() -> int:
    """Re-encrypt every stored secret under the first key, in one transaction; returns the count.

    If any secret cannot be read, nothing is changed: a half-rotated database
    would leave secrets that only a key about to be retired can open.
    """
    current = cipher()
    rotated = 0
    targets = [
        (user, "totp_secret_encrypted")
        for user in db.session.scalars(select(User).where(User.totp_secret_encrypted.is_not(None)))
    ] + [
        (connection, "credentials_encrypted")
        for connection in db.session.scalars(
            select(BrokerConnection).where(BrokerConnection.credentials_encrypted.is_not(None))
        )
    ] + [
        (channel, "secrets_encrypted")
        for channel in db.session.scalars(
            select(NotificationChannel).where(NotificationChannel.secrets_encrypted.is_not(None))
        )
    ]
    try:
        for row, column in targets:
            setattr(row, column, current.rotate(getattr(row, column)))
            rotated += 1
    except DecryptionError:
        db.session.rollback()
        raise DecryptionError(
            f"{type(row).__tablename__} row {row.id} cannot be decrypted with the configured keys; "
            "nothing was rotated"
        ) from None
    db.session.commit()
    return rotated
