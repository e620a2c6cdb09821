"""When a simulated order fills, and at what price: pure functions of the order and a quote."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from app.brokers.paper.store import PaperOrder
from app.domain.broker_types import Quote
from app.domain.enums import AssetClass, OrderSide, OrderType
from app.domain.options import contract_multiplier

PRICE_STEP = Decimal("0.0001")
BASIS_POINT = Decimal("0.0001")


@dataclass(frozen=True)
class PaperSettings:
    """Costs the simulator charges, so paper results are not rosier than live ones."""

    commission_per_order: Decimal = Decimal("0")
    commission_per_contract: Decimal = Decimal("0.65")
    slippage_bps: Decimal = Decimal("0")


def commission(order: PaperOrder, quantity: Decimal, settings: PaperSettings) -> Decimal:
    per_contract = settings.commission_per_contract * quantity if order.asset_class == AssetClass.OPTION else 0
    return settings.commission_per_order + per_contract


def _touch(side: OrderSide, quote: Quote) -> Decimal | None:
    """The price a market order meets: the ask for buys, the bid for sells, else the last trade."""
    price = quote.ask if side == OrderSide.BUY else quote.bid
    return price if price is not None and price > 0 else quote.last


def _with_slippage(side: OrderSide, price: Decimal, settings: PaperSettings) -> Decimal:
    adjust = settings.slippage_bps * BASIS_POINT
    moved = price * (1 + adjust) if side == OrderSide.BUY else price * (1 - adjust)
    return moved.quantize(PRICE_STEP, rounding=ROUND_HALF_EVEN)


def stop_is_triggered(order: PaperOrder, quote: Quote) -> bool:
    """A buy stop triggers when the market trades at or above it; a sell stop at or below."""
    reference = quote.last if quote.last is not None else _touch(order.side, quote)
    if reference is None or order.stop_price is None:
        return False
    if order.side == OrderSide.BUY:
        return reference >= order.stop_price
    return reference <= order.stop_price


def fill_price(order: PaperOrder, quote: Quote | None, settings: PaperSettings) -> Decimal | None:
    """The price this order fills at against `quote` now, or None if it does not fill yet."""
    if quote is None:
        return None
    touch = _touch(order.side, quote)
    if touch is None:
        return None
    acts_as_market = order.order_type == OrderType.MARKET or (
        order.order_type == OrderType.STOP and (order.stop_triggered or stop_is_triggered(order, quote))
    )
    if acts_as_market:
        return _with_slippage(order.side, touch, settings)
    if order.order_type == OrderType.STOP_LIMIT and not (order.stop_triggered or stop_is_triggered(order, quote)):
        return None
    if order.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
        if order.side == OrderSide.BUY and touch <= order.limit_price:
            return min(order.limit_price, _with_slippage(order.side, touch, settings))
        if order.side == OrderSide.SELL and touch >= order.limit_price:
            return max(order.limit_price, _with_slippage(order.side, touch, settings))
    return None


def reference_price(order: PaperOrder, quote: Quote | None) -> Decimal | None:
    """What a resting buy may cost at most, for reserving cash: its limit, else its stop, else the market."""
    if order.limit_price is not None:
        return order.limit_price
    if order.stop_price is not None:
        return order.stop_price
    return _touch(order.side, quote) if quote else None


def mark_price(quote: Quote | None) -> Decimal | None:
    """The value of a holding: last trade, else the mid, else whichever side exists."""
    if quote is None:
        return None
    if quote.last is not None:
        return quote.last
    if quote.bid is not None and quote.ask is not None:
        return ((quote.bid + quote.ask) / 2).quantize(PRICE_STEP)
    return quote.bid or quote.ask


def equity(cash: Decimal, holdings, quotes: dict[str, Quote]) -> Decimal:
    """Cash plus every holding at its mark, else at what it cost."""
    return cash + sum(
        (h.quantity * (mark_price(quotes.get(h.symbol)) or h.avg_price) * contract_multiplier(h.asset_class)
         for h in holdings),
        Decimal("0"),
    )
