"""What admins do to users and to the platform: modes, halts, limits, KYC and the kill switch."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from werkzeug.security import check_password_hash

from app.domain.enums import LIVE_ENVIRONMENTS, KycStatus, OrderSide, OrderSource, TradingMode
from app.domain.errors import Forbidden, InvalidInput, NotFound, PortcullisError, Unprocessable
from app.domain.orders import OPEN_STATUSES
from app.extensions import db
from app.models import BrokerConnection, Order, Position, RiskLimits, User
from app.services import halts
from app.services.audit import record_event
from app.services.notifications import notify, notify_subscribers
from app.services.order_pipeline import cancel_any_order, submit_order
from app.services.platform import platform_settings
from app.services.two_factor import consume_totp, disclosure_is_current

log = logging.getLogger(__name__)
INTEGER_LIMITS = frozenset({"max_open_positions", "min_dte", "max_dte", "max_trades_per_day", "max_orders_per_minute"})


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden("ADMIN_REQUIRED", "Only an admin may do this.")


def _reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("REASON_REQUIRED", "Give a reason; it goes in the audit trail.", field="reason")
    if len(reason) > 500:
        raise InvalidInput("REASON_TOO_LONG", "The reason may be at most 500 characters.", field="reason")
    return reason.strip()


def _confirm_identity(actor: User, password: object, totp: object) -> None:
    """Money-moving admin actions need the admin's password, and their TOTP code where they have 2FA."""
    if not isinstance(password, str) or not check_password_hash(actor.password_hash, password):
        raise Unprocessable("PASSWORD_INCORRECT", "Your password is not correct.", field="password")
    if actor.has_2fa and not consume_totp(actor, totp):
        raise Unprocessable("TOTP_INVALID", "Enter a current two-factor code (each code works once).", field="totp")


def get_user(user_id: Any) -> User:
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        user = None
    if user is None:
        raise NotFound("USER_NOT_FOUND", "No such user.")
    return user


def switch_mode(actor: User, target: User, mode: object, reason: object, password: object,
                totp: object = None) -> None:
    """Move a user between paper and live trading; live needs their 2FA and the current disclosure."""
    _require_admin(actor)
    why = _reason(reason)
    if mode not in (TradingMode.PAPER.value, TradingMode.LIVE.value):
        raise InvalidInput("INVALID_MODE", "mode must be paper or live (halting has its own action).", field="mode")
    _confirm_identity(actor, password, totp)
    new_mode = TradingMode(mode)
    if target.trading_mode == TradingMode.HALTED:
        raise Unprocessable("USER_HALTED", "The user is halted; resume them first.")
    if new_mode == TradingMode.LIVE:
        if not target.has_2fa:
            raise Unprocessable("TARGET_NEEDS_2FA", "The user must turn on two-factor authentication first.")
        if not disclosure_is_current(target):
            raise Unprocessable("TARGET_NEEDS_DISCLOSURE", "The user must accept the current risk disclosure first.")
    before = target.trading_mode
    target.trading_mode = new_mode
    record_event("mode_switched", actor_id=actor.id, subject_user_id=target.id, object_type="user",
                 object_id=target.id, reason=why, before={"mode": before.value}, after={"mode": new_mode.value})
    notify("mode_switched", f"You now trade {new_mode.value}", why, user_id=target.id,
           dedupe_key=f"mode:{target.id}:{datetime.now(timezone.utc).isoformat()}")
    db.session.commit()


def halt_user(actor: User, target: User, reason: object) -> None:
    _require_admin(actor)
    halts.halt(target, reason=_reason(reason), until=None, actor_id=actor.id)
    db.session.commit()


def resume_user(actor: User, target: User, reason: object) -> None:
    _require_admin(actor)
    why = _reason(reason)
    if target.trading_mode != TradingMode.HALTED:
        raise Unprocessable("USER_NOT_HALTED", "The user is not halted.")
    halts.resume(target, reason=why, actor_id=actor.id)
    db.session.commit()


def set_kyc(actor: User, target: User, status: object, reason: object) -> None:
    _require_admin(actor)
    why = _reason(reason)
    try:
        new_status = KycStatus(status)
    except ValueError:
        raise InvalidInput("INVALID_KYC_STATUS", "status must be none, pending, verified or rejected.",
                           field="status") from None
    before = target.kyc_status
    target.kyc_status = new_status
    record_event("kyc_changed", actor_id=actor.id, subject_user_id=target.id, reason=why,
                 before={"kyc_status": before.value}, after={"kyc_status": new_status.value})
    db.session.commit()


def _limit_value(name: str, raw: object):
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise InvalidInput("INVALID_LIMIT", f"{name} must be a number or null.", field=name)
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise InvalidInput("INVALID_LIMIT", f"{name} must be a number or null.", field=name) from None
    if not value.is_finite() or value < 0 or value > Decimal("1000000000"):
        raise InvalidInput("INVALID_LIMIT", f"{name} must be between 0 and 1000000000.", field=name)
    if name in INTEGER_LIMITS:
        if value != value.to_integral_value():
            raise InvalidInput("INVALID_LIMIT", f"{name} must be a whole number.", field=name)
        return int(value)
    if name.endswith("_percent") and value > 100:
        raise InvalidInput("INVALID_LIMIT", f"{name} is a percentage: at most 100.", field=name)
    return value


def _checked_values(changes: object) -> dict:
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput("INVALID_BODY", "Send the limits to change as an object.")
    unknown = sorted(set(changes) - set(RiskLimits.LIMIT_FIELDS))
    if unknown:
        raise InvalidInput("UNKNOWN_FIELD", f"Unknown limit(s): {', '.join(unknown)}.", field=unknown[0])
    return {name: _limit_value(name, raw) for name, raw in changes.items()}


def set_limits(actor: User, target: User, changes: object) -> dict:
    """Set any subset of a user's limits (null restores the platform default); answers the full set."""
    _require_admin(actor)
    return _apply_limits(actor.id, target, _checked_values(changes))


def _apply_limits(actor_id: int, target: User, values: dict) -> dict:
    limits = db.session.scalar(select(RiskLimits).where(RiskLimits.user_id == target.id))
    if limits is None:
        limits = RiskLimits(user_id=target.id)
        db.session.add(limits)
    before = {name: _text(getattr(limits, name)) for name in values}
    for name, value in values.items():
        setattr(limits, name, value)
    low, high = limits.min_dte, limits.max_dte
    if low is not None and high is not None and low > high:
        db.session.rollback()
        raise InvalidInput("INVALID_LIMIT", "min_dte may not exceed max_dte.", field="min_dte")
    record_event("limits_changed", actor_id=actor_id, subject_user_id=target.id, object_type="risk_limits",
                 object_id=limits.id, before=before, after={name: _text(v) for name, v in values.items()})
    db.session.commit()
    return {name: getattr(limits, name) for name in RiskLimits.LIMIT_FIELDS}


LOWER_IS_STRICTER = frozenset({"min_dte", "min_account_balance"})


def set_personal_limits(user: User, changes: object) -> dict:
    """A trader may tighten their own limits, never loosen them past what is in force."""
    from app.services.pretrade_context import effective_limits

    values, in_force = _checked_values(changes), effective_limits(user)
    for name, value in values.items():
        current = in_force.get(name)
        if value is None:
            raise InvalidInput("LIMIT_REQUIRED", f"Give {name} a value; only an admin can lift a limit.", field=name)
        looser = value < current if name in LOWER_IS_STRICTER else value > current
        if current is not None and looser:
            raise InvalidInput("LIMIT_NOT_STRICTER", f"{name} may only be made stricter than {current}.", field=name)
    return _apply_limits(user.id, user, values)


def _text(value) -> str | None:
    return None if value is None else str(value)


def set_kill_switch(actor: User, engaged: object, reason: object, *, cancel_open_orders: bool = False,
                    flatten: bool = False, password: object = None, totp: object = None,
                    now: datetime | None = None) -> dict:
    """Engage or release the platform-wide halt of live order flow; optionally cancel and flatten, via the pipeline."""
    _require_admin(actor)
    if not isinstance(engaged, bool):
        raise InvalidInput("INVALID_FLAG", "engaged must be true or false.", field="engaged")
    why = _reason(reason)
    _confirm_identity(actor, password, totp)
    settings = platform_settings(lock=True)
    before = settings.kill_switch_engaged
    settings.kill_switch_engaged = engaged
    settings.kill_switch_reason = why
    now = now or datetime.now(timezone.utc)
    settings.kill_switch_changed_at = now
    settings.kill_switch_changed_by_id = actor.id
    record_event("kill_switch_engaged" if engaged else "kill_switch_released", actor_id=actor.id, reason=why,
                 before={"engaged": before}, after={"engaged": engaged,
                                                   "cancel_open_orders": cancel_open_orders, "flatten": flatten})
    notify_subscribers("kill_switch", "Kill switch " + ("ENGAGED" if engaged else "released"),
                       f"{why} (by {actor.email})", dedupe_key=f"kill-switch:{now.isoformat()}")
    # Committed first, on its own: from this moment no live order passes the pipeline.
    db.session.commit()
    summary = {"engaged": engaged, "cancelled": 0, "cancel_failures": [], "flatten_orders": 0, "flatten_failures": []}
    if engaged and cancel_open_orders:
        _cancel_live_orders(actor, summary)
    if engaged and flatten:
        _flatten_live_positions(summary, now)
    return summary


def _live_connection_ids() -> list[int]:
    return list(db.session.scalars(
        select(BrokerConnection.id).where(BrokerConnection.environment.in_(list(LIVE_ENVIRONMENTS)))
    ))


def _cancel_live_orders(actor: User, summary: dict) -> None:
    orders = db.session.scalars(
        select(Order).where(Order.connection_id.in_(_live_connection_ids()), Order.status.in_(list(OPEN_STATUSES)))
    ).all()
    for order in orders:
        try:
            cancel_any_order(order, actor_id=actor.id, source=OrderSource.KILL_SWITCH)
            summary["cancelled"] += 1
        except PortcullisError as error:
            db.session.rollback()
            summary["cancel_failures"].append({"order_id": order.id, "code": error.code})


def _flatten_live_positions(summary: dict, now: datetime) -> None:
    positions = db.session.scalars(
        select(Position).where(Position.connection_id.in_(_live_connection_ids()), Position.quantity != 0)
    ).all()
    for position in positions:
        owner = db.session.get(User, position.user_id)
        payload = {
            "symbol": position.symbol, "side": (OrderSide.SELL if position.quantity > 0 else OrderSide.BUY).value,
            "quantity": str(abs(position.quantity)), "type": "market", "connection_id": position.connection_id,
        }
        try:
            result = submit_order(owner, payload, source=OrderSource.KILL_SWITCH, now=now)
        except PortcullisError as error:
            db.session.rollback()
            summary["flatten_failures"].append({"symbol": position.symbol, "code": error.code})
            continue
        if result.accepted:
            summary["flatten_orders"] += 1
        else:
            summary["flatten_failures"].append({"symbol": position.symbol, "code": result.code})
