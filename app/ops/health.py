"""The checks behind GET /healthz: plain functions that never touch Flask's request.

`database` and `media` are critical: either failing makes the answer 503, which takes the worker out
of a load balancer. The others are warnings (status `warn`, still 200): a stopped scheduler, a
working-day calendar without data for the coming days, an e-mail or group-chat message queue that
stopped draining, or photos whose derivatives failed or wait too long does not make this worker
unable to serve phones.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.jobs import lease
from app.models import Photo
from app.ops import queues
from app.services.calendar import holidays
from app.services.photos import derivatives
from app.storage import MediaUnavailable, media_store

CALENDAR_DAYS = 60
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str
    critical: bool = False


def check_database() -> Check:
    try:
        db.session.execute(sa.text("SELECT 1")).scalar_one()
        return Check(True, f"{db.engine.dialect.name} answers", critical=True)
    except Exception as exc:  # noqa: BLE001 - any failure means the same: not reachable
        db.session.rollback()
        # The answer is public: hosts and user names go to the log only.
        log.warning("healthz: the database does not answer: %s", exc)
        return Check(False, f"the database does not answer ({type(exc).__name__}; the log has the reason)",
                     critical=True)


def check_media() -> Check:
    """The media backend takes a write: the folder (created if missing) or the bucket (MEDIA_BACKEND)."""
    try:
        return Check(True, media_store().probe(), critical=True)
    except MediaUnavailable as exc:
        log.warning("healthz: %s", exc)
        return Check(False, str(exc), critical=True)


def check_scheduler(now: datetime) -> Check:
    limit = timedelta(seconds=current_app.config["HEALTH_HEARTBEAT_MAX_AGE_S"])
    beat = lease.last_heartbeat()
    if beat is None:
        return Check(False, "no scheduler holds the lease (start `flask --app wsgi scheduler`)")
    age = now - beat
    if age > limit:
        return Check(False, f"last heartbeat {int(age.total_seconds())} s ago (limit {int(limit.total_seconds())} s)")
    return Check(True, f"last heartbeat {int(age.total_seconds())} s ago")


def calendar_gap(start: date, days: int = CALENDAR_DAYS) -> date | None:
    """The first of the next `days` days the county's calendar does not cover, or None."""
    return holidays.coverage_gap(start, days)


def check_calendar(today: date) -> Check:
    if current_app.config["SLA_CALENDAR"] != "workdays":
        return Check(True, "SLA_CALENDAR=calendar: no working-day calendar in use")
    gap = calendar_gap(today)
    if gap is not None:
        return Check(False, f"no holidays in the county's calendar from {gap.isoformat()}: deadlines there "
                            "count weekdays only; import the State Council's notice "
                            "(flask --app wsgi holidays import FILE) or enter it in /admin/calendar")
    return Check(True, f"holiday data covers the next {CALENDAR_DAYS} days")


def check_queue(queue: queues.Queue, now: datetime, max_age_s: float) -> Check:
    age = queue.age_s(now)
    detail = f"{queue.depth} waiting, oldest {int(age)} s"
    if queue.depth and age > max_age_s:
        return Check(False, f"{detail} (limit {int(max_age_s)} s)")
    return Check(True, detail)


def check_photo_tasks(now: datetime, max_age_s: float) -> Check:
    """Derivatives that failed for good, or waited too long (no worker, or tasks lost): a warning,
    since the originals are safe and the phones are served; the admin page says which photos."""
    failed = db.session.scalar(sa.select(sa.func.count()).select_from(Photo)
                               .where(Photo.derivatives == derivatives.FAILED)) or 0
    oldest = db.session.scalar(sa.select(sa.func.min(Photo.created_at))
                               .where(Photo.derivatives == derivatives.PENDING))
    pending_s = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    detail = f"{failed} failed, oldest pending {int(pending_s)} s"
    if failed or pending_s > max_age_s:
        return Check(False, f"{detail} (limit {int(max_age_s)} s; /admin/photos, "
                            "flask --app wsgi photos reprocess --failed)")
    return Check(True, detail)


def run_checks(now: datetime, today: date) -> dict[str, Check]:
    checks = {"database": check_database(), "media": check_media()}
    if checks["database"].ok:
        config = current_app.config
        checks["scheduler"] = _guarded(lambda: check_scheduler(now))
        checks["email_queue"] = _guarded(lambda: check_queue(queues.email_outbox(), now,
                                                             config["HEALTH_EMAIL_MAX_AGE_S"]))
        checks["message_queue"] = _guarded(lambda: check_queue(queues.message_outbox(), now,
                                                               config["HEALTH_MESSAGE_MAX_AGE_S"]))
        checks["photo_tasks"] = _guarded(lambda: check_photo_tasks(now, config["HEALTH_PHOTO_TASK_MAX_AGE_S"]))
        checks["calendar"] = _guarded(lambda: check_calendar(today))  # reads the county's calendar table
    # With the database down the checks that read it are left out, not reported as failing too.
    return checks


def _guarded(check) -> Check:
    try:
        return check()
    except Exception as exc:  # noqa: BLE001 - a warning check must never turn into a 500
        db.session.rollback()
        return Check(False, f"check failed: {type(exc).__name__}")


def summary(checks: dict[str, Check]) -> tuple[str, int]:
    """The overall status and HTTP code (the Contract in docs/operations.md)."""
    if any(c.critical and not c.ok for c in checks.values()):
        return "fail", 503
    return ("warn" if any(not c.ok for c in checks.values()) else "ok"), 200
