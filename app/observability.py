"""Structured logging, Sentry with secret scrubbing, and health checks."""
from __future__ import annotations

import json
import logging
from contextlib import contextmanager
import re
import sys
from datetime import datetime, timezone

from sqlalchemy import text

SENSITIVE_KEY = re.compile(
    r"pass(word|wd|phrase)?|secret|token|api[-_]?key|apikey|authorization|auth[-_]?header|"
    r"credential|cookie|session|totp|otp|private[-_]?key|access[-_]?key|checksum|signature",
    re.IGNORECASE,
)
# Values that are secrets whatever key they sit under: bearer/basic auth and key=value pairs.
SENSITIVE_VALUE = re.compile(
    r"(?i)(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}|"
    r"((?:pass(?:word)?|secret|token|api[-_]?key|access_token|request_token|totp)[\"']?\s*[=:]\s*[\"']?)[^\s&\"',;]+"
)
FILTERED = "[Filtered]"


def scrub_text(value: str) -> str:
    """Replace anything in free text that looks like a credential."""

    def _replace(match: re.Match) -> str:
        if match.group(2):
            return match.group(2) + FILTERED
        return match.group(1) + " " + FILTERED

    return SENSITIVE_VALUE.sub(_replace, value)


def scrub(value, key: str | None = None):
    """Walk any JSON-like structure, filtering sensitive keys and secret-looking strings."""
    if key is not None and SENSITIVE_KEY.search(key):
        return FILTERED
    if isinstance(value, dict):
        return {k: scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        # Sentry sends headers as [name, value] pairs; a pair named like a secret is filtered whole.
        if len(value) == 2 and isinstance(value[0], str) and SENSITIVE_KEY.search(value[0]):
            return [value[0], FILTERED]
        return [scrub(item) for item in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


def scrub_sentry_event(event, hint=None):
    """Sentry before_send: nothing that looks like a secret leaves the process."""
    return scrub(event)


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line, with secrets scrubbed from the message."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub_text(record.getMessage()),
        }
        for field in ("user_id", "order_id", "job", "request_id"):
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["exc"] = scrub_text(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    """Send the app's logs to stdout as JSON, where Heroku and Railway collect them."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if isinstance(existing.formatter, JsonLogFormatter):
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic announces every plugin at INFO on each CLI call; that is noise, not news.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def init_sentry(dsn: str | None, environment: str, traces_sample_rate: float, **extra_options) -> bool:
    """Start Sentry only when a DSN is configured; returns whether it started.

    `extra_options` reach sentry_sdk.init as they are (a test passes a recording transport).
    """
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[FlaskIntegration()],
        # No user identity, request bodies or frame locals: an order form or a broker call's
        # locals can hold credentials. before_send then scrubs whatever is left.
        data_collection={"user_info": False, "http_bodies": [], "stack_frame_variables": False},
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        before_send=scrub_sentry_event,
        before_send_transaction=scrub_sentry_event,
        **extra_options,
    )
    return True


def tag(**tags) -> None:
    """Label what Sentry reports from here on in this scope (user id, order id, job); never secrets."""
    import sentry_sdk

    for key, value in tags.items():
        if value is not None:
            sentry_sdk.set_tag(key, str(value))


@contextmanager
def tagged(**tags):
    """A scope whose Sentry events (an error logged inside it) carry these tags; a no-op without a DSN."""
    import sentry_sdk

    with sentry_sdk.new_scope() as scope:
        for key, value in tags.items():
            scope.set_tag(key, str(value))
        yield


def database_check(session) -> dict:
    """Whether the database answers a trivial query."""
    try:
        session.execute(text("SELECT 1"))
        return {"ok": True}
    except Exception as error:  # any failure means not ready; the type is what an operator needs
        session.rollback()
        return {"ok": False, "error": type(error).__name__}
