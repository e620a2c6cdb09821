"""The price refresh: distinct symbols, grouped by source, fetched in batches, written in one upsert.

Its cost grows with the number of distinct symbols, not with users or positions.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import select

from app.brokers.base import Broker, BrokerError
from app.brokers.demo_feed import SOURCE_NAME as DEMO, demo_quotes
from app.brokers.registry import BrokerDependencies, build_broker
from app.domain.broker_types import Quote
from app.domain.enums import BrokerName, ConnectionStatus
from app.domain.orders import OPEN_STATUSES
from app.extensions import db
from app.models import BrokerConnection, DataSource, Order, Position
from app.services.accounts import adapter_for, http_options
from app.services.audit import record_event
from app.services.market_data import upsert_quotes
from app.services.notifications import notify

log = logging.getLogger(__name__)
KITE_EXCHANGES = ("NSE:", "BSE:", "NFO:", "BFO:")
US_PROVIDERS = (BrokerName.TRADIER, BrokerName.ALPACA)


@dataclass
class RefreshReport:
    symbols: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    rows_written: int = 0
    unpriced: list[str] = field(default_factory=list)
    degraded: list[str] = field(default_factory=list)
    paper_orders_filled: int = 0


def wanted_symbols() -> set[str]:
    """Every symbol someone holds or has a resting order in, once."""
    held = db.session.scalars(select(Position.symbol).where(Position.quantity != 0).distinct())
    resting = db.session.scalars(select(Order.symbol).where(Order.status.in_(list(OPEN_STATUSES))).distinct())
    return set(held) | set(resting)


def route(symbol: str) -> str:
    """Which kind of source prices a symbol."""
    if symbol.startswith(KITE_EXCHANGES):
        return "kite"
    if symbol.endswith("_EQ"):
        return "trading212"
    return "us"


@dataclass
class _Source:
    name: str
    batch_size: int
    fetch: object  # Callable[[list[str]], dict[str, Quote]]


def _first_active(brokers) -> BrokerConnection | None:
    return db.session.scalar(
        select(BrokerConnection).where(BrokerConnection.broker.in_(list(brokers)),
                                       BrokerConnection.status == ConnectionStatus.ACTIVE)
        .order_by(BrokerConnection.id)
    )


def _platform_adapter() -> Broker | None:
    config = current_app.config
    provider = config["MARKET_DATA_PROVIDER"]
    if not provider:
        return None
    credentials = ({"key_id": config["MARKET_DATA_KEY"], "secret_key": config["MARKET_DATA_SECRET"]}
                   if provider == BrokerName.ALPACA else
                   {"access_token": config["MARKET_DATA_KEY"], "account_id": "market-data"})
    deps = BrokerDependencies(http=http_options("market-data-platform"), base_urls=config["BROKER_BASE_URLS"],
                              alpaca_data_feed=config["ALPACA_DATA_FEED"])
    return build_broker(provider, config["MARKET_DATA_ENVIRONMENT"], credentials, deps)


def _adapter_source(name: str, adapter: Broker) -> _Source:
    return _Source(name, adapter.capabilities.quote_batch_size, adapter.get_quotes)


def _us_source(now: datetime) -> _Source | None:
    """The platform's market-data account, else a user's Tradier or Alpaca connection, else (development) the demo feed."""
    platform = _platform_adapter()
    if platform is not None:
        return _adapter_source(f"{platform.name}:platform", platform)
    connection = _first_active(US_PROVIDERS)
    if connection is not None:
        return _adapter_source(f"{connection.broker.value}:{connection.id}", adapter_for(connection))
    if current_app.config["DEMO_DATA"]:
        return _Source(DEMO, 1000, lambda symbols: demo_quotes(symbols, now))
    return None


def _kite_source() -> _Source | None:
    connection = _first_active([BrokerName.ZERODHA])
    if connection is None:
        return None
    return _adapter_source(f"zerodha:{connection.id}", adapter_for(connection))


def _trading212_sources(now: datetime) -> list[_Source]:
    """Trading 212 has no quotes: each account's positions carry its own current prices."""
    sources = []
    for connection in db.session.scalars(
        select(BrokerConnection).where(BrokerConnection.broker == BrokerName.TRADING212,
                                       BrokerConnection.status == ConnectionStatus.ACTIVE)
    ):
        adapter = adapter_for(connection)

        def from_portfolio(symbols, adapter=adapter):
            wanted = set(symbols)
            return {p.symbol: Quote(p.symbol, None, None, p.market_price, now)
                    for p in adapter.get_positions() if p.symbol in wanted and p.market_price is not None}

        sources.append(_Source(f"trading212:{connection.id}", 10_000, from_portfolio))
    return sources


def _fetch(source: _Source, symbols: list[str], report: RefreshReport) -> dict[str, Quote]:
    quotes: dict[str, Quote] = {}
    for start in range(0, len(symbols), source.batch_size):
        report.calls[source.name] = report.calls.get(source.name, 0) + 1
        quotes.update(source.fetch(symbols[start:start + source.batch_size]))
    return quotes


def _note_source(name: str, now: datetime, error: BrokerError | None) -> None:
    """Record a source's outcome; a change of state is alerted once, not on every run."""
    state = db.session.get(DataSource, name) or DataSource(name=name, status="ok")
    db.session.add(state)
    if error is None:
        if state.status == "degraded":
            record_event("data_source_recovered", details={"source": name})
        state.status, state.degraded_since, state.last_error, state.last_success_at = "ok", None, None, now
        return
    state.last_error = f"{error.code}: {error.message}"[:500]
    if state.status != "degraded":
        state.status, state.degraded_since = "degraded", now
        record_event("data_source_degraded", details={"source": name, "error": error.code})
        notify("data_feed_degraded", f"Market data source {name} is failing", state.last_error,
               dedupe_key=f"source:{name}:{now.isoformat()}")
        log.warning("market data source %s is degraded: %s", name, error.code)


def refresh_quotes(now: datetime | None = None) -> RefreshReport:
    """Price every wanted symbol; a failing source keeps its last quotes (going stale) and stops nothing else."""
    now = now or datetime.now(timezone.utc)
    report = RefreshReport()
    groups: dict[str, list[str]] = defaultdict(list)
    for symbol in sorted(wanted_symbols()):
        groups[route(symbol)].append(symbol)
    report.symbols = sum(len(symbols) for symbols in groups.values())

    sources: list[tuple[_Source, list[str]]] = []
    if groups.get("us") and (us := _us_source(now)):
        sources.append((us, groups["us"]))
    if groups.get("kite") and (kite := _kite_source()):
        sources.append((kite, groups["kite"]))
    if groups.get("trading212"):
        sources += [(source, groups["trading212"]) for source in _trading212_sources(now)]

    priced: dict[str, tuple[Quote, str]] = {}
    for source, symbols in sources:
        try:
            quotes = _fetch(source, symbols, report)
        except BrokerError as error:
            _note_source(source.name, now, error)
            report.degraded.append(source.name)
            continue
        _note_source(source.name, now, None)
        for symbol, quote in quotes.items():
            priced.setdefault(symbol, (quote, source.name.split(":")[0]))
    report.rows_written = upsert_quotes(priced, fetched_at=now)
    report.unpriced = sorted(s for symbols in groups.values() for s in symbols if s not in priced)
    report.paper_orders_filled = _match_paper_orders()
    db.session.commit()
    return report


def _match_paper_orders() -> int:
    """New prices may cross resting paper orders: let each simulated venue fill them."""
    filled = 0
    connections = db.session.scalars(
        select(BrokerConnection).join(Order, Order.connection_id == BrokerConnection.id)
        .where(BrokerConnection.broker == BrokerName.PAPER, Order.status.in_(list(OPEN_STATUSES))).distinct()
    ).all()
    for connection in connections:
        filled += len(adapter_for(connection).match_resting_orders())
    return filled
