"""Dashboard figures per local day, kept up to date so a dashboard never scans the period's tickets."""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db

# Each ticket is counted once per grouping; group_id 0 is "all" (grouping 'all') or "none" (no
# department or area yet).
KPI_GROUPINGS = ("all", "department", "category", "area")
NOW_DAY = 0  # the `day` of the rows that hold the present (open tickets, tickets in a department's hands)
# A resolution is counted in blocks of 1, 4, 16 and 64 days aligned on day numbers, so a period reads
# a few blocks (a year: about a dozen) instead of one set of rows per day.
CLASS_SPANS = (64, 16, 4, 1)


class KpiDay(db.Model):
    """Counts for one local calendar day and one group.

    `day` is the local date's ordinal (date.toordinal(): 2026-06-01 is 739768).

    Maintained by app/services/kpi_rollup.py. Which day a count belongs to depends on the figure:
    `new` on the day of receipt, `resolved`/`resolve_seconds` on the day of resolution, `due` and
    `closed_on_time` on the deadline's day, `reopenings`/`resolutions` on the day of the event.
    The row with day 0 holds `open` and `in_hand` (assigned, in progress or reopened, with a deadline).
    """

    __tablename__ = "kpi_day"

    grouping: so.Mapped[str] = so.mapped_column(sa.String(10), primary_key=True)
    day: so.Mapped[int] = so.mapped_column(primary_key=True)
    group_id: so.Mapped[int] = so.mapped_column(primary_key=True)
    new: so.Mapped[int] = so.mapped_column(default=0)
    resolved: so.Mapped[int] = so.mapped_column(default=0)
    resolve_seconds: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    due: so.Mapped[int] = so.mapped_column(default=0)
    closed_on_time: so.Mapped[int] = so.mapped_column(default=0)
    reopenings: so.Mapped[int] = so.mapped_column(default=0)
    resolutions: so.Mapped[int] = so.mapped_column(default=0)
    open: so.Mapped[int] = so.mapped_column(default=0)
    in_hand: so.Mapped[int] = so.mapped_column(default=0)

    # SQLite keeps the rows in key order, so a period's rows are one range read (no table lookups).
    __table_args__ = {"sqlite_with_rowid": False}


class KpiResolveClass(db.Model):
    """How many tickets resolved in a block of `span` local days starting on `day` (an ordinal that is
    a multiple of `span`), in one group, took a time within one class.

    Classes are about 5% wide (app/services/kpi_rollup.py), so a median read from them is within
    2.5% (plus a few seconds) of the exact one without sorting the period's tickets.
    """

    __tablename__ = "kpi_resolve_class"

    grouping: so.Mapped[str] = so.mapped_column(sa.String(10), primary_key=True)
    span: so.Mapped[int] = so.mapped_column(sa.SmallInteger, primary_key=True)
    day: so.Mapped[int] = so.mapped_column(primary_key=True)
    group_id: so.Mapped[int] = so.mapped_column(primary_key=True)
    resolve_class: so.Mapped[int] = so.mapped_column(sa.SmallInteger, primary_key=True)
    n: so.Mapped[int] = so.mapped_column(default=0)

    __table_args__ = {"sqlite_with_rowid": False}
