"""Zerodha Kite Connect behind the Broker contract."""
from __future__ import annotations

from app.brokers.base import Broker, BrokerUnavailable, InvalidRequest, MalformedResponse
from app.brokers.http import HttpOptions
from app.brokers.zerodha import login, mapping
from app.brokers.zerodha.client import BASE_URLS, KiteClient
from app.domain.broker_types import AccountSnapshot, BrokerPosition, Capabilities, OrderAck, OrderReport, Quote
from app.domain.enums import AssetClass, OrderType, TimeInForce
from app.domain.orders import OrderRequest

kite_tag = mapping.kite_tag


class KiteAdapter(Broker):
    """A Kite account (live only); orders carry our id as a tag, since Kite has no idempotency key."""

    name = "zerodha"
    capabilities = Capabilities(
        asset_classes=frozenset({AssetClass.EQUITY, AssetClass.OPTION}),
        order_types=frozenset(OrderType),
        time_in_force=frozenset({TimeInForce.DAY}),
        fractional_quantities=False,
        quote_batch_size=500,
        idempotent_client_order_id=False,
        has_quotes=True,
    )

    def __init__(self, credentials: dict, environment: str, *, base_urls: dict[str, str] | None = None,
                 options: HttpOptions | None = None):
        missing = [key for key in ("api_key", "api_secret") if not credentials.get(key)]
        if missing:
            raise InvalidRequest(f"Kite credentials need {', '.join(missing)}", broker_code="MISSING_CREDENTIALS")
        if environment != "live":
            raise InvalidRequest(f"Kite has no {environment!r} environment", broker_code="UNKNOWN_ENVIRONMENT")
        self.environment = environment
        self._urls = {**BASE_URLS, **(base_urls or {})}
        self._options = options or HttpOptions()
        self._api_key, self._api_secret = credentials["api_key"], credentials["api_secret"]
        self._account_id = credentials.get("user_id") or "kite"
        # A connection exists before its first login, so a missing token is only refused when a call is made.
        self._client = KiteClient(
            self._api_key, self._api_secret, credentials.get("access_token"), self._urls["live"], self._options
        )

    def login_url(self, redirect_params: dict | None = None) -> str:
        """Where to send the user for today's Kite login."""
        return login.login_url(self._api_key, self._urls["login"], redirect_params)

    def complete_login(self, request_token: str) -> dict:
        """The access token and user for the request_token Kite's redirect brought back."""
        return login.exchange_request_token(
            self._api_key, self._api_secret, request_token, base_url=self._urls["live"], options=self._options
        )

    def get_account(self) -> AccountSnapshot:
        return mapping.account(self._client.margins(), self._account_id)

    def get_positions(self) -> list[BrokerPosition]:
        # Today's positions and delivery holdings live apart at Kite; the platform wants one list.
        net = self._client.positions()
        return mapping.positions(net, self._client.holdings())

    def get_orders(self) -> list[OrderReport]:
        return mapping.order_reports(self._client.orders())

    def get_order(self, broker_order_id: str) -> OrderReport:
        history = self._client.order_history(mapping.check_order_id(broker_order_id))
        return mapping.order_report(mapping.current_state(history))

    def place_order(self, request: OrderRequest, client_order_id: str) -> OrderAck:
        form = mapping.order_form(request, client_order_id)
        try:
            return mapping.order_ack(self._client.place_order(form), client_order_id)
        except BrokerUnavailable as error:
            if error.broker_code in mapping.OMS_FAILURES:
                # Kite's API lost touch with its order system mid-request: the order may exist.
                error.outcome_unknown = True
            raise
        except MalformedResponse as error:
            # Kite answered but we cannot read the order id: the order may well be live.
            raise BrokerUnavailable(
                f"Kite's answer to the order could not be read: {error.message}",
                broker_code="UNREADABLE_ORDER_ANSWER", outcome_unknown=True,
            ) from error

    def cancel_order(self, broker_order_id: str) -> None:
        # The cancel URL names the order's variety (regular, amo, co...), which only the order itself knows.
        state = mapping.current_state(self._client.order_history(mapping.check_order_id(broker_order_id)))
        parent = state.get("parent_order_id")
        self._client.cancel_order(mapping.variety(state), broker_order_id, str(parent) if parent else None)

    def _fetch_quotes(self, symbols: list[str]) -> dict[str, Quote]:
        symbols = list(dict.fromkeys(symbols))
        for symbol in symbols:
            mapping.split_symbol(symbol)
        return mapping.quotes(self._client.quotes(symbols), symbols)

    def find_order_by_client_id(self, client_order_id: str) -> OrderReport | None:
        tag = mapping.kite_tag(client_order_id)
        return next((report for report in self.get_orders() if report.client_order_id == tag), None)
