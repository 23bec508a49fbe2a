"""The read side of the sync change feed: what changed for this user after their cursor (docs/design.md §3).

Like CouchDB's _changes, each followed ticket appears once, in its current state, at the
number of its latest change; a phone upserts what it gets and keeps the new cursor. A user
follows the tickets they reported (status of own reports) and the resolved tickets they may
re-inspect (tasks); categories are for everyone.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models import Category, Change, Department, Report, Ticket, TicketStatus
from app.params import MAX_INT
from app.services.actor import Actor
from app.services.reference import category_out
from app.services.tickets import phone_detail, recheck
from app.services.tickets.transitions import allowed_actions
from app.timeutil import iso

RECHECK_ACTIONS = {"close", "reopen"}
# Statuses in which an area inspector still follows a ticket it did not report: while it is a
# task, and right after, so the phone learns that the task is gone.
_TASK_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.REOPENED)


@dataclass(frozen=True)
class Feed:
    changes: list[dict]
    cursor: int
    more: bool  # a page limit cut the feed: ask again with the new cursor


def changes_since(cursor: int, actor: Actor, *, limit: int) -> Feed:
    """Changes after `cursor` that matter to `actor`, oldest first, and the cursor to send next."""
    # A change number fits 32 bits; a phone's cursor may not (another database's, or garbage), and
    # PostgreSQL refuses to compare an integer column with a larger one. Past them all, it is past the head.
    head, categories_changed = _head(min(cursor, MAX_INT))
    if cursor > head:  # the server's database was restored or replaced: start the phone over
        cursor, categories_changed = 0, True
    latest = (
        sa.select(Change.ticket_id, sa.func.max(Change.seq).label("seq"))
        .where(Change.kind == "ticket", Change.seq > cursor, Change.seq <= head)
        .group_by(Change.ticket_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Ticket, latest.c.seq)
        .join(latest, latest.c.ticket_id == Ticket.id)
        .where(followed_by(actor))
        .options(so.joinedload(Ticket.category), so.joinedload(Ticket.department))
        .order_by(latest.c.seq)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    new_cursor = rows[-1].seq if more else head
    out = _ticket_changes(rows, actor) + (_category_changes(cursor, new_cursor) if categories_changed else [])
    out.sort(key=lambda change: change["seq"])
    return Feed(out, new_cursor, more)


def _head(cursor: int) -> tuple[int, bool]:
    """The latest change number, and whether any category changed after `cursor`, in one statement: most
    syncs find none, and then the categories are not read at all."""
    later = so.aliased(Change)
    category_changed = sa.exists().where(later.kind == "category", later.seq > cursor)
    head, changed = db.session.execute(sa.select(sa.func.max(Change.seq), category_changed)).one()
    return head or 0, bool(changed)


def followed_by(actor: Actor) -> sa.ColumnElement[bool]:
    """SQL condition for the tickets whose changes `actor` receives."""
    own = sa.or_(
        Ticket.reporter_id == actor.user_id,
        sa.exists().where(Report.ticket_id == Ticket.id, Report.reporter_id == actor.user_id),
    )
    if not recheck.follows_area(actor):
        return own
    return sa.or_(own, sa.and_(recheck.recheck_condition(actor), Ticket.status.in_(_TASK_STATUSES)))


def _ticket_changes(rows, actor: Actor) -> list[dict]:
    ids = [row.Ticket.id for row in rows]
    # History, photos, notes and the actor's own reports: the phone's offline detail, three queries a page.
    details = phone_detail.details(ids, actor)
    out = []
    for ticket, seq in rows:
        actions = [a for a in allowed_actions(ticket, actor) if a in RECHECK_ACTIONS]
        mine = ticket.reporter_id == actor.user_id or bool(details[ticket.id]["client_ids"])
        out.append({"seq": seq, "kind": "ticket", "ticket": {
            "id": ticket.id,
            "case_number": ticket.case_number,
            "status": ticket.status.value,
            "version": ticket.version,
            "category_code": ticket.category.code,
            "department_name": ticket.department.name_zh if ticket.department else None,
            "department_name_en": ticket.department.name_en if ticket.department else None,
            "description": ticket.description,
            "address": ticket.address,
            "lat": ticket.lat,
            "lon": ticket.lon,
            "captured_at": iso(ticket.captured_at),
            "received_at": iso(ticket.received_at),
            "due_at": iso(ticket.due_at),
            "resolved_at": iso(ticket.resolved_at),
            "mine": mine,
            "task": ticket.status == TicketStatus.RESOLVED and bool(actions),
            "actions": actions,
            **details[ticket.id],
        }})
    return out


def _category_changes(after: int, upto: int) -> list[dict]:
    latest = (
        sa.select(Change.category_id, sa.func.max(Change.seq).label("seq"))
        .where(Change.kind == "category", Change.seq > after, Change.seq <= upto)
        .group_by(Change.category_id)
        .subquery()
    )
    rows = db.session.execute(sa.select(Category, latest.c.seq).join(latest, latest.c.category_id == Category.id)).all()
    if not rows:
        return []  # most syncs: no category changed, and the departments need not be read
    departments = {dept_id: code for dept_id, code in db.session.execute(sa.select(Department.id, Department.code))}
    return [{"seq": seq, "kind": "category", "category": {**category_out(category, departments),
                                                         "active": category.active}}
            for category, seq in rows]
