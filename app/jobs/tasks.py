"""The scheduled jobs: each a plain function of `now` that flushes and returns a count.

Each is safe to run twice: the work it does is marked on the rows (overdue_marked_at,
reminded_at) or claimed once (the digest), so a retry or a second scheduler changes nothing.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.jobs import lease
from app.models import DEPARTMENT_STATUSES, Department, Role, Ticket, User
from app.services.notifications import centre as notify
from app.services.notifications import mail
from app.services.photos.cleanup import sweep_orphan_media
from app.services.tickets.events import log_event
from app.timeutil import iso, local_zone, to_local

log = logging.getLogger(__name__)
BATCH = 1000  # tickets per run; the next run picks up the rest


def _mark_once(column, ticket_id: int, now: datetime) -> bool:
    """Set a once-per-deadline mark; True only for the run that set it."""
    result = db.session.execute(
        sa.update(Ticket).where(Ticket.id == ticket_id, column.is_(None)).values({column: now})
        # A plain UPDATE, not the ORM: the version stays, so nobody's open form goes stale.
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _notify_by_department(rows, kind: str, **data) -> None:
    """One notification per department user listing that department's tickets."""
    by_department = defaultdict(list)
    for row in rows:
        by_department[row.department_id].append(row.case_number)
    for department_id, cases in by_department.items():
        notify.send(notify.department_users(department_id), kind, count=len(cases),
                    cases=cases[:notify.MAX_LISTED_CASES], **data)


def mark_overdue(now: datetime) -> int:
    """Escalate tickets whose deadline passed: one event each, and tell supervisors and departments.

    Each ticket is escalated once per deadline; a new deadline (reassignment, rework) clears the mark.
    """
    due = db.session.execute(
        sa.select(Ticket.id, Ticket.case_number, Ticket.department_id, Ticket.status, Ticket.due_at)
        .where(Ticket.status.in_(DEPARTMENT_STATUSES), Ticket.due_at < now, Ticket.overdue_marked_at.is_(None))
        .order_by(Ticket.due_at).limit(BATCH)
    ).all()
    escalated = [row for row in due if _mark_once(Ticket.overdue_marked_at, row.id, now)]
    tickets = {t.id: t for t in db.session.scalars(sa.select(Ticket).where(
        Ticket.id.in_([row.id for row in escalated])))} if escalated else {}
    for row in escalated:
        log_event(tickets[row.id], None, "escalate", row.status, row.status, at=now,
                  data={"due_at": iso(row.due_at)})
    if escalated:
        single = tickets[escalated[0].id] if len(escalated) == 1 else None
        notify.send(notify.supervisors(), "overdue", ticket=single, count=len(escalated),
                    cases=[r.case_number for r in escalated[:notify.MAX_LISTED_CASES]])
        _notify_by_department(escalated, "overdue")
    db.session.flush()
    return len(escalated)


def remind_due_soon(now: datetime) -> int:
    """Remind each department once per deadline of its tickets due within DUE_SOON_HOURS."""
    hours = current_app.config["DUE_SOON_HOURS"]
    soon = db.session.execute(
        sa.select(Ticket.id, Ticket.case_number, Ticket.department_id)
        .where(Ticket.status.in_(DEPARTMENT_STATUSES), Ticket.due_at >= now,
               Ticket.due_at <= now + timedelta(hours=hours), Ticket.reminded_at.is_(None))
        .order_by(Ticket.due_at).limit(BATCH)
    ).all()
    reminded = [row for row in soon if _mark_once(Ticket.reminded_at, row.id, now)]
    _notify_by_department(reminded, "due_soon", hours=int(hours))
    db.session.flush()
    return len(reminded)


def _digest_counts(department_id: int, now: datetime, end_of_day: datetime) -> dict:
    in_queue = sa.and_(Ticket.department_id == department_id, Ticket.status.in_(DEPARTMENT_STATUSES))

    def cases(condition) -> list[str]:
        return list(db.session.scalars(sa.select(Ticket.case_number).where(in_queue, condition)
                                       .order_by(Ticket.due_at).limit(notify.MAX_LISTED_CASES)))

    def count(condition) -> int:
        return db.session.scalar(sa.select(sa.func.count(Ticket.id)).where(in_queue, condition))

    due_today = sa.and_(Ticket.due_at >= now, Ticket.due_at < end_of_day)
    overdue = Ticket.due_at < now
    return {"open": count(sa.true()), "due_today": count(due_today), "overdue": count(overdue),
            "due_today_cases": cases(due_today), "overdue_cases": cases(overdue)}


def daily_digest(now: datetime) -> int:
    """Once a day, at or after DIGEST_HOUR local time, send each department its open/due/overdue counts.

    Runs often and decides itself, so a scheduler that was down at that hour catches up on its
    next run, and the day's digest still goes out exactly once.
    """
    local = to_local(now)
    if local.hour < current_app.config["DIGEST_HOUR"]:
        return 0
    end_of_day = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=local_zone())
    departments = db.session.execute(
        sa.select(Department.id, Department.name_zh, Department.name_en).where(Department.active, sa.exists().where(
            User.department_id == Department.id, User.role == Role.DEPARTMENT, User.active))
        .order_by(Department.id)
    ).all()
    sent = 0
    for department in departments:
        if not lease.claim_once(f"digest:{local.date().isoformat()}:{department.id}", now):
            continue
        counts = _digest_counts(department.id, now, end_of_day)
        if counts["open"] == 0:
            continue  # nothing to say; the claim keeps us from asking again today
        notify.send(notify.department_users(department.id), "digest", department=department.name_zh,
                    department_en=department.name_en, day=local.date().isoformat(), **counts)
        sent += 1
    db.session.flush()
    return sent


def cleanup_uploads(now: datetime) -> int:
    """Delete orphaned and half-written media files past their grace period; return how many."""
    return len(sweep_orphan_media(now).removed)


def send_email(now: datetime) -> int:
    """E-mail pending notifications (no-op without SMTP_HOST)."""
    return mail.deliver_pending(now)
