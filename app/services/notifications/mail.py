"""E-mail for notifications through SMTP when SMTP_HOST is configured; silently off when not."""
from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.extensions import db
from app.models import Notification, User
from app.services.notifications import centre as notify

log = logging.getLogger(__name__)
BATCH = 200


def enabled() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def compose(row: Notification, address: str) -> EmailMessage:
    title, lines = notify.describe(row)
    message = EmailMessage()
    message["Subject"] = f"[{_('Xuncha')}] {title}"
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = address
    message.set_content("\n".join([title, "", *lines]) + "\n")
    return message


def deliver_pending(now: datetime) -> int:
    """E-mail the notifications not sent yet; return how many went out. The caller commits.

    Rows with nothing to send (SMTP off, no address) are marked done too, so they are not
    looked at again. If the server cannot be reached the rest stay pending for the next run.
    """
    rows = db.session.execute(
        sa.select(Notification, User.email).join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None)).order_by(Notification.id).limit(BATCH)
    ).all()
    if not rows:
        return 0
    if not enabled():
        for row, _email in rows:
            row.emailed_at = now
            _log_done(row, "no SMTP")
        return 0
    config = current_app.config
    sent = 0
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USERNAME"]:
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
            for row, email in rows:
                if email:
                    smtp.send_message(compose(row, email))
                    sent += 1
                row.emailed_at = now
                _log_done(row, "sent" if email else "no address")
    except (OSError, smtplib.SMTPException) as exc:
        # What went out stays marked (the caller commits), so a retry never sends it twice.
        log.warning("SMTP delivery stopped after %d message(s): %s", sent, exc)
    return sent


def _log_done(row: Notification, outcome: str) -> None:
    # The id of the request that queued it, so one search finds both ends (docs/operations.md).
    log.info("notification %s handled: %s", row.id, outcome, extra={
        "notification_id": row.id, "queued_by_request": row.request_id, "outcome": outcome})
