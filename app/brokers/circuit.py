"""A circuit breaker per connection: after repeated failures, fail fast until a cool-down passes."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


@dataclass(frozen=True)
class BreakerState:
    state: str
    consecutive_failures: int
    retry_at: float | None  # wall-clock epoch seconds when an open breaker lets one call through


class CircuitOpen(Exception):
    """Raised by `before_call` while the breaker is open."""

    def __init__(self, retry_at: float):
        super().__init__("circuit open")
        self.retry_at = retry_at


class CircuitBreaker:
    """Counts consecutive failures; opens at the threshold; lets one trial call through after the cool-down."""

    def __init__(self, failure_threshold: int = 5, cooldown_seconds: float = 60.0, clock: Callable[[], float] = time.time):
        self.failure_threshold = failure_threshold
        self.cooldown_seconds = cooldown_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    def before_call(self) -> None:
        with self._lock:
            if self._opened_at is None:
                return
            retry_at = self._opened_at + self.cooldown_seconds
            if self._clock() < retry_at or self._trial_in_flight:
                raise CircuitOpen(retry_at)
            self._trial_in_flight = True  # half-open: exactly one call may test the broker

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_in_flight = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._trial_in_flight = False
            if self._opened_at is not None or self._failures >= self.failure_threshold:
                self._opened_at = self._clock()

    def state(self) -> BreakerState:
        with self._lock:
            if self._opened_at is None:
                return BreakerState(CLOSED, self._failures, None)
            retry_at = self._opened_at + self.cooldown_seconds
            state = HALF_OPEN if self._clock() >= retry_at else OPEN
            return BreakerState(state, self._failures, retry_at)


class BreakerRegistry:
    """One breaker per key (a connection id), shared by every adapter built in this process."""

    def __init__(self, **breaker_options):
        self._options = breaker_options
        self._breakers: dict[object, CircuitBreaker] = {}
        self._lock = threading.Lock()

    def for_key(self, key: object) -> CircuitBreaker:
        with self._lock:
            if key not in self._breakers:
                self._breakers[key] = CircuitBreaker(**self._options)
            return self._breakers[key]
