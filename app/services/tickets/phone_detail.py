"""What a phone keeps of each ticket it follows, beyond the card: history, photos, return reason.

The change feed (app/services/change_feed.py) adds these to each ticket it sends, so the
inspector's report detail and re-inspection task read offline from the last sync
(docs/sync-protocol.md §3). One query per kind for a whole page of tickets, never one per ticket.
The feed only sends tickets the actor follows, so nothing here checks access again.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import Photo, Report, TicketEvent, TicketPhoto
from app.services.actor import Actor
from app.timeutil import iso

# The derivatives are made after the upload (photo.derivatives "pending", issue 20): the phone then
# shows a placeholder and asks GET /api/v1/photos/<sha256> again later for the URLs.
_READY = "ready"


def details(ticket_ids: list[int], actor: Actor) -> dict[int, dict]:
    """For each ticket id: `events`, `last_note`, `return_note`, `photos`, `client_ids` (of `actor`'s
    reports on it) and `own_captured_at` (the earliest of them). Three queries for any number of tickets."""
    out = {ticket_id: {"events": [], "last_note": "", "return_note": "", "photos": [], "client_ids": [],
                       "own_captured_at": None}
           for ticket_id in ticket_ids}
    if not ticket_ids:
        return out
    last_change: dict[int, int] = {}  # ticket id → id of its latest status change (its note is `last_note`)
    for event in db.session.scalars(sa.select(TicketEvent).where(TicketEvent.ticket_id.in_(ticket_ids))
                                    .order_by(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.id)):
        entry = out[event.ticket_id]
        entry["events"].append(event_out(event))
        if event.action == "return":  # the department's reason for handing the ticket back (the latest)
            entry["return_note"] = event.note
        if _changes_status(event) and event.id > last_change.get(event.ticket_id, 0):
            last_change[event.ticket_id] = event.id  # by id, not by `at`: an offline action may be back-dated
            entry["last_note"] = event.note
    rows = db.session.execute(
        sa.select(TicketPhoto.ticket_id, TicketPhoto.kind, TicketPhoto.added_at, Photo.sha256, Photo.status,
                  Photo.derivatives)
        .join(Photo, Photo.sha256 == TicketPhoto.photo_sha256)
        .where(TicketPhoto.ticket_id.in_(ticket_ids))
        .order_by(TicketPhoto.ticket_id, TicketPhoto.added_at, TicketPhoto.id))
    for ticket_id, kind, added_at, sha, status, made in rows:
        out[ticket_id]["photos"].append(photo_out(sha, kind.value, added_at, status if made == _READY else made))
    if actor.user_id is not None:
        earliest: dict[int, datetime] = {}
        for ticket_id, client_id, captured_at in db.session.execute(
                sa.select(Report.ticket_id, Report.client_id, Report.captured_at)
                .where(Report.ticket_id.in_(ticket_ids), Report.reporter_id == actor.user_id)):
            out[ticket_id]["client_ids"].append(client_id)
            if captured_at is not None and (ticket_id not in earliest or captured_at < earliest[ticket_id]):
                earliest[ticket_id] = captured_at
        for ticket_id, entry in out.items():
            entry["client_ids"].sort()
            entry["own_captured_at"] = iso(earliest.get(ticket_id))
    return out


def _changes_status(event: TicketEvent) -> bool:
    """A move from one status to another (not the first report, not a note or a repeat)."""
    return event.from_status is not None and event.to_status is not None and event.from_status != event.to_status


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
