"""The price refresh over 1,000 traders' 10,000 positions in 500 symbols, against a broker 20 ms away."""
from __future__ import annotations

import math
import time
from datetime import datetime, timezone

import requests
from sqlalchemy import select

from app.brokers.http import BrokerRateLimiter, HttpOptions
from app.brokers.registry import BrokerDependencies, build_broker
from app.extensions import db
from app.models import JobRun, Position, Quote
from app.services.job_runs import JOB_INTERVALS
from app.services.market_data import upsert_quotes
from app.services.quote_refresh import refresh_quotes
from bench import seed
from bench.fake_broker import FakeQuoteBroker
from bench.harness import Row, create_bench_app, ms, profiled
from bench.processes import Scheduler

USERS, POSITIONS_EACH, SYMBOLS = 1000, 10, 500


def market_data_environment(broker: FakeQuoteBroker) -> dict[str, str]:
    """The platform's market-data account, pointed at the local broker."""
    return {"MARKET_DATA_PROVIDER": "tradier", "MARKET_DATA_ENVIRONMENT": "production",
            "MARKET_DATA_KEY": "bench-market-data-token", "TRADIER_PRODUCTION_URL": broker.url}


def populate(*, exits: bool = False) -> None:
    seed.seed_traders(USERS, positions_each=POSITIONS_EACH, universe=seed.symbols(SYMBOLS), exits=exits)


def _floor(broker: FakeQuoteBroker, batch: int) -> float:
    """The least a refresh can cost: ceil(symbols / batch) calls in turn, then one bulk write of every price."""
    universe = seed.symbols(SYMBOLS)
    session = requests.Session()
    start = time.perf_counter()
    for offset in range(0, len(universe), batch):
        session.post(f"{broker.url}/v1/markets/quotes", data={"symbols": ",".join(universe[offset:offset + batch])},
                     timeout=10).raise_for_status()
    now = datetime.now(timezone.utc)
    upsert_quotes({s: (_domain_quote(s, now), "floor") for s in universe}, fetched_at=now)
    db.session.commit()
    return time.perf_counter() - start


def _domain_quote(symbol: str, now: datetime):
    from decimal import Decimal

    from app.domain.broker_types import Quote as DomainQuote

    return DomainQuote(symbol, Decimal("101.2"), Decimal("101.3"), Decimal("101.25"), now)


class _Unlimited(BrokerRateLimiter):
    """No rate limit: Tradier's 120 quote calls a minute would stretch the naive way to 83 minutes."""

    def acquire(self, scope, rules) -> None:
        return None


def _naive(broker: FakeQuoteBroker) -> tuple[float, int]:
    """What a refresh costs done the obvious way: each position asks for its own price and writes it."""
    http = HttpOptions(limiter=_Unlimited())
    adapter = build_broker("tradier", "production", {"access_token": "naive", "account_id": "naive"},
                           BrokerDependencies(http=http, base_urls={"tradier": {"production": broker.url}}))
    start = time.perf_counter()
    positions = db.session.scalars(select(Position).where(Position.quantity != 0)).all()
    for position in positions:
        quotes = adapter.get_quotes([position.symbol])
        upsert_quotes({s: (q, "naive") for s, q in quotes.items()}, fetched_at=datetime.now(timezone.utc))
    db.session.commit()
    return time.perf_counter() - start, len(positions)


def scheduler_memory(broker: FakeQuoteBroker, timeout: float = 120) -> tuple[int, dict[str, str]]:
    """Start the Procfile's worker over this population, wait until every job has run once, and return its
    peak RSS with each job's outcome."""
    scheduler = Scheduler(**market_data_environment(broker))
    outcomes: dict[str, str] = {}
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(outcomes) < len(JOB_INTERVALS):
            if scheduler.process.poll() is not None:
                raise RuntimeError("the scheduler exited; see test-artifacts/bench/scheduler.log")
            time.sleep(0.5)
            db.session.rollback()
            outcomes = {run.job_name: run.outcome.value for run in db.session.scalars(
                select(JobRun).where(JobRun.finished_at.is_not(None)))}
    finally:
        peak = scheduler.stop()
    return peak, outcomes


def run(*, naive: bool) -> tuple[list[Row], int]:
    broker = FakeQuoteBroker(latency_seconds=0.020)
    try:
        app = create_bench_app(**market_data_environment(broker))
        with app.app_context():
            populate()
            batch = 100  # Tradier's quotes batch, from the adapter's capabilities
            floor_calls = math.ceil(SYMBOLS / batch)
            floor = _floor(broker, batch)
            broker.reset()
            with profiled("refresh"):
                start = time.perf_counter()
                report = refresh_quotes()
                wall = time.perf_counter() - start
            calls = broker.calls
            rows_written = report.rows_written
            fresh = db.session.scalar(select(db.func.count()).select_from(Quote).where(Quote.source == "tradier"))
            rows = [
                Row("price refresh", "positions / symbols / users", f"{USERS * POSITIONS_EACH} / {SYMBOLS} / {USERS}"),
                Row("price refresh", "broker calls", str(calls), f"= ceil({SYMBOLS}/{batch}) = {floor_calls}",
                    calls == floor_calls),
                Row("price refresh", "rows written", f"{rows_written} ({fresh} stored)", str(SYMBOLS),
                    rows_written == SYMBOLS == fresh),
                Row("price refresh", "floor: calls + one bulk write", ms(floor)),
                Row("price refresh", "wall time", ms(wall), "<= 1.5x floor", wall <= 1.5 * floor),
                Row("price refresh", "wall time / floor", f"{wall / floor:.2f}x"),
            ]
            peak, outcomes = scheduler_memory(broker)
            failed = sorted(name for name, outcome in outcomes.items() if outcome == "failed")
            rows.append(Row("scheduler", "jobs run once each", f"{len(outcomes)} of {len(JOB_INTERVALS)}",
                            "all, none failing", len(outcomes) == len(JOB_INTERVALS) and not failed,
                            notes=[f"failed: {', '.join(failed)}"] if failed else []))
            if naive:
                broker.reset()
                naive_wall, naive_positions = _naive(broker)
                rows += [
                    Row("price refresh", "naive: one call per position, no rate limit",
                        f"{ms(naive_wall)}, {broker.calls} calls"),
                    Row("price refresh", "speed-up over naive", f"{naive_wall / wall:.0f}x"),
                ]
            db.session.remove()
            db.engine.dispose()
        return rows, peak
    finally:
        broker.close()
