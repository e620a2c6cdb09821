"""Tradier's HTTP endpoints: Bearer token, Accept JSON, form-encoded bodies, three published rate buckets."""
from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from app.brokers.http import BrokerHttp, HttpOptions, RateBucket, credential_fingerprint
from app.brokers.tradier import mapping

BASE_URLS = {
    "sandbox": "https://sandbox.tradier.com",
    "production": "https://api.tradier.com",
}
# Published per-token limits a minute: the sandbox halves the read buckets; trading is 60 in both.
LIMITS = {
    "production": {"standard": "120/minute", "market_data": "120/minute", "trading": "60/minute"},
    "sandbox": {"standard": "60/minute", "market_data": "60/minute", "trading": "60/minute"},
}


def rate_buckets(environment: str) -> dict[str, RateBucket]:
    """The standard, market_data and trading buckets for one environment."""
    return {name: RateBucket(name, (rule,)) for name, rule in LIMITS[environment].items()}


class TradierClient:
    """Raw calls for one account; answers are decoded JSON, errors are BrokerErrors."""

    def __init__(self, access_token: str, account_id: str, environment: str, base_urls: dict[str, str],
                 options: HttpOptions):
        self.http = BrokerHttp(
            broker="tradier",
            base_url=base_urls.get(environment, BASE_URLS[environment]),
            error_parser=mapping.parse_error,
            credential_id=credential_fingerprint(access_token),
            secrets=(access_token,),
            # Without Accept every endpoint answers XML.
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            options=options,
        )
        buckets = rate_buckets(environment)
        self.standard = buckets["standard"]
        self.market_data = buckets["market_data"]
        self.trading = buckets["trading"]
        self._account = f"/v1/accounts/{quote(account_id, safe='')}"

    def balances(self) -> Any:
        return self.http.request("GET", f"{self._account}/balances", operation="account", bucket=self.standard)

    def positions(self) -> Any:
        return self.http.request("GET", f"{self._account}/positions", operation="positions", bucket=self.standard)

    def orders(self, page: int = 1) -> Any:
        params = {"includeTags": "true"}
        if page > 1:
            params["page"] = str(page)
        return self.http.request(
            "GET", f"{self._account}/orders", operation="orders", bucket=self.standard, params=params
        )

    def order(self, order_id: str) -> Any:
        return self.http.request(
            "GET", self._order_path(order_id), operation="order", bucket=self.standard,
            params={"includeTags": "true"},
        )

    def place_order(self, form: dict[str, str]) -> Any:
        return self.http.request(
            "POST", f"{self._account}/orders", operation="place_order", bucket=self.trading, data=form
        )

    def cancel_order(self, order_id: str) -> Any:
        return self.http.request("DELETE", self._order_path(order_id), operation="cancel_order", bucket=self.trading)

    def quotes(self, symbols: list[str]) -> Any:
        # POST keeps long symbol lists out of the URL; it only reads, so repeating it is harmless.
        return self.http.request(
            "POST", "/v1/markets/quotes", operation="quotes", bucket=self.market_data,
            data={"symbols": ",".join(symbols), "greeks": "false"}, safe=True,
        )

    def expirations(self, underlying: str) -> Any:
        # includeAllRoots brings in SPXW-style and adjusted roots that trade under the same underlying.
        return self.http.request(
            "GET", "/v1/markets/options/expirations", operation="option_expirations", bucket=self.market_data,
            params={"symbol": underlying, "includeAllRoots": "true"},
        )

    def chain(self, underlying: str, expiry: date) -> Any:
        return self.http.request(
            "GET", "/v1/markets/options/chains", operation="option_chain", bucket=self.market_data,
            params={"symbol": underlying, "expiration": expiry.isoformat(), "greeks": "true"},
        )

    def _order_path(self, order_id: str) -> str:
        # The id comes from callers; quoting keeps it one path segment.
        return f"{self._account}/orders/{quote(str(order_id), safe='')}"
