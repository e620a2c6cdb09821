"""The order request and the order state-transition table."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from app.domain.enums import AssetClass, OrderSide, OrderStatus, OrderType, TimeInForce
from app.domain.options import contract_multiplier


class PositionEffect(StrEnum):
    """Whether an order opens or closes exposure; brokers such as Tradier need it for options and shorts."""

    OPEN = "open"
    CLOSE = "close"


@dataclass(frozen=True)
class OrderRequest:
    """What a trader asked for, already parsed into exact values."""

    symbol: str
    side: OrderSide
    quantity: Decimal
    order_type: OrderType = OrderType.MARKET
    time_in_force: TimeInForce = TimeInForce.DAY
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    asset_class: AssetClass = AssetClass.EQUITY
    position_effect: PositionEffect | None = None
    # Zerodha only: CNC, MIS or NRML; the adapter picks a default from the exchange when unset.
    product: str | None = None

    @property
    def multiplier(self) -> Decimal:
        return contract_multiplier(self.asset_class)

    def notional(self, price: Decimal) -> Decimal:
        """What the order is worth at `price`, contracts times the multiplier included."""
        return self.quantity * price * self.multiplier

    @property
    def needs_limit_price(self) -> bool:
        return self.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)

    @property
    def needs_stop_price(self) -> bool:
        return self.order_type in (OrderType.STOP, OrderType.STOP_LIMIT)


FINAL_STATUSES = frozenset(
    {OrderStatus.DENIED, OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED,
     OrderStatus.FAILED}
)
OPEN_STATUSES = frozenset(
    {OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING_CANCEL}
)

# Which status may follow which. A late broker event that would move an order
# backwards (filled -> submitted) is not in the table and is refused.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_SUBMIT: frozenset(
        {OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED, OrderStatus.REJECTED,
         OrderStatus.UNKNOWN, OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.FAILED}
    ),
    OrderStatus.UNKNOWN: frozenset(
        {OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED, OrderStatus.REJECTED,
         OrderStatus.CANCELLED, OrderStatus.EXPIRED}
    ),
    OrderStatus.SUBMITTED: frozenset(
        {OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED, OrderStatus.PENDING_CANCEL, OrderStatus.CANCELLED,
         OrderStatus.REJECTED, OrderStatus.EXPIRED}
    ),
    OrderStatus.PARTIALLY_FILLED: frozenset(
        {OrderStatus.FILLED, OrderStatus.PENDING_CANCEL, OrderStatus.CANCELLED, OrderStatus.EXPIRED}
    ),
    OrderStatus.PENDING_CANCEL: frozenset(
        {OrderStatus.CANCELLED, OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED, OrderStatus.EXPIRED}
    ),
    OrderStatus.DENIED: frozenset(),
    OrderStatus.FILLED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REJECTED: frozenset(),
    OrderStatus.EXPIRED: frozenset(),
    OrderStatus.FAILED: frozenset(),
}
# Orders that may still change at the broker, and so must be reconciled.
UNSETTLED_STATUSES = frozenset(
    {OrderStatus.PENDING_SUBMIT, OrderStatus.UNKNOWN, OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED,
     OrderStatus.PENDING_CANCEL}
)


class IllegalTransition(ValueError):
    """An order was asked to move to a status the table does not allow from where it is."""


def can_transition(current: OrderStatus, new: OrderStatus) -> bool:
    return new == current or new in TRANSITIONS[current]


def check_transition(current: OrderStatus, new: OrderStatus) -> None:
    if not can_transition(current, new):
        raise IllegalTransition(f"an order cannot move from {current} to {new}")
