"""Photos: upload by content hash, metadata, and the files (web image, thumbnail, original).

A file is answered after the same access checks on every backend, and then, where it can be,
not by the Python worker (issue 21): S3 redirects to a short-lived presigned URL, the filesystem
with MEDIA_SERVE=nginx hands nginx an X-Accel-Redirect to its internal /_media/ location, and
otherwise the worker streams the file itself (no proxy needed).
"""
from __future__ import annotations

from flask import Response, current_app, redirect, request, send_file

from app.api import bp
from app.api.serializers import photo_out
from app.errors import render_error
from app.extensions import db
from app.security import api_auth, current_actor
from app.services.photos import backlog
from app.services.photos import store as photos
from app.services.photos.imaging import DecoderBusy
from app.storage import MediaFile
from app.tasks.queue import queue as task_queue

ONE_YEAR_S = 365 * 24 * 3600
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/heic": ".heic",
              "image/heif": ".heif"}


@bp.put("/photos/<sha256>")
@api_auth()
def put_photo(sha256: str):
    """Raw image bytes; 201 when new, 200 when these bytes were stored before.

    Answered once the original is durable and its row committed: the web image, thumbnail and
    perceptual hash follow in a task (`derivatives: "pending"`, then "ready"; issue 20)."""
    actor = current_actor()
    backlog.refuse_if_backlogged(sha256)
    db.session.commit()  # end the auth lookup's transaction: on SQLite it holds the write lock while a body arrives
    photo, created = photos.store_photo(_capped_body(), sha256, request.mimetype, actor)
    # Rendered before the commit, which expires the row: after it, reading it again would open a
    # transaction (SQLite: the write lock) for what this transaction already knows. Unless the queue
    # runs tasks at the commit (TASK_IMMEDIATE): then the answer shows what the task made.
    body = photo_out(photo, with_original=photos.may_see_originals(actor))
    try:
        db.session.commit()
    except Exception:
        if created:
            photos.discard_upload(sha256.lower())  # its files were written for a row that never committed
        raise
    if created and task_queue().huey.immediate:
        body = photo_out(photo, with_original=photos.may_see_originals(actor))
    return body, 201 if created else 200


@bp.errorhandler(photos.DerivativesNotReady)
def not_ready(exc: photos.DerivativesNotReady):
    """409 while the derivatives are being made, with Retry-After; `derivatives_failed` has none."""
    body, status = render_error(exc)
    retry_after = exc.extra.get("retry_after_s")
    return (body, status, {"Retry-After": str(retry_after)}) if retry_after else (body, status)


@bp.errorhandler(backlog.Backlogged)
def backlogged(exc: backlog.Backlogged):
    """503 with Retry-After: too many photos wait for their derivatives (app/services/photos/backlog.py)."""
    body, status = render_error(exc)
    return body, status, {"Retry-After": str(exc.retry_after_s)}


@bp.errorhandler(DecoderBusy)
def busy(exc: DecoderBusy):
    """503 with Retry-After: every decode slot of this worker stayed taken (app/config.py PHOTO_DECODE_SLOTS)."""
    body, status = render_error(exc)
    return body, status, {"Retry-After": str(exc.retry_after_s)}


def _capped_body() -> bytes:
    """The body, refused with 413 before it is read whole if larger than allowed (chunked bodies too).

    A Content-Length over the limit is refused unread. A chunked body is read up to one byte past
    the limit, which store_photo refuses: that byte tells "too large" from "exactly the limit".
    """
    request.max_content_length = current_app.config["MAX_PHOTO_BYTES"] + 1
    return request.get_data(cache=False)


@bp.get("/photos/<sha256>")
@api_auth()
def get_photo(sha256: str):
    actor = current_actor()
    return photo_out(photos.get_viewable_photo(sha256, actor), with_original=photos.may_see_originals(actor))


@bp.get("/photos/<sha256>/<any(web, thumb):variant>")
@api_auth()
def get_photo_file(sha256: str, variant: str):
    photo = photos.get_viewable_photo(sha256, current_actor())
    return _send(photos.file_for(photo, variant), "image/jpeg", etag=f"{photo.sha256}-{variant}")


@bp.get("/photos/<sha256>/original")
@api_auth(*photos.ORIGINAL_ROLES)
def get_photo_original(sha256: str):
    """The untouched upload, GPS and all: supervisors and admins only (photos.ORIGINAL_ROLES)."""
    photo = photos.get_viewable_photo(sha256, current_actor())
    filename = photo.sha256 + EXTENSIONS.get(photo.mime, "")
    response = _send(photos.file_for(photo, "original"), photo.mime, etag=photo.sha256, filename=filename)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Content-Security-Policy"] = "sandbox"
    return response


def _send(file: MediaFile, mimetype: str, *, etag: str, filename: str | None = None):
    url = file.presigned_url(filename=filename, content_type=mimetype)
    if url is not None:
        # Not cached anywhere: the link expires (MEDIA_URL_TTL_S); the PWA keeps the bytes by hash.
        response = redirect(url, code=302)
        response.headers["Cache-Control"] = "private, no-store"
        return response
    accel = file.accel_path() if current_app.config["MEDIA_SERVE"] == "nginx" else None
    if accel is not None:
        # nginx sends the file from its internal /_media/ location with these headers (deploy/nginx).
        response = Response(status=200, mimetype=mimetype)
        response.headers["X-Accel-Redirect"] = accel
        response.set_etag(etag)
        response = response.make_conditional(request)
    else:
        response = send_file(file.open(), mimetype=mimetype, etag=etag, conditional=True)
    response.cache_control.max_age = ONE_YEAR_S
    # The URL names the content by its hash, so it never changes; private: only authorised users may see it.
    response.cache_control.public = False
    response.cache_control.private = True
    response.cache_control.immutable = True
    return response
