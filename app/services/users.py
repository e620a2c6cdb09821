"""Creating accounts: registration, admins, and the development demo admin."""
from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from app.domain.enums import BrokerEnvironment, BrokerName, Role
from app.domain.errors import Conflict, InvalidInput
from app.extensions import db
from app.models import BrokerConnection, RiskLimits, User
from app.services.audit import record_event

EMAIL_MAX_LENGTH = 254
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128
DEMO_ADMIN_EMAIL = "admin@example.com"


def normalize_email(raw: object) -> str:
    """A syntactically valid, lower-cased email, or InvalidInput."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput("EMAIL_REQUIRED", "Enter an email address.", field="email")
    if len(raw) > EMAIL_MAX_LENGTH:
        raise InvalidInput("EMAIL_TOO_LONG", f"Email must be at most {EMAIL_MAX_LENGTH} characters.", field="email")
    try:
        valid = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidInput("EMAIL_INVALID", f"Enter a valid email address ({error}).", field="email") from None
    return valid.normalized.lower()


def check_password_strength(password: object, field: str = "password") -> str:
    """The password if it is acceptable, else InvalidInput naming what is wrong."""
    if not isinstance(password, str) or password == "":
        raise InvalidInput("PASSWORD_REQUIRED", "Enter a password.", field=field)
    if len(password) < PASSWORD_MIN_LENGTH:
        raise InvalidInput(
            "PASSWORD_TOO_SHORT", f"Password must be at least {PASSWORD_MIN_LENGTH} characters.", field=field
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise InvalidInput(
            "PASSWORD_TOO_LONG", f"Password must be at most {PASSWORD_MAX_LENGTH} characters.", field=field
        )
    return password


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def email_taken(email: str) -> bool:
    return db.session.scalar(select(func.count()).select_from(User).where(func.lower(User.email) == email)) > 0


def create_user(email: object, password: object, *, role: Role = Role.TRADER, actor_id: int | None = None) -> User:
    """Create and commit a user with default limits and a paper simulator connection."""
    normalized = normalize_email(email)
    check_password_strength(password)
    if email_taken(normalized):
        raise Conflict("EMAIL_TAKEN", "An account with that email already exists.", field="email")
    user = User(
        email=normalized,
        password_hash=hash_password(password),
        role=role,
        paper_balance=current_app.config["DEFAULT_PAPER_BALANCE"],
    )
    db.session.add(user)
    try:
        db.session.flush()
        db.session.add(RiskLimits(user_id=user.id))
        db.session.add(
            BrokerConnection(
                user_id=user.id,
                broker=BrokerName.PAPER,
                environment=BrokerEnvironment.PAPER,
                label="Paper simulator",
            )
        )
        record_event(
            "user_created",
            actor_id=actor_id if actor_id is not None else user.id,
            subject_user_id=user.id,
            object_type="user",
            object_id=user.id,
            after={"email": normalized, "role": str(role)},
        )
        db.session.commit()
    except IntegrityError:
        # Another request registered the same email between our check and our insert.
        db.session.rollback()
        raise Conflict("EMAIL_TAKEN", "An account with that email already exists.", field="email") from None
    return user


def ensure_demo_admin() -> tuple[User, str] | None:
    """On an empty development database, create an admin and return it with its password, once."""
    if not current_app.config.get("DEMO_DATA"):
        return None
    if db.session.scalar(select(func.count()).select_from(User)) > 0:
        return None
    password = secrets.token_urlsafe(12)
    return create_user(DEMO_ADMIN_EMAIL, password, role=Role.ADMIN), password
