"""The upload backlog (issue 20): a new photo waits while PHOTO_BACKLOG_LIMIT photos wait for derivatives.

Answering uploads faster than the tasks make thumbnails only lengthens every thumbnail's wait, so
a new upload is refused with 503 `busy` and Retry-After before its body is read; the phone keeps
the photo and sends it again (static/pwa/js/api.js: RetryLater). Bytes already stored are answered
as before: their retry adds no work. Why a fixed number rather than one that follows the tasks'
pace or the queue's delay: docs/design.md §5 (both were measured, and both cost throughput).
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.errors import DomainError
from app.extensions import db
from app.models import Photo
from app.services.photos import derivatives
from app.timeutil import now_utc


class Backlogged(DomainError):
    """More new photos wait for their derivatives than PHOTO_BACKLOG_LIMIT: 503 with Retry-After."""

    status, code = 503, "busy"

    def __init__(self, message: str, *, retry_after_s: int):
        super().__init__(message, retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s


def refuse_if_backlogged(declared_sha256: str) -> None:
    """Refuse a new upload while the derivative backlog is full, before its body is read."""
    limit = current_app.config["PHOTO_BACKLOG_LIMIT"]
    sha256 = (declared_sha256 or "").lower()
    if limit <= 0 or len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        return  # a bad hash is store_photo's to refuse, with its own error
    # Only photos a task is still working towards: one pending longer than the requeue job's STALE
    # lost its task with a killed process, and must not hold every phone back until it is requeued.
    # Whether the bytes are stored already is asked in the same statement (one round trip an upload).
    recent = now_utc() - derivatives.STALE_PENDING
    pending = (sa.select(sa.func.count()).select_from(Photo)
               .where(Photo.derivatives == derivatives.PENDING,
                      sa.func.coalesce(Photo.derivatives_at, Photo.created_at) >= recent)
               .scalar_subquery())
    stored = sa.exists().where(Photo.sha256 == sha256)
    known, waiting = db.session.execute(sa.select(stored, pending)).one()
    if not known and waiting >= limit:
        raise Backlogged(_("The server is busy making thumbnails; the photo is kept and sent again shortly."),
                         retry_after_s=current_app.config["PHOTO_BACKLOG_RETRY_S"])
