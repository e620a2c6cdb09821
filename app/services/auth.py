"""Checking who someone is: passwords, lockouts and session versions."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import cache

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from app.domain.errors import InvalidInput, Unprocessable
from app.extensions import db
from app.models import User
from app.services.audit import record_event
from app.services.notifications import notify
from app.services.users import check_password_strength, hash_password

INVALID_CREDENTIALS = Unprocessable("INVALID_CREDENTIALS", "Invalid email or password.")


@cache
def _timing_dummy_hash() -> str:
    """A hash checked when the email is unknown, so both paths cost the same scrypt work."""
    return hash_password("not-a-real-password-for-timing")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def find_user_by_email(email: str) -> User | None:
    if not isinstance(email, str) or not email.strip():
        return None
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(email: object, password: object) -> User:
    """The user whose credentials these are, or INVALID_CREDENTIALS whatever went wrong.

    Unknown email, wrong password and a locked account answer the same, so the
    login form never tells an attacker which accounts exist.
    """
    if not isinstance(email, str) or not isinstance(password, str) or not email or not password:
        raise InvalidInput("CREDENTIALS_REQUIRED", "Enter your email and password.")
    now = _now()
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_timing_dummy_hash(), password)
        record_event("login_failed", details={"email": email.strip().lower()[:254], "reason": "unknown_email"})
        db.session.commit()
        raise INVALID_CREDENTIALS
    password_ok = check_password_hash(user.password_hash, password)
    if user.locked_until is not None and user.locked_until > now:
        record_event("login_failed", subject_user_id=user.id, details={"reason": "locked"})
        db.session.commit()
        raise INVALID_CREDENTIALS
    if not password_ok:
        _record_failed_login(user, now)
        raise INVALID_CREDENTIALS
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    record_event("logged_in", actor_id=user.id, subject_user_id=user.id)
    db.session.commit()
    return user


def _record_failed_login(user: User, now: datetime) -> None:
    user.failed_login_count += 1
    user.last_failed_login_at = now
    threshold = current_app.config["LOGIN_LOCKOUT_THRESHOLD"]
    locked = user.failed_login_count >= threshold
    if locked:
        user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
    record_event(
        "login_failed",
        subject_user_id=user.id,
        details={"reason": "wrong_password", "failed_count": user.failed_login_count, "locked": locked},
    )
    if user.failed_login_count == current_app.config["FAILED_LOGIN_ALERT_THRESHOLD"]:
        notify("failed_logins", f"{user.failed_login_count} failed logins for {user.email}",
               "If this was not you, change your password.", user_id=user.id,
               dedupe_key=f"logins:{user.id}:{now:%Y%m%d%H%M}")
    db.session.commit()


def load_session_user(session_user_id: str) -> User | None:
    """The user a session cookie names, if that session has not been ended since."""
    user_id, _, version = (session_user_id or "").partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


def end_all_sessions(user: User) -> None:
    """Invalidate every copy of this user's session and remember cookies."""
    user.session_version += 1
    record_event("logged_out", actor_id=user.id, subject_user_id=user.id)
    db.session.commit()


def change_password(user: User, current_password: object, new_password: object) -> None:
    """Set a new password after checking the current one; every other session ends."""
    if not isinstance(current_password, str) or not check_password_hash(user.password_hash, current_password):
        raise Unprocessable("WRONG_PASSWORD", "Your current password is not correct.", field="current_password")
    check_password_strength(new_password, field="new_password")
    if check_password_hash(user.password_hash, new_password):
        raise Unprocessable(
            "PASSWORD_UNCHANGED", "Choose a password different from the current one.", field="new_password"
        )
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    record_event("password_changed", actor_id=user.id, subject_user_id=user.id)
    db.session.commit()
