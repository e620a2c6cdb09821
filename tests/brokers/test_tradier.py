"""Tradier's own quirks: "null" and single-object collections, form-encoded orders, 200-then-rejected."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import responses
from responses import matchers

from app.brokers.base import BrokerUnavailable, InvalidRequest, MalformedResponse, OrderRejected
from app.brokers.tradier.adapter import TradierAdapter
from app.domain.broker_types import Greeks, OrderAck
from app.domain.enums import AssetClass, OrderSide, OrderStatus, OrderType, TimeInForce
from app.domain.options import OptionRight
from app.domain.orders import OrderRequest, PositionEffect
from tests.brokers.harness import offline_options
from tests.brokers.tradier_harness import (
    ACCOUNT,
    ACCOUNT_ID,
    AUTH,
    BASE,
    TAGS,
    TOKEN,
    order_json,
    position_json,
    quote_json,
)

CLIENT_ID = "pc0123456789abcdef01"
OCC = "SPY180720C00274000"
GREEKS = {"delta": -0.9604526529331165, "gamma": 0.005467830085355449, "theta": -0.08873705325377128,
          "vega": 0.024449975355968073, "rho": 0.0016218090363680116, "phi": -0.001667023522931263,
          "bid_iv": 0.0, "mid_iv": 0.568797, "ask_iv": 0.568797, "smv_vol": 0.471,
          "updated_at": "2024-01-12 15:59:03"}


@pytest.fixture
def adapter(clock):
    return TradierAdapter({"access_token": TOKEN, "account_id": ACCOUNT_ID}, "sandbox", options=offline_options(clock))


def _form(call) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


def _ack_and_readback(rsps, form: dict, order: dict):
    rsps.post(f"{ACCOUNT}/orders", match=[matchers.header_matcher(AUTH), matchers.urlencoded_params_matcher(form)],
              json={"order": {"id": 257459, "status": "ok"}})
    rsps.get(f"{ACCOUNT}/orders/257459", match=[TAGS], json={"order": order})


# --- construction -------------------------------------------------------------------------------


def test_credentials_and_environment_are_checked():
    with pytest.raises(InvalidRequest) as missing:
        TradierAdapter({"access_token": TOKEN}, "sandbox")
    assert missing.value.broker_code == "MISSING_CREDENTIALS"
    with pytest.raises(InvalidRequest) as unknown:
        TradierAdapter({"access_token": TOKEN, "account_id": ACCOUNT_ID}, "paper")
    assert unknown.value.broker_code == "UNKNOWN_ENVIRONMENT"


def test_rate_buckets_follow_the_published_limits_per_environment(clock):
    def rules(environment):
        client = TradierAdapter({"access_token": TOKEN, "account_id": ACCOUNT_ID}, environment,
                                options=offline_options(clock))._client
        return client.standard.rules, client.market_data.rules, client.trading.rules

    assert rules("sandbox") == (("60/minute",), ("60/minute",), ("60/minute",))
    assert rules("production") == (("120/minute",), ("120/minute",), ("60/minute",))


def test_production_host_and_base_url_override(clock, rsps):
    rsps.get("https://api.tradier.com/v1/accounts/VA1/positions", json={"positions": "null"})
    rsps.get("http://localhost:9/v1/accounts/VA1/positions", json={"positions": "null"})
    creds = {"access_token": TOKEN, "account_id": "VA1"}
    assert TradierAdapter(creds, "production", options=offline_options(clock)).get_positions() == []
    overridden = TradierAdapter(creds, "production", base_urls={"production": "http://localhost:9"},
                                options=offline_options(clock))
    assert overridden.get_positions() == []
    assert [c.request.url for c in rsps.calls][-1].startswith("http://localhost:9/")


# --- "null", JSON null and single-object collections -------------------------------------------


@pytest.mark.parametrize("empty", ["null", None])
def test_empty_collections_read_as_empty(adapter, rsps, empty):
    rsps.get(f"{ACCOUNT}/positions", json={"positions": empty})
    rsps.get(f"{ACCOUNT}/orders", json={"orders": empty})
    rsps.post(f"{BASE}/v1/markets/quotes", json={"quotes": empty})
    rsps.get(f"{BASE}/v1/markets/options/chains", json={"options": empty})
    rsps.get(f"{BASE}/v1/markets/options/expirations", json={"expirations": empty})
    assert adapter.get_positions() == []
    assert adapter.get_orders() == []
    assert adapter.get_quotes(["AAPL"]) == {}
    assert adapter.get_option_chain("SPY", date(2018, 7, 20)) == []
    assert adapter.get_option_expirations("SPY") == []


def test_a_missing_collection_is_malformed_not_empty(adapter, rsps):
    rsps.get(f"{ACCOUNT}/positions", json={"positions": {"unexpected": 1}})
    with pytest.raises(MalformedResponse):
        adapter.get_positions()


def test_single_option_and_short_positions(adapter, rsps):
    rsps.get(f"{ACCOUNT}/positions", json={"positions": {"position": [
        position_json(OCC, 0, quantity=2.0, cost_basis=500.0),
        position_json("AAPL", 1, quantity=-1.0, cost_basis=-2.0),
    ]}})
    option, short = adapter.get_positions()
    assert (option.symbol, option.asset_class, option.quantity) == (OCC, AssetClass.OPTION, Decimal("2"))
    assert option.avg_price == Decimal("2.50")  # total cost over 2 contracts of 100
    assert (short.quantity, short.avg_price, short.asset_class) == (Decimal("-1"), Decimal("2"), AssetClass.EQUITY)


def test_single_order_object_with_option_symbol_and_tag(adapter, rsps):
    order = order_json("123456", status="open", tag=CLIENT_ID, side="buy_to_open", type="limit", price=1.25,
                       option_symbol=OCC, symbol="SPY", **{"class": "option"})
    rsps.get(f"{ACCOUNT}/orders", match=[TAGS], json={"orders": {"order": order}})
    [report] = adapter.get_orders()
    assert (report.symbol, report.side, report.order_type) == (OCC, OrderSide.BUY, OrderType.LIMIT)
    assert (report.client_order_id, report.limit_price, report.avg_fill_price) == (CLIENT_ID, Decimal("1.25"), None)
    assert adapter.find_order_by_client_id(CLIENT_ID).broker_order_id == "123456"


def test_order_statuses_and_fill_prices(adapter, rsps):
    orders = [
        order_json("1", status="pending"),
        order_json("2", status="filled", exec_quantity=5, avg_fill_price=87.39),
        order_json("3", status="error", reason_description="AccountIsNotApproved"),
        order_json("4", status="canceled"),
    ]
    rsps.get(f"{ACCOUNT}/orders", json={"orders": {"order": orders}})
    reports = {r.broker_order_id: r for r in adapter.get_orders()}
    assert reports["1"].status == OrderStatus.SUBMITTED and reports["1"].avg_fill_price is None
    assert (reports["2"].status, reports["2"].avg_fill_price) == (OrderStatus.FILLED, Decimal("87.39"))
    assert (reports["3"].status, reports["3"].reject_reason) == (OrderStatus.REJECTED, "AccountIsNotApproved")
    assert reports["4"].status == OrderStatus.CANCELLED


def test_an_unknown_status_word_is_malformed(adapter, rsps):
    rsps.get(f"{ACCOUNT}/orders/123456", json={"order": order_json(status="held_for_review")})
    with pytest.raises(MalformedResponse):
        adapter.get_order("123456")


def test_multileg_orders_are_left_out(adapter, rsps):
    multileg = {"id": 9, "type": "debit", "symbol": "SPY", "status": "open", "class": "multileg", "leg": []}
    rsps.get(f"{ACCOUNT}/orders", json={"orders": {"order": [multileg, order_json("1")]}})
    assert [r.broker_order_id for r in adapter.get_orders()] == ["1"]


def test_a_full_page_of_orders_asks_for_the_next(adapter, rsps):
    first = [order_json(str(n)) for n in range(25)]
    rsps.get(f"{ACCOUNT}/orders", match=[matchers.query_param_matcher({"includeTags": "true"})],
             json={"orders": {"order": first}})
    rsps.get(f"{ACCOUNT}/orders", match=[matchers.query_param_matcher({"includeTags": "true", "page": "2"})],
             json={"orders": {"order": order_json("99", tag=CLIENT_ID)}})
    reports = adapter.get_orders()
    assert len(reports) == 26 and len(rsps.calls) == 2


def test_a_page_number_that_is_ignored_stops_paging(adapter, rsps):
    rsps.get(f"{ACCOUNT}/orders", json={"orders": {"order": [order_json(str(n)) for n in range(25)]}})
    assert len(adapter.get_orders()) == 25
    assert len(rsps.calls) == 2


# --- quotes, chains, expirations ---------------------------------------------------------------


def test_quotes_go_as_a_form_post_and_take_the_newest_timestamp(adapter, rsps):
    quote = quote_json("AAPL") | {"bid": 0, "trade_date": 1705075499000}
    rsps.post(f"{BASE}/v1/markets/quotes", match=[matchers.header_matcher(AUTH), matchers.urlencoded_params_matcher(
        {"symbols": "AAPL,SEFDF", "greeks": "false"})],
        json={"quotes": {"quote": quote, "unmatched_symbols": {"symbol": "SEFDF"}}})
    quotes = adapter.get_quotes(["AAPL", "SEFDF"])
    assert list(quotes) == ["AAPL"]
    assert quotes["AAPL"].bid is None  # zero is no bid
    assert quotes["AAPL"].as_of == datetime(2024, 1, 12, 16, 4, 59, tzinfo=timezone.utc)
    assert rsps.calls[0].request.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_only_unmatched_symbols_is_no_quotes(adapter, rsps):
    rsps.post(f"{BASE}/v1/markets/quotes", json={"quotes": {"unmatched_symbols": {"symbol": ["X1", "X2"]}}})
    assert adapter.get_quotes(["X1", "X2"]) == {}


def test_the_quote_post_is_retried_as_a_read(adapter, rsps):
    rsps.post(f"{BASE}/v1/markets/quotes", status=502, body="Bad gateway")
    rsps.post(f"{BASE}/v1/markets/quotes", json={"quotes": {"quote": quote_json("AAPL")}})
    assert list(adapter.get_quotes(["AAPL"])) == ["AAPL"]
    assert len(rsps.calls) == 2


def test_option_quote_greeks_are_exact_decimals(adapter, rsps):
    rsps.post(f"{BASE}/v1/markets/quotes", json={"quotes": {"quote": quote_json(OCC) | {"greeks": GREEKS}}})
    greeks = adapter.get_quotes([OCC])[OCC].greeks
    assert greeks == Greeks(Decimal("-0.9604526529331165"), Decimal("0.005467830085355449"),
                            Decimal("-0.08873705325377128"), Decimal("0.024449975355968073"), Decimal("0.568797"))


def test_a_single_contract_chain(adapter, rsps):
    option = quote_json(OCC) | {"underlying": "SPY", "strike": 274.0, "option_type": "call",
                                "expiration_date": "2018-07-20", "open_interest": 1250, "greeks": GREEKS}
    rsps.get(f"{BASE}/v1/markets/options/chains", match=[matchers.header_matcher(AUTH), matchers.query_param_matcher(
        {"symbol": "SPY", "expiration": "2018-07-20", "greeks": "true"})], json={"options": {"option": option}})
    [contract] = adapter.get_option_chain("SPY", date(2018, 7, 20))
    assert (contract.symbol, contract.underlying, contract.expiry) == (OCC, "SPY", date(2018, 7, 20))
    assert (contract.right, contract.strike, contract.open_interest) == (OptionRight.CALL, Decimal("274.0"), 1250)
    assert contract.quote.greeks.implied_volatility == Decimal("0.568797")


@pytest.mark.parametrize("dates, expected", [
    ("2018-07-20", [date(2018, 7, 20)]),
    (["2018-07-27", "2018-07-20"], [date(2018, 7, 20), date(2018, 7, 27)]),
])
def test_expirations_single_or_many(adapter, rsps, dates, expected):
    rsps.get(f"{BASE}/v1/markets/options/expirations", match=[matchers.query_param_matcher(
        {"symbol": "SPY", "includeAllRoots": "true"})], json={"expirations": {"date": dates}})
    assert adapter.get_option_expirations("SPY") == expected


# --- placing orders ----------------------------------------------------------------------------


def test_the_exact_place_request_on_the_wire(adapter, rsps):
    request = OrderRequest("AAPL", OrderSide.BUY, Decimal("10"), OrderType.STOP_LIMIT, TimeInForce.GTC,
                           limit_price=Decimal("190.50"), stop_price=Decimal("190"))
    _ack_and_readback(rsps, {"class": "equity", "symbol": "AAPL", "side": "buy", "quantity": "10",
                             "type": "stop_limit", "duration": "gtc", "price": "190.50", "stop": "190",
                             "tag": CLIENT_ID}, order_json("257459", tag=CLIENT_ID))
    assert adapter.place_order(request, CLIENT_ID) == OrderAck("257459", OrderStatus.SUBMITTED, CLIENT_ID)
    sent = rsps.calls[0].request
    assert (sent.method, sent.url) == ("POST", f"{ACCOUNT}/orders")
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}" and sent.headers["Accept"] == "application/json"
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert _form(rsps.calls[0])["tag"] == CLIENT_ID


@pytest.mark.parametrize("side, effect, expected", [
    (OrderSide.BUY, None, "buy_to_open"),
    (OrderSide.BUY, PositionEffect.CLOSE, "buy_to_close"),
    (OrderSide.SELL, None, "sell_to_close"),
    (OrderSide.SELL, PositionEffect.OPEN, "sell_to_open"),
])
def test_option_orders_name_the_contract_and_the_effect(adapter, rsps, side, effect, expected):
    request = OrderRequest(OCC, side, Decimal("2"), asset_class=AssetClass.OPTION, position_effect=effect)
    _ack_and_readback(rsps, {"class": "option", "symbol": "SPY", "option_symbol": OCC, "side": expected,
                             "quantity": "2", "type": "market", "duration": "day", "tag": CLIENT_ID},
                      order_json("257459", tag=CLIENT_ID, option_symbol=OCC, **{"class": "option"}))
    assert adapter.place_order(request, CLIENT_ID).broker_order_id == "257459"


@pytest.mark.parametrize("side, effect, expected", [
    (OrderSide.SELL, PositionEffect.OPEN, "sell_short"),
    (OrderSide.BUY, PositionEffect.CLOSE, "buy_to_cover"),
    (OrderSide.SELL, None, "sell"),
])
def test_equity_shorts_and_covers(adapter, rsps, side, effect, expected):
    request = OrderRequest("AAPL", side, Decimal("3"), position_effect=effect)
    _ack_and_readback(rsps, {"class": "equity", "symbol": "AAPL", "side": expected, "quantity": "3",
                             "type": "market", "duration": "day", "tag": CLIENT_ID}, order_json("257459"))
    adapter.place_order(request, CLIENT_ID)
    assert _form(rsps.calls[0])["side"] == expected


@pytest.mark.parametrize("request_, client_id", [
    (OrderRequest("AAPL", OrderSide.BUY, Decimal("1.5")), CLIENT_ID),
    (OrderRequest("AAPL", OrderSide.BUY, Decimal("1")), "has space"),
    (OrderRequest("AAPL", OrderSide.BUY, Decimal("1"), OrderType.LIMIT), CLIENT_ID),
    (OrderRequest("NOTOCC", OrderSide.BUY, Decimal("1"), asset_class=AssetClass.OPTION), CLIENT_ID),
], ids=["fractional", "bad-tag", "limit-without-price", "bad-option-symbol"])
def test_unsendable_orders_are_refused_before_any_call(adapter, rsps, request_, client_id):
    with pytest.raises(InvalidRequest):
        adapter.place_order(request_, client_id)
    assert len(rsps.calls) == 0


def test_ok_then_rejected_on_read_back_keeps_the_reason(adapter, rsps):
    _ack_and_readback(rsps, {"class": "equity", "symbol": "AAPL", "side": "buy", "quantity": "5",
                             "type": "market", "duration": "day", "tag": CLIENT_ID},
                      order_json("257459", status="rejected", reason_description="DayTradingBuyingPowerExceeded"))
    with pytest.raises(OrderRejected) as refused:
        adapter.place_order(OrderRequest("AAPL", OrderSide.BUY, Decimal("5")), CLIENT_ID)
    assert refused.value.message == "DayTradingBuyingPowerExceeded"


def test_a_failed_read_back_still_acknowledges_the_received_order(adapter, rsps, clock):
    rsps.post(f"{ACCOUNT}/orders", json={"order": {"id": 257459, "status": "ok"}})
    rsps.get(f"{ACCOUNT}/orders/257459", status=503, body="Service unavailable")
    ack = adapter.place_order(OrderRequest("AAPL", OrderSide.BUY, Decimal("5")), CLIENT_ID)
    assert ack == OrderAck("257459", OrderStatus.SUBMITTED, CLIENT_ID)
    assert [c.request.method for c in rsps.calls].count("POST") == 1


def test_errors_in_a_200_placement_answer_are_a_rejection(adapter, rsps):
    rsps.post(f"{ACCOUNT}/orders", json={"errors": {"error": ["Backoffice rejected override of the order.",
                                                              "AccountMarginRuleViolation"]}})
    with pytest.raises(OrderRejected) as refused:
        adapter.place_order(OrderRequest("AAPL", OrderSide.BUY, Decimal("5")), CLIENT_ID)
    assert "AccountMarginRuleViolation" in refused.value.message
    assert len(rsps.calls) == 1


def test_a_400_placement_is_a_rejection_only_when_it_reads_as_one(adapter, rsps):
    request = OrderRequest("AAPL", OrderSide.BUY, Decimal("5"))
    rsps.post(f"{ACCOUNT}/orders", status=400,
              json={"errors": {"error": "You do not have enough buying power for this trade."}})
    with pytest.raises(OrderRejected):
        adapter.place_order(request, CLIENT_ID)
    rsps.replace(responses.POST, f"{ACCOUNT}/orders", status=400, json={"errors": {"error": "Invalid Parameter: type"}})
    with pytest.raises(InvalidRequest) as invalid:
        adapter.place_order(request, CLIENT_ID)
    assert invalid.value.message == "Invalid Parameter: type"


def test_an_unreadable_200_placement_answer_is_an_unknown_outcome(adapter, rsps):
    rsps.post(f"{ACCOUNT}/orders", json={"order": {"status": "ok"}})
    with pytest.raises(BrokerUnavailable) as unknown:
        adapter.place_order(OrderRequest("AAPL", OrderSide.BUY, Decimal("5")), CLIENT_ID)
    assert unknown.value.outcome_unknown is True


def test_cancelling_a_finished_order_is_an_invalid_request(adapter, rsps):
    rsps.delete(f"{ACCOUNT}/orders/123456", status=400, json={"errors": {"error": "order already in finalized state"}})
    with pytest.raises(InvalidRequest) as refused:
        adapter.cancel_order("123456")
    assert refused.value.message == "order already in finalized state"
