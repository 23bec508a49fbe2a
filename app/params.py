"""Reading query strings and JSON bodies into typed values, with field-named errors (API and pages)."""
from __future__ import annotations

import json
import math
from datetime import date

from flask import request
from flask_babel import gettext as _

from app.errors import BadRequest, ValidationFailed
from app.services.tickets.queries import TicketFilter
from app.text import strip_unstorable, text_problem
from app.timeutil import YearOutOfRange, parse_date, parse_iso_with_offset

MAX_INT = 2**31 - 1
# No request body of ours nests deeper than a few levels (a sync report's photo_exif is 4); past
# ~1,000 levels the JSON parser itself fails with RecursionError, and any code walking the value
# recursively could too.
MAX_JSON_DEPTH = 32


def json_body(*, check_text: bool = True) -> dict:
    """The request's JSON object, or a 400 (not JSON, not an object) / 422 (too deep, bad text) saying why.

    With check_text, every string in it (keys too) must be storable text (app.text), else 422
    naming where it sits ("reports[0].description"). The sync endpoint passes check_text=False:
    it refuses bad strings item by item itself, so one bad report does not spoil its batch.
    """
    if not request.is_json:
        raise BadRequest(_("Send a JSON object with Content-Type: application/json."), code="malformed_json")
    too_deep = False
    try:
        # json.loads itself, not request.get_json(silent=True): that lets RecursionError through,
        # and NaN, Infinity and 1e999 (not JSON, and no column holds them) would arrive as floats.
        data = json.loads(request.get_data(cache=True), parse_constant=_not_json, parse_float=_finite_float)
    except RecursionError:
        data, too_deep = None, True
    except ValueError:  # not JSON, not UTF-8, NaN/Infinity
        data = None
    if too_deep:
        raise _too_deep()
    if not isinstance(data, dict):
        raise BadRequest(_("Send a JSON object with Content-Type: application/json."), code="malformed_json")
    _check_json(data, check_text)
    return data


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999
        raise ValueError(f"{text} is out of range")
    return value


def _too_deep() -> ValidationFailed:
    return ValidationFailed(_("The JSON body is nested too deeply (at most %(n)d levels).", n=MAX_JSON_DEPTH))


def _check_json(data: dict, check_text: bool) -> None:
    """Walk the parsed body without recursion: refuse it too deep, or (check_text) with unstorable text."""
    stack = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        if isinstance(value, dict):
            for key, child in value.items():
                where = f"{path}.{key}" if path else key
                if check_text and text_problem(key):
                    raise unstorable_text(where)
                stack.append((child, where, depth + 1))
        elif isinstance(value, list):
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(value))
        elif check_text and isinstance(value, str) and text_problem(value):
            raise unstorable_text(path)


def unstorable_text(field: str) -> ValidationFailed:
    """The refusal of text app.text.text_problem finds, naming where it was (unstorable characters left out)."""
    return ValidationFailed(_("The text holds characters that cannot be stored (NUL, control characters or broken "
                              "Unicode)."), field=strip_unstorable(field) or None)


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


def bool_text(raw: str) -> bool | None:
    """The query-string words for yes and no (pages and app/schemas/params.py), None for anything else."""
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    return None


def bool_arg(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    value = bool_text(raw)
    if value is not None:
        return value
    raise ValidationFailed(_("%(name)s must be true or false.", name=name), field=name)


def page_arg() -> int:
    """?page=N, from 1 (a page before the first would be a negative OFFSET, which PostgreSQL refuses)."""
    page = int_arg("page", 1)
    if page < 1:
        raise ValidationFailed(_("Pages start at 1."), field="page")
    return page


def whole_number(text: str) -> int | None:
    """Text of ASCII digits as a number is_whole_number accepts, or None ("²".isdigit() is true too)."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_INT)):
        return None
    value = int(text)
    return value if is_whole_number(value) else None


def time_arg(name: str):
    """An ISO 8601 time with an offset, in UTC; years outside timeutil's bounds are refused."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    try:
        return parse_iso_with_offset(raw)
    except YearOutOfRange:
        raise ValidationFailed(_("%(name)s is out of range.", name=name), field=name) from None
    except ValueError:
        raise ValidationFailed(_("%(name)s must be an ISO 8601 time with an offset.", name=name),
                               field=name) from None


def date_arg(name: str) -> date | None:
    """A calendar date YYYY-MM-DD (a local day on pages); years outside timeutil's bounds are refused."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    try:
        return parse_date(raw)
    except YearOutOfRange:
        raise ValidationFailed(_("%(name)s is out of range.", name=name), field=name) from None
    except ValueError:
        raise ValidationFailed(_("%(name)s must be a date like 2026-11-28.", name=name), field=name) from None


def ticket_filter() -> TicketFilter:
    """Filters shared by the ticket list API, its pages and exports: read by the API's own model."""
    from app.schemas.params import TicketQuery, query  # that module builds on this one

    return filter_of(query(TicketQuery))


def filter_of(args, *, page: int = 1, per_page: int = 50) -> TicketFilter:
    """The TicketFilter of validated ticket filters (app.schemas.params.TicketFilters and its kin)."""
    return TicketFilter(
        statuses=[s for s in (args.status or "").split(",") if s],
        department=args.department, category=args.category, area=args.area, overdue=args.overdue,
        search=args.q, received_from=args.received_from, received_to=args.received_to, sort=args.sort,
        page=getattr(args, "page", page), per_page=getattr(args, "per_page", per_page),
    )
