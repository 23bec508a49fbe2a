"""Supervisor KPIs (docs/design.md §6), read from the per-day rollup that app/services/kpi_rollup.py keeps.

The formulas, as shown on the dashboard:

- open: tickets still waiting for someone now (reported, assigned, in progress, returned, reopened);
- overdue: assigned, in progress or reopened tickets whose deadline has passed;
- new: tickets received in the period; resolved: tickets whose resolution falls in the period;
- on-time closure rate (按期结案率) = tickets due in the period that are closed and were resolved by
  their deadline ÷ tickets due in the period (invalid and duplicate tickets excluded);
- rework rate (返工率) = re-openings in the period ÷ resolutions in the period (from the history);
- time to resolve: from receipt to resolution, for the tickets resolved in the period: the mean
  (exact) and the median (read from ~5% wide classes of durations: within 2.5% plus a few seconds).

Every figure is a SUM over the period's rollup rows (a few per day and group), so the cost depends
on the period's length and the number of groups, not on how many tickets there are. "Overdue"
changes with the clock, not with writes: it is the tickets in a department's hands with a deadline
(rollup) minus those whose deadline is still ahead (a live count over the index on status and
deadline, which holds only the next few days' deadlines).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from app.errors import ValidationFailed
from app.extensions import db
from app.models import DEPARTMENT_STATUSES, NOW_DAY, KpiDay, KpiResolveClass, Ticket
from app.services.supervision.kpi_rollup import blocks, class_bounds, day_number
from app.services.supervision.rollups import live
from app.timeutil import local_zone, to_local

MAX_PERIOD_DAYS = 3660  # ten years: neither the day after `end` nor the previous period overflows
GROUPINGS = {"department": Ticket.department_id, "category": Ticket.category_id, "area": Ticket.area_id}


@dataclass(frozen=True)
class Period:
    """Whole local calendar days [start, end), held as UTC instants."""

    start: datetime
    end: datetime

    @classmethod
    def last_days(cls, days: int, now: datetime) -> Period:
        """The `days` local calendar days up to and including today."""
        today = to_local(now).date()
        return cls.of_local_dates(today - timedelta(days=days - 1), today)

    @classmethod
    def of_local_dates(cls, first: date, last: date) -> Period:
        zone = local_zone()
        start = datetime.combine(first, datetime.min.time(), zone)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), zone)
        return cls(start, end)

    @classmethod
    def checked(cls, first: date | None, last: date | None) -> Period:
        """The period of a page's or the API's ?start=&end=: both given, in order, at most ten years."""
        if not (first and last):
            raise ValidationFailed(_("Give the period as two dates, YYYY-MM-DD."),
                                   field="start" if not first else "end")
        if last < first or (last - first).days > MAX_PERIOD_DAYS:
            raise ValidationFailed(_("The period must end after it starts and last at most ten years."), field="end")
        return cls.of_local_dates(first, last)

    @property
    def first_day(self) -> date:
        return to_local(self.start).date()

    @property
    def last_day(self) -> date:
        return to_local(self.end - timedelta(microseconds=1)).date()

    def previous(self) -> Period:
        """The period of as many days just before this one."""
        length = (self.last_day - self.first_day).days + 1
        return Period.of_local_dates(self.first_day - timedelta(days=length), self.first_day - timedelta(days=1))

    def local_days(self) -> list[date]:
        first, last = self.first_day, self.last_day
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass
class Kpi:
    open: int = 0
    overdue: int = 0
    new: int = 0
    resolved: int = 0
    due: int = 0
    closed_on_time: int = 0
    reopenings: int = 0
    resolutions: int = 0
    mean_hours: float | None = None
    median_hours: float | None = None

    @property
    def on_time_rate(self) -> float | None:
        return self.closed_on_time / self.due if self.due else None

    @property
    def rework_rate(self) -> float | None:
        return self.reopenings / self.resolutions if self.resolutions else None


@dataclass
class Trend:
    days: list[date]
    new: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)


_PERIOD_SUMS = ("new", "resolved", "resolve_seconds", "due", "closed_on_time", "reopenings", "resolutions")


def kpis(period: Period, now: datetime, by: str | None = None, *, medians: bool = True) -> dict[int | None, Kpi]:
    """KPIs for the period, overall (key None) or per department/category/area id (None: none yet)."""
    grouping = by or "all"
    if by is not None and by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}")
    out: dict[int | None, Kpi] = defaultdict(Kpi)
    _no_parallel_workers()
    first, last = day_number(period.first_day), day_number(period.last_day)
    days = live(KpiDay).c  # folded and pending counts (decision 0019): every figure sums them
    sums = [sa.func.sum(days[name]) for name in _PERIOD_SUMS]
    for group_id, *values in db.session.execute(
            sa.select(days.group_id, *sums)
            .where(days.grouping == grouping, days.day.between(first, last)).group_by(days.group_id)):
        kpi = out[_key(group_id, by)]
        kpi.new, kpi.resolved, seconds, kpi.due, kpi.closed_on_time, kpi.reopenings, kpi.resolutions = map(int, values)
        kpi.mean_hours = seconds / kpi.resolved / 3600.0 if kpi.resolved else None
    for group_id, open_now, in_hand in db.session.execute(
            sa.select(days.group_id, sa.func.sum(days.open), sa.func.sum(days.in_hand))
            .where(days.grouping == grouping, days.day == NOW_DAY).group_by(days.group_id)):
        kpi = out[_key(group_id, by)]
        kpi.open, kpi.overdue = int(open_now), int(in_hand)
    for key, not_yet_due in _deadlines_ahead(now, by):
        out[key].overdue -= int(not_yet_due)
    if medians:
        for key, median in _medians(grouping, by, first, last).items():
            out[key].median_hours = median
    if by is None:
        out.setdefault(None, Kpi())
    else:
        # Groups with nothing to show (every figure zero) are left out, as a GROUP BY over tickets would.
        for key in [k for k, v in out.items() if v == Kpi()]:
            del out[key]
    return dict(out)


def _no_parallel_workers() -> None:
    """These reads are a few index ranges of small rows. PostgreSQL's planner overrates them and starts
    parallel workers, which costs ~6 ms of startup for ~0.3 ms of work; not for this transaction."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL max_parallel_workers_per_gather = 0"))


def _key(group_id: int, by: str | None) -> int | None:
    return None if by is None or group_id == 0 else group_id


def _deadlines_ahead(now: datetime, by: str | None):
    """Tickets in a department's hands whose deadline has not passed yet, per group."""
    conditions = (Ticket.status.in_(DEPARTMENT_STATUSES), Ticket.due_at >= now)
    if by is None:
        return [(None, db.session.scalar(sa.select(sa.func.count()).where(*conditions)))]
    # coalesce: None is group 0 as in the rollup, and SQLite then reads the (status, deadline) index
    # instead of walking a whole index in the group's order.
    group = sa.func.coalesce(GROUPINGS[by], 0)
    rows = db.session.execute(sa.select(group, sa.func.count()).where(*conditions).group_by(group)).all()
    return [(_key(group_id, by), n) for group_id, n in rows]


def _medians(grouping: str, by: str | None, first: int, last: int) -> dict[int | None, float]:
    """Median hours to resolve per group, from the counts per duration class over the period's blocks."""
    c = live(KpiResolveClass).c
    if first > last:
        return {}
    # One index range per block (UNION ALL): SQLite reads an OR or IN over (span, day) as a scan of the
    # whole grouping.
    parts = sa.union_all(*[
        sa.select(c.group_id, c.resolve_class, c.n).where(c.grouping == grouping, c.span == span, c.day == start)
        for span, start in blocks(first, last)]).subquery()
    classes: dict[int | None, list[tuple[int, int]]] = defaultdict(list)
    for group_id, index, n in db.session.execute(
            sa.select(parts.c.group_id, parts.c.resolve_class, sa.func.sum(parts.c.n))
            .group_by(parts.c.group_id, parts.c.resolve_class).order_by(parts.c.group_id, parts.c.resolve_class)):
        if n:
            classes[_key(group_id, by)].append((index, int(n)))
    return {key: median for key, counts in classes.items() if (median := median_of_classes(counts)) is not None}


def median_of_classes(counts: list[tuple[int, int]]) -> float | None:
    """The median, in hours, of durations known only by class: (class index, how many) in class order.

    As for exact values, the middle one (odd count) or the mean of the two middle ones (even count);
    each stands for its class's midpoint, which is within half a class (2.5%) of the true value.
    """
    total = sum(n for _, n in counts)
    if total <= 0:
        return None
    wanted = sorted({(total + 1) // 2, total // 2 + 1})  # 1-based ranks of the middle value(s)
    found, seen = [], 0
    for index, n in counts:
        seen += n
        while wanted and wanted[0] <= seen:
            low, high = class_bounds(index)
            found.append((low + high) / 2)
            wanted.pop(0)
    return sum(found) / len(found) / 3600.0


def trend(period: Period) -> Trend:
    """New and resolved tickets per local day of the period."""
    out = Trend(period.local_days())
    days = live(KpiDay).c
    rows = {day: (new, resolved) for day, new, resolved in db.session.execute(
        sa.select(days.day, sa.func.sum(days.new), sa.func.sum(days.resolved)).where(
            days.grouping == "all", days.group_id == 0,
            days.day.between(day_number(period.first_day), day_number(period.last_day))).group_by(days.day))}
    out.new = [int(rows.get(day_number(d), (0, 0))[0]) for d in out.days]
    out.resolved = [int(rows.get(day_number(d), (0, 0))[1]) for d in out.days]
    return out

