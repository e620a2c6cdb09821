"""Configuration: the only module that reads the environment."""
from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


class ConfigError(RuntimeError):
    """Raised when the environment cannot run the chosen configuration safely."""


def normalize_database_url(url: str | None, default_sqlite_path: Path) -> str:
    """Turn a DATABASE_URL as Heroku or Railway hand it out into one SQLAlchemy accepts.

    Both `postgres://` and bare `postgresql://` are pinned to psycopg2, because
    SQLAlchemy 2.1 maps a bare `postgresql://` to psycopg 3, which we do not ship.
    """
    if not url or not url.strip():
        return f"sqlite:///{default_sqlite_path}"
    url = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


def _flag(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def _parsed(name: str, default, parse, description: str):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return parse(raw.strip())
    except (ValueError, ArithmeticError):
        raise ConfigError(f"{name} must be {description}, not {raw!r}") from None


def _int(name: str, default: int) -> int:
    return _parsed(name, default, int, "a whole number")


def _float(name: str, default: float) -> float:
    return _parsed(name, default, float, "a number")


def _decimal(name: str, default: str) -> Decimal:
    value = _parsed(name, Decimal(default), Decimal, "a decimal number")
    if not value.is_finite():
        raise ConfigError(f"{name} must be a finite number, not {value}")
    return value


# Platform-wide risk limits; a user's own RiskLimits row may only override them
# where a field is set. None means the limit is off unless a user sets one.
DEFAULT_RISK_LIMITS: dict[str, Decimal | int | None] = {
    "max_position_size_percent": Decimal("2"),
    "max_capital_at_risk_percent": Decimal("10"),
    "max_open_positions": 10,
    "max_daily_loss_percent": Decimal("5"),
    "max_weekly_loss_percent": Decimal("10"),
    "min_dte": 7,
    "max_dte": 60,
    "max_order_value": Decimal("10000"),
    "max_trades_per_day": 50,
    "max_orders_per_minute": 10,
    "min_account_balance": Decimal("0"),
    "max_daily_loss_amount": None,
    "max_weekly_loss_amount": None,
    "max_position_value": None,
    # Shares and options on one underlying together, as a share of equity.
    "max_symbol_concentration_percent": Decimal("5"),
    "max_portfolio_delta": None,
    "max_portfolio_theta": None,
    "max_portfolio_vega": None,
}


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    TESTING = False
    DEBUG = False

    def __init__(self) -> None:
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or None
        self.ENCRYPTION_KEYS = [
            key.strip() for key in os.environ.get("ENCRYPTION_KEYS", "").split(",") if key.strip()
        ]
        self.SQLALCHEMY_DATABASE_URI = normalize_database_url(
            os.environ.get("DATABASE_URL"), INSTANCE_DIR / "portcullis.sqlite3"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.SQLALCHEMY_TRACK_MODIFICATIONS = False

        # Heroku's and Railway's Redis add-ons set REDIS_URL; shared limits use it unless told otherwise.
        self.RATELIMIT_STORAGE_URI = (
            os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "memory://"
        )
        self.RATELIMIT_HEADERS_ENABLED = True
        self.LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "5 per minute")
        self.API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120 per minute")
        self.API_ORDER_RATE_LIMIT = os.environ.get("API_ORDER_RATE_LIMIT", "30 per minute")
        self.LOGIN_LOCKOUT_THRESHOLD = _int("LOGIN_LOCKOUT_THRESHOLD", 10)
        self.LOGIN_LOCKOUT_MINUTES = _int("LOGIN_LOCKOUT_MINUTES", 15)

        self.WTF_CSRF_ENABLED = True
        self.WTF_CSRF_TIME_LIMIT = 3600 * 8
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_DURATION = timedelta(days=7)
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=_int("SESSION_LIFETIME_HOURS", 12))
        self.PROXY_FIX_HOPS = _int("PROXY_FIX_HOPS", 0)

        self.DEMO_DATA = _flag("DEMO_DATA", False)
        self.MOCK_BROKERS = _flag("MOCK_BROKERS", False)
        self.DEFAULT_PAPER_BALANCE = _decimal("DEFAULT_PAPER_BALANCE", "100000")
        self.RISK_DISCLOSURE_VERSION = os.environ.get("RISK_DISCLOSURE_VERSION", "2026-01")
        self.DEFAULT_RISK_LIMITS = dict(DEFAULT_RISK_LIMITS)

        self.BROKER_BASE_URLS = _broker_base_urls()
        self.ALPACA_DATA_FEED = os.environ.get("ALPACA_DATA_FEED", "iex")
        # Broker rate-limit counters: shared through Redis in production like the login limits.
        self.BROKER_RATELIMIT_STORAGE_URI = os.environ.get("BROKER_RATELIMIT_STORAGE_URI") or self.RATELIMIT_STORAGE_URI
        self.BROKER_CONNECT_TIMEOUT_SECONDS = _float("BROKER_CONNECT_TIMEOUT_SECONDS", 3.05)
        self.BROKER_READ_TIMEOUT_SECONDS = _float("BROKER_READ_TIMEOUT_SECONDS", 10.0)
        self.BROKER_CIRCUIT_FAILURES = _int("BROKER_CIRCUIT_FAILURES", 5)
        self.BROKER_CIRCUIT_COOLDOWN_SECONDS = _float("BROKER_CIRCUIT_COOLDOWN_SECONDS", 60.0)
        self.STALE_QUOTE_SECONDS = _int("STALE_QUOTE_SECONDS", 300)
        self.OPTION_EXIT_DAYS_TO_EXPIRY = _int("OPTION_EXIT_DAYS_TO_EXPIRY", 1)
        self.PRICE_REFRESH_SECONDS = _int("PRICE_REFRESH_SECONDS", 120)
        self.MONITOR_SECONDS = _int("MONITOR_SECONDS", 300)
        self.RECONCILE_SECONDS = _int("RECONCILE_SECONDS", 60)
        self.SNAPSHOT_SECONDS = _int("SNAPSHOT_SECONDS", 900)
        # How often a waiting scheduler tries for the leader lock (and the leader checks it still holds it).
        self.LEADER_POLL_SECONDS = _float("LEADER_POLL_SECONDS", 10.0)
        self.JOB_MISFIRE_GRACE_SECONDS = _int("JOB_MISFIRE_GRACE_SECONDS", 30)
        # Development only: run the scheduler in a thread of the web process (production refuses it).
        self.RUN_SCHEDULER_IN_WEB = _flag("RUN_SCHEDULER_IN_WEB", False)
        # Whether /readyz requires the scheduler's jobs to be on time.
        self.READYZ_CHECK_JOBS = _flag("READYZ_CHECK_JOBS", True)
        # A platform-wide market-data account; without one, users' own connections are asked.
        self.MARKET_DATA_PROVIDER = os.environ.get("MARKET_DATA_PROVIDER") or None
        self.MARKET_DATA_ENVIRONMENT = os.environ.get("MARKET_DATA_ENVIRONMENT") or None
        self.MARKET_DATA_KEY = os.environ.get("MARKET_DATA_KEY") or None
        self.MARKET_DATA_SECRET = os.environ.get("MARKET_DATA_SECRET") or None
        self.KYC_TRADE_THRESHOLD = _decimal("KYC_TRADE_THRESHOLD", "10000")
        self.KYC_DAILY_VOLUME = _decimal("KYC_DAILY_VOLUME", "50000")
        self.LARGE_TRANSACTION_THRESHOLD = _decimal("LARGE_TRANSACTION_THRESHOLD", "50000")
        self.LIVE_CONFIRM_THRESHOLD = _decimal("LIVE_CONFIRM_THRESHOLD", "5000")
        self.DUPLICATE_ORDER_WINDOW_SECONDS = _int("DUPLICATE_ORDER_WINDOW_SECONDS", 60)
        self.ORDER_BURST_COUNT = _int("ORDER_BURST_COUNT", 5)
        self.ORDER_BURST_SECONDS = _int("ORDER_BURST_SECONDS", 10)
        self.ROUND_TRIP_SECONDS = _int("ROUND_TRIP_SECONDS", 300)
        self.OUTSIZED_ORDER_MULTIPLE = _decimal("OUTSIZED_ORDER_MULTIPLE", "10")
        # An order still pending_submit after this long was never confirmed sent: reconciliation looks for it.
        self.RECONCILE_PENDING_GRACE_SECONDS = _int("RECONCILE_PENDING_GRACE_SECONDS", 120)
        self.PAPER_COMMISSION_PER_ORDER = _decimal("PAPER_COMMISSION_PER_ORDER", "0")
        self.PAPER_COMMISSION_PER_CONTRACT = _decimal("PAPER_COMMISSION_PER_CONTRACT", "0.65")
        self.PAPER_SLIPPAGE_BPS = _decimal("PAPER_SLIPPAGE_BPS", "0")

        self.SMTP = {
            "host": os.environ.get("SMTP_HOST") or None,
            "port": _int("SMTP_PORT", 587),
            "username": os.environ.get("SMTP_USERNAME") or None,
            "password": os.environ.get("SMTP_PASSWORD") or None,
            "sender": os.environ.get("SMTP_FROM", "alerts@portcullis.invalid"),
            "starttls": _flag("SMTP_STARTTLS", True),
        }
        self.TELEGRAM_API_URL = os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org")
        # The operators' own channels, alerted of platform events (kill switch, halts, failing sources).
        self.OPS_CHANNELS = {
            kind: value for kind, value in {
                "telegram": {"bot_token": os.environ.get("OPS_TELEGRAM_BOT_TOKEN"),
                             "chat_id": os.environ.get("OPS_TELEGRAM_CHAT_ID")},
                "slack": {"webhook_url": os.environ.get("OPS_SLACK_WEBHOOK_URL")},
                "discord": {"webhook_url": os.environ.get("OPS_DISCORD_WEBHOOK_URL")},
                "email": {"address": os.environ.get("OPS_EMAIL_TO")},
            }.items() if all(value.values())
        }
        self.NOTIFY_SECONDS = _int("NOTIFY_SECONDS", 15)
        self.NOTIFY_TIMEOUT_SECONDS = _float("NOTIFY_TIMEOUT_SECONDS", 10.0)
        self.NOTIFY_MAX_ATTEMPTS = _int("NOTIFY_MAX_ATTEMPTS", 8)
        self.NOTIFY_FAILING_AFTER = _int("NOTIFY_FAILING_AFTER", 5)
        self.FAILED_LOGIN_ALERT_THRESHOLD = _int("FAILED_LOGIN_ALERT_THRESHOLD", 5)

        self.LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
        self.SENTRY_DSN = os.environ.get("SENTRY_DSN") or None
        self.SENTRY_TRACES_SAMPLE_RATE = _float("SENTRY_TRACES_SAMPLE_RATE", 0.0)
        self.SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT", self.ENV_NAME)

    def validate(self) -> None:
        """Refuse settings that would be unsafe for this environment."""


class DevelopmentConfig(Config):
    """Local development: SQLite by default, demo data allowed."""

    ENV_NAME = "development"
    DEBUG = True

    def __init__(self) -> None:
        super().__init__()
        # A stable fallback keeps development sessions alive across restarts; production refuses it.
        self.SECRET_KEY = self.SECRET_KEY or "development-only-secret-key"
        self.DEMO_DATA = _flag("DEMO_DATA", True)
        if not self.ENCRYPTION_KEYS:
            self.ENCRYPTION_KEYS = [_development_encryption_key()]


class TestingConfig(Config):
    """Test runs: an isolated database from TEST_DATABASE_URL, or a temporary SQLite file."""

    ENV_NAME = "testing"
    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = "testing-secret-key"
        self.ENCRYPTION_KEYS = ["QjJwGCUTdflFUPcJsj9_3c1yC_pz-BWi1KIwuDtOolM="]
        self.SQLALCHEMY_DATABASE_URI = normalize_database_url(
            os.environ.get("TEST_DATABASE_URL"), INSTANCE_DIR / "test.sqlite3"
        )
        self.RATELIMIT_STORAGE_URI = os.environ.get("TEST_RATELIMIT_STORAGE_URI", "memory://")
        # Tests log in and out many times a minute; the limiter has its own tests.
        self.RATELIMIT_ENABLED = False
        self.WTF_CSRF_ENABLED = False
        self.DEMO_DATA = False
        self.READYZ_CHECK_JOBS = _flag("READYZ_CHECK_JOBS", False)


class ProductionConfig(Config):
    """Production: secrets from the environment, secure cookies, no demo data."""

    ENV_NAME = "production"

    def __init__(self) -> None:
        super().__init__()
        self.SESSION_COOKIE_SECURE = True
        self.REMEMBER_COOKIE_SECURE = True
        self.SESSION_COOKIE_NAME = "__Host-session"
        self.PREFERRED_URL_SCHEME = "https"
        # Heroku and Railway sit one proxy hop in front of the app.
        self.PROXY_FIX_HOPS = _int("PROXY_FIX_HOPS", 1)

    def validate(self) -> None:
        problems = []
        if not self.SECRET_KEY:
            problems.append("SECRET_KEY is not set")
        if not self.ENCRYPTION_KEYS:
            problems.append("ENCRYPTION_KEYS is not set")
        if self.DEMO_DATA:
            problems.append("DEMO_DATA is switched on")
        if self.MOCK_BROKERS:
            problems.append("MOCK_BROKERS is switched on")
        if self.RUN_SCHEDULER_IN_WEB:
            problems.append("RUN_SCHEDULER_IN_WEB is switched on (run the worker process instead)")
        if problems:
            raise ConfigError("refusing to start in production: " + "; ".join(problems))


# Each broker's base URLs may be pointed elsewhere (a recording proxy, a test double) from the environment.
BROKER_URL_VARIABLES = {
    "tradier": {"sandbox": "TRADIER_SANDBOX_URL", "production": "TRADIER_PRODUCTION_URL"},
    "alpaca": {"paper": "ALPACA_PAPER_URL", "live": "ALPACA_LIVE_URL", "data": "ALPACA_DATA_URL"},
    "zerodha": {"live": "KITE_API_URL", "login": "KITE_LOGIN_URL"},
    "trading212": {"demo": "TRADING212_DEMO_URL", "live": "TRADING212_LIVE_URL"},
}


def _broker_base_urls() -> dict[str, dict[str, str]]:
    urls: dict[str, dict[str, str]] = {}
    for broker, variables in BROKER_URL_VARIABLES.items():
        for key, variable in variables.items():
            value = (os.environ.get(variable) or "").strip()
            if value:
                if not value.startswith(("https://", "http://")):
                    raise ConfigError(f"{variable} must be an http(s) URL, not {value!r}")
                urls.setdefault(broker, {})[key] = value.rstrip("/")
    return urls


def _development_encryption_key() -> str:
    """A per-checkout Fernet key kept under instance/ so local secrets survive restarts."""
    from cryptography.fernet import Fernet

    key_file = INSTANCE_DIR / "development-encryption.key"
    if key_file.exists():
        return key_file.read_text().strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None = None) -> Config:
    """Build the named configuration (default: PORTCULLIS_ENV, else development) and validate it."""
    name = name or os.environ.get("PORTCULLIS_ENV") or "development"
    if name == "development":
        from dotenv import load_dotenv

        load_dotenv(BASE_DIR / ".env")
    try:
        config_class = CONFIGS[name]
    except KeyError:
        raise ConfigError(
            f"unknown configuration {name!r}; choose one of {', '.join(CONFIGS)}"
        ) from None
    config = config_class()
    config.validate()
    return config
