"""What the simulator keeps between calls, behind an interface so the adapter never sees Flask or models."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from app.domain.enums import AssetClass, OrderSide, OrderStatus, OrderType, TimeInForce


@dataclass
class PaperOrder:
    """An order resting at, or finished by, the simulated venue."""

    order_id: str | None
    client_order_id: str
    symbol: str
    side: OrderSide
    quantity: Decimal
    order_type: OrderType
    time_in_force: TimeInForce
    asset_class: AssetClass
    status: OrderStatus
    created_at: datetime
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    filled_quantity: Decimal = Decimal("0")
    avg_fill_price: Decimal | None = None
    commission: Decimal = Decimal("0")
    stop_triggered: bool = False
    reject_reason: str | None = None


@dataclass
class PaperHolding:
    symbol: str
    quantity: Decimal
    avg_price: Decimal
    asset_class: AssetClass


class PaperStore(Protocol):
    """The simulated account of one connection: cash, holdings and orders."""

    currency: str

    def lock(self) -> None:
        """Serialise changes to this account until the caller's transaction ends."""

    def cash(self) -> Decimal: ...

    def set_cash(self, amount: Decimal) -> None: ...

    def holdings(self) -> list[PaperHolding]: ...

    def holding(self, symbol: str) -> PaperHolding | None: ...

    def save_holding(self, holding: PaperHolding) -> None:
        """Insert or update; a zero quantity removes the holding."""

    def orders(self) -> list[PaperOrder]: ...

    def open_orders(self) -> list[PaperOrder]:
        """Orders still working at the venue; the account's history can be long, these few are what decisions need."""

    def order(self, order_id: str) -> PaperOrder | None: ...

    def order_by_client_id(self, client_order_id: str) -> PaperOrder | None: ...

    def add_order(self, order: PaperOrder) -> PaperOrder:
        """Store a new order and give it an id."""

    def save_order(self, order: PaperOrder) -> None: ...
