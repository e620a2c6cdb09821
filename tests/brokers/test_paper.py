"""The paper simulator's own rules: fill prices, costs, resting orders, cash and holdings."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from app.brokers.base import InvalidRequest, OrderRejected
from app.brokers.paper.adapter import PaperAdapter
from app.brokers.paper.memory_store import InMemoryPaperStore
from app.brokers.paper.pricing import PaperSettings
from app.domain.broker_types import Quote
from app.domain.enums import AssetClass, OrderSide, OrderStatus, OrderType, TimeInForce
from app.domain.orders import OrderRequest

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)
OPTION = "SPY260320C00500000"


class Venue:
    """A simulator over an in-memory account with prices the test moves."""

    def __init__(self, cash="10000", **settings):
        self.store = InMemoryPaperStore(cash=Decimal(cash))
        self.quotes: dict[str, Quote] = {}
        self.adapter = PaperAdapter(
            self.store, lambda symbols: {s: self.quotes[s] for s in symbols if s in self.quotes},
            lambda: NOW, PaperSettings(**{k: Decimal(v) for k, v in settings.items()}),
        )

    def price(self, symbol, bid, ask, last=None):
        self.quotes[symbol] = Quote(symbol, Decimal(bid), Decimal(ask), Decimal(last) if last else None, NOW)

    def order(self, side, quantity, symbol="AAPL", client_order_id=None, **fields):
        request = OrderRequest(symbol=symbol, side=OrderSide(side), quantity=Decimal(quantity), **fields)
        return self.adapter.place_order(request, client_order_id or f"pc{len(self.store.orders()):018d}")


@pytest.fixture
def venue():
    return Venue(commission_per_order="0", commission_per_contract="0.65")


def test_market_buy_fills_at_the_ask_and_sell_at_the_bid(venue):
    venue.price("AAPL", "99.90", "100.10")
    buy = venue.order("buy", "10")
    assert buy.status == OrderStatus.FILLED
    assert venue.adapter.get_order(buy.broker_order_id).avg_fill_price == Decimal("100.10")
    sell = venue.order("sell", "4")
    assert venue.adapter.get_order(sell.broker_order_id).avg_fill_price == Decimal("99.90")
    assert venue.store.cash() == Decimal("10000") - Decimal("1001.0") + Decimal("399.60")
    assert venue.store.holding("AAPL").quantity == Decimal("6")


def test_slippage_and_commission_are_charged():
    venue = Venue(commission_per_order="1.50", slippage_bps="10")
    venue.price("AAPL", "99.90", "100.00")
    ack = venue.order("buy", "10")
    report = venue.adapter.get_order(ack.broker_order_id)
    assert report.avg_fill_price == Decimal("100.1000")  # 10 bps above the ask
    assert venue.store.cash() == Decimal("10000") - Decimal("1001.000") - Decimal("1.50")


def test_options_use_the_100_multiplier_and_per_contract_commission(venue):
    venue.price(OPTION, "2.40", "2.50")
    venue.order("buy", "2", symbol=OPTION, asset_class=AssetClass.OPTION)
    assert venue.store.cash() == Decimal("10000") - Decimal("500.00") - Decimal("1.30")
    assert venue.adapter.get_positions()[0].asset_class == AssetClass.OPTION


def test_fractional_option_contracts_are_refused(venue):
    venue.price(OPTION, "2.40", "2.50")
    with pytest.raises(InvalidRequest, match="whole contracts"):
        venue.order("buy", "1.5", symbol=OPTION, asset_class=AssetClass.OPTION)


def test_fractional_shares_are_allowed(venue):
    venue.price("AAPL", "99.90", "100.00")
    venue.order("buy", "0.25")
    assert venue.store.holding("AAPL").quantity == Decimal("0.25")


def test_a_limit_order_rests_then_fills_when_the_price_crosses(venue):
    venue.price("AAPL", "99.90", "100.10")
    ack = venue.order("buy", "10", order_type=OrderType.LIMIT, limit_price=Decimal("95"))
    assert ack.status == OrderStatus.SUBMITTED
    assert venue.adapter.match_resting_orders() == []
    venue.price("AAPL", "94.50", "94.80")
    assert venue.adapter.match_resting_orders() == [ack.broker_order_id]
    report = venue.adapter.get_order(ack.broker_order_id)
    assert report.status == OrderStatus.FILLED and report.avg_fill_price == Decimal("94.80")


def test_a_marketable_limit_fills_at_once_at_no_worse_than_its_limit(venue):
    venue.price("AAPL", "99.90", "100.10")
    ack = venue.order("buy", "1", order_type=OrderType.LIMIT, limit_price=Decimal("101"))
    assert venue.adapter.get_order(ack.broker_order_id).avg_fill_price == Decimal("100.10")


def test_a_sell_stop_triggers_at_or_below_the_stop(venue):
    venue.price("AAPL", "99.90", "100.10", "100")
    venue.order("buy", "10")
    stop = venue.order("sell", "10", order_type=OrderType.STOP, stop_price=Decimal("95"))
    assert stop.status == OrderStatus.SUBMITTED
    venue.price("AAPL", "95.10", "95.30", "95.20")
    venue.adapter.match_resting_orders()
    assert venue.adapter.get_order(stop.broker_order_id).status == OrderStatus.SUBMITTED
    venue.price("AAPL", "94.90", "95.10", "95.00")
    venue.adapter.match_resting_orders()
    report = venue.adapter.get_order(stop.broker_order_id)
    assert report.status == OrderStatus.FILLED and report.avg_fill_price == Decimal("94.90")


def test_a_stop_limit_waits_for_its_limit_after_triggering(venue):
    venue.price("AAPL", "99.90", "100.10", "100")
    ack = venue.order("buy", "1", order_type=OrderType.STOP_LIMIT, stop_price=Decimal("105"), limit_price=Decimal("106"))
    venue.price("AAPL", "106.90", "107.10", "107")  # triggered, but above the limit
    venue.adapter.match_resting_orders()
    assert venue.adapter.get_order(ack.broker_order_id).status == OrderStatus.SUBMITTED
    venue.price("AAPL", "105.50", "105.80", "105.60")
    venue.adapter.match_resting_orders()
    assert venue.adapter.get_order(ack.broker_order_id).avg_fill_price == Decimal("105.80")


def test_resting_buys_reserve_buying_power(venue):
    venue.price("AAPL", "99.90", "100.10")
    venue.order("buy", "60", order_type=OrderType.LIMIT, limit_price=Decimal("90"))
    assert venue.adapter.get_account().buying_power == Decimal("10000") - Decimal("5400")
    with pytest.raises(OrderRejected, match="buying power"):
        venue.order("buy", "52", order_type=OrderType.LIMIT, limit_price=Decimal("90"))
    with pytest.raises(OrderRejected, match="buying power"):
        venue.order("buy", "50")
    venue.order("buy", "51", order_type=OrderType.LIMIT, limit_price=Decimal("90"))  # 4590 fits in 4600


def test_a_market_buy_beyond_cash_is_refused_and_changes_nothing(venue):
    venue.price("AAPL", "99.90", "100.10")
    with pytest.raises(OrderRejected, match="insufficient"):
        venue.order("buy", "100")
    assert venue.store.cash() == Decimal("10000") and venue.store.orders() == []


def test_selling_what_is_not_held_is_refused(venue):
    venue.price("AAPL", "99.90", "100.10")
    venue.order("buy", "5")
    with pytest.raises(OrderRejected, match="cannot sell more"):
        venue.order("sell", "6")
    venue.order("sell", "5", order_type=OrderType.LIMIT, limit_price=Decimal("200"))
    with pytest.raises(OrderRejected, match="cannot sell more"):
        venue.order("sell", "1")


def test_a_market_order_without_a_price_is_refused(venue):
    with pytest.raises(OrderRejected, match="no price"):
        venue.order("buy", "1", symbol="NOPE")


def test_the_same_client_order_id_places_once(venue):
    venue.price("AAPL", "99.90", "100.10")
    first = venue.order("buy", "1", client_order_id="pcsame")
    second = venue.order("buy", "1", client_order_id="pcsame")
    assert first == second and len(venue.store.orders()) == 1
    assert venue.adapter.find_order_by_client_id("pcsame").broker_order_id == first.broker_order_id


def test_a_retry_gets_the_first_answer_though_the_account_would_refuse_it_now(venue):
    venue.price("AAPL", "99.90", "100.10")
    first = venue.order("buy", "90", client_order_id="pcall")  # 9,009 of the 10,000 in cash
    again = venue.order("buy", "90", client_order_id="pcall")
    assert again == first and len(venue.store.orders()) == 1
    assert venue.store.cash() == Decimal("991.0") and venue.store.holding("AAPL").quantity == Decimal("90")
    with pytest.raises(OrderRejected, match="buying power"):
        venue.order("buy", "90", client_order_id="pcother")


def test_cancel_and_cancel_again(venue):
    venue.price("AAPL", "99.90", "100.10")
    ack = venue.order("buy", "1", order_type=OrderType.LIMIT, limit_price=Decimal("50"))
    venue.adapter.cancel_order(ack.broker_order_id)
    assert venue.adapter.get_order(ack.broker_order_id).status == OrderStatus.CANCELLED
    with pytest.raises(InvalidRequest, match="already"):
        venue.adapter.cancel_order(ack.broker_order_id)
    venue.price("AAPL", "40", "41")
    assert venue.adapter.match_resting_orders() == []


def test_day_orders_expire_and_gtc_orders_stay(venue):
    venue.price("AAPL", "99.90", "100.10")
    day = venue.order("buy", "1", order_type=OrderType.LIMIT, limit_price=Decimal("50"))
    gtc = venue.order("buy", "1", order_type=OrderType.LIMIT, limit_price=Decimal("50"), time_in_force=TimeInForce.GTC)
    assert venue.adapter.expire_day_orders() == [day.broker_order_id]
    assert venue.adapter.get_order(gtc.broker_order_id).status == OrderStatus.SUBMITTED


def test_average_price_is_weighted_across_buys(venue):
    venue.price("AAPL", "99", "100")
    venue.order("buy", "1")
    venue.price("AAPL", "109", "110")
    venue.order("buy", "3")
    assert venue.store.holding("AAPL").avg_price == Decimal("107.5")


def test_a_resting_buy_that_can_no_longer_be_paid_for_is_rejected_when_it_crosses(venue):
    venue.price("AAPL", "99.90", "100.10")
    ack = venue.order("buy", "50", order_type=OrderType.LIMIT, limit_price=Decimal("90"))
    venue.store.set_cash(Decimal("10"))  # the account was drained some other way
    venue.price("AAPL", "80", "81")
    venue.adapter.match_resting_orders()
    report = venue.adapter.get_order(ack.broker_order_id)
    assert report.status == OrderStatus.REJECTED and "insufficient" in report.reject_reason
