"""GeoReport v2: discovery, services, service definitions, requests (list, one, create).

Reads need no key when OPEN311_PUBLIC is on (the spec's default); this county's data is not
public by default, so reads then need `api_key` too. `api_key` is a device token: the account
behind it is the reporter of what it posts.
"""
from __future__ import annotations

import math
import re
import uuid
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, current_app, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from app.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.extensions import csrf, db
from app.models import FINAL_STATUSES, Category, Role, Ticket
from app.open311.render import respond
from app.params import time_arg
from app.services.accounts import users
from app.services.actor import Actor
from app.services.reports import intake
from app.services.tickets.access import visible_to
from app.timeutil import now_utc, parse_iso_with_offset, to_local

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
csrf.exempt(bp)  # a key-authenticated API, no cookies

MAX_REQUESTS = 1000
SHA256_HEX = re.compile(r"[0-9a-f]{64}")

# Every service takes the same optional attribute: when the problem was seen (the intake's clock rule).
ATTRIBUTES = [{"variable": True, "code": "captured_at", "datatype": "datetime", "required": False,
               "datatype_description": "ISO 8601 with a UTC offset; default: the time of the request",
               "order": 1, "description": "When the problem was seen"}]
MAX_SPAN = timedelta(days=90)


def _fmt(fmt: str) -> str:
    if fmt not in ("json", "xml"):
        raise NotFound(_("Use .json or .xml."))
    return fmt


def _actor_from_key(required: bool) -> Actor | None:
    key = request.values.get("api_key", "")
    if not key:
        if required:
            raise Forbidden(_("An api_key is required."), code="403")
        return None
    found = users.user_for_token(key)
    if found is None:
        raise Forbidden(_("The api_key is not valid."), code="403")
    return Actor.of(found[0])


def _reader() -> Actor:
    """Who reads: the key's account, or (public mode) anyone, seeing what a supervisor sees."""
    actor = _actor_from_key(required=not current_app.config["OPEN311_PUBLIC"])
    return actor or Actor(None, Role.SUPERVISOR, username="open311-public")


def _iso_local(value) -> str | None:
    return to_local(value).isoformat(timespec="seconds") if value else None


def _service(category: Category) -> dict:
    return {"service_code": category.code, "service_name": category.name_zh, "description": category.name_en,
            "metadata": True, "type": "realtime", "keywords": category.group_zh, "group": category.group_zh}


def _request_out(ticket: Ticket) -> dict:
    closed = ticket.status in FINAL_STATUSES
    return {
        "service_request_id": ticket.case_number,
        "status": "closed" if closed else "open",
        "status_notes": ticket.status.value,
        "service_name": ticket.category.name_zh,
        "service_code": ticket.category.code,
        "description": ticket.description,
        "agency_responsible": ticket.department.name_zh if ticket.department else "",
        "service_notice": "",
        "requested_datetime": _iso_local(ticket.received_at),
        "updated_datetime": _iso_local(ticket.closed_at if closed and ticket.closed_at else ticket.updated_at),
        "expected_datetime": _iso_local(ticket.due_at),
        "address": ticket.address,
        "address_id": "",
        "zipcode": "",
        "lat": ticket.lat,
        "long": ticket.lon,
        "media_url": "",
    }


@bp.get("/discovery.<fmt>")
def discovery(fmt: str):
    body = {"changeset": "2026-11-28T00:00:00+08:00", "contact": current_app.config["OPEN311_CONTACT"],
            "key_service": _("Ask the administrator for a device token."),
            "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2",
                           "url": url_for("open311.services", fmt="json", _external=True).rsplit("/", 1)[0],
                           "changeset": "2026-11-28T00:00:00+08:00", "type": "production",
                           "formats": ["text/xml", "application/json"]}]}
    return respond("discovery", body, _fmt(fmt))


@bp.get("/services.<fmt>")
def services(fmt: str):
    fmt = _fmt(fmt)
    _reader()
    rows = db.session.scalars(sa.select(Category).where(Category.active).order_by(Category.code))
    return respond("services", [_service(c) for c in rows], fmt)


@bp.get("/services/<code>.<fmt>")
def service_definition(code: str, fmt: str):
    fmt = _fmt(fmt)
    _reader()
    category = db.session.scalar(sa.select(Category).where(Category.code == code, Category.active))
    if category is None:
        raise NotFound(_("Unknown service_code."))
    return respond("service_definition", {"service_code": category.code, "attributes": ATTRIBUTES}, fmt)


@bp.get("/requests.<fmt>")
def list_requests(fmt: str):
    fmt = _fmt(fmt)
    actor = _reader()
    query = sa.select(Ticket).where(visible_to(actor)).options(
        so.joinedload(Ticket.category), so.joinedload(Ticket.department))
    ids = [i for i in (request.args.get("service_request_id") or "").split(",") if i]
    if ids:  # overrides every other parameter (spec)
        query = query.where(Ticket.case_number.in_(ids))
    else:
        codes = [c for c in (request.args.get("service_code") or "").split(",") if c]
        if codes:
            query = query.join(Category, Ticket.category_id == Category.id).where(Category.code.in_(codes))
        end = time_arg("end_date") or now_utc()
        start = time_arg("start_date") or end - MAX_SPAN
        if end - start > MAX_SPAN:
            raise ValidationFailed(_("The date range may span at most 90 days."), field="start_date")
        query = query.where(Ticket.received_at >= start, Ticket.received_at <= end)
        statuses = {s for s in (request.args.get("status") or "").split(",") if s}
        if statuses - {"open", "closed"}:
            raise ValidationFailed(_("status is open or closed."), field="status")
        if statuses == {"open"}:
            query = query.where(Ticket.status.not_in(FINAL_STATUSES))
        elif statuses == {"closed"}:
            query = query.where(Ticket.status.in_(FINAL_STATUSES))
    tickets = db.session.scalars(query.order_by(Ticket.received_at.desc()).limit(MAX_REQUESTS)).all()
    return respond("service_requests", [_request_out(t) for t in tickets], fmt)


@bp.get("/requests/<case_number>.<fmt>")
def get_request(case_number: str, fmt: str):
    fmt = _fmt(fmt)
    actor = _reader()
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.case_number == case_number, visible_to(actor)))
    if ticket is None:
        raise NotFound(_("Unknown service_request_id."))
    return respond("service_requests", [_request_out(ticket)], fmt)


def _float(name: str) -> float:
    try:
        value = float(request.form.get(name, ""))
    except ValueError:
        value = math.nan
    if not (-90 <= value <= 90 if name == "lat" else -180 <= value <= 180):
        raise ValidationFailed(_("lat and long are required, in WGS-84 degrees."), field=name)
    return value


# Intake fields by the names a GeoReport client sent them under.
OPEN311_FIELDS = {"category_code": "service_code", "address": "address_string", "captured_at": "attribute[captured_at]",
                  "photos": "media_url"}


def _incoming(now) -> intake.IncomingReport:
    """A GeoReport POST as a report for the intake. GeoReport has no idempotency key: each POST is new."""
    form = request.form
    return intake.IncomingReport(
        client_id=str(uuid.uuid4()), category_code=form.get("service_code", "").strip(),
        lat=_float("lat"), lon=_float("long"), captured_at=_captured_at(now), location_source="device",
        description=form.get("description", "").strip(), address=form.get("address_string", "").strip(),
        photos=_media())


def _captured_at(now):
    raw = request.form.get("attribute[captured_at]", "")
    if not raw:
        return now
    try:
        return parse_iso_with_offset(raw)
    except ValueError:
        raise ValidationFailed(_("attribute[captured_at] must be an ISO 8601 time with an offset."),
                               field="attribute[captured_at]") from None


def _media() -> tuple[str, ...]:
    """`media_url`: a photo uploaded first with PUT /api/v1/photos/{sha256}, by its URL or its hash."""
    url = request.form.get("media_url", "").strip()
    if not url:
        return ()
    sha = url.rstrip("/").rsplit("/", 1)[-1].lower()
    if not SHA256_HEX.fullmatch(sha):
        raise ValidationFailed(_("media_url must name a photo uploaded to /api/v1/photos/{sha256}."),
                               field="media_url")
    return (sha,)


def _refusal(result: intake.IntakeResult) -> DomainError:
    """The intake's refusal in GeoReport's terms: an unknown service_code is a 404, the rest a 400."""
    if result.status == intake.Status.MISSING_PHOTOS:
        return ValidationFailed(_("Upload the photo first: PUT /api/v1/photos/%(sha)s.", sha=result.missing[0]),
                                field="media_url", code="missing_photos")
    error = result.errors[0]
    if error.code == "unknown_category":
        return NotFound(_("Unknown service_code."), field="service_code")
    field = OPEN311_FIELDS.get(error.field, error.field)
    return ValidationFailed(f"{field}: {intake.message_for(error)}", field=field, code=error.code)


@bp.post("/requests.<fmt>")
def create_request(fmt: str):
    fmt = _fmt(fmt)
    actor = _actor_from_key(required=True)
    if actor.role not in (Role.INSPECTOR, Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden(_("This key may not report problems."), code="403")
    now = now_utc()
    result = intake.receive(_incoming(now), actor, now)
    if not result.accepted:
        raise _refusal(result)
    db.session.commit()
    return respond("service_requests", [{"service_request_id": result.case_number, "service_notice": "",
                                         "account_id": ""}], fmt, status=201)


def _error(status: int, description: str):
    fmt = "xml" if request.path.endswith(".xml") else "json"
    return respond("errors", [{"code": status, "description": description}], fmt, status=status)


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    db.session.rollback()
    # The spec knows 403 (key), 404 (unknown thing) and 400 (everything else).
    status = exc.status if exc.status in (403, 404) else 400
    return _error(status, exc.message)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return _error(exc.code if exc.code in (403, 404) else 400, exc.description or "")
