"""Reading query strings and JSON bodies into typed values, with field-named errors (API and pages)."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from app.errors import BadRequest, ValidationFailed
from app.services.tickets.queries import TicketFilter
from app.timeutil import parse_iso_with_offset

MAX_INT = 2**31 - 1


def json_body() -> dict:
    """The request's JSON object, or a 400 that says why not."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest(_("Send a JSON object with Content-Type: application/json."), code="malformed_json")
    return data


def is_whole_number(value: object) -> bool:
    """A JSON integer (not a boolean) that fits the database's 32-bit id and version columns."""
    return isinstance(value, int) and not isinstance(value, bool) and -MAX_INT <= value <= MAX_INT


def int_arg(name: str, default: int) -> int:
    """A whole-number query argument; out of the 32-bit range is refused, never passed to SQL."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(_("%(name)s must be a whole number.", name=name), field=name) from None
    if not -MAX_INT <= value <= MAX_INT:
        raise ValidationFailed(_("%(name)s is out of range.", name=name), field=name)
    return value


def bool_arg(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise ValidationFailed(_("%(name)s must be true or false.", name=name), field=name)


def time_arg(name: str):
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    try:
        return parse_iso_with_offset(raw)
    except ValueError:
        raise ValidationFailed(_("%(name)s must be an ISO 8601 time with an offset.", name=name),
                               field=name) from None


def ticket_filter() -> TicketFilter:
    """Filters shared by the ticket list API and exports."""
    statuses = [s for s in (request.args.get("status") or "").split(",") if s]
    return TicketFilter(
        statuses=statuses,
        department=request.args.get("department") or None,
        category=request.args.get("category") or None,
        area=request.args.get("area") or None,
        overdue=bool_arg("overdue"),
        search=request.args.get("q") or None,
        received_from=time_arg("from"),
        received_to=time_arg("to"),
        sort=request.args.get("sort") or "-received_at",
        page=int_arg("page", 1),
        per_page=int_arg("per_page", 50),
    )
