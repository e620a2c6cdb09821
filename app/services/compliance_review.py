"""The compliance queue: flags raised by the rules, reviewed and closed by admins."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from app.domain.enums import FlagStatus
from app.domain.errors import Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.models import ComplianceFlag, User
from app.services.audit import record_event


def open_flags(limit: int = 200) -> list[ComplianceFlag]:
    return list(db.session.scalars(
        select(ComplianceFlag).where(ComplianceFlag.status == FlagStatus.OPEN).order_by(ComplianceFlag.id).limit(limit)
    ))


def resolve_flag(actor: User, flag_id: Any, outcome: Any, note: Any) -> ComplianceFlag:
    """Close a flag as resolved (acted on) or dismissed (nothing wrong), with the reviewer's note."""
    if not actor.is_admin:
        raise Forbidden("ADMIN_REQUIRED", "Only an admin may do this.")
    try:
        flag = db.session.get(ComplianceFlag, int(flag_id))
    except (TypeError, ValueError):
        flag = None
    if flag is None:
        raise NotFound("FLAG_NOT_FOUND", "No such flag.")
    if outcome not in (FlagStatus.RESOLVED.value, FlagStatus.DISMISSED.value):
        raise InvalidInput("INVALID_OUTCOME", "Resolve or dismiss the flag.", field="outcome")
    if not isinstance(note, str) or not note.strip() or len(note) > 500:
        raise InvalidInput("NOTE_REQUIRED", "Write what was found (at most 500 characters).", field="note")
    flag.status = FlagStatus(outcome)
    flag.resolved_by_id, flag.resolved_at, flag.resolution_note = actor.id, datetime.now(timezone.utc), note.strip()
    record_event("compliance_flag_closed", actor_id=actor.id, subject_user_id=flag.user_id, object_type="compliance_flag",
                 object_id=flag.id, reason=note.strip(), after={"status": outcome, "code": flag.code})
    db.session.commit()
    return flag
