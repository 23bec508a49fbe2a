"""Database-backed coordination that works the same on SQLite and PostgreSQL.

- `hold`: a renewable lease row. Only its holder's scheduler runs jobs, however many schedulers
  were started; a standby takes over when the holder stops renewing (it died or was stopped).
  One conditional UPDATE decides, so two schedulers racing for it cannot both win: PostgreSQL
  re-checks the WHERE clause after the row lock, SQLite serialises writers (BEGIN IMMEDIATE).
  We chose a lease over PostgreSQL advisory locks because those need a connection held open for
  the process's lifetime and do not exist on SQLite.
- `claim_once`: a unique key per piece of once-only work (a department's digest for a day), so it
  is done once even across a lease hand-over or a restart.

Both flush; the job runner commits straight away so other schedulers see the result.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import JobMark, SchedulerLease

LEASE = "scheduler"
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def _insert_ignoring_duplicates(model, **values) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True if the row was inserted, False if it existed."""
    dialect = db.session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    # RETURNING, not rowcount: an ORM insert does not report its rowcount on every driver.
    primary_key = sa.inspect(model).primary_key[0]
    statement = insert(model).values(**values).on_conflict_do_nothing().returning(primary_key)
    return db.session.execute(statement).first() is not None


def hold(holder: str, now: datetime, ttl: timedelta, name: str = LEASE) -> bool:
    """Take the lease if it is free or expired, or renew it if `holder` has it; True if held."""
    _insert_ignoring_duplicates(SchedulerLease, name=name, holder="", expires_at=_NEVER)
    result = db.session.execute(
        sa.update(SchedulerLease)
        .where(SchedulerLease.name == name,
               sa.or_(SchedulerLease.holder == holder, SchedulerLease.expires_at < now))
        .values(holder=holder, expires_at=now + ttl, heartbeat_at=now)
    )
    return result.rowcount == 1


def release(holder: str, name: str = LEASE) -> None:
    """Give the lease up at a clean shutdown, so a standby need not wait for it to expire."""
    db.session.execute(sa.update(SchedulerLease).where(SchedulerLease.name == name,
                                                       SchedulerLease.holder == holder)
                       .values(holder="", expires_at=_NEVER))


def last_heartbeat(name: str = LEASE) -> datetime | None:
    """When a scheduler last took or renewed the lease (None: never, or released at a clean stop)."""
    row = db.session.get(SchedulerLease, name)
    return row.heartbeat_at if row is not None and row.holder else None


def holder_of(now: datetime, name: str = LEASE) -> str | None:
    row = db.session.get(SchedulerLease, name)
    return row.holder if row is not None and row.holder and row.expires_at >= now else None


def claim_once(key: str, now: datetime) -> bool:
    """True the first time `key` is claimed, False ever after."""
    return _insert_ignoring_duplicates(JobMark, key=key, done_at=now)
