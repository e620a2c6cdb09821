"""End-of-day equity snapshots per connection: the equity curve and the analytics read from them."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from app.brokers.base import BrokerError
from app.domain.enums import ConnectionStatus
from app.extensions import db
from app.models import BrokerConnection, EquitySnapshot, SnapshotKind
from app.services import market_hours
from app.services.accounts import adapter_for, note_broker_error
from app.services.broker_health import prune_calls


def take_close_snapshots(now: datetime | None = None) -> dict:
    """After each exchange's close, record every active connection's equity once for that day."""
    now = now or datetime.now(timezone.utc)
    taken, skipped, failed = 0, 0, 0
    for connection in db.session.scalars(
        select(BrokerConnection).where(BrokerConnection.status == ConnectionStatus.ACTIVE)
    ).all():
        calendar = market_hours.calendar_name(connection.broker, "")
        try:
            day = market_hours.trading_day(calendar, now)
            close = market_hours.session_close(calendar, day)
        except market_hours.CalendarUnknown:
            skipped += 1
            continue
        done = db.session.scalar(select(EquitySnapshot.id).where(
            EquitySnapshot.connection_id == connection.id, EquitySnapshot.kind == SnapshotKind.DAY_CLOSE,
            EquitySnapshot.trading_day == day))
        if close is None or now < close or done:
            skipped += 1
            continue
        try:
            equity = adapter_for(connection).get_account().equity
        except BrokerError as error:
            note_broker_error(connection, error)
            failed += 1
            continue
        db.session.add(EquitySnapshot(user_id=connection.user_id, connection_id=connection.id,
                                      kind=SnapshotKind.DAY_CLOSE, trading_day=day, equity=equity))
        taken += 1
    pruned = prune_calls(now)
    db.session.commit()
    return {"taken": taken, "skipped": skipped, "failed": failed, "broker_calls_pruned": pruned}
