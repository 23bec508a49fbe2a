"""People, their device tokens and their web sessions."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin

from app.extensions import db
from app.models.base import UTCDateTime, str_enum
from app.models.org import Department
from app.timeutil import now_utc


class Role(enum.StrEnum):
    INSPECTOR = "inspector"
    DEPARTMENT = "department"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    __tablename__ = "users"  # "user" is reserved in PostgreSQL

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    display_name: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(256))
    role: so.Mapped[Role] = so.mapped_column(str_enum(Role))
    department_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("department.id"))
    area_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("area.id"))
    email: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)

    department: so.Mapped[Department | None] = so.relationship()

    __table_args__ = (
        # A department user always belongs to exactly one department.
        sa.CheckConstraint(
            "role != 'department' OR department_id IS NOT NULL", name="department_user_has_department"
        ),
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class DeviceToken(db.Model):
    """A long-lived, revocable API token; only its SHA-256 is stored."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    label: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    user: so.Mapped[User] = so.relationship()


class UserSession(db.Model):
    """One web login (docs/design.md §10): the signed session cookie carries a random secret, this row
    its SHA-256 (like device tokens, so a copy of the database holds no live session). Logging out
    ends this row; a password reset or disabling the account ends all of the user's rows."""

    __tablename__ = "user_session"

    id: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)  # SHA-256 of the cookie's secret
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)
    last_seen_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)  # last write, ±5 min
    ended_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    end_reason: so.Mapped[str | None] = so.mapped_column(sa.String(20))  # logout, password_reset, disabled

    user: so.Mapped[User] = so.relationship()
