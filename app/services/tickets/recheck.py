"""Re-inspection (docs/design.md §2): who re-checks a resolved ticket, by RECHECK_BY, written once.

`RECHECK_BY` is `reporter` (the inspector who reported it), `area` (any inspector of the
ticket's area; an inspector with no area covers the county) or `supervisor` (inspectors never).
Supervisors and admins may always re-check. Every place that needs the rule (the transition
check, ticket visibility, the task list, who is notified, the phone's change feed) asks here.
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from app.extensions import db
from app.models import Role, Ticket, TicketStatus, User
from app.services.actor import Actor


def mode() -> str:
    return current_app.config["RECHECK_BY"]


def may_recheck(ticket: Ticket, actor: Actor) -> bool:
    """Whether `actor` is one of the ticket's re-inspectors (whatever its status)."""
    if actor.is_supervisor:
        return True
    if actor.role != Role.INSPECTOR:
        return False
    if mode() == "area":
        return actor.area_id is None or ticket.area_id == actor.area_id
    if mode() == "reporter":
        return ticket.reporter_id == actor.user_id
    return False


def recheck_condition(actor: Actor) -> sa.ColumnElement[bool]:
    """The SQL twin of may_recheck: tickets whose re-inspectors include `actor`."""
    if actor.is_supervisor:
        return sa.true()
    if actor.role != Role.INSPECTOR:
        return sa.false()
    if mode() == "area":
        return sa.true() if actor.area_id is None else Ticket.area_id == actor.area_id
    if mode() == "reporter":
        return Ticket.reporter_id == actor.user_id
    return sa.false()


def follows_area(actor: Actor) -> bool:
    """An inspector who re-checks tickets it did not report (RECHECK_BY=area) must be shown them."""
    return actor.role == Role.INSPECTOR and mode() == "area"


def recheckers(ticket: Ticket) -> list[int]:
    """Who is told a resolved ticket awaits re-inspection: its reporter, the area's inspectors, or supervisors."""
    if mode() == "supervisor":
        return list(db.session.scalars(sa.select(User.id).where(User.role == Role.SUPERVISOR, User.active)))
    reporter = [ticket.reporter_id] if ticket.reporter_id is not None else []
    if mode() == "area" and ticket.area_id is not None:
        return reporter + list(db.session.scalars(sa.select(User.id).where(
            User.role == Role.INSPECTOR, User.active, User.area_id == ticket.area_id)))
    return reporter


def task_scope(actor: Actor) -> sa.ColumnElement[bool]:
    """Resolved tickets this actor may close or reopen."""
    return sa.and_(Ticket.status == TicketStatus.RESOLVED, recheck_condition(actor))


def tasks(actor: Actor, *, page: int = 1, per_page: int = 50) -> tuple[list[Ticket], int]:
    """The actor's re-inspection tasks, longest waiting first, and how many there are."""
    query = sa.select(Ticket).where(task_scope(actor))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.options(so.joinedload(Ticket.category), so.joinedload(Ticket.department), so.joinedload(Ticket.area))
        .order_by(Ticket.resolved_at, Ticket.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(rows), total
