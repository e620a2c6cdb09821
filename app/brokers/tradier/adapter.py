"""Tradier behind the Broker contract."""
from __future__ import annotations

import logging
from datetime import date

from app.brokers.base import Broker, BrokerError, BrokerUnavailable, InvalidRequest, MalformedResponse, OrderRejected
from app.brokers.http import HttpOptions
from app.brokers.tradier import mapping
from app.brokers.tradier.client import TradierClient
from app.domain.broker_types import (
    AccountSnapshot,
    BrokerPosition,
    Capabilities,
    OptionContract,
    OrderAck,
    OrderReport,
    Quote,
)
from app.domain.enums import AssetClass, OrderStatus, OrderType, TimeInForce
from app.domain.orders import OrderRequest

log = logging.getLogger(__name__)

# The order list is paged, 25 to a page by default; a full page means there may be another.
ORDERS_PAGE_SIZE = 25
MAX_ORDER_PAGES = 20


class TradierAdapter(Broker):
    """A Tradier account in the sandbox or in production; tags label orders but do not de-duplicate them."""

    name = "tradier"
    capabilities = Capabilities(
        asset_classes=frozenset({AssetClass.EQUITY, AssetClass.OPTION}),
        order_types=frozenset(OrderType),
        time_in_force=frozenset({TimeInForce.DAY, TimeInForce.GTC}),
        fractional_quantities=False,
        # Tradier publishes no maximum; the symbols travel in a POST body, so the URL is no limit.
        quote_batch_size=100,
        idempotent_client_order_id=False,
        has_quotes=True,
        has_option_chains=True,
    )

    def __init__(self, credentials: dict, environment: str, *, base_urls: dict[str, str] | None = None,
                 options: HttpOptions | None = None):
        missing = [key for key in ("access_token", "account_id") if not credentials.get(key)]
        if missing:
            raise InvalidRequest(f"Tradier credentials need {', '.join(missing)}", broker_code="MISSING_CREDENTIALS")
        if environment not in ("sandbox", "production"):
            raise InvalidRequest(f"Tradier has no {environment!r} environment", broker_code="UNKNOWN_ENVIRONMENT")
        self.environment = environment
        self._account_id = str(credentials["account_id"])
        self._client = TradierClient(
            str(credentials["access_token"]), self._account_id, environment, base_urls or {}, options or HttpOptions()
        )

    def get_account(self) -> AccountSnapshot:
        return mapping.account(self._client.balances(), self._account_id)

    def get_positions(self) -> list[BrokerPosition]:
        return mapping.positions(self._client.positions())

    def get_orders(self) -> list[OrderReport]:
        seen: dict[str, dict] = {}
        for page in range(1, MAX_ORDER_PAGES + 1):
            items = mapping.order_items(self._client.orders(page))
            fresh = {str(item.get("id")): item for item in items if str(item.get("id")) not in seen}
            seen.update(fresh)
            # A short page is the last; a page with nothing new means paging is not honoured.
            if len(items) < ORDERS_PAGE_SIZE or not fresh:
                break
        return [
            mapping.order_report(item, f"Tradier order {key}")
            for key, item in seen.items() if mapping.is_single_leg(item)
        ]

    def get_order(self, broker_order_id: str) -> OrderReport:
        return mapping.single_order(self._client.order(broker_order_id))

    def place_order(self, request: OrderRequest, client_order_id: str) -> OrderAck:
        form = mapping.order_form(request, client_order_id)
        try:
            answer = self._client.place_order(form)
            refusal = mapping.placement_errors(answer)
            if refusal:
                raise OrderRejected(refusal, status_code=200)
            order_id = mapping.placed_order_id(answer)
        except InvalidRequest as error:
            if mapping.looks_like_rejection(error.message):
                raise OrderRejected(error.message, status_code=error.status_code,
                                    broker_code=error.broker_code) from error
            raise
        except MalformedResponse as error:
            # Tradier answered 200 but we cannot read the id: the order may well exist, so it is unknown.
            raise BrokerUnavailable(
                f"Tradier's answer to the order could not be read: {error.message}",
                status_code=error.status_code, broker_code="UNREADABLE_ACK", outcome_unknown=True,
            ) from error
        return self._settle(order_id, client_order_id)

    def _settle(self, order_id: str, client_order_id: str) -> OrderAck:
        """Read a received order back, because Tradier reports downstream refusals only on the order itself."""
        try:
            report = self.get_order(order_id)
        except BrokerError as error:
            # Tradier has the order (it gave an id); reconciliation reads its state later.
            log.warning("tradier order %s received but not read back: %s", order_id, type(error).__name__)
            return OrderAck(order_id, OrderStatus.SUBMITTED, client_order_id)
        if report.status == OrderStatus.REJECTED:
            raise OrderRejected(report.reject_reason or "Tradier rejected the order", broker_code="REJECTED")
        return OrderAck(order_id, report.status, client_order_id)

    def cancel_order(self, broker_order_id: str) -> None:
        self._client.cancel_order(broker_order_id)

    def _fetch_quotes(self, symbols: list[str]) -> dict[str, Quote]:
        return mapping.quotes(self._client.quotes(symbols))

    def get_option_expirations(self, underlying: str) -> list[date]:
        return mapping.expirations(self._client.expirations(underlying))

    def get_option_chain(self, underlying: str, expiry: date) -> list[OptionContract]:
        return mapping.option_chain(self._client.chain(underlying, expiry))
