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
from app.services.photos.store import usable_by
from app.timeutil import now_utc


def missing_photos(hashes, actor: Actor) -> list[str]:
    """The hashes among `hashes` that `actor` may not use, in their order (photos.store.usable_by).

    A photo never uploaded and one uploaded by others that is on no ticket `actor` may see get the
    same answer, so that a hash never tells whether someone else has the photo (issue 12)."""
    return missing_among(hashes, usable_photos(hashes, actor))


def missing_among(hashes, usable: dict[str, Photo]) -> list[str]:
    """The hashes, once each and in their order, that are not among `usable` (usable_photos)."""
    return [h for h in dict.fromkeys(hashes) if h not in usable]


def usable_photos(hashes, actor: Actor) -> dict[str, Photo]:
    """The rows of the photos among `hashes` that `actor` may use, by hash (one query)."""
    hashes = list(dict.fromkeys(hashes))
    if not hashes:
        return {}
    return {photo.sha256: photo for photo in db.session.scalars(
        sa.select(Photo).where(Photo.sha256.in_(hashes), usable_by(actor)))}


def attach_photos(ticket: Ticket, hashes: list[str], kind: PhotoKind, actor: Actor, *,
                  captured_at: datetime | None = None, usable: dict[str, Photo] | None = None,
                  new_ticket: bool = False) -> None:
    """Link photos to a ticket and flag doubtful evidence; each must be one `actor` may use, which
    the uploader of its bytes may (else 422 `missing_photos`, as if never uploaded).

    `captured_at`: when the photos should have been taken (the report's capture time; default now).
    `usable`: what `usable_photos` answered the caller in this same transaction (not asked again).
    `new_ticket`: the ticket was made in this transaction, so it has no photos or flags to read yet."""
    hashes = list(dict.fromkeys(hashes))
    if not hashes:
        return
    if usable is None:
        usable = usable_photos(hashes, actor)
    missing = missing_among(hashes, usable)
    if missing:
        raise ValidationFailed(_("Upload these photos first."), field="photos", code="missing_photos",
                               missing=missing)
    existing = set() if new_ticket else set(db.session.scalars(sa.select(TicketPhoto.photo_sha256).where(
        TicketPhoto.ticket_id == ticket.id, TicketPhoto.kind == kind)))
    added = [sha for sha in hashes if sha not in existing]
    for sha in added:
        db.session.add(TicketPhoto(ticket_id=ticket.id, photo_sha256=sha, kind=kind,
                                   added_by_id=actor.user_id))
    evidence.check_new_photos(ticket, [usable[sha] for sha in added], kind, captured_at or now_utc(),
                              new_ticket=new_ticket)
