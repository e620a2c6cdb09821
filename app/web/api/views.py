"""JSON API v1 for traders: token (or session) auth, JSON in and out, one error shape."""
from __future__ import annotations

import json
from decimal import Decimal

from flask import Blueprint, current_app, g, jsonify, request
from flask_login import current_user

from app.domain.enums import OrderSource
from app.domain.errors import InvalidInput, Unauthenticated
from app.extensions import limiter
from app.services import account_overview, accounts, order_queries, portfolio
from app.services.api_tokens import user_for_token
from app.services.connection_check import check_connection
from app.services.order_pipeline import cancel_order, submit_order
from app.web.api.serializers import connection_json, order_json, position_json, values_json

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _rate_key() -> str:
    user = getattr(g, "api_user", None)
    return f"api-user:{user.id}" if user is not None else f"api-ip:{request.remote_addr}"


limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_rate_key)(bp)


@bp.before_request
def authenticate() -> None:
    """A bearer token, or the browser's own session (whose writes then need the CSRF token)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user = user_for_token(header.removeprefix("Bearer ").strip())
        if user is None:
            raise Unauthenticated("INVALID_TOKEN", "The API token is unknown or revoked.")
        g.api_user = user
    elif current_user.is_authenticated:
        g.api_user = current_user._get_current_object()
    else:
        raise Unauthenticated("UNAUTHENTICATED", "Send Authorization: Bearer <token>.")


def json_body() -> dict:
    """The request's JSON object, with numbers read as exact decimals."""
    try:
        body = json.loads(request.get_data(as_text=True) or "null", parse_float=Decimal)
    except ValueError:
        raise InvalidInput("INVALID_JSON", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise InvalidInput("INVALID_BODY", "The body must be a JSON object.")
    return body


def _connection():
    """The connection named by ?connection_id=, else the paper simulator."""
    raw = request.args.get("connection_id")
    if raw:
        return accounts.get_connection(g.api_user, raw)
    return accounts.default_connection(g.api_user)


@bp.get("/account")
def account():
    return jsonify(values_json(account_overview.account_summary(g.api_user, _connection())))


@bp.get("/positions")
def positions():
    return jsonify(positions=[position_json(p) for p in portfolio.mark_to_market(g.api_user).positions])


@bp.get("/orders")
def orders():
    rows = order_queries.list_orders(g.api_user, request.args.get("status"), request.args.get("limit"))
    return jsonify(orders=[order_json(o) for o in rows])


@bp.post("/orders")
@limiter.limit(lambda: current_app.config["API_ORDER_RATE_LIMIT"], key_func=_rate_key)
def place_order():
    """201 accepted; 400 malformed; 409 duplicate; 422 denied (stored); 428 confirm; 423 halted."""
    result = submit_order(g.api_user, json_body(), source=OrderSource.API)
    if result.accepted:
        return jsonify(order=order_json(result.order)), 201
    error = {"code": result.code, "message": result.message, "checks": result.checks}
    if result.order is not None:
        error["order_id"] = result.order.id
    return jsonify(error=error), result.http_status


@bp.get("/orders/<int:order_id>")
def order(order_id: int):
    return jsonify(order=order_json(order_queries.get_order(g.api_user, order_id), with_fills=True))


@bp.delete("/orders/<int:order_id>")
def cancel(order_id: int):
    return jsonify(order=order_json(cancel_order(g.api_user, order_id)))


@bp.get("/risk")
def risk():
    rows = account_overview.risk_usage(g.api_user, _connection())
    return jsonify(limits=[values_json(row) for row in rows])


@bp.get("/connections")
def connections():
    return jsonify(connections=[connection_json(c) for c in accounts.list_connections(g.api_user)])


@bp.post("/connections")
def add_connection():
    body = json_body()
    unknown = sorted(set(body) - {"broker", "environment", "label", "credentials", "proxy_url"})
    if unknown:
        raise InvalidInput("UNKNOWN_FIELD", f"Unknown field(s): {', '.join(unknown)}.", field=unknown[0])
    connection = accounts.create_connection(g.api_user, body.get("broker"), body.get("environment"),
                                            body.get("label"), body.get("credentials"), body.get("proxy_url"))
    return jsonify(connection=connection_json(connection)), 201


@bp.post("/connections/<int:connection_id>/test")
def test_connection(connection_id: int):
    result = check_connection(accounts.get_connection(g.api_user, connection_id))
    return jsonify(values_json(result.as_dict())), (200 if result.ok else 422)
