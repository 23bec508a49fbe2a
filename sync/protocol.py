"""The sync wire format: parse a batch into typed items, with field errors per item (no Flask, no DB).

See docs/sync-protocol.md. One bad item never spoils its batch: it becomes an `Invalid`
that is answered `rejected`; only a body that is not a batch at all is refused whole.
"""
from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from app.services.assessment.visits import IncomingResult, IncomingVisit, ItemError
from app.services.reports.intake import FieldError, IncomingReport, PhotoExif, Status
from app.services.tickets.offline_actions import OFFLINE_ACTIONS, QueuedAction
from app.text import text_problem
from app.timeutil import parse_iso_with_offset

__all__ = ["ActionIn", "Batch", "FieldError", "Invalid", "Limits", "MalformedBatch", "PhotoExif", "ReportIn",
           "Status", "VisitIn", "parse_batch"]

SHA256 = re.compile(r"^[0-9a-f]{64}$")
LOCATION_SOURCES = ("device", "exif", "manual")
MAX_DEVICE_ID = 64
MAX_RESULTS = 200  # a checklist's items at most (app/services/assessment/checklists.py)
MAX_ITEM_CODE = 32
MAX_WAITING = 10_000  # numbers a phone may say it still holds
OUTCOMES = ("pass", "fail", "na")


@dataclass(frozen=True)
class Limits:
    """The protocol's own limit (items per batch) and the text limit for a queued action's note.

    A report's limits are the intake's (app/services/reports/intake.py), checked there for every door."""

    batch: int
    max_photos: int
    max_description: int


class MalformedBatch(Exception):
    """The body is not a sync batch; answered 400 as a whole."""

    def __init__(self, code: str, field: str | None = None, limit: int | None = None):
        super().__init__(code)
        self.code, self.field, self.limit = code, field, limit


# The wire's items are the services' shapes: one definition each.
ReportIn = IncomingReport
ActionIn = QueuedAction
VisitIn = IncomingVisit


@dataclass(frozen=True)
class Invalid:
    """An item that failed validation; `client_id` is echoed back when the phone sent a usable one."""

    client_id: str | None
    errors: tuple[FieldError, ...]


@dataclass(frozen=True)
class Batch:
    device_id: str | None
    cursor: int
    clock_skew_s: float | None  # device clock minus server clock, from `sent_at`
    reports: list[ReportIn | Invalid]
    actions: list[ActionIn | Invalid]
    visits: list[VisitIn | Invalid]
    # Capture numbers (issue 18): client_id -> the phone's number, for valid items that carry one,
    # and the numbers the phone still holds (None when it did not say: an older client).
    capture_seqs: dict[str, int] = field(default_factory=dict)
    waiting: frozenset[int] | None = None


def parse_batch(body: object, limits: Limits, now: datetime) -> Batch:
    """Check the envelope (400 if wrong), then each report and action on its own."""
    if not isinstance(body, dict):
        raise MalformedBatch("malformed_batch")
    device_id = body.get("device_id")
    if device_id is not None and (not isinstance(device_id, str) or len(device_id) > MAX_DEVICE_ID
                                  or text_problem(device_id) is not None):
        raise MalformedBatch("malformed_batch", "device_id")
    cursor = body.get("cursor")
    if cursor is None:
        cursor = 0
    if not _is_int(cursor, INT64_MAX) or cursor < 0:
        raise MalformedBatch("malformed_batch", "cursor")
    skew = None
    if body.get("sent_at") is not None:
        sent_at = _parse_time(body["sent_at"])
        if sent_at is None:
            raise MalformedBatch("malformed_batch", "sent_at")
        skew = round((sent_at - now).total_seconds(), 3)
    reports = _items(body, "reports", limits)
    actions = _items(body, "actions", limits)
    visits = _items(body, "visits", limits)
    waiting = body.get("waiting")
    if waiting is not None and (not isinstance(waiting, list) or len(waiting) > MAX_WAITING
                                or not all(_is_seq(n) for n in waiting)):
        raise MalformedBatch("malformed_batch", "waiting")
    seqs: dict[str, int] = {}
    return Batch(
        device_id=device_id,
        cursor=cursor,
        clock_skew_s=skew,
        reports=[_numbered(raw, parse_report(raw), seqs) for raw in reports],
        actions=[parse_action(raw, limits) for raw in actions],
        visits=[_numbered(raw, parse_visit(raw, limits), seqs) for raw in visits],
        capture_seqs=seqs,
        waiting=None if waiting is None else frozenset(waiting),
    )


def _is_seq(value: object) -> bool:
    return _is_int(value) and value >= 1


def _numbered(raw: object, item, seqs: dict[str, int]):
    """The item's optional `capture_seq` (a whole number from 1): noted, or the item is invalid."""
    seq = raw.get("capture_seq") if isinstance(raw, dict) else None
    if seq is None:
        return item
    if not _is_seq(seq):
        error = FieldError("capture_seq", "invalid")
        if isinstance(item, Invalid):
            return Invalid(item.client_id, (*item.errors, error))
        return Invalid(item.client_id, (error,))
    if not isinstance(item, Invalid):
        seqs[item.client_id] = seq
    return item


def _items(body: dict, key: str, limits: Limits) -> list:
    items = body.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise MalformedBatch("malformed_batch", key)
    if len(items) > limits.batch:
        raise MalformedBatch("batch_too_large", key, limits.batch)
    return items


def parse_report(raw: object) -> ReportIn | Invalid:
    """One report's wire format, or every reason it is not one; the intake checks the rules."""
    if not isinstance(raw, dict):
        return Invalid(None, (FieldError("report", "not_an_object"),))
    errors: list[FieldError] = []
    client_id = _client_id(raw, errors)
    category_code = raw.get("category_code")
    if not isinstance(category_code, str) or not category_code.strip():
        errors.append(FieldError("category_code", "required"))
    description = _text(raw, "description", errors)
    address = _text(raw, "address", errors)
    lat = _number(raw, "lat", -90, 90, errors)
    lon = _number(raw, "lon", -180, 180, errors)
    accuracy = raw.get("accuracy_m")
    if accuracy is not None and (not _is_number(accuracy) or not 0 <= accuracy < 1_000_000):
        errors.append(FieldError("accuracy_m", "invalid"))
    source = raw.get("location_source")
    if source not in LOCATION_SOURCES:
        errors.append(FieldError("location_source", "invalid"))
    captured_at = _parse_time(raw.get("captured_at"))
    if captured_at is None:
        errors.append(FieldError("captured_at", "invalid_time"))
    photos = _hashes(raw.get("photos"), None, "photos", errors)
    photo_exif = _photo_exif(raw.get("photo_exif"), photos, errors)
    if errors:
        return Invalid(_echo(raw, client_id), tuple(errors))
    return ReportIn(
        client_id=client_id, category_code=category_code.strip(), lat=float(lat), lon=float(lon),
        captured_at=captured_at, location_source=source, description=description, address=address,
        accuracy_m=None if accuracy is None else float(accuracy), photos=photos, photo_exif=photo_exif,
    )


def parse_action(raw: object, limits: Limits) -> ActionIn | Invalid:
    """One queued re-inspection action (close or reopen of a resolved ticket)."""
    if not isinstance(raw, dict):
        return Invalid(None, (FieldError("action", "not_an_object"),))
    errors: list[FieldError] = []
    client_id = _client_id(raw, errors)
    ticket_id, version, action = raw.get("ticket_id"), raw.get("version"), raw.get("action")
    if not _is_int(ticket_id) or ticket_id <= 0:
        errors.append(FieldError("ticket_id", "invalid"))
    if action not in OFFLINE_ACTIONS:
        errors.append(FieldError("action", "not_offline_action"))
    if not _is_int(version):
        errors.append(FieldError("version", "required"))
    note = _text(raw, "note", errors, limits.max_description)
    photos = _hashes(raw.get("photos"), limits.max_photos, "photos", errors)
    if errors:
        return Invalid(_echo(raw, client_id), tuple(errors))
    return ActionIn(client_id=client_id, ticket_id=ticket_id, action=action, version=version, note=note,
                    photos=photos)


def parse_visit(raw: object, limits: Limits) -> VisitIn | Invalid:
    """One assessment visit with its results; the rules (point, checklist, photos) are the service's.

    An error about one result is named `results[i].<field>` and carries the result's `item_code`."""
    if not isinstance(raw, dict):
        return Invalid(None, (FieldError("visit", "not_an_object"),))
    errors: list[FieldError] = []
    client_id = _client_id(raw, errors)
    point_code = raw.get("point_code")
    if not isinstance(point_code, str) or not point_code.strip():
        errors.append(FieldError("point_code", "required"))
    elif text_problem(point_code) is not None:
        errors.append(FieldError("point_code", "invalid_text"))
    version = raw.get("checklist_version")
    if not _is_int(version) or version < 1:
        errors.append(FieldError("checklist_version", "required" if version is None else "invalid"))
    started_at, finished_at = _parse_time(raw.get("started_at")), _parse_time(raw.get("finished_at"))
    for name, value in (("started_at", started_at), ("finished_at", finished_at)):
        if value is None:
            errors.append(FieldError(name, "invalid_time"))
    lat = lon = accuracy = None
    if raw.get("lat") is not None or raw.get("lon") is not None:  # both or neither: no position is allowed
        lat = _number(raw, "lat", -90, 90, errors)
        lon = _number(raw, "lon", -180, 180, errors)
        accuracy = raw.get("accuracy_m")
        if accuracy is not None and (not _is_number(accuracy) or not 0 <= accuracy < 1_000_000):
            errors.append(FieldError("accuracy_m", "invalid"))
    results = _results(raw.get("results"), limits, errors)
    if errors:
        return Invalid(_echo(raw, client_id), tuple(errors))
    return VisitIn(
        client_id=client_id, point_code=point_code.strip(), checklist_version=version, started_at=started_at,
        finished_at=finished_at, results=results, lat=None if lat is None else float(lat),
        lon=None if lon is None else float(lon), accuracy_m=None if accuracy is None else float(accuracy))


def _results(value: object, limits: Limits, errors: list[FieldError]) -> tuple[IncomingResult, ...]:
    if not isinstance(value, list) or not value:
        errors.append(FieldError("results", "required"))
        return ()
    if len(value) > MAX_RESULTS:
        errors.append(FieldError("results", "too_many", limit=MAX_RESULTS))
        return ()
    out = []
    for index, raw in enumerate(value):
        where = f"results[{index}]"
        if not isinstance(raw, dict):
            errors.append(FieldError(where, "not_an_object"))
            continue
        own: list[FieldError] = []
        code = raw.get("item_code")
        if not isinstance(code, str) or not code.strip():
            own.append(FieldError("item_code", "required"))
            code = None
        elif text_problem(code) is not None or len(code.strip()) > MAX_ITEM_CODE:
            own.append(FieldError("item_code", "invalid_text" if text_problem(code) else "invalid"))
            code = None  # not echoed back
        outcome = raw.get("outcome")
        if outcome not in OUTCOMES:
            own.append(FieldError("outcome", "invalid"))
        note = _text(raw, "note", own, limits.max_description)
        photos = _hashes(raw.get("photos"), limits.max_photos, "photos", own)
        photo_exif = _photo_exif(raw.get("photo_exif"), photos, own)
        item_code = code.strip() if code is not None else None
        errors += [ItemError(f"{where}.{e.field}", e.code, e.message, e.limit, item_code) for e in own]
        if not own:
            out.append(IncomingResult(item_code, outcome, note, photos, photo_exif))
    return tuple(out)


def _client_id(raw: dict, errors: list[FieldError]) -> str | None:
    """The canonical UUID, or None (with an error) when it is missing or not a UUID."""
    value = raw.get("client_id")
    if not isinstance(value, str):
        errors.append(FieldError("client_id", "required"))
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        errors.append(FieldError("client_id", "invalid"))
        return None


def _echo(raw: dict, client_id: str | None) -> str | None:
    """What to answer as the item's client_id, so the phone can match even an invalid one."""
    if client_id is None and isinstance(raw.get("client_id"), str):
        return raw["client_id"][:64]
    return client_id


INT32_MAX = 2**31 - 1  # ids and versions are 32-bit columns
INT64_MAX = 2**63 - 1  # the change feed's sequence


def _is_int(value: object, limit: int = INT32_MAX) -> bool:
    """A JSON whole number the database can hold (bigger ones would fail in SQL, not here)."""
    return isinstance(value, int) and not isinstance(value, bool) and -limit <= value <= limit


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(raw: dict, name: str, low: float, high: float, errors: list[FieldError]) -> float | None:
    value = raw.get(name)
    if not _is_number(value) or not low <= value <= high:
        errors.append(FieldError(name, "out_of_range"))
        return None
    return value


def _text(raw: dict, name: str, errors: list[FieldError], limit: int | None = None) -> str:
    """A string field; its content rules are the intake's, but for an action's note (checked here)."""
    value = raw.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.append(FieldError(name, "invalid"))
        return ""
    value = value.strip()
    if limit is not None and text_problem(value) is not None:
        errors.append(FieldError(name, "invalid_text"))
    elif limit is not None and len(value) > limit:
        errors.append(FieldError(name, "too_long", limit=limit))
    return value


def _hashes(value: object, limit: int | None, name: str, errors: list[FieldError]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and SHA256.match(v.lower()) for v in value):
        errors.append(FieldError(name, "invalid_hash"))
        return ()
    hashes = tuple(dict.fromkeys(v.lower() for v in value))
    if limit is not None and len(hashes) > limit:
        errors.append(FieldError(name, "too_many", limit=limit))
    return hashes


def _photo_exif(value: object, photos: tuple[str, ...], errors: list[FieldError]) -> dict[str, PhotoExif]:
    """Per-photo EXIF summaries keyed by hash; every key must be one of the report's photos."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.append(FieldError("photo_exif", "invalid"))
        return {}
    out = {}
    for sha, meta in value.items():
        parsed = _one_exif(meta)
        if not isinstance(sha, str) or sha.lower() not in photos or parsed is None:
            errors.append(FieldError("photo_exif", "invalid"))
            return {}
        out[sha.lower()] = parsed
    return out


def _one_exif(meta: object) -> PhotoExif | None:
    if not isinstance(meta, dict):
        return None
    lat, lon, taken = meta.get("lat"), meta.get("lon"), meta.get("taken_at")
    if (lat is None) != (lon is None):
        return None
    if lat is not None and not (_is_number(lat) and _is_number(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    taken_at = _parse_time(taken) if taken is not None else None
    if taken is not None and taken_at is None:
        return None
    return PhotoExif(lat=lat, lon=lon, taken_at=taken_at)


def _parse_time(value: object) -> datetime | None:
    """An ISO 8601 time with an offset, in UTC and in the years app.timeutil allows; None otherwise."""
    if not isinstance(value, str):
        return None
    try:
        return parse_iso_with_offset(value)
    except ValueError:
        return None

