"""What every benchmark shares: a fresh PostgreSQL database, the app configured as in production, and statistics."""
from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/portcullis_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
UNLIMITED = "1000000 per minute"


def production_environment(**extra: str) -> dict[str, str]:
    """The variables a production dyno would have, pointed at the benchmark's database and Redis.

    The API's rate limits are raised, not removed, so their Redis round trips stay in what is measured.
    """
    environment = {
        "PORTCULLIS_ENV": "production",
        "DATABASE_URL": DATABASE_URL,
        "SECRET_KEY": _run_secret("SECRET_KEY", secrets.token_hex(32)),
        "ENCRYPTION_KEYS": _run_secret("ENCRYPTION_KEYS", Fernet.generate_key().decode()),
        "REDIS_URL": REDIS_URL,
        "API_RATE_LIMIT": UNLIMITED,
        "API_ORDER_RATE_LIMIT": UNLIMITED,
        "LOGIN_RATE_LIMIT": UNLIMITED,  # fifty traders sign in from one address before the load starts
        "LOG_LEVEL": "WARNING",
    }
    environment.update(extra)
    return environment


_secrets: dict[str, str] = {}


def _run_secret(name: str, fresh: str) -> str:
    """One value per benchmark run, so the in-process app and the servers it starts read each other's data."""
    return _secrets.setdefault(name, fresh)


def create_bench_app(**extra: str):
    """The production app in this process, over the benchmark database."""
    os.environ.update(production_environment(**extra))
    from app import create_app

    return create_app("production")


def recreate_database() -> None:
    """Drop and create the benchmark database, then migrate it to head as the release phase would."""
    url = make_url(DATABASE_URL)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # rate-limit counters from an earlier run would throttle this one
    app = create_bench_app()
    with app.app_context():
        from flask_migrate import upgrade

        from app.extensions import db

        upgrade()
        db.engine.dispose()


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile of `samples` (seconds in, seconds out)."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


PROFILE_DIR = ROOT / "test-artifacts" / "bench"
_profiling = {"enabled": False}


def enable_profiling() -> None:
    _profiling["enabled"] = True


@contextmanager
def profiled(name: str):
    """With --profile, record what runs inside with pyinstrument and write test-artifacts/bench/<name>.html."""
    if not _profiling["enabled"]:
        yield
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        PROFILE_DIR.mkdir(parents=True, exist_ok=True)
        (PROFILE_DIR / f"{name}.html").write_text(profiler.output_html())
        (PROFILE_DIR / f"{name}.txt").write_text(profiler.output_text(unicode=False, color=False))


@dataclass
class Row:
    """One line of the results table: a measured figure, what it is compared with, and the target."""

    benchmark: str
    measure: str
    value: str
    target: str = ""
    met: bool | None = None
    notes: list[str] = field(default_factory=list)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def print_table(rows: list[Row]) -> str:
    headers = ("benchmark", "measure", "value", "target", "met")
    cells = [(r.benchmark, r.measure, r.value, r.target, "" if r.met is None else ("yes" if r.met else "NO"))
             for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(cell, widths)) + " |" for cell in cells]
    return "\n".join(lines)
