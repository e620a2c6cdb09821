"""Which exchange an instrument trades on, whether it is open, and its trading day and week."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import cache, lru_cache, wraps

import exchange_calendars
import pandas as pd
from exchange_calendars.errors import DateOutOfBounds, MinuteOutOfBounds

from app.domain.enums import BrokerName
from app.domain.errors import Unavailable

US = "XNYS"
# exchange-calendars has no separate NSE calendar; NSE and BSE share sessions and holidays.
INDIA = "XBOM"
_TRADING212_SUFFIXES = (("_US_EQ", US), ("l_EQ", "XLON"), ("d_EQ", "XETR"))


def calendar_name(broker: BrokerName, symbol: str) -> str:
    """NYSE for the US brokers, NSE/BSE for Kite symbols, the listing's exchange for Trading 212 tickers."""
    if broker == BrokerName.ZERODHA or (":" in symbol and symbol.split(":", 1)[0] in ("NSE", "BSE", "NFO", "BFO")):
        return INDIA  # Kite, and Kite symbols traded on paper
    if broker == BrokerName.TRADING212:
        for suffix, name in _TRADING212_SUFFIXES:
            if symbol.endswith(suffix):
                return name
    return US


# No session before the platform's first trading day is ever asked about. The library's default of twenty
# years of trading minutes costs about 35 MB per calendar in every process; this costs a few.
FIRST_SESSION = pd.Timestamp("2025-01-02")


@cache
def _calendar(name: str):
    return exchange_calendars.get_calendar(name, start=FIRST_SESSION)


class CalendarUnknown(Unavailable):
    """The exchange's sessions are not known for that date (its holidays are published a year at a time)."""


def _within_calendar(lookup):
    """Past the last session the library knows, answer with a clear refusal, never a crash."""

    @wraps(lookup)
    def guarded(name: str, when):
        try:
            return lookup(name, when)
        except (DateOutOfBounds, MinuteOutOfBounds):
            raise CalendarUnknown(
                "MARKET_CALENDAR_UNKNOWN",
                f"The {name} trading calendar has no sessions recorded for {when:%Y-%m-%d}; orders and exits on "
                f"that exchange wait until its holidays are known.",
                details={"calendar": name},
            ) from None

    return guarded


def _minute(now: datetime) -> pd.Timestamp:
    return pd.Timestamp(now).tz_convert("UTC").floor("min")


def _utc_minute(now: datetime) -> datetime:
    # The calendar answers by the minute: every order in the same minute asks the same question.
    if now.tzinfo is None:
        raise ValueError("market hours need a timezone-aware time")  # never the server's local clock
    return now.astimezone(timezone.utc).replace(second=0, microsecond=0)


@_within_calendar
def is_open(name: str, now: datetime) -> bool:
    """True during a regular session (holidays and weekends are closed)."""
    return _is_open_on_minute(name, _utc_minute(now))


@lru_cache(maxsize=1024)
def _is_open_on_minute(name: str, minute: datetime) -> bool:
    return bool(_calendar(name).is_open_on_minute(pd.Timestamp(minute)))


@_within_calendar
def trading_day(name: str, now: datetime) -> date:
    """The session `now` belongs to: the one in progress, else the last one to have opened (before the open, yesterday's)."""
    return _session_of_minute(name, _utc_minute(now))


@lru_cache(maxsize=1024)
def _session_of_minute(name: str, minute: datetime) -> date:
    return _calendar(name).minute_to_session(pd.Timestamp(minute), direction="previous").date()


@_within_calendar
@lru_cache(maxsize=256)
def week_start(name: str, day: date) -> date:
    """The first trading day of the week `day` falls in."""
    calendar = _calendar(name)
    monday = pd.Timestamp(day - timedelta(days=day.weekday()))
    sessions = calendar.sessions_in_range(monday, monday + pd.Timedelta(days=6))
    return sessions[0].date() if len(sessions) else day


@_within_calendar
def next_open(name: str, now: datetime) -> datetime:
    """When the exchange next opens after `now` (UTC)."""
    return _calendar(name).next_open(_minute(now)).to_pydatetime()


@_within_calendar
def next_week_open(name: str, now: datetime) -> datetime:
    """The open of the first session of next week."""
    calendar = _calendar(name)
    local = pd.Timestamp(now).tz_convert(calendar.tz)
    next_monday = (local + pd.Timedelta(days=7 - local.weekday())).normalize().tz_localize(None)
    session = calendar.date_to_session(next_monday, direction="next")
    return calendar.session_open(session).to_pydatetime()


def calendar_tz(name: str):
    """The exchange's own time zone."""
    return _calendar(name).tz


@_within_calendar
def session_close(name: str, day: date) -> datetime | None:
    """When `day`'s session closes (UTC), or None if the exchange has no session that day."""
    calendar = _calendar(name)
    session = pd.Timestamp(day)
    if not calendar.is_session(session):
        return None
    return calendar.session_close(session).to_pydatetime()
