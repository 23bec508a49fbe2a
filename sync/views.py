"""POST /api/v1/sync: parse → ingest → commit → results, then the changes since the phone's cursor."""
from __future__ import annotations

from flask import Blueprint, current_app
from flask_babel import gettext as _

from app.errors import BadRequest
from app.extensions import db, sqlite_read_only
from app.params import json_body
from app.security import api_auth, current_actor
from app.services import change_feed
from app.services.actor import Role
from app.services.reports import intake
from app.timeutil import iso, now_utc
from sync import ingest, protocol

bp = Blueprint("sync", __name__, url_prefix="/api/v1")



def _limits() -> protocol.Limits:
    config = current_app.config
    return protocol.Limits(batch=config["SYNC_BATCH_LIMIT"], max_photos=config["SYNC_MAX_PHOTOS"],
                           max_description=config["SYNC_MAX_DESCRIPTION"])


@bp.post("/sync")
@api_auth(Role.INSPECTOR, Role.SUPERVISOR, Role.ADMIN)
def sync():
    actor = current_actor()
    now = now_utc()
    try:
        # Bad strings are refused item by item (sync/protocol.py, the intake), not for the whole batch.
        batch = protocol.parse_batch(json_body(check_text=False), _limits(), now)
    except protocol.MalformedBatch as exc:
        raise _bad_batch(exc) from None
    applied = ingest.apply_batch(batch, actor, now)
    ingest.note_device(batch, applied, actor, now)
    db.session.commit()
    # The rest only reads: on SQLite its transaction begins deferred, so the other phones' syncs and
    # uploads do not wait for this answer's rendering (BEGIN IMMEDIATE held the write lock until then).
    sqlite_read_only.set(True)
    feed = change_feed.changes_since(batch.cursor, actor, limit=current_app.config["SYNC_CHANGES_LIMIT"])
    return {
        "results": [_result_out(r) for r in applied.reports],
        "action_results": [_result_out(r) for r in applied.actions],
        "visit_results": [_visit_out(v) for v in applied.visits],
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


def _visit_out(result: ingest.assessment_visits.VisitOutcome) -> dict:
    return {"client_id": result.client_id, "status": result.status.value, "visit_id": result.visit_id,
            "tickets": result.tickets, "missing": list(result.missing),
            "errors": [_error_out(e) for e in result.errors]}


def _error_out(error: protocol.FieldError) -> dict:
    out = {"field": error.field, "code": error.code, "message": intake.message_for(error)}
    if error.limit is not None:
        out["limit"] = error.limit
    if getattr(error, "item_code", None) is not None:  # a visit's item (app/services/assessment/visits.py)
        out["item_code"] = error.item_code
    return out
