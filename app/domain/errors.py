"""Errors that carry a stable code, so callers match on codes and never on prose."""
from __future__ import annotations


class PortcullisError(Exception):
    """Base for every error the platform answers to a person or a script."""

    http_status = 400

    def __init__(self, code: str, message: str, *, field: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.details = details or {}


class InvalidInput(PortcullisError):
    """The request is malformed or a value is out of range."""

    http_status = 400


class Unprocessable(PortcullisError):
    """The request is well-formed but cannot be carried out as asked."""

    http_status = 422


class Conflict(PortcullisError):
    """The request clashes with something that already exists."""

    http_status = 409


class Forbidden(PortcullisError):
    """The caller may not do this."""

    http_status = 403


class NotFound(PortcullisError):
    """Nothing the caller may see exists under that id."""

    http_status = 404


class Unavailable(PortcullisError):
    """Something the request depends on (a broker, usually) cannot be reached now; nothing was done."""

    http_status = 503


class Unauthenticated(PortcullisError):
    """No valid session or API token came with the request."""

    http_status = 401
