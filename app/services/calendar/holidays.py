"""The county's holiday table: reads, coverage, edits, the yearly import, the seed from chinesecalendar.

Covered, decided here: a year is covered when the table holds at least one holiday in it (the county
entered, imported or seeded that year's State Council notice). The calendar covers up to the last day
of the unbroken run of covered years that starts with today's year; working days past it fall back to
Monday–Friday (app/services/tickets/sla.py), and admins, supervisors and /healthz are warned when that
day is less than COVERAGE_WARN_DAYS ahead.
"""
from __future__ import annotations

import time as _time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import CalendarDay, DayKind
from app.services.accounts import audit
from app.services.actor import Actor

COVERAGE_WARN_DAYS = 60
SNAPSHOT_TTL_S = 60.0  # another worker's edit is seen within a minute; this worker's at once
_SESSION_KEY = "work_calendar"
NAME_MAX = CalendarDay.name.type.length


@dataclass(frozen=True)
class Snapshot:
    """The whole table in memory (a few hundred rows): what the SLA clock reads day by day."""

    days: dict[date, DayKind] = field(default_factory=dict)
    covered_years: frozenset[int] = frozenset()

    def covers(self, day: date) -> bool:
        return day.year in self.covered_years

    def listed(self, day: date) -> DayKind | None:
        return self.days.get(day)


def load() -> Snapshot:
    rows = db.session.execute(sa.select(CalendarDay.day, CalendarDay.kind)).all()
    days = {row.day: DayKind(row.kind) for row in rows}
    return Snapshot(days, frozenset(d.year for d, k in days.items() if k == DayKind.HOLIDAY))


def snapshot() -> Snapshot:
    """The table as this unit of work sees it, loaded once per session and minute.

    Between sessions the rows are kept in this process and reused while the table's fingerprint
    (one small aggregate query) is unchanged: a sync request then reads one row, not the whole table
    (bench/profile_sync.py, issue 20). An edit in this session is seen at once (the session loads its
    own, uncommitted rows and leaves the process's copy alone), another worker's edit by its
    fingerprint.
    """
    cached = db.session.info.get(_SESSION_KEY)
    if cached is not None and _time.monotonic() - cached[0] < SNAPSHOT_TTL_S:
        return cached[1]
    snap = _shared() if not db.session.info.get(_DIRTY_KEY) else load()
    db.session.info[_SESSION_KEY] = (_time.monotonic(), snap)
    return snap


_DIRTY_KEY = "work_calendar_changed"  # session.info: this session wrote the table
_process_copy: tuple[tuple, Snapshot] | None = None  # (fingerprint, snapshot), shared by this process's sessions


_FINGERPRINT = sa.select(
    sa.func.count(), sa.func.count().filter(CalendarDay.kind == DayKind.HOLIDAY),
    sa.func.min(CalendarDay.day), sa.func.max(CalendarDay.day), sa.func.max(CalendarDay.updated_at))


def _fingerprint() -> tuple:
    """What changes whenever a row is added, removed or rewritten through the ORM or these functions."""
    row = db.session.execute(_FINGERPRINT).one()
    return (str(db.engine.url), *row)


def _shared() -> Snapshot:
    global _process_copy
    mark = _fingerprint()
    copy = _process_copy
    if copy is not None and copy[0] == mark:
        return copy[1]
    snap = load()
    _process_copy = (mark, snap)
    return snap


def _changed() -> None:
    global _process_copy
    db.session.info.pop(_SESSION_KEY, None)
    db.session.info[_DIRTY_KEY] = True
    _process_copy = None


def covered_until(today: date, snap: Snapshot | None = None) -> date | None:
    """The last covered day (see the module's docstring), or None when no year is covered."""
    years = (snap or snapshot()).covered_years
    if today.year in years:
        year = today.year
        while year + 1 in years:
            year += 1
        return date(year, 12, 31)
    earlier = [y for y in years if y < today.year]
    return date(max(earlier), 12, 31) if earlier else None


def coverage_gap(today: date, days: int = COVERAGE_WARN_DAYS) -> date | None:
    """The first day of the next `days` days the calendar does not cover, or None."""
    last = covered_until(today)
    first_uncovered = (last + timedelta(days=1)) if last is not None and last >= today else today
    return first_uncovered if first_uncovered <= today + timedelta(days=days) else None


def days_of_year(year: int) -> list[CalendarDay]:
    return list(db.session.scalars(sa.select(CalendarDay).where(
        CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)).order_by(CalendarDay.day)))


def years() -> list[int]:
    return sorted({d.year for d in db.session.scalars(sa.select(CalendarDay.day))})


# --- changes ----------------------------------------------------------------------------------------

def parse_day(value: str, field_name: str = "day") -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise ValidationFailed(_("Give the date as YYYY-MM-DD."), field=field_name) from None


def parse_kind(value: str, field_name: str = "kind") -> DayKind:
    try:
        return DayKind((value or "").strip())
    except ValueError:
        raise ValidationFailed(_("The kind must be holiday or workday."), field=field_name) from None


def _name(value: str, field_name: str = "name") -> str:
    value = (value or "").strip()
    if len(value) > NAME_MAX:
        raise ValidationFailed(_("The name may be at most %(n)d characters long.", n=NAME_MAX), field=field_name)
    return value


def set_day(actor: Actor, day: date, kind: DayKind, name: str, now: datetime, ip: str | None = None) -> CalendarDay:
    """Make `day` a holiday or a working day (an existing entry is replaced)."""
    name = _name(name)
    row = db.session.get(CalendarDay, day)
    if row is None:
        row = CalendarDay(day=day)
        db.session.add(row)
    row.kind, row.name, row.updated_at = kind, name, now
    audit.record(actor, "calendar.set", "calendar_day", day.isoformat(), {"kind": kind.value, "name": name}, ip)
    db.session.flush()
    _changed()
    return row


def delete_day(actor: Actor, day: date, ip: str | None = None) -> None:
    """Remove an entry: the day follows the week again."""
    row = db.session.get(CalendarDay, day)
    if row is None:
        raise NotFound(_("%(day)s is not in the calendar.", day=day.isoformat()))
    db.session.delete(row)
    audit.record(actor, "calendar.delete", "calendar_day", day.isoformat(), {"kind": row.kind.value}, ip)
    db.session.flush()
    _changed()


def parse_lines(lines) -> list[tuple[date, DayKind, str]]:
    """`YYYY-MM-DD,holiday|workday[,name]` a line (blank lines and `#` comments skipped).

    The first bad line is refused with its number (field `line N`), before anything is written.
    """
    entries, seen = [], set()
    for number, raw in enumerate(lines, start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split(",", 2)]
        where = f"line {number}"
        try:
            if len(parts) < 2:
                raise ValidationFailed(_("Expected YYYY-MM-DD,holiday|workday[,name]."), field=where)
            day, kind, name = parse_day(parts[0], where), parse_kind(parts[1], where), \
                _name(parts[2] if len(parts) > 2 else "", where)
        except ValidationFailed as exc:
            raise ValidationFailed(_("Line %(n)d: %(message)s", n=number, message=exc.message), field=where) from None
        if day in seen:
            raise ValidationFailed(_("Line %(n)d: %(day)s is listed twice.", n=number, day=day.isoformat()),
                                   field=where)
        seen.add(day)
        entries.append((day, kind, name))
    if not entries:
        raise ValidationFailed(_("The file lists no days."), field="file")
    return entries


def import_lines(actor: Actor, lines, now: datetime, ip: str | None = None) -> dict[int, int]:
    """Import a yearly notice: each year the file names is replaced by the file's days. {year: days}.

    All or nothing: a bad line refuses the whole file (the caller rolls back on any error).
    """
    entries = parse_lines(lines)
    per_year: dict[int, int] = {}
    for day, *_rest in entries:
        per_year[day.year] = per_year.get(day.year, 0) + 1
    for year in per_year:
        db.session.execute(sa.delete(CalendarDay).where(CalendarDay.day >= date(year, 1, 1),
                                                        CalendarDay.day <= date(year, 12, 31)))
    db.session.add_all(CalendarDay(day=d, kind=k, name=n, updated_at=now) for d, k, n in entries)
    audit.record(actor, "calendar.import", "calendar", ",".join(map(str, sorted(per_year))),
                 {"days": len(entries)}, ip)
    db.session.flush()
    _changed()
    return per_year


def seed_from_package(now: datetime, years_: set[int] | None = None) -> int:
    """Add chinesecalendar's days for the years the table does not cover yet; return how many rows.

    The migration seeds the same data once; this is for tests and a county that wants it again.
    Years the county already keeps are left alone.
    """
    from chinese_calendar import Holiday, constants

    chinese = {h.value: h.chinese for h in Holiday}
    snap = load()
    covered = snap.covered_years
    rows = []
    for kind, source in ((DayKind.HOLIDAY, constants.holidays), (DayKind.WORKDAY, constants.workdays)):
        for day, name in source.items():
            if day.year in covered or day in snap.days or (years_ is not None and day.year not in years_):
                continue
            rows.append(CalendarDay(day=day, kind=kind, name=chinese.get(name, name), updated_at=now))
    db.session.add_all(rows)
    db.session.flush()
    _changed()
    return len(rows)
