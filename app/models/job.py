"""The scheduler's bookkeeping: who runs the jobs, and which once-a-day work is done."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime
from app.timeutil import now_utc


class SchedulerLease(db.Model):
    """A renewable lease: only the holder's scheduler runs jobs (app.jobs.lease)."""

    name: so.Mapped[str] = so.mapped_column(sa.String(32), primary_key=True)
    holder: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class JobMark(db.Model):
    """A piece of periodic work that must happen once, e.g. one department's digest for one day."""

    key: so.Mapped[str] = so.mapped_column(sa.String(120), primary_key=True)
    done_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)
