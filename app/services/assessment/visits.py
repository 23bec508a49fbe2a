"""Assessment visits (issue 14 §3): receive one from a phone, void one, list them.

A visit is stored whole or not at all. Each failed item becomes a ticket through the one intake
(app/services/reports/intake.py: routing, SLA, evidence flags, repeat linking), as a report whose
client_id is derived from the visit's (`item_client_id`), so a resent visit can never open a
second ticket; all of it runs in one SAVEPOINT, and when the intake refuses one failed item the
savepoint is rolled back and the visit is `rejected` with that item named.

Idempotency is the database's, as for reports: Visit has a unique (inspector, client_id) key and
the Visit row is inserted first, so a concurrent copy waits on that key (PostgreSQL) or on the
write lock (SQLite), fails with IntegrityError, and answers from the row that won.

Rules the phone must meet (docs/sync-protocol.md, "Visits"): a known point and a checklist version
of its type (older versions too: the visit keeps its own); every item of that version answered
exactly once (pass, fail or na: an unanswered item would silently count as passed in the score);
a fail with at least one photo; every named photo uploaded.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from shapely.errors import GEOSException
from shapely.geometry import Point, shape
from shapely.ops import nearest_points
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    ChecklistItem,
    ChecklistVersion,
    InspectionPoint,
    LocationSource,
    Outcome,
    User,
    Visit,
    VisitResult,
)
from app.services.accounts import audit
from app.services.actor import Actor, Role
from app.services.notifications import centre as notify
from app.services.photos.attach import missing_photos
from app.services.reports import geo, intake
from app.services.reports.intake import FieldError, IncomingReport, PhotoExif, Provenance, Status
from app.services.supervision.kpis import Period
from app.text import text_problem
from app.timeutil import to_local

FAR_M = 200.0  # a visit farther than this from its point (or without a position) is flagged, not refused
MAX_REASON = 1000
PAGE_SIZE = 200
# Fixed forever: a failed item's report client_id is uuid5(this, "<visit client_id>/<item code>").
ITEM_NAMESPACE = uuid.UUID("5b0f7c1e-3a8d-4f7e-9c2b-8e4d1a6f0c33")

MESSAGES = {
    "unknown_point": _l("There is no inspection point with this code."),
    "unknown_checklist_version": _l("The point's checklist has no such version."),
    "unknown_item": _l("This item is not in the checklist version of the visit."),
    "duplicate_item": _l("This item is answered twice."),
    "unanswered": _l("This item of the checklist is not answered (pass, fail or not applicable)."),
    "photo_required": _l("A failed item needs at least one photo."),
    "before_start": _l("The visit ends before it starts."),
}


@dataclass(frozen=True)
class ItemError(FieldError):
    """A field error about one checklist item of a visit: `item_code` names it (None: the visit)."""

    item_code: str | None = None


@dataclass(frozen=True)
class IncomingResult:
    item_code: str
    outcome: str  # Outcome's values
    note: str = ""
    photos: tuple[str, ...] = ()
    photo_exif: dict[str, PhotoExif] = field(default_factory=dict)  # as a report's: the originals' EXIF


@dataclass(frozen=True)
class IncomingVisit:
    """A visit as the sync door parsed it: well-typed, not yet checked against the rules."""

    client_id: str
    point_code: str
    checklist_version: int
    started_at: datetime
    finished_at: datetime
    results: tuple[IncomingResult, ...]
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None

    def fingerprint(self) -> str:
        """SHA-256 of everything but the client_id (results in item order): stored with the visit."""
        content = asdict(self)
        del content["client_id"]
        for result in content["results"]:
            if not result["photo_exif"]:
                del result["photo_exif"]  # optional: a visit without it keeps the fingerprint it always had
        content["results"] = sorted(content["results"], key=lambda r: r["item_code"])
        return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class VisitOutcome:
    client_id: str | None
    status: Status
    visit_id: int | None = None
    tickets: dict[str, int] = field(default_factory=dict)  # failed item code → its ticket (new or linked)
    errors: tuple[FieldError, ...] = ()
    missing: tuple[str, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.status in (Status.CREATED, Status.ALREADY_SYNCED)


class _Refused(Exception):
    def __init__(self, outcome: VisitOutcome):
        super().__init__(outcome.status)
        self.outcome = outcome


def item_client_id(visit_client_id: str, item_code: str) -> str:
    """The client_id of the report a failed item makes (the phone can match the ticket's client_ids)."""
    return str(uuid.uuid5(ITEM_NAMESPACE, f"{visit_client_id}/{item_code}"))


def error(field_name: str, code: str, item_code: str | None = None, limit: float | None = None) -> ItemError:
    return ItemError(field_name, code, str(MESSAGES[code]) if code in MESSAGES else "", limit, item_code)


# --- receiving a visit -----------------------------------------------------------------------

def receive(visit: IncomingVisit, actor: Actor, now: datetime, provenance: Provenance = Provenance()
            ) -> VisitOutcome:
    """Check one visit and store it with its results and tickets, or say why not. The caller commits."""
    fingerprint = visit.fingerprint()
    known = known_visit(visit.client_id, fingerprint, actor)
    if known is not None:
        return known
    point = _point(visit.point_code)
    if point is None:
        return _rejected(visit, error("point_code", "unknown_point"))
    version = db.session.scalar(sa.select(ChecklistVersion).where(
        ChecklistVersion.location_type_id == point.location_type_id,
        ChecklistVersion.version == visit.checklist_version)
        .options(so.selectinload(ChecklistVersion.items).joinedload(ChecklistItem.category)))
    if version is None:
        return _rejected(visit, error("checklist_version", "unknown_checklist_version"))
    items = {item.code: item for item in version.items}
    errors = [*_time_errors(visit, now), *_answer_errors(visit, items)]
    if errors:
        return _rejected(visit, *errors)
    distance = distance_from(point, visit.lat, visit.lon)
    flagged = distance is None or distance > FAR_M
    reports = [(index, result, _report_of(visit, result, items[result.item_code], point, flagged))
               for index, result in enumerate(visit.results) if result.outcome == Outcome.FAIL]
    errors = [_item_error(index, result.item_code, problem)
              for index, result, report in reports
              for problem in intake.rule_errors(report, _active(items[result.item_code]), now)]
    if errors:
        return _rejected(visit, *errors)
    missing = missing_photos([sha for result in visit.results for sha in result.photos], actor)
    if missing:
        return VisitOutcome(visit.client_id, Status.MISSING_PHOTOS, missing=tuple(missing))
    try:
        with db.session.begin_nested():
            row = Visit(client_id=visit.client_id, inspector_id=actor.user_id, point_id=point.id,
                        checklist_version_id=version.id, fingerprint=fingerprint, started_at=visit.started_at,
                        finished_at=visit.finished_at, received_at=now, lat=visit.lat, lon=visit.lon,
                        accuracy_m=visit.accuracy_m, distance_m=distance, flagged_far=flagged)
            db.session.add(row)
            db.session.flush()  # the unique key first: a concurrent copy stops here, before any ticket
            tickets = _fail_tickets(visit, reports, actor, now, provenance)
            db.session.add_all(VisitResult(visit_id=row.id, item_code=r.item_code, outcome=Outcome(r.outcome),
                                           note=r.note, photos=list(r.photos), ticket_id=tickets.get(r.item_code))
                               for r in visit.results)
            db.session.flush()
    except IntegrityError:
        # A concurrent copy committed first: answer with what it stored.
        return known_visit(visit.client_id, fingerprint, actor) or _rejected(visit, error("visit", "not_storable"))
    except _Refused as refused:
        return refused.outcome
    if flagged:
        _tell_supervisors(row, point, actor)
    return VisitOutcome(visit.client_id, Status.CREATED, row.id, tickets)


def _tell_supervisors(row: Visit, point: InspectionPoint, actor: Actor) -> None:
    """A far visit (or one without a position) is flagged to the supervisors, who may void it; in the
    same transaction as the visit, so a visit sent again (already_synced) is never announced twice."""
    notify.send(notify.supervisors(), "visit_far", visit_id=row.id, point=point.code, point_name=point.name,
                inspector=actor.username, distance_m=row.distance_m,
                day=to_local(row.started_at).date().isoformat())


def known_visit(client_id: str, fingerprint: str, actor: Actor) -> VisitOutcome | None:
    """The answer for a visit this inspector already sent (same content or not), or None."""
    row = db.session.execute(sa.select(Visit.id, Visit.fingerprint).where(
        Visit.inspector_id == actor.user_id, Visit.client_id == client_id)).first()
    if row is None:
        return None
    tickets = dict(db.session.execute(sa.select(VisitResult.item_code, VisitResult.ticket_id).where(
        VisitResult.visit_id == row.id, VisitResult.ticket_id.is_not(None))).all())
    status = Status.ALREADY_SYNCED if row.fingerprint == fingerprint else Status.CONFLICT
    return VisitOutcome(client_id, status, row.id, tickets)


def _fail_tickets(visit: IncomingVisit, reports, actor: Actor, now: datetime, provenance: Provenance
                  ) -> dict[str, int]:
    """Each failed item through the intake; the first refusal undoes the whole visit (_Refused)."""
    tickets = {}
    for index, result, report in reports:
        answer = intake.receive(report, actor, now, provenance)
        if answer.status == Status.MISSING_PHOTOS:
            raise _Refused(VisitOutcome(visit.client_id, Status.MISSING_PHOTOS, missing=answer.missing))
        if not answer.accepted:  # rejected; a conflict would mean the derived client_id was used otherwise
            problems = answer.errors or (FieldError("results", "not_storable"),)
            raise _Refused(_rejected(visit, *(_item_error(index, result.item_code, p) for p in problems)))
        tickets[result.item_code] = answer.ticket_id
    return tickets


def _rejected(visit: IncomingVisit, *errors: FieldError) -> VisitOutcome:
    return VisitOutcome(visit.client_id, Status.REJECTED, errors=tuple(errors))


def _point(code: str) -> InspectionPoint | None:
    if text_problem(code) is not None or len(code) > 32:
        return None  # never sent to SQL: PostgreSQL refuses a NUL in a parameter
    return db.session.scalar(sa.select(InspectionPoint).where(InspectionPoint.code == code))


def _time_errors(visit: IncomingVisit, now: datetime) -> list[ItemError]:
    limits = intake.Limits.from_config()
    if visit.finished_at > now + timedelta(seconds=limits.clock_skew_s):
        return [error("finished_at", "in_future", limit=limits.clock_skew_s)]
    if visit.finished_at < visit.started_at:
        return [error("finished_at", "before_start")]
    return []


def _answer_errors(visit: IncomingVisit, items: dict[str, ChecklistItem]) -> list[ItemError]:
    """Every item of the version answered once, nothing else; a fail with a photo."""
    errors, seen = [], set()
    for index, result in enumerate(visit.results):
        code = result.item_code
        if code not in items:
            errors.append(error(f"results[{index}].item_code", "unknown_item", code))
        elif code in seen:
            errors.append(error(f"results[{index}].item_code", "duplicate_item", code))
        elif result.outcome == Outcome.FAIL and not result.photos:
            errors.append(error(f"results[{index}].photos", "photo_required", code))
        seen.add(code)
    errors += [error("results", "unanswered", code) for code in items if code not in seen]
    return errors


# Where the intake's field names land on a visit.
_REPORT_FIELDS = {"description": "note", "photos": "photos", "category_code": "item_code"}
_VISIT_FIELDS = {"captured_at": "finished_at", "lat": "lat", "lon": "lat", "address": "point_code"}


def _item_error(index: int, item_code: str, problem: FieldError) -> ItemError:
    if problem.field in _VISIT_FIELDS:
        name = _VISIT_FIELDS[problem.field]
    else:
        name = f"results[{index}]" + (f".{_REPORT_FIELDS[problem.field]}" if problem.field in _REPORT_FIELDS else "")
    return ItemError(name, problem.code, problem.message, problem.limit, item_code)


def _active(item: ChecklistItem):
    return item.category if item.category.active else None


def _report_of(visit: IncomingVisit, result: IncomingResult, item: ChecklistItem, point: InspectionPoint,
               flagged: bool) -> IncomingReport:
    """A failed item as a report: at the phone's position when it was at the point, else at the point
    (a far fix is more likely wrong than the problem far away: the checked place is the point)."""
    at_phone = not flagged and geo.in_county(visit.lat, visit.lon) is not False
    lat, lon = (visit.lat, visit.lon) if at_phone else (point.lat, point.lon)
    return IncomingReport(
        client_id=item_client_id(visit.client_id, result.item_code), category_code=item.category.code,
        lat=lat, lon=lon, captured_at=visit.finished_at,
        location_source=(LocationSource.DEVICE if at_phone else LocationSource.MANUAL).value,
        description=_description(item.text_zh, result.note), address=point.name,
        accuracy_m=visit.accuracy_m if at_phone else None, photos=result.photos, photo_exif=result.photo_exif)


def _description(item_text: str, note: str) -> str:
    """The item's text, then the inspector's note; the item's text is shortened, never the note."""
    limit = intake.Limits.from_config().max_description
    if not note:
        return item_text[:limit]
    room = limit - len(note) - 1
    if room <= 0:
        return note[:limit]
    text = item_text if len(item_text) <= room else item_text[:max(room - 1, 0)] + "…"
    return f"{text}\n{note}" if text else note


def distance_from(point: InspectionPoint, lat: float | None, lon: float | None) -> float | None:
    """Metres from the point: 0 inside its polygon, else to the nearer of its position and outline."""
    if lat is None or lon is None:
        return None
    distance = geo.distance_m((lat, lon), (point.lat, point.lon))
    if point.polygon:
        try:
            outline = shape(point.polygon)
            here = Point(lon, lat)
            if outline.covers(here):
                return 0.0
            nearest = nearest_points(outline.boundary, here)[0]
            distance = min(distance, geo.distance_m((lat, lon), (nearest.y, nearest.x)))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, GEOSException):
            pass  # an outline stored broken (edited in SQL): the distance to the position still holds
    return round(distance, 1)


# --- voiding and listing ---------------------------------------------------------------------

def void(visit_id: int, reason: str, actor: Actor, now: datetime) -> Visit:
    """Take a wrong visit out of the score, with the reason (supervisors and admins).

    An inspector's own visit is 403, anybody else's 404 (decision 0002); its tickets are left to the
    ticket lifecycle (a real problem stays one, a wrong one is invalidated there)."""
    visit = _visible(visit_id, actor)
    if not actor.is_supervisor:
        raise Forbidden(_("Only supervisors and administrators void visits."))
    reason = (reason or "").strip() if isinstance(reason, str) else None
    if not reason:
        raise ValidationFailed(_("Give the reason for voiding the visit."), field="reason")
    if text_problem(reason) is not None:
        raise ValidationFailed(_("The text holds characters that cannot be stored."), field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(_("At most %(n)d characters.", n=MAX_REASON), field="reason")
    if visit.voided_at is not None:
        raise Conflict(_("This visit was voided already."), code="already_voided")
    visit.voided_at, visit.void_reason, visit.voided_by_id = now, reason, actor.user_id
    audit.record(actor, "visit_voided", "visit", visit.id, {"reason": reason, "point": visit.point.code})
    db.session.flush()
    return visit


def _visible(visit_id: int, actor: Actor) -> Visit:
    # An inspector sees its own visits; a department none (it sees points and points lost).
    visit = db.session.get(Visit, visit_id) if actor.is_supervisor or actor.role == Role.INSPECTOR else None
    if visit is None or not (actor.is_supervisor or visit.inspector_id == actor.user_id):
        raise NotFound(_("No such visit."), field="id")
    return visit


@dataclass(frozen=True)
class VisitRow:
    id: int
    client_id: str
    point_code: str
    point_name: str
    inspector: str
    started_at: datetime
    finished_at: datetime
    received_at: datetime
    checklist_version: int
    distance_m: float | None
    flagged_far: bool
    voided_at: datetime | None
    void_reason: str
    failed: int
    tickets: dict[str, int]


def list_visits(actor: Actor, period: Period, *, flagged: bool | None = None, page: int = 1
                ) -> tuple[list[VisitRow], int]:
    """Visits started in the period, newest first, one page, and how many there are in all:
    supervisors and admins see every visit, an inspector its own."""
    if actor.role == Role.DEPARTMENT:
        raise Forbidden(_("Your role may not use this."))
    where = [Visit.started_at >= period.start, Visit.started_at < period.end]
    if not actor.is_supervisor:
        where.append(Visit.inspector_id == actor.user_id)
    if flagged is not None:
        where.append(Visit.flagged_far.is_(flagged))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Visit).where(*where))
    rows = db.session.execute(
        sa.select(Visit, InspectionPoint.code, InspectionPoint.name, User.username, ChecklistVersion.version)
        .join(InspectionPoint, InspectionPoint.id == Visit.point_id)
        .join(User, User.id == Visit.inspector_id)
        .join(ChecklistVersion, ChecklistVersion.id == Visit.checklist_version_id)
        .where(*where).order_by(Visit.started_at.desc(), Visit.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    failed: dict[int, dict[str, int | None]] = {}
    if rows:
        for visit_id, code, ticket_id in db.session.execute(
                sa.select(VisitResult.visit_id, VisitResult.item_code, VisitResult.ticket_id).where(
                    VisitResult.visit_id.in_([r.Visit.id for r in rows]), VisitResult.outcome == Outcome.FAIL)):
            failed.setdefault(visit_id, {})[code] = ticket_id
    out = [VisitRow(
        v.id, v.client_id, code, name, username, v.started_at, v.finished_at, v.received_at, number,
        v.distance_m, v.flagged_far, v.voided_at, v.void_reason, len(failed.get(v.id, {})),
        {c: t for c, t in failed.get(v.id, {}).items() if t is not None},
    ) for v, code, name, username, number in rows]
    return out, total
