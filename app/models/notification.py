"""In-app notifications, one row per recipient; e-mailed too when SMTP is configured."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime
from app.timeutil import now_utc


class Notification(db.Model):
    """What happened, for whom. The text is rendered when shown, in the reader's language."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(32))  # see app.services.notifications.centre.KINDS
    ticket_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("ticket.id"), index=True)
    data: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)  # counts, case numbers, notes
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)
    read_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # Set once the e-mail went out, or when there was nothing to send (no SMTP, no address).
    emailed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # The request (or job run) that queued it, logged again when it is e-mailed (app.ops.context).
    request_id: so.Mapped[str | None] = so.mapped_column(sa.String(64))

    __table_args__ = (
        sa.Index("ix_notification_user_read", "user_id", "read_at"),
        sa.Index("ix_notification_emailed_at", "emailed_at"),
    )
