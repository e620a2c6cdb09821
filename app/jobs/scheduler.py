"""APScheduler under a leader lock: however many schedulers start, exactly one runs the jobs."""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from app.jobs.leader import leader_lock_for
from app.jobs.tasks import TASKS
from app.services.job_runs import JOB_INTERVALS

log = logging.getLogger(__name__)


def _run_in_app(app: Flask, name: str) -> None:
    with app.app_context():
        TASKS[name]()


def build_scheduler(app: Flask) -> BackgroundScheduler:
    """Every job on its configured interval; a late run is coalesced, never doubled or queued up."""
    scheduler = BackgroundScheduler(
        timezone=timezone.utc,
        # Two jobs at a time: a slow broker in one never stalls the rest, and five jobs starting together
        # never hold five working sets (and five database connections) at once.
        executors={"default": ThreadPoolExecutor(max_workers=2)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": app.config["JOB_MISFIRE_GRACE_SECONDS"],
        },
    )
    now = datetime.now(timezone.utc)
    for name, setting in JOB_INTERVALS.items():
        scheduler.add_job(_run_in_app, "interval", seconds=app.config[setting], args=[app, name], id=name,
                          name=name, next_run_time=now)
    return scheduler


def run_scheduler(app: Flask, stop: threading.Event) -> None:
    """Wait for the leader lock, run the jobs while it is held, and step down if it is lost."""
    lock = leader_lock_for(app.config["SQLALCHEMY_DATABASE_URI"])
    poll = app.config["LEADER_POLL_SECONDS"]
    scheduler: BackgroundScheduler | None = None
    try:
        while not stop.is_set():
            if scheduler is None and lock.acquire():
                log.info("scheduler: leader lock acquired; starting jobs")
                scheduler = build_scheduler(app)
                scheduler.start()
            elif scheduler is not None and not lock.still_held():
                log.error("scheduler: leader lock lost; stopping jobs")
                scheduler.shutdown(wait=False)
                scheduler = None
            stop.wait(poll)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        lock.release()
        log.info("scheduler: stopped")


def start_in_background(app: Flask) -> threading.Event:
    """Development only: the scheduler in a daemon thread of the web process."""
    stop = threading.Event()
    threading.Thread(target=run_scheduler, args=(app, stop), name="scheduler", daemon=True).start()
    return stop
