"""The trader's settings: two-factor authentication, the risk disclosure, limits, API tokens and connections."""
from __future__ import annotations

import io

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from app.domain.errors import PortcullisError
from app.security import totp_provisioning_uri
from app.services import accounts, admin, api_tokens, kite_login, notifications, two_factor
from app.services.connection_check import check_connection
from app.services.credentials import read_totp_secret
from app.services.pretrade_context import effective_limits
from app.web.dashboard.forms import (
    ActionForm,
    ChannelForm,
    ConnectionForm,
    DisclosureForm,
    LimitsForm,
    TokenForm,
    TotpForm,
)
from app.web.dashboard.views import bp
from app.web.forms import attach_error, attempt, flash_refusal

def _user():
    return current_user._get_current_object()


def _qr_svg(uri: str) -> Markup:
    # Imported here: only the 2FA enrolment page draws a QR code, and segno costs every process 11 MB.
    import segno

    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, xmldecl=False, svgns=True)
    return Markup(buffer.getvalue().decode())


@bp.route("/settings")
@login_required
def settings():
    return _settings_page()


def _settings_page(new_token: str | None = None, status: int = 200):
    user = _user()
    return render_template(
        "dashboard/settings.html", totp_form=TotpForm(), disclosure_form=DisclosureForm(), limits_form=LimitsForm(),
        token_form=TokenForm(), action_form=ActionForm(), tokens=api_tokens.list_tokens(user),
        channel_form=ChannelForm(), channels=notifications.list_channels(user), events=notifications.EVENTS,
        new_token=new_token, limits=effective_limits(user),
        disclosure_current=two_factor.disclosure_is_current(user),
        disclosure_version=current_app.config["RISK_DISCLOSURE_VERSION"],
    ), status


@bp.route("/settings/2fa", methods=["GET", "POST"])
@login_required
def enrol_2fa():
    """A fresh secret shown as a QR code; two-factor is on once a code from it is accepted.

    The pending secret stays encrypted in the database, never in the (signed, not encrypted) session cookie.
    """
    user, form = _user(), TotpForm()
    if user.has_2fa:
        return redirect(url_for("dashboard.settings"))
    if request.method == "POST" and form.validate_on_submit():
        try:
            two_factor.confirm_enrolment(user, form.code.data)
            flash("Two-factor authentication is on.", "success")
            return redirect(url_for("dashboard.settings"))
        except PortcullisError as error:
            attach_error(form, error)
    if request.method == "GET" or read_totp_secret(user) is None:
        secret, uri = two_factor.begin_enrolment(user)
    else:
        secret = read_totp_secret(user)
        uri = totp_provisioning_uri(secret, user.email)
    return render_template("dashboard/enrol_2fa.html", form=form, qr=_qr_svg(uri), secret=secret), \
        (422 if form.errors else 200)


@bp.post("/settings/disclosure")
@login_required
def accept_disclosure():
    form = DisclosureForm()
    if form.validate_on_submit():
        two_factor.accept_risk_disclosure(_user())
        flash("Risk disclosure accepted.", "success")
    else:
        flash("Tick the box to accept the risk disclosure.", "error")
    return redirect(url_for("dashboard.settings"))


@bp.post("/settings/limits")
@login_required
def personal_limits():
    form = LimitsForm()
    if form.validate_on_submit() and form.changes():
        attempt(lambda: admin.set_personal_limits(_user(), form.changes()), "Your limits are stricter now.")
    return redirect(url_for("dashboard.settings"))


@bp.post("/settings/tokens")
@login_required
def new_token():
    """The token is shown in this response and nowhere else: it never rests in a cookie or a log."""
    form = TokenForm()
    if form.validate_on_submit():
        try:
            plaintext, _ = api_tokens.create_token(_user(), form.name.data)
        except PortcullisError as error:
            flash_refusal(error)
        else:
            return _settings_page(new_token=plaintext, status=201)
    return redirect(url_for("dashboard.settings"))


@bp.post("/settings/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    if ActionForm().validate_on_submit():
        attempt(lambda: api_tokens.revoke_token(_user(), token_id), "Token revoked.")
    return redirect(url_for("dashboard.settings"))


@bp.route("/connections", methods=["GET", "POST"])
@login_required
def connections():
    """Add an account at any broker and environment; keys are write-only and never shown back."""
    user, form = _user(), ConnectionForm()
    if form.validate_on_submit():
        try:
            connection = accounts.create_connection(user, form.broker.data, form.environment.data, form.label.data,
                                                    form.credentials(), form.proxy_url.data or None)
            flash(f"Connection {connection.label} added.", "success")
            return redirect(url_for("dashboard.connections"))
        except PortcullisError as error:
            attach_error(form, error)
    return render_template("dashboard/connections.html", form=form, action_form=ActionForm(),
                           connections=accounts.list_connections(user)), (422 if form.errors else 200)


@bp.post("/connections/<int:connection_id>/test")
@login_required
def test_connection(connection_id: int):
    if ActionForm().validate_on_submit():
        try:
            result = check_connection(accounts.get_connection(_user(), connection_id))
            flash(f"{result.code}: {result.message}" + (f" Buying power {result.buying_power} {result.currency}."
                                                         if result.ok else ""), "success" if result.ok else "error")
        except PortcullisError as error:
            flash_refusal(error)
    return redirect(url_for("dashboard.connections"))


@bp.post("/connections/<int:connection_id>/remove")
@login_required
def remove_connection(connection_id: int):
    if ActionForm().validate_on_submit():
        attempt(lambda: accounts.remove_connection(_user(), connection_id), "Connection removed, with its keys.")
    return redirect(url_for("dashboard.connections"))


@bp.post("/connections/<int:connection_id>/kite-login")
@login_required
def kite_login_start(connection_id: int):
    """Send the user to Kite; Kite sends them back to the callback with a request token."""
    if not ActionForm().validate_on_submit():
        return redirect(url_for("dashboard.connections"))
    try:
        connection = accounts.get_connection(_user(), connection_id)
        session["kite_connection_id"] = connection.id
        return redirect(kite_login.login_url(connection, {"connection_id": str(connection.id)}))
    except PortcullisError as error:
        flash_refusal(error)
        return redirect(url_for("dashboard.connections"))


@bp.route("/connections/kite/callback")
@login_required
def kite_login_callback():
    """Kite's redirect: ?request_token=...&status=success (and our connection_id echoed back)."""
    connection_id = request.args.get("connection_id") or session.pop("kite_connection_id", None)
    try:
        connection = accounts.get_connection(_user(), connection_id)
        if request.args.get("status", "success") != "success":
            flash("Kite login was not completed.", "error")
        else:
            kite_login.complete_login(connection, request.args.get("request_token"), actor_id=_user().id)
            flash("Logged in to Kite for today.", "success")
    except PortcullisError as error:
        flash_refusal(error)
    return redirect(url_for("dashboard.connections"))


@bp.post("/settings/channels")
@login_required
def add_channel():
    """A channel and the events it should carry; its token or webhook is stored encrypted."""
    form = ChannelForm()
    if form.validate_on_submit():
        attempt(lambda: notifications.add_channel(_user(), form.kind.data, form.label.data or "", form.settings(),
                                                  request.form.getlist("events")),
                "Channel added; alerts are sent within seconds of the event.")
    return redirect(url_for("dashboard.settings"))


@bp.post("/settings/channels/<int:channel_id>/remove")
@login_required
def remove_channel(channel_id: int):
    if ActionForm().validate_on_submit():
        notifications.remove_channel(_user(), channel_id)
        flash("Channel removed.", "info")
    return redirect(url_for("dashboard.settings"))
