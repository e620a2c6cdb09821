"""End-of-day equity snapshots: after the exchange closes, once per connection and day."""
from datetime import datetime, timezone
from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.models import EquitySnapshot, SnapshotKind
from app.services.snapshots import take_close_snapshots
from tests.services.pipeline_fixtures import MONDAY_OPEN, SATURDAY, trader

AFTER_CLOSE = datetime(2026, 3, 2, 21, 30, tzinfo=timezone.utc)  # 16:30 in New York


def closes():
    return db.session.scalars(sa.select(EquitySnapshot).where(EquitySnapshot.kind == SnapshotKind.DAY_CLOSE)).all()


def test_no_snapshot_before_the_close(app):
    trader()
    assert take_close_snapshots(now=MONDAY_OPEN)["taken"] == 0 and closes() == []


def test_one_snapshot_per_connection_after_the_close(app):
    trader(balance="25000")
    assert take_close_snapshots(now=AFTER_CLOSE)["taken"] == 1
    assert take_close_snapshots(now=AFTER_CLOSE.replace(minute=45))["taken"] == 0  # once a day
    [snapshot] = closes()
    assert (snapshot.trading_day.isoformat(), snapshot.equity) == ("2026-03-02", Decimal("25000"))


def test_a_missed_friday_close_is_taken_at_the_weekend_once(app):
    trader()
    take_close_snapshots(now=AFTER_CLOSE)  # Monday's
    assert take_close_snapshots(now=SATURDAY)["taken"] == 1  # Friday's, had the job missed Friday evening
    assert take_close_snapshots(now=SATURDAY.replace(hour=18))["taken"] == 0
    assert [s.trading_day.isoformat() for s in closes()] == ["2026-03-02", "2026-03-06"]
