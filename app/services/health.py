"""Readiness: what must work for the app to serve traffic."""
from app.extensions import db
from app.observability import database_check


def readiness() -> dict:
    """Each check's result and an overall status of ok or unavailable."""
    checks = {"database": database_check(db.session)}
    status = "ok" if all(check["ok"] for check in checks.values()) else "unavailable"
    return {"status": status, "checks": checks}
