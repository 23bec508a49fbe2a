"""Supervisor triage: the three queues, return reasons, and splitting a wrongly linked repeat."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from app.errors import Conflict, Forbidden, NotFound
from app.extensions import db
from app.models import DEPARTMENT_STATUSES, PhotoKind, Report, Ticket, TicketEvent, TicketPhoto, TicketStatus
from app.services.actor import Actor
from app.services.photos.attach import attach_photos
from app.services.reports.intake import IncomingReport, open_ticket
from app.services.tickets.access import get_visible_ticket
from app.services.tickets.events import log_event
from app.services.tickets.queries import TicketFilter

QUEUES = ("unrouted", "returned", "overdue")


def queue_filter(queue: str, page: int = 1) -> TicketFilter:
    """Unrouted and returned: oldest first. Overdue: most overdue first."""
    if queue == "unrouted":
        return TicketFilter(statuses=[TicketStatus.REPORTED.value], sort="received_at", page=page)
    if queue == "returned":
        return TicketFilter(statuses=[TicketStatus.RETURNED.value], sort="updated_at", page=page)
    if queue == "overdue":
        return TicketFilter(overdue=True, sort="due_at", page=page)
    raise NotFound(_("Unknown queue."))


def queue_sizes(now: datetime) -> dict[str, int]:
    def count(condition) -> int:
        return db.session.scalar(sa.select(sa.func.count(Ticket.id)).where(condition))

    return {
        "unrouted": count(Ticket.status == TicketStatus.REPORTED),
        "returned": count(Ticket.status == TicketStatus.RETURNED),
        "overdue": count(sa.and_(Ticket.status.in_(DEPARTMENT_STATUSES), Ticket.due_at < now)),
    }


def return_reasons(ticket_ids: list[int]) -> dict[int, str]:
    """The note of each ticket's latest return, for the returned queue."""
    if not ticket_ids:
        return {}
    latest = (sa.select(sa.func.max(TicketEvent.id)).where(TicketEvent.ticket_id.in_(ticket_ids),
                                                           TicketEvent.action == "return")
              .group_by(TicketEvent.ticket_id))
    rows = db.session.execute(sa.select(TicketEvent.ticket_id, TicketEvent.note).where(TicketEvent.id.in_(latest)))
    return dict(rows.all())


def repeats_of(ticket: Ticket) -> list[Report]:
    """The reports recorded as repeats of this ticket, oldest first."""
    return list(db.session.scalars(sa.select(Report).where(Report.ticket_id == ticket.id, Report.is_repeat)
                                   .order_by(Report.id)))


def split_repeat(ticket_id: int, report_id: int, actor: Actor, now: datetime, note: str = "") -> Ticket:
    """Make a wrongly linked repeat its own ticket, routed like a new report. The caller commits.

    The repeat's photos move with it; both tickets record the split in their history.
    """
    if not actor.is_supervisor:
        raise Forbidden(_("Only the campaign office may split repeats."))
    ticket = get_visible_ticket(ticket_id, actor, for_update=True)
    report = db.session.scalar(sa.select(Report).where(Report.id == report_id, Report.ticket_id == ticket.id))
    if report is None:
        raise NotFound(_("Report not found."))
    if not report.is_repeat:
        raise Conflict(_("This is the ticket's own report; only a repeat can be split off."), code="not_a_repeat")
    linked = _repeat_event(ticket, report)
    photos = list(linked.photos) if linked else []
    split_off = IncomingReport(client_id=report.client_id, category_code=ticket.category.code, lat=report.lat,
                               lon=report.lon, captured_at=report.captured_at, location_source="device",
                               description=linked.note if linked else "", photos=tuple(photos))
    reporter = Actor.of(report.reporter)
    new_ticket = open_ticket(ticket.category, split_off, reporter, now)
    new_ticket.received_at = report.received_at
    report.ticket = new_ticket
    report.is_repeat = False
    _move_photos(ticket, new_ticket, photos, reporter)
    # A plain UPDATE, as when the repeat was linked: the ticket's version (and the forms open on it) stay.
    db.session.execute(sa.update(Ticket).where(Ticket.id == ticket.id, Ticket.report_count > 1)
                       .values(report_count=Ticket.report_count - 1).execution_options(synchronize_session=False))
    db.session.expire(ticket, ["report_count"])
    log_event(ticket, actor, "split", ticket.status, ticket.status, note=note, at=now,
              data={"report_id": report.id, "ticket_id": new_ticket.id, "case": new_ticket.case_number})
    log_event(new_ticket, actor, "split_from", None, new_ticket.status, note=note, at=now,
              data={"report_id": report.id, "ticket_id": ticket.id, "case": ticket.case_number})
    db.session.flush()
    return new_ticket


def _repeat_event(ticket: Ticket, report: Report) -> TicketEvent | None:
    """The history row written when the report was linked, which holds its note and photos."""
    events = db.session.scalars(sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                             TicketEvent.action == "repeat"))
    return next((e for e in events if (e.data or {}).get("client_id") == report.client_id), None)


def _move_photos(source: Ticket, target: Ticket, photos: list[str], actor: Actor) -> None:
    """Link the repeat's photos to the new ticket; unlink them from the old one unless it used them too."""
    own = db.session.scalar(sa.select(TicketEvent.photos).where(TicketEvent.ticket_id == source.id,
                                                                TicketEvent.action == "report")) or []
    moving = [sha for sha in photos if sha not in own]
    if moving:
        db.session.execute(sa.delete(TicketPhoto).where(TicketPhoto.ticket_id == source.id,
                                                        TicketPhoto.kind == PhotoKind.BEFORE,
                                                        TicketPhoto.photo_sha256.in_(moving)))
    attach_photos(target, photos, PhotoKind.BEFORE, actor)
