"""Exact decimals and aware UTC timestamps survive a round trip through the real database."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import StatementError

from app.models import Quote
from tests.factories import UserFactory


def _quote(**fields):
    now = datetime(2026, 3, 2, 15, 30, tzinfo=timezone.utc)
    return Quote(**{"symbol": "AAPL", "source": "test", "as_of": now, "fetched_at": now, **fields})


@pytest.mark.parametrize(
    "value",
    [Decimal("0.1") + Decimal("0.2"), Decimal("123456789.12345678"), Decimal("-0.00000001"), Decimal("0")],
)
def test_amounts_round_trip_exactly(db, value):
    db.session.add(_quote(last=value))
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Quote, ("AAPL", "test")).last
    assert isinstance(stored, Decimal)
    assert stored == value


def test_amounts_sum_exactly_in_sql(db):
    for index, price in enumerate(["0.1", "0.2", "0.00000001"]):
        db.session.add(_quote(symbol=f"S{index}", last=Decimal(price)))
    db.session.commit()
    total = db.session.scalar(sa.select(sa.func.sum(Quote.last)))
    assert Decimal(total) == Decimal("0.30000001")


def test_floats_are_refused_for_amounts(db):
    db.session.add(_quote(last=0.1))
    with pytest.raises(StatementError, match="Decimal, never float"):
        db.session.commit()
    db.session.rollback()


def test_non_finite_amounts_are_refused(db):
    db.session.add(_quote(last=Decimal("NaN")))
    with pytest.raises(StatementError, match="finite"):
        db.session.commit()
    db.session.rollback()


def test_timestamps_come_back_aware_in_utc(db):
    new_york = timezone(timedelta(hours=-5))
    local = datetime(2026, 3, 2, 10, 30, tzinfo=new_york)
    db.session.add(_quote(as_of=local))
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Quote, ("AAPL", "test")).as_of
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored == datetime(2026, 3, 2, 15, 30, tzinfo=timezone.utc)


def test_naive_timestamps_are_refused(db):
    db.session.add(_quote(as_of=datetime(2026, 3, 2, 15, 30)))
    with pytest.raises(StatementError, match="naive datetime"):
        db.session.commit()
    db.session.rollback()


def test_user_defaults_are_decimal_and_aware(db):
    user = UserFactory()
    db.session.commit()
    db.session.expire_all()
    assert isinstance(user.paper_balance, Decimal)
    assert user.created_at.tzinfo is not None
