"""Supervisor KPIs, computed in SQL (DESIGN §6). The formulas, as shown on the dashboard:

- open: tickets still waiting for someone now (reported, assigned, in progress, returned, reopened);
- overdue: assigned, in progress or reopened tickets whose deadline has passed;
- new: tickets received in the period; resolved: tickets whose resolution falls in the period;
- on-time closure rate (按期结案率) = tickets due in the period that are closed and were resolved by
  their deadline ÷ tickets due in the period (invalid and duplicate tickets excluded);
- rework rate (返工率) = re-openings in the period ÷ resolutions in the period (from the history);
- time to resolve: from receipt to resolution, for the tickets resolved in the period (mean, median).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import DEPARTMENT_STATUSES, OPEN_STATUSES, Ticket, TicketEvent, TicketStatus
from app.timeutil import local_zone, to_local

GROUPINGS = {"department": Ticket.department_id, "category": Ticket.category_id, "area": Ticket.area_id}
_COUNTED = tuple(s for s in TicketStatus if s not in (TicketStatus.INVALID, TicketStatus.DUPLICATE))


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC."""

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

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - (self.end - self.start), self.start)

    def local_days(self) -> list[date]:
        first, last = to_local(self.start).date(), to_local(self.end - timedelta(microseconds=1)).date()
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


def kpis(period: Period, now: datetime, by: str | None = None) -> dict[int | None, Kpi]:
    """KPIs for the period, overall (key None) or per department/category/area id."""
    group = GROUPINGS[by] if by else None
    out: dict[int | None, Kpi] = {}

    def count_into(attr: str, *conditions):
        for key, value in _grouped(sa.func.count(), group, *conditions):
            setattr(out.setdefault(key, Kpi()), attr, int(value))

    in_period = _between(Ticket.received_at, period)
    count_into("open", Ticket.status.in_(OPEN_STATUSES))
    count_into("overdue", Ticket.status.in_(DEPARTMENT_STATUSES), Ticket.due_at < now)
    count_into("new", in_period)
    # Status first, as an IN list: both counts then read only ix_ticket_status_due_groups.
    count_into("due", Ticket.status.in_(_COUNTED), _between(Ticket.due_at, period))
    count_into("closed_on_time", Ticket.status == TicketStatus.CLOSED, _between(Ticket.due_at, period),
               Ticket.resolved_on_time == sa.true())
    duration = _hours_between(Ticket.resolved_at, Ticket.received_at)
    resolved = _between(Ticket.resolved_at, period)
    for key, n, mean in _grouped((sa.func.count(), sa.func.avg(duration)), group, resolved):
        kpi = out.setdefault(key, Kpi())
        kpi.resolved, kpi.mean_hours = int(n), float(mean) if mean is not None else None
    for key, median in _medians(duration, group, resolved):
        if median is not None:
            out.setdefault(key, Kpi()).median_hours = float(median)
    for action, attr in (("reopen", "reopenings"), ("resolve", "resolutions")):
        for key, value in _event_counts(action, period, group):
            setattr(out.setdefault(key, Kpi()), attr, int(value))
    if group is None:
        out.setdefault(None, Kpi())
    return out


def _between(column, period: Period):
    return sa.and_(column >= period.start, column < period.end)


def _grouped(aggregates, group, *conditions):
    aggregates = aggregates if isinstance(aggregates, tuple) else (aggregates,)
    if group is None:
        row = db.session.execute(sa.select(*aggregates).where(*conditions)).one()
        return [(None, *row)]
    return db.session.execute(sa.select(group, *aggregates).where(*conditions).group_by(group)).all()


def _medians(value, group, *conditions):
    """Median of `value` per group: percentile_cont on PostgreSQL, window functions on SQLite (which has
    no percentile aggregate); both average the two middle values of an even count."""
    if db.session.get_bind().dialect.name == "postgresql":
        median = sa.func.percentile_cont(0.5).within_group(value)
        return _grouped(median, group, *conditions)
    partition = [group] if group is not None else []
    ranked = sa.select(
        (group if group is not None else sa.literal(None)).label("g"), value.label("v"),
        sa.func.row_number().over(partition_by=partition, order_by=value).label("rn"),
        sa.func.count().over(partition_by=partition).label("cnt"),
    ).where(*conditions).subquery()
    middle = sa.or_(ranked.c.rn == (ranked.c.cnt + 1) // 2, ranked.c.rn == (ranked.c.cnt + 2) // 2)
    query = sa.select(ranked.c.g, sa.func.avg(ranked.c.v)).where(middle).group_by(ranked.c.g)
    return db.session.execute(query).all()


def _event_counts(action: str, period: Period, group):
    conditions = (TicketEvent.action == action, _between(TicketEvent.at, period))
    if group is None:
        return [(None, db.session.scalar(sa.select(sa.func.count()).where(*conditions)))]
    query = (sa.select(group, sa.func.count()).select_from(TicketEvent)
             .join(Ticket, Ticket.id == TicketEvent.ticket_id).where(*conditions).group_by(group))
    return db.session.execute(query).all()


def _hours_between(later, earlier):
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.extract("epoch", later - earlier) / 3600.0
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 24.0


def _local_day(column):
    """The local calendar day of a UTC column, as 'YYYY-MM-DD' text."""
    zone = local_zone()
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone(str(zone), column), "YYYY-MM-DD")
    # SQLite keeps naive UTC text: shift by the zone's offset (Asia/Shanghai has no DST).
    offset_hours = int(datetime.now(zone).utcoffset().total_seconds() // 3600)
    return sa.func.date(column, f"{offset_hours:+d} hours")


def trend(period: Period) -> Trend:
    """New and resolved tickets per local day of the period."""
    out = Trend(period.local_days())
    for attr, column in (("new", Ticket.received_at), ("resolved", Ticket.resolved_at)):
        day = _local_day(column)
        counts = dict(db.session.execute(
            sa.select(day, sa.func.count()).where(_between(column, period)).group_by(day)).all())
        setattr(out, attr, [int(counts.get(d.isoformat(), 0)) for d in out.days])
    return out
