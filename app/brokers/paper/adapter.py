"""The paper simulator behind the Broker contract."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from app.brokers.base import Broker, InvalidRequest, MalformedResponse, OrderRejected
from app.brokers.paper import pricing
from app.brokers.paper.pricing import PaperSettings
from app.brokers.paper.store import PaperHolding, PaperOrder, PaperStore
from app.domain.broker_types import AccountSnapshot, BrokerPosition, Capabilities, OrderAck, OrderReport, Quote
from app.domain.enums import AssetClass, OrderSide, OrderStatus, OrderType, TimeInForce
from app.domain.options import InvalidOptionSymbol, OptionSymbol, contract_multiplier
from app.domain.orders import OPEN_STATUSES, OrderRequest

QuoteSource = Callable[[list[str]], dict[str, Quote]]


class PaperAdapter(Broker):
    """Fills market orders at the quote (ask for buys, bid for sells); rests limit and stop orders.

    A cash account: buys need the cash (resting buys reserve it), sells need the holding.
    """

    name = "paper"
    environment = "paper"
    capabilities = Capabilities(
        asset_classes=frozenset({AssetClass.EQUITY, AssetClass.OPTION}),
        order_types=frozenset(OrderType),
        time_in_force=frozenset(TimeInForce),
        fractional_quantities=True,
        quote_batch_size=1000,
        idempotent_client_order_id=True,
        has_quotes=True,
    )

    def __init__(self, store: PaperStore, quote_source: QuoteSource, clock: Callable[[], datetime],
                 settings: PaperSettings | None = None):
        self._store = store
        self._quotes = quote_source
        self._clock = clock
        self._settings = settings or PaperSettings()

    # --- reading ---------------------------------------------------------------------------------

    def get_account(self) -> AccountSnapshot:
        holdings = self._store.holdings()
        open_buys = [o for o in self._store.open_orders() if o.side == OrderSide.BUY]
        quotes = self._quote_map({h.symbol for h in holdings} | {o.symbol for o in open_buys})
        cash = self._store.cash()
        reserved = sum((self._reserved_for(o, quotes.get(o.symbol)) for o in open_buys), Decimal("0"))
        return AccountSnapshot(
            account_id="paper",
            currency=self._store.currency,
            cash=cash,
            buying_power=max(Decimal("0"), cash - reserved),
            equity=pricing.equity(cash, holdings, quotes),
        )

    def get_positions(self) -> list[BrokerPosition]:
        holdings = self._store.holdings()
        quotes = self._quote_map({h.symbol for h in holdings})
        return [
            BrokerPosition(h.symbol, h.quantity, h.avg_price, h.asset_class, pricing.mark_price(quotes.get(h.symbol)))
            for h in holdings
        ]

    def get_orders(self) -> list[OrderReport]:
        return [_report(order) for order in self._store.orders()]

    def get_order(self, broker_order_id: str) -> OrderReport:
        order = self._store.order(broker_order_id)
        if order is None:
            raise InvalidRequest(f"no paper order {broker_order_id}", status_code=404)
        return _report(order)

    def find_order_by_client_id(self, client_order_id: str) -> OrderReport | None:
        order = self._store.order_by_client_id(client_order_id)
        return _report(order) if order else None

    def _fetch_quotes(self, symbols: list[str]) -> dict[str, Quote]:
        return self._quote_map(set(symbols))

    # --- acting ----------------------------------------------------------------------------------

    def place_order(self, request: OrderRequest, client_order_id: str) -> OrderAck:
        self._store.lock()
        existing = self._store.order_by_client_id(client_order_id)
        if existing is not None:
            return OrderAck(existing.order_id, existing.status, client_order_id)
        self._check_shape(request)
        order = PaperOrder(
            order_id=None, client_order_id=client_order_id, symbol=request.symbol, side=request.side,
            quantity=request.quantity, order_type=request.order_type, time_in_force=request.time_in_force,
            asset_class=request.asset_class, status=OrderStatus.SUBMITTED, created_at=self._clock(),
            limit_price=request.limit_price, stop_price=request.stop_price,
        )
        quote = self._quote_map({order.symbol}).get(order.symbol)
        price = pricing.fill_price(order, quote, self._settings)
        if price is None:
            if order.order_type == OrderType.MARKET:
                raise OrderRejected(f"no price for {order.symbol}: the simulator needs a quote to fill at")
            self._check_can_rest(order, quote)
        else:
            self._check_can_fill(order, price, budget=self.get_account().buying_power)
            self._fill(order, price)
        order = self._store.add_order(order)
        return OrderAck(order.order_id, order.status, client_order_id)

    def cancel_order(self, broker_order_id: str) -> None:
        self._store.lock()
        order = self._store.order(broker_order_id)
        if order is None:
            raise InvalidRequest(f"no paper order {broker_order_id}", status_code=404)
        if order.status not in OPEN_STATUSES:
            raise InvalidRequest(f"paper order {broker_order_id} is already {order.status}")
        order.status = OrderStatus.CANCELLED
        self._store.save_order(order)

    def match_resting_orders(self) -> list[str]:
        """Fill every resting order the latest prices now cross; returns the ids that changed."""
        self._store.lock()
        resting = self._store.open_orders()
        quotes = self._quote_map({o.symbol for o in resting})
        changed = []
        for order in resting:
            quote = quotes.get(order.symbol)
            if order.order_type in (OrderType.STOP, OrderType.STOP_LIMIT) and not order.stop_triggered:
                if quote is not None and pricing.stop_is_triggered(order, quote):
                    order.stop_triggered = True
                    self._store.save_order(order)
                    changed.append(order.order_id)
            price = pricing.fill_price(order, quote, self._settings)
            if price is None:
                continue
            try:
                self._check_can_fill(order, price)
            except OrderRejected as refused:
                order.status, order.reject_reason = OrderStatus.REJECTED, refused.message
                self._store.save_order(order)
            else:
                self._fill(order, price)
                self._store.save_order(order)
            if order.order_id not in changed:
                changed.append(order.order_id)
        return changed

    def expire_day_orders(self) -> list[str]:
        """At the session's close, day orders still resting expire."""
        self._store.lock()
        expired = []
        for order in self._store.open_orders():
            if order.time_in_force == TimeInForce.DAY:
                order.status = OrderStatus.EXPIRED
                self._store.save_order(order)
                expired.append(order.order_id)
        return expired

    # --- bookkeeping -----------------------------------------------------------------------------

    def _check_shape(self, request: OrderRequest) -> None:
        if request.quantity <= 0:
            raise InvalidRequest("quantity must be positive")
        if request.needs_limit_price and request.limit_price is None:
            raise InvalidRequest(f"a {request.order_type} order needs a limit price")
        if request.needs_stop_price and request.stop_price is None:
            raise InvalidRequest(f"a {request.order_type} order needs a stop price")
        if request.asset_class == AssetClass.OPTION:
            try:
                OptionSymbol.parse(request.symbol)
            except InvalidOptionSymbol as error:
                raise InvalidRequest(str(error)) from None
            if request.quantity != request.quantity.to_integral_value():
                raise InvalidRequest("option orders are for whole contracts")

    def _cost(self, order: PaperOrder, price: Decimal) -> Decimal:
        notional = order.quantity * price * contract_multiplier(order.asset_class)
        return notional + pricing.commission(order, order.quantity, self._settings)

    def _reserved_for(self, order: PaperOrder, quote: Quote | None) -> Decimal:
        price = pricing.reference_price(order, quote)
        if price is None:
            return Decimal("0")
        remaining = order.quantity - order.filled_quantity
        return remaining * price * contract_multiplier(order.asset_class) + pricing.commission(
            order, remaining, self._settings
        )

    def _available_to_sell(self, symbol: str, excluding: str | None = None) -> Decimal:
        holding = self._store.holding(symbol)
        held = holding.quantity if holding else Decimal("0")
        committed = sum(
            (o.quantity - o.filled_quantity for o in self._store.open_orders()
             if o.symbol == symbol and o.side == OrderSide.SELL and o.order_id != excluding),
            Decimal("0"),
        )
        return held - committed

    def _check_can_fill(self, order: PaperOrder, price: Decimal, budget: Decimal | None = None) -> None:
        """A new order must fit in buying power; a resting one, whose reservation it now spends, in cash."""
        if order.side == OrderSide.BUY:
            budget = self._store.cash() if budget is None else budget
            cost = self._cost(order, price)
            if cost > budget:
                raise OrderRejected(f"insufficient paper buying power: need {cost}, have {budget}")
        elif order.quantity > self._available_to_sell(order.symbol, excluding=order.order_id):
            raise OrderRejected(f"paper accounts cannot sell more {order.symbol} than they hold")

    def _check_can_rest(self, order: PaperOrder, quote: Quote | None) -> None:
        if order.side == OrderSide.BUY:
            needed = self._reserved_for(order, quote)
            available = self.get_account().buying_power
            if needed > available:
                raise OrderRejected(f"insufficient paper buying power: need {needed}, have {available}")
        elif order.quantity > self._available_to_sell(order.symbol):
            raise OrderRejected(f"paper accounts cannot sell more {order.symbol} than they hold")

    def _fill(self, order: PaperOrder, price: Decimal) -> None:
        """Move cash and the holding for what remains of `order` at `price`; the caller stores the order."""
        quantity = order.quantity - order.filled_quantity
        fee = pricing.commission(order, quantity, self._settings)
        notional = quantity * price * contract_multiplier(order.asset_class)
        holding = self._store.holding(order.symbol) or PaperHolding(
            order.symbol, Decimal("0"), Decimal("0"), order.asset_class
        )
        if order.side == OrderSide.BUY:
            self._store.set_cash(self._store.cash() - notional - fee)
            new_quantity = holding.quantity + quantity
            holding.avg_price = (holding.avg_price * holding.quantity + price * quantity) / new_quantity
            holding.quantity = new_quantity
        else:
            self._store.set_cash(self._store.cash() + notional - fee)
            holding.quantity -= quantity
        holding.avg_price = holding.avg_price.quantize(Decimal("0.00000001"))
        self._store.save_holding(holding)
        order.filled_quantity = order.quantity
        order.avg_fill_price = price
        order.commission += fee
        order.status = OrderStatus.FILLED

    def _quote_map(self, symbols: set[str]) -> dict[str, Quote]:
        if not symbols:
            return {}
        quotes = self._quotes(sorted(symbols))
        if not isinstance(quotes, dict):
            raise MalformedResponse("the paper quote source did not answer a mapping")
        return quotes


def _report(order: PaperOrder) -> OrderReport:
    return OrderReport(
        broker_order_id=order.order_id,
        symbol=order.symbol,
        side=order.side,
        quantity=order.quantity,
        order_type=order.order_type,
        status=order.status,
        filled_quantity=order.filled_quantity,
        avg_fill_price=order.avg_fill_price,
        limit_price=order.limit_price,
        stop_price=order.stop_price,
        client_order_id=order.client_order_id,
        created_at=order.created_at,
        reject_reason=order.reject_reason,
    )
