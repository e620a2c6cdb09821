"""The shared transport's parts on their own: Retry-After, redaction, breaker, limiter, call stats."""
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from limits.storage import MemoryStorage

from app.brokers.base import InvalidRequest, RateLimited
from app.brokers.circuit import BreakerRegistry, CircuitBreaker, CircuitOpen
from app.brokers.http import BrokerRateLimiter, Redactor, _retry_after_seconds, credential_fingerprint
from app.brokers.metrics import CallStats
from app.brokers.registry import BrokerDependencies, build_broker, other_environment
from app.domain.broker_types import CallRecord
from tests.brokers.harness import FakeClock


@pytest.mark.parametrize(("header", "expected"), [("3", 3.0), ("0", 0.0), ("1.5", 1.5), (None, None), ("soon", None)])
def test_retry_after_in_seconds(header, expected):
    assert _retry_after_seconds(header) == expected


def test_retry_after_as_an_http_date():
    later = datetime.now(timezone.utc) + timedelta(seconds=30)
    assert 25 <= _retry_after_seconds(format_datetime(later, usegmt=True)) <= 30


def test_redactor_replaces_every_secret_longest_first():
    redact = Redactor(["abcd1234", "abcd1234efgh", None, "xy"])
    assert redact("token abcd1234efgh and abcd1234") == "token [REDACTED] and [REDACTED]"
    assert redact("xy is too short to be a secret") == "xy is too short to be a secret"


def test_credential_fingerprint_is_stable_and_reveals_nothing():
    assert credential_fingerprint("secret-key") == credential_fingerprint("secret-key")
    assert "secret" not in credential_fingerprint("secret-key") and len(credential_fingerprint("a")) == 16


def test_breaker_lets_exactly_one_trial_through_after_the_cool_down():
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, cooldown_seconds=30, clock=clock)
    breaker.record_failure()
    breaker.before_call()  # one failure: still closed
    breaker.record_failure()
    with pytest.raises(CircuitOpen):
        breaker.before_call()
    clock.now += 30
    assert breaker.state().state == "half_open"
    breaker.before_call()  # the trial
    with pytest.raises(CircuitOpen):
        breaker.before_call()  # a second caller waits for the trial's outcome
    breaker.record_failure()  # the trial failed: open again for a full cool-down
    clock.now += 29
    with pytest.raises(CircuitOpen):
        breaker.before_call()
    clock.now += 1
    breaker.before_call()
    breaker.record_success()
    assert breaker.state().state == "closed" and breaker.state().consecutive_failures == 0


def test_breaker_registry_gives_one_breaker_per_connection():
    registry = BreakerRegistry(failure_threshold=1)
    assert registry.for_key(1) is registry.for_key(1)
    assert registry.for_key(1) is not registry.for_key(2)


def test_limiter_waits_a_short_gap_and_refuses_a_long_one():
    clock = FakeClock()
    waits = []
    limiter = BrokerRateLimiter(storage=MemoryStorage(), max_wait=0.0, sleep=waits.append)
    limiter.acquire("alpaca:abc:trading", ["2/minute"])
    limiter.acquire("alpaca:abc:trading", ["2/minute"])
    with pytest.raises(RateLimited) as limited:
        limiter.acquire("alpaca:abc:trading", ["2/minute"])
    assert 0 < limited.value.retry_after <= 60
    limiter.acquire("alpaca:other-credential:trading", ["2/minute"])  # another credential has its own budget
    assert clock.sleeps == []


def test_call_stats_summarise_latency_and_errors():
    stats = CallStats(window=10)
    for latency, outcome in [(10, "ok"), (20, "ok"), (30, "error"), (400, "ok")]:
        stats.record(CallRecord("alpaca", "account", "GET", 200, latency, outcome))
    summary = stats.summary()["alpaca"]
    assert summary["calls"] == 4 and summary["error_rate"] == 0.25
    assert summary["p50_ms"] in (20, 30) and summary["p99_ms"] == 400


@pytest.mark.parametrize(
    ("broker", "environment", "code"),
    [("alpaca", "sandbox", "UNKNOWN_ENVIRONMENT"), ("zerodha", "paper", "UNKNOWN_ENVIRONMENT"),
     ("robinhood", "live", "UNKNOWN_BROKER"), ("paper", "paper", None)],
)
def test_registry_refuses_pairings_that_do_not_exist(broker, environment, code):
    with pytest.raises(InvalidRequest) as refused:
        build_broker(broker, environment, {}, BrokerDependencies())
    if code:
        assert refused.value.broker_code == code
    else:
        assert "needs a store" in refused.value.message


def test_other_environment():
    assert other_environment("alpaca", "paper") == "live"
    assert other_environment("tradier", "production") == "sandbox"
    assert other_environment("zerodha", "live") is None
