"""A photo's derivatives (web image, thumbnail, perceptual hash): their state and how they are made.

An upload answers once its original is durable; the derivatives follow in a task
(app/tasks/photos.py). Until then the photo is `pending`: no web or thumbnail URL, and whatever
needs them (lists, the map, slips, Open311, the similarity flags) waits or shows its own
placeholder. `ready`: the files exist (a lost one is made again when asked for). `failed`: the
task gave up (its reason in `derivative_error`); `photos reprocess` tries again.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app

from app.extensions import db
from app.models import Photo
from app.services.photos import evidence, imaging
from app.storage import MediaStore, media_store
from app.timeutil import now_utc

PENDING, READY, FAILED = "pending", "ready", "failed"
# Pending this long since its last try, a photo's task was lost (a killed process, an unreachable
# queue at the commit): the scheduler queues it again, and the upload backlog stops counting it.
STALE_PENDING = timedelta(minutes=10)
# The bytes themselves are at fault: another try reads the same bytes.
PERMANENT = (imaging.CorruptImage, imaging.TooManyPixels, imaging.UnsupportedType)
ERROR_CHARS = 500


def request(sha256: str) -> None:
    """Have the derivatives made once the current transaction commits (the row must be visible)."""
    from app.tasks import photos as photo_tasks
    from app.tasks import queue

    queue.after_commit(photo_tasks.KIND, sha256)


def limits() -> imaging.Limits:
    config = current_app.config
    return imaging.Limits(max_pixels=config["MAX_PHOTO_PIXELS"], max_whole_pixels=config["MAX_PHOTO_PIXELS_WHOLE"],
                          max_webp_pixels=config["MAX_PHOTO_PIXELS_WEBP"])


def make(photo: Photo, store: MediaStore | None = None) -> None:
    """Decode the original once, write the web image and thumbnail, keep the phash: `ready`.
    The caller commits. Refusals of the bytes raise imaging's DomainErrors (PERMANENT)."""
    photo.derivative_attempts = (photo.derivative_attempts or 0) + 1
    apply(photo, compute(photo.sha256, store))


def compute(sha256: str, store: MediaStore | None = None) -> imaging.Derived:
    """The decode and the files, without the database: a task holds no transaction meanwhile
    (on SQLite every transaction holds the write lock)."""
    store = store or media_store()
    data = store.read("original", sha256)
    config = current_app.config
    derived = imaging.derive(data, limits(), slots=imaging.decode_slots(config["PHOTO_DECODE_SLOTS"]),
                             wait_s=config["PHOTO_DECODE_WAIT_S"])
    store.write("web", sha256, derived.web, durable=False)
    store.write("thumb", sha256, derived.thumb, durable=False)
    return derived


def apply(photo: Photo, derived: imaging.Derived) -> None:
    """Mark the photo `ready` with its phash, and compute the similarity flags that needed it."""
    had_phash = photo.phash
    photo.phash = derived.phash
    photo.derivatives, photo.derivative_error, photo.derivatives_at = READY, None, now_utc()
    db.session.flush()
    if had_phash != derived.phash:
        evidence.recheck_similar(photo)


def mark_retrying(photo: Photo, exc: BaseException) -> None:
    """A try failed; Huey tries again later."""
    photo.derivative_attempts = (photo.derivative_attempts or 0) + 1
    photo.derivative_error = _reason(exc)
    photo.derivatives_at = now_utc()


def mark_failed(photo: Photo, exc: BaseException) -> None:
    """The last try failed, or the bytes cannot make derivatives: admins see it (/admin/photos)."""
    photo.derivative_attempts = (photo.derivative_attempts or 0) + 1
    photo.derivatives, photo.derivative_error, photo.derivatives_at = FAILED, _reason(exc), now_utc()


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:ERROR_CHARS]


def status(limit: int = 100):
    """For admins: how many photos are pending and failed, and the failed ones (latest first)."""
    import sqlalchemy as sa

    counts = dict(db.session.execute(sa.select(Photo.derivatives, sa.func.count()).group_by(Photo.derivatives)).all())
    failed = db.session.scalars(sa.select(Photo).where(Photo.derivatives == FAILED)
                                .order_by(Photo.derivatives_at.desc(), Photo.sha256).limit(limit)).all()
    return {"pending": counts.get(PENDING, 0), "failed": counts.get(FAILED, 0), "ready": counts.get(READY, 0),
            "failed_photos": failed}
