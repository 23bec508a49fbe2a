"""Tickets: list, detail, and lifecycle actions."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from app.api import bp
from app.api.serializers import evidence_flag_out, ticket_detail, ticket_summary
from app.errors import Conflict, ValidationFailed
from app.extensions import db
from app.params import is_whole_number, json_body, ticket_filter
from app.security import api_auth, current_actor
from app.services.photos import evidence
from app.services.tickets import queries as ticket_queries
from app.services.tickets.access import get_visible_ticket
from app.services.tickets.transitions import ActionInput, StaleVersion, allowed_actions, transition
from app.timeutil import now_utc


def _detail(ticket):
    actor = current_actor()
    photos = ticket_queries.ticket_photos(ticket)
    names = ticket_queries.usernames([ticket.reporter_id, *(e.actor_id for e in ticket.events)])
    body = ticket_detail(ticket, now_utc(), photos, allowed_actions(ticket, actor), names)
    if actor.is_supervisor:  # evidence flags are for supervisors (docs/design.md §5)
        body["flags"] = [evidence_flag_out(f, evidence.describe(f)) for f in evidence.flags_for(ticket)]
    return body


@bp.get("/tickets")
@api_auth()
def list_tickets():
    now = now_utc()
    tickets, total = ticket_queries.list_tickets(current_actor(), ticket_filter(), now)
    return {"tickets": [ticket_summary(t, now) for t in tickets], "total": total}


@bp.get("/tickets/<int:ticket_id>")
@api_auth()
def get_ticket(ticket_id: int):
    return _detail(get_visible_ticket(ticket_id, current_actor()))


def _action_input(action: str, body: dict) -> ActionInput:
    version = body.get("version")
    if version is not None and not is_whole_number(version):
        raise ValidationFailed(_("version must be a whole number."), field="version")
    photos = body.get("photos") or []
    if not isinstance(photos, list) or not all(isinstance(p, str) for p in photos):
        raise ValidationFailed(_("photos must be a list of SHA-256 hashes."), field="photos")
    note = body.get("note") or ""
    if not isinstance(note, str) or len(note) > current_app.config.get("MAX_NOTE_LENGTH", 2000):
        raise ValidationFailed(_("The note is not valid text or is too long."), field="note")
    department_code = body.get("department_code")
    if department_code is not None and not isinstance(department_code, str):
        raise ValidationFailed(_("department_code must be text."), field="department_code")
    return ActionInput(action=action, version=version, note=note, photos=[p.lower() for p in photos],
                       department_code=department_code, duplicate_of=body.get("duplicate_of"))


@bp.post("/tickets/<int:ticket_id>/actions/<action>")
@api_auth()
def act_on_ticket(ticket_id: int, action: str):
    actor = current_actor()
    data = _action_input(action, json_body())
    try:
        ticket = transition(ticket_id, data, actor)
        db.session.commit()
    except (StaleVersion, StaleDataError):
        # StaleDataError: someone committed between our read and our write; same answer.
        db.session.rollback()
        current = _detail(get_visible_ticket(ticket_id, actor))
        raise Conflict(_("The ticket was changed by someone else; reload it."), field="version",
                       code="stale_version", current=current) from None
    return _detail(ticket)
