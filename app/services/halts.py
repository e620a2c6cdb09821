"""Halting a user (a loss breach or an admin) and lifting the halt."""
from __future__ import annotations

from datetime import datetime, timezone

from app.domain.enums import TradingMode
from app.models import BrokerConnection, User
from app.services import market_hours
from app.services.audit import record_event
from app.services.notifications import notify


def halt(user: User, *, reason: str, until: datetime | None, actor_id: int | None) -> None:
    """Stop the user's trading; `until` None means until someone resumes them. The caller commits."""
    before = {"mode": user.trading_mode.value}
    if user.trading_mode != TradingMode.HALTED:
        user.mode_before_halt = user.trading_mode
    user.trading_mode = TradingMode.HALTED
    user.halted_reason = reason[:500]
    user.halted_until = until
    record_event("trading_halted", actor_id=actor_id, subject_user_id=user.id, object_type="user", object_id=user.id,
                 reason=reason, before=before,
                 after={"mode": "halted", "until": until.isoformat() if until else None})
    notify("trading_halted", f"Trading halted for {user.email}",
           f"{reason}. " + (f"Until {until:%Y-%m-%d %H:%M} UTC." if until else "Until an admin resumes it."),
           user_id=user.id, dedupe_key=f"halt:{user.id}:{datetime.now(timezone.utc):%Y%m%d%H%M}")


def resume(user: User, *, reason: str, actor_id: int | None) -> None:
    """Return a halted user to the mode they had before the halt. The caller commits."""
    if user.trading_mode != TradingMode.HALTED:
        return
    restored = user.mode_before_halt or TradingMode.PAPER
    user.trading_mode = restored
    user.mode_before_halt = None
    user.halted_reason = None
    user.halted_until = None
    record_event("trading_resumed", actor_id=actor_id, subject_user_id=user.id, object_type="user", object_id=user.id,
                 reason=reason, before={"mode": "halted"}, after={"mode": restored.value})


def halt_for_loss(user: User, code: str, connection: BrokerConnection, now: datetime) -> None:
    """The circuit breaker: a daily breach halts until the next trading day, a weekly one until next week."""
    calendar = market_hours.calendar_name(connection.broker, "")
    until = (market_hours.next_week_open(calendar, now) if code == "WEEKLY_LOSS_LIMIT"
             else market_hours.next_open(calendar, now))
    halt(user, reason=f"{code}: loss limit breached", until=until, actor_id=None)


def lift_expired_halt(user: User, now: datetime) -> None:
    """A time-limited halt ends by itself once its time has come; an admin's open-ended halt does not."""
    if user.trading_mode == TradingMode.HALTED and user.halted_until is not None and user.halted_until <= now:
        resume(user, reason="halt period ended", actor_id=None)
