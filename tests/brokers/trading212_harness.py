"""Trading 212 fixtures, written from the documented payloads (OpenAPI at docs.trading212.com, labs SKILL.md)."""
from __future__ import annotations

import base64
from decimal import Decimal

from responses import matchers

from app.brokers.parsing import parse_timestamp
from app.brokers.trading212.adapter import Trading212Adapter
from app.domain.broker_types import AccountSnapshot, BrokerPosition, OrderAck
from app.domain.enums import OrderSide, OrderStatus
from app.domain.orders import OrderRequest
from tests.brokers.harness import BrokerHarness

BASE = "https://demo.trading212.com/api/v0"
API_KEY, API_SECRET = "21030761ZKfQpTuMWkGTLHdBBTrNpBDwmKd", "t212-secret-9c8b7a6f5e4d3c2b1a"
BASIC = "Basic " + base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
AUTH = {"Authorization": BASIC}
ORDER_ID = "123456789"
TICKERS = ["AAPL_US_EQ", "MSFT_US_EQ", "VUSAl_EQ", "SAPd_EQ"]
CREATED_AT = "2024-01-15T10:30:00Z"


def instrument_json(ticker="AAPL_US_EQ"):
    return {"ticker": ticker, "name": "Apple Inc", "isin": "US0378331005", "currency": "USD"}


def order_json(order_id=ORDER_ID, status="NEW", quantity=5, filled=0, side="BUY", order_type="MARKET",
               ticker="AAPL_US_EQ", **extra):
    """The documented market-order answer (labs SKILL.md), with the fields a test varies."""
    return {
        "id": int(order_id), "type": order_type, "ticker": ticker, "instrument": instrument_json(ticker),
        "quantity": quantity, "filledQuantity": filled, "status": status, "side": side,
        "strategy": "QUANTITY", "initiatedFrom": "API", "extendedHours": False, "createdAt": CREATED_AT,
        **extra,
    }


def position_json(ticker):
    return {
        "instrument": instrument_json(ticker),
        "quantity": 15.5, "quantityAvailableForTrading": 12.5, "quantityInPies": 3,
        "currentPrice": 185.5, "averagePricePaid": 170.25, "createdAt": "2024-01-10T09:15:00Z",
        "walletImpact": {"currency": "GBP", "totalCost": 2089.45, "currentValue": 2275.1,
                         "unrealizedProfitLoss": 185.65, "fxImpact": 12.3},
    }


ACCOUNT_SUMMARY = {
    "id": 12345678, "currency": "GBP", "totalValue": 15250.75,
    "cash": {"availableToTrade": 2500.5, "reservedForOrders": 150.0, "inPies": 500.0},
    "investments": {"currentValue": 12100.25, "totalCost": 10500.0, "realizedProfitLoss": 850.5,
                    "unrealizedProfitLoss": 1600.25},
}


class Trading212Harness(BrokerHarness):
    name = "trading212"
    secret = API_SECRET
    known_order_id = ORDER_ID

    def build(self, options):
        return Trading212Adapter({"api_key": API_KEY, "api_secret": API_SECRET}, "demo", options=options)

    def sample_request(self):
        return OrderRequest(symbol="AAPL_US_EQ", side=OrderSide.BUY, quantity=Decimal("5"))

    def quote_symbols(self, count):
        return TICKERS[:count]

    def endpoint(self, operation):
        return {
            "account": ("GET", f"{BASE}/equity/account/summary"),
            "positions": ("GET", f"{BASE}/equity/positions"),
            "orders": ("GET", f"{BASE}/equity/orders"),
            "order": ("GET", f"{BASE}/equity/orders/{ORDER_ID}"),
            "place": ("POST", f"{BASE}/equity/orders/market"),
            "cancel": ("DELETE", f"{BASE}/equity/orders/{ORDER_ID}"),
        }[operation]

    def mock_account(self, rsps):
        rsps.get(f"{BASE}/equity/account/summary", match=[matchers.header_matcher(AUTH)], json=ACCOUNT_SUMMARY)
        return AccountSnapshot("12345678", "GBP", Decimal("2500.5"), Decimal("2500.5"), Decimal("15250.75"))

    def mock_positions(self, rsps, count):
        tickers = TICKERS[:count]
        rsps.get(f"{BASE}/equity/positions", match=[matchers.header_matcher(AUTH)],
                 json=[position_json(ticker) for ticker in tickers])
        return [BrokerPosition(t, Decimal("15.5"), Decimal("170.25"), market_price=Decimal("185.5")) for t in tickers]

    def mock_orders(self, rsps, count):
        ids = [str(123456700 + n) for n in range(count)]
        rsps.get(
            f"{BASE}/equity/orders",
            match=[matchers.header_matcher(AUTH), matchers.query_param_matcher({})],
            json=[order_json(order_id, order_type="LIMIT", limitPrice=150.25, timeInForce="DAY") for order_id in ids],
        )
        return [(order_id, OrderStatus.SUBMITTED) for order_id in ids]

    def mock_order(self, rsps):
        rsps.get(f"{BASE}/equity/orders/{ORDER_ID}", match=[matchers.header_matcher(AUTH)],
                 json=order_json(status="PARTIALLY_FILLED", quantity=5, filled=2))
        return OrderStatus.PARTIALLY_FILLED, Decimal("2")

    def mock_place(self, rsps, request, client_order_id):
        rsps.post(
            f"{BASE}/equity/orders/market",
            match=[
                matchers.header_matcher(AUTH),
                matchers.json_params_matcher({"ticker": "AAPL_US_EQ", "quantity": 5, "extendedHours": False}),
            ],
            json=order_json(),
        )
        return OrderAck(ORDER_ID, OrderStatus.SUBMITTED, client_order_id)

    def mock_place_rejected(self, rsps, request, client_order_id):
        rsps.post(
            f"{BASE}/equity/orders/market",
            match=[
                matchers.header_matcher(AUTH),
                matchers.json_params_matcher({"ticker": "AAPL_US_EQ", "quantity": 5, "extendedHours": False}),
            ],
            status=400, json={"code": "InsufficientFreeForStocksBuy", "clarification": "Insufficient funds"},
        )

    def mock_cancel(self, rsps, broker_order_id):
        rsps.delete(f"{BASE}/equity/orders/{broker_order_id}", match=[matchers.header_matcher(AUTH)],
                    status=200, body="")

    def mock_quotes(self, rsps, symbols, answered):
        raise AssertionError("Trading 212 has no quotes; the contract suite must not ask for them")

    def mock_auth_failure(self, rsps, operation):
        method, url = self.endpoint(operation)
        rsps.add(method, url, status=401, body="Bad API key", content_type="text/plain")


def created_at():
    return parse_timestamp(CREATED_AT, "createdAt")
