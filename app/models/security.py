"""Records kept for security: login attempts (throttling) and the audit log of admin actions."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime
from app.timeutil import now_utc


class LoginAttempt(db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64))  # as typed, lower-cased
    ip: so.Mapped[str] = so.mapped_column(sa.String(45))
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)
    success: so.Mapped[bool]

    __table_args__ = (
        sa.Index("ix_login_attempt_username_at", "username", "at"),
        sa.Index("ix_login_attempt_ip_at", "ip", "at"),
    )


class AuditEntry(db.Model):
    """Who changed users, tokens or the county's configuration, and how; never edited."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc, index=True)
    action: so.Mapped[str] = so.mapped_column(sa.String(64))
    target_type: so.Mapped[str] = so.mapped_column(sa.String(32))
    target_id: so.Mapped[str] = so.mapped_column(sa.String(64))
    details: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    ip: so.Mapped[str | None] = so.mapped_column(sa.String(45))
