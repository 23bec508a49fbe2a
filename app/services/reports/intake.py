"""One intake for every report, whichever door it comes through (the phone's sync, Open311, triage).

A door parses its own wire format into an `IncomingReport` and calls `receive()`; the rules a
report must meet live here once: storable text and its limits, the photo count, the clock, the
category, the county boundary, uploaded photos, repeat linking. The answer is an `IntakeResult`
whose status is the sync protocol's (docs/sync-protocol.md): created, already_synced, linked,
conflict, missing_photos or rejected (with field errors). Each door renders it its own way.

Idempotency is the database's: Report has a unique (reporter, client_id) key. The work runs in a
SAVEPOINT, so a concurrent copy's IntegrityError undoes only this report, and the answer is then
read back from the row that won. A look-up first makes plain retries cheap and answers them even
if the report would no longer pass today's rules.
"""
from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.errors import DomainError
from app.extensions import db
from app.models import AddressSource, Category, LocationSource, Photo, PhotoKind, Report, Ticket, TicketStatus
from app.services import change_log
from app.services.actor import Actor
from app.services.notifications import centre as notify
from app.services.photos.attach import attach_photos, missing_among, usable_photos
from app.services.photos.store import remember_client_exif
from app.services.reports import geo, repeats, routing
from app.services.reports.case_numbers import next_case_number
from app.services.tickets.events import log_event
from app.services.tickets.transitions import assign_to
from app.text import text_problem

MAX_ADDRESS = 300
MAX_CATEGORY_CODE = 32

# Field error codes → what the reporter reads next to the report that needs attention (every door).
MESSAGES = {
    "not_an_object": _l("This item is not a JSON object."),
    "required": _l("This field is required."),
    "invalid": _l("This value is not valid."),
    "invalid_time": _l("Give the time in ISO 8601 with a UTC offset."),
    "in_future": _l("The capture time is in the future; check the phone's clock."),
    "out_of_range": _l("The coordinates are missing or out of range."),
    "too_long": _l("The text is too long."),
    "invalid_text": _l("The text holds characters that cannot be stored (NUL, control characters or broken "
                       "Unicode)."),
    "not_storable": _l("The server could not store this item; check its text and numbers."),
    "invalid_hash": _l("Photos must be given as SHA-256 hashes."),
    "too_many": _l("Too many photos."),
    "unknown_category": _l("This category does not exist or is no longer used."),
    "outside_county": _l("The location is outside the county."),
    "not_offline_action": _l("Only close and reopen can be queued offline."),
    "stale_version": _l("The ticket was changed by someone else; reload it."),
}


class Status(enum.StrEnum):
    CREATED = "created"
    ALREADY_SYNCED = "already_synced"
    LINKED = "linked"
    CONFLICT = "conflict"
    MISSING_PHOTOS = "missing_photos"
    REJECTED = "rejected"


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str = ""  # filled in by the door in the caller's language when empty
    limit: float | None = None


def message_for(error: FieldError) -> str:
    """What to tell the reporter about `error`, in the current language."""
    return error.message or str(MESSAGES.get(error.code, MESSAGES["invalid"]))


@dataclass(frozen=True)
class PhotoExif:
    """What the phone read from a photo's original EXIF before resizing it (the resized copy has none)."""

    lat: float | None = None
    lon: float | None = None
    taken_at: datetime | None = None


@dataclass(frozen=True)
class IncomingReport:
    """A report as a door parsed it: well-typed, not yet checked against the rules."""

    client_id: str
    category_code: str
    lat: float
    lon: float
    captured_at: datetime
    location_source: str
    description: str = ""
    address: str = ""
    accuracy_m: float | None = None
    photos: tuple[str, ...] = ()
    photo_exif: dict[str, PhotoExif] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """SHA-256 of everything but the client_id: same id, same fingerprint means the same report.

        Stored with every report and compared on every retry: the field set must not change."""
        content = asdict(self)
        del content["client_id"]
        return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Provenance:
    """Where a report came from, kept with it: the device, how wrong its clock was, the integration's key."""

    device_id: str | None = None
    clock_skew_s: float | None = None
    api_key_id: int | None = None


@dataclass(frozen=True)
class IntakeResult:
    client_id: str | None
    status: Status
    ticket_id: int | None = None
    case_number: str | None = None
    errors: tuple[FieldError, ...] = ()
    missing: tuple[str, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.status in (Status.CREATED, Status.LINKED, Status.ALREADY_SYNCED)


@dataclass(frozen=True)
class Limits:
    max_photos: int
    max_description: int
    clock_skew_s: float

    @classmethod
    def from_config(cls) -> Limits:
        config = current_app.config
        return cls(max_photos=config["SYNC_MAX_PHOTOS"], max_description=config["SYNC_MAX_DESCRIPTION"],
                   clock_skew_s=config["SYNC_CLOCK_SKEW_S"])


def receive(report: IncomingReport, actor: Actor, now: datetime, provenance: Provenance = Provenance()
            ) -> IntakeResult:
    """Check one report and record it: a new ticket, a repeat, or why not. The caller commits."""
    known = known_report(report.client_id, report.fingerprint(), actor)
    if known is not None:
        return known
    category = _active_category(report.category_code)
    errors = rule_errors(report, category, now)
    if errors:
        return IntakeResult(report.client_id, Status.REJECTED, errors=errors)
    usable = usable_photos(report.photos, actor)
    missing = missing_among(report.photos, usable)
    if missing:
        return IntakeResult(report.client_id, Status.MISSING_PHOTOS, missing=tuple(missing))
    try:
        with db.session.begin_nested():
            remember_client_exif(report.photo_exif, actor)
            ticket, linked = _record(report, category, actor, now, provenance, usable)
    except IntegrityError:
        # A concurrent copy committed first: answer with the ticket it made.
        return known_report(report.client_id, report.fingerprint(), actor)
    except DomainError as exc:
        problem = FieldError(exc.field or "report", exc.code, exc.message)
        return known_report(report.client_id, report.fingerprint(), actor) or IntakeResult(
            report.client_id, Status.REJECTED, errors=(problem,))
    return IntakeResult(report.client_id, Status.LINKED if linked else Status.CREATED, ticket.id,
                        ticket.case_number)


def known_report(client_id: str, fingerprint: str, actor: Actor) -> IntakeResult | None:
    """The answer for a report this reporter already sent, or None."""
    row = db.session.execute(
        sa.select(Report.ticket_id, Report.fingerprint, Ticket.case_number)
        .join(Ticket, Ticket.id == Report.ticket_id)
        .where(Report.reporter_id == actor.user_id, Report.client_id == client_id)
    ).first()
    if row is None:
        return None
    status = Status.ALREADY_SYNCED if row.fingerprint == fingerprint else Status.CONFLICT
    return IntakeResult(client_id, status, row.ticket_id, row.case_number)


def rule_errors(report: IncomingReport, category: Category | None, now: datetime,
                limits: Limits | None = None) -> tuple[FieldError, ...]:
    """Every rule the report breaks, each with the field it is about."""
    limits = limits or Limits.from_config()
    errors = [*_text_errors("category_code", report.category_code, MAX_CATEGORY_CODE),
              *_text_errors("description", report.description, limits.max_description),
              *_text_errors("address", report.address, MAX_ADDRESS)]
    if not any(e.field == "category_code" for e in errors) and category is None:
        errors.append(FieldError("category_code", "unknown_category"))
    if len(report.photos) > limits.max_photos:
        errors.append(FieldError("photos", "too_many", limit=limits.max_photos))
    if report.location_source not in {s.value for s in LocationSource}:
        errors.append(FieldError("location_source", "invalid"))
    # Bounded by the server's clock, not the phone's: a phone whose clock runs years ahead
    # must not date a report years ahead just because its `sent_at` is equally wrong.
    if report.captured_at > now + timedelta(seconds=limits.clock_skew_s):
        errors.append(FieldError("captured_at", "in_future", limit=limits.clock_skew_s))
    if current_app.config["SYNC_OUTSIDE_COUNTY"] == "reject" and geo.in_county(report.lat, report.lon) is False:
        errors.append(FieldError("lat", "outside_county"))
    return tuple(errors)


def _text_errors(name: str, value: str, limit: int) -> list[FieldError]:
    problem = text_problem(value)
    if problem is not None:
        return [FieldError(name, "invalid_text")]
    if len(value) > limit:
        return [FieldError(name, "too_long", limit=limit)]
    return []


def _active_category(code: str) -> Category | None:
    if text_problem(code) is not None or len(code) > MAX_CATEGORY_CODE:
        return None  # never sent to SQL: PostgreSQL refuses a NUL in a parameter
    return db.session.scalar(sa.select(Category).where(Category.code == code, Category.active))


def _record(report: IncomingReport, category: Category, actor: Actor, now: datetime,
            provenance: Provenance, usable: dict[str, Photo]) -> tuple[Ticket, bool]:
    """A new ticket for the report, or a repeat of an open one nearby; then the Report row and photos."""
    repeat_of = repeats.find_open_repeat(category, report.lat, report.lon, now)
    if repeat_of is not None:
        ticket = repeat_of
        # A plain UPDATE: a repeat must not bump the version and make a department's action stale.
        values = {"report_count": Ticket.report_count + 1}
        words = report.address.strip()
        if words and ticket.address_source != AddressSource.INSPECTOR:
            # An inspector's own words win over a name the job made up (issue 18).
            values.update(address=words, address_source=AddressSource.INSPECTOR)
        db.session.execute(sa.update(Ticket).where(Ticket.id == ticket.id).values(**values)
                           .execution_options(synchronize_session=False))
        db.session.expire(ticket, list(values))
        if "address" in values:
            change_log.ticket_changed(ticket)  # the phones that follow it learn the new words
        log_event(ticket, actor, "repeat", ticket.status, ticket.status,
                  note=report.description, photos=list(report.photos), at=now,
                  data={"client_id": report.client_id, "lat": report.lat, "lon": report.lon})
    else:
        ticket = open_ticket(category, report, actor, now)
    db.session.add(Report(
        reporter_id=actor.user_id, client_id=report.client_id, ticket=ticket, fingerprint=report.fingerprint(),
        is_repeat=repeat_of is not None, lat=report.lat, lon=report.lon, captured_at=report.captured_at,
        received_at=now, clock_skew_s=provenance.clock_skew_s, device_id=provenance.device_id,
        api_key_id=provenance.api_key_id,
    ))
    db.session.flush()
    attach_photos(ticket, list(report.photos), PhotoKind.BEFORE, actor, captured_at=report.captured_at,
                  usable=usable, new_ticket=repeat_of is None)  # receive() found none missing, in this transaction
    db.session.flush()
    return ticket, repeat_of is not None


def open_ticket(category: Category, report: IncomingReport, actor: Actor, now: datetime) -> Ticket:
    """A new ticket for a report, routed to its department when a rule says which."""
    decision = routing.route(category, report.lat, report.lon)
    ticket = Ticket(
        case_number=next_case_number(now), status=TicketStatus.REPORTED, category=category,
        area_id=decision.area_id, reporter_id=actor.user_id, lat=report.lat, lon=report.lon,
        accuracy_m=report.accuracy_m, location_source=LocationSource(report.location_source),
        address=report.address.strip(), description=report.description, captured_at=report.captured_at,
        received_at=now,
        # The inspector's own words win for good; without them the address job fills one in (issue 18).
        address_source=AddressSource.INSPECTOR if report.address.strip() else None,
    )
    db.session.add(ticket)
    log_event(ticket, actor, "report", None, TicketStatus.REPORTED, note=report.description,
              photos=list(report.photos), at=now)
    if decision.department_id is not None:
        with db.session.no_autoflush:  # the SLA's calendar query must not INSERT the ticket only to UPDATE it
            assign_to(ticket, decision.department_id, now)
        log_event(ticket, None, "assign", TicketStatus.REPORTED, TicketStatus.ASSIGNED, at=now,
                  data={"department_id": decision.department_id, "rule": decision.rule})
    db.session.flush()
    if ticket.department_id is not None:
        # A routed ticket is a new assignment like a desk's: the department hears of it the same
        # way (centre, e-mail, its group-chat robot), queued in this transaction, sent by jobs.
        notify.send(notify.department_users(ticket.department_id), "assigned", ticket=ticket,
                    case=ticket.case_number, note="")
    return ticket
