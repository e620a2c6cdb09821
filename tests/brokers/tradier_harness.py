"""Tradier fixtures, written from the documented payloads (docs.tradier.com, asynctradier tests)."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from responses import matchers

from app.brokers.tradier.adapter import TradierAdapter
from app.domain.broker_types import AccountSnapshot, BrokerPosition, OrderAck, Quote
from app.domain.enums import OrderSide, OrderStatus
from app.domain.orders import OrderRequest
from tests.brokers.harness import BrokerHarness

BASE = "https://sandbox.tradier.com"
ACCOUNT_ID = "VA00000000"
TOKEN = "tradier-sandbox-token-7Hq2Lw9Zx4"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
ACCOUNT = f"{BASE}/v1/accounts/{ACCOUNT_ID}"
ORDER_ID = "123456"
PLACED_ID = "257459"
SYMBOLS = ["AAPL", "AMZN", "SPY", "QQQ"]
TAGS = matchers.query_param_matcher({"includeTags": "true"})


def one_or_many(items: list):
    """Tradier's collection quirk: a list for many, the bare object for one, "null" for none."""
    if not items:
        return "null"
    return items[0] if len(items) == 1 else items


def order_json(order_id=ORDER_ID, status="open", exec_quantity=0, avg_fill_price=0, tag=None, **extra):
    order = {
        "id": int(order_id), "type": "market", "symbol": "AAPL", "side": "buy", "quantity": 5.00000000,
        "status": status, "duration": "day", "avg_fill_price": avg_fill_price, "exec_quantity": exec_quantity,
        "last_fill_price": avg_fill_price, "last_fill_quantity": exec_quantity,
        "remaining_quantity": 5 - exec_quantity, "create_date": "2018-06-06T20:16:17.342Z",
        "transaction_date": "2018-06-06T20:16:17.357Z", "class": "equity",
    }
    if tag is not None:
        order["tag"] = tag
    order.update(extra)
    return order


def position_json(symbol, index, quantity=1.00000000, cost_basis=207.01):
    return {"cost_basis": cost_basis, "date_acquired": "2018-08-08T14:41:11.405Z", "id": 130089 + index,
            "quantity": quantity, "symbol": symbol}


def quote_json(symbol):
    return {
        "symbol": symbol, "description": "Apple Inc", "exch": "Q", "type": "stock", "last": 185.75,
        "change": 0.16, "volume": 11189867, "open": 186.06, "high": 186.74, "low": 185.19, "close": None,
        "bid": 185.74, "ask": 185.75, "change_percentage": 0.09, "average_volume": 54243871, "last_volume": 400,
        "trade_date": 1705075482942, "prevclose": 185.59, "week_52_high": 199.62, "week_52_low": 131.66,
        "bidsize": 5, "bidexch": "N", "bid_date": 1705075483000, "asksize": 2, "askexch": "Q",
        "ask_date": 1705075483000, "root_symbols": symbol,
    }


QUOTE_TIME = datetime(2024, 1, 12, 16, 4, 43, tzinfo=timezone.utc)  # ask_date/bid_date 1705075483000 ms


class TradierHarness(BrokerHarness):
    name = "tradier"
    secret = TOKEN
    known_order_id = ORDER_ID

    def build(self, options):
        return TradierAdapter({"access_token": TOKEN, "account_id": ACCOUNT_ID}, "sandbox", options=options)

    def sample_request(self):
        return OrderRequest(symbol="AAPL", side=OrderSide.BUY, quantity=Decimal("5"))

    def quote_symbols(self, count):
        return SYMBOLS[:count]

    def endpoint(self, operation):
        return {
            "account": ("GET", f"{ACCOUNT}/balances"),
            "positions": ("GET", f"{ACCOUNT}/positions"),
            "orders": ("GET", f"{ACCOUNT}/orders"),
            "order": ("GET", f"{ACCOUNT}/orders/{ORDER_ID}"),
            "place": ("POST", f"{ACCOUNT}/orders"),
            "cancel": ("DELETE", f"{ACCOUNT}/orders/{ORDER_ID}"),
            "quotes": ("POST", f"{BASE}/v1/markets/quotes"),
        }[operation]

    def mock_account(self, rsps):
        rsps.get(
            f"{ACCOUNT}/balances",
            match=[matchers.header_matcher(AUTH)],
            json={"balances": {
                "option_short_value": 0, "total_equity": 17798.360000000000000000000000,
                "account_number": ACCOUNT_ID, "account_type": "margin", "close_pl": -4813.000000000000000000,
                "current_requirement": 2557.00000000000000000000, "equity": 0,
                "long_market_value": 11434.50000000000000000000, "market_value": 11434.50000000000000000000,
                "open_pl": 546.900000000000000000000000, "option_long_value": 8877.5000000000000000000,
                "option_requirement": 0, "pending_orders_count": 0, "short_market_value": 0,
                "stock_long_value": 2557.00000000000000000000, "total_cash": 6363.860000000000000000000000,
                "uncleared_funds": 0, "pending_cash": 0,
                "margin": {"fed_call": 0, "maintenance_call": 0, "option_buying_power": 6363.860000000000000000000000,
                           "stock_buying_power": 12727.7200000000000000, "stock_short_value": 0, "sweep": 0},
            }},
        )
        return AccountSnapshot(ACCOUNT_ID, "USD", Decimal("6363.86"), Decimal("12727.72"), Decimal("17798.36"))

    def mock_positions(self, rsps, count):
        symbols = SYMBOLS[:count]
        rsps.get(
            f"{ACCOUNT}/positions",
            match=[matchers.header_matcher(AUTH)],
            json={"positions": {"position": one_or_many([position_json(s, n) for n, s in enumerate(symbols)])}
                  if symbols else "null"},
        )
        return [BrokerPosition(s, Decimal("1"), Decimal("207.01")) for s in symbols]

    def mock_orders(self, rsps, count):
        ids = [str(123400 + n) for n in range(count)]
        orders = [order_json(i, status="filled", exec_quantity=5, avg_fill_price=87.39) for i in ids]
        rsps.get(
            f"{ACCOUNT}/orders",
            match=[matchers.header_matcher(AUTH), TAGS],
            json={"orders": {"order": one_or_many(orders)} if orders else "null"},
        )
        return [(i, OrderStatus.FILLED) for i in ids]

    def mock_order(self, rsps):
        rsps.get(
            f"{ACCOUNT}/orders/{ORDER_ID}",
            match=[matchers.header_matcher(AUTH), TAGS],
            json={"order": order_json(status="partially_filled", exec_quantity=2.00000000, avg_fill_price=87.39)},
        )
        return OrderStatus.PARTIALLY_FILLED, Decimal("2")

    def _place_post(self, rsps, client_order_id):
        rsps.post(
            f"{ACCOUNT}/orders",
            match=[
                matchers.header_matcher(AUTH),
                matchers.urlencoded_params_matcher({
                    "class": "equity", "symbol": "AAPL", "side": "buy", "quantity": "5", "type": "market",
                    "duration": "day", "tag": client_order_id,
                }),
            ],
            json={"order": {"id": int(PLACED_ID), "status": "ok", "partner_id": "c4998eb7-06e8-4820-a7ab-55d9760065fb"}},
        )

    def mock_place(self, rsps, request, client_order_id):
        self._place_post(rsps, client_order_id)
        rsps.get(
            f"{ACCOUNT}/orders/{PLACED_ID}",
            match=[matchers.header_matcher(AUTH), TAGS],
            json={"order": order_json(PLACED_ID, status="open", tag=client_order_id)},
        )
        return OrderAck(PLACED_ID, OrderStatus.SUBMITTED, client_order_id)

    def mock_place_rejected(self, rsps, request, client_order_id):
        # Tradier takes the request ("ok") and reports the downstream refusal only on the order itself.
        self._place_post(rsps, client_order_id)
        rsps.get(
            f"{ACCOUNT}/orders/{PLACED_ID}",
            match=[matchers.header_matcher(AUTH), TAGS],
            json={"order": order_json(PLACED_ID, status="rejected", tag=client_order_id,
                                      reason_description="DayTradingBuyingPowerExceeded")},
        )

    def mock_cancel(self, rsps, broker_order_id):
        rsps.delete(f"{ACCOUNT}/orders/{broker_order_id}", match=[matchers.header_matcher(AUTH)],
                    json={"order": {"id": int(broker_order_id), "status": "ok"}})

    def mock_quotes(self, rsps, symbols, answered):
        known, unknown = symbols[:answered], symbols[answered:]
        body = {}
        if known:
            body["quote"] = one_or_many([quote_json(s) for s in known])
        if unknown:
            body["unmatched_symbols"] = {"symbol": one_or_many(unknown)}
        rsps.post(
            f"{BASE}/v1/markets/quotes",
            match=[matchers.header_matcher(AUTH),
                   matchers.urlencoded_params_matcher({"symbols": ",".join(symbols), "greeks": "false"})],
            json={"quotes": body},
        )
        return {s: Quote(s, Decimal("185.74"), Decimal("185.75"), Decimal("185.75"), QUOTE_TIME) for s in known}

    def mock_auth_failure(self, rsps, operation):
        method, url = self.endpoint(operation)
        rsps.add(method, url, status=401, body="Invalid Access Token", content_type="text/plain")
