"""One contract, every adapter: the same tests run over each broker's documented payloads."""
from __future__ import annotations

import logging
from decimal import Decimal

import pytest
import requests

from app.brokers.base import (
    AuthError,
    BrokerError,
    BrokerUnavailable,
    InvalidRequest,
    MalformedResponse,
    OrderRejected,
    RateLimited,
)
from app.brokers.circuit import CircuitBreaker
from app.domain.broker_types import AccountSnapshot, BrokerPosition, OrderAck, OrderReport
from tests.brokers.harness import OPERATIONS, offline_options
from tests.brokers.registry_of_harnesses import ALL_HARNESSES, HTTP_HARNESSES

READ_OPERATIONS = ("account", "positions", "orders", "order")


@pytest.fixture(params=ALL_HARNESSES, ids=lambda h: h.name)
def harness(request):
    return request.param()


@pytest.fixture(params=HTTP_HARNESSES, ids=lambda h: h.name)
def http_harness(request):
    return request.param()


def build(harness, clock, **options):
    return harness.build(offline_options(clock, **options))


class _Unlimited:
    """A limiter that never refuses."""

    def acquire(self, scope, rules):
        return None


def _http_calls(rsps):
    return [(call.request.method, call.request.url.split("?")[0]) for call in rsps.calls]


# --- every method, on the documented payloads -------------------------------------------------


def test_get_account(harness, clock, rsps):
    expected = harness.mock_account(rsps)
    account = build(harness, clock).get_account()
    assert isinstance(account, AccountSnapshot)
    assert account == expected
    assert all(isinstance(v, Decimal) for v in (account.cash, account.buying_power, account.equity))


@pytest.mark.parametrize("count", [0, 1, 3], ids=["empty", "single", "many"])
def test_get_positions(harness, clock, rsps, count):
    expected = harness.mock_positions(rsps, count)
    positions = build(harness, clock).get_positions()
    assert all(isinstance(p, BrokerPosition) for p in positions)
    assert sorted(positions, key=lambda p: p.symbol) == sorted(expected, key=lambda p: p.symbol)


@pytest.mark.parametrize("count", [0, 1, 3], ids=["empty", "single", "many"])
def test_get_orders(harness, clock, rsps, count):
    expected = harness.mock_orders(rsps, count)
    orders = build(harness, clock).get_orders()
    assert all(isinstance(o, OrderReport) for o in orders)
    assert sorted((o.broker_order_id, o.status) for o in orders) == sorted(expected)


def test_get_order(harness, clock, rsps):
    status, filled = harness.mock_order(rsps)
    report = build(harness, clock).get_order(harness.known_order_id)
    assert report.broker_order_id == harness.known_order_id
    assert (report.status, report.filled_quantity) == (status, filled)


def test_place_order(harness, clock, rsps):
    request = harness.sample_request()
    expected = harness.mock_place(rsps, request, "pc0123456789abcdef01")
    ack = build(harness, clock).place_order(request, "pc0123456789abcdef01")
    assert isinstance(ack, OrderAck)
    assert ack == expected


def test_place_order_refused_by_the_broker(harness, clock, rsps):
    request = harness.sample_request()
    harness.mock_place_rejected(rsps, request, "pc0123456789abcdef01")
    with pytest.raises(OrderRejected) as refused:
        build(harness, clock).place_order(request, "pc0123456789abcdef01")
    assert refused.value.message  # the broker's own reason is kept


def test_cancel_order(harness, clock, rsps):
    harness.mock_cancel(rsps, harness.known_order_id)
    assert build(harness, clock).cancel_order(harness.known_order_id) is None


@pytest.mark.parametrize("answered", [0, 1, 3], ids=["none-known", "single", "many"])
def test_get_quotes(harness, clock, rsps, answered):
    adapter = build(harness, clock)
    symbols = harness.quote_symbols(3)
    if not adapter.capabilities.has_quotes:
        with pytest.raises(InvalidRequest):
            adapter.get_quotes(symbols)
        assert len(rsps.calls) == 0
        return
    expected = harness.mock_quotes(rsps, symbols, answered)
    quotes = adapter.get_quotes(symbols)
    assert quotes == expected
    assert all(q.as_of.tzinfo is not None for q in quotes.values())


def test_quote_batches_never_exceed_the_declared_size(harness, clock, rsps):
    adapter = build(harness, clock)
    if not adapter.capabilities.has_quotes:
        pytest.skip(f"{harness.name} has no quotes")
    too_many = [f"S{n}" for n in range(adapter.capabilities.quote_batch_size + 1)]
    with pytest.raises(InvalidRequest):
        adapter.get_quotes(too_many)
    assert len(rsps.calls) == 0


def test_no_quotes_asked_means_no_call(harness, clock, rsps):
    assert build(harness, clock).get_quotes([]) == {}
    assert len(rsps.calls) == 0


# --- every error class --------------------------------------------------------------------------


@pytest.mark.parametrize("operation", OPERATIONS)
def test_refused_credentials_are_an_auth_error(http_harness, clock, rsps, operation):
    adapter = build(http_harness, clock)
    if operation == "quotes" and not adapter.capabilities.has_quotes:
        pytest.skip("no quotes to refuse")
    http_harness.mock_auth_failure(rsps, operation)
    with pytest.raises(AuthError) as refused:
        http_harness.call(adapter, operation)
    assert http_harness.secret not in str(refused.value)


def test_429_with_a_short_retry_after_is_waited_out(http_harness, clock, rsps):
    method, url = http_harness.endpoint("account")
    rsps.add(method, url, status=429, headers={"Retry-After": "2"}, body="Too many requests")
    http_harness.mock_account(rsps)
    assert build(http_harness, clock).get_account()
    assert clock.sleeps == [2.0]


def test_429_with_a_long_retry_after_is_raised_not_slept(http_harness, clock, rsps):
    method, url = http_harness.endpoint("account")
    rsps.add(method, url, status=429, headers={"Retry-After": "120"}, body="Too many requests")
    with pytest.raises(RateLimited) as limited:
        build(http_harness, clock).get_account()
    assert limited.value.retry_after == 120
    assert clock.sleeps == [] and len(rsps.calls) == 1


def test_a_read_is_retried_after_a_server_error(http_harness, clock, rsps):
    method, url = http_harness.endpoint("account")
    rsps.add(method, url, status=502, body="Bad gateway")
    expected = http_harness.mock_account(rsps)
    assert build(http_harness, clock).get_account() == expected
    assert len(rsps.calls) == 2


def test_a_read_that_keeps_failing_is_broker_unavailable(http_harness, clock, rsps):
    method, url = http_harness.endpoint("positions")
    rsps.add(method, url, status=503, body="Service unavailable")
    with pytest.raises(BrokerUnavailable) as down:
        build(http_harness, clock).get_positions()
    assert down.value.outcome_unknown is False
    assert len(rsps.calls) == 3


def test_an_order_is_never_resent_after_a_server_error(http_harness, clock, rsps):
    method, url = http_harness.endpoint("place")
    rsps.add(method, url, status=500, body="Internal error")
    with pytest.raises(BrokerUnavailable) as unknown:
        http_harness.call(build(http_harness, clock), "place")
    assert unknown.value.outcome_unknown is True
    assert _http_calls(rsps).count((method, url)) == 1


def test_an_order_is_never_resent_after_a_timeout(http_harness, clock, rsps):
    method, url = http_harness.endpoint("place")
    rsps.add(method, url, body=requests.ReadTimeout("read timed out"))
    with pytest.raises(BrokerUnavailable) as unknown:
        http_harness.call(build(http_harness, clock), "place")
    assert unknown.value.outcome_unknown is True
    assert _http_calls(rsps).count((method, url)) == 1


def test_an_order_refused_for_rate_is_sent_again_after_the_wait(http_harness, clock, rsps):
    request = http_harness.sample_request()
    method, url = http_harness.endpoint("place")
    rsps.add(method, url, status=429, headers={"Retry-After": "1"}, body="Too many requests")
    expected = http_harness.mock_place(rsps, request, "pc0123456789abcdef01")
    assert build(http_harness, clock).place_order(request, "pc0123456789abcdef01") == expected


def test_a_read_timeout_is_retried_then_reported(http_harness, clock, rsps):
    method, url = http_harness.endpoint("account")
    rsps.add(method, url, body=requests.ReadTimeout("read timed out"))
    with pytest.raises(BrokerUnavailable) as down:
        build(http_harness, clock).get_account()
    assert down.value.outcome_unknown is False
    assert len(rsps.calls) == 3
    assert clock.sleeps == [0.5, 1.0]


@pytest.mark.parametrize("operation", READ_OPERATIONS + ("quotes",))
@pytest.mark.parametrize(
    "body",
    ["<html>502 Bad Gateway</html>", '{"truncat', "null", "[]", "{}", '[{"unexpected": 1}]',
     '{"unexpected": {"deeper": [1, 2]}}', '"a string"', "12345"],
    ids=["html", "truncated", "null", "empty-list", "empty-object", "list-of-junk", "object-of-junk",
         "string", "number"],
)
def test_malformed_answers_are_broker_errors_never_crashes(http_harness, clock, rsps, operation, body):
    adapter = build(http_harness, clock)
    if operation == "quotes" and not adapter.capabilities.has_quotes:
        pytest.skip("no quotes")
    method, url = http_harness.endpoint(operation)
    rsps.add(method, url, body=body, content_type="application/json")
    try:
        http_harness.call(adapter, operation)
    except BrokerError:
        pass  # MalformedResponse, or the broker's error class where the body reads as one
    # Anything else (KeyError, TypeError, AttributeError...) fails the test by propagating.


@pytest.mark.parametrize("operation", ("account", "order"))
def test_truncated_json_is_a_malformed_response(http_harness, clock, rsps, operation):
    method, url = http_harness.endpoint(operation)
    rsps.add(method, url, body='{"data": {"acc', content_type="application/json")
    with pytest.raises(MalformedResponse):
        http_harness.call(build(http_harness, clock), operation)


# --- the shared transport: breaker, limiter, redaction, recording ------------------------------


def test_the_circuit_opens_after_repeated_failures_and_fails_fast(http_harness, clock, rsps):
    method, url = http_harness.endpoint("account")
    rsps.add(method, url, status=503, body="down")
    breaker = CircuitBreaker(failure_threshold=2, cooldown_seconds=60, clock=clock)
    options = offline_options(clock, breaker=breaker)
    # This test is about the breaker: a slow per-endpoint limit (Trading 212: 1 per 5 s) must not interfere.
    options.limiter = _Unlimited()
    adapter = http_harness.build(options)
    for _ in range(2):
        with pytest.raises(BrokerUnavailable):
            adapter.get_account()
    calls_before = len(rsps.calls)
    with pytest.raises(BrokerUnavailable) as fast:
        adapter.get_account()
    assert fast.value.broker_code == "CIRCUIT_OPEN"
    assert len(rsps.calls) == calls_before  # no network call while open
    assert breaker.state().state == "open"

    clock.now += 61
    rsps.replace(method, url, status=200)
    rsps.reset()
    http_harness.mock_account(rsps)
    adapter.get_account()
    assert breaker.state().state == "closed"


def test_our_limiter_refuses_without_a_network_call(http_harness, clock, rsps):
    from app.brokers.http import BrokerRateLimiter
    from limits.storage import MemoryStorage

    options = offline_options(clock)
    options.limiter = BrokerRateLimiter(storage=MemoryStorage(), sleep=clock.sleep, max_wait=0)
    adapter = http_harness.build(options)
    http_harness.mock_account(rsps)
    with pytest.raises(RateLimited):
        for _ in range(10_001):
            adapter.get_account()
    calls = len(rsps.calls)
    assert calls >= 1
    with pytest.raises(RateLimited):
        adapter.get_account()
    assert len(rsps.calls) == calls


def test_secrets_never_reach_errors_or_logs(http_harness, clock, rsps, caplog):
    method, url = http_harness.endpoint("account")
    rsps.add(method, url, status=400, json={"message": f"bad key {http_harness.secret}",
                                            "errors": {"error": f"bad key {http_harness.secret}"},
                                            "status": "error", "error_type": "InputException",
                                            "code": "BadRequest", "clarification": f"bad {http_harness.secret}"})
    caplog.set_level(logging.DEBUG)
    with pytest.raises(BrokerError) as failed:
        build(http_harness, clock).get_account()
    assert http_harness.secret not in str(failed.value) and http_harness.secret not in failed.value.message
    assert http_harness.secret not in caplog.text


def test_every_call_is_recorded_with_its_outcome(http_harness, clock, rsps):
    records = []
    http_harness.mock_account(rsps)
    build(http_harness, clock, recorder=records.append).get_account()
    assert records and records[-1].outcome == "ok" and records[-1].broker == http_harness.name
    assert records[-1].latency_ms >= 0
