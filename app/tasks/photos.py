"""The derivatives of an upload, made by a task once its row is committed (issue 20).

The upload stored the original durably and answered; this task decodes it once (imaging.derive)
for the web image, the thumbnail and the perceptual hash, then marks the photo `ready`. A failure
is retried PHOTO_TASK_RETRIES times, PHOTO_TASK_RETRY_DELAY_S apart and doubling (Huey's retry
with backoff), then marked `failed` with its reason, which admins see (/admin/photos, `photos
check`). Pixels that do not decode fail at once: a retry would read the same bytes.
"""
from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db, sqlite_read_only
from app.models import Photo
from app.services.photos import derivatives

log = logging.getLogger(__name__)
KIND = "photo_derivatives"
# Longer than the last retry's wait (10 + 20 + 40 s by default) and any decode: surely lost.
STALE = derivatives.STALE_PENDING


def register(queue, config) -> None:
    queue.register(KIND, make_derivatives, retries=config["PHOTO_TASK_RETRIES"],
                   retry_delay=config["PHOTO_TASK_RETRY_DELAY_S"], retry_backoff=2)
    queue.at_start(requeue_pending)


def make_derivatives(sha256: str, task=None) -> str:
    """Make the photo's derivatives; its state afterwards. Runs in an app context of its own."""
    photo = db.session.get(Photo, sha256)
    if photo is None:
        return "gone"  # its upload's commit failed, or it was removed meanwhile
    if photo.derivatives == derivatives.READY:
        return derivatives.READY  # another run made them (a second enqueue, a reprocess): not again
    retries_left = task.retries if task is not None else 0
    db.session.rollback()  # no transaction during the decode: on SQLite it would hold the write lock
    try:
        derived = derivatives.compute(sha256)
    except derivatives.PERMANENT as exc:
        derivatives.mark_failed(db.session.get(Photo, sha256), exc)
        db.session.commit()
        log.warning("photo %s: derivatives failed for good: %s", sha256, exc)
        return derivatives.FAILED
    except Exception as exc:
        photo = db.session.get(Photo, sha256)
        if retries_left > 0:
            derivatives.mark_retrying(photo, exc)
            db.session.commit()
            log.warning("photo %s: derivatives failed (%s), %d retries left", sha256, exc, retries_left)
            raise  # Huey schedules the retry, later each time (retry_backoff)
        derivatives.mark_failed(photo, exc)
        db.session.commit()
        log.error("photo %s: derivatives failed after every retry: %s", sha256, exc)
        return derivatives.FAILED
    photo = db.session.get(Photo, sha256)
    photo.derivative_attempts = (photo.derivative_attempts or 0) + 1
    derivatives.apply(photo, derived)
    db.session.commit()
    return derivatives.READY


def requeue_stale(now: datetime) -> int:
    """Queue again every photo pending for STALE (its task was lost with a killed process, or the
    queue was unreachable at the commit); a duplicate does nothing (see make_derivatives)."""
    return _requeue(Photo.derivatives == derivatives.PENDING,
                    sa.func.coalesce(Photo.derivatives_at, Photo.created_at) < now - STALE)


def requeue_pending(before: datetime) -> int:
    """Queue again every photo pending since before `before` whose task is not in the queue: run when a
    task consumer starts (a web process's runner, a `flask worker`), with the time its process started.
    After a crash the tasks that were running, and those committed but not yet queued, are gone; left
    to requeue_stale they would hold the upload backlog full, so every phone's upload was refused as
    busy for STALE (the reliability test's kills left 12). Queued tasks are not queued twice: two
    threads would decode the same photo at once. One running in another live process is (a duplicate
    that starts after it sees the photo ready and does nothing)."""
    from app.tasks import queue

    waiting = queue.queue().waiting_keys(KIND)
    return _requeue(Photo.derivatives == derivatives.PENDING,
                    sa.func.coalesce(Photo.derivatives_at, Photo.created_at) < before, skip=waiting)


def _requeue(*conditions, skip=frozenset()) -> int:
    from app.tasks import queue

    db.session.rollback()
    reading = sqlite_read_only.set(True)  # a read: on SQLite it must not take the write lock (BEGIN IMMEDIATE)
    try:
        shas = [sha for sha in db.session.scalars(sa.select(Photo.sha256).where(*conditions)
                                                   .order_by(Photo.created_at).limit(1000)) if sha not in skip]
    finally:
        db.session.rollback()  # nothing held while queueing
        sqlite_read_only.reset(reading)
    tasks = queue.queue()
    for sha in shas:
        tasks.enqueue(KIND, sha)
    return len(shas)
