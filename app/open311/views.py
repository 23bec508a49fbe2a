"""GeoReport v2: discovery, services, service definitions, requests (list, one, create), tokens, media.

Reads need no key when OPEN311_PUBLIC is on (the spec's default); this county's data is not
public by default, so reads then need `api_key` too. `api_key` is an integration's API key (issued
by an administrator, rate-limited, decision 0009) or a device token of the county's own apps: a
key reads what the public would see (every ticket) and posts as its own account; a device token
reads and posts as its user. Names and refusals come in English with `locale=en` or
`Accept-Language: en`.
"""
from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, current_app, g, request, send_file, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from app.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.extensions import csrf, db, sqlite_read_only
from app.models import FINAL_STATUSES, Category, Role, Ticket
from app.open311.render import respond
from app.params import time_arg
from app.services.accounts import api_keys, users
from app.services.actor import Actor
from app.services.photos import store as photos
from app.services.reports import intake, open311, service_attributes
from app.services.tickets.access import visible_to
from app.text import text_problem
from app.timeutil import now_utc, parse_iso_with_offset, to_local

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
csrf.exempt(bp)  # a key-authenticated API, no cookies

MAX_REQUESTS = 1000
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
MAX_SPAN = timedelta(days=90)
PUBLIC = "open311-public"
MEDIA_MAX_AGE_S = 86400  # the URL names the bytes, but a ticket can become invisible: a day


class RateLimited(DomainError):
    status, code = 429, "rate_limited"


@dataclass(frozen=True)
class Caller:
    reader: Actor  # whose view of the tickets a read gets
    poster: Actor  # who reports what a POST creates
    api_key_id: int | None = None


def _fmt(fmt: str) -> str:
    if fmt not in ("json", "xml"):
        raise NotFound(_("Use .json or .xml."))
    return fmt


def _lang() -> str:
    """English when asked (`locale=en`, else `Accept-Language`), Chinese otherwise."""
    chosen = (request.values.get("locale") or "").lower()
    if chosen:
        return "en" if chosen.startswith("en") else "zh"
    return "en" if request.accept_languages.best_match(["zh", "en"], default="zh") == "en" else "zh"


def _named(obj, lang: str) -> str:
    return (obj.name_en or obj.name_zh) if lang == "en" else obj.name_zh


@bp.before_request
def _language():
    """Refusals in the caller's language too (the names follow _lang() where they are chosen)."""
    if _lang() == "en":
        forced = force_locale("en")
        forced.__enter__()
        g.open311_locale = forced


@bp.teardown_request
def _language_done(_exc):
    forced = g.pop("open311_locale", None)
    if forced is not None:
        forced.__exit__(None, None, None)


@bp.before_request
def _check_jurisdiction():
    configured = current_app.config["OPEN311_JURISDICTION"]
    given = request.values.get("jurisdiction_id")
    if configured and given not in (None, "", configured):
        raise NotFound(_("Unknown jurisdiction_id."), field="jurisdiction_id")


def _counted_key(secret: str) -> Caller:
    """An integration's key: checked and counted in a short write of its own, committed before the
    request's work, so every refusal (403, 429) and every worker sees the same count."""
    db.session.commit()  # nothing is pending yet: this only ends the request's read transaction
    writing = sqlite_read_only.set(False)  # SQLite: take the write lock up front for the count
    try:
        key = api_keys.authenticate(secret)
        if key is None:
            db.session.rollback()
            raise Forbidden(_("The api_key is not valid."), code="403")
        caller = Caller(Actor(None, Role.SUPERVISOR, username=api_keys.ACCOUNT_PREFIX + key.name),
                        Actor.of(key.user), key.id)
        wait = api_keys.count_request(key.id, now_utc(), current_app.config["API_KEY_RATE_LIMIT"])
        db.session.commit()
    finally:
        sqlite_read_only.reset(writing)
    if wait:
        raise RateLimited(_("Too many requests with this api_key; try again in %(n)d s.", n=wait),
                          retry_after=wait)
    return caller


def _caller(required: bool) -> Caller | None:
    secret = request.values.get("api_key", "")
    if not secret:
        if required:
            raise Forbidden(_("An api_key is required."), code="403")
        return None
    if secret.startswith(api_keys.PREFIX):
        return _counted_key(secret)
    found = users.user_for_token(secret)  # the county's own apps: a device token
    if found is None:
        raise Forbidden(_("The api_key is not valid."), code="403")
    actor = Actor.of(found[0])
    return Caller(actor, actor)


def _reader() -> Actor:
    """Who reads: the key's view, or (public mode, no key) anyone, seeing what a supervisor sees."""
    caller = _caller(required=not current_app.config["OPEN311_PUBLIC"])
    return caller.reader if caller else Actor(None, Role.SUPERVISOR, username=PUBLIC)


def _iso_local(value) -> str | None:
    return to_local(value).isoformat(timespec="seconds") if value else None


def _service(category: Category, lang: str) -> dict:
    group = (category.group_en or category.group_zh) if lang == "en" else category.group_zh
    return {"service_code": category.code, "service_name": _named(category, lang),
            "description": _named(category, lang), "metadata": service_attributes.has_metadata(category.code),
            "type": "realtime", "keywords": group, "group": group}


def _media_url(sha: str | None) -> str:
    return url_for("open311.media", sha256=sha, _external=True) if sha else ""


def _request_out(ticket: Ticket, lang: str, photo: str | None) -> dict:
    closed = ticket.status in FINAL_STATUSES
    return {
        "service_request_id": ticket.case_number,
        "status": "closed" if closed else "open",
        "status_notes": ticket.status.value,
        "service_name": _named(ticket.category, lang),
        "service_code": ticket.category.code,
        "description": ticket.description,
        "agency_responsible": _named(ticket.department, lang) if ticket.department else "",
        "service_notice": "",
        "requested_datetime": _iso_local(ticket.received_at),
        "updated_datetime": _iso_local(ticket.closed_at if closed and ticket.closed_at else ticket.updated_at),
        "expected_datetime": _iso_local(ticket.due_at),
        "address": ticket.address,
        "address_id": "",
        "zipcode": "",
        "lat": ticket.lat,
        "long": ticket.lon,
        "media_url": _media_url(photo),
    }


def _requests_out(tickets: list[Ticket]) -> list[dict]:
    lang, first = _lang(), open311.first_photos(t.id for t in tickets)
    return [_request_out(t, lang, first.get(t.id)) for t in tickets]


@bp.get("/discovery.<fmt>")
def discovery(fmt: str):
    body = {"changeset": "2026-12-01T00:00:00+08:00", "contact": current_app.config["OPEN311_CONTACT"],
            "key_service": _("Ask the administrator for an API key."),
            "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2",
                           "url": url_for("open311.services", fmt="json", _external=True).rsplit("/", 1)[0],
                           "changeset": "2026-12-01T00:00:00+08:00", "type": "production",
                           "formats": ["text/xml", "application/json"]}]}
    return respond("discovery", body, _fmt(fmt))


@bp.get("/services.<fmt>")
def services(fmt: str):
    fmt = _fmt(fmt)
    _reader()
    lang = _lang()
    rows = db.session.scalars(sa.select(Category).where(Category.active).order_by(Category.code))
    return respond("services", [_service(c, lang) for c in rows], fmt)


@bp.get("/services/<code>.<fmt>")
def service_definition(code: str, fmt: str):
    fmt = _fmt(fmt)
    _reader()
    category = db.session.scalar(sa.select(Category).where(Category.code == code, Category.active))
    if category is None:
        raise NotFound(_("Unknown service_code."))
    return respond("service_definition", {"service_code": category.code,
                                          "attributes": service_attributes.definition(category.code, _lang())}, fmt)


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
    return respond("service_requests", _requests_out(list(tickets)), fmt)


@bp.get("/requests/<case_number>.<fmt>")
def get_request(case_number: str, fmt: str):
    fmt = _fmt(fmt)
    actor = _reader()
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.case_number == case_number, visible_to(actor)))
    if ticket is None:
        raise NotFound(_("Unknown service_request_id."))
    return respond("service_requests", _requests_out([ticket]), fmt)


@bp.get("/tokens/<token>.<fmt>")
def get_token(token: str, fmt: str):
    """The request a POST's token became (the spec's answer for clients that got a token)."""
    fmt = _fmt(fmt)
    ticket = open311.ticket_for_token(token, _reader()) if len(token) <= 36 else None
    if ticket is None:
        raise NotFound(_("Unknown token."))
    return respond("service_requests", [{"token": token, "service_request_id": ticket.case_number}], fmt)


@bp.get("/media/<sha256>.jpg")
def media(sha256: str):
    """A request's photo as its web image: resized, re-encoded, no EXIF (no GPS); stable by its hash."""
    if not SHA256_HEX.fullmatch(sha256):
        raise NotFound(_("Photo not found."))
    photo = photos.get_viewable_photo(sha256, _reader())
    response = send_file(photos.file_for(photo, "web").open(), mimetype="image/jpeg", etag=f"{photo.sha256}-web",
                         conditional=True, max_age=MEDIA_MAX_AGE_S)
    response.cache_control.public = current_app.config["OPEN311_PUBLIC"]  # else only for the key's holder
    response.cache_control.private = not current_app.config["OPEN311_PUBLIC"]
    return response


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
ATTRIBUTE = re.compile(r"attribute\[([^\]]{1,64})\]")


def _attributes() -> dict[str, str]:
    return {m.group(1): value for name, value in request.form.items() if (m := ATTRIBUTE.fullmatch(name))}


def _incoming(caller: Caller, now) -> intake.IncomingReport:
    """A GeoReport POST as a report for the intake. With attribute[client_request_id] a retry is the
    same report (the intake's client_id idempotency); without it each POST is new."""
    form, given = request.form, _attributes()
    code = form.get("service_code", "").strip()
    answers, problems = service_attributes.check(code, given)
    if problems:
        raise ValidationFailed(f"attribute[{problems[0].code}]: {problems[0].message}",
                               field=f"attribute[{problems[0].code}]")
    client_id, earlier = str(uuid.uuid4()), None
    request_id = (given.get("client_request_id") or "").strip()
    if request_id:
        if len(request_id) > 64 or text_problem(request_id) is not None:
            raise ValidationFailed(_("attribute[client_request_id] is at most 64 plain characters."),
                                   field="attribute[client_request_id]")
        client_id = open311.client_id_for(caller.poster, request_id)
        earlier = open311.earlier_capture(caller.poster, client_id)
    return intake.IncomingReport(
        client_id=client_id, category_code=code,
        lat=_float("lat"), lon=_float("long"), captured_at=_captured_at(given, earlier or now),
        location_source="device",
        description=service_attributes.with_answers(form.get("description", "").strip(), answers),
        address=form.get("address_string", "").strip(), photos=_media())


def _captured_at(given: dict[str, str], default):
    raw = given.get("captured_at", "")
    if not raw:
        return default
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
    sha = url.rstrip("/").rsplit("/", 1)[-1].lower().removesuffix(".jpg")
    if not SHA256_HEX.fullmatch(sha):
        raise ValidationFailed(_("media_url must name a photo uploaded to /api/v1/photos/{sha256}."),
                               field="media_url")
    return (sha,)


def _refusal(result: intake.IntakeResult) -> DomainError:
    """The intake's refusal in GeoReport's terms: an unknown service_code is a 404, the rest a 400."""
    if result.status == intake.Status.MISSING_PHOTOS:
        return ValidationFailed(_("Upload the photo first: PUT /api/v1/photos/%(sha)s.", sha=result.missing[0]),
                                field="media_url", code="missing_photos")
    if result.status == intake.Status.CONFLICT:
        return ValidationFailed(_("attribute[client_request_id] was already used for another request (%(case)s).",
                                  case=result.case_number), field="attribute[client_request_id]", code="conflict")
    error = result.errors[0]
    if error.code == "unknown_category":
        return NotFound(_("Unknown service_code."), field="service_code")
    field = OPEN311_FIELDS.get(error.field, error.field)
    return ValidationFailed(f"{field}: {intake.message_for(error)}", field=field, code=error.code)


@bp.post("/requests.<fmt>")
def create_request(fmt: str):
    fmt = _fmt(fmt)
    caller = _caller(required=True)
    if caller.poster.role not in (Role.INSPECTOR, Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden(_("This key may not report problems."), code="403")
    now = now_utc()
    report = _incoming(caller, now)
    result = intake.receive(report, caller.poster, now, intake.Provenance(api_key_id=caller.api_key_id))
    if not result.accepted:
        raise _refusal(result)
    db.session.commit()
    # A retry (same client_request_id) gets exactly the answer the first POST got.
    return respond("service_requests", [{"service_request_id": result.case_number, "token": report.client_id,
                                         "service_notice": "", "account_id": ""}], fmt, status=201)


def _error(status: int, description: str, headers: dict | None = None):
    fmt = "xml" if request.path.endswith(".xml") else "json"
    response = respond("errors", [{"code": status, "description": description}], fmt, status=status)
    response.headers.update(headers or {})
    return response


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    db.session.rollback()
    # The spec knows 403 (key), 404 (unknown thing) and 400 (everything else); 429 is the rate limit.
    status = exc.status if exc.status in (403, 404, 429) else 400
    headers = {"Retry-After": str(exc.extra["retry_after"])} if status == 429 else None
    return _error(status, exc.message, headers)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return _error(exc.code if exc.code in (403, 404) else 400, exc.description or "")
