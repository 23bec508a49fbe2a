"""The sync wire format: parse a batch into typed items, with field errors per item (no Flask, no DB).

See docs/sync-protocol.md. The shapes are the pydantic models of app/schemas/sync.py, which
also describe them in /api/v1/openapi.json (decision 0013). One bad item never spoils its batch:
the envelope is validated first, then each item on its own; a bad item becomes an `Invalid` that
is answered `rejected`; only a body that is not a batch at all is refused whole.
"""
from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ValidationError

from app.schemas import sync as wire
from app.schemas.wire import INT32_MAX, INT64_MAX, field_errors
from app.services.assessment.visits import IncomingResult, IncomingVisit, ItemError
from app.services.reports.intake import FieldError, IncomingReport, PhotoExif, Status
from app.services.tickets.offline_actions import QueuedAction
from app.text import text_problem

__all__ = ["ActionIn", "Batch", "FieldError", "INT32_MAX", "INT64_MAX", "Invalid", "Limits", "MalformedBatch",
           "PhotoExif", "ReportIn", "Status", "VisitIn", "parse_batch"]


@dataclass(frozen=True)
class Limits:
    """The protocol's own limit (items per batch) and the limits of a queued action's or an item's note
    and photos. A report's limits are the intake's (app/services/reports/intake.py), checked there for
    every door."""

    batch: int
    max_photos: int
    max_description: int


class MalformedBatch(Exception):
    """The body is not a sync batch; answered 400 as a whole."""

    def __init__(self, code: str, field: str | None = None, limit: int | None = None):
        super().__init__(code)
        self.code, self.field, self.limit = code, field, limit


# What the services receive: their own shapes, filled from the validated wire models.
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
    """Check the envelope (400 if wrong), then each report, action and visit on its own."""
    if not isinstance(body, dict):
        raise MalformedBatch("malformed_batch")
    try:
        envelope = wire.SyncBatchIn.model_validate(body, context={"limits": limits})
    except ValidationError as exc:
        raise _malformed(exc) from None
    skew = None if envelope.sent_at is None else round((envelope.sent_at - now).total_seconds(), 3)
    seqs: dict[str, int] = {}
    return Batch(
        device_id=envelope.device_id,
        cursor=envelope.cursor,
        clock_skew_s=skew,
        reports=[_numbered(parse_report(raw, limits), raw, seqs) for raw in envelope.reports],
        actions=[parse_action(raw, limits) for raw in envelope.actions],
        visits=[_numbered(parse_visit(raw, limits), raw, seqs) for raw in envelope.visits],
        capture_seqs=seqs,
        waiting=None if envelope.waiting is None else frozenset(envelope.waiting),
    )


def _malformed(exc: ValidationError) -> MalformedBatch:
    """The envelope's first fault, in field order: too many items, or not a batch (naming the field)."""
    first = exc.errors(include_url=False)[0]
    name = first["loc"][0] if first["loc"] else None
    if first["type"] == "batch_too_large":
        return MalformedBatch("batch_too_large", name, first["ctx"]["limit"])
    return MalformedBatch("malformed_batch", name)


def _numbered(item, raw: object, seqs: dict[str, int]):
    """Note a valid item's capture number (an invalid one is among the item's errors)."""
    seq = raw.get("capture_seq") if isinstance(raw, dict) else None
    if seq is not None and not isinstance(item, Invalid):
        seqs[item.client_id] = seq
    return item


def parse_report(raw: object, limits: Limits | None = None) -> ReportIn | Invalid:
    """One report's wire format, or every reason it is not one; the intake checks the rules."""
    model = _validated(wire.ReportIn, raw, "report", limits)
    if isinstance(model, Invalid):
        return model
    return IncomingReport(**_service_fields(model, IncomingReport, skip={"photo_exif"}),
                          photo_exif={sha: PhotoExif(**meta.model_dump()) for sha, meta in (model.photo_exif
                                                                                           or {}).items()})


def parse_action(raw: object, limits: Limits) -> ActionIn | Invalid:
    """One queued re-inspection action (close or reopen of a resolved ticket)."""
    model = _validated(wire.ActionIn, raw, "action", limits)
    if isinstance(model, Invalid):
        return model
    return QueuedAction(**_service_fields(model, QueuedAction))


def parse_visit(raw: object, limits: Limits) -> VisitIn | Invalid:
    """One assessment visit with its results; the rules (point, checklist, photos) are the service's.

    An error about one result is named `results[i].<field>` and carries the result's `item_code`."""
    model = _validated(wire.VisitIn, raw, "visit", limits)
    if isinstance(model, Invalid):
        return model
    results = tuple(IncomingResult(
        **_service_fields(result, IncomingResult, skip={"photo_exif"}),
        photo_exif={sha: PhotoExif(**meta.model_dump()) for sha, meta in (result.photo_exif or {}).items()})
        for result in model.results)
    return IncomingVisit(**_service_fields(model, IncomingVisit, skip={"results"}), results=results)


def _validated(model: type[BaseModel], raw: object, kind: str, limits: Limits | None):
    if not isinstance(raw, dict):
        return Invalid(None, (FieldError(kind, "not_an_object"),))
    try:
        return model.model_validate(raw, context={"limits": limits})
    except ValidationError as exc:
        def item_error(where: str, code: str, limit: float | None, index: int) -> FieldError:
            return ItemError(where, code, limit=limit, item_code=_item_code(raw, index))

        return Invalid(_echo(raw), tuple(field_errors(exc, model, item_error)))


def _service_fields(model: BaseModel, shape: type, skip: set[str] = frozenset()) -> dict:
    """The wire model's values for the service dataclass's fields (a wire-only field such as capture_seq
    stays behind)."""
    return {f.name: getattr(model, f.name) for f in dataclasses.fields(shape) if f.name not in skip}


def _item_code(raw: dict, index: int) -> str | None:
    """The code of a visit's result `index`, echoed with its errors when it is itself valid."""
    results = raw.get("results")
    item = results[index] if isinstance(results, list) and index < len(results) else None
    code = item.get("item_code") if isinstance(item, dict) else None
    if not isinstance(code, str) or not code.strip() or text_problem(code) or len(code.strip()) > wire.MAX_ITEM_CODE:
        return None
    return code.strip()


def _echo(raw: dict) -> str | None:
    """What to answer as an invalid item's client_id: canonical when it is a UUID, else as sent (cut
    short), so the phone can match even an invalid one."""
    value = raw.get("client_id")
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return value[:64]
