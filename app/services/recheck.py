"""Re-inspection (DESIGN §2): a resolved ticket is a task for whoever RECHECK_BY names."""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from app.extensions import db
from app.models import Role, Ticket, TicketStatus
from app.services.actor import Actor


def task_scope(actor: Actor) -> sa.ColumnElement[bool]:
    """Resolved tickets this actor may close or reopen; the SQL twin of tickets._in_scope."""
    resolved = Ticket.status == TicketStatus.RESOLVED
    if actor.is_supervisor:
        return resolved
    if actor.role != Role.INSPECTOR:
        return sa.false()
    mode = current_app.config["RECHECK_BY"]
    if mode == "area":
        return resolved if actor.area_id is None else sa.and_(resolved, Ticket.area_id == actor.area_id)
    if mode == "reporter":
        return sa.and_(resolved, Ticket.reporter_id == actor.user_id)
    return sa.false()  # "supervisor": inspectors have no re-inspection tasks


def tasks(actor: Actor, *, page: int = 1, per_page: int = 50) -> tuple[list[Ticket], int]:
    """The actor's re-inspection tasks, longest waiting first, and how many there are."""
    query = sa.select(Ticket).where(task_scope(actor))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.options(so.joinedload(Ticket.category), so.joinedload(Ticket.department), so.joinedload(Ticket.area))
        .order_by(Ticket.resolved_at, Ticket.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(rows), total
