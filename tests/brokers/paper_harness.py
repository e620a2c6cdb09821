"""The paper simulator's fixtures: its venue state in memory and a quote source it reads from."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from app.brokers.paper.adapter import PaperAdapter
from app.brokers.paper.memory_store import InMemoryPaperStore
from app.brokers.paper.pricing import PaperSettings
from app.brokers.paper.store import PaperHolding, PaperOrder
from app.domain.broker_types import AccountSnapshot, BrokerPosition, OrderAck, Quote
from app.domain.enums import AssetClass, OrderSide, OrderStatus, OrderType, TimeInForce
from app.domain.orders import OrderRequest
from tests.brokers.harness import BrokerHarness

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)
SYMBOLS = ["AAPL", "MSFT", "SPY", "QQQ"]


def quote(symbol, bid="99.90", ask="100.10", last="100.00"):
    return Quote(symbol, Decimal(bid), Decimal(ask), Decimal(last), NOW)


class PaperHarness(BrokerHarness):
    name = "paper"
    uses_http = False
    secret = ""
    known_order_id = "paper-1"

    def __init__(self):
        self.store = InMemoryPaperStore(cash=Decimal("10000"))
        self.quotes = {s: quote(s) for s in SYMBOLS}

    def _source(self, symbols):
        return {s: self.quotes[s] for s in symbols if s in self.quotes}

    def build(self, options=None):
        return PaperAdapter(self.store, self._source, lambda: NOW, PaperSettings(commission_per_order=Decimal("1")))

    def sample_request(self):
        return OrderRequest(symbol="AAPL", side=OrderSide.BUY, quantity=Decimal("5"))

    def quote_symbols(self, count):
        return SYMBOLS[:count]

    def _resting(self, symbol="AAPL", **fields):
        order = PaperOrder(
            order_id=None, client_order_id=f"pc-{len(self.store.orders())}", symbol=symbol, side=OrderSide.BUY,
            quantity=Decimal("5"), order_type=OrderType.LIMIT, time_in_force=TimeInForce.GTC,
            asset_class=AssetClass.EQUITY, status=OrderStatus.SUBMITTED, created_at=NOW,
            limit_price=Decimal("90"), **fields,
        )
        return self.store.add_order(order)

    def mock_account(self, rsps):
        self.store.save_holding(PaperHolding("AAPL", Decimal("10"), Decimal("95"), AssetClass.EQUITY))
        self._resting("MSFT")  # reserves 5 x 90 + 1 commission
        return AccountSnapshot("paper", "USD", Decimal("10000"), Decimal("9549"), Decimal("11000.00"))

    def mock_positions(self, rsps, count):
        for symbol in SYMBOLS[:count]:
            self.store.save_holding(PaperHolding(symbol, Decimal("3"), Decimal("95"), AssetClass.EQUITY))
        return [BrokerPosition(s, Decimal("3"), Decimal("95"), AssetClass.EQUITY, Decimal("100.00")) for s in SYMBOLS[:count]]

    def mock_orders(self, rsps, count):
        return [(self._resting(SYMBOLS[n]).order_id, OrderStatus.SUBMITTED) for n in range(count)]

    def mock_order(self, rsps):
        self._resting()
        return OrderStatus.SUBMITTED, Decimal("0")

    def mock_place(self, rsps, request, client_order_id):
        return OrderAck("paper-1", OrderStatus.FILLED, client_order_id)

    def mock_place_rejected(self, rsps, request, client_order_id):
        self.store.set_cash(Decimal("100"))

    def mock_cancel(self, rsps, broker_order_id):
        assert self._resting().order_id == broker_order_id

    def mock_quotes(self, rsps, symbols, answered):
        self.quotes = {s: quote(s) for s in symbols[:answered]}
        return dict(self.quotes)
