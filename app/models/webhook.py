"""Group-chat robots (WeCom 企业微信, DingTalk 钉钉) per department, and their outbox."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime, str_enum
from app.models.org import Department
from app.timeutil import now_utc


class WebhookKind(enum.StrEnum):
    WECOM = "wecom"
    DINGTALK = "dingtalk"


class Webhook(db.Model):
    """One robot of a department. `url` and `secret` are credentials for outgoing calls: never shown whole."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    department_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("department.id"))
    kind: so.Mapped[WebhookKind] = so.mapped_column(str_enum(WebhookKind, 16))
    url: so.Mapped[str] = so.mapped_column(sa.String(1000))
    secret: so.Mapped[str] = so.mapped_column(sa.String(200), default="")  # DingTalk's signing secret
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)
    # The robot's rate limit (about 20 a minute): messages sent in the minute from window_start.
    window_start: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    window_count: so.Mapped[int] = so.mapped_column(default=0)
    last_sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    last_error: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    last_error_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    department: so.Mapped[Department] = so.relationship()

    __table_args__ = (sa.UniqueConstraint("department_id", "kind"),)


class WebhookMessage(db.Model):
    """One event for one robot, queued with the request's commit and sent by the scheduler's job."""

    __tablename__ = "webhook_message"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    webhook_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("webhook.id", ondelete="CASCADE"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(32))  # the notification kind
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    text: so.Mapped[str] = so.mapped_column(sa.Text)  # markdown
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    failed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)  # given up after the last retry
    last_error: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    request_id: so.Mapped[str | None] = so.mapped_column(sa.String(64))  # who queued it (app/ops/context.py)

    __table_args__ = (sa.Index("ix_webhook_message_pending", "sent_at", "failed_at", "next_attempt_at"),)
