"""The county's working-day calendar: official holidays and make-up working days (调休), as data.

A day not listed follows the week (Monday to Friday work). A year is *covered* once it holds at least
one holiday: the county (or the seed from chinesecalendar) has entered that year's notice.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime, str_enum
from app.timeutil import now_utc


class DayKind(enum.StrEnum):
    HOLIDAY = "holiday"  # a day off, even on a weekday
    WORKDAY = "workday"  # a working day, even on a weekend (调休)


class CalendarDay(db.Model):
    __tablename__ = "calendar_day"

    day: so.Mapped[date] = so.mapped_column(sa.Date, primary_key=True)
    kind: so.Mapped[DayKind] = so.mapped_column(str_enum(DayKind, 16))
    name: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)

    def __repr__(self) -> str:
        return f"<CalendarDay {self.day} {self.kind}>"
