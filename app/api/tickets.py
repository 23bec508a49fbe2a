"""Tickets: list, detail, and lifecycle actions."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from app.api import bp
from app.api.serializers import evidence_flag_out, ticket_detail, ticket_summary
from app.errors import Conflict
from app.extensions import db
from app.params import filter_of
from app.schemas.bodies import TicketActionIn, request_body
from app.schemas.params import TicketQuery, query
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
    tickets, total = ticket_queries.list_tickets(current_actor(), filter_of(query(TicketQuery)), now)
    return {"tickets": [ticket_summary(t, now) for t in tickets], "total": total}


@bp.get("/tickets/<int:ticket_id>")
@api_auth()
def get_ticket(ticket_id: int):
    return _detail(get_visible_ticket(ticket_id, current_actor()))


def _action_input(action: str, body: TicketActionIn) -> ActionInput:
    return ActionInput(action=action, version=body.version, note=body.note, photos=body.photos,
                       department_code=body.department_code, duplicate_of=body.duplicate_of)


@bp.post("/tickets/<int:ticket_id>/actions/<action>")
@api_auth()
def act_on_ticket(ticket_id: int, action: str):
    actor = current_actor()
    data = _action_input(action, request_body(TicketActionIn))
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
