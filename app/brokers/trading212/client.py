"""Trading 212's HTTP endpoints: JSON bodies, HTTP Basic key:secret, one published rate limit per endpoint."""
from __future__ import annotations

import base64
import re
from typing import Any

from app.brokers.base import InvalidRequest
from app.brokers.http import BrokerHttp, HttpOptions, RateBucket, credential_fingerprint
from app.brokers.trading212 import mapping

BASE_URLS = {
    "demo": "https://demo.trading212.com/api/v0",
    "live": "https://live.trading212.com/api/v0",
}

# Trading 212 limits each endpoint separately, per account, so each gets its own bucket;
# sharing one would let a burst of position reads starve order placement, or the reverse.
ACCOUNT_SUMMARY = RateBucket("account_summary", ("1/5second",))
POSITIONS = RateBucket("positions", ("1/second",))
PENDING_ORDERS = RateBucket("pending_orders", ("1/5second",))
PENDING_ORDER = RateBucket("pending_order", ("1/second",))
CANCEL_ORDER = RateBucket("cancel_order", ("50/minute",))
HISTORY_ORDERS = RateBucket("history_orders", ("6/minute",))
PLACE_ORDER = {
    "market": RateBucket("market_order", ("50/minute",)),
    "limit": RateBucket("limit_order", ("1/2second",)),
    "stop": RateBucket("stop_order", ("1/2second",)),
    "stop_limit": RateBucket("stop_limit_order", ("1/2second",)),
}
# The history endpoint's maximum page; further pages would cost more of its 6-a-minute budget.
HISTORY_PAGE = 50
_ORDER_ID = re.compile(r"[0-9]{1,19}")  # int64 ids; anything else must not reach a URL path


class Trading212Client:
    """Raw calls; answers are decoded JSON, errors are BrokerErrors."""

    def __init__(self, api_key: str, api_secret: str | None, base_url: str, options: HttpOptions):
        headers = {"Accept": "application/json"}
        auth = None
        secrets: tuple[str | None, ...] = (api_key, api_secret)
        if api_secret:
            # The documented scheme: the key as username, the secret as password.
            auth = (api_key, api_secret)
            secrets += (base64.b64encode(f"{api_key}:{api_secret}".encode()).decode(),)
        else:
            # Legacy scheme, still in the OpenAPI: the bare key as the whole Authorization header.
            # Whether new keys are still accepted this way is uncertain; key+secret pairs are current.
            headers["Authorization"] = api_key
        self.http = BrokerHttp(
            broker="trading212",
            base_url=base_url,
            error_parser=mapping.parse_error,
            # Limits are per account; the key is the nearest thing to an account we hold before a call.
            credential_id=credential_fingerprint(api_key),
            secrets=secrets,
            headers=headers,
            auth=auth,
            options=options,
        )

    def account_summary(self) -> Any:
        return self.http.request("GET", "/equity/account/summary", operation="account", bucket=ACCOUNT_SUMMARY)

    def positions(self) -> Any:
        return self.http.request("GET", "/equity/positions", operation="positions", bucket=POSITIONS)

    def pending_orders(self) -> Any:
        return self.http.request("GET", "/equity/orders", operation="orders", bucket=PENDING_ORDERS)

    def pending_order(self, order_id: str) -> Any:
        return self.http.request("GET", _order_path(order_id), operation="order", bucket=PENDING_ORDER)

    def history_orders(self) -> Any:
        return self.http.request(
            "GET", "/equity/history/orders", operation="order_history", bucket=HISTORY_ORDERS,
            params={"limit": HISTORY_PAGE},
        )

    def place_order(self, kind: str, body: dict) -> Any:
        # POST is never retried by BrokerHttp, which matters here: Trading 212 documents order
        # placement as not idempotent ("may result in duplicate orders") and has no client order id.
        return self.http.request(
            "POST", f"/equity/orders/{kind}", operation="place_order", bucket=PLACE_ORDER[kind], json=body
        )

    def cancel_order(self, order_id: str) -> None:
        self.http.request("DELETE", _order_path(order_id), operation="cancel_order", bucket=CANCEL_ORDER)


def _order_path(order_id: str) -> str:
    order_id = str(order_id)
    if not _ORDER_ID.fullmatch(order_id):
        # Refused here, without a call: no such order can exist at the broker.
        raise InvalidRequest(f"{order_id!r} is not a Trading 212 order id", broker_code="UNKNOWN_ORDER_ID")
    return f"/equity/orders/{order_id}"
