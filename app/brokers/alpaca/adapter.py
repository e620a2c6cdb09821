"""Alpaca behind the Broker contract."""
from __future__ import annotations

from app.brokers.alpaca import mapping
from app.brokers.alpaca.client import AlpacaClient
from app.brokers.base import Broker, BrokerError, InvalidRequest
from app.brokers.http import HttpOptions
from app.domain.broker_types import AccountSnapshot, BrokerPosition, Capabilities, OrderAck, OrderReport, Quote
from app.domain.enums import AssetClass, OrderType, TimeInForce
from app.domain.orders import OrderRequest


class AlpacaAdapter(Broker):
    """Alpaca paper or live; de-duplicates orders on client_order_id."""

    name = "alpaca"
    capabilities = Capabilities(
        asset_classes=frozenset({AssetClass.EQUITY}),
        order_types=frozenset(OrderType),
        time_in_force=frozenset(TimeInForce),
        fractional_quantities=True,
        # Undocumented maximum; the symbols travel in the query string, so keep URLs short.
        quote_batch_size=200,
        idempotent_client_order_id=True,
        has_quotes=True,
    )

    def __init__(self, credentials: dict, environment: str, *, base_urls: dict[str, str] | None = None,
                 options: HttpOptions | None = None, data_feed: str = "iex"):
        missing = [key for key in ("key_id", "secret_key") if not credentials.get(key)]
        if missing:
            raise InvalidRequest(f"Alpaca credentials need {', '.join(missing)}", broker_code="MISSING_CREDENTIALS")
        if environment not in ("paper", "live"):
            raise InvalidRequest(f"Alpaca has no {environment!r} environment", broker_code="UNKNOWN_ENVIRONMENT")
        self.environment = environment
        self._data_feed = data_feed
        self._client = AlpacaClient(
            credentials["key_id"], credentials["secret_key"], environment, base_urls or {}, options or HttpOptions()
        )

    def get_account(self) -> AccountSnapshot:
        return mapping.account(self._client.account())

    def get_positions(self) -> list[BrokerPosition]:
        return mapping.positions(self._client.positions())

    def get_orders(self) -> list[OrderReport]:
        return mapping.order_reports(self._client.orders())

    def get_order(self, broker_order_id: str) -> OrderReport:
        return mapping.order_report(self._client.order(broker_order_id))

    def place_order(self, request: OrderRequest, client_order_id: str) -> OrderAck:
        body = mapping.order_body(request, client_order_id)
        try:
            return mapping.order_ack(self._client.place_order(body))
        except BrokerError as error:
            if mapping.is_duplicate_client_order_id(error):
                # The order already exists under our id (an earlier attempt got through): report it.
                return mapping.order_ack(self._client.order_by_client_id(client_order_id))
            raise

    def cancel_order(self, broker_order_id: str) -> None:
        self._client.cancel_order(broker_order_id)

    def _fetch_quotes(self, symbols: list[str]) -> dict[str, Quote]:
        return mapping.quotes(self._client.latest_quotes(symbols, self._data_feed))

    def find_order_by_client_id(self, client_order_id: str) -> OrderReport | None:
        try:
            return mapping.order_report(self._client.order_by_client_id(client_order_id))
        except InvalidRequest as error:
            if error.status_code == 404:
                return None
            raise
