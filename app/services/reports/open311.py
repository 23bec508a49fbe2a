"""What the Open311 door asks of the reports: photos to link, tokens, the capture time of a retry."""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import PhotoKind, Report, Ticket, TicketPhoto
from app.services.actor import Actor
from app.services.tickets.access import visible_to
from app.storage import media_store

# Namespace of the client_ids made from a client's own request id (uuid5: stable across retries).
CLIENT_REQUEST_NS = uuid.UUID("7f1f5a52-3c2e-4c61-9a3e-5b0f0c4e6a11")


def client_id_for(actor: Actor, client_request_id: str) -> str:
    """The intake's client_id for a client's own request id: the same for every retry by the same
    reporter (a key's account, or a device token's user), different for anyone else."""
    return str(uuid.uuid5(CLIENT_REQUEST_NS, f"{actor.user_id}:{client_request_id}"))


def earlier_capture(actor: Actor, client_id: str) -> datetime | None:
    """The capture time stored for this reporter's report `client_id`: a retry that names no
    captured_at gets the first try's, so its fingerprint matches and it answers with the same ticket."""
    return db.session.scalar(sa.select(Report.captured_at).where(
        Report.reporter_id == actor.user_id, Report.client_id == client_id))


def ticket_for_token(token: str, reader: Actor) -> Ticket | None:
    """The ticket a POST's token (its report's client_id) became, if `reader` may see it."""
    made = sa.select(Report.ticket_id).where(Report.client_id == token).scalar_subquery()
    return db.session.scalar(sa.select(Ticket).where(Ticket.id.in_(made), visible_to(reader)).limit(1))


def first_photos(ticket_ids: Iterable[int]) -> dict[int, str]:
    """Each ticket's first report photo whose web image (EXIF-free) exists: {ticket id: sha256}."""
    ids = list(ticket_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(TicketPhoto.ticket_id, TicketPhoto.photo_sha256)
        .where(TicketPhoto.ticket_id.in_(ids), TicketPhoto.kind == PhotoKind.BEFORE)
        .order_by(TicketPhoto.ticket_id, TicketPhoto.id))
    store, found = media_store(), {}
    for ticket_id, sha in rows:
        if ticket_id not in found and store.exists("web", sha):
            found[ticket_id] = sha
    return found
