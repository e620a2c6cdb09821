"""Liveness and readiness probes for the platform's router and operators."""
from flask import Blueprint, jsonify

from app.services.health import readiness

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    """The process is up; touches nothing else, so the router's probe stays cheap."""
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    """Whether the app can serve: the database answers."""
    report = readiness()
    return jsonify(report), (200 if report["status"] == "ok" else 503)
