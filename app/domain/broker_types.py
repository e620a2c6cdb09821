"""What every broker answers, in one shape: accounts, positions, orders, quotes and capabilities."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from app.domain.enums import AssetClass, OrderSide, OrderStatus, OrderType, TimeInForce


@dataclass(frozen=True)
class Capabilities:
    """What a broker can do, so the pipeline can refuse an order before it is sent."""

    asset_classes: frozenset[AssetClass]
    order_types: frozenset[OrderType]
    time_in_force: frozenset[TimeInForce]
    fractional_quantities: bool
    quote_batch_size: int
    # True when the broker de-duplicates on our client_order_id, so a lost reply can be looked up.
    idempotent_client_order_id: bool
    has_quotes: bool
    has_option_chains: bool = False


@dataclass(frozen=True)
class AccountSnapshot:
    account_id: str
    currency: str
    cash: Decimal
    buying_power: Decimal
    equity: Decimal


@dataclass(frozen=True)
class BrokerPosition:
    symbol: str
    quantity: Decimal  # signed: negative is short
    avg_price: Decimal
    asset_class: AssetClass = AssetClass.EQUITY
    market_price: Decimal | None = None


@dataclass(frozen=True)
class OrderAck:
    """The broker took the order; its status is what the broker said at that moment."""

    broker_order_id: str
    status: OrderStatus
    client_order_id: str | None = None


@dataclass(frozen=True)
class OrderReport:
    """An order as the broker sees it now."""

    broker_order_id: str
    symbol: str
    side: OrderSide
    quantity: Decimal
    order_type: OrderType
    status: OrderStatus
    filled_quantity: Decimal = Decimal("0")
    avg_fill_price: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    client_order_id: str | None = None  # or the broker's tag where it has no client order id
    created_at: datetime | None = None
    reject_reason: str | None = None


@dataclass(frozen=True)
class Greeks:
    delta: Decimal | None = None
    gamma: Decimal | None = None
    theta: Decimal | None = None
    vega: Decimal | None = None
    implied_volatility: Decimal | None = None


@dataclass(frozen=True)
class Quote:
    symbol: str
    bid: Decimal | None
    ask: Decimal | None
    last: Decimal | None
    as_of: datetime
    greeks: Greeks | None = None


@dataclass(frozen=True)
class OptionContract:
    symbol: str
    underlying: str
    expiry: date
    right: str
    strike: Decimal
    quote: Quote
    open_interest: int | None = None


@dataclass(frozen=True)
class CallRecord:
    """One HTTP call to a broker, for the health page."""

    broker: str
    operation: str
    method: str
    status_code: int | None
    latency_ms: float
    outcome: str  # ok, error, timeout, rate_limited, circuit_open
    at: datetime = field(compare=False, default=None)
