"""Two-factor authentication and the risk disclosure: what a user needs before real money moves."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from flask import current_app

from app.domain.errors import Unprocessable
from app.extensions import db
from app.models import User
from app.security import matching_totp_step, new_totp_secret, totp_provisioning_uri
from app.services.audit import record_event
from app.services.credentials import read_totp_secret, store_totp_secret


def begin_enrolment(user: User) -> tuple[str, str]:
    """A new secret (not yet active) and its otpauth:// URI for the QR code; commits."""
    if user.has_2fa:
        raise Unprocessable("TWO_FACTOR_ALREADY_ON", "Two-factor authentication is already on.")
    secret = new_totp_secret()
    store_totp_secret(user, secret)
    db.session.commit()
    return secret, totp_provisioning_uri(secret, user.email)


def confirm_enrolment(user: User, code: object, *, at: float | None = None) -> None:
    """Turn 2FA on once the user proves their authenticator produces the right code."""

    secret = read_totp_secret(user)
    if secret is None or user.has_2fa:
        raise Unprocessable("TWO_FACTOR_NOT_PENDING", "Start two-factor enrolment first.")
    step = matching_totp_step(secret, code if isinstance(code, str) else "", at or time.time(), user.totp_last_step)
    if step is None:
        raise Unprocessable("TOTP_INVALID", "That code is not valid; check your device's clock and try again.",
                            field="code")
    user.totp_last_step = step
    user.totp_enabled_at = datetime.now(timezone.utc)
    record_event("two_factor_enabled", actor_id=user.id, subject_user_id=user.id)
    db.session.commit()


def consume_totp(user: User, code: object, *, at: float | None = None) -> bool:
    """True if `code` is valid now and was never used before; marks it used in the caller's transaction."""
    secret = read_totp_secret(user) if user.has_2fa else None
    if secret is None or not isinstance(code, str):
        return False
    step = matching_totp_step(secret, code, at or time.time(), user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    return True


def accept_risk_disclosure(user: User) -> None:
    """Record that the user accepted the current version of the risk disclosure."""

    user.risk_disclosure_version = current_app.config["RISK_DISCLOSURE_VERSION"]
    user.risk_disclosure_accepted_at = datetime.now(timezone.utc)
    record_event("risk_disclosure_accepted", actor_id=user.id, subject_user_id=user.id,
                 after={"version": user.risk_disclosure_version})
    db.session.commit()


def disclosure_is_current(user: User) -> bool:
    return (
        user.risk_disclosure_accepted_at is not None
        and user.risk_disclosure_version == current_app.config["RISK_DISCLOSURE_VERSION"]
    )
