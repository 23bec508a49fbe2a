"""Reminders of drawn points not visited yet (issue 14 §4): the day before a draw's due date and on it.

Each assignee hears once per (draw, local day) — the claim is a JobMark key, so a second run, a
retry or a second scheduler sends nothing more — in the notification centre, and by e-mail through
the send_email job like every notification. Sent from DIGEST_HOUR local time on, not at midnight.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app

from app.jobs import lease
from app.services.assessment import draws
from app.services.notifications import centre as notify
from app.timeutil import to_local


def remind_draw_assignees(now: datetime) -> int:
    """Tell each assignee of a draw due tomorrow or today which of its points are not visited yet."""
    if to_local(now).hour < current_app.config["DIGEST_HOUR"]:
        return 0
    sent = 0
    for reminder in draws.reminders_due(now):
        key = f"draw-reminder:{reminder.draw.id}:{reminder.day.isoformat()}:{reminder.user_id}"
        if not lease.claim_once(key, now):
            continue
        when = "today" if reminder.draw.due == reminder.day else "tomorrow"
        sent += notify.send([reminder.user_id], "draw_due", draw=reminder.draw.name, draw_id=reminder.draw.id,
                            due=reminder.draw.due.isoformat(), when=when, count=len(reminder.codes),
                            cases=reminder.codes[:notify.MAX_LISTED_CASES])
    return sent
