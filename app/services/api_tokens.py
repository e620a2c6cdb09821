"""API tokens: made on the settings page or by the CLI, shown once, stored hashed, revocable."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from app.domain.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import ApiToken, User
from app.security import hash_api_token, new_api_token
from app.services.audit import record_event

# last_used_at is informational; writing it on every request would turn reads into writes.
LAST_USED_GRANULARITY = timedelta(minutes=1)


def create_token(user: User, name: object) -> tuple[str, ApiToken]:
    """A new token for `user`; the plaintext is returned once and never stored."""
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
        raise InvalidInput("TOKEN_NAME_INVALID", "Name the token (at most 100 characters).", field="name")
    plaintext = new_api_token()
    token = ApiToken(user_id=user.id, name=name.strip(), token_hash=hash_api_token(plaintext), prefix=plaintext[:10])
    db.session.add(token)
    db.session.flush()
    record_event("api_token_created", actor_id=user.id, subject_user_id=user.id, object_type="api_token",
                 object_id=token.id, after={"name": token.name, "prefix": token.prefix})
    db.session.commit()
    return plaintext, token


def revoke_token(user: User, token_id: object) -> None:
    try:
        token = db.session.get(ApiToken, int(token_id))
    except (TypeError, ValueError):
        token = None
    if token is None or token.user_id != user.id:
        raise NotFound("TOKEN_NOT_FOUND", "No such token.")
    if token.revoked_at is None:
        token.revoked_at = datetime.now(timezone.utc)
        record_event("api_token_revoked", actor_id=user.id, subject_user_id=user.id, object_type="api_token",
                     object_id=token.id)
        db.session.commit()


def user_for_token(plaintext: str) -> User | None:
    """The owner of a live token, or None for an unknown or revoked one."""
    if not plaintext or len(plaintext) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_api_token(plaintext)))
    if token is None or token.revoked_at is not None:
        return None
    now = datetime.now(timezone.utc)
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        token.last_used_at = now
        db.session.commit()
    return db.session.get(User, token.user_id)


def list_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))
