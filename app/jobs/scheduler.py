"""APScheduler for the jobs in app.jobs.tasks: started by `flask --app wsgi scheduler`, never by create_app.

Exactly one scheduler runs the jobs: every run first takes or renews the database lease
(app.jobs.lease), and a scheduler that does not hold it skips the run. So a second
`flask scheduler` (or one per web worker, by mistake) is a hot standby, not a second runner.

Missed runs are coalesced into one (coalesce=True; the jobs are functions of `now`, so one run
catches up on everything), never run twice at once (max_instances=1), and every job also runs
once when the scheduler starts, to catch up after downtime. A failing job is logged and retried
(JOB_RETRIES, JOB_RETRY_DELAY_SECONDS apart), then left for its next run; it never stops the
scheduler.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import time
import uuid
from datetime import datetime, timedelta

import click
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app

from app.extensions import db
from app.jobs import assessment_reminders, device_loss, lease, tasks, webhooks, weekly_bulletin
from app.jobs.addresses import fill_addresses
from app.ops import context, job_stats
from app.ops.logging import configure_process
from app.services.supervision import rollups
from app.tasks import photos as photo_tasks
from app.tasks import queue as task_queue
from app.timeutil import now_utc

log = logging.getLogger(__name__)


# Missed runs collapse into one; a job never overlaps itself; a run up to 15 minutes late still happens.
JOB_OPTIONS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 15 * 60}


def job_table(config) -> list[dict]:
    """The jobs as data: id, function of `now`, APScheduler trigger and its arguments."""
    return [
        {"id": "mark_overdue", "func": tasks.mark_overdue, "trigger": "interval",
         "minutes": config["OVERDUE_CHECK_MINUTES"]},
        {"id": "remind_due_soon", "func": tasks.remind_due_soon, "trigger": "interval", "minutes": 15},
        # Every 10 minutes; the job itself sends once a day at DIGEST_HOUR (and catches up after downtime).
        {"id": "daily_digest", "func": tasks.daily_digest, "trigger": "cron", "minute": "*/10"},
        {"id": "cleanup_uploads", "func": tasks.cleanup_uploads, "trigger": "interval", "hours": 1},
        # Drawn points not visited yet, the day before a draw is due and on it (once a day, from DIGEST_HOUR).
        {"id": "draw_reminders", "func": assessment_reminders.remind_draw_assignees, "trigger": "cron",
         "minute": "*/10"},
        # Mondays from BULLETIN_HOUR, when BULLETIN_WEEKLY is on: last week's 通报 to the campaign office.
        {"id": "weekly_bulletin", "func": weekly_bulletin.send_weekly_bulletin, "trigger": "cron", "minute": "*/10"},
        {"id": "send_email", "func": tasks.send_email, "trigger": "interval", "minutes": 1},
        # Tickets reported without an address get one (issue 18): a geocoder's or the county's own place name.
        {"id": "fill_addresses", "func": fill_addresses, "trigger": "interval", "minutes": 1},
        # Phones silent for DEVICE_SILENT_HOURS while holding unsent items: told once (issue 18).
        {"id": "device_loss", "func": device_loss.report_silent_devices, "trigger": "interval", "minutes": 15},
        # Group-chat robots: what is due, within each robot's rate limit (app/jobs/webhooks.py).
        {"id": "send_webhooks", "func": webhooks.send_webhooks, "trigger": "interval", "seconds": 30},
        # Photos whose derivative task was lost (a killed process) are queued again (issue 20).
        {"id": "requeue_photo_tasks", "func": photo_tasks.requeue_stale, "trigger": "interval", "minutes": 10},
        # Map cells' and dashboard days' pending deltas into their rollup tables (decision 0019).
        {"id": "fold_rollups", "func": rollups.fold_pending, "trigger": "interval", "seconds": 10},
    ]


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class JobRunner:
    """Runs one job in its own app context if this process holds the lease; commits, logs, retries."""

    def __init__(self, app: Flask, holder: str):
        self.app = app
        self.holder = holder

    @property
    def ttl(self) -> timedelta:
        return timedelta(seconds=self.app.config["SCHEDULER_LEASE_SECONDS"])

    def holds_lease(self) -> bool:
        """Take or renew the lease, committed at once so the other schedulers see it."""
        with self.app.app_context():
            held = lease.hold(self.holder, now_utc(), self.ttl)
            db.session.commit()
            return held

    def run(self, job_id: str, func) -> int | None:
        """Run `func(now)` and commit; return its count, or None if skipped or failed every try."""
        if not self.holds_lease():
            log.debug("%s skipped: another scheduler holds the lease", job_id)
            return None
        retries = max(1, self.app.config["JOB_RETRIES"])
        # One id per run: its log lines and the notifications it queues carry it (app.ops.context).
        with context.scope(f"job-{job_id}-{context.new_id()[:12]}"):
            for attempt in range(1, retries + 1):
                with self.app.app_context():
                    try:
                        count = func(now_utc())
                        job_stats.record(job_id, now_utc(), failed=False)
                        db.session.commit()
                    except Exception:
                        db.session.rollback()
                        log.exception("job %s failed (attempt %d of %d)", job_id, attempt, retries,
                                      extra={"job": job_id})
                    else:
                        log.info("job %s done: %s", job_id, count, extra={"job": job_id, "count": count})
                        return count
                if attempt < retries:
                    time.sleep(self.app.config["JOB_RETRY_DELAY_SECONDS"] * attempt)
            self._record_failure(job_id)
        return None

    def _record_failure(self, job_id: str) -> None:
        with self.app.app_context():
            try:
                job_stats.record(job_id, now_utc(), failed=True)
                db.session.commit()
            except Exception:  # noqa: BLE001 - the database may be why the job failed
                db.session.rollback()
                log.warning("could not record the failure of job %s", job_id)

    def release(self) -> None:
        with self.app.app_context():
            lease.release(self.holder)
            db.session.commit()


def _log_event(event) -> None:
    # The runner catches job errors itself; this only sees what APScheduler decides (missed runs).
    if event.code == EVENT_JOB_MISSED:
        log.warning("job %s missed its run at %s; the next run catches up", event.job_id,
                    event.scheduled_run_time)
    else:
        log.error("job %s raised outside the runner: %s", event.job_id, event.exception)


def build_scheduler(app: Flask, *, holder: str | None = None, jobs: list[dict] | None = None,
                    background: bool = False) -> tuple[BaseScheduler, JobRunner]:
    """A scheduler with every job of `jobs` (default: job_table) and the lease heartbeat."""
    runner = JobRunner(app, holder or default_holder())
    scheduler_class = BackgroundScheduler if background else BlockingScheduler
    scheduler = scheduler_class(timezone=app.config["TIMEZONE"])
    start = datetime.now(scheduler.timezone)
    for spec in jobs if jobs is not None else job_table(app.config):
        spec = dict(spec)
        job_id, func, trigger = spec.pop("id"), spec.pop("func"), spec.pop("trigger")
        scheduler.add_job(runner.run, trigger, args=(job_id, func), id=job_id, name=job_id,
                          next_run_time=start, **JOB_OPTIONS, **spec)
    # Renew the lease between runs too, so a standby never takes over from a live holder.
    scheduler.add_job(runner.holds_lease, "interval", id="lease_heartbeat", next_run_time=start, **JOB_OPTIONS,
                      seconds=max(1, app.config["SCHEDULER_LEASE_SECONDS"] // 3))
    scheduler.add_listener(_log_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    return scheduler, runner


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run every job once now and exit (for cron or a check).")
def scheduler_command(once: bool) -> None:
    """Run the scheduled jobs in the foreground (overdue, reminders, digest, cleanup, e-mail)."""
    app = current_app._get_current_object()
    if once:
        runner = JobRunner(app, default_holder())
        for spec in job_table(app.config):
            click.echo(f"{spec['id']}: {runner.run(spec['id'], spec['func'])}")
        runner.release()
        # And every queued task that is due (photo derivatives), here: cron and tests see them done.
        with app.app_context():
            click.echo(f"tasks: {task_queue.queue().drain()}")
        return
    configure_process(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])  # JSON lines, as the web's
    scheduler, runner = build_scheduler(app)
    # `make run` and process managers stop us with SIGTERM: leave through the same door as Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log.info("scheduler %s starting", runner.holder)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
    finally:
        runner.release()
        log.info("scheduler %s stopped", runner.holder)
