"""One position-monitor run over 10,000 positions with exit rules, some of which trigger."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import select, update

from app.extensions import db
from app.models import Order, Position
from app.services import market_hours, monitor
from bench import seed
from bench.harness import Row, create_bench_app, ms, profiled
from bench.refresh import POSITIONS_EACH, SYMBOLS, USERS

# A Monday at 10:00 in New York: the exchange is open, so triggered exits are placed, not deferred.
SESSION_OPEN = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
TRIGGERED = 100


def run() -> list[Row]:
    app = create_bench_app()
    with app.app_context():
        seed.seed_traders(USERS, positions_each=POSITIONS_EACH, universe=seed.symbols(SYMBOLS), exits=True)
        seed.seed_quotes(seed.symbols(SYMBOLS), at=SESSION_OPEN)
        # One position in a hundred has its stop-loss above the price: the monitor must sell those.
        triggered_ids = db.session.scalars(select(Position.id).order_by(Position.id).limit(TRIGGERED)).all()
        db.session.execute(update(Position).where(Position.id.in_(triggered_ids)).values(stop_loss=Decimal("150")))
        db.session.commit()
        db.session.remove()

        placing = []
        place_exit = monitor._place_exit

        def timed_place_exit(*args, **kwargs):
            start = time.perf_counter()
            try:
                return place_exit(*args, **kwargs)
            finally:
                placing.append(time.perf_counter() - start)

        # The scheduler loads the exchange calendars once per process, not once per run.
        market_hours.trading_day(market_hours.US, SESSION_OPEN)
        monitor._place_exit = timed_place_exit
        rows = []
        try:
            # The day's first run also sets every trailing extreme and day-open equity; a later run
            # (every five minutes) finds them in place.
            for label, expected_exits in (("first run of the day", TRIGGERED), ("a later run", 0)):
                expected_positions = USERS * POSITIONS_EACH - (TRIGGERED - expected_exits)
                placing.clear()
                with profiled(f"monitor-{label.replace(' ', '-')}"):
                    start = time.perf_counter()
                    report = monitor.run_monitor(now=SESSION_OPEN)
                    wall = time.perf_counter() - start
                rows += _rows(label, report, wall, placing, expected_positions, expected_exits)
        finally:
            monitor._place_exit = place_exit
        exits = db.session.scalar(select(db.func.count()).select_from(Order).where(Order.source == "monitor"))
        rows.append(Row("position monitor", "exit orders stored", str(exits), str(TRIGGERED), exits == TRIGGERED))
        db.session.remove()
        db.engine.dispose()
    return rows


def _rows(label: str, report, wall: float, placing: list[float], expected_positions: int,
          expected_exits: int) -> list[Row]:
    name = f"position monitor, {label}"
    evaluation = wall - sum(placing)
    each = sum(placing) / max(1, len(placing))
    return [
        Row(name, "positions evaluated", str(report.positions), str(expected_positions),
            report.positions == expected_positions),
        Row(name, "exits placed", str(report.exits_placed), str(expected_exits), report.exits_placed == expected_exits),
        Row(name, "wall time", ms(wall)),
        Row(name, "placing the exits", f"{ms(sum(placing))} ({ms(each)} each)"),
        Row(name, "wall time less the exits", ms(evaluation), "< 1 s", evaluation < 1.0),
    ]
