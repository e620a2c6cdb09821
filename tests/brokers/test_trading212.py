"""Trading 212's quirks: signed quantities, per-type endpoints, Basic auth, history fallback, no quotes."""
from __future__ import annotations

import base64
from decimal import Decimal

import pytest
from responses import matchers

from app.brokers.base import AuthError, BrokerUnavailable, InvalidRequest, OrderRejected, RateLimited
from app.brokers.trading212.adapter import Trading212Adapter, exchange_for_ticker
from app.brokers.trading212.mapping import parse_error, wire_number
from app.domain.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from app.domain.orders import OrderRequest
from tests.brokers.harness import offline_options
from tests.brokers.trading212_harness import (
    API_KEY,
    API_SECRET,
    BASE,
    ORDER_ID,
    Trading212Harness,
    created_at,
    order_json,
)

EXPECTED_BASIC = "Basic " + base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
AUTH = {"Authorization": EXPECTED_BASIC}


@pytest.fixture
def rsps(strict_rsps):
    return strict_rsps


@pytest.fixture
def adapter(clock):
    return Trading212Harness().build(offline_options(clock))


def order(side=OrderSide.BUY, quantity="5", order_type=OrderType.MARKET, tif=TimeInForce.DAY, limit=None, stop=None):
    return OrderRequest(
        symbol="AAPL_US_EQ", side=side, quantity=Decimal(quantity), order_type=order_type, time_in_force=tif,
        limit_price=Decimal(limit) if limit else None, stop_price=Decimal(stop) if stop else None,
    )


# --- orders on the wire ----------------------------------------------------------------------------


def test_a_sell_goes_as_a_negative_quantity(adapter, rsps):
    rsps.post(f"{BASE}/equity/orders/market",
              match=[matchers.header_matcher(AUTH),
                     matchers.json_params_matcher({"ticker": "AAPL_US_EQ", "quantity": -2.5, "extendedHours": False})],
              json=order_json(quantity=-2.5, side="SELL"))
    ack = adapter.place_order(order(OrderSide.SELL, "2.5"), "pc-sell-1")
    assert ack.broker_order_id == ORDER_ID and ack.status == OrderStatus.SUBMITTED
    assert ack.client_order_id == "pc-sell-1"
    assert b'"quantity": -2.5' in rsps.calls[0].request.body
    assert b'"side"' not in rsps.calls[0].request.body  # Trading 212 has no side field


@pytest.mark.parametrize(
    ("request_", "path", "body"),
    [
        (order(OrderSide.BUY, "3", OrderType.LIMIT, TimeInForce.GTC, limit="150.25"), "limit",
         {"ticker": "AAPL_US_EQ", "quantity": 3, "limitPrice": 150.25, "timeValidity": "GOOD_TILL_CANCEL"}),
        (order(OrderSide.SELL, "1.5", OrderType.STOP, TimeInForce.DAY, stop="140.10"), "stop",
         {"ticker": "AAPL_US_EQ", "quantity": -1.5, "stopPrice": 140.1, "timeValidity": "DAY"}),
        (order(OrderSide.BUY, "2", OrderType.STOP_LIMIT, TimeInForce.DAY, limit="161", stop="160.5"), "stop_limit",
         {"ticker": "AAPL_US_EQ", "quantity": 2, "stopPrice": 160.5, "limitPrice": 161, "timeValidity": "DAY"}),
        (order(OrderSide.SELL, "4", OrderType.STOP_LIMIT, TimeInForce.GTC, limit="99.9", stop="100"), "stop_limit",
         {"ticker": "AAPL_US_EQ", "quantity": -4, "stopPrice": 100, "limitPrice": 99.9,
          "timeValidity": "GOOD_TILL_CANCEL"}),
    ],
    ids=["limit-gtc", "stop-day-sell", "stop-limit-day", "stop-limit-gtc-sell"],
)
def test_each_order_type_has_its_endpoint_and_fields(adapter, rsps, request_, path, body):
    rsps.post(f"{BASE}/equity/orders/{path}",
              match=[matchers.header_matcher(AUTH), matchers.json_params_matcher(body)],
              json=order_json(status="CONFIRMED", order_type=path.upper()))
    ack = adapter.place_order(request_, "pc-typed-1")
    assert (ack.broker_order_id, ack.status) == (ORDER_ID, OrderStatus.SUBMITTED)


@pytest.mark.parametrize(
    "request_",
    [order(order_type=OrderType.LIMIT), order(order_type=OrderType.STOP), order(order_type=OrderType.STOP_LIMIT,
                                                                                 limit="10")],
    ids=["limit-without-price", "stop-without-price", "stop-limit-without-stop"],
)
def test_a_missing_price_is_refused_before_a_call(adapter, rsps, request_):
    with pytest.raises(InvalidRequest):
        adapter.place_order(request_, "pc-bad")
    assert len(rsps.calls) == 0


def test_too_many_decimals_are_refused_not_rounded_before_a_call(adapter, rsps):
    with pytest.raises(InvalidRequest) as refused:
        adapter.place_order(order(quantity="0.123456789"), "pc-precise")
    assert refused.value.broker_code == "QUANTITY_TOO_PRECISE"
    assert len(rsps.calls) == 0


def test_eight_decimals_go_through_exactly(adapter, rsps):
    rsps.post(f"{BASE}/equity/orders/market",
              match=[matchers.json_params_matcher({"ticker": "AAPL_US_EQ", "quantity": 0.12345678,
                                                   "extendedHours": False})],
              json=order_json(quantity=0.12345678))
    adapter.place_order(order(quantity="0.12345678"), "pc-fraction")
    assert b'"quantity": 0.12345678,' in rsps.calls[0].request.body


@pytest.mark.parametrize(
    ("value", "wire"),
    [("5", 5), ("5.000", 5), ("-3", -3), ("150.10", 150.1), ("0.1", 0.1), ("-0.00000001", -1e-08), ("1E+2", 100)],
)
def test_decimals_become_exact_json_numbers(value, wire):
    result = wire_number(Decimal(value), "quantity")
    assert result == wire and type(result) is type(wire)
    assert Decimal(repr(result)) == Decimal(value)


def test_a_decimal_a_json_number_cannot_carry_exactly_is_refused():
    with pytest.raises(InvalidRequest):
        wire_number(Decimal("12345678901234567.5"), "limit price")


def test_an_order_timeout_at_the_broker_leaves_the_outcome_unknown(adapter, rsps):
    rsps.post(f"{BASE}/equity/orders/market", status=408, body="Timed-out")
    with pytest.raises(BrokerUnavailable) as unknown:
        adapter.place_order(order(), "pc-408")
    assert unknown.value.outcome_unknown is True
    assert len(rsps.calls) == 1


def test_an_unreadable_answer_to_an_order_leaves_the_outcome_unknown(adapter, rsps):
    rsps.post(f"{BASE}/equity/orders/market", json={"id": 123456789, "status": "SOMETHING_NEW"})
    with pytest.raises(BrokerUnavailable) as unknown:
        adapter.place_order(order(), "pc-garbled")
    assert unknown.value.outcome_unknown is True


# --- authentication ------------------------------------------------------------------------------


def test_key_and_secret_go_as_http_basic(adapter, rsps):
    rsps.get(f"{BASE}/equity/positions", json=[])
    adapter.get_positions()
    assert rsps.calls[0].request.headers["Authorization"] == EXPECTED_BASIC


def test_a_lone_key_goes_as_the_legacy_raw_header(clock, rsps):
    rsps.get(f"{BASE}/equity/positions", match=[matchers.header_matcher({"Authorization": "legacy-key-0001"})],
             json=[])
    legacy = Trading212Adapter({"api_key": "legacy-key-0001"}, "demo", options=offline_options(clock))
    assert legacy.get_positions() == []
    assert rsps.calls[0].request.headers["Authorization"] == "legacy-key-0001"


@pytest.mark.parametrize(
    ("credentials", "environment", "code"),
    [({"api_secret": "s"}, "demo", "MISSING_CREDENTIALS"), ({"api_key": ""}, "demo", "MISSING_CREDENTIALS"),
     ({"api_key": "k", "api_secret": "s"}, "paper", "UNKNOWN_ENVIRONMENT")],
)
def test_bad_construction_is_refused(credentials, environment, code):
    with pytest.raises(InvalidRequest) as refused:
        Trading212Adapter(credentials, environment)
    assert refused.value.broker_code == code


def test_live_and_overridden_base_urls(clock, rsps):
    rsps.get("https://live.trading212.com/api/v0/equity/positions", json=[])
    rsps.get("http://localhost:9999/api/v0/equity/positions", json=[])
    creds = {"api_key": API_KEY, "api_secret": API_SECRET}
    Trading212Adapter(creds, "live", options=offline_options(clock)).get_positions()
    Trading212Adapter(creds, "demo", base_urls={"demo": "http://localhost:9999/api/v0"},
                      options=offline_options(clock)).get_positions()


def test_a_key_from_the_other_environment_is_an_auth_error(adapter, rsps):
    rsps.get(f"{BASE}/equity/positions", status=401, body="Bad API key")
    with pytest.raises(AuthError) as refused:
        adapter.get_positions()
    assert "Bad API key" in refused.value.message and "other environment" in refused.value.message


# --- reading orders ------------------------------------------------------------------------------


def history_item(order_id, fill_quantity, price, status="FILLED"):
    return {
        "order": order_json(order_id, status=status, quantity=5, filled=5 if status == "FILLED" else 0),
        "fill": {"id": 987654321, "type": "TRADE", "quantity": fill_quantity, "price": price,
                 "filledAt": "2024-01-15T14:30:01Z", "tradingMethod": "TOTV",
                 "walletImpact": {"currency": "GBP", "netValue": 730.1, "realisedProfitLoss": 0,
                                  "fxRate": 1.27, "taxes": []}},
    }


def test_an_order_no_longer_pending_is_read_from_the_history(adapter, rsps):
    rsps.get(f"{BASE}/equity/orders/{ORDER_ID}", match=[matchers.header_matcher(AUTH)],
             status=404, json={"code": "NotFound", "clarification": "Order not found"})
    rsps.get(f"{BASE}/equity/history/orders",
             match=[matchers.header_matcher(AUTH), matchers.query_param_matcher({"limit": "50"})],
             json={"items": [history_item("123456700", 1, 100.0), history_item(ORDER_ID, 5, 185.42)],
                   "nextPagePath": None})
    report = adapter.get_order(ORDER_ID)
    assert report.broker_order_id == ORDER_ID and report.status == OrderStatus.FILLED
    assert (report.filled_quantity, report.avg_fill_price) == (Decimal("5"), Decimal("185.42"))
    assert report.side == OrderSide.BUY and report.symbol == "AAPL_US_EQ" and report.client_order_id is None
    assert report.created_at == created_at()


def test_an_order_in_neither_place_is_unknown(adapter, rsps):
    rsps.get(f"{BASE}/equity/orders/{ORDER_ID}", status=404, body="Order not found")
    rsps.get(f"{BASE}/equity/history/orders", json={"items": [], "nextPagePath": None})
    with pytest.raises(InvalidRequest) as unknown:
        adapter.get_order(ORDER_ID)
    assert unknown.value.status_code == 404


def test_an_id_that_cannot_be_an_order_is_refused_without_a_call(adapter, rsps):
    with pytest.raises(InvalidRequest):
        adapter.get_order("../account/summary")
    assert len(rsps.calls) == 0


def test_side_comes_from_the_quantity_sign_when_absent(adapter, rsps):
    pending = order_json(quantity=-3, filled=0)
    del pending["side"]
    rsps.get(f"{BASE}/equity/orders/{ORDER_ID}", json=pending)
    report = adapter.get_order(ORDER_ID)
    assert (report.side, report.quantity) == (OrderSide.SELL, Decimal("3"))


def test_cancelling_an_unknown_order_is_invalid(adapter, rsps):
    rsps.delete(f"{BASE}/equity/orders/{ORDER_ID}", status=404, body="Order not found")
    with pytest.raises(InvalidRequest):
        adapter.cancel_order(ORDER_ID)


# --- no quotes, markets, limits, errors ---------------------------------------------------------


def test_quotes_are_unsupported_without_a_call(adapter, rsps):
    assert adapter.capabilities.has_quotes is False
    with pytest.raises(InvalidRequest) as refused:
        adapter.get_quotes(["AAPL_US_EQ"])
    assert refused.value.broker_code == "QUOTES_UNSUPPORTED"
    assert adapter.get_quotes([]) == {}
    assert len(rsps.calls) == 0


@pytest.mark.parametrize(("ticker", "calendar"),
                         [("AAPL_US_EQ", "XNYS"), ("MSFT_US_EQ", "XNYS"), ("VUSAl_EQ", "XLON"), ("SAPd_EQ", "XETR")])
def test_exchange_for_ticker(ticker, calendar):
    assert exchange_for_ticker(ticker) == calendar


@pytest.mark.parametrize("ticker", ["TSLA", "VUSAL_EQ", "SAPD_EQ", "_US_EQ", "l_EQ", "", "AAPL_US_EQ "])
def test_an_unknown_listing_is_invalid(ticker):
    with pytest.raises(InvalidRequest):
        exchange_for_ticker(ticker)


def test_the_account_summary_limit_refuses_a_second_call_without_a_network_call(adapter, rsps):
    Trading212Harness().mock_account(rsps)
    rsps.get(f"{BASE}/equity/positions", json=[])
    adapter.get_account()
    with pytest.raises(RateLimited) as limited:
        adapter.get_account()
    assert 4 < limited.value.retry_after <= 5
    assert len(rsps.calls) == 1
    adapter.get_positions()  # another endpoint has its own budget
    assert len(rsps.calls) == 2


@pytest.mark.parametrize(
    ("status", "body", "text", "error", "code"),
    [
        (400, {"code": "InsufficientFreeForStocksBuy", "clarification": "Insufficient funds"}, "", OrderRejected,
         "InsufficientFreeForStocksBuy"),
        (400, {"code": "SellingEquityNotOwned", "clarification": "x"}, "", OrderRejected, "SellingEquityNotOwned"),
        (400, {"code": "MarketClosed"}, "", OrderRejected, "MarketClosed"),
        (400, {"code": "InvalidQuantity", "clarification": "bad"}, "", InvalidRequest, "InvalidQuantity"),
        (400, {"message": "Failed validation"}, "", InvalidRequest, None),
        (400, None, "Failed validation", InvalidRequest, None),
        (403, None, "Scope(orders:execute) missing for API key", AuthError, None),
        (404, None, "Order not found", InvalidRequest, None),
        (408, None, "Timed-out", BrokerUnavailable, None),
        (429, None, "Limited: 1 / 5s", RateLimited, None),
    ],
)
def test_error_shapes(status, body, text, error, code):
    parsed = parse_error(status, body, text)
    assert type(parsed) is error and parsed.broker_code == code and parsed.status_code == status
    expected_text = (body or {}).get("clarification") or (body or {}).get("message") or text or code
    assert expected_text in parsed.message
