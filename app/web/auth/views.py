"""Register, log in, log out and change password."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.domain.errors import PortcullisError
from app.extensions import limiter
from app.services import auth as auth_service
from app.services import users as user_service
from app.web.auth.forms import ChangePasswordForm, LoginForm, LogoutForm, RegisterForm
from app.web.forms import attach_error

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_account_key() -> str:
    # A second bucket per targeted account, so spreading guesses over many addresses does not help.
    return "login-account:" + (request.form.get("email") or "").strip().lower()[:254]


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so the login form is no open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("dashboard.index")


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create a trader account and sign it in."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = user_service.create_user(form.email.data, form.password.data)
        except PortcullisError as error:
            attach_error(form, error)
        else:
            login_user(user)
            flash("Welcome to Portcullis. You are trading on paper.", "success")
            return redirect(url_for("dashboard.index"))
    return render_template("auth/register.html", form=form), (422 if form.errors else 200)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, key_func=_login_account_key, methods=["POST"])
def login():
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = auth_service.authenticate(form.email.data, form.password.data)
        except PortcullisError as error:
            attach_error(form, error)
        else:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), (422 if form.errors else 200)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End this session and every other copy of it."""
    if LogoutForm().validate_on_submit():
        auth_service.end_all_sessions(current_user._get_current_object())
        logout_user()
        flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change the password; other devices are signed out."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            auth_service.change_password(user, form.current_password.data, form.new_password.data)
        except PortcullisError as error:
            attach_error(form, error)
        else:
            # The session version moved on; sign this device in again under it.
            login_user(user)
            flash("Password changed. Other devices have been signed out.", "success")
            return redirect(url_for("dashboard.index"))
    return render_template("auth/change_password.html", form=form), (422 if form.errors else 200)
