"""What a check may look at (PreTradeContext) and what it may say (Verdict)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Mapping

from app.domain.broker_types import AccountSnapshot, Capabilities
from app.domain.enums import AssetClass, OrderSide, OrderSource, TradingMode
from app.domain.options import contract_multiplier


class Outcome(StrEnum):
    PASS = "pass"
    DENY = "deny"
    CONFIRM = "confirm"  # the order may go only when the trader confirms it (with a TOTP code for live money)
    FLAG = "flag"  # the order may go, and an admin is asked to look at it


@dataclass(frozen=True)
class Verdict:
    """One check's answer: a stable UPPER_SNAKE code and key=value details for everything but PASS."""

    outcome: Outcome
    code: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)
    needs_totp: bool = False

    @classmethod
    def passed(cls) -> "Verdict":
        return cls(Outcome.PASS)

    @classmethod
    def deny(cls, code: str, **details) -> "Verdict":
        return cls(Outcome.DENY, code, _text(details))

    @classmethod
    def confirm(cls, code: str, *, totp: bool = False, **details) -> "Verdict":
        return cls(Outcome.CONFIRM, code, _text(details), needs_totp=totp)

    @classmethod
    def flag(cls, code: str, **details) -> "Verdict":
        return cls(Outcome.FLAG, code, _text(details))


def _text(details: dict) -> dict[str, str]:
    """Details as text; decimals in plain notation without storage padding (1001, not 1001.00000000)."""
    return {key: f"{value.normalize():f}" if isinstance(value, Decimal) else str(value) for key, value in details.items()}


@dataclass(frozen=True)
class CheckResult:
    """A verdict with the name of the check that gave it, as stored with the order."""

    check: str
    verdict: Verdict

    def as_dict(self) -> dict:
        return {
            "check": self.check,
            "outcome": self.verdict.outcome.value,
            "code": self.verdict.code,
            "details": dict(self.verdict.details),
        }


@dataclass(frozen=True)
class Holding:
    """A position as the checks see it: signed quantity valued at its mark."""

    symbol: str
    underlying: str
    quantity: Decimal
    price: Decimal
    asset_class: AssetClass = AssetClass.EQUITY
    delta: Decimal | None = None  # per share of the underlying (options), None when unknown
    theta: Decimal | None = None
    vega: Decimal | None = None

    @property
    def multiplier(self) -> Decimal:
        return contract_multiplier(self.asset_class)

    @property
    def value(self) -> Decimal:
        return abs(self.quantity) * self.price * self.multiplier


@dataclass(frozen=True)
class RecentOrder:
    """One of the user's recent orders that our checks let through (for rates, duplicates and patterns)."""

    symbol: str
    side: OrderSide
    quantity: Decimal
    value: Decimal
    created_at: datetime
    filled: bool


@dataclass(frozen=True)
class ComplianceSettings:
    """Platform thresholds for the compliance rules and confirmations, in the account currency."""

    kyc_trade_threshold: Decimal = Decimal("10000")
    kyc_daily_volume: Decimal = Decimal("50000")
    large_transaction: Decimal = Decimal("50000")
    live_confirm_threshold: Decimal = Decimal("5000")
    duplicate_window_seconds: int = 60
    burst_orders: int = 5
    burst_seconds: int = 10
    round_trip_seconds: int = 300
    outsized_multiple: Decimal = Decimal("10")
    outsized_min_history: int = 5


@dataclass(frozen=True)
class PreTradeContext:
    """Everything a check may look at, taken under the user's lock; `now` included, so no check reads a clock."""

    now: datetime
    trading_day: date
    source: OrderSource
    trading_mode: TradingMode
    is_live: bool  # the connection moves real money
    kill_switch_engaged: bool
    limits: Mapping[str, Decimal | int | None]
    capabilities: Capabilities
    account: AccountSnapshot
    holdings: tuple[Holding, ...]
    # Value of our own orders the broker has not yet reflected in its buying power (pending or unknown).
    unreflected_buy_value: Decimal
    # Remaining value of all our open buy orders, reflected or not: capital committed but not yet a holding.
    open_buy_value: Decimal
    # Symbols our accepted, still-open orders would open a position in.
    symbols_pending_open: frozenset[str]
    price: Decimal | None  # what the order is valued at: its limit, else its stop, else the quote
    quote_age_seconds: float | None
    stale_quote_seconds: int
    market_open: bool
    market_calendar: str
    # This trading day's, newest first. For a paper order only those in its symbol within the duplicate
    # window, with the counts below: compliance, which reads the whole day, runs on live orders alone.
    recent_orders: tuple[RecentOrder, ...]
    day_start_equity: Decimal | None
    week_start_equity: Decimal | None
    kyc_verified: bool
    has_2fa: bool
    disclosure_current: bool
    option_days_to_expiry: int | None = None
    option_greeks: tuple[Decimal | None, Decimal | None, Decimal | None] | None = None  # delta, theta, vega
    compliance: ComplianceSettings = field(default_factory=ComplianceSettings)
    # How many of the day's orders, and of the last sixty seconds', count towards the limits. Built from
    # our tables they are always set (recent_orders may hold only a few); left None, the rows are counted.
    orders_today: int | None = None
    orders_last_minute: int | None = None

    @property
    def trades_today(self) -> int:
        return self.orders_today if self.orders_today is not None else len(self.recent_orders)

    @property
    def trades_last_minute(self) -> int:
        return self.orders_last_minute if self.orders_last_minute is not None else len(self.orders_since(60))

    def holding(self, symbol: str) -> Holding | None:
        return next((h for h in self.holdings if h.symbol == symbol), None)

    def orders_since(self, seconds: float) -> list[RecentOrder]:
        return [o for o in self.recent_orders if (self.now - o.created_at).total_seconds() <= seconds]
