"""Orders through `submit_order`, one at a time in process and from concurrent clients over HTTP, against a floor
of bare transactions that only insert an order row and update a position."""
from __future__ import annotations

import http.client
import json
import threading
import time
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import urlparse

from sqlalchemy import event, insert, update

from app.domain.enums import AssetClass, OrderSide, OrderSource, OrderStatus, OrderType, TimeInForce, TradingMode
from app.extensions import db
from app.models import Order, Position, User
from app.services.order_pipeline import submit_order
from bench import seed
from bench.harness import Row, create_bench_app, ms, percentile, profiled
from bench.processes import WebServer

UNIVERSE = seed.symbols(500)
FLOOR_PATH = "/api/v1/bench-floor"


def order_payload(index: int, connection_id: int, prefix: str) -> dict:
    """Buys then sells of one share and up, cycling through 500 symbols, so the book stays small and no two
    orders look like a double click; marketable limits fill at once whether or not the exchange is open."""
    symbol = UNIVERSE[(index // 2) % len(UNIVERSE)]
    buy = index % 2 == 0
    return {"symbol": symbol, "side": "buy" if buy else "sell", "quantity": str(1 + index // 1000),
            "type": "limit", "limit_price": "101.00" if buy else "99.00", "time_in_force": "day",
            "connection_id": connection_id, "client_order_id": f"{prefix}-{index}"}


def bare_order_transaction(engine, user_id: int, connection_id: int, index: int) -> None:
    """The least an order can cost the database: one order row in, one position updated, one commit."""
    payload = order_payload(index, connection_id, "floor")
    now = datetime.now(timezone.utc)
    quantity = Decimal(payload["quantity"])
    with engine.begin() as connection:
        connection.execute(insert(Order.__table__).values(
            user_id=user_id, connection_id=connection_id, client_order_id=payload["client_order_id"],
            symbol=payload["symbol"], asset_class=AssetClass.EQUITY, side=OrderSide(payload["side"]),
            quantity=quantity, order_type=OrderType.LIMIT, limit_price=Decimal(payload["limit_price"]),
            time_in_force=TimeInForce.DAY, status=OrderStatus.FILLED, trading_mode=TradingMode.PAPER,
            source=OrderSource.API, filled_quantity=quantity, avg_fill_price=Decimal("100.00"), checks=[],
            submitted_at=now, created_at=now, updated_at=now,
        ))
        signed = quantity if payload["side"] == "buy" else -quantity
        connection.execute(update(Position.__table__).where(
            Position.connection_id == connection_id, Position.symbol == payload["symbol"],
        ).values(quantity=Position.quantity + signed, updated_at=now))


def _floor_trader():
    """A trader holding every symbol in the universe, so each floor UPDATE finds its row."""
    return seed.seed_traders(1, positions_each=len(UNIVERSE), universe=UNIVERSE, email_prefix="floor")[0]


class _DatabaseClock:
    """Statements sent and time spent inside the driver's execute (the round trip and the server's work), per order."""

    def __init__(self, engine):
        self.statements, self.seconds = 0, 0.0
        self._engine, self._started = engine, 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def reset(self) -> None:
        self.statements, self.seconds = 0, 0.0

    def _before(self, *_) -> None:
        self._started = time.perf_counter()

    def _after(self, *_) -> None:
        self.seconds += time.perf_counter() - self._started
        self.statements += 1

    def close(self) -> None:
        event.remove(self._engine, "before_cursor_execute", self._before)
        event.remove(self._engine, "after_cursor_execute", self._after)


def in_process(orders: int) -> list[Row]:
    app = create_bench_app()
    with app.app_context():
        seed.seed_quotes(UNIVERSE)
        trader = seed.seed_traders(1, email_prefix="pipeline")[0]
        floor_trader = _floor_trader()
        engine = db.engine

        # Each order follows its floor transaction, so the machine's drift over the run (on a shared virtual
        # machine it can be a third) weighs on the floor and the pipeline alike.
        floor, pipeline, refused = [], [], 0
        statements, in_database = [], []
        clock = _DatabaseClock(engine)
        with profiled("pipeline"):
            for index in range(orders):
                start = time.perf_counter()
                bare_order_transaction(engine, floor_trader.user_id, floor_trader.connection_id, index)
                floor.append(time.perf_counter() - start)
                payload = order_payload(index, trader.connection_id, "inproc")
                db.session.remove()  # each order starts from a clean session, as a request does
                clock.reset()
                start = time.perf_counter()
                user = db.session.get(User, trader.user_id)
                result = submit_order(user, payload, source=OrderSource.API)
                pipeline.append(time.perf_counter() - start)
                statements.append(clock.statements)
                in_database.append(clock.seconds)
                refused += not result.accepted or result.order.status != OrderStatus.FILLED
        clock.close()
        db.session.remove()
        db.engine.dispose()
    rows = _rows("pipeline, in process", orders, pipeline, floor, refused, p99_target=0.025)
    # What the statements alone cost, before any Python runs and without the commit: the part of the ratio
    # that only fewer round trips can remove.
    rows[-1:-1] = [
        Row("pipeline, in process", "statements per order (p50), commit aside", str(percentile(statements, 50))),
        Row("pipeline, in process", "time in the driver's execute (p50)", ms(percentile(in_database, 50))),
        Row("pipeline, in process", "time in the driver's execute / floor time", f"{sum(in_database) / sum(floor):.2f}x"),
    ]
    return rows


class _Client(threading.Thread):
    """One API client on its own keep-alive connection, sending its share of the orders in turn."""

    def __init__(self, url: str, token: str, bodies: list[dict], path: str):
        super().__init__(daemon=True)
        parsed = urlparse(url)
        self._connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self._bodies, self._path = bodies, path
        self.latencies: list[float] = []
        self.failures: list[str] = []

    def run(self) -> None:
        for body in self._bodies:
            start = time.perf_counter()
            self._connection.request("POST", self._path, body=json.dumps(body), headers=self._headers)
            response = self._connection.getresponse()
            text = response.read()
            self.latencies.append(time.perf_counter() - start)
            if response.status != 201 or (self._path != FLOOR_PATH and b'"filled"' not in text):
                self.failures.append(f"{response.status} {text[:200]!r}")


def _drive(url: str, traders, orders: int, path: str, prefix: str) -> tuple[list[float], float, list[str]]:
    share = orders // len(traders)
    clients = []
    for n, trader in enumerate(traders):
        indices = range(n * share, (n + 1) * share)
        bodies = [order_payload(i, trader.connection_id, prefix) for i in indices]
        if path == FLOOR_PATH:
            bodies = [{**body, "user_id": trader.user_id} for body in bodies]
        clients.append(_Client(url, trader.token, bodies, path))
    start = time.perf_counter()
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    wall = time.perf_counter() - start
    return ([s for c in clients for s in c.latencies], wall, [f for c in clients for f in c.failures])


def over_http(orders: int, clients: int) -> tuple[list[Row], int]:
    """Each client is its own trader (as real clients are); the floor runs on the same server and transport."""
    app = create_bench_app()
    with app.app_context():
        seed.seed_quotes(UNIVERSE)
        traders = seed.seed_traders(clients, with_tokens=True, email_prefix="http")
        floor_traders = seed.seed_traders(clients, positions_each=len(UNIVERSE), universe=UNIVERSE,
                                          with_tokens=True, email_prefix="httpfloor")
        db.engine.dispose()
    server = WebServer("bench.floor_wsgi:app")
    try:
        floor, floor_wall, floor_failures = _drive(server.url, floor_traders, orders, FLOOR_PATH, "floor")
        pipeline, wall, failures = _drive(server.url, traders, orders, "/api/v1/orders", "http")
    finally:
        peak = server.stop()
    if floor_failures:
        raise RuntimeError(f"floor requests failed: {floor_failures[:3]}")
    rows = _rows(f"pipeline, HTTP x{clients}", orders, pipeline, floor, len(failures), wall=wall,
                 floor_wall=floor_wall)
    if failures:
        rows[-1].notes.append(f"first refusal: {failures[0]}")
    return rows, peak


def _rows(name: str, orders: int, pipeline: list[float], floor: list[float], refused: int, *,
          p99_target: float | None = None, wall: float | None = None, floor_wall: float | None = None) -> list[Row]:
    wall = wall if wall is not None else sum(pipeline)
    floor_wall = floor_wall if floor_wall is not None else sum(floor)
    ratio = wall / floor_wall
    rows = [
        Row(name, "floor p50 / p99", f"{ms(percentile(floor, 50))} / {ms(percentile(floor, 99))}"),
        Row(name, "floor orders/s", f"{orders / floor_wall:.0f}"),
        Row(name, "pipeline p50", ms(percentile(pipeline, 50))),
        Row(name, "pipeline p99", ms(percentile(pipeline, 99)),
            *(("<= 25 ms", percentile(pipeline, 99) <= p99_target) if p99_target else ())),
        Row(name, "pipeline orders/s", f"{orders / wall:.0f}"),
        Row(name, "pipeline time / floor time", f"{ratio:.2f}x", "<= 2x", ratio <= 2),
        Row(name, "orders not filled", str(refused), "0", refused == 0),
    ]
    return rows
