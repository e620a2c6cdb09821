"""The Portcullis application factory."""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config, load_config


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build the app for `config_name` (default: PORTCULLIS_ENV, else development).

    No database work or network calls happen here: migrations run in the
    release phase and seeding is a CLI command.
    """
    config = load_config(config_name)
    app = Flask(__name__, instance_relative_config=True)
    register_config(app, config, overrides)
    register_observability(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_proxy_fix(app)
    return app


def register_config(app: Flask, config: Config, overrides: dict | None) -> None:
    app.config.update({key: getattr(config, key) for key in dir(config) if key.isupper()})
    if overrides:
        app.config.update(overrides)
    app.config["ENV_NAME"] = config.ENV_NAME


def register_observability(app: Flask) -> None:
    from app.observability import configure_logging, init_sentry

    configure_logging(app.config["LOG_LEVEL"])
    init_sentry(
        app.config["SENTRY_DSN"], app.config["SENTRY_ENVIRONMENT"], app.config["SENTRY_TRACES_SAMPLE_RATE"]
    )


def register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (registers every table on the metadata)
    from app.extensions import csrf, db, limiter, login_manager, migrate
    from app.services.auth import load_session_user

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        from pathlib import Path

        Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True)
    # CSRF is checked for every write except API calls that carry a bearer token: a token is not
    # sent by the browser on its own, so it cannot be forged across sites the way a cookie can.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)

    @app.teardown_request
    def record_broker_calls(error=None):
        from app.services.broker_health import flush_recorded_calls

        flush_recorded_calls()

    @app.before_request
    def tag_errors_with_the_user():
        from flask_login import current_user

        from app.observability import tag

        if app.config["SENTRY_DSN"] and current_user.is_authenticated:
            tag(user_id=current_user.id)

    @app.before_request
    def protect_from_csrf():
        from flask import current_app, request

        if not current_app.config["WTF_CSRF_ENABLED"] or request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return
        bearer = request.path.startswith("/api/") and request.headers.get("Authorization", "").startswith("Bearer ")
        if not bearer:
            csrf.protect()
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_session_user)


def register_blueprints(app: Flask) -> None:
    from app.web.api import admin as api_admin_routes  # noqa: F401  (adds the admin routes to the API blueprint)
    from app.web.admin.views import bp as admin_bp
    from app.web.api.views import bp as api_bp
    from app.web.auth.views import bp as auth_bp
    from app.web.dashboard import settings as dashboard_settings  # noqa: F401  (adds the settings pages to dashboard)
    from app.web.dashboard.views import bp as dashboard_bp
    from app.web.health.views import bp as health_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(admin_bp)


def register_errorhandlers(app: Flask) -> None:
    from app.errors import init_error_handlers

    init_error_handlers(app)


def register_commands(app: Flask) -> None:
    from app.cli import register_cli

    register_cli(app)


def register_proxy_fix(app: Flask) -> None:
    # Behind Heroku's or Railway's router the scheme and client address come in X-Forwarded-*.
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
