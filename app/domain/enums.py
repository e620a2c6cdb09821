"""The platform's vocabulary: every closed set of values a row or a request may hold."""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    TRADER = "trader"
    ADMIN = "admin"


class TradingMode(StrEnum):
    PAPER = "paper"
    LIVE = "live"
    HALTED = "halted"


class KycStatus(StrEnum):
    NONE = "none"
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class BrokerName(StrEnum):
    PAPER = "paper"
    TRADIER = "tradier"
    ALPACA = "alpaca"
    ZERODHA = "zerodha"
    TRADING212 = "trading212"


class BrokerEnvironment(StrEnum):
    PAPER = "paper"
    SANDBOX = "sandbox"
    PRODUCTION = "production"
    DEMO = "demo"
    LIVE = "live"


# Which environments each broker offers, and which of them move real money.
BROKER_ENVIRONMENTS: dict[BrokerName, frozenset[BrokerEnvironment]] = {
    BrokerName.PAPER: frozenset({BrokerEnvironment.PAPER}),
    BrokerName.TRADIER: frozenset({BrokerEnvironment.SANDBOX, BrokerEnvironment.PRODUCTION}),
    BrokerName.ALPACA: frozenset({BrokerEnvironment.PAPER, BrokerEnvironment.LIVE}),
    BrokerName.ZERODHA: frozenset({BrokerEnvironment.LIVE}),
    BrokerName.TRADING212: frozenset({BrokerEnvironment.DEMO, BrokerEnvironment.LIVE}),
}
LIVE_ENVIRONMENTS = frozenset({BrokerEnvironment.PRODUCTION, BrokerEnvironment.LIVE})


class ConnectionStatus(StrEnum):
    ACTIVE = "active"
    NEEDS_LOGIN = "needs_login"
    ERROR = "error"
    DISABLED = "disabled"


class AssetClass(StrEnum):
    EQUITY = "equity"
    OPTION = "option"


class OrderSide(StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"


class TimeInForce(StrEnum):
    DAY = "day"
    GTC = "gtc"


class OrderSource(StrEnum):
    DASHBOARD = "dashboard"
    API = "api"
    MONITOR = "monitor"
    KILL_SWITCH = "kill_switch"
    RECONCILIATION = "reconciliation"
    EXTERNAL = "external"  # found at the broker, never sent by us


class OrderStatus(StrEnum):
    DENIED = "denied"
    PENDING_SUBMIT = "pending_submit"
    UNKNOWN = "unknown"
    SUBMITTED = "submitted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    PENDING_CANCEL = "pending_cancel"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    # We know it never reached the broker (refused by our rate limiter, credentials, an open circuit):
    # not denied by a check, not rejected by the broker, and safe to place again as a new order.
    FAILED = "failed"


class FlagStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class JobOutcome(StrEnum):
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    SKIPPED = "skipped"
