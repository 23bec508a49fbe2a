"""Photos, stored once by content hash, and their use as evidence on tickets."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime, str_enum
from app.timeutil import now_utc


class PhotoKind(enum.StrEnum):
    BEFORE = "before"  # the report
    AFTER = "after"  # the department's rectification
    RECHECK = "recheck"  # the re-inspection


class Photo(db.Model):
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    mime: so.Mapped[str] = so.mapped_column(sa.String(40))
    bytes: so.Mapped[int]
    width: so.Mapped[int]  # as displayed, orientation applied
    height: so.Mapped[int]
    exif: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    exif_lat: so.Mapped[float | None]
    exif_lon: so.Mapped[float | None]
    exif_taken_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    phash: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="ready")  # ready, or missing (file lost)
    # The web image, thumbnail and phash are made by a task after the upload answered (issue 20):
    # pending, ready, or failed (retries used up, or pixels that do not decode); app/tasks/photos.py.
    derivatives: so.Mapped[str] = so.mapped_column(sa.String(16), default="ready", server_default="ready",
                                                   index=True)
    derivative_attempts: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    derivative_error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    derivatives_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)  # when last made, or failed
    # The upload that stored the row; every uploader of these bytes is a PhotoUpload.
    uploaded_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)


class PhotoUpload(db.Model):
    """Someone who uploaded a photo's bytes. Only they, and whoever may see a ticket that holds the
    photo, may use it by its hash (attach it, read it): knowing a hash is not enough (issue 12).
    A second upload of the same bytes by another user records them too; they had the bytes."""

    photo_sha256: so.Mapped[str] = so.mapped_column(sa.ForeignKey("photo.sha256"), primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    uploaded_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)


class TicketPhoto(db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ticket_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("ticket.id"), index=True)
    photo_sha256: so.Mapped[str] = so.mapped_column(sa.ForeignKey("photo.sha256"), index=True)
    kind: so.Mapped[PhotoKind] = so.mapped_column(str_enum(PhotoKind, 10))
    added_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    added_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)

    photo: so.Mapped[Photo] = so.relationship()

    __table_args__ = (sa.UniqueConstraint("ticket_id", "photo_sha256", "kind"),)


class EvidenceFlag(db.Model):
    """A reason to doubt a photo as evidence on a ticket; shown to supervisors, never blocking."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ticket_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("ticket.id"), index=True)
    photo_sha256: so.Mapped[str] = so.mapped_column(sa.ForeignKey("photo.sha256"), index=True)
    kind: so.Mapped[PhotoKind] = so.mapped_column(str_enum(PhotoKind, 10))
    code: so.Mapped[str] = so.mapped_column(sa.String(32))
    details: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)  # the measured numbers behind the reason
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)

    photo: so.Mapped[Photo] = so.relationship(viewonly=True)  # its thumbnail, once made
