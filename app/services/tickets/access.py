"""Which tickets an actor may see: one SQL filter used by every list and lookup."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from app.errors import NotFound
from app.extensions import db
from app.models import Report, Role, Ticket
from app.services.actor import Actor
from app.services.tickets import recheck


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
        if recheck.follows_area(actor):
            # Any inspector of the area re-inspects its resolved tickets, so it must see them.
            return sa.or_(Ticket.reporter_id == actor.user_id, own, recheck.task_scope(actor))
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
