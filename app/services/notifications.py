"""Alerts: queued in the caller's transaction, delivered later by a job, so trading never waits on them."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.domain.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import NotificationChannel, OutboxMessage, User
from app.security import secret_context
from app.services.audit import record_event
from app.services.channels import KINDS, ChannelError, clean_secrets
from app.services.channels import senders
from app.services.credentials import cipher

log = logging.getLogger(__name__)

EVENTS = {
    "live_order_placed": "A live order was placed",
    "live_order_filled": "A live order filled",
    "live_order_rejected": "A live order was rejected",
    "live_order_cancelled": "A live order was cancelled",
    "automated_exit": "The position monitor placed an exit",
    "trading_halted": "Trading was halted (a loss limit or an admin)",
    "kill_switch": "The platform kill switch moved",
    "mode_switched": "Your paper/live mode changed",
    "broker_failure": "A broker connection is failing",
    "data_feed_degraded": "A market-data source is failing",
    "failed_logins": "Repeated failed logins",
}
# What the operators hear about from the environment's channels.
OPS_EVENTS = frozenset({"trading_halted", "kill_switch", "broker_failure", "data_feed_degraded", "failed_logins",
                        "live_order_rejected"})


def _context(channel: NotificationChannel) -> str:
    return secret_context("notification_channels", channel.id, "secrets")


def add_channel(user: User, kind: object, label: object, settings: object, events: object) -> NotificationChannel:
    """Validate and store a channel; its token or webhook URL is encrypted like a broker key."""
    if kind not in KINDS:
        raise InvalidInput("CHANNEL_KIND", f"Channel kind must be one of {', '.join(KINDS)}.", field="kind")
    secrets = clean_secrets(kind, settings if isinstance(settings, dict) else {})
    chosen = list(events) if isinstance(events, (list, tuple)) else []
    unknown = sorted(set(chosen) - set(EVENTS))
    if unknown or not chosen:
        raise InvalidInput("CHANNEL_EVENTS", "Choose at least one of the listed events.", field="events")
    if not isinstance(label, str) or len(label) > 100:
        raise InvalidInput("LABEL_INVALID", "Label must be text of at most 100 characters.", field="label")
    channel = NotificationChannel(user_id=user.id, kind=kind, label=label.strip() or kind.title(), events=chosen)
    db.session.add(channel)
    db.session.flush()
    channel.secrets_encrypted = cipher().encrypt(json.dumps(secrets), _context(channel))
    record_event("notification_channel_added", actor_id=user.id, subject_user_id=user.id,
                 object_type="notification_channel", object_id=channel.id, after={"kind": kind, "events": chosen})
    db.session.commit()
    return channel


def remove_channel(user: User, channel_id: object) -> None:
    channel = _own_channel(user, channel_id)
    db.session.delete(channel)
    db.session.commit()


def list_channels(user: User) -> list[NotificationChannel]:
    return list(db.session.scalars(
        select(NotificationChannel).where(NotificationChannel.user_id == user.id).order_by(NotificationChannel.id)))


def _own_channel(user: User, channel_id: object) -> NotificationChannel:
    try:
        channel = db.session.get(NotificationChannel, int(channel_id))
    except (TypeError, ValueError):
        channel = None
    if channel is None or channel.user_id != user.id:
        raise NotFound("CHANNEL_NOT_FOUND", "No such channel.")
    return channel


def notify(event: str, subject: str, body: str, *, dedupe_key: str, user_id: int | None = None,
           now: datetime | None = None) -> int:
    """Queue an alert for the user's channels that chose `event` and for the operators; the caller commits.

    The same dedupe_key never queues twice for one destination, so an event seen again is not re-sent.
    """
    now = now or datetime.now(timezone.utc)
    destinations = []
    if user_id is not None:
        destinations += [f"channel:{c.id}" for c in db.session.scalars(
            select(NotificationChannel).where(NotificationChannel.user_id == user_id)) if event in c.events]
    if event in OPS_EVENTS:
        destinations += [f"ops:{kind}" for kind in current_app.config["OPS_CHANNELS"]]
    queued = 0
    for destination in destinations:
        try:
            with db.session.begin_nested():
                db.session.add(OutboxMessage(destination=destination, event=event, subject=subject[:200], body=body,
                                             dedupe_key=dedupe_key[:128], next_attempt_at=now))
            queued += 1
        except IntegrityError:
            pass  # already queued for this destination
    return queued


def notify_subscribers(event: str, subject: str, body: str, *, dedupe_key: str) -> int:
    """A platform event: every user whose channels chose it, and the operators."""
    users = set(db.session.scalars(select(NotificationChannel.user_id).distinct()))
    queued = notify(event, subject, body, dedupe_key=dedupe_key)
    for user_id in users:
        queued += notify(event, subject, body, dedupe_key=dedupe_key, user_id=user_id)
    return queued


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    given_up: int = 0
    failing_channels: list[int] = field(default_factory=list)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** (attempts - 1)))


def _send(message: OutboxMessage) -> None:
    config = current_app.config
    kind, _, key = message.destination.partition(":")
    if kind == "ops":
        channel_kind, secrets = key, config["OPS_CHANNELS"][key]
    else:
        channel = db.session.get(NotificationChannel, int(key))
        if channel is None:
            raise ChannelError("the channel was removed")
        channel_kind, secrets = channel.kind, json.loads(cipher().decrypt(channel.secrets_encrypted, _context(channel)))
    timeout = config["NOTIFY_TIMEOUT_SECONDS"]
    if channel_kind == "telegram":
        senders.send_telegram(secrets, message.subject, message.body, timeout=timeout, api_url=config["TELEGRAM_API_URL"])
    elif channel_kind == "slack":
        senders.send_slack(secrets, message.subject, message.body, timeout=timeout)
    elif channel_kind == "discord":
        senders.send_discord(secrets, message.subject, message.body, timeout=timeout)
    else:
        senders.send_email(secrets, message.subject, message.body, timeout=timeout, smtp=config["SMTP"])


def _claim(now: datetime, limit: int) -> list[OutboxMessage]:
    query = (select(OutboxMessage).where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
             .order_by(OutboxMessage.id).limit(limit))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # two workers never take the same message
    return list(db.session.scalars(query))


def deliver_pending(now: datetime | None = None, limit: int = 100) -> DeliveryReport:
    """Send what is due; each message is committed as sent right after it goes, so a restart resumes, not repeats."""
    now = now or datetime.now(timezone.utc)
    config = current_app.config
    report = DeliveryReport()
    for message in _claim(now, limit):
        channel = None
        if message.destination.startswith("channel:"):
            channel = db.session.get(NotificationChannel, int(message.destination.split(":", 1)[1]))
        try:
            _send(message)
        except (ChannelError, ValueError, KeyError) as error:
            message.attempts += 1
            message.last_error = str(error)[:500]
            if message.attempts >= config["NOTIFY_MAX_ATTEMPTS"]:
                message.status = "dead"
                report.given_up += 1
            else:
                message.next_attempt_at = now + _backoff(message.attempts)
                report.retried += 1
            if channel is not None:
                channel.consecutive_failures += 1
                channel.last_error = message.last_error
                if channel.consecutive_failures >= config["NOTIFY_FAILING_AFTER"] and channel.status != "failing":
                    channel.status = "failing"
                    report.failing_channels.append(channel.id)
            log.warning("alert %s to %s failed: %s", message.id, message.destination, message.last_error)
        else:
            message.status, message.sent_at = "sent", now
            message.attempts += 1
            report.sent += 1
            if channel is not None:
                channel.consecutive_failures, channel.status, channel.last_error = 0, "active", None
        db.session.commit()
    return report
