"""Moving a ticket through its lifecycle: one `transition()` for every action, checked in order."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import Department, PhotoKind, Role, Ticket, TicketEvent, TicketStatus
from app.services.actor import Actor
from app.services.notifications import centre as notify
from app.services.photos.attach import attach_photos
from app.services.tickets import lifecycle, recheck, sla
from app.services.tickets.access import get_visible_ticket
from app.services.tickets.events import log_event
from app.timeutil import now_utc


class StaleVersion(Conflict):
    """The client's version is not the ticket's: it must reload and decide again."""

    code = "stale_version"


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"


@dataclass
class ActionInput:
    action: str
    version: int | None
    note: str = ""
    photos: list[str] = field(default_factory=list)
    department_code: str | None = None
    duplicate_of: str | int | None = None


def assign_to(ticket: Ticket, department_id: int, now: datetime, returned_at: datetime | None = None) -> str:
    """Hand the ticket to a department and set its SLA clock; return how the clock changed."""
    clock = sla.on_assign(ticket, department_id, now, returned_at)
    ticket.department_id = department_id
    ticket.status = TicketStatus.ASSIGNED
    return clock


def allowed_actions(ticket: Ticket, actor: Actor) -> list[str]:
    """The actions `actor` may take on `ticket` now (for pages and the API)."""
    return [a for a in lifecycle.actions_for_role(ticket.status, actor.role) if _in_scope(ticket, actor, a)]


def _in_scope(ticket: Ticket, actor: Actor, action: str) -> bool:
    """Beyond the role: a department acts on its own tickets, an inspector re-checks its own reports."""
    if actor.is_supervisor:
        return True
    if actor.role == Role.DEPARTMENT:
        return ticket.department_id == actor.department_id
    if actor.role == Role.INSPECTOR:
        return recheck.may_recheck(ticket, actor)
    return False


def transition(ticket_id: int, data: ActionInput, actor: Actor, *, now: datetime | None = None) -> Ticket:
    """Apply one lifecycle action, append its event, and return the ticket. The caller commits."""
    now = now or now_utc()
    if data.action not in lifecycle.ACTIONS:
        raise NotFound(_("Unknown action."), field="action", code="unknown_action")
    ticket = get_visible_ticket(ticket_id, actor, for_update=True)
    may_ever = any(actor.role in m.roles for (s, a), m in lifecycle.TRANSITIONS.items() if a == data.action)
    if not may_ever or not _in_scope(ticket, actor, data.action):
        raise Forbidden(_("Your role may not do this to this ticket."), field="action")
    if data.version is None:
        raise ValidationFailed(_("The ticket version is required."), field="version")
    if data.version != ticket.version:
        raise StaleVersion(_("The ticket was changed by someone else; reload it."), field="version")
    move = lifecycle.move_for(ticket.status, data.action)
    if move is None or actor.role not in move.roles:
        raise TransitionNotAllowed(
            _("This action is not allowed while the ticket is %(status)s.", status=ticket.status.value),
            field="action")
    note = (data.note or "").strip()
    if data.action in lifecycle.NEEDS_NOTE and not note:
        raise ValidationFailed(_("Please give a reason."), field="note", code="note_required")
    if data.action in lifecycle.NEEDS_PHOTO and not data.photos:
        raise ValidationFailed(_("An after photo is required."), field="photos", code="photo_required")
    if data.action == "close" and actor.role == Role.INSPECTOR and not data.photos:
        # An inspector closes on evidence; a supervisor may close from the office.
        raise ValidationFailed(_("A re-inspection photo is required."), field="photos", code="photo_required")

    old = ticket.status
    extra = _apply(ticket, data, actor, now)
    kind = {"resolve": PhotoKind.AFTER, "close": PhotoKind.RECHECK, "reopen": PhotoKind.RECHECK}.get(
        data.action, PhotoKind.AFTER)
    attach_photos(ticket, data.photos, kind, actor, captured_at=now)
    ticket.status = move.to
    log_event(ticket, actor, data.action, old, move.to, note=note, photos=data.photos, data=extra, at=now)
    db.session.flush()
    notify.ticket_moved(ticket, data.action, actor, note)
    return ticket


def _apply(ticket: Ticket, data: ActionInput, actor: Actor, now: datetime) -> dict:
    """The side effects of an action besides the status; returns what the history should record."""
    action = data.action
    if action == "assign":
        department = _department_by_code(data.department_code)
        previous = ticket.department_id
        returned_at = _last_return_at(ticket) if ticket.status == TicketStatus.RETURNED else None
        clock = assign_to(ticket, department.id, now, returned_at)
        return {"department_id": department.id, "from_department_id": previous, "clock": clock}
    if action == "resolve":
        sla.record_resolution(ticket, now)
        return {"on_time": ticket.resolved_on_time}
    if action == "close":
        ticket.closed_at = now
        return {}
    if action == "reopen":
        # Rework (返工): back to the department with a fresh deadline.
        ticket.rework_count += 1
        ticket.resolved_at = None
        ticket.resolved_on_time = None
        ticket.closed_at = None
        if ticket.department_id is not None:
            sla.start_clock(ticket, now)
        return {"rework": ticket.rework_count}
    if action == "mark_duplicate":
        original = _duplicate_target(ticket, data.duplicate_of, actor)
        ticket.duplicate_of_id = original.id
        db.session.execute(sa.update(Ticket).where(Ticket.id == original.id)
                           .values(report_count=Ticket.report_count + ticket.report_count)
                           .execution_options(synchronize_session=False))
        db.session.expire(original, ["report_count"])
        return {"duplicate_of": original.id, "duplicate_of_case": original.case_number}
    return {}


def _last_return_at(ticket: Ticket) -> datetime | None:
    return db.session.scalar(sa.select(TicketEvent.at).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.action == "return").order_by(TicketEvent.id.desc()).limit(1))


def _department_by_code(code: str | None) -> Department:
    if not code:
        raise ValidationFailed(_("Choose a department."), field="department_code")
    department = db.session.scalar(sa.select(Department).where(Department.code == code))
    if department is None or not department.active or department.is_placeholder:
        raise ValidationFailed(_("Unknown department."), field="department_code")
    return department


def _duplicate_target(ticket: Ticket, ref: str | int | None, actor: Actor) -> Ticket:
    if ref in (None, ""):
        raise ValidationFailed(_("Give the ticket this one duplicates."), field="duplicate_of")
    query = sa.select(Ticket)
    text = str(ref).strip()
    if isinstance(ref, int) or (text.isascii() and text.isdigit()):  # "²".isdigit() is true too
        number = ref if isinstance(ref, int) else (int(text) if len(text) <= 10 else 0)
        query = query.where(Ticket.id == number) if 0 < number < 2**31 else None
    else:
        query = query.where(Ticket.case_number == text[:32])
    original = db.session.scalar(query) if query is not None else None
    if original is None:
        raise ValidationFailed(_("That ticket does not exist."), field="duplicate_of")
    if original.id == ticket.id or original.status == TicketStatus.DUPLICATE:
        raise ValidationFailed(_("Choose an original ticket, not this one or another duplicate."),
                               field="duplicate_of")
    return original
