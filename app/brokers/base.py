"""The contract every broker adapter fulfils, and the errors it may raise."""
from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date

from app.domain.broker_types import (
    AccountSnapshot,
    BrokerPosition,
    Capabilities,
    OptionContract,
    OrderAck,
    OrderReport,
    Quote,
)
from app.domain.orders import OrderRequest


class BrokerError(Exception):
    """Anything that went wrong talking to a broker; the broker's own message is kept."""

    code = "BROKER_ERROR"

    def __init__(self, message: str, *, status_code: int | None = None, broker_code: str | None = None):
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.broker_code = broker_code


class AuthError(BrokerError):
    """The credentials were refused: wrong key, wrong environment, missing scope or an expired session."""

    code = "BROKER_AUTH_FAILED"

    def __init__(self, message: str, *, needs_login: bool = False, **kwargs):
        super().__init__(message, **kwargs)
        # True when a person must log in again at the broker (Kite's daily token reset).
        self.needs_login = needs_login


class RateLimited(BrokerError):
    """The broker, or our own limiter guarding the broker's published limits, said to wait."""

    code = "BROKER_RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class OrderRejected(BrokerError):
    """The broker refused the order (funds, holdings, market closed, its own risk rules)."""

    code = "BROKER_REJECTED"


class InvalidRequest(BrokerError):
    """The broker could not accept the request as formed, or does not support it."""

    code = "BROKER_INVALID_REQUEST"


class BrokerUnavailable(BrokerError):
    """The broker could not be reached or failed on its side; nothing is known to have happened."""

    code = "BROKER_UNAVAILABLE"

    def __init__(self, message: str, *, outcome_unknown: bool = False, **kwargs):
        super().__init__(message, **kwargs)
        # True when a request that changes state may have reached the broker before the failure,
        # so an order must be treated as unknown and settled by reconciliation, never re-sent.
        self.outcome_unknown = outcome_unknown


class MalformedResponse(BrokerError):
    """The broker answered something we cannot read: truncated, not JSON, or missing fields."""

    code = "BROKER_MALFORMED_RESPONSE"


class Broker(ABC):
    """A broker account in one environment, reached through one set of credentials."""

    name: str
    environment: str
    capabilities: Capabilities

    @abstractmethod
    def get_account(self) -> AccountSnapshot:
        """Cash, buying power and equity of the account.

        Raises AuthError, RateLimited, BrokerUnavailable or MalformedResponse.
        """

    @abstractmethod
    def get_positions(self) -> list[BrokerPosition]:
        """Every open position, signed quantity (negative is short); empty list when flat."""

    @abstractmethod
    def get_orders(self) -> list[OrderReport]:
        """Open orders and today's finished ones, as far as the broker keeps them."""

    @abstractmethod
    def get_order(self, broker_order_id: str) -> OrderReport:
        """One order's current state. Raises InvalidRequest when the broker does not know it."""

    @abstractmethod
    def place_order(self, request: OrderRequest, client_order_id: str) -> OrderAck:
        """Send one order. Never retried blindly.

        `client_order_id` is sent as the broker's idempotency key where it has one
        (Alpaca) and as its order tag where it only has a label (Tradier, Kite).
        Raises OrderRejected when the broker refuses it, InvalidRequest when it is
        malformed for this broker, and BrokerUnavailable(outcome_unknown=True) when
        the order may have reached the broker but no answer came back.
        """

    @abstractmethod
    def cancel_order(self, broker_order_id: str) -> None:
        """Ask the broker to cancel; the order's final state is read back later."""

    def get_quotes(self, symbols: list[str]) -> dict[str, Quote]:
        """Latest quotes keyed by symbol, at most `capabilities.quote_batch_size` per call.

        Unknown symbols are left out rather than failing the batch. No symbols means no call;
        too many, or a broker without quotes, is an InvalidRequest before any call.
        """
        if not symbols:
            return {}
        if not self.capabilities.has_quotes:
            raise InvalidRequest(f"{self.name} offers no quotes", broker_code="QUOTES_UNSUPPORTED")
        if len(symbols) > self.capabilities.quote_batch_size:
            raise InvalidRequest(
                f"at most {self.capabilities.quote_batch_size} symbols per quote call", broker_code="TOO_MANY_SYMBOLS"
            )
        return self._fetch_quotes(symbols)

    def _fetch_quotes(self, symbols: list[str]) -> dict[str, Quote]:
        """One batch of quotes from the broker; adapters with quotes implement it."""
        raise InvalidRequest(f"{self.name} offers no quotes", broker_code="QUOTES_UNSUPPORTED")

    def find_order_by_client_id(self, client_order_id: str) -> OrderReport | None:
        """The order we sent under this id, if the broker can say (by its idempotency key or tag)."""
        for report in self.get_orders():
            if report.client_order_id == client_order_id:
                return report
        return None

    def get_option_expirations(self, underlying: str) -> list[date]:
        raise InvalidRequest(f"{self.name} does not offer option chains", broker_code="UNSUPPORTED")

    def get_option_chain(self, underlying: str, expiry: date) -> list[OptionContract]:
        raise InvalidRequest(f"{self.name} does not offer option chains", broker_code="UNSUPPORTED")
