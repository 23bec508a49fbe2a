"""The SLA clock (docs/design.md §4): deadlines from a category's SLA hours, in calendar or working time.

Rules, decided here and nowhere else:
- Assignment starts the department's clock: due_at = start + the category's SLA hours.
- Reassignment to another department restarts it: the new department gets the full SLA.
- Time spent `returned` does not count against the department. If the supervisor sends a returned
  ticket back to the same department, the clock is extended by the time it spent returned, rather
  than restarted (a return must not buy a fresh deadline); its overdue mark, if any, stays.
- A reassignment to the same department while it is still working on the ticket leaves the clock alone.
- Reopening after a failed re-inspection (rework) restarts the clock with the full SLA.

Working time: SLA_CALENDAR = "workdays" (the default: government deadlines are set in working days,
工作日) counts only the hours of working days in the configured time zone, skipping weekends and the
holidays in the county's own calendar, with its make-up working days (app/services/calendar/holidays.py,
seeded from chinesecalendar, kept by admins); "calendar" counts every hour. Past the days the county's
calendar covers, Monday to Friday count as working days and a warning is logged (and shown to admins,
supervisors and /healthz), so a deadline is never refused or silently wrong without a trace.
"""
from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from flask import current_app

from app.models import DayKind, Ticket
from app.services.calendar import holidays
from app.timeutil import local_zone

log = logging.getLogger(__name__)

CALENDAR_MODES = ("calendar", "workdays")
_MAX_DAYS = 3660  # a deadline further than ten years out means the calendar is broken


def _mode() -> str:
    mode = current_app.config.get("SLA_CALENDAR", "workdays")
    if mode not in CALENDAR_MODES:
        raise ValueError(f"SLA_CALENDAR must be one of {CALENDAR_MODES}, not {mode!r}")
    return mode


def is_workday(day: date, calendar: holidays.Snapshot | None = None) -> bool:
    """Whether `day` is a working day in the county's calendar (Mon–Fri past what it covers)."""
    calendar = calendar or holidays.snapshot()
    if not calendar.covers(day):
        _warn_unknown_year(day.year)
        return day.weekday() < 5
    listed = calendar.listed(day)
    if listed is not None:
        return listed == DayKind.WORKDAY
    return day.weekday() < 5


@lru_cache(maxsize=64)
def _warn_unknown_year(year: int) -> None:
    log.warning("the county's calendar has no holidays for %d: counting Monday to Friday as working days "
                "(import the State Council's %d notice: flask --app wsgi holidays import FILE, or /admin/calendar)",
                year, year)


def _working_spans(start: datetime):
    """Yield (span_start, span_end) in UTC: the working time from `start` on, day by day."""
    zone = local_zone()
    calendar = holidays.snapshot()
    cursor = start.astimezone(zone)
    for _ in range(_MAX_DAYS):
        next_midnight = datetime.combine(cursor.date() + timedelta(days=1), time(0), tzinfo=zone)
        if is_workday(cursor.date(), calendar):
            yield cursor.astimezone(UTC), next_midnight.astimezone(UTC)
        cursor = next_midnight
    raise ValueError("no working time found within ten years; check the SLA calendar")


def add_working_time(start: datetime, duration: timedelta) -> datetime:
    """The instant when `duration` of working time has passed after `start`."""
    if _mode() == "calendar" or duration <= timedelta(0):
        return start + duration
    left = duration
    for span_start, span_end in _working_spans(start):
        if span_start + left <= span_end:
            return span_start + left
        left -= span_end - span_start
    raise AssertionError("unreachable")  # _working_spans raises first


def working_time_between(start: datetime, end: datetime) -> timedelta:
    """Working time from `start` to `end` (zero if `end` is not later)."""
    if end <= start:
        return timedelta(0)
    if _mode() == "calendar":
        return end - start
    total = timedelta(0)
    for span_start, span_end in _working_spans(start):
        if span_start >= end:
            break
        total += min(span_end, end) - span_start
    return total


def deadline(sla_hours: float, start: datetime) -> datetime:
    """The due time of work given `sla_hours` of working time, starting at `start`."""
    return add_working_time(start, timedelta(hours=sla_hours))


def start_clock(ticket: Ticket, now: datetime) -> None:
    """Give the ticket's department the full SLA from `now`."""
    ticket.assigned_at = now
    ticket.due_at = deadline(ticket.category.sla_hours, now)
    ticket.overdue_marked_at = None
    ticket.reminded_at = None


def on_assign(ticket: Ticket, department_id: int, now: datetime, returned_at: datetime | None) -> str:
    """Set the clock for an assignment and return what happened: started, extended or kept.

    `returned_at` is when the ticket was last returned, if it is `returned` now.
    """
    same_department = ticket.department_id == department_id and ticket.due_at is not None
    if not same_department:
        start_clock(ticket, now)
        return "started"
    if returned_at is None:
        return "kept"
    if returned_at <= ticket.due_at:
        # The department gets back exactly the working time it had left when it returned the ticket.
        ticket.due_at = add_working_time(now, working_time_between(returned_at, ticket.due_at))
        ticket.reminded_at = None
    else:
        # It was already late when returned: it stays late by the same amount, no more.
        ticket.due_at += now - returned_at
    return "extended"


def record_resolution(ticket: Ticket, now: datetime) -> None:
    """When the department resolved it, and whether that was within the deadline."""
    ticket.resolved_at = now
    ticket.resolved_on_time = ticket.due_at is None or now <= ticket.due_at
