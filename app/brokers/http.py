"""The one HTTP client every adapter uses: timeouts, safe retries, rate limits, redaction, a circuit breaker.

Retries are decided per call rather than by a transport-wide policy, because
whether a retry is safe depends on what the call does: a read can be repeated,
an order placement that may have reached the broker must never be.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import limits
import requests
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from urllib3.exceptions import NameResolutionError, NewConnectionError

from app.brokers.base import BrokerError, BrokerUnavailable, MalformedResponse, RateLimited
from app.brokers.circuit import CircuitBreaker, CircuitOpen
from app.brokers.metrics import call_stats
from app.domain.broker_types import CallRecord

log = logging.getLogger(__name__)

REDACTED = "[REDACTED]"
SAFE_METHODS = frozenset({"GET", "HEAD"})
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
ErrorParser = Callable[[int, Any, str], BrokerError]


def credential_fingerprint(*parts: str) -> str:
    """A stable, irreversible name for a credential, used to key rate limits per credential."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


class Redactor:
    """Replaces every known secret in a piece of text."""

    def __init__(self, secrets: Iterable[str | None]):
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


class BrokerRateLimiter:
    """Keeps calls within a broker's published limits, per credential and per bucket.

    Counters live in `storage_uri` (Redis in production, so web workers and the
    scheduler share one budget). A call that would exceed a limit waits when the
    wait is short and is refused with RateLimited, without a network call, when not.
    """

    _storages: dict[str, object] = {}
    _storages_lock = threading.Lock()

    def __init__(self, storage_uri: str = "memory://", *, storage=None, max_wait: float = 2.0,
                 sleep=time.sleep, clock=time.time):
        if storage is None:
            with self._storages_lock:
                if storage_uri not in self._storages:
                    self._storages[storage_uri] = storage_from_string(storage_uri)
                storage = self._storages[storage_uri]
        self._limiter = MovingWindowRateLimiter(storage)
        self._max_wait = max_wait
        self._sleep = sleep
        self._clock = clock

    def acquire(self, scope: str, rules: Iterable[str]) -> None:
        for rule in rules:
            item = limits.parse(rule)
            if self._limiter.hit(item, scope):
                continue
            wait = max(0.0, self._limiter.get_window_stats(item, scope).reset_time - self._clock())
            if wait <= self._max_wait:
                self._sleep(wait)
                if self._limiter.hit(item, scope):
                    continue
            raise RateLimited(f"holding to the broker's limit of {rule}", retry_after=round(wait, 3))


@dataclass(frozen=True)
class RateBucket:
    """A group of endpoints sharing one published limit, such as Alpaca's 200 trading calls a minute."""

    name: str
    rules: tuple[str, ...]


@dataclass
class HttpOptions:
    """Per-connection transport settings, built by the registry."""

    timeout: tuple[float, float] = (3.05, 10.0)
    proxy_url: str | None = None
    max_attempts: int = 3
    backoff_seconds: float = 0.5
    max_retry_after: float = 5.0
    limiter: BrokerRateLimiter | None = None
    breaker: CircuitBreaker | None = None
    recorder: Callable[[CallRecord], None] | None = None
    sleep: Callable[[float], None] = time.sleep


class BrokerHttp:
    """One broker credential's HTTP session."""

    def __init__(
        self,
        *,
        broker: str,
        base_url: str,
        error_parser: ErrorParser,
        credential_id: str,
        secrets: Iterable[str | None] = (),
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        options: HttpOptions | None = None,
    ):
        self.broker = broker
        self.base_url = base_url.rstrip("/")
        self._parse_error = error_parser
        self._scope = f"{broker}:{credential_id}"
        self._redact = Redactor(secrets)
        self._options = options or HttpOptions()
        self._limiter = self._options.limiter or BrokerRateLimiter()
        self._recorder = self._options.recorder or call_stats.record
        self.session = requests.Session()
        self.session.headers.update(headers or {})
        self.session.auth = auth
        # Broker calls never follow redirects: a redirect would carry auth headers to another host.
        self.session.max_redirects = 0
        if self._options.proxy_url:
            self.session.proxies = {"https": self._options.proxy_url, "http": self._options.proxy_url}
            self.session.trust_env = False

    def request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        bucket: RateBucket | None = None,
        params: Any = None,
        data: Any = None,
        json: Any = None,
        safe: bool | None = None,
    ) -> Any:
        """Send one call and return its decoded JSON (None for an empty body).

        `safe` says whether repeating the call is harmless; by default only GET is.
        """
        method = method.upper()
        safe = method in SAFE_METHODS if safe is None else safe
        breaker = self._options.breaker
        started = time.perf_counter()
        status_code = None
        try:
            if breaker is not None:
                breaker.before_call()
            if bucket is not None:
                self._limiter.acquire(f"{self._scope}:{bucket.name}", bucket.rules)
            response = self._send_with_retries(method, path, safe, params=params, data=data, json=json)
            status_code = response.status_code
            body = self._decode(response, operation)
        except CircuitOpen as opened:
            self._record(operation, method, None, started, "circuit_open")
            raise BrokerUnavailable(
                f"{self.broker} is failing; calls are paused until the cool-down ends",
                broker_code="CIRCUIT_OPEN",
            ) from opened
        except BrokerUnavailable:
            if breaker is not None:
                breaker.record_failure()
            self._record(operation, method, status_code, started, "error")
            raise
        except RateLimited:
            self._record(operation, method, status_code, started, "rate_limited")
            raise
        except BrokerError:
            if breaker is not None:
                breaker.record_success()  # the broker answered: it is up, whatever it said
            self._record(operation, method, status_code, started, "error")
            raise
        if breaker is not None:
            breaker.record_success()
        self._record(operation, method, status_code, started, "ok")
        return body

    def _send_with_retries(self, method: str, path: str, safe: bool, **payload) -> requests.Response:
        url = f"{self.base_url}{path}"
        attempt = 0
        while True:
            attempt += 1
            last_attempt = attempt >= self._options.max_attempts
            try:
                response = self.session.request(
                    method, url, timeout=self._options.timeout, allow_redirects=False, **payload
                )
            except requests.RequestException as error:
                not_sent = _never_reached_broker(error)
                if (safe or not_sent) and not last_attempt:
                    self._backoff(attempt)
                    continue
                raise BrokerUnavailable(
                    self._redact(f"{self.broker} did not answer {method} {path}: {type(error).__name__}"),
                    outcome_unknown=not (safe or not_sent),
                ) from None
            if response.status_code == 429:
                retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
                # A 429 means the broker did not act on the request, so even an order may be sent again.
                if not last_attempt and (retry_after or 0) <= self._options.max_retry_after:
                    self._options.sleep(retry_after if retry_after is not None else self._backoff_delay(attempt))
                    continue
                raise RateLimited(
                    self._redact(f"{self.broker} rate limit reached: {_short_text(response)}"),
                    retry_after=retry_after,
                    status_code=429,
                )
            if response.status_code in RETRYABLE_STATUSES:
                if safe and not last_attempt:
                    self._backoff(attempt)
                    continue
                parsed = self._parse_error(response.status_code, _json_or_none(response), response.text)
                raise BrokerUnavailable(
                    self._redact(f"{self.broker} failed on its side ({response.status_code}): {parsed.message}"),
                    status_code=response.status_code,
                    broker_code=parsed.broker_code,
                    outcome_unknown=not safe,
                )
            if response.status_code >= 400:
                error = self._parse_error(response.status_code, _json_or_none(response), response.text)
                error.message = self._redact(error.message)
                error.args = (error.message,)
                error.status_code = error.status_code or response.status_code
                raise error
            return response

    def _decode(self, response: requests.Response, operation: str) -> Any:
        if response.status_code == 204 or not response.content.strip():
            return None
        try:
            # Prices never pass through a float: JSON numbers become exact Decimals here.
            return response.json(parse_float=Decimal)
        except ValueError:
            raise MalformedResponse(
                self._redact(f"{self.broker} answered {operation} with something that is not JSON: {_short_text(response)}"),
                status_code=response.status_code,
            ) from None

    def _backoff_delay(self, attempt: int) -> float:
        return self._options.backoff_seconds * (2 ** (attempt - 1))

    def _backoff(self, attempt: int) -> None:
        self._options.sleep(self._backoff_delay(attempt))

    def _record(self, operation: str, method: str, status_code: int | None, started: float, outcome: str) -> None:
        latency_ms = (time.perf_counter() - started) * 1000
        self._recorder(
            CallRecord(self.broker, operation, method, status_code, latency_ms, outcome, datetime.now(timezone.utc))
        )
        log.info(
            "broker call %s %s %s -> %s in %.1f ms (%s)",
            self.broker, method, operation, status_code, latency_ms, outcome,
        )


def _never_reached_broker(error: requests.RequestException) -> bool:
    """True when the request cannot have been delivered: no connection was ever made."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = error.args[0] if error.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, (NewConnectionError, NameResolutionError))


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json(parse_float=Decimal)
    except ValueError:
        return None


def _short_text(response: requests.Response, limit: int = 300) -> str:
    return " ".join(response.text.split())[:limit] or f"HTTP {response.status_code}"
