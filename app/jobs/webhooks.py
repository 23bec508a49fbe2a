"""The job that sends the group-chat robots' outbox (app/services/notifications/webhooks.py).

Safe to run twice: a message is marked sent, and a robot's mark of the routed tickets it was told
of moved, in the run's commit; the rate window is kept on the robot's row.
"""
from __future__ import annotations

from datetime import datetime

from app.services.notifications import webhooks


def send_webhooks(now: datetime) -> int:
    """Queue the tickets routed at intake since the last run, then post the due messages to WeCom and
    DingTalk robots; return how many posts succeeded."""
    webhooks.queue_routed(now)
    return webhooks.deliver_pending(now)
