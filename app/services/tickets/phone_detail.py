"""What a phone keeps of each ticket it follows, beyond the card: history, photos, return reason.

The change feed (app/services/change_feed.py) adds these to each ticket it sends, so the
inspector's report detail and re-inspection task read offline from the last sync
(docs/sync-protocol.md §3). One query per kind for a whole page of tickets, never one per ticket.
The feed only sends tickets the actor follows, so nothing here checks access again.
"""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Photo, Report, TicketEvent, TicketPhoto
from app.services.actor import Actor
from app.timeutil import iso

# The derivatives are made after the upload (photo.derivatives "pending", issue 20): the phone then
# shows a placeholder and asks GET /api/v1/photos/<sha256> again later for the URLs.
_READY = "ready"


def details(ticket_ids: list[int], actor: Actor) -> dict[int, dict]:
    """For each ticket id: `events`, `return_note`, `photos` and `own_captured_at`."""
    out = {ticket_id: {"events": [], "return_note": "", "photos": [], "own_captured_at": None}
           for ticket_id in ticket_ids}
    if not ticket_ids:
        return out
    for event in db.session.scalars(sa.select(TicketEvent).where(TicketEvent.ticket_id.in_(ticket_ids))
                                    .order_by(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.id)):
        entry = out[event.ticket_id]
        entry["events"].append(event_out(event))
        if event.action == "return":  # the department's reason for handing the ticket back (the latest)
            entry["return_note"] = event.note
    rows = db.session.execute(
        sa.select(TicketPhoto.ticket_id, TicketPhoto.kind, TicketPhoto.added_at, Photo.sha256, Photo.status,
                  Photo.derivatives)
        .join(Photo, Photo.sha256 == TicketPhoto.photo_sha256)
        .where(TicketPhoto.ticket_id.in_(ticket_ids))
        .order_by(TicketPhoto.ticket_id, TicketPhoto.added_at, TicketPhoto.id))
    for ticket_id, kind, added_at, sha, status, made in rows:
        out[ticket_id]["photos"].append(photo_out(sha, kind.value, added_at, status if made == _READY else made))
    if actor.user_id is not None:
        captured = db.session.execute(
            sa.select(Report.ticket_id, sa.func.min(Report.captured_at))
            .where(Report.ticket_id.in_(ticket_ids), Report.reporter_id == actor.user_id)
            .group_by(Report.ticket_id))
        for ticket_id, at in captured:
            out[ticket_id]["own_captured_at"] = iso(at)
    return out


def event_out(event: TicketEvent) -> dict:
    """One line of the history; no actor names (the phone shows what happened, not who)."""
    return {"action": event.action, "from": event.from_status, "to": event.to_status,
            "at": iso(event.at), "note": event.note}


def photo_out(sha: str, kind: str, added_at, status: str) -> dict:
    ready = status == _READY
    return {
        "sha256": sha,
        "kind": kind,
        "added_at": iso(added_at),
        "thumbnail_url": f"/api/v1/photos/{sha}/thumb" if ready else None,
        "web_url": f"/api/v1/photos/{sha}/web" if ready else None,
    }
