"""Error handlers: JSON for the API and probes, pages for the browser; rollback on 500."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.domain.errors import PortcullisError
from app.extensions import db

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: "UNAVAILABLE",
}


def wants_json() -> bool:
    """API and probe paths always get JSON; a browser gets a page."""
    if request.path.startswith("/api/") or request.path in ("/healthz", "/readyz"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(status: int, code: str, message: str, **extra):
    """One error shape everywhere: {"error": {"code", "message", ...}}."""
    if wants_json():
        body = {"error": {"code": code, "message": message, **extra}}
        return jsonify(body), status
    title = {404: "Not found", 403: "Forbidden", 429: "Slow down"}.get(status, "Something went wrong")
    return render_template("errors/error.html", status=status, title=title, message=message), status


def init_error_handlers(app: Flask) -> None:
    @app.errorhandler(PortcullisError)
    def handle_portcullis_error(error: PortcullisError):
        db.session.rollback()
        extra = {"field": error.field} if error.field else {}
        if error.details:
            extra["details"] = error.details
        return error_response(error.http_status, error.code, error.message, **extra)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError):
        return error_response(400, "CSRF_FAILED", "The form expired or was not sent by this site; reload and try again.")

    @app.errorhandler(RateLimitExceeded)
    def handle_rate_limited(error: RateLimitExceeded):
        return error_response(429, "RATE_LIMITED", f"Too many requests: limit is {error.description}. Try again shortly.")

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        status = error.code or 500
        return error_response(status, HTTP_CODES.get(status, "HTTP_ERROR"), error.description or error.name)

    # Registered for 500 rather than Exception: Flask then still signals got_request_exception,
    # which is how Sentry hears of the error.
    @app.errorhandler(InternalServerError)
    def handle_unexpected(error: InternalServerError):
        # Never leave a half-written transaction behind for the next request on this connection.
        db.session.rollback()
        original = getattr(error, "original_exception", None) or error
        log.error("unhandled error on %s %s", request.method, request.path, exc_info=original)
        return error_response(500, "INTERNAL_ERROR", "An unexpected error occurred; it has been logged.")
