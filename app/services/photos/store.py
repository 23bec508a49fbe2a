"""Photos: store an upload once by its hash, decide who may see it, find its files."""
from __future__ import annotations

import hashlib
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.errors import DomainError, NotFound
from app.extensions import db
from app.models import Photo, Ticket, TicketPhoto
from app.services.actor import Actor
from app.services.photos import imaging
from app.services.photos.exif import taken_at_utc
from app.services.tickets.access import visible_to
from app.storage import MediaStore
from app.timeutil import local_zone

READY, MISSING = "ready", "missing"


class EmptyBody(DomainError):
    status, code = 400, "empty_body"


class PhotoTooLarge(DomainError):
    status, code = 413, "too_large"


class HashMismatch(DomainError):
    status, code = 422, "hash_mismatch"


class FileMissing(DomainError):
    """The row exists but its file is gone: reported, never a crash (the owner can upload it again)."""

    status, code = 410, "file_missing"


def store_photo(data: bytes, declared_sha256: str | None, content_type: str | None,
                actor: Actor | None) -> tuple[Photo, bool]:
    """Verify, process and store an upload once; returns (photo, created). The caller commits.

    Files are written before the row, so a committed row always has its files. A known photo
    returns at once without re-processing. Concurrent uploads of the same bytes all succeed:
    the row is inserted in a savepoint and the losers of the race take the winner's row.
    """
    if not data:
        raise EmptyBody(_("The upload is empty."))
    if len(data) > current_app.config["MAX_PHOTO_BYTES"]:
        raise PhotoTooLarge(_("The photo is larger than %(mb)d MB.",
                              mb=current_app.config["MAX_PHOTO_BYTES"] // (1024 * 1024)))
    sha256 = hashlib.sha256(data).hexdigest()
    if declared_sha256 is not None and declared_sha256.lower() != sha256:
        raise HashMismatch(_("The bytes received do not have the SHA-256 given; upload them again."),
                           field="sha256", received_sha256=sha256)
    if content_type and not content_type.startswith(("image/", "application/octet-stream")):
        raise imaging.UnsupportedType(_("Only JPEG, PNG, WebP and HEIC photos are accepted."))

    store = MediaStore.from_config()
    if store.exists("original", sha256):
        known = db.session.get(Photo, sha256)
        if known is not None and known.status == READY:
            return known, False

    processed = imaging.process(data, max_pixels=current_app.config["MAX_PHOTO_PIXELS"])
    store.write("original", sha256, data)
    store.write("web", sha256, processed.web, durable=False)
    store.write("thumb", sha256, processed.thumb, durable=False)
    return _insert_once(sha256, data, processed, actor)


def _insert_once(sha256: str, data: bytes, processed: imaging.Processed, actor: Actor | None) -> tuple[Photo, bool]:
    meta = processed.exif
    row = dict(
        sha256=sha256, mime=processed.mime, bytes=len(data), width=processed.width, height=processed.height,
        exif=meta, exif_lat=meta.get("lat"), exif_lon=meta.get("lon"),
        exif_taken_at=taken_at_utc(meta, local_zone()), phash=processed.phash, status=READY,
        uploaded_by_id=actor.user_id if actor else None,
    )
    try:
        with db.session.begin_nested():
            db.session.execute(sa.insert(Photo).values(**row))
        created = True
    except IntegrityError:
        created = False  # a concurrent upload of the same bytes won, or the row outlived its files
    photo = db.session.get(Photo, sha256)
    photo.status = READY  # its files are on disk now, whatever the row said before
    return photo, created


def get_viewable_photo(sha256: str, actor: Actor) -> Photo:
    """The photo if `actor` uploaded it or may see a ticket it is on (supervisors: any); else NotFound."""
    query = sa.select(Photo).where(Photo.sha256 == sha256.lower())
    if not actor.is_supervisor:
        on_visible_ticket = sa.exists().where(
            TicketPhoto.photo_sha256 == Photo.sha256, TicketPhoto.ticket_id == Ticket.id, visible_to(actor))
        query = query.where(sa.or_(Photo.uploaded_by_id == actor.user_id, on_visible_ticket))
    photo = db.session.scalar(query)
    if photo is None:
        raise NotFound(_("Photo not found."))
    return photo


def file_for(photo: Photo, variant: str) -> Path:
    """The file to serve; a lost derivative is made again from the original, a lost original is reported."""
    store = MediaStore.from_config()
    path = store.path(variant, photo.sha256)
    if path.is_file() and path.stat().st_size > 0:  # empty: what a crash can leave of a derivative
        return path
    if variant != "original" and store.exists("original", photo.sha256):
        try:
            rebuild_derivatives(photo, store)
            return path
        except DomainError:
            pass  # the original no longer decodes: as good as missing
    raise FileMissing(_("The file of this photo is missing on the server; upload it again."))


def rebuild_derivatives(photo: Photo, store: MediaStore | None = None) -> None:
    """Make the web image and thumbnail again from the original (after a change of recipe or a loss)."""
    store = store or MediaStore.from_config()
    data = store.path("original", photo.sha256).read_bytes()
    processed = imaging.process(data, max_pixels=current_app.config["MAX_PHOTO_PIXELS"])
    store.write("web", photo.sha256, processed.web, durable=False)
    store.write("thumb", photo.sha256, processed.thumb, durable=False)
    photo.phash = processed.phash


def remember_client_exif(summaries: dict, actor: Actor) -> None:
    """Keep the original photo's EXIF place and time the phone read before resizing it away.

    `summaries` maps a hash to a `PhotoExif` (app/services/reports/intake.py). The uploaded copy is
    resized in the browser and carries no EXIF, so without this the evidence checks
    (docs/design.md §5) would have nothing to compare. EXIF read by the server wins.
    """
    for sha, exif in summaries.items():
        photo = db.session.get(Photo, sha)
        if photo is None or photo.exif_lat is not None or photo.exif_taken_at is not None:
            continue
        photo.exif_lat, photo.exif_lon, photo.exif_taken_at = exif.lat, exif.lon, exif.taken_at
        photo.exif = {**(photo.exif or {}), "lat": exif.lat, "lon": exif.lon,
                      "taken_at": exif.taken_at.isoformat() if exif.taken_at else None, "read_by": "client"}
