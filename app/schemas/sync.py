"""POST /api/v1/sync: the batch, its reports, queued actions and visits, defined once (docs/sync-protocol.md).

These models validate each item (sync/protocol.py) and describe it in /api/v1/openapi.json. Rules
that every door shares (storable text and lengths of a report, its photo count, the clock, the
county) are the intake's (app/services/reports/intake.py): here they are only documented
(`maxLength` and the like from json_schema_extra), so a report breaking several is told all at once.

Adding a report field: add it to `ReportIn` (and to IncomingReport if the intake is to keep it);
the document, the validation and the PWA's wire list (static/pwa/js/sync/wire-fields.js, made by
`make wire-fields`) follow.
"""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, SkipValidation, ValidationInfo, field_validator, model_validator

from app.schemas.wire import (
    INT32_MAX,
    INT64_MAX,
    ClientId,
    Code,
    IntakeText,
    LimitedPhotos,
    Note,
    Photos,
    RequiredCode,
    StorableCode,
    Time,
    WireModel,
    fault,
    limit,
    setting,
)
from app.services.reports.intake import MAX_ADDRESS, MAX_CATEGORY_CODE
from app.services.tickets.offline_actions import OFFLINE_ACTIONS
from app.text import text_problem

LOCATION_SOURCES = ("device", "exif", "manual")
OUTCOMES = ("pass", "fail", "na")
MAX_DEVICE_ID = 64
MAX_RESULTS = 200  # a checklist's items at most (app/services/assessment/checklists.py)
MAX_ITEM_CODE = 32
MAX_WAITING = 10_000  # numbers a phone may say it still holds

Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False), Code("out_of_range")]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False), Code("out_of_range")]
Accuracy = Annotated[float | None, Field(ge=0, lt=1_000_000, allow_inf_nan=False,
                                         description="metres, as the phone's GPS estimated"), Code("invalid")]
CaptureSeq = Annotated[int | None, Field(ge=1, le=INT32_MAX, description=(
    "the device's capture number of this item (docs/sync-protocol.md §2b)")), Code("invalid")]


class PhotoExifIn(WireModel):
    """What the phone read from a photo's original EXIF before resizing it (the resized copy has none)."""

    lat: Annotated[float | None, Field(ge=-90, le=90, allow_inf_nan=False)] = None
    lon: Annotated[float | None, Field(ge=-180, le=180, allow_inf_nan=False)] = None
    taken_at: Time | None = None

    @model_validator(mode="after")
    def _both_or_neither(self):
        if (self.lat is None) != (self.lon is None):
            raise fault("invalid")
        return self


PhotoExifs = Annotated[dict[str, PhotoExifIn], Code("invalid", whole=True), Field(description=(
    "per photo (keyed by its hash, one of `photos`): the original's EXIF position and time"))]


def _exif_of_own_photos(value: dict[str, PhotoExifIn] | None, info: ValidationInfo) -> dict[str, PhotoExifIn]:
    """Every key must be one of the item's photos (already validated: a bad `photos` fails this too)."""
    if value is None:
        return {}
    photos = info.data.get("photos", ())
    out = {}
    for sha, meta in value.items():
        if sha.lower() not in photos:
            raise fault("invalid")
        out[sha.lower()] = meta
    return out


class ReportIn(WireModel):
    """A report as the phone sends it. Field order is the order errors are listed in."""

    client_id: ClientId
    category_code: Annotated[RequiredCode, Field(json_schema_extra={"minLength": 1, "maxLength": MAX_CATEGORY_CODE})]
    description: Annotated[IntakeText, Field(json_schema_extra=setting(maxLength="SYNC_MAX_DESCRIPTION"))] = ""
    address: Annotated[IntakeText, Field(json_schema_extra={"maxLength": MAX_ADDRESS})] = ""
    lat: Lat
    lon: Lon
    accuracy_m: Accuracy = None
    location_source: Annotated[Literal[LOCATION_SOURCES], Code("invalid")]
    captured_at: Time
    photos: Photos = ()
    photo_exif: PhotoExifs | None = None
    capture_seq: CaptureSeq = None

    @field_validator("photo_exif")
    @classmethod
    def _exif(cls, value, info: ValidationInfo):
        return _exif_of_own_photos(value, info)


class ActionIn(WireModel):
    """A re-inspection queued offline: close or reopen a resolved ticket at the version the phone saw."""

    client_id: ClientId
    ticket_id: Annotated[int, Field(ge=1, le=INT32_MAX), Code("invalid")]
    action: Annotated[Literal[OFFLINE_ACTIONS], Code("not_offline_action")]
    version: Annotated[int, Field(ge=-INT32_MAX, le=INT32_MAX), Code("required")]
    note: Note = ""
    photos: LimitedPhotos = ()


class ResultIn(WireModel):
    """One checklist item's outcome in a visit; a failed item becomes a report through the intake."""

    item_code: Annotated[StorableCode, Field(json_schema_extra={"minLength": 1, "maxLength": MAX_ITEM_CODE})]
    outcome: Annotated[Literal[OUTCOMES], Code("invalid")]
    note: Note = ""
    photos: LimitedPhotos = ()
    photo_exif: PhotoExifs | None = None

    @field_validator("item_code")
    @classmethod
    def _short(cls, value: str) -> str:
        if len(value) > MAX_ITEM_CODE:
            raise fault("invalid")
        return value

    @field_validator("photo_exif")
    @classmethod
    def _exif(cls, value, info: ValidationInfo):
        return _exif_of_own_photos(value, info)


class NotGiven:
    """Stands in for the missing half of a position, so that half is refused as `out_of_range`."""


class VisitIn(WireModel):
    """An assessment visit with its results (docs/sync-protocol.md, Visits): stored whole or not at all."""

    client_id: ClientId
    point_code: StorableCode
    checklist_version: Annotated[int, Field(ge=1, le=INT32_MAX), Code("invalid", missing="required")]
    started_at: Time
    finished_at: Time
    lat: Annotated[float | None, Field(ge=-90, le=90, allow_inf_nan=False), Code("out_of_range")] = None
    lon: Annotated[float | None, Field(ge=-180, le=180, allow_inf_nan=False), Code("out_of_range")] = None
    accuracy_m: Accuracy = None
    results: Annotated[list[ResultIn], Field(min_length=1, max_length=MAX_RESULTS), Code("required")]
    capture_seq: CaptureSeq = None

    @model_validator(mode="before")
    @classmethod
    def _position_both_or_neither(cls, raw: object) -> object:
        """No position is allowed (then accuracy_m is ignored); half of one is not."""
        if not isinstance(raw, dict):
            return raw
        lat, lon = raw.get("lat"), raw.get("lon")
        if lat is None and lon is None:
            return {**raw, "accuracy_m": None}
        if lat is None or lon is None:
            return {**raw, "lat" if lat is None else "lon": NotGiven()}
        return raw

    @field_validator("results", mode="before")
    @classmethod
    def _some_results(cls, value: object) -> object:
        if not isinstance(value, list) or not value:
            raise fault("required")
        if len(value) > MAX_RESULTS:
            raise fault("too_many", MAX_RESULTS)
        return value


def _batch_items(value: object, info: ValidationInfo) -> object:
    if value is None:
        return []
    most = limit(info, "batch")
    if isinstance(value, list) and most is not None and len(value) > most:
        raise fault("batch_too_large", most)
    return value


Items = Field(default_factory=list, json_schema_extra=setting(maxItems="SYNC_BATCH_LIMIT"),
              description="each item is validated on its own: a bad one is answered `rejected`, the others stored")


class SyncBatchIn(WireModel):
    """The envelope: a fault here refuses the whole body (400 malformed_batch or batch_too_large)."""

    # Validated one by one (sync/protocol.py), so one bad item spoils only itself; the document
    # references their own schemas.
    item_models: ClassVar[dict[str, type[WireModel]]] = {"reports": ReportIn, "actions": ActionIn, "visits": VisitIn}

    device_id: Annotated[str | None, Field(max_length=MAX_DEVICE_ID, description="the phone's own id"),
                         ] = None
    cursor: Annotated[int, Field(ge=0, le=INT64_MAX, description="the change feed's position the phone holds")] = 0
    sent_at: Time | None = None
    reports: Annotated[list[SkipValidation[ReportIn]], Items]
    actions: Annotated[list[SkipValidation[ActionIn]], Items]
    visits: Annotated[list[SkipValidation[VisitIn]], Items]
    waiting: Annotated[list[Annotated[int, Field(ge=1, le=INT32_MAX)]] | None, Field(
        max_length=MAX_WAITING, description="the capture numbers the phone still holds unsent (§2b)")] = None

    @field_validator("reports", "actions", "visits", mode="before")
    @classmethod
    def _items(cls, value: object, info: ValidationInfo) -> object:
        return _batch_items(value, info)

    @field_validator("cursor", mode="before")
    @classmethod
    def _no_cursor(cls, value: object) -> object:
        return 0 if value is None else value

    @field_validator("device_id")
    @classmethod
    def _storable_id(cls, value: str | None) -> str | None:
        if value is not None and text_problem(value) is not None:
            raise fault("malformed_batch")
        return value


# What POST /sync answers (docs/sync-protocol.md §3), next to what it takes.

STATUSES = ["created", "already_synced", "linked", "conflict", "missing_photos", "rejected"]
ITEM_ERROR = {"type": "object", "required": ["field", "code", "message"], "properties": {
    "field": {"type": "string", "description": "the item's field, or results[i].field of a visit's result"},
    "code": {"type": "string", "examples": ["required", "too_long", "in_future", "outside_county", "invalid_text"]},
    "message": {"type": "string", "description": "in the request's language"},
    "limit": {"type": "number", "description": "the limit broken (too_long, too_many, in_future)"},
    "item_code": {"type": "string", "description": "a visit's result: the checklist item's code"}}}
ITEM_RESULT = {"type": "object", "required": ["client_id", "status", "errors"], "properties": {
    "client_id": {"type": ["string", "null"]}, "status": {"enum": STATUSES},
    "ticket_id": {"type": ["integer", "null"]}, "errors": {"type": "array", "items": ITEM_ERROR},
    "missing": {"type": "array", "items": {"type": "string"},
                "description": "missing_photos: the hashes to upload again"}}}
VISIT_RESULT = {"type": "object", "required": ["client_id", "status", "visit_id", "tickets", "missing", "errors"],
                "properties": {"client_id": {"type": ["string", "null"]}, "status": {"enum": STATUSES},
                               "visit_id": {"type": ["integer", "null"]},
                               "tickets": {"type": "object", "additionalProperties": {"type": "integer"},
                                           "description": "failed item code → its ticket, new or linked"},
                               "missing": {"type": "array", "items": {"type": "string"}},
                               "errors": {"type": "array", "items": ITEM_ERROR}}}
SYNC_ANSWER = {"type": "object", "required": ["results", "action_results", "visit_results", "changes", "cursor",
                                              "more", "server_time"], "properties": {
    "results": {"type": "array", "items": ITEM_RESULT, "description": "one per report, in order"},
    "action_results": {"type": "array", "items": ITEM_RESULT},
    "visit_results": {"type": "array", "items": VISIT_RESULT},
    "changes": {"type": "array", "items": {"type": "object", "required": ["kind"]}},
    "cursor": {"type": "integer", "minimum": 0}, "more": {"type": "boolean"},
    "server_time": {"type": "string", "format": "date-time"}}}
