"""Alpaca fixtures, written from the documented payloads (docs.alpaca.markets, alpaca-py tests)."""
from __future__ import annotations

from decimal import Decimal

from responses import matchers

from app.brokers.alpaca.adapter import AlpacaAdapter
from app.domain.broker_types import AccountSnapshot, BrokerPosition, OrderAck, Quote
from app.domain.enums import OrderSide, OrderStatus
from app.domain.orders import OrderRequest
from app.brokers.parsing import parse_timestamp
from tests.brokers.harness import BrokerHarness

BASE = "https://paper-api.alpaca.markets"
DATA = "https://data.alpaca.markets"
KEY_ID, SECRET = "PKTESTKEY0001", "alpaca-secret-0f9e8d7c6b5a"
AUTH = {"APCA-API-KEY-ID": KEY_ID, "APCA-API-SECRET-KEY": SECRET}
ORDER_ID = "61e69015-8549-4bfd-b9c3-01e75843f47d"
SYMBOLS = ["AAPL", "MSFT", "SPY", "QQQ"]


def order_json(order_id=ORDER_ID, status="accepted", client_order_id="eb9e2aaa", filled_qty="0", qty="5"):
    return {
        "id": order_id, "client_order_id": client_order_id,
        "created_at": "2021-03-16T18:38:01.942282Z", "updated_at": "2021-03-16T18:38:01.942282Z",
        "submitted_at": "2021-03-16T18:38:01.937734Z", "filled_at": None, "expired_at": None,
        "canceled_at": None, "failed_at": None, "replaced_at": None, "replaced_by": None, "replaces": None,
        "asset_id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415", "symbol": "AAPL", "asset_class": "us_equity",
        "notional": None, "qty": qty, "filled_qty": filled_qty, "filled_avg_price": None, "order_class": "",
        "order_type": "market", "type": "market", "side": "buy", "time_in_force": "day",
        "limit_price": None, "stop_price": None, "status": status, "extended_hours": False, "legs": None,
        "trail_percent": None, "trail_price": None, "hwm": None,
    }


def position_json(symbol, qty="5", side="long"):
    return {
        "asset_id": "904837e3-3b76-47ec-b432-046db621571b", "symbol": symbol, "exchange": "NASDAQ",
        "asset_class": "us_equity", "avg_entry_price": "100.0", "qty": qty, "side": side,
        "market_value": "600.0", "cost_basis": "500.0", "unrealized_pl": "100.0", "unrealized_plpc": "0.20",
        "unrealized_intraday_pl": "10.0", "unrealized_intraday_plpc": "0.0084", "current_price": "120.0",
        "lastday_price": "119.0", "change_today": "0.0084",
    }


class AlpacaHarness(BrokerHarness):
    name = "alpaca"
    secret = SECRET
    known_order_id = ORDER_ID

    def build(self, options):
        return AlpacaAdapter({"key_id": KEY_ID, "secret_key": SECRET}, "paper", options=options)

    def sample_request(self):
        return OrderRequest(symbol="AAPL", side=OrderSide.BUY, quantity=Decimal("5"))

    def quote_symbols(self, count):
        return SYMBOLS[:count]

    def endpoint(self, operation):
        return {
            "account": ("GET", f"{BASE}/v2/account"),
            "positions": ("GET", f"{BASE}/v2/positions"),
            "orders": ("GET", f"{BASE}/v2/orders"),
            "order": ("GET", f"{BASE}/v2/orders/{ORDER_ID}"),
            "place": ("POST", f"{BASE}/v2/orders"),
            "cancel": ("DELETE", f"{BASE}/v2/orders/{ORDER_ID}"),
            "quotes": ("GET", f"{DATA}/v2/stocks/quotes/latest"),
        }[operation]

    def mock_account(self, rsps):
        rsps.get(
            f"{BASE}/v2/account",
            match=[matchers.header_matcher(AUTH)],
            json={
                "id": "e6fe16f3-64a4-4921-8928-cadf02f92f98", "account_number": "PA2W2W2Y4UOP",
                "status": "ACTIVE", "currency": "USD", "cash": "262113.632", "buying_power": "262113.632",
                "regt_buying_power": "262113.632", "equity": "263113.632", "last_equity": "262113.632",
                "portfolio_value": "263113.632", "pattern_day_trader": False, "trading_blocked": False,
            },
        )
        return AccountSnapshot("PA2W2W2Y4UOP", "USD", Decimal("262113.632"), Decimal("262113.632"), Decimal("263113.632"))

    def mock_positions(self, rsps, count):
        symbols = SYMBOLS[:count]
        rsps.get(f"{BASE}/v2/positions", match=[matchers.header_matcher(AUTH)],
                 json=[position_json(symbol) for symbol in symbols])
        return [BrokerPosition(s, Decimal("5"), Decimal("100.0"), market_price=Decimal("120.0")) for s in symbols]

    def mock_orders(self, rsps, count):
        ids = [f"61e69015-8549-4bfd-b9c3-01e75843f4{n:02d}" for n in range(count)]
        rsps.get(
            f"{BASE}/v2/orders",
            match=[matchers.header_matcher(AUTH),
                   matchers.query_param_matcher({"status": "all", "limit": "500", "direction": "desc"})],
            json=[order_json(order_id, status="filled", filled_qty="5") for order_id in ids],
        )
        return [(order_id, OrderStatus.FILLED) for order_id in ids]

    def mock_order(self, rsps):
        rsps.get(f"{BASE}/v2/orders/{ORDER_ID}", match=[matchers.header_matcher(AUTH)],
                 json=order_json(status="partially_filled", filled_qty="2"))
        return OrderStatus.PARTIALLY_FILLED, Decimal("2")

    def mock_place(self, rsps, request, client_order_id):
        rsps.post(
            f"{BASE}/v2/orders",
            match=[
                matchers.header_matcher(AUTH),
                matchers.json_params_matcher({
                    "symbol": "AAPL", "qty": "5", "side": "buy", "type": "market",
                    "time_in_force": "day", "client_order_id": client_order_id,
                }),
            ],
            json=order_json(client_order_id=client_order_id),
        )
        return OrderAck(ORDER_ID, OrderStatus.SUBMITTED, client_order_id)

    def mock_place_rejected(self, rsps, request, client_order_id):
        rsps.post(f"{BASE}/v2/orders", status=403,
                  json={"buying_power": "176531.28", "code": 40310000, "cost_basis": "48640000",
                        "message": "insufficient buying power"})

    def mock_cancel(self, rsps, broker_order_id):
        rsps.delete(f"{BASE}/v2/orders/{broker_order_id}", match=[matchers.header_matcher(AUTH)], status=204)

    def mock_quotes(self, rsps, symbols, answered):
        known = symbols[:answered]
        rsps.get(
            f"{DATA}/v2/stocks/quotes/latest",
            match=[matchers.header_matcher(AUTH),
                   matchers.query_param_matcher({"symbols": ",".join(symbols), "feed": "iex"})],
            json={"quotes": {s: {"t": "2022-03-18T14:02:43.651613184Z", "ax": "P", "ap": 161.11, "as": 13,
                                 "bx": "K", "bp": 161.1, "bs": 2, "c": ["R"], "z": "C"} for s in known}},
        )
        as_of = parse_timestamp("2022-03-18T14:02:43.651613+00:00", "t")
        return {s: Quote(s, Decimal("161.1"), Decimal("161.11"), None, as_of) for s in known}

    def mock_auth_failure(self, rsps, operation):
        method, url = self.endpoint(operation)
        rsps.add(method, url, status=401, json={"message": "unauthorized"})
