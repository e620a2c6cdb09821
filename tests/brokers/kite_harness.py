"""Zerodha Kite fixtures, written from the kiteconnect-mocks payloads and the Kite Connect v3 docs."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

from responses import matchers

from app.brokers.zerodha.adapter import KiteAdapter
from app.domain.broker_types import AccountSnapshot, BrokerPosition, OrderAck, Quote
from app.domain.enums import AssetClass, OrderSide, OrderStatus
from app.domain.orders import OrderRequest
from tests.brokers.harness import BrokerHarness

BASE = "https://api.kite.trade"
API_KEY, API_SECRET = "kitetestapikey01", "kite-api-secret-5e4d3c2b1a"
ACCESS_TOKEN = "kiteAccessTok3nQ9x8w7v6u5"
AUTH = {"X-Kite-Version": "3", "Authorization": f"token {API_KEY}:{ACCESS_TOKEN}"}
CREDENTIALS = {"api_key": API_KEY, "api_secret": API_SECRET, "access_token": ACCESS_TOKEN, "user_id": "XX0000"}
ORDER_ID = "151220000000000"
SYMBOLS = ["NSE:INFY", "BSE:SENSEX", "NFO:NIFTY2580724400CE", "NSE:SBIN"]


def success(data):
    return {"status": "success", "data": data}


def instruments_matcher(symbols):
    """The query must be exactly one `i` per symbol, in order: ?i=NSE:INFY&i=BSE:SENSEX."""
    expected = [("i", symbol) for symbol in symbols]

    def match(request):
        found = parse_qsl(urlsplit(request.url).query, keep_blank_values=True)
        return found == expected, f"query {found} is not {expected}"

    return match


def order_json(order_id=ORDER_ID, status="COMPLETE", quantity=1, filled=1, tag=None, **changes):
    """An element of orders.json (a CNC limit buy of IOC on NSE)."""
    order = {
        "placed_by": "XXXXXX", "order_id": order_id, "exchange_order_id": "400000000000000",
        "parent_order_id": None, "status": status, "status_message": None, "status_message_raw": None,
        "order_timestamp": "2021-05-31 15:20:28", "exchange_update_timestamp": "2021-05-31 15:20:28",
        "exchange_timestamp": "2021-05-31 15:20:28", "variety": "regular", "modified": False,
        "exchange": "NSE", "tradingsymbol": "IOC", "instrument_token": 415745, "order_type": "LIMIT",
        "transaction_type": "BUY", "validity": "DAY", "product": "CNC", "quantity": quantity,
        "disclosed_quantity": 0, "price": 109.4, "trigger_price": 0,
        "average_price": 109.4 if filled else 0, "filled_quantity": filled,
        "pending_quantity": quantity - filled, "cancelled_quantity": 0, "market_protection": 0, "meta": {},
        "tag": tag, "guid": "XXXXXX",
    }
    order.update(changes)
    return order


def history_json(final_status="OPEN", quantity=5, filled=2):
    """GET /orders/{id}: the order's states, oldest first (order_info.json's shape)."""
    steps = [("PUT ORDER REQ RECEIVED", 0), ("VALIDATION PENDING", 0), ("OPEN PENDING", 0), (final_status, filled)]
    return [order_json(status=status, quantity=quantity, filled=done, exchange_order_id=None if n < 3 else "1300")
            for n, (status, done) in enumerate(steps)]


def net_position_json(exchange, tradingsymbol, quantity, average, last, product="NRML"):
    """An element of positions.json's `net` list."""
    return {
        "tradingsymbol": tradingsymbol, "exchange": exchange, "instrument_token": 53496327, "product": product,
        "quantity": quantity, "overnight_quantity": 0, "multiplier": 1, "average_price": float(average),
        "close_price": 0, "last_price": float(last), "value": 0, "pnl": 0, "m2m": 0, "unrealised": 0,
        "realised": 0, "buy_quantity": max(quantity, 0), "buy_price": float(average), "buy_value": 0,
        "buy_m2m": 0, "sell_quantity": max(-quantity, 0), "sell_price": 0, "sell_value": 0, "sell_m2m": 0,
        "day_buy_quantity": 0, "day_buy_price": 0, "day_buy_value": 0, "day_sell_quantity": 0,
        "day_sell_price": 0, "day_sell_value": 0,
    }


def holding_json(exchange, tradingsymbol, quantity, t1_quantity, average, last):
    """An element of holdings.json."""
    return {
        "tradingsymbol": tradingsymbol, "exchange": exchange, "instrument_token": 408065, "isin": "INE009A01021",
        "product": "CNC", "price": 0, "quantity": quantity, "used_quantity": 0, "t1_quantity": t1_quantity,
        "realised_quantity": quantity, "authorised_quantity": 0, "authorised_date": "2021-06-08 00:00:00",
        "opening_quantity": quantity + t1_quantity, "collateral_quantity": 0, "collateral_type": "",
        "discrepancy": False, "average_price": float(average), "last_price": float(last),
        "close_price": float(last), "pnl": 0, "day_change": 0, "day_change_percentage": 0,
    }


def quote_json():
    """quote.json's NSE:INFY entry: nobody bidding, one seller at 1412.95."""
    empty = {"price": 0, "quantity": 0, "orders": 0}
    return {
        "instrument_token": 408065, "timestamp": "2021-06-08 15:45:56", "last_trade_time": "2021-06-08 15:45:52",
        "last_price": 1412.95, "last_quantity": 5, "buy_quantity": 0, "sell_quantity": 5191,
        "volume": 7360198, "average_price": 1412.47, "oi": 0, "oi_day_high": 0, "oi_day_low": 0,
        "net_change": 0, "lower_circuit_limit": 1250.7, "upper_circuit_limit": 1528.6,
        "ohlc": {"open": 1396, "high": 1421.75, "low": 1395.55, "close": 1389.65},
        "depth": {"buy": [empty] * 5,
                  "sell": [{"price": 1412.95, "quantity": 5191, "orders": 13}] + [empty] * 4},
    }


# Three open positions: a short option and an intraday stock among today's positions, a delivery holding.
POSITIONS = [
    ("net", net_position_json("NFO", "NIFTY2580724400CE", -75, "120.5", "118.05"),
     BrokerPosition("NFO:NIFTY2580724400CE", Decimal("-75"), Decimal("120.5"), AssetClass.OPTION, Decimal("118.05"))),
    ("holdings", holding_json("NSE", "INFY", 4, 1, "1400.25", "1412.95"),
     BrokerPosition("NSE:INFY", Decimal("5"), Decimal("1400.25"), AssetClass.EQUITY, Decimal("1412.95"))),
    ("net", net_position_json("NSE", "SBIN", 10, "820.4", "822.1", product="MIS"),
     BrokerPosition("NSE:SBIN", Decimal("10"), Decimal("820.4"), AssetClass.EQUITY, Decimal("822.1"))),
]


class KiteHarness(BrokerHarness):
    name = "zerodha"
    secret = ACCESS_TOKEN
    known_order_id = ORDER_ID

    def build(self, options):
        return KiteAdapter(CREDENTIALS, "live", options=options)

    def sample_request(self):
        return OrderRequest(symbol="NSE:INFY", side=OrderSide.BUY, quantity=Decimal("1"))

    def quote_symbols(self, count):
        return SYMBOLS[:count]

    def endpoint(self, operation):
        return {
            "account": ("GET", f"{BASE}/user/margins"),
            "positions": ("GET", f"{BASE}/portfolio/positions"),
            "orders": ("GET", f"{BASE}/orders"),
            "order": ("GET", f"{BASE}/orders/{ORDER_ID}"),
            "place": ("POST", f"{BASE}/orders/regular"),
            "cancel": ("GET", f"{BASE}/orders/{ORDER_ID}"),  # the variety is read first
            "quotes": ("GET", f"{BASE}/quote"),
        }[operation]

    def mock_account(self, rsps):
        segment = {
            "enabled": True, "net": 99725.05000000002,
            "available": {"adhoc_margin": 0, "cash": 245431.6, "opening_balance": 245431.6,
                          "live_balance": 99725.05000000002, "collateral": 0, "intraday_payin": 0},
            "utilised": {"debits": 145706.55, "exposure": 38981.25,
                         "m2m_realised": 761.7, "m2m_unrealised": 0, "option_premium": 0, "payout": 0,
                         "span": 101989, "holding_sales": 0, "turnover": 0, "liquid_collateral": 0,
                         "stock_collateral": 0, "delivery": 0},
        }
        commodity = {**segment, "net": 100661.7}
        rsps.get(f"{BASE}/user/margins", match=[matchers.header_matcher(AUTH)],
                 json=success({"equity": segment, "commodity": commodity}))
        return AccountSnapshot("XX0000", "INR", Decimal("245431.6"), Decimal("99725.05000000002"),
                               Decimal("99725.05000000002"))

    def mock_positions(self, rsps, count):
        chosen = POSITIONS[:count]
        closed = net_position_json("NSE", "IOC", 0, "109.4", "110.2", product="CNC")  # squared off today: left out
        net = [raw for source, raw, _ in chosen if source == "net"] + [closed]
        day = [net_position_json("MCX", "GOLDGUINEA17DECFUT", -3, "23340", "23355")]
        rsps.get(f"{BASE}/portfolio/positions", match=[matchers.header_matcher(AUTH)],
                 json=success({"net": net, "day": day}))
        rsps.get(f"{BASE}/portfolio/holdings", match=[matchers.header_matcher(AUTH)],
                 json=success([raw for source, raw, _ in chosen if source == "holdings"]))
        return [expected for _, _, expected in chosen]

    def mock_orders(self, rsps, count):
        ids = [f"3000000000000{n:02d}" for n in range(count)]
        rsps.get(f"{BASE}/orders", match=[matchers.header_matcher(AUTH)],
                 json=success([order_json(order_id) for order_id in ids]))
        return [(order_id, OrderStatus.FILLED) for order_id in ids]

    def mock_order(self, rsps):
        rsps.get(f"{BASE}/orders/{ORDER_ID}", match=[matchers.header_matcher(AUTH)],
                 json=success(history_json("OPEN", quantity=5, filled=2)))
        return OrderStatus.PARTIALLY_FILLED, Decimal("2")

    def mock_place(self, rsps, request, client_order_id):
        rsps.post(
            f"{BASE}/orders/regular",
            match=[
                matchers.header_matcher(AUTH),
                matchers.urlencoded_params_matcher({
                    "exchange": "NSE", "tradingsymbol": "INFY", "transaction_type": "BUY", "quantity": "1",
                    "product": "CNC", "order_type": "MARKET", "validity": "DAY", "market_protection": "-1",
                    "tag": client_order_id,  # already alphanumeric and 20 characters: sent as it is
                }),
            ],
            json=success({"order_id": ORDER_ID}),
        )
        return OrderAck(ORDER_ID, OrderStatus.SUBMITTED, client_order_id)

    def mock_place_rejected(self, rsps, request, client_order_id):
        rsps.post(f"{BASE}/orders/regular", status=400, match=[matchers.header_matcher(AUTH)],
                  json={"status": "error", "data": None, "error_type": "MarginException",
                        "message": "Insufficient funds. Required margin is 1412.95 but available margin is 0.00."})

    def mock_cancel(self, rsps, broker_order_id):
        rsps.get(f"{BASE}/orders/{broker_order_id}", match=[matchers.header_matcher(AUTH)],
                 json=success(history_json("TRIGGER PENDING", filled=0)))
        rsps.delete(f"{BASE}/orders/regular/{broker_order_id}", match=[matchers.header_matcher(AUTH)],
                    json=success({"order_id": broker_order_id}))

    def mock_quotes(self, rsps, symbols, answered):
        known = symbols[:answered]
        rsps.get(f"{BASE}/quote", match=[matchers.header_matcher(AUTH), instruments_matcher(symbols)],
                 json=success({symbol: quote_json() for symbol in known}))
        # 15:45:56 in India is 10:15:56 UTC.
        as_of = datetime(2021, 6, 8, 10, 15, 56, tzinfo=timezone.utc)
        return {s: Quote(s, None, Decimal("1412.95"), Decimal("1412.95"), as_of) for s in known}

    def mock_auth_failure(self, rsps, operation):
        method, url = self.endpoint(operation)
        rsps.add(method, url, status=403, json={"status": "error", "data": None, "error_type": "TokenException",
                                                 "message": "Incorrect `api_key` or `access_token`."})
