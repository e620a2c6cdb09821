"""Shared arrangements for order pipeline tests: a trader, a fresh quote, a fixed time in market hours."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from app.domain.enums import BrokerName
from app.extensions import db
from app.models import BrokerConnection, Quote, RiskLimits, User
from app.services.users import create_user

MONDAY_OPEN = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)  # 10:00 in New York, a regular session
SATURDAY = datetime(2026, 3, 7, 15, 0, tzinfo=timezone.utc)
THANKSGIVING = datetime(2026, 11, 26, 16, 0, tzinfo=timezone.utc)


def trader(email="trader@example.com", balance="100000", **limits) -> User:
    user = create_user(email, "correct horse battery")
    user.paper_balance = Decimal(balance)
    row = db.session.scalar(db.select(RiskLimits).where(RiskLimits.user_id == user.id))
    for name, value in limits.items():
        setattr(row, name, value)
    db.session.commit()
    return user


def paper_connection(user: User) -> BrokerConnection:
    return db.session.scalar(
        db.select(BrokerConnection).where(BrokerConnection.user_id == user.id, BrokerConnection.broker == BrokerName.PAPER)
    )


def quote(symbol="AAPL", bid="99.90", ask="100.10", last="100.00", at=MONDAY_OPEN, age_seconds=5, source="demo",
          **greeks):
    as_of = at - timedelta(seconds=age_seconds)
    row = db.session.get(Quote, (symbol, source)) or Quote(symbol=symbol, source=source)
    row.bid, row.ask, row.last, row.as_of, row.fetched_at = Decimal(bid), Decimal(ask), Decimal(last), as_of, as_of
    for name, value in greeks.items():
        setattr(row, name, Decimal(value))
    db.session.add(row)
    db.session.commit()
    return row
