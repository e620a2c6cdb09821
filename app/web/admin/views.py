"""Admin pages: users and their modes, limits and KYC; the kill switch; compliance; the audit log; health."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import wraps

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.domain.errors import Forbidden, PortcullisError
from app.extensions import db
from app.models import JobRun, Quote, RiskLimits, User
from app.services import admin, compliance_review, order_queries
from app.services.broker_health import broker_call_summary
from app.services.job_runs import job_health
from app.services.platform import platform_settings
from app.services.pretrade_context import effective_limits
from app.web.admin.forms import FlagForm, KillSwitchForm, KycForm, ModeForm, ReasonForm
from app.web.dashboard.forms import ActionForm
from app.web.forms import flash_refusal

bp = Blueprint("admin", __name__, url_prefix="/admin")


def admins_only(view):
    """Signed-in admins only: anyone else gets a 403 page (or JSON), never a hint of what is here."""

    @wraps(view)
    @login_required
    def guarded(*args, **kwargs):
        if not current_user.is_admin:
            raise Forbidden("ADMIN_REQUIRED", "Only an admin may open this page.")
        return view(*args, **kwargs)

    return guarded


def _actor() -> User:
    return current_user._get_current_object()


def _done(message: str, endpoint: str, **values):
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


@bp.route("/")
@admins_only
def users():
    rows = db.session.scalars(select(User).order_by(User.id)).all()
    return render_template("admin/users.html", users=rows, settings=platform_settings())


@bp.route("/users/<int:user_id>")
@admins_only
def user(user_id: int):
    target = admin.get_user(user_id)
    return render_template(
        "admin/user.html", target=target, limits=effective_limits(target), fields=RiskLimits.LIMIT_FIELDS,
        defaults=current_app.config["DEFAULT_RISK_LIMITS"], mode_form=ModeForm(), reason_form=ReasonForm(),
        kyc_form=KycForm(status=target.kyc_status.value), action_form=ActionForm(),
    )


def _act(user_id: int, form, action):
    """Run one admin action on a user; a refusal comes back as a message on the user's page."""
    if not form.validate_on_submit():
        flash("; ".join(f"{name}: {', '.join(errors)}" for name, errors in form.errors.items()), "error")
        return redirect(url_for("admin.user", user_id=user_id))
    target = admin.get_user(user_id)  # an unknown user is a 404, not a message
    try:
        message = action(target)
    except PortcullisError as error:
        flash(f"{error.code}: {error.message}", "error")
        return redirect(url_for("admin.user", user_id=user_id))
    return _done(message, "admin.user", user_id=user_id)


@bp.post("/users/<int:user_id>/mode")
@admins_only
def switch_mode(user_id: int):
    form = ModeForm()

    def act(target):
        admin.switch_mode(_actor(), target, form.mode.data, form.reason.data, form.password.data, form.totp.data)
        return f"{target.email} now trades {form.mode.data}."

    return _act(user_id, form, act)


@bp.post("/users/<int:user_id>/halt")
@admins_only
def halt(user_id: int):
    form = ReasonForm()

    def act(target):
        admin.halt_user(_actor(), target, form.reason.data)
        return f"{target.email} halted."

    return _act(user_id, form, act)


@bp.post("/users/<int:user_id>/resume")
@admins_only
def resume(user_id: int):
    form = ReasonForm()

    def act(target):
        admin.resume_user(_actor(), target, form.reason.data)
        return f"{target.email} resumed."

    return _act(user_id, form, act)


@bp.post("/users/<int:user_id>/kyc")
@admins_only
def kyc(user_id: int):
    form = KycForm()

    def act(target):
        admin.set_kyc(_actor(), target, form.status.data, form.reason.data)
        return f"KYC for {target.email}: {form.status.data}."

    return _act(user_id, form, act)


@bp.post("/users/<int:user_id>/limits")
@admins_only
def limits(user_id: int):
    # Every field is sent; an empty one returns that limit to the platform default.
    changes = {name: (request.form.get(name) or None) for name in RiskLimits.LIMIT_FIELDS}

    def act(target):
        admin.set_limits(_actor(), target, changes)
        return "Limits saved."

    return _act(user_id, ActionForm(), act)


@bp.route("/kill-switch", methods=["GET", "POST"])
@admins_only
def kill_switch():
    form, settings = KillSwitchForm(), platform_settings()
    if form.validate_on_submit():
        engage = not settings.kill_switch_engaged
        try:
            summary = admin.set_kill_switch(
                _actor(), engage, form.reason.data, cancel_open_orders=form.cancel_open_orders.data,
                flatten=form.flatten.data, password=form.password.data, totp=form.totp.data,
            )
        except PortcullisError as error:
            flash(f"{error.code}: {error.message}", "error")
        else:
            state = "ENGAGED: live order flow is stopped" if engage else "released"
            return _done(f"Kill switch {state}. Cancelled {summary['cancelled']}, flatten orders "
                         f"{summary['flatten_orders']}, failures {len(summary['cancel_failures']) + len(summary['flatten_failures'])}.",
                         "admin.kill_switch")
    return render_template("admin/kill_switch.html", form=form, settings=settings), (422 if form.errors else 200)


@bp.route("/compliance")
@admins_only
def compliance():
    return render_template("admin/compliance.html", flags=compliance_review.open_flags(), form=FlagForm())


@bp.post("/compliance/<int:flag_id>")
@admins_only
def close_flag(flag_id: int):
    form = FlagForm()
    if form.validate_on_submit():
        try:
            compliance_review.resolve_flag(_actor(), flag_id, form.outcome.data, form.note.data)
            return _done("Flag closed.", "admin.compliance")
        except PortcullisError as error:
            flash_refusal(error)
    else:
        flash("Choose an outcome and write what was found.", "error")
    return redirect(url_for("admin.compliance"))


@bp.route("/audit")
@admins_only
def audit():
    args = request.args
    try:
        events = order_queries.audit_trail(action=args.get("action"), user_id=args.get("user_id"),
                                           actor_id=args.get("actor_id"), before_id=args.get("before_id"),
                                           limit=args.get("limit"))
    except PortcullisError as error:
        flash(error.message, "error")
        events = []
    return render_template("admin/audit.html", events=events, filters=args)


@bp.route("/health")
@admins_only
def health():
    now = datetime.now(timezone.utc)
    stale_after = current_app.config["STALE_QUOTE_SECONDS"]
    count, oldest, newest = db.session.execute(select(func.count(), func.min(Quote.as_of), func.max(Quote.as_of))).one()
    stale = db.session.scalar(
        select(func.count()).select_from(Quote).where(Quote.as_of < now - timedelta(seconds=stale_after))
    )
    runs = db.session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(20)).all()
    return render_template("admin/health.html", jobs=job_health(now), runs=runs, brokers=broker_call_summary(),
                           quotes={"count": count, "oldest": oldest, "newest": newest, "stale": stale},
                           stale_after=stale_after)
