"""The scheduled jobs: each calls one service and has its run recorded."""
from __future__ import annotations

from app.services.job_runs import record_run
from app.services.monitor import run_monitor
from app.services.notifications import deliver_pending
from app.services.quote_refresh import refresh_quotes
from app.services.reconciliation import reconcile
from app.services.snapshots import take_close_snapshots


def refresh_prices_job():
    return record_run("refresh_prices", refresh_quotes)


def monitor_positions_job():
    return record_run("monitor_positions", run_monitor)


def reconcile_orders_job():
    return record_run("reconcile_orders", reconcile)


def snapshot_equity_job():
    return record_run("snapshot_equity", take_close_snapshots)


def deliver_notifications_job():
    return record_run("deliver_notifications", deliver_pending)


TASKS = {
    "refresh_prices": refresh_prices_job,
    "monitor_positions": monitor_positions_job,
    "reconcile_orders": reconcile_orders_job,
    "snapshot_equity": snapshot_equity_job,
    "deliver_notifications": deliver_notifications_job,
}
