"""One scheduler runs the jobs however many start: the database lease, the runner's retries, the CLI."""
import threading
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED

from app.extensions import db
from app.jobs import lease
from app.jobs.scheduler import JobRunner, build_scheduler, job_table

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
TTL = timedelta(seconds=90)


@pytest.fixture
def quick_retries(app, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_RETRY_DELAY_SECONDS", 0)


def test_the_lease_has_one_holder_until_it_expires_or_is_released(app):
    assert lease.hold("a", T0, TTL)
    assert not lease.hold("b", T0 + timedelta(seconds=30), TTL)
    assert lease.hold("a", T0 + timedelta(seconds=60), TTL)  # renewed: now until T0+150s
    assert not lease.hold("b", T0 + timedelta(seconds=120), TTL)
    assert lease.holder_of(T0 + timedelta(seconds=120)) == "a"
    assert lease.hold("b", T0 + timedelta(seconds=151), TTL)  # a stopped renewing: b takes over
    assert not lease.hold("a", T0 + timedelta(seconds=152), TTL)
    lease.release("b")
    assert lease.holder_of(T0 + timedelta(seconds=153)) is None
    assert lease.hold("a", T0 + timedelta(seconds=153), TTL)
    db.session.commit()


def test_once_only_work_is_claimed_once(app):
    assert lease.claim_once("digest:2026-11-02:7", T0)
    assert not lease.claim_once("digest:2026-11-02:7", T0 + timedelta(hours=1))
    assert lease.claim_once("digest:2026-11-03:7", T0)
    db.session.commit()


def test_two_schedulers_started_at_once_run_each_job_once(app):
    db.session.commit()  # SQLite: no transaction of ours may hold the write lock the schedulers need
    runs, done = [], threading.Semaphore(0)

    def count(now):
        runs.append(now)
        return 1

    def jobs():
        return [{"id": "count", "func": count, "trigger": "interval", "hours": 1}]

    schedulers = [build_scheduler(app, holder=name, jobs=jobs(), background=True)[0] for name in ("one", "two")]
    for scheduler in schedulers:
        scheduler.add_listener(lambda event: done.release() if event.job_id == "count" else None,
                               mask=EVENT_JOB_EXECUTED)
    try:
        for scheduler in schedulers:
            scheduler.start()
        for _ in schedulers:  # both schedulers fired the job at their start
            assert done.acquire(timeout=30)
    finally:
        for scheduler in schedulers:
            scheduler.shutdown(wait=True)
    assert len(runs) == 1


def test_the_scheduler_coalesces_missed_runs_and_never_overlaps_a_job(app):
    scheduler, _runner = build_scheduler(app, holder="x", background=True)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {spec["id"] for spec in job_table(app.config)} | {"lease_heartbeat"}
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time > 0


def test_a_failing_job_is_logged_retried_and_never_raises(app, quick_retries, caplog):
    attempts = []

    def flaky(now):
        attempts.append(now)
        if len(attempts) < 3:
            raise RuntimeError("database went away")
        return 7

    runner = JobRunner(app, "me")
    assert runner.run("flaky", flaky) == 7
    assert len(attempts) == 3
    assert sum("flaky failed" in r.getMessage() for r in caplog.records) == 2

    def broken(now):
        raise RuntimeError("always")

    assert runner.run("broken", broken) is None  # given up after JOB_RETRIES, no exception escapes
    assert runner.run("flaky", flaky) == 7  # and the next job still runs


def test_a_failed_attempt_leaves_nothing_half_done(app, quick_retries, report, create_user):
    from app.models import Notification

    user_id = create_user("supervisor").id
    db.session.commit()  # SQLite: the runner's own session needs the write lock

    def writes_then_fails(now):
        db.session.add(Notification(user_id=user_id, kind="overdue", data={}))
        db.session.flush()
        raise RuntimeError("after a write")

    JobRunner(app, "me").run("writes_then_fails", writes_then_fails)
    assert db.session.query(Notification).count() == 0


def test_a_standby_runner_skips_while_another_holds_the_lease(app):
    with app.app_context():
        lease.hold("other", datetime.now(UTC), TTL)
        db.session.commit()
    assert JobRunner(app, "me").run("count", lambda now: 1) is None


def test_flask_scheduler_once_runs_every_job(app, runner, county):
    result = runner.invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    for spec in job_table(app.config):
        assert f"{spec['id']}: 0" in result.output
