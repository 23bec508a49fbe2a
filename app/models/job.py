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
    # When the holder last renewed it: the scheduler's heartbeat, which /healthz reads.
    heartbeat_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


class JobMark(db.Model):
    """A piece of periodic work that must happen once, e.g. one department's digest for one day."""

    key: so.Mapped[str] = so.mapped_column(sa.String(120), primary_key=True)
    done_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)


class JobStat(db.Model):
    """Runs and failures of one scheduled job, kept in the database so every web worker's /metrics
    reports them whichever machine the scheduler runs on (app.ops.metrics)."""

    job_id: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    runs: so.Mapped[int] = so.mapped_column(default=0)
    failures: so.Mapped[int] = so.mapped_column(default=0)
    last_run_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    last_failure_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
