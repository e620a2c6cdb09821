"""The factory, each configuration, DATABASE_URL parsing and the production refusals."""
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from config import ConfigError, load_config, normalize_database_url

ROOT = Path(__file__).resolve().parent.parent
FERNET_KEY = "QjJwGCUTdflFUPcJsj9_3c1yC_pz-BWi1KIwuDtOolM="


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u:p@db.example:5432/app", "postgresql+psycopg2://u:p@db.example:5432/app"),
        ("postgresql://u:p@db.example/app?sslmode=require", "postgresql+psycopg2://u:p@db.example/app?sslmode=require"),
        ("postgresql+psycopg2://u@h/app", "postgresql+psycopg2://u@h/app"),
        ("  postgres://u@h/app  ", "postgresql+psycopg2://u@h/app"),
        ("sqlite:////tmp/x.sqlite3", "sqlite:////tmp/x.sqlite3"),
    ],
)
def test_database_url_is_normalised_to_psycopg2(raw, expected):
    assert normalize_database_url(raw, Path("/unused")) == expected


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_unset_database_url_means_sqlite_under_instance(raw):
    assert normalize_database_url(raw, Path("/srv/instance/db.sqlite3")) == "sqlite:////srv/instance/db.sqlite3"


def test_development_reads_database_url_and_allows_demo_data(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/dev")
    monkeypatch.delenv("DEMO_DATA", raising=False)
    config = load_config("development")
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg2://u@h/dev"
    assert config.DEBUG is True and config.DEMO_DATA is True
    assert config.SECRET_KEY and config.ENCRYPTION_KEYS


def test_testing_config_uses_test_database_url(monkeypatch):
    monkeypatch.setenv("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1/t")
    config = load_config("testing")
    assert config.TESTING is True
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg2://postgres@127.0.0.1/t"


def test_config_name_defaults_to_portcullis_env(monkeypatch):
    monkeypatch.setenv("PORTCULLIS_ENV", "testing")
    assert load_config().ENV_NAME == "testing"


def test_unknown_config_name_is_refused():
    with pytest.raises(ConfigError, match="unknown configuration 'staging'"):
        load_config("staging")


def test_bad_flag_value_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("DEMO_DATA", "maybe")
    with pytest.raises(ConfigError, match="DEMO_DATA must be true or false"):
        load_config("development")


@pytest.fixture
def production_env(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("ENCRYPTION_KEYS", FERNET_KEY)
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/prod")
    for name in ("DEMO_DATA", "MOCK_BROKERS", "SENTRY_DSN"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_production_builds_with_secure_cookies(production_env):
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() <= 24 * 3600
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg2://u@h/prod"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("delenv", "SECRET_KEY"), "SECRET_KEY is not set"),
        (("delenv", "ENCRYPTION_KEYS"), "ENCRYPTION_KEYS is not set"),
        (("setenv", "DEMO_DATA", "true"), "DEMO_DATA is switched on"),
        (("setenv", "MOCK_BROKERS", "1"), "MOCK_BROKERS is switched on"),
    ],
)
def test_production_refuses_unsafe_settings(production_env, change, message):
    getattr(production_env, change[0])(*change[1:])
    with pytest.raises(ConfigError, match=message):
        create_app("production")


def test_production_refusal_exits_non_zero_with_a_clear_message():
    env = {"PATH": "/usr/bin:/bin", "PORTCULLIS_ENV": "production", "DATABASE_URL": "postgres://u@h/prod"}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "refusing to start in production" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr and "ENCRYPTION_KEYS is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_factory_registers_blueprints_without_touching_the_database(monkeypatch):
    # An unreachable database must not stop the app from being built: no I/O at start-up.
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg2://nobody@127.0.0.1:1/none"})
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {"auth.login", "auth.register", "auth.logout", "dashboard.index", "health.healthz"} <= endpoints


def test_proxy_fix_makes_forwarded_scheme_and_address_visible(production_env):
    app = create_app("production")
    seen = {}

    @app.route("/_whoami")
    def whoami():
        from flask import request

        seen.update(scheme=request.scheme, addr=request.remote_addr)
        return "ok"

    app.test_client().get(
        "/_whoami", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    )
    assert seen == {"scheme": "https", "addr": "203.0.113.9"}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LOGIN_LOCKOUT_THRESHOLD", "ten", "must be a whole number"),
        ("SENTRY_TRACES_SAMPLE_RATE", "lots", "must be a number"),
        ("DEFAULT_PAPER_BALANCE", "1e", "must be a decimal number"),
        ("DEFAULT_PAPER_BALANCE", "Infinity", "must be a finite number"),
    ],
)
def test_malformed_numbers_in_the_environment_are_clear_errors(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"{name} {message}"):
        load_config("development")


def test_production_refuses_the_scheduler_inside_web_workers(production_env):
    production_env.setenv("RUN_SCHEDULER_IN_WEB", "true")
    with pytest.raises(ConfigError, match="RUN_SCHEDULER_IN_WEB"):
        create_app("production")


def test_the_process_entry_point_leaves_what_start_up_built_out_of_the_collectors_walks():
    env = {"PATH": "/usr/bin:/bin", "PORTCULLIS_ENV": "production", "DATABASE_URL": "postgres://u@h/prod",
           "SECRET_KEY": "s" * 40, "ENCRYPTION_KEYS": FERNET_KEY}
    result = subprocess.run([sys.executable, "-c", "import gc, wsgi; print(gc.get_freeze_count())"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.split()[-1]) > 10_000
