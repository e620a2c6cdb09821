"""Alpaca's HTTP endpoints: JSON bodies, APCA key headers, a separate market-data host."""
from __future__ import annotations

from typing import Any

from app.brokers.alpaca import mapping
from app.brokers.http import BrokerHttp, HttpOptions, RateBucket, credential_fingerprint

BASE_URLS = {
    "paper": "https://paper-api.alpaca.markets",
    "live": "https://api.alpaca.markets",
    "data": "https://data.alpaca.markets",
}
# Published limits: 200 trading calls a minute per account; 200 market-data calls a minute on the free plan.
TRADING = RateBucket("trading", ("200/minute",))
MARKET_DATA = RateBucket("data", ("200/minute",))


class AlpacaClient:
    """Raw calls; answers are decoded JSON, errors are BrokerErrors."""

    def __init__(self, key_id: str, secret_key: str, environment: str, base_urls: dict[str, str], options: HttpOptions):
        headers = {"APCA-API-KEY-ID": key_id, "APCA-API-SECRET-KEY": secret_key, "Accept": "application/json"}
        common = dict(
            broker="alpaca",
            error_parser=mapping.parse_error,
            credential_id=credential_fingerprint(key_id),
            secrets=(secret_key,),
            headers=headers,
            options=options,
        )
        self.trading = BrokerHttp(base_url=base_urls.get(environment, BASE_URLS[environment]), **common)
        self.data = BrokerHttp(base_url=base_urls.get("data", BASE_URLS["data"]), **common)

    def account(self) -> Any:
        return self.trading.request("GET", "/v2/account", operation="account", bucket=TRADING)

    def positions(self) -> Any:
        return self.trading.request("GET", "/v2/positions", operation="positions", bucket=TRADING)

    def orders(self) -> Any:
        params = {"status": "all", "limit": 500, "direction": "desc"}
        return self.trading.request("GET", "/v2/orders", operation="orders", bucket=TRADING, params=params)

    def order(self, order_id: str) -> Any:
        return self.trading.request("GET", f"/v2/orders/{order_id}", operation="order", bucket=TRADING)

    def order_by_client_id(self, client_order_id: str) -> Any:
        return self.trading.request(
            "GET", "/v2/orders:by_client_order_id", operation="order", bucket=TRADING,
            params={"client_order_id": client_order_id},
        )

    def place_order(self, body: dict) -> Any:
        return self.trading.request("POST", "/v2/orders", operation="place_order", bucket=TRADING, json=body)

    def cancel_order(self, order_id: str) -> None:
        self.trading.request("DELETE", f"/v2/orders/{order_id}", operation="cancel_order", bucket=TRADING)

    def latest_quotes(self, symbols: list[str], feed: str) -> Any:
        params = {"symbols": ",".join(symbols), "feed": feed}
        return self.data.request(
            "GET", "/v2/stocks/quotes/latest", operation="quotes", bucket=MARKET_DATA, params=params
        )
