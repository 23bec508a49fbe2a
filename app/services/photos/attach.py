"""Linking stored photos to a ticket as before, after or re-inspection evidence."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from app.errors import ValidationFailed
from app.extensions import db
from app.models import Photo, PhotoKind, Ticket, TicketPhoto
from app.services.actor import Actor
from app.services.photos import evidence
from app.timeutil import now_utc


def missing_photos(hashes) -> list[str]:
    """The hashes among `hashes` that no upload has stored yet, in their order."""
    hashes = list(dict.fromkeys(hashes))
    if not hashes:
        return []
    known = set(db.session.scalars(sa.select(Photo.sha256).where(Photo.sha256.in_(hashes))))
    return [h for h in hashes if h not in known]


def attach_photos(ticket: Ticket, hashes: list[str], kind: PhotoKind, actor: Actor | None, *,
                  captured_at: datetime | None = None) -> None:
    """Link stored photos to a ticket and flag doubtful evidence; every hash must have been uploaded first.

    `captured_at`: when the photos should have been taken (the report's capture time; default now)."""
    hashes = list(dict.fromkeys(hashes))
    if not hashes:
        return
    missing = missing_photos(hashes)
    if missing:
        raise ValidationFailed(_("Upload these photos first."), field="photos", code="missing_photos",
                               missing=missing)
    existing = set(db.session.scalars(sa.select(TicketPhoto.photo_sha256).where(
        TicketPhoto.ticket_id == ticket.id, TicketPhoto.kind == kind)))
    added = [sha for sha in hashes if sha not in existing]
    for sha in added:
        db.session.add(TicketPhoto(ticket_id=ticket.id, photo_sha256=sha, kind=kind,
                                   added_by_id=actor.user_id if actor else None))
    evidence.check_new_photos(ticket, added, kind, captured_at or now_utc())
