"""Creating tickets from reports and moving them through their lifecycle."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    OPEN_STATUSES,
    Category,
    Department,
    LocationSource,
    Photo,
    PhotoKind,
    Report,
    Role,
    Ticket,
    TicketEvent,
    TicketPhoto,
    TicketStatus,
)
from app.services import change_log, evidence, geo, lifecycle, notify, routing, sla
from app.services.access import get_visible_ticket
from app.services.actor import Actor
from app.services.case_numbers import next_case_number
from app.timeutil import now_utc


class StaleVersion(Conflict):
    """The client's version is not the ticket's: it must reload and decide again."""

    code = "stale_version"


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"


@dataclass
class NewReport:
    """A validated report, from the sync protocol, a seed or a test."""

    category: Category
    lat: float
    lon: float
    captured_at: datetime
    client_id: str
    description: str = ""
    address: str = ""
    accuracy_m: float | None = None
    location_source: LocationSource = LocationSource.DEVICE
    photos: list[str] = field(default_factory=list)
    fingerprint: str = ""
    device_id: str | None = None
    clock_skew_s: float | None = None


@dataclass(frozen=True)
class Ingested:
    ticket: Ticket
    report: Report
    linked: bool  # True: recorded as a repeat of an open ticket nearby


def log_event(ticket: Ticket, actor: Actor | None, action: str, from_status, to_status, *,
              note: str = "", photos: list[str] | None = None, data: dict | None = None,
              at: datetime | None = None) -> TicketEvent:
    """Append one row to the ticket's history."""
    event = TicketEvent(
        ticket=ticket,
        actor_id=actor.user_id if actor else None,
        at=at or now_utc(),
        action=action,
        from_status=str(from_status) if from_status else None,
        to_status=str(to_status) if to_status else None,
        note=note,
        photos=list(photos or []),
        data=data or {},
    )
    db.session.add(event)
    change_log.ticket_changed(ticket)  # phones following the ticket hear of it (sync change feed)
    return event


def attach_photos(ticket: Ticket, hashes: list[str], kind: PhotoKind, actor: Actor | None, *,
                  captured_at: datetime | None = None) -> None:
    """Link stored photos to a ticket and flag doubtful evidence; every hash must have been uploaded first.

    `captured_at`: when the photos should have been taken (the report's capture time; default now)."""
    hashes = list(dict.fromkeys(hashes))
    if not hashes:
        return
    known = set(db.session.scalars(sa.select(Photo.sha256).where(Photo.sha256.in_(hashes))))
    missing = [h for h in hashes if h not in known]
    if missing:
        raise ValidationFailed(_("Upload these photos first."), field="photos", code="missing_photos",
                               missing=missing)
    existing = set(db.session.scalars(sa.select(TicketPhoto.photo_sha256).where(
        TicketPhoto.ticket_id == ticket.id, TicketPhoto.kind == kind)))
    added = [sha for sha in hashes if sha not in existing]
    for sha in added:
        db.session.add(TicketPhoto(ticket_id=ticket.id, photo_sha256=sha, kind=kind,
                                   added_by_id=actor.user_id if actor else None))
    evidence.check_new_photos(ticket, added, kind, captured_at or now_utc())


def find_open_repeat(category: Category, lat: float, lon: float, now: datetime) -> Ticket | None:
    """The nearest open ticket of the same category within the repeat radius and window."""
    config = current_app.config
    radius = config["REPEAT_RADIUS_M"]
    dlat, dlon = geo.metres_to_degrees(radius, lat)
    since = now - timedelta(days=config["REPEAT_WINDOW_DAYS"])
    candidates = db.session.scalars(
        sa.select(Ticket).where(
            Ticket.category_id == category.id,
            Ticket.lat.between(lat - dlat, lat + dlat),
            Ticket.lon.between(lon - dlon, lon + dlon),
            Ticket.status.in_(OPEN_STATUSES),
            Ticket.received_at >= since,
        )
    ).all()
    best = None
    for ticket in candidates:
        distance = geo.distance_m((lat, lon), (ticket.lat, ticket.lon))
        if distance <= radius and (best is None or distance < best[0]):
            best = (distance, ticket)
    return best[1] if best else None


def ingest_report(new: NewReport, actor: Actor, *, now: datetime | None = None) -> Ingested:
    """Turn one report into a new ticket, or a repeat of an open one nearby. The caller commits."""
    now = now or now_utc()
    repeat_of = None
    if current_app.config["REPEAT_LINKING"]:
        repeat_of = find_open_repeat(new.category, new.lat, new.lon, now)
    if repeat_of is not None:
        ticket = repeat_of
        # A plain UPDATE: a repeat must not bump the version and make a department's action stale.
        db.session.execute(sa.update(Ticket).where(Ticket.id == ticket.id)
                           .values(report_count=Ticket.report_count + 1)
                           .execution_options(synchronize_session=False))
        db.session.expire(ticket, ["report_count"])
        log_event(ticket, actor, "repeat", ticket.status, ticket.status,
                  note=new.description, photos=new.photos, at=now,
                  data={"client_id": new.client_id, "lat": new.lat, "lon": new.lon})
    else:
        ticket = open_ticket(new, actor, now)
    report = Report(
        reporter_id=actor.user_id, client_id=new.client_id, ticket=ticket, fingerprint=new.fingerprint,
        is_repeat=repeat_of is not None, lat=new.lat, lon=new.lon, captured_at=new.captured_at,
        received_at=now, clock_skew_s=new.clock_skew_s, device_id=new.device_id,
    )
    db.session.add(report)
    db.session.flush()
    attach_photos(ticket, new.photos, PhotoKind.BEFORE, actor, captured_at=new.captured_at)
    db.session.flush()
    return Ingested(ticket, report, linked=repeat_of is not None)


def open_ticket(new: NewReport, actor: Actor, now: datetime) -> Ticket:
    """A new ticket for a report, routed to its department when a rule says which."""
    decision = routing.route(new.category, new.lat, new.lon)
    ticket = Ticket(
        case_number=next_case_number(now), status=TicketStatus.REPORTED, category=new.category,
        area_id=decision.area_id, reporter_id=actor.user_id, lat=new.lat, lon=new.lon,
        accuracy_m=new.accuracy_m, location_source=new.location_source, address=new.address,
        description=new.description, captured_at=new.captured_at, received_at=now,
    )
    db.session.add(ticket)
    log_event(ticket, actor, "report", None, TicketStatus.REPORTED, note=new.description,
              photos=new.photos, at=now)
    if decision.department_id is not None:
        _assign(ticket, decision.department_id, now)
        log_event(ticket, None, "assign", TicketStatus.REPORTED, TicketStatus.ASSIGNED, at=now,
                  data={"department_id": decision.department_id, "rule": decision.rule})
    db.session.flush()
    return ticket


def _assign(ticket: Ticket, department_id: int, now: datetime, returned_at: datetime | None = None) -> str:
    """Hand the ticket to a department and set its SLA clock; return how the clock changed."""
    clock = sla.on_assign(ticket, department_id, now, returned_at)
    ticket.department_id = department_id
    ticket.status = TicketStatus.ASSIGNED
    return clock


@dataclass
class ActionInput:
    action: str
    version: int | None
    note: str = ""
    photos: list[str] = field(default_factory=list)
    department_code: str | None = None
    duplicate_of: str | int | None = None


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
        mode = current_app.config["RECHECK_BY"]
        if mode == "supervisor":
            return False
        if mode == "area":
            return actor.area_id is None or ticket.area_id == actor.area_id
        return ticket.reporter_id == actor.user_id
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
        clock = _assign(ticket, department.id, now, returned_at)
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
    if isinstance(ref, int) or str(ref).isdigit():
        query = query.where(Ticket.id == int(ref)) if 0 < int(ref) < 2**31 else None
    else:
        query = query.where(Ticket.case_number == str(ref).strip()[:32])
    original = db.session.scalar(query) if query is not None else None
    if original is None:
        raise ValidationFailed(_("That ticket does not exist."), field="duplicate_of")
    if original.id == ticket.id or original.status == TicketStatus.DUPLICATE:
        raise ValidationFailed(_("Choose an original ticket, not this one or another duplicate."),
                               field="duplicate_of")
    return original
