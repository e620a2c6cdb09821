"""Logging and Sentry never carry secrets; the health endpoints answer JSON."""
import io
import json
import logging

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from app.observability import FILTERED, JsonLogFormatter, init_sentry, scrub

SECRET = "s3cr3t-VALUE-9f8e7d"


def test_scrub_walks_every_level_and_filters_secret_keys():
    event = {
        "request": {
            "headers": [["Authorization", f"Bearer {SECRET}"], ["APCA-API-SECRET-KEY", SECRET], ["Accept", "json"]],
            "data": {"password": SECRET, "nested": [{"api_key": SECRET}, {"Access-Token": SECRET}]},
            "query_string": f"symbol=AAPL&token={SECRET}",
        },
        "extra": {"deep": {"deeper": {"client_secret": SECRET, "totp": "123456", "credentials": {"k": SECRET}}}},
        "breadcrumbs": {"values": [{"message": f"calling broker with Bearer {SECRET}"}]},
        "tags": {"user_id": 7, "order_id": 42},
    }
    scrubbed = scrub(event)
    assert SECRET not in json.dumps(scrubbed)
    assert "123456" not in json.dumps(scrubbed)
    assert scrubbed["request"]["headers"][2] == ["Accept", "json"]
    assert scrubbed["request"]["headers"][1] == ["APCA-API-SECRET-KEY", FILTERED]
    assert scrubbed["tags"] == {"user_id": 7, "order_id": 42}
    assert scrubbed["request"]["query_string"].startswith("symbol=AAPL&token=")


class RecordingTransport(Transport):
    """Keeps what Sentry would have sent, instead of sending it."""

    sent: list = []

    def capture_envelope(self, envelope):
        for item in envelope.items:
            RecordingTransport.sent.append(item.payload.json)


@pytest.fixture
def sentry_events():
    RecordingTransport.sent = []
    assert init_sentry("https://public@sentry.invalid/1", "testing", 0.0, transport=RecordingTransport)
    yield RecordingTransport.sent
    sentry_sdk.init(dsn=None)


def test_a_server_error_reaches_sentry_without_its_secrets(app_factory, sentry_events):
    app = app_factory(PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    def boom():
        password = SECRET  # noqa: F841  (a local Sentry must not capture)
        raise RuntimeError("broker call failed")

    response = app.test_client().get(
        "/boom",
        headers={"Authorization": f"Bearer {SECRET}", "APCA-API-SECRET-KEY": SECRET, "Cookie": f"session={SECRET}"},
    )
    sentry_sdk.flush()
    assert response.status_code == 500
    assert any("broker call failed" in json.dumps(event) for event in sentry_events), "no event was captured"
    assert SECRET not in json.dumps(sentry_events)


def test_json_logs_scrub_secrets_from_messages():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    logger = logging.getLogger("test.json")
    logger.addHandler(handler)
    logger.propagate = False
    logger.warning("retrying with Authorization: Bearer %s api_key=%s", SECRET, SECRET)
    line = json.loads(stream.getvalue())
    assert line["level"] == "WARNING" and line["logger"] == "test.json"
    assert SECRET not in stream.getvalue()


def test_healthz_answers_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_reports_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["checks"]["database"] == {"ok": True}


def test_readyz_turns_unavailable_when_the_database_is_gone(app_factory):
    app = app_factory(SQLALCHEMY_DATABASE_URI="postgresql+psycopg2://nobody@127.0.0.1:1/gone")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["checks"]["database"]["ok"] is False


def test_a_failed_job_reaches_sentry_with_its_tag_and_without_secrets(app, sentry_events):
    from app.services.job_runs import record_run

    def broken():
        raise RuntimeError(f"broker refused Authorization: Bearer {SECRET}")

    record_run("reconcile_orders", broken)
    sentry_sdk.flush()
    assert sentry_events, "the failure was not reported"
    event = next(e for e in sentry_events if "exception" in e)
    assert event["tags"]["job"] == "reconcile_orders"
    assert SECRET not in json.dumps(sentry_events)
