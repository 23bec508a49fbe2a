"""API keys that an administrator issues to an integration (a 12345 hotline, a city app), for Open311."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime
from app.models.user import User
from app.timeutil import now_utc


class ApiKey(db.Model):
    """One integration's key; only its SHA-256 is stored (decision 0009).

    `user` is the key's own account (disabled, so it can never log in): the reporter of what the
    integration posts, so the intake's (reporter, client_id) idempotency is per key. The fixed-window
    counter (`window_start`, `window_count`) lives on the row, so every worker shares it."""

    __tablename__ = "api_key"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(48), unique=True)
    key_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    window_start: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    window_count: so.Mapped[int] = so.mapped_column(default=0)

    user: so.Mapped[User] = so.relationship(foreign_keys=[user_id])
    created_by: so.Mapped[User | None] = so.relationship(foreign_keys=[created_by_id])

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
