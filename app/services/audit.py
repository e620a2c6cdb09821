"""Writing the append-only audit trail."""
from __future__ import annotations

from flask import has_request_context, request

from app.extensions import db
from app.models import AuditEvent


def record_event(
    action: str,
    *,
    actor_id: int | None = None,
    subject_user_id: int | None = None,
    object_type: str | None = None,
    object_id: object = None,
    reason: str | None = None,
    before: dict | None = None,
    after: dict | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Add an audit event to the caller's transaction; the caller commits."""
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        subject_user_id=subject_user_id,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        reason=reason,
        before=before,
        after=after,
        details=details,
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event
