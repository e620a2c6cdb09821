"""The trader's pages: the dashboard, the order ticket, positions' exits and performance."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from app.domain.enums import OrderSource
from app.domain.errors import PortcullisError
from app.services import accounts, account_overview, analytics, order_queries, portfolio
from app.services.order_pipeline import cancel_order, preview_order, submit_order
from app.web.dashboard.forms import ActionForm, ExitRulesForm, OrderForm
from app.web.forms import attach_error, attempt, flash_refusal

bp = Blueprint("dashboard", __name__)


def _user():
    return current_user._get_current_object()


def _selected_connection():
    raw = request.args.get("connection_id")
    return accounts.get_connection(_user(), raw) if raw else accounts.default_connection(_user())


@bp.route("/")
@login_required
def index():
    """Mode, money, limits in use, positions, open orders, fills and the equity curve of one account."""
    user = _user()
    connection = _selected_connection()
    summary, limits, unavailable = None, [], None
    try:
        summary, limits = account_overview.overview(user, connection)
    except PortcullisError as error:
        unavailable = error.message
    return render_template(
        "dashboard/index.html", summary=summary, limits=limits, unavailable=unavailable,
        portfolio=portfolio.mark_to_market(user), open_orders=order_queries.open_orders(user),
        fills=order_queries.recent_fills(user), connections=accounts.list_connections(user),
        connection=connection, curve=analytics.equity_curve(connection.id), action_form=ActionForm(),
        exit_form=ExitRulesForm(),
    )


@bp.route("/order", methods=["GET", "POST"])
@login_required
def order_ticket():
    """Preview runs every check and places nothing; Place sends it through the pipeline."""
    user = _user()
    form = OrderForm()
    form.connection_id.choices = [SelectChoice(str(c.id), f"{c.label} ({c.broker.value} {c.environment.value})")
                                  for c in accounts.list_connections(user)]
    preview, result, status = None, None, 200
    if form.validate_on_submit():
        try:
            if request.form.get("action") == "preview":
                preview = preview_order(user, form.payload())
            else:
                result = submit_order(user, form.payload(), source=OrderSource.DASHBOARD)
                if result.accepted:
                    flash(f"Order {result.order.id} {result.order.status.value}: {result.order.side.value} "
                          f"{result.order.quantity.normalize():f} {result.order.symbol}.", "success")
                    return redirect(url_for("dashboard.index", connection_id=form.connection_id.data))
                status = result.http_status
        except PortcullisError as error:
            attach_error(form, error)
            status = error.http_status
    elif form.errors:
        status = 422
    return render_template("dashboard/order.html", form=form, preview=preview, result=result), status


@bp.post("/orders/<int:order_id>/cancel")
@login_required
def cancel(order_id: int):
    if ActionForm().validate_on_submit():
        try:
            order = cancel_order(_user(), order_id, source=OrderSource.DASHBOARD)
            flash(f"Order {order.id} is {order.status.value}.", "info")
        except PortcullisError as error:
            flash_refusal(error)
    return redirect(request.referrer or url_for("dashboard.index"))


@bp.post("/positions/<int:position_id>/exits")
@login_required
def set_exits(position_id: int):
    form = ExitRulesForm()
    if form.validate_on_submit():
        attempt(lambda: portfolio.set_exit_rules(_user(), position_id, stop_loss=form.stop_loss.data,
                                                 take_profit=form.take_profit.data,
                                                 trailing_stop_percent=form.trailing_stop_percent.data),
                "Exit rules saved; the monitor watches them.")
    return redirect(url_for("dashboard.index"))


@bp.route("/performance")
@login_required
def performance():
    return render_template("dashboard/performance.html", summaries=analytics.performance(_user()))
