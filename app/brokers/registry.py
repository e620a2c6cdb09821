"""Builds the right adapter from broker, environment and credentials."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from app.brokers.base import Broker, InvalidRequest
from app.brokers.http import HttpOptions
from app.brokers.paper.pricing import PaperSettings
from app.brokers.paper.store import PaperStore
from app.domain.enums import BROKER_ENVIRONMENTS, BrokerEnvironment, BrokerName


@dataclass
class BrokerDependencies:
    """Everything an adapter may need besides its credentials; the services layer fills it in."""

    http: HttpOptions = field(default_factory=HttpOptions)
    base_urls: dict[str, dict[str, str]] = field(default_factory=dict)
    alpaca_data_feed: str = "iex"
    paper_store: PaperStore | None = None
    quote_source: Callable | None = None
    clock: Callable[[], datetime] | None = None
    paper_settings: PaperSettings | None = None


def _tradier(environment: str, credentials: dict, deps: BrokerDependencies) -> Broker:
    from app.brokers.tradier.adapter import TradierAdapter

    return TradierAdapter(credentials, environment, base_urls=deps.base_urls.get("tradier"), options=deps.http)


def _alpaca(environment: str, credentials: dict, deps: BrokerDependencies) -> Broker:
    from app.brokers.alpaca.adapter import AlpacaAdapter

    return AlpacaAdapter(
        credentials, environment, base_urls=deps.base_urls.get("alpaca"), options=deps.http,
        data_feed=deps.alpaca_data_feed,
    )


def _zerodha(environment: str, credentials: dict, deps: BrokerDependencies) -> Broker:
    from app.brokers.zerodha.adapter import KiteAdapter

    return KiteAdapter(credentials, environment, base_urls=deps.base_urls.get("zerodha"), options=deps.http)


def _trading212(environment: str, credentials: dict, deps: BrokerDependencies) -> Broker:
    from app.brokers.trading212.adapter import Trading212Adapter

    return Trading212Adapter(credentials, environment, base_urls=deps.base_urls.get("trading212"), options=deps.http)


def _paper(environment: str, credentials: dict, deps: BrokerDependencies) -> Broker:
    from app.brokers.paper.adapter import PaperAdapter

    if deps.paper_store is None or deps.quote_source is None or deps.clock is None:
        raise InvalidRequest("the paper simulator needs a store, a quote source and a clock")
    return PaperAdapter(deps.paper_store, deps.quote_source, deps.clock, deps.paper_settings)


BUILDERS: dict[BrokerName, Callable[[str, dict, BrokerDependencies], Broker]] = {
    BrokerName.TRADIER: _tradier,
    BrokerName.ALPACA: _alpaca,
    BrokerName.ZERODHA: _zerodha,
    BrokerName.TRADING212: _trading212,
    BrokerName.PAPER: _paper,
}


def build_broker(broker: str, environment: str, credentials: dict, deps: BrokerDependencies) -> Broker:
    """The adapter for `broker` in `environment`; InvalidRequest for a pairing that does not exist."""
    try:
        name, env = BrokerName(broker), BrokerEnvironment(environment)
    except ValueError:
        raise InvalidRequest(f"unknown broker or environment: {broker}/{environment}", broker_code="UNKNOWN_BROKER") from None
    if env not in BROKER_ENVIRONMENTS[name]:
        offered = ", ".join(sorted(BROKER_ENVIRONMENTS[name]))
        raise InvalidRequest(f"{broker} offers {offered}, not {environment}", broker_code="UNKNOWN_ENVIRONMENT")
    return BUILDERS[name](env.value, credentials, deps)


def other_environment(broker: str, environment: str) -> str | None:
    """The broker's other environment (paper for live and so on), if it has exactly two."""
    environments = {e.value for e in BROKER_ENVIRONMENTS.get(BrokerName(broker), frozenset())}
    others = environments - {environment}
    return others.pop() if len(environments) == 2 and len(others) == 1 else None
