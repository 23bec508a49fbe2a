"""The job that sends the group-chat robots' outbox (app/services/notifications/webhooks.py).

Safe to run twice: a message is marked sent in the same commit as the run, and a robot's rate
window is kept on its row, so a second scheduler or a retry sends nothing twice within a run's commit.
"""
from __future__ import annotations

from datetime import datetime

from app.services.notifications import webhooks


def send_webhooks(now: datetime) -> int:
    """Post the due messages to WeCom and DingTalk robots; return how many posts succeeded."""
    return webhooks.deliver_pending(now)
