"""Reading tickets: filtered, sorted, paged lists and one ticket with its history, scoped by actor."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from app.errors import ValidationFailed
from app.extensions import db
from app.models import DEPARTMENT_STATUSES, Area, Category, Department, Ticket, TicketPhoto, TicketStatus, User
from app.services.actor import Actor
from app.services.tickets.access import visible_to

SORTABLE = {
    "received_at": Ticket.received_at,
    "due_at": Ticket.due_at,
    "captured_at": Ticket.captured_at,
    "updated_at": Ticket.updated_at,
    "case_number": Ticket.case_number,
    "status": Ticket.status,
    "id": Ticket.id,
}
MAX_PER_PAGE = 200


@dataclass
class TicketFilter:
    statuses: list[str] = field(default_factory=list)
    department: str | None = None
    category: str | None = None
    area: str | None = None
    overdue: bool | None = None
    search: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    sort: str = "-received_at"
    page: int = 1
    per_page: int = 50


def _check(flt: TicketFilter) -> None:
    for status in flt.statuses:
        if status not in {s.value for s in TicketStatus}:
            raise ValidationFailed(_("Unknown status: %(s)s", s=status), field="status")
    if flt.sort.lstrip("-") not in SORTABLE:
        raise ValidationFailed(_("Cannot sort by %(s)s.", s=flt.sort), field="sort")
    if flt.page < 1:
        raise ValidationFailed(_("Pages start at 1."), field="page")
    if not 1 <= flt.per_page <= MAX_PER_PAGE:
        raise ValidationFailed(_("per_page must be between 1 and %(n)d.", n=MAX_PER_PAGE), field="per_page")


def _code_id(model, code: str, field_name: str) -> int:
    found = db.session.scalar(sa.select(model.id).where(model.code == code))
    if found is None:
        raise ValidationFailed(_("Unknown code: %(c)s", c=code), field=field_name)
    return found


def filtered(actor: Actor, flt: TicketFilter, now: datetime) -> sa.Select:
    """The SELECT of tickets `actor` may see that match `flt` (unsorted, unpaged)."""
    _check(flt)
    query = sa.select(Ticket).where(visible_to(actor))
    if flt.statuses:
        query = query.where(Ticket.status.in_(flt.statuses))
    if flt.department:
        query = query.where(Ticket.department_id == _code_id(Department, flt.department, "department"))
    if flt.category:
        query = query.where(Ticket.category_id == _code_id(Category, flt.category, "category"))
    if flt.area:
        query = query.where(Ticket.area_id == _code_id(Area, flt.area, "area"))
    if flt.overdue is not None:
        overdue = sa.and_(Ticket.status.in_(DEPARTMENT_STATUSES), Ticket.due_at < now)
        query = query.where(overdue if flt.overdue else sa.not_(overdue))
    if flt.search:
        term = flt.search.strip()
        like = f"%{term.replace('%', '').replace('_', '')}%"
        query = query.where(sa.or_(Ticket.case_number == term, Ticket.address.like(like),
                                   Ticket.description.like(like)))
    if flt.received_from:
        query = query.where(Ticket.received_at >= flt.received_from)
    if flt.received_to:
        query = query.where(Ticket.received_at < flt.received_to)
    return query


def list_tickets(actor: Actor, flt: TicketFilter, now: datetime) -> tuple[list[Ticket], int]:
    """One page of tickets and the total count."""
    query = filtered(actor, flt, now)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    column = SORTABLE[flt.sort.lstrip("-")]
    order = (column.desc() if flt.sort.startswith("-") else column.asc()).nulls_last(), Ticket.id.desc()
    # Pick the page's ids first, then load those rows with their relations: sorting a big queue
    # with every joined column (an area's polygon among them) cost 100+ ms at 1M tickets.
    ids = [row[0] for row in db.session.execute(
        query.with_only_columns(Ticket.id, column).order_by(*order)
        .limit(flt.per_page).offset((flt.page - 1) * flt.per_page))]
    page = db.session.scalars(
        sa.select(Ticket).options(so.joinedload(Ticket.category), so.joinedload(Ticket.department),
                                  so.joinedload(Ticket.area))
        .where(Ticket.id.in_(ids)).order_by(*order)
    ).unique().all() if ids else []
    return list(page), total


def ticket_photos(ticket: Ticket) -> list[TicketPhoto]:
    return list(db.session.scalars(
        sa.select(TicketPhoto).where(TicketPhoto.ticket_id == ticket.id).order_by(TicketPhoto.id)))


def usernames(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.username).where(User.id.in_(ids))).all())
