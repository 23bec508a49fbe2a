"""Which tickets an actor may see: one SQL filter used by every list and lookup."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.errors import NotFound
from app.extensions import db
from app.models import Report, Role, Ticket, TicketStatus
from app.services.actor import Actor


def visible_to(actor: Actor) -> sa.ColumnElement[bool]:
    """SQL condition for the tickets `actor` may see.

    Supervisors and admins see everything; a department only its own queue; an
    inspector the tickets it reported, including those it reported as repeats (and, with
    RECHECK_BY=area, the resolved tickets of its area, to re-inspect them).
    """
    if actor.is_supervisor:
        return sa.true()
    if actor.role == Role.DEPARTMENT:
        return Ticket.department_id == actor.department_id
    if actor.role == Role.INSPECTOR:
        own = sa.exists().where(Report.ticket_id == Ticket.id, Report.reporter_id == actor.user_id)
        if current_app.config["RECHECK_BY"] == "area":
            # Any inspector of the area re-inspects its resolved tickets (tickets._in_scope).
            area = sa.true() if actor.area_id is None else Ticket.area_id == actor.area_id
            recheck = sa.and_(Ticket.status == TicketStatus.RESOLVED, area)
            return sa.or_(Ticket.reporter_id == actor.user_id, own, recheck)
        return sa.or_(Ticket.reporter_id == actor.user_id, own)
    return sa.false()


def get_visible_ticket(ticket_id: int, actor: Actor, *, for_update: bool = False) -> Ticket:
    """Return the ticket if `actor` may see it; otherwise NotFound, so ids do not leak."""
    query = sa.select(Ticket).where(Ticket.id == ticket_id, visible_to(actor))
    if for_update:
        query = query.with_for_update()
    ticket = db.session.scalar(query)
    if ticket is None:
        raise NotFound(_("Ticket not found."))
    return ticket
