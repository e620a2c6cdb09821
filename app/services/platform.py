"""The platform-wide settings row (the kill switch)."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import PlatformSettings
from app.models.platform import SETTINGS_ROW_ID


def platform_settings(*, lock: bool = False) -> PlatformSettings:
    """The single settings row, created on first use; `lock` takes it FOR UPDATE (PostgreSQL)."""
    query = db.select(PlatformSettings).where(PlatformSettings.id == SETTINGS_ROW_ID)
    if lock:
        query = query.with_for_update()
    settings = db.session.scalar(query)
    if settings is None:
        try:
            with db.session.begin_nested():
                db.session.add(PlatformSettings(id=SETTINGS_ROW_ID, kill_switch_engaged=False))
        except IntegrityError:
            pass  # another process created it first
        settings = db.session.scalar(query)
    return settings
