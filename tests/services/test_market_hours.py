"""Exchange calendars: sessions where the library knows them, a clear refusal past them, never a crash."""
from datetime import datetime, timezone

import pytest

from app.services import market_hours
from tests.services.pipeline_fixtures import MONDAY_OPEN, SATURDAY

# Far past the last session exchange-calendars records for any exchange (about a year ahead).
UNRECORDED = datetime(2099, 1, 5, 15, 0, tzinfo=timezone.utc)


def test_known_sessions_answer_in_the_exchanges_own_day():
    assert market_hours.is_open(market_hours.US, MONDAY_OPEN)
    assert not market_hours.is_open(market_hours.US, SATURDAY)
    assert market_hours.trading_day(market_hours.US, SATURDAY) == datetime(2026, 3, 6).date()


@pytest.mark.parametrize("lookup", ["is_open", "trading_day", "next_open", "next_week_open"])
def test_a_date_past_the_recorded_sessions_is_a_clear_503_not_a_crash(lookup):
    with pytest.raises(market_hours.CalendarUnknown) as refused:
        getattr(market_hours, lookup)(market_hours.INDIA, UNRECORDED)
    error = refused.value
    assert (error.http_status, error.code, error.details) == (503, "MARKET_CALENDAR_UNKNOWN", {"calendar": "XBOM"})
    assert "2099-01-05" in error.message


def test_an_order_on_an_exchange_without_known_sessions_is_refused_and_nothing_is_stored(app):
    import sqlalchemy as sa

    from app.domain.enums import OrderSource
    from app.extensions import db
    from app.models import Order
    from app.services.order_pipeline import submit_order
    from tests.services.pipeline_fixtures import quote, trader

    user = trader()
    quote("NSE:INFY", at=UNRECORDED)
    with pytest.raises(market_hours.CalendarUnknown):
        submit_order(user, {"symbol": "NSE:INFY", "side": "buy", "quantity": "1", "type": "limit",
                            "limit_price": "101"}, source=OrderSource.API, now=UNRECORDED)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_a_time_without_a_zone_is_refused_not_read_as_the_servers_clock():
    import pytest

    with pytest.raises(ValueError):
        market_hours.is_open(market_hours.US, MONDAY_OPEN.replace(tzinfo=None))
