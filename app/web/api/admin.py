"""JSON API v1 for admins: users, modes, limits, halts, the kill switch and the audit trail."""
from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from app.domain.errors import Forbidden
from app.extensions import db
from app.models import User
from app.services import admin
from app.services.order_queries import audit_trail
from app.web.api.serializers import audit_json, user_json, values_json
from app.web.api.views import bp, json_body


def _admin() -> User:
    if not g.api_user.is_admin:
        raise Forbidden("ADMIN_REQUIRED", "Only an admin may do this.")
    return g.api_user


@bp.get("/admin/users")
def admin_users():
    _admin()
    return jsonify(users=[user_json(u) for u in db.session.scalars(select(User).order_by(User.id))])


@bp.post("/admin/users/<int:user_id>/mode")
def admin_switch_mode(user_id: int):
    actor, body = _admin(), json_body()
    target = admin.get_user(user_id)
    admin.switch_mode(actor, target, body.get("mode"), body.get("reason"), body.get("password"), body.get("totp"))
    return jsonify(user=user_json(target))


@bp.put("/admin/users/<int:user_id>/limits")
def admin_limits(user_id: int):
    actor, body = _admin(), json_body()
    return jsonify(limits=values_json(admin.set_limits(actor, admin.get_user(user_id), body)))


@bp.post("/admin/users/<int:user_id>/halt")
def admin_halt(user_id: int):
    actor, body = _admin(), json_body()
    target = admin.get_user(user_id)
    admin.halt_user(actor, target, body.get("reason"))
    return jsonify(user=user_json(target))


@bp.post("/admin/users/<int:user_id>/resume")
def admin_resume(user_id: int):
    actor, body = _admin(), json_body()
    target = admin.get_user(user_id)
    admin.resume_user(actor, target, body.get("reason"))
    return jsonify(user=user_json(target))


@bp.post("/admin/kill-switch")
def admin_kill_switch():
    actor, body = _admin(), json_body()
    summary = admin.set_kill_switch(
        actor, body.get("engaged"), body.get("reason"), cancel_open_orders=body.get("cancel_open_orders") is True,
        flatten=body.get("flatten") is True, password=body.get("password"), totp=body.get("totp"),
    )
    return jsonify(summary)


@bp.get("/admin/audit")
def admin_audit():
    _admin()
    args = request.args
    events = audit_trail(action=args.get("action"), user_id=args.get("user_id"), actor_id=args.get("actor_id"),
                         before_id=args.get("before_id"), limit=args.get("limit"))
    return jsonify(events=[audit_json(e) for e in events])
