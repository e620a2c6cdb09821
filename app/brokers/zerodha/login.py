"""Kite's daily login: the browser URL, the checksum, and the request_token -> access_token exchange."""
from __future__ import annotations

import hashlib
import re
from datetime import datetime
from urllib.parse import urlencode

from app.brokers.base import InvalidRequest
from app.brokers.http import HttpOptions, Redactor
from app.brokers.parsing import require_dict, text_field
from app.brokers.zerodha import mapping
from app.brokers.zerodha.client import BASE_URLS, GENERAL, kite_http

API_URL = BASE_URLS["live"]
LOGIN_URL = BASE_URLS["login"]
_REQUEST_TOKEN = re.compile(r"[A-Za-z0-9]+")


def login_url(api_key: str, base_login_url: str = LOGIN_URL, redirect_params: dict | None = None) -> str:
    """Where to send the user to log in; Kite redirects back with `request_token` (and echoes redirect_params)."""
    query = {"v": "3", "api_key": api_key}
    if redirect_params:
        query["redirect_params"] = urlencode(redirect_params)
    return f"{base_login_url}?{urlencode(query)}"


def session_checksum(api_key: str, request_token: str, api_secret: str) -> str:
    """sha256(api_key + request_token + api_secret): proves we hold the secret without sending it."""
    return hashlib.sha256(f"{api_key}{request_token}{api_secret}".encode()).hexdigest()


def exchange_request_token(api_key: str, api_secret: str, request_token: str, *,
                           base_url: str = API_URL, options: HttpOptions | None = None) -> dict:
    """POST /session/token: the day's access token and who logged in.

    Returns {"access_token", "user_id", "user_name", "login_time"} with login_time
    an aware UTC datetime (or None). A refused token or checksum is an AuthError.
    A request_token is single-use, so the call is never retried.
    """
    if not api_key or not api_secret:
        raise InvalidRequest("Kite login needs api_key and api_secret", broker_code="MISSING_CREDENTIALS")
    if not isinstance(request_token, str) or not _REQUEST_TOKEN.fullmatch(request_token):
        raise InvalidRequest("the request_token from Kite's redirect is missing or garbled",
                             broker_code="BAD_REQUEST_TOKEN")
    checksum = session_checksum(api_key, request_token, api_secret)
    secrets = (api_secret, request_token, checksum)
    # No Authorization header: there is no session yet.
    http = kite_http(api_key, base_url, options, secrets, {})
    body = http.request(
        "POST", "/session/token", operation="session_token", bucket=GENERAL,
        data={"api_key": api_key, "request_token": request_token, "checksum": checksum},
    )
    data = require_dict(mapping.unwrap(body, "session_token", Redactor(secrets)), "Kite session")
    login_time: datetime | None = mapping.ist_time(data.get("login_time"), "Kite session.login_time")
    return {
        "access_token": text_field(data, "access_token", "Kite session"),
        "user_id": text_field(data, "user_id", "Kite session"),
        "user_name": str(data.get("user_name") or ""),
        "login_time": login_time,
    }

