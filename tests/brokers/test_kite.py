"""Kite's quirks: the daily login, the order history list, IST timestamps, tags, protections and quotes."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from limits.storage import MemoryStorage
from responses import matchers

from app.brokers.base import AuthError, BrokerUnavailable, InvalidRequest, OrderRejected, RateLimited
from app.brokers.http import BrokerRateLimiter
from app.brokers.zerodha import login, mapping
from app.brokers.zerodha.adapter import KiteAdapter, kite_tag
from app.domain.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from app.domain.orders import OrderRequest
from tests.brokers.harness import offline_options
from tests.brokers.kite_harness import (
    API_KEY, API_SECRET, AUTH, BASE, CREDENTIALS, ORDER_ID, KiteHarness, history_json,
    holding_json, net_position_json, order_json, quote_json, success,
)

REQUEST_TOKEN = "Rq7Tok3nAbc123"


@pytest.fixture
def rsps(strict_rsps):
    return strict_rsps


@pytest.fixture
def adapter(clock):
    return KiteAdapter(CREDENTIALS, "live", options=offline_options(clock))


def form_of(call) -> dict:
    return dict(parse_qsl(call.request.body))


# --- login -------------------------------------------------------------------------------------


def test_the_checksum_is_sha256_of_key_token_and_secret():
    expected = hashlib.sha256(b"kitetestapikey01Rq7Tok3nAbc123kite-api-secret-5e4d3c2b1a").hexdigest()
    assert login.session_checksum(API_KEY, REQUEST_TOKEN, API_SECRET) == expected


def test_the_login_url_names_the_version_and_the_key():
    assert login.login_url(API_KEY) == f"https://kite.zerodha.com/connect/login?v=3&api_key={API_KEY}"
    assert login.login_url("k1", "http://kite.test/connect/login") == "http://kite.test/connect/login?v=3&api_key=k1"
    with_state = login.login_url("k1", redirect_params={"state": "abc"})
    assert with_state.endswith("&redirect_params=state%3Dabc")


def test_the_adapter_login_url_follows_the_override():
    adapter = KiteAdapter({"api_key": "k1", "api_secret": "s1"}, "live", base_urls={"login": "http://kite.test/l"})
    assert adapter.login_url() == "http://kite.test/l?v=3&api_key=k1"


def test_a_request_token_is_exchanged_for_the_day_s_session(rsps, clock):
    checksum = hashlib.sha256(f"{API_KEY}{REQUEST_TOKEN}{API_SECRET}".encode()).hexdigest()
    rsps.post(
        f"{BASE}/session/token",
        match=[matchers.header_matcher({"X-Kite-Version": "3"}),
               matchers.urlencoded_params_matcher(
                   {"api_key": API_KEY, "request_token": REQUEST_TOKEN, "checksum": checksum})],
        json=success({"user_type": "individual", "email": "XXXXXX", "user_name": "Kite Connect",
                      "user_shortname": "Connect", "broker": "ZERODHA", "exchanges": ["NSE", "NFO"],
                      "products": ["CNC", "NRML", "MIS"], "order_types": ["MARKET", "LIMIT", "SL", "SL-M"],
                      "user_id": "XX0000", "api_key": API_KEY, "access_token": "fr3shT0ken",
                      "public_token": "XXXXXXXX", "refresh_token": "", "login_time": "2021-01-01 16:15:14",
                      "meta": {"demat_consent": "physical"}}),
    )
    session = login.exchange_request_token(API_KEY, API_SECRET, REQUEST_TOKEN, options=offline_options(clock))
    assert session == {"access_token": "fr3shT0ken", "user_id": "XX0000", "user_name": "Kite Connect",
                       "login_time": datetime(2021, 1, 1, 10, 45, 14, tzinfo=timezone.utc)}
    assert "Authorization" not in rsps.calls[0].request.headers
    assert API_SECRET not in rsps.calls[0].request.body  # only its checksum travels


def test_a_refused_checksum_is_an_auth_error(rsps, clock):
    rsps.post(f"{BASE}/session/token", status=403,
              json={"status": "error", "message": "Invalid `checksum`.", "data": None, "error_type": "TokenException"})
    with pytest.raises(AuthError) as refused:
        login.exchange_request_token(API_KEY, API_SECRET, REQUEST_TOKEN, options=offline_options(clock))
    assert refused.value.message == "Invalid `checksum`."
    assert refused.value.needs_login is True
    assert len(rsps.calls) == 1  # a request token is single-use: never retried


@pytest.mark.parametrize("token", ["", "abc-def", "abc def", None, "tok&api_key=x"])
def test_a_garbled_request_token_is_refused_before_any_call(rsps, clock, token):
    with pytest.raises(InvalidRequest) as refused:
        login.exchange_request_token(API_KEY, API_SECRET, token, options=offline_options(clock))
    assert refused.value.broker_code == "BAD_REQUEST_TOKEN"
    assert len(rsps.calls) == 0


# --- sessions and construction -----------------------------------------------------------------


def test_an_expired_token_needs_a_new_login(rsps, adapter):
    rsps.get(f"{BASE}/user/margins", status=403,
             json={"status": "error", "message": "Incorrect `api_key` or `access_token`.", "data": None,
                   "error_type": "TokenException"})
    with pytest.raises(AuthError) as expired:
        adapter.get_account()
    assert expired.value.needs_login is True
    assert expired.value.message == "Incorrect `api_key` or `access_token`."


def test_a_connection_without_a_token_needs_login_and_calls_nothing(rsps, clock):
    adapter = KiteAdapter({"api_key": API_KEY, "api_secret": API_SECRET}, "live", options=offline_options(clock))
    with pytest.raises(AuthError) as missing:
        adapter.get_account()
    assert missing.value.needs_login is True and missing.value.message == "log in to Kite"
    with pytest.raises(AuthError):
        adapter.place_order(KiteHarness().sample_request(), "pc1")
    assert len(rsps.calls) == 0


@pytest.mark.parametrize("credentials, environment, code", [
    ({"api_secret": "s"}, "live", "MISSING_CREDENTIALS"),
    ({"api_key": "k"}, "live", "MISSING_CREDENTIALS"),
    ({"api_key": "k", "api_secret": "s"}, "sandbox", "UNKNOWN_ENVIRONMENT"),
    ({"api_key": "k", "api_secret": "s"}, "paper", "UNKNOWN_ENVIRONMENT"),
])
def test_construction_refuses_what_kite_cannot_be(credentials, environment, code):
    with pytest.raises(InvalidRequest) as refused:
        KiteAdapter(credentials, environment)
    assert refused.value.broker_code == code


def test_the_account_id_defaults_when_the_user_is_unknown(rsps, clock):
    KiteHarness().mock_account(rsps)
    credentials = {key: value for key, value in CREDENTIALS.items() if key != "user_id"}
    assert KiteAdapter(credentials, "live", options=offline_options(clock)).get_account().account_id == "kite"


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status, error_type, expected", [
    (403, "PermissionException", AuthError),
    (400, "InputException", InvalidRequest),
    (400, "OrderException", OrderRejected),
    (400, "MarginException", OrderRejected),
    (400, "HoldingException", OrderRejected),
    (502, "NetworkException", BrokerUnavailable),
    (503, "DataException", BrokerUnavailable),
    (429, "GeneralException", RateLimited),
    (500, "GeneralException", BrokerUnavailable),
    (403, "GeneralException", AuthError),
    (400, "GeneralException", InvalidRequest),
    (404, None, InvalidRequest),
])
def test_error_types_become_our_error_classes(status, error_type, expected):
    body = {"status": "error", "message": "Kite says no", "data": None, "error_type": error_type}
    error = mapping.parse_error(status, body, "")
    assert type(error) is expected
    assert error.message == "Kite says no" and error.broker_code == error_type
    assert getattr(error, "needs_login", False) is False  # only TokenException asks for a login


def test_an_error_envelope_inside_a_200_is_still_an_error(rsps, adapter):
    rsps.get(f"{BASE}/orders",
             json={"status": "error", "message": "Holdings missing", "error_type": "HoldingException"})
    with pytest.raises(OrderRejected, match="Holdings missing"):
        adapter.get_orders()


def test_an_order_lost_between_kite_and_its_oms_is_unknown(rsps, adapter):
    rsps.post(f"{BASE}/orders/regular", status=400,
              json={"status": "error", "message": "OMS timed out", "error_type": "NetworkException"})
    with pytest.raises(BrokerUnavailable) as unknown:
        adapter.place_order(KiteHarness().sample_request(), "pc1")
    assert unknown.value.outcome_unknown is True


def test_an_unreadable_order_answer_leaves_the_order_unknown(rsps, adapter):
    rsps.post(f"{BASE}/orders/regular", json=success({"unexpected": True}))
    with pytest.raises(BrokerUnavailable) as unknown:
        adapter.place_order(KiteHarness().sample_request(), "pc1")
    assert unknown.value.outcome_unknown is True


# --- orders -------------------------------------------------------------------------------------


def test_one_order_is_the_last_state_of_its_history(rsps, adapter):
    history = history_json("COMPLETE", quantity=5, filled=5)
    assert [state["status"] for state in history][0] == "PUT ORDER REQ RECEIVED"
    rsps.get(f"{BASE}/orders/{ORDER_ID}", match=[matchers.header_matcher(AUTH)], json=success(history))
    report = adapter.get_order(ORDER_ID)
    assert (report.status, report.filled_quantity, report.avg_fill_price) == (
        OrderStatus.FILLED, Decimal("5"), Decimal("109.4"))


@pytest.mark.parametrize("status, quantity, filled, expected", [
    ("OPEN", 5, 0, OrderStatus.SUBMITTED),
    ("OPEN", 5, 2, OrderStatus.PARTIALLY_FILLED),
    ("OPEN", 5, 5, OrderStatus.SUBMITTED),
    ("COMPLETE", 5, 5, OrderStatus.FILLED),
    ("CANCELLED", 5, 2, OrderStatus.CANCELLED),
    ("REJECTED", 5, 0, OrderStatus.REJECTED),
    ("TRIGGER PENDING", 5, 0, OrderStatus.SUBMITTED),
    ("AMO REQ RECEIVED", 5, 0, OrderStatus.SUBMITTED),
    ("MODIFIED", 5, 0, OrderStatus.SUBMITTED),
    ("CANCEL PENDING", 5, 2, OrderStatus.PENDING_CANCEL),
    ("SOME NEW INTERIM STATE", 5, 0, OrderStatus.SUBMITTED),
])
def test_kite_statuses_and_partial_fills(status, quantity, filled, expected):
    report = mapping.order_report(order_json(status=status, quantity=quantity, filled=filled))
    assert report.status == expected


def test_a_rejection_keeps_kite_s_reason():
    raw = order_json(status="REJECTED", filled=0, status_message="RMS:Margin Exceeds, Required:1412.95")
    assert mapping.order_report(raw).reject_reason == "RMS:Margin Exceeds, Required:1412.95"


def test_ist_timestamps_become_utc():
    report = mapping.order_report(order_json())
    assert report.created_at == datetime(2021, 5, 31, 9, 50, 28, tzinfo=timezone.utc)
    assert report.symbol == "NSE:IOC" and report.side == OrderSide.BUY and report.order_type == OrderType.LIMIT
    assert report.limit_price == Decimal("109.4") and report.stop_price is None
    assert mapping.order_report(order_json(order_timestamp=None)).created_at is None


@pytest.mark.parametrize("client_order_id, tag", [
    ("pc0123456789abcdef01", "pc0123456789abcdef01"),
    ("abc123", "abc123"),
    ("pc0123456789abcdef012", hashlib.sha256(b"pc0123456789abcdef012").hexdigest()[:20]),
    ("0b7c-4e1a-9f2d", hashlib.sha256(b"0b7c-4e1a-9f2d").hexdigest()[:20]),
])
def test_kite_tags_are_alphanumeric_and_at_most_twenty(client_order_id, tag):
    assert kite_tag(client_order_id) == tag
    assert len(tag) <= 20 and tag.isalnum()


def test_an_order_is_found_again_by_its_tag(rsps, adapter):
    long_id = "order-7f3e-9a1c-42d0-b1e5"
    rsps.get(f"{BASE}/orders", json=success([order_json("1"), order_json("2", tag=kite_tag(long_id))]))
    found = adapter.find_order_by_client_id(long_id)
    assert found is not None and found.broker_order_id == "2"


def request(symbol="NSE:INFY", **fields):
    return OrderRequest(symbol=symbol, side=OrderSide.BUY, quantity=Decimal("1"), **fields)


@pytest.mark.parametrize("order, expected", [
    (request(), {"order_type": "MARKET", "market_protection": "-1"}),
    (request(order_type=OrderType.LIMIT, limit_price=Decimal("1412.95")), {"order_type": "LIMIT", "price": "1412.95"}),
    (request(order_type=OrderType.STOP, stop_price=Decimal("1400")),
     {"order_type": "SL-M", "trigger_price": "1400", "market_protection": "-1"}),
    (request(order_type=OrderType.STOP_LIMIT, limit_price=Decimal("1401.5"), stop_price=Decimal("1400")),
     {"order_type": "SL", "price": "1401.5", "trigger_price": "1400"}),
])
def test_order_types_and_market_protection(order, expected):
    form = mapping.order_form(order, "pc1")
    priced = {key: form[key] for key in ("order_type", "price", "trigger_price", "market_protection") if key in form}
    assert priced == expected


def test_a_market_order_on_the_wire_carries_market_protection(rsps, adapter):
    rsps.post(f"{BASE}/orders/regular", json=success({"order_id": ORDER_ID}))
    adapter.place_order(request(), "pc1")
    assert form_of(rsps.calls[0])["market_protection"] == "-1"


@pytest.mark.parametrize("symbol, product, expected", [
    ("NSE:INFY", None, "CNC"),
    ("BSE:INFY", None, "CNC"),
    ("NFO:NIFTY2580724400CE", None, "NRML"),
    ("BFO:SENSEX2580780000PE", None, "NRML"),
    ("NSE:INFY", "MIS", "MIS"),
    ("NFO:NIFTY2580724400CE", "mis", "MIS"),
])
def test_the_product_defaults_by_exchange(symbol, product, expected):
    assert mapping.order_form(request(symbol=symbol, product=product), "pc1")["product"] == expected


def test_a_product_kite_orders_do_not_take_is_refused_not_swapped():
    with pytest.raises(InvalidRequest) as refused:
        mapping.order_form(request(symbol="NSE:INFY", product="MTF"), "pc1")
    assert refused.value.broker_code == "UNKNOWN_PRODUCT"


@pytest.mark.parametrize("order, code", [
    (OrderRequest(symbol="NSE:INFY", side=OrderSide.BUY, quantity=Decimal("1.5")), "FRACTIONAL_NOT_ALLOWED"),
    (OrderRequest(symbol="NSE:INFY", side=OrderSide.BUY, quantity=Decimal("0")), "FRACTIONAL_NOT_ALLOWED"),
    (request(time_in_force=TimeInForce.GTC), "UNSUPPORTED_TIME_IN_FORCE"),
    (request(symbol="MCX:GOLDM25AUGFUT"), "UNSUPPORTED_EXCHANGE"),
    (request(symbol="INFY"), "BAD_SYMBOL"),
    (request(order_type=OrderType.LIMIT), "MISSING_PRICE"),
])
def test_what_kite_cannot_take_is_refused_before_a_call(rsps, adapter, order, code):
    with pytest.raises(InvalidRequest) as refused:
        adapter.place_order(order, "pc1")
    assert refused.value.broker_code == code
    assert len(rsps.calls) == 0


def test_cancel_uses_the_variety_the_order_was_placed_as(rsps, adapter):
    history = [dict(state, variety="amo") for state in history_json("AMO REQ RECEIVED", filled=0)]
    rsps.get(f"{BASE}/orders/{ORDER_ID}", json=success(history))
    rsps.delete(f"{BASE}/orders/amo/{ORDER_ID}", match=[matchers.header_matcher(AUTH)],
                json=success({"order_id": ORDER_ID}))
    assert adapter.cancel_order(ORDER_ID) is None


def test_an_order_id_that_is_not_one_never_reaches_a_url(rsps, adapter):
    with pytest.raises(InvalidRequest):
        adapter.get_order("../user/margins")
    assert len(rsps.calls) == 0


# --- positions and quotes ----------------------------------------------------------------------


def test_holdings_and_today_s_trades_add_up_per_symbol(rsps, adapter):
    rsps.get(f"{BASE}/portfolio/positions", json=success({"net": [
        net_position_json("NSE", "INFY", -5, "1410", "1412.95", product="CNC"),  # sold out of holdings today
        net_position_json("NSE", "SBIN", 10, "820", "822.1", product="MIS"),
    ], "day": []}))
    rsps.get(f"{BASE}/portfolio/holdings", json=success([
        holding_json("NSE", "INFY", 5, 0, "1400.25", "1412.95"),
        holding_json("NSE", "SBIN", 0, 10, "810", "822.1"),
        holding_json("BSE", "WIPRO", 0, 0, "549.6", "550.85"),
    ]))
    positions = {p.symbol: p for p in adapter.get_positions()}
    assert set(positions) == {"NSE:SBIN"}
    assert positions["NSE:SBIN"].quantity == Decimal("20")
    assert positions["NSE:SBIN"].avg_price == Decimal("815")


def test_quotes_repeat_the_i_parameter(rsps, adapter):
    index = {k: v for k, v in quote_json().items() if k != "depth"}  # indices have no market depth
    rsps.get(f"{BASE}/quote", match=[matchers.header_matcher(AUTH)],
             json=success({"NSE:INFY": quote_json(), "BSE:SENSEX": index}))
    quotes = adapter.get_quotes(["NSE:INFY", "BSE:SENSEX", "NSE:NOSUCHTHING"])
    query = urlsplit(rsps.calls[0].request.url).query
    assert query == "i=NSE%3AINFY&i=BSE%3ASENSEX&i=NSE%3ANOSUCHTHING"
    assert set(quotes) == {"NSE:INFY", "BSE:SENSEX"}
    assert (quotes["NSE:INFY"].bid, quotes["NSE:INFY"].ask) == (None, Decimal("1412.95"))
    assert (quotes["BSE:SENSEX"].bid, quotes["BSE:SENSEX"].ask, quotes["BSE:SENSEX"].last) == (
        None, None, Decimal("1412.95"))


def test_quotes_for_other_exchanges_are_refused_before_a_call(rsps, adapter):
    with pytest.raises(InvalidRequest):
        adapter.get_quotes(["NSE:INFY", "MCX:CRUDEOIL25AUGFUT"])
    assert len(rsps.calls) == 0


def test_quotes_keep_to_one_call_a_second(rsps, clock):
    options = offline_options(clock)
    options.limiter = BrokerRateLimiter(storage=MemoryStorage(), sleep=clock.sleep, max_wait=0)
    adapter = KiteAdapter(CREDENTIALS, "live", options=options)
    rsps.get(f"{BASE}/quote", json=success({}))
    adapter.get_quotes(["NSE:INFY"])
    with pytest.raises(RateLimited):
        adapter.get_quotes(["NSE:INFY"])
    assert len(rsps.calls) == 1
