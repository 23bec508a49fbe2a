"""Photos: store an upload once by its hash, decide who may use it, find its files."""
from __future__ import annotations

import contextlib
import hashlib
import logging

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from app.errors import DomainError, NotFound
from app.extensions import db
from app.models import Photo, PhotoUpload, Role, Ticket, TicketPhoto
from app.services.actor import Actor
from app.services.photos import derivatives, imaging
from app.services.photos.exif import plausible, taken_at_utc
from app.services.tickets.access import visible_to
from app.storage import VARIANTS, MediaFile, MediaStore, media_store
from app.timeutil import local_zone, now_utc

READY, MISSING = "ready", "missing"
# Who may have the untouched original, and with it the photo's EXIF GPS (docs/design.md §5).
ORIGINAL_ROLES = (Role.SUPERVISOR, Role.ADMIN)
log = logging.getLogger(__name__)


class EmptyBody(DomainError):
    status, code = 400, "empty_body"


class PhotoTooLarge(DomainError):
    status, code = 413, "too_large"


class HashMismatch(DomainError):
    status, code = 422, "hash_mismatch"


class DerivativesNotReady(DomainError):
    """The web image and thumbnail are still being made (or could not be): 409, never a placeholder."""

    status, code = 409, "derivatives_pending"


class FileMissing(DomainError):
    """The row exists but its file is gone: reported, never a crash (the owner can upload it again)."""

    status, code = 410, "file_missing"


def store_photo(data: bytes, declared_sha256: str | None, content_type: str | None,
                actor: Actor | None) -> tuple[Photo, bool]:
    """Verify, inspect and store an upload once; returns (photo, created). The caller commits.

    Only the header is read here (type, pixel limits, size, EXIF: imaging.inspect); the original is
    written durably (fsync) before the caller's commit, and the web image, thumbnail and perceptual
    hash are made by a task once that commit is done (photos.derivatives, issue 20): until then
    the photo's `derivatives` is "pending".

    Whoever uploads the bytes is recorded as one of their uploaders (`usable_by`), the first one
    and every later one alike: they had the bytes. A known photo returns at once without
    re-processing. Otherwise the header is read first,
    then the row is inserted (ON CONFLICT DO NOTHING), then the original is written; the caller's commit comes
    last, so a committed row always has its original (docs/design.md §5). While the new row is not
    committed, a concurrent upload of the same bytes waits at its own insert (PostgreSQL: the key;
    SQLite: the write lock) and then takes this row, so the file written here is this upload's
    alone until it commits: if writing it fails it is removed again at once, and if the commit
    fails the caller calls `discard_upload`. No failed upload leaves a file behind.
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

    store = media_store()
    if store.exists("original", sha256):
        known = db.session.get(Photo, sha256)
        if known is not None and known.status == READY:
            _record_uploader(sha256, actor)
            return known, False

    inspected = imaging.inspect(data, photo_limits())
    photo = _insert_once(_row(sha256, data, inspected, actor))
    created = photo is not None
    if photo is None:
        photo = db.session.get(Photo, sha256)
    if created or photo.status != READY or not store.exists("original", sha256):
        # A row that outlived its files is repaired; it names them, so they are never removed here.
        _write_original(store, sha256, data, undo_on_failure=created)
        if not created:
            photo.derivatives = derivatives.PENDING  # they went with the original: made again
        derivatives.request(sha256)
    photo.status = READY  # its original is on disk now, whatever the row said before
    _record_uploader(sha256, actor)
    return photo, created


def _record_uploader(sha256: str, actor: Actor | None) -> None:
    """`actor` uploaded these bytes: from now on it may use the photo by its hash (once per user;
    the same user's concurrent upload of the same bytes may have recorded it: nothing then)."""
    if actor is None or actor.user_id is None:
        return
    _insert_ignoring_duplicates(PhotoUpload, photo_sha256=sha256, user_id=actor.user_id, uploaded_at=now_utc())


def _insert_ignoring_duplicates(model, **values) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True if this call inserted the row. One statement where a
    SAVEPOINT, the INSERT and its RELEASE were three round trips (issue 20: the upload's latency)."""
    primary_key = sa.inspect(model).primary_key[0]
    return db.session.execute(_insert_unless_there(model, values).returning(primary_key)).first() is not None


def _insert_unless_there(model, values: dict):
    """INSERT … ON CONFLICT DO NOTHING in the session's dialect (both of ours spell it the same)."""
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.session.get_bind().dialect.name]
    return insert(model).values(**values).on_conflict_do_nothing()


def photo_limits() -> imaging.Limits:
    """The pixel limits by format, from the configuration (app/config.py)."""
    return derivatives.limits()


def _row(sha256: str, data: bytes, inspected: imaging.Inspected, actor: Actor | None) -> dict:
    meta = inspected.exif
    return dict(
        sha256=sha256, mime=inspected.mime, bytes=len(data), width=inspected.width, height=inspected.height,
        exif=meta, exif_lat=meta.get("lat"), exif_lon=meta.get("lon"),
        exif_taken_at=taken_at_utc(meta, local_zone()), phash=None, status=READY,
        derivatives=derivatives.PENDING, derivative_attempts=0, uploaded_by_id=actor.user_id if actor else None,
    )


def _insert_once(row: dict) -> Photo | None:
    """Insert the row unless one exists; the new Photo if this call inserted it (and holds it until
    commit), read back by the INSERT itself (RETURNING): no second statement to load it."""
    # None: a concurrent upload of the same bytes won (this waited for its commit), or the row
    # outlived its files.
    return db.session.scalars(_insert_unless_there(Photo, row).returning(Photo)).first()


def _write_original(store: MediaStore, sha256: str, data: bytes, *, undo_on_failure: bool) -> None:
    try:
        store.write("original", sha256, data)  # durable: fsync of the file and its folder
    except BaseException:
        if undo_on_failure:
            _remove_files(store, sha256)  # still held by this upload's uncommitted row: no one else's
        raise


def _remove_files(store: MediaStore, sha256: str) -> None:
    for variant in VARIANTS:
        store.delete(variant, sha256)


def discard_upload(sha256: str) -> None:
    """After the commit of a new photo failed: remove its files, unless a committed row names them.

    The failed commit ended the transaction whose uncommitted row held back other uploads of the
    same bytes, so the hold is taken again first: a stand-in row is inserted (it waits for any
    concurrent upload's row) and rolled back after the files are gone. If even that fails, the
    files stay for the orphan sweep (`MEDIA_ORPHAN_GRACE_H`).
    """
    try:
        db.session.rollback()
        db.session.execute(sa.insert(Photo).values(
            sha256=sha256, mime="", bytes=0, width=0, height=0, exif={}, status=MISSING))
    except IntegrityError:
        pass  # a row names the files now: they stay
    except Exception:  # noqa: BLE001 - the database is gone too: the sweep will do it
        log.warning("could not discard the files of failed upload %s", sha256, exc_info=True)
    else:
        _remove_files(media_store(), sha256)
    finally:
        with contextlib.suppress(Exception):
            db.session.rollback()


def usable_by(actor: Actor) -> sa.ColumnElement[bool]:
    """SQL condition on Photo: `actor` may use the photo by its hash, to attach it or to read it.

    Knowing a hash is not enough (issue 12): the photo must be one `actor` uploaded (any uploader of
    the same bytes, PhotoUpload) or be on a ticket `actor` may see (supervisors see every ticket).
    The one rule behind viewing (`get_viewable_photo`) and attaching (attach.missing_photos)."""
    uploaded = sa.exists().where(PhotoUpload.photo_sha256 == Photo.sha256, PhotoUpload.user_id == actor.user_id)
    on_visible_ticket = sa.exists().where(
        TicketPhoto.photo_sha256 == Photo.sha256, TicketPhoto.ticket_id == Ticket.id, visible_to(actor))
    return sa.or_(uploaded, on_visible_ticket) if actor.user_id is not None else on_visible_ticket


def get_viewable_photo(sha256: str, actor: Actor) -> Photo:
    """The photo if `actor` may use it (`usable_by`); else NotFound, as for a hash never uploaded."""
    photo = db.session.scalar(sa.select(Photo).where(Photo.sha256 == sha256.lower(), usable_by(actor)))
    if photo is None:
        raise NotFound(_("Photo not found."))
    return photo


def may_see_originals(actor: Actor) -> bool:
    """The one rule for originals and everything only they show: the EXIF GPS position."""
    return actor.role in ORIGINAL_ROLES


def file_for(photo: Photo, variant: str) -> MediaFile:
    """The file to serve (to stream, redirect to or read); a lost derivative is made again from the
    original, a lost original is reported.

    While the derivatives are pending (or failed) there is no web image or thumbnail to serve:
    DerivativesNotReady (409 `derivatives_pending` or `derivatives_failed`)."""
    if variant != "original" and photo.derivatives != derivatives.READY:
        if photo.derivatives == derivatives.FAILED:
            raise DerivativesNotReady(_("This photo's web image and thumbnail could not be made."),
                                      code="derivatives_failed")
        raise DerivativesNotReady(_("This photo's web image and thumbnail are still being made; "
                                    "try again in a few seconds."), retry_after_s=2)
    store = media_store()
    found = MediaFile(store, variant, photo.sha256)
    if store.size(variant, photo.sha256):  # empty: what a crash can leave of a derivative
        return found
    if variant != "original" and store.exists("original", photo.sha256):
        try:
            rebuild_derivatives(photo, store)
            return found
        except DomainError:
            pass  # the original no longer decodes: as good as missing
    raise FileMissing(_("The file of this photo is missing on the server; upload it again."))


def rebuild_derivatives(photo: Photo, store: MediaStore | None = None) -> None:
    """Make the web image and thumbnail again from the original, here and now (after a change of
    recipe or a loss; `photos reprocess`, also for a photo whose task failed)."""
    derivatives.make(photo, store)


def remember_client_exif(summaries: dict, actor: Actor) -> None:
    """Keep the original photo's EXIF place and time the phone read before resizing it away.

    `summaries` maps a hash to a `PhotoExif` (app/services/reports/intake.py). The uploaded copy is
    resized in the browser and carries no EXIF, so without this the evidence checks
    (docs/design.md §5) would have nothing to compare. EXIF read by the server wins. It applies only
    to the actor's own upload, the one that stored the photo: another user who uploads the same bytes
    later may use the photo but never says where or when it was taken (issue 12).
    """
    for sha, exif in summaries.items():
        photo = db.session.get(Photo, sha)
        if photo is None or actor.user_id is None or photo.uploaded_by_id != actor.user_id:
            continue
        if photo.exif_lat is not None or photo.exif_taken_at is not None:
            continue
        taken_at = exif.taken_at if exif.taken_at is not None and plausible(exif.taken_at) else None
        photo.exif_lat, photo.exif_lon, photo.exif_taken_at = exif.lat, exif.lon, taken_at
        photo.exif = {**(photo.exif or {}), "lat": exif.lat, "lon": exif.lon,
                      "taken_at": taken_at.isoformat() if taken_at else None, "read_by": "client"}
