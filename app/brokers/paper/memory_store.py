"""A PaperStore in memory: for tests and for running the simulator without a database."""
from __future__ import annotations

import itertools
from dataclasses import replace
from decimal import Decimal

from app.brokers.paper.store import PaperHolding, PaperOrder
from app.domain.orders import OPEN_STATUSES


class InMemoryPaperStore:
    """Keeps one simulated account in dictionaries; returns copies so callers must save changes."""

    def __init__(self, cash: Decimal = Decimal("100000"), currency: str = "USD"):
        self.currency = currency
        self._cash = cash
        self._holdings: dict[str, PaperHolding] = {}
        self._orders: dict[str, PaperOrder] = {}
        self._ids = itertools.count(1)

    def lock(self) -> None:
        """One process, one thread per test: nothing to serialise."""

    def cash(self) -> Decimal:
        return self._cash

    def set_cash(self, amount: Decimal) -> None:
        self._cash = amount

    def holdings(self) -> list[PaperHolding]:
        return [replace(h) for h in self._holdings.values()]

    def holding(self, symbol: str) -> PaperHolding | None:
        found = self._holdings.get(symbol)
        return replace(found) if found else None

    def save_holding(self, holding: PaperHolding) -> None:
        if holding.quantity == 0:
            self._holdings.pop(holding.symbol, None)
        else:
            self._holdings[holding.symbol] = replace(holding)

    def orders(self) -> list[PaperOrder]:
        return [replace(o) for o in self._orders.values()]

    def open_orders(self) -> list[PaperOrder]:
        return [replace(o) for o in self._orders.values() if o.status in OPEN_STATUSES]

    def order(self, order_id: str) -> PaperOrder | None:
        found = self._orders.get(order_id)
        return replace(found) if found else None

    def order_by_client_id(self, client_order_id: str) -> PaperOrder | None:
        for order in self._orders.values():
            if order.client_order_id == client_order_id:
                return replace(order)
        return None

    def add_order(self, order: PaperOrder) -> PaperOrder:
        order = replace(order, order_id=f"paper-{next(self._ids)}")
        self._orders[order.order_id] = replace(order)
        return order

    def save_order(self, order: PaperOrder) -> None:
        self._orders[order.order_id] = replace(order)
