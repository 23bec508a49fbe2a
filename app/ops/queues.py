"""Queue depths and ages, read from the database: what /healthz warns about and /metrics exports."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import Notification, Photo, Ticket, TicketStatus
from app.models.webhook import Webhook, WebhookMessage


@dataclass(frozen=True)
class Queue:
    name: str
    depth: int
    oldest: datetime | None

    def age_s(self, now: datetime) -> float:
        return max(0.0, (now - self.oldest).total_seconds()) if self.oldest else 0.0


def email_outbox() -> Queue:
    """Notifications the send_email job has not handled yet (sent, or marked done without SMTP)."""
    depth, oldest = db.session.execute(sa.select(sa.func.count(Notification.id), sa.func.min(
        Notification.created_at)).where(Notification.emailed_at.is_(None))).one()
    return Queue("email", depth, _aware(oldest))


def message_outbox() -> Queue:
    """Group-chat robot messages (WeCom, DingTalk) not yet sent nor given up, for robots still on:
    a robot that keeps failing leaves its messages waiting here, retried with backoff."""
    waiting = sa.and_(WebhookMessage.sent_at.is_(None), WebhookMessage.failed_at.is_(None), Webhook.active)
    depth, oldest = db.session.execute(sa.select(sa.func.count(WebhookMessage.id), sa.func.min(
        WebhookMessage.created_at)).join(Webhook, Webhook.id == WebhookMessage.webhook_id).where(waiting)).one()
    return Queue("messages", depth, _aware(oldest))


def photo_derivatives() -> Queue:
    """Photos whose web image and thumbnail a task has still to make (issue 20); failed ones are not
    waiting any more (/healthz's photo_tasks check counts them)."""
    from app.services.photos import derivatives

    depth, oldest = db.session.execute(sa.select(sa.func.count(Photo.sha256), sa.func.min(Photo.created_at))
                                       .where(Photo.derivatives == derivatives.PENDING)).one()
    return Queue("photo_derivatives", depth, _aware(oldest))


def triage() -> Queue:
    """Tickets waiting for a supervisor to route them (reported without a rule, or returned)."""
    waiting = Ticket.status.in_((TicketStatus.REPORTED, TicketStatus.RETURNED))
    depth, oldest = db.session.execute(sa.select(sa.func.count(Ticket.id), sa.func.min(Ticket.updated_at))
                                       .where(waiting)).one()
    return Queue("triage", depth, _aware(oldest))


def all_queues() -> list[Queue]:
    return [email_outbox(), message_outbox(), photo_derivatives(), triage()]


def _aware(value: datetime | None) -> datetime | None:
    from datetime import UTC

    if value is not None and value.tzinfo is None:  # aggregates skip the column's UTC type on SQLite
        return value.replace(tzinfo=UTC)
    return value
