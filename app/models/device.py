"""Each phone's capture numbering (issue 18): what it numbered, what arrived, what never did."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime
from app.timeutil import now_utc


class Device(db.Model):
    """A browser's storage (the PWA's deviceId), as last seen by the sync."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    device_id: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)  # who synced last
    first_seen: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)
    last_seen: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)
    highest_seq: so.Mapped[int] = so.mapped_column(default=0)
    # The numbers the phone said it still held at its last sync that sent them.
    waiting: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    # Set when its waiting items were reported lost (silent or replaced); cleared when it syncs again.
    loss_reported_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    replaced_by: so.Mapped[str | None] = so.mapped_column(sa.String(64))


class CaptureNumber(db.Model):
    """One number of a device: arrived, or reported missing (and maybe found later)."""

    __tablename__ = "capture_number"

    device_pk: so.Mapped[int] = so.mapped_column(sa.ForeignKey("device.id"), primary_key=True)
    seq: so.Mapped[int] = so.mapped_column(primary_key=True)
    arrived_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    missing_reported_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
