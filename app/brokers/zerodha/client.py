"""Kite's HTTP endpoints: form bodies, `token key:access` auth, one version header, a success/error envelope."""
from __future__ import annotations

from typing import Any

from app.brokers.base import AuthError
from app.brokers.http import BrokerHttp, HttpOptions, RateBucket, Redactor, credential_fingerprint
from app.brokers.zerodha import mapping

BASE_URLS = {
    "live": "https://api.kite.trade",
    "login": "https://kite.zerodha.com/connect/login",
}
VERSION_HEADER = {"X-Kite-Version": "3"}
# Published limits, per API key: quotes 1/s; order placement 10/s, 400/min, 5000/day; everything else 10/s.
QUOTES = RateBucket("quote", ("1/second",))
ORDERS = RateBucket("orders", ("10/second", "400/minute", "5000/day"))
GENERAL = RateBucket("general", ("10/second",))


def kite_http(api_key: str, base_url: str, options: HttpOptions | None, secrets: tuple, headers: dict) -> BrokerHttp:
    """A BrokerHttp for one Kite API key; rate limits are keyed on the key, as Kite counts them."""
    return BrokerHttp(
        broker="zerodha",
        base_url=base_url,
        error_parser=mapping.parse_error,
        credential_id=credential_fingerprint(api_key),
        secrets=secrets,
        headers={**VERSION_HEADER, **headers},
        options=options or HttpOptions(),
    )


class KiteClient:
    """Raw calls; answers are the envelope's `data`, errors are BrokerErrors."""

    def __init__(self, api_key: str, api_secret: str, access_token: str | None, base_url: str,
                 options: HttpOptions):
        self._logged_in = bool(access_token)
        secrets = (api_secret, access_token)
        # Without a token there is no session yet; calls are refused before reaching the network.
        auth = {"Authorization": f"token {api_key}:{access_token}"} if access_token else {}
        self._redact = Redactor(secrets)
        self.http = kite_http(api_key, base_url, options, secrets, auth)

    def _call(self, method: str, path: str, *, operation: str, bucket: RateBucket = GENERAL, **payload) -> Any:
        if not self._logged_in:
            raise AuthError("log in to Kite", needs_login=True, broker_code="NO_ACCESS_TOKEN")
        body = self.http.request(method, path, operation=operation, bucket=bucket, **payload)
        return mapping.unwrap(body, operation, self._redact)

    def margins(self) -> Any:
        return self._call("GET", "/user/margins", operation="account")

    def positions(self) -> Any:
        return self._call("GET", "/portfolio/positions", operation="positions")

    def holdings(self) -> Any:
        return self._call("GET", "/portfolio/holdings", operation="holdings")

    def orders(self) -> Any:
        return self._call("GET", "/orders", operation="orders")

    def order_history(self, order_id: str) -> Any:
        return self._call("GET", f"/orders/{order_id}", operation="order")

    def place_order(self, form: dict[str, str]) -> Any:
        return self._call("POST", "/orders/regular", operation="place_order", bucket=ORDERS, data=form)

    def cancel_order(self, variety: str, order_id: str, parent_order_id: str | None = None) -> Any:
        # Cancels stay in the general bucket: a kill switch must be able to cancel after the daily order cap.
        params = {"parent_order_id": parent_order_id} if parent_order_id else None
        return self._call("DELETE", f"/orders/{variety}/{order_id}", operation="cancel_order", params=params)

    def quotes(self, symbols: list[str]) -> Any:
        # Kite repeats `i` once per instrument: ?i=NSE:INFY&i=BSE:SENSEX
        params = [("i", symbol) for symbol in symbols]
        return self._call("GET", "/quote", operation="quotes", bucket=QUOTES, params=params)
