"""Jobs record their runs, /readyz reads them, and exactly one scheduler leads."""
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.domain.enums import JobOutcome
from app.extensions import db
from app.jobs.leader import FileLock
from app.jobs.scheduler import build_scheduler
from app.models import JobRun
from app.services.job_runs import JOB_INTERVALS, job_health, record_run

ROOT = Path(__file__).resolve().parents[2]


def test_a_run_is_recorded_with_duration_outcome_and_counts(app):
    run = record_run("refresh_prices", lambda: {"symbols": 3, "degraded": ["x"]})
    assert run.outcome == JobOutcome.SUCCESS and run.counts == {"symbols": 3, "degraded": 1}
    assert run.duration_ms >= 0 and run.finished_at >= run.started_at and ":" in run.runner


def test_a_failing_job_is_recorded_not_raised_and_secrets_are_scrubbed(app):
    def broken():
        raise RuntimeError("token=abcdef123456 expired")

    run = record_run("reconcile_orders", broken)
    assert run.outcome == JobOutcome.FAILED and "RuntimeError" in run.error and "abcdef123456" not in run.error


def test_every_real_job_runs_and_is_recorded(runner):
    for name in JOB_INTERVALS:
        result = runner.invoke(args=["scheduler", "--once", name])
        assert result.exit_code == 0, result.output
        assert f"{name}: success" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == len(JOB_INTERVALS) == 5


def test_jobs_are_coalesced_single_and_on_their_configured_intervals(app_factory):
    app = app_factory(PRICE_REFRESH_SECONDS=45, MONITOR_SECONDS=90)
    scheduler = build_scheduler(app)
    scheduler.start(paused=True)  # defaults are applied when the scheduler starts
    jobs = {job.id: job for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    assert set(jobs) == set(JOB_INTERVALS)
    assert jobs["refresh_prices"].trigger.interval == timedelta(seconds=45)
    assert jobs["monitor_positions"].trigger.interval == timedelta(seconds=90)
    assert all(job.coalesce and job.max_instances == 1 and job.misfire_grace_time == 30 for job in jobs.values())


def _ran(job_name, seconds_ago, outcome=JobOutcome.SUCCESS):
    finished = datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)
    db.session.add(JobRun(job_name=job_name, started_at=finished, finished_at=finished, outcome=outcome, counts={}))
    db.session.commit()


def test_readyz_turns_unhealthy_when_a_job_is_overdue(app_factory):
    app = app_factory(READYZ_CHECK_JOBS=True)
    client = app.test_client()
    with app.app_context():
        for name in JOB_INTERVALS:
            _ran(name, 10)
        healthy = client.get("/readyz")
        assert healthy.status_code == 200
        assert healthy.get_json()["checks"]["jobs"]["reconcile_orders"]["last_success_age_seconds"] >= 10
        _ran("reconcile_orders", 0, outcome=JobOutcome.FAILED)  # a failure is no sign of life
        db.session.execute(sa.text("DELETE FROM job_runs WHERE job_name = 'reconcile_orders' AND outcome = 'success'"))
        db.session.commit()
        _ran("reconcile_orders", 600)  # every minute, last good run ten minutes ago
        missed = client.get("/readyz")
        assert missed.status_code == 503
        assert missed.get_json()["checks"]["jobs"]["reconcile_orders"]["overdue"] is True
        assert job_health()["refresh_prices"]["overdue"] is False


def test_a_second_file_lock_waits_until_the_first_is_released(tmp_path):
    first, second = FileLock(tmp_path / "leader.lock"), FileLock(tmp_path / "leader.lock")
    assert first.acquire() and not second.acquire()
    first.release()
    assert second.acquire() and second.still_held()
    second.release()


def _start_scheduler(database_url: str) -> subprocess.Popen:
    env = {**os.environ, "PORTCULLIS_ENV": "testing", "TEST_DATABASE_URL": database_url, "LEADER_POLL_SECONDS": "0.5",
           "PRICE_REFRESH_SECONDS": "1", "MONITOR_SECONDS": "1", "RECONCILE_SECONDS": "1", "SNAPSHOT_SECONDS": "1",
           "LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def _runners(since_id: int = 0) -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(sa.select(JobRun.runner).where(JobRun.id > since_id)))


def _wait_for(predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.25)
    return predicate()


def test_two_schedulers_elect_one_leader_and_the_other_takes_over(app, database_url, is_postgres):
    if not is_postgres:
        pytest.skip("leader election across processes is tested on PostgreSQL's advisory lock")
    processes = [_start_scheduler(database_url), _start_scheduler(database_url)]
    try:
        assert _wait_for(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(JobRun)) >= 8, 30), \
            [p.stderr.read1(4000) if p.poll() is not None else "" for p in processes]
        time.sleep(2)
        leaders = _runners()
        assert len(leaders) == 1, f"more than one scheduler ran jobs: {leaders}"
        leader_pid = int(next(iter(leaders)).rsplit(":", 1)[1])
        leader = next(p for p in processes if p.pid == leader_pid)
        last_id = db.session.scalar(sa.select(sa.func.max(JobRun.id)))

        os.killpg(leader.pid, signal.SIGKILL)  # dies without releasing anything
        leader.wait(timeout=10)
        took_over = _wait_for(lambda: _runners(last_id) - leaders, 60)
        assert took_over, "the surviving scheduler did not take over within a minute"
        assert _runners(last_id) <= leaders | took_over
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)


def test_the_scheduler_command_stops_cleanly_on_sigterm(app, database_url):
    process = _start_scheduler(database_url)
    try:
        assert _wait_for(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(JobRun)) >= 1, 30)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(timeout=30) == 0, process.stderr.read().decode()[-2000:]
