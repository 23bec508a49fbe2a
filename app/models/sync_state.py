"""Bookkeeping for the offline sync protocol: the change feed and offline actions (docs/design.md §3)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime
from app.timeutil import now_utc


class Change(db.Model):
    """One committed change that phones may need; `seq` is the sync cursor (never a timestamp).

    Rows are written only at commit time, in commit order (app.services.change_log), so a
    client that has read up to `seq` N can never miss a change that commits later with a
    smaller number.
    """

    seq: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))  # "ticket" or "category"
    # No foreign keys: the commit-time insert must not wait for row locks other writers hold.
    ticket_id: so.Mapped[int | None] = so.mapped_column(index=True)
    category_id: so.Mapped[int | None]
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)

    # Never reuse a number, even if old changes are pruned (SQLite would otherwise take max + 1).
    __table_args__ = {"sqlite_autoincrement": True}


class OfflineAction(db.Model):
    """A ticket action (close, reopen) a phone queued offline; (user, client_id) is its idempotency key."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    client_id: so.Mapped[str] = so.mapped_column(sa.String(36))
    ticket_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("ticket.id"), index=True)
    action: so.Mapped[str] = so.mapped_column(sa.String(32))
    fingerprint: so.Mapped[str] = so.mapped_column(sa.String(64))  # SHA-256 of the canonical content
    received_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (sa.UniqueConstraint("user_id", "client_id"),)
