"""A ticket's history: the one way to append an event (and so tell the phones following it)."""
from __future__ import annotations

from datetime import datetime

from app.extensions import db
from app.models import Ticket, TicketEvent
from app.services import change_log
from app.services.actor import Actor
from app.timeutil import now_utc


def log_event(ticket: Ticket, actor: Actor | None, action: str, from_status, to_status, *,
              note: str = "", photos: list[str] | None = None, data: dict | None = None,
              at: datetime | None = None) -> TicketEvent:
    """Append one row to the ticket's history."""
    event = TicketEvent(
        ticket=ticket,
        actor_id=actor.user_id if actor else None,
        at=at or now_utc(),
        action=action,
        from_status=str(from_status) if from_status else None,
        to_status=str(to_status) if to_status else None,
        note=note,
        photos=list(photos or []),
        data=data or {},
    )
    db.session.add(event)
    change_log.ticket_changed(ticket)  # phones following the ticket hear of it (sync change feed)
    return event
