"""Fixtures: a migrated test database (PostgreSQL when TEST_DATABASE_URL is set), app, client, auth."""
from __future__ import annotations

import contextvars
import os
import tempfile
from pathlib import Path

import pytest
import responses
import sqlalchemy as sa
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db as _db
from config import normalize_database_url

ROOT = Path(__file__).resolve().parent.parent


def _test_database_url() -> str:
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        return normalize_database_url(configured, Path("unused"))
    path = Path(tempfile.mkdtemp(prefix="portcullis-test-")) / "test.sqlite3"
    return f"sqlite:///{path}"


def reset_database(url: str) -> None:
    """Give PostgreSQL an empty database (created if missing); SQLite files start empty anyway."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = sa.create_engine(parsed, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url() -> str:
    """A database migrated to head once for the whole run."""
    url = _test_database_url()
    reset_database(url)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        _db.engine.dispose()
    return url


@pytest.fixture(scope="session")
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgresql")


def _empty_all_tables() -> None:
    tables = [table.name for table in reversed(_db.metadata.sorted_tables)]
    if _db.engine.dialect.name == "postgresql":
        # TRUNCATE bypasses the audit table's append-only row trigger, as a test reset must.
        _db.session.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            _db.session.execute(sa.text(f"DELETE FROM {table}"))
    _db.session.commit()


class IsolatedClient(FlaskClient):
    """A test client whose requests each get a fresh app context, as in production.

    Without this, a request reuses the test's own app context, sharing `g` (and
    Flask-Login's cached user) and the database session between requests.
    """

    def open(self, *args, **kwargs):
        def run_without_outer_context():
            _cv_app.set(None)
            return super(IsolatedClient, self).open(*args, **kwargs)

        return contextvars.copy_context().run(run_without_outer_context)


@pytest.fixture
def app_factory(database_url):
    """Build test apps with extra config; every app is torn down and the tables emptied."""
    built = []

    def build(**overrides):
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})
        app.test_client_class = IsolatedClient
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()
    if built:
        cleaner = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
        with cleaner.app_context():
            _empty_all_tables()
            _db.engine.dispose()


@pytest.fixture
def app(app_factory):
    app = app_factory()
    with app.app_context():
        yield app


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Log a test client in and out through the real forms."""

    def __init__(self, client):
        self._client = client

    def register(self, email="trader@example.com", password="correct horse battery"):
        return self._client.post(
            "/auth/register", data={"email": email, "password": password, "confirm": password}
        )

    def login(self, email="trader@example.com", password="correct horse battery", remember=False):
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        return self._client.post("/auth/login", data=data)

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def clock():
    """A controllable clock whose sleep only moves time forward."""
    from tests.brokers.harness import FakeClock

    return FakeClock()


@pytest.fixture
def rsps():
    """Intercepts every HTTP call; a request that matches no registered mock fails."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def strict_rsps():
    """As rsps, and every registered request must also have been made."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock
