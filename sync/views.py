"""POST /api/v1/sync: parse → ingest → commit → results, then the changes since the phone's cursor."""
from __future__ import annotations

from flask import Blueprint, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.errors import BadRequest
from app.extensions import db
from app.models import Role
from app.params import json_body
from app.security import api_auth, current_actor
from app.timeutil import iso, now_utc
from sync import changes, ingest, protocol

bp = Blueprint("sync", __name__, url_prefix="/api/v1")

# Field error codes → what the inspector reads next to the report that needs attention.
MESSAGES = {
    "not_an_object": _l("This item is not a JSON object."),
    "required": _l("This field is required."),
    "invalid": _l("This value is not valid."),
    "invalid_time": _l("Give the time in ISO 8601 with a UTC offset."),
    "in_future": _l("The capture time is in the future; check the phone's clock."),
    "out_of_range": _l("The coordinates are missing or out of range."),
    "too_long": _l("The text is too long."),
    "invalid_hash": _l("Photos must be given as SHA-256 hashes."),
    "too_many": _l("Too many photos."),
    "unknown_category": _l("This category does not exist or is no longer used."),
    "outside_county": _l("The location is outside the county."),
    "not_offline_action": _l("Only close and reopen can be queued offline."),
    "stale_version": _l("The ticket was changed by someone else; reload it."),
}


def _limits() -> protocol.Limits:
    config = current_app.config
    return protocol.Limits(batch=config["SYNC_BATCH_LIMIT"], max_photos=config["SYNC_MAX_PHOTOS"],
                           max_description=config["SYNC_MAX_DESCRIPTION"], clock_skew_s=config["SYNC_CLOCK_SKEW_S"])


@bp.post("/sync")
@api_auth(Role.INSPECTOR, Role.SUPERVISOR, Role.ADMIN)
def sync():
    actor = current_actor()
    now = now_utc()
    try:
        batch = protocol.parse_batch(json_body(), _limits(), now)
    except protocol.MalformedBatch as exc:
        raise _bad_batch(exc) from None
    applied = ingest.apply_batch(batch, actor, now)
    db.session.commit()
    feed = changes.changes_since(batch.cursor, actor, limit=current_app.config["SYNC_CHANGES_LIMIT"])
    return {
        "results": [_result_out(r) for r in applied.reports],
        "action_results": [_result_out(r) for r in applied.actions],
        "changes": feed.changes,
        "cursor": feed.cursor,
        "more": feed.more,
        "server_time": iso(now),
    }


def _bad_batch(exc: protocol.MalformedBatch) -> BadRequest:
    if exc.code == "batch_too_large":
        return BadRequest(_("At most %(n)d items per batch.", n=exc.limit), field=exc.field, code=exc.code,
                          limit=exc.limit)
    return BadRequest(_("The body is not a sync batch (see docs/sync-protocol.md)."), field=exc.field,
                      code=exc.code)


def _result_out(result: ingest.Result) -> dict:
    out = {"client_id": result.client_id, "status": result.status.value, "ticket_id": result.ticket_id,
           "errors": [_error_out(e) for e in result.errors]}
    if result.status == protocol.Status.MISSING_PHOTOS:
        out["missing"] = list(result.missing)
    return out


def _error_out(error: protocol.FieldError) -> dict:
    message = error.message or str(MESSAGES.get(error.code, MESSAGES["invalid"]))
    out = {"field": error.field, "code": error.code, "message": message}
    if error.limit is not None:
        out["limit"] = error.limit
    return out
