"""What the contract suite needs from each broker's fixtures.

A harness builds its adapter offline and, for each operation, registers on a
`responses` mock the exact request the broker expects (method, URL, query,
headers, body and its encoding) answered with a payload written from the
broker's documented format. A request that differs on the wire matches nothing
and the test fails. It returns what the adapter must make of that payload.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from limits.storage import MemoryStorage

from app.brokers.base import Broker
from app.brokers.circuit import CircuitBreaker
from app.brokers.http import BrokerRateLimiter, HttpOptions
from app.domain.broker_types import AccountSnapshot, BrokerPosition, OrderAck, Quote
from app.domain.enums import OrderStatus
from app.domain.orders import OrderRequest

OPERATIONS = ("account", "positions", "orders", "order", "place", "cancel", "quotes")


@dataclass
class FakeClock:
    now: float = 1_800_000_000.0
    sleeps: list = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def offline_options(clock: FakeClock, recorder=None, breaker: CircuitBreaker | None = None) -> HttpOptions:
    """Transport settings for tests: no real sleeping, fresh rate-limit counters, a recording breaker."""
    return HttpOptions(
        limiter=BrokerRateLimiter(storage=MemoryStorage(), sleep=clock.sleep),
        breaker=breaker,
        recorder=recorder or (lambda call: None),
        sleep=clock.sleep,
    )


class BrokerHarness:
    """Base for one broker's fixtures; see the module docstring."""

    name: str
    uses_http = True
    secret: str  # a credential value that must never appear in an error or a log line

    def build(self, options: HttpOptions) -> Broker:
        raise NotImplementedError

    def sample_request(self) -> OrderRequest:
        raise NotImplementedError

    def endpoint(self, operation: str) -> tuple[str, str]:
        """(method, url) of the first HTTP call an operation makes, for injecting failures."""
        raise NotImplementedError

    def call(self, adapter: Broker, operation: str):
        request = self.sample_request()
        return {
            "account": lambda: adapter.get_account(),
            "positions": lambda: adapter.get_positions(),
            "orders": lambda: adapter.get_orders(),
            "order": lambda: adapter.get_order(self.known_order_id),
            "place": lambda: adapter.place_order(request, "pc0123456789abcdef01"),
            "cancel": lambda: adapter.cancel_order(self.known_order_id),
            "quotes": lambda: adapter.get_quotes(self.quote_symbols(1)),
        }[operation]()

    known_order_id: str

    def quote_symbols(self, count: int) -> list[str]:
        raise NotImplementedError

    # Each mock_* registers the exact expected request(s) and returns the expected result.
    def mock_account(self, rsps) -> AccountSnapshot:
        raise NotImplementedError

    def mock_positions(self, rsps, count: int) -> list[BrokerPosition]:
        raise NotImplementedError

    def mock_orders(self, rsps, count: int) -> list[tuple[str, OrderStatus]]:
        raise NotImplementedError

    def mock_order(self, rsps) -> tuple[OrderStatus, Decimal]:
        """Registers one known order; returns its status and filled quantity."""
        raise NotImplementedError

    def mock_place(self, rsps, request: OrderRequest, client_order_id: str) -> OrderAck:
        raise NotImplementedError

    def mock_place_rejected(self, rsps, request: OrderRequest, client_order_id: str) -> None:
        """The broker refuses the order for its own reasons (funds, holdings)."""
        raise NotImplementedError

    def mock_cancel(self, rsps, broker_order_id: str) -> None:
        raise NotImplementedError

    def mock_quotes(self, rsps, symbols: list[str], answered: int) -> dict[str, Quote]:
        """Registers a quote call for `symbols` where the broker knows only the first `answered`."""
        raise NotImplementedError

    def mock_auth_failure(self, rsps, operation: str) -> None:
        """The broker's own answer to bad or expired credentials on this operation."""
        raise NotImplementedError
