"""The job that sends the group-chat robots' outbox (app/services/notifications/webhooks.py).

Safe to run twice: a message is marked sent in the run's commit; the rate window is kept on the
robot's row.
"""
from __future__ import annotations

from datetime import datetime

from app.services.notifications import webhooks


def send_webhooks(now: datetime) -> int:
    """Post the due messages to WeCom and DingTalk robots; return how many posts succeeded."""
    return webhooks.deliver_pending(now)
