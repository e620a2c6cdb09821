"""Trading 212 behind the Broker contract."""
from __future__ import annotations

from app.brokers.base import Broker, BrokerUnavailable, InvalidRequest, MalformedResponse
from app.brokers.http import HttpOptions
from app.brokers.trading212 import mapping
from app.brokers.trading212.client import BASE_URLS, Trading212Client
from app.brokers.trading212.mapping import exchange_for_ticker
from app.domain.broker_types import AccountSnapshot, BrokerPosition, Capabilities, OrderAck, OrderReport
from app.domain.enums import AssetClass, OrderType, TimeInForce
from app.domain.orders import OrderRequest

__all__ = ["Trading212Adapter", "exchange_for_ticker"]


class Trading212Adapter(Broker):
    """A Trading 212 Invest or ISA account, demo or live; no quotes, no idempotency key."""

    name = "trading212"
    capabilities = Capabilities(
        asset_classes=frozenset({AssetClass.EQUITY}),
        order_types=frozenset({OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT}),
        time_in_force=frozenset({TimeInForce.DAY, TimeInForce.GTC}),
        fractional_quantities=True,
        quote_batch_size=0,  # no market-data endpoint at all: positions are marked from their currentPrice
        idempotent_client_order_id=False,
        has_quotes=False,
    )

    def __init__(self, credentials: dict, environment: str, *, base_urls: dict[str, str] | None = None,
                 options: HttpOptions | None = None):
        api_key, api_secret = credentials.get("api_key"), credentials.get("api_secret")
        if not api_key or not isinstance(api_key, str):
            raise InvalidRequest("Trading 212 credentials need api_key", broker_code="MISSING_CREDENTIALS")
        if environment not in BASE_URLS:
            raise InvalidRequest(f"Trading 212 has no {environment!r} environment", broker_code="UNKNOWN_ENVIRONMENT")
        self.environment = environment
        base_url = (base_urls or {}).get(environment, BASE_URLS[environment])
        self._client = Trading212Client(api_key, api_secret or None, base_url, options or HttpOptions())

    def get_account(self) -> AccountSnapshot:
        return mapping.account(self._client.account_summary())

    def get_positions(self) -> list[BrokerPosition]:
        return mapping.positions(self._client.positions())

    def get_orders(self) -> list[OrderReport]:
        # Only pending orders: finished ones live in the history endpoint, limited to 6 calls a minute.
        return mapping.order_reports(self._client.pending_orders())

    def get_order(self, broker_order_id: str) -> OrderReport:
        broker_order_id = str(broker_order_id)
        try:
            return mapping.order_report(self._client.pending_order(broker_order_id))
        except InvalidRequest as error:
            if error.status_code != 404:
                raise
        # 404 means "no longer pending": its final state is in the history, newest first.
        # Only the first page is read, to spare the history's budget; older orders are settled by then.
        report = mapping.report_from_history(self._client.history_orders(), broker_order_id)
        if report is None:
            raise InvalidRequest(
                f"Trading 212 knows no order {broker_order_id}", status_code=404, broker_code="ORDER_NOT_FOUND"
            )
        return report

    def place_order(self, request: OrderRequest, client_order_id: str) -> OrderAck:
        kind, body = mapping.order_body(request)
        try:
            answer = self._client.place_order(kind, body)
        except BrokerUnavailable as error:
            # A 408 comes after the broker had the order in hand: it may exist, so it must not be re-sent.
            if error.status_code == 408:
                error.outcome_unknown = True
            raise
        try:
            return mapping.order_ack(answer, client_order_id)
        except MalformedResponse as error:
            # The broker said 200, so the order most likely exists; with no idempotency key,
            # reporting a plain failure could get it sent twice. Reconciliation settles it.
            raise BrokerUnavailable(
                f"Trading 212 took the order but its answer could not be read: {error.message}",
                broker_code="UNREADABLE_ORDER_ANSWER", outcome_unknown=True,
            ) from error

    def cancel_order(self, broker_order_id: str) -> None:
        # A 200 with an empty body means the cancel was requested, not done: a fill may still win.
        self._client.cancel_order(str(broker_order_id))
