"""Runs and failures per scheduled job, counted in the database by the job runner (app.jobs.scheduler)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.jobs.lease import _insert_ignoring_duplicates
from app.models.job import JobStat


def record(job_id: str, now: datetime, *, failed: bool) -> None:
    """Count one run (and a failure if `failed`); the caller commits. Two schedulers cannot lose a
    count: the increment is one UPDATE on the row, not a read and a write."""
    _insert_ignoring_duplicates(JobStat, job_id=job_id, runs=0, failures=0)
    values = {"runs": JobStat.runs + 1, "last_run_at": now}
    if failed:
        values.update(failures=JobStat.failures + 1, last_failure_at=now)
    db.session.execute(sa.update(JobStat).where(JobStat.job_id == job_id).values(values))
