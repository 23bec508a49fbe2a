"""The JSON bodies of /api/v1 besides the sync protocol's, validated by `request_body` and documented
from the same models (decision 0013).

A refusal is 422 `validation_failed` (or the 400 a route always answered) naming the first bad
field, with the field's own message. Where a service checks a value itself, in an order that
matters (who may act before what is wrong with it), the model only documents the value's shape
(`Checked`): the service's answer stays what it was.
"""
from __future__ import annotations

from typing import Annotated

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema, field_validator

from app.errors import DomainError, ValidationFailed
from app.params import json_body
from app.schemas.wire import INT32_MAX, SETTING, SHA256_PATTERN, Code, WireModel, fault, locate

MAX_BULK = 200
MAX_DRAW_NAME = 200  # app/services/assessment/draws.py checks it
MAX_PER_TYPE = 500
MAX_SEED = 2**53 - 1  # exact in JavaScript
MAX_REASON = 1000  # app/services/assessment/visits.py checks it


def Checked(schema: dict):  # noqa: N802 (a type)
    """A value whose rules a service checks (and answers for); here only its documented shape."""
    return Annotated[object, WithJsonSchema(schema)]


def _falsy_is_none(value: object) -> object:
    return value or None


class TicketActionIn(WireModel):
    """POST /tickets/{id}/actions/{action}: the version the user saw, and what the action needs."""

    version: Annotated[int | None, Field(ge=-INT32_MAX, le=INT32_MAX, description=(
        "the ticket's version the user saw (409 stale_version if it changed)")),
        Code(message=_l("version must be a whole number."))] = None
    note: Annotated[str, Field(json_schema_extra={SETTING: {"maxLength": ("MAX_NOTE_LENGTH", 2000)}}),
                    Code(message=_l("The note is not valid text or is too long."))] = ""
    photos: Annotated[list[str], Field(description=(
        "SHA-256 hashes of photos uploaded first (a resolve needs one)")),
        Code(message=_l("photos must be a list of SHA-256 hashes."), whole=True),
        WithJsonSchema({"type": "array", "items": {"type": "string", "pattern": SHA256_PATTERN}})] = []
    department_code: Annotated[str | None, Code(message=_l("department_code must be text."))] = None
    duplicate_of: Checked({"type": ["string", "integer"], "description": "mark_duplicate: the case number "
                                                                          "or id of the ticket kept"}) = None

    @field_validator("note", "photos", mode="before")
    @classmethod
    def _falsy_is_empty(cls, value: object, info) -> object:
        return value or ("" if info.field_name == "note" else [])

    @field_validator("photos")
    @classmethod
    def _any_case(cls, value: list[str]) -> list[str]:
        # Any string is taken here; the lifecycle says which photos it does not know.
        return [v.lower() for v in value]

    @field_validator("note")
    @classmethod
    def _note_length(cls, value: str) -> str:
        if len(value) > current_app.config.get("MAX_NOTE_LENGTH", 2000):
            raise fault("too_long", message=_l("The note is not valid text or is too long."))
        return value


class AcceptItem(WireModel):
    id: Annotated[int, Field(ge=-INT32_MAX, le=INT32_MAX)]
    version: Annotated[int, Field(ge=-INT32_MAX, le=INT32_MAX)]


class AcceptIn(WireModel):
    """POST /tickets/accept: the tickets a department accepts, each at the version it saw."""

    tickets: Annotated[list[AcceptItem], Field(min_length=1, max_length=MAX_BULK),
                       Code(whole=True, message=_l("Each item needs a whole-number id and version."))]

    @field_validator("tickets", mode="before")
    @classmethod
    def _one_to_many(cls, value: object) -> object:
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_BULK:
            raise fault("invalid", message=_l("tickets must be a list of 1 to %(n)d items.", n=MAX_BULK))
        return value


class SplitIn(WireModel):
    """POST /tickets/{id}/reports/{report_id}/split: why the repeat is its own problem."""

    note: Annotated[str, Code(message=_l("The note is not valid text or is too long."))] = ""

    @field_validator("note", mode="before")
    @classmethod
    def _falsy_is_empty(cls, value: object) -> object:
        return value or ""


class DeviceTokenIn(WireModel):
    """POST /device-tokens: a name for the device (the label, else its device_id)."""

    label: Annotated[str | None, Code(message=_l("label must be text."))] = None
    device_id: Annotated[str | None, Code(message=_l("label must be text."), field="label")] = None

    @field_validator("label", "device_id", mode="before")
    @classmethod
    def _falsy(cls, value: object) -> object:
        return _falsy_is_none(value)

    @property
    def name(self) -> str:
        return self.label or self.device_id or ""


class DrawIn(WireModel):
    """POST /assessment/draws: N points per location type (or {type: N}), drawn by seed."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    name: Checked({"type": "string", "minLength": 1, "maxLength": MAX_DRAW_NAME}) = None
    per_type: Annotated[Checked({"oneOf": [
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_TYPE},
        {"type": "object", "minProperties": 1, "additionalProperties": {
            "type": "integer", "minimum": 1, "maximum": MAX_PER_TYPE}}]}),
        Code(message=_l("per_type is required."))]
    seed: Checked({"type": "integer", "minimum": 0, "maximum": MAX_SEED,
                   "description": "absent: the server picks one and returns it"}) = None
    due: Annotated[str | None, Field(json_schema_extra={"format": "date"}),
                   Code(message=_l("due must be a date like 2026-11-28."))] = None


class AssignIn(WireModel):
    """POST /assessment/draws/{id}/assign: by hand {point code: username or null}, or {"mode": "even"}."""

    assignments: Checked({"type": "object", "minProperties": 1,
                          "additionalProperties": {"type": ["string", "null"]}}) = None
    mode: Checked({"enum": ["even"]}) = None
    inspectors: Checked({"type": "array", "items": {"type": "string"},
                         "description": "mode even: only these inspectors"}) = None


class VoidIn(WireModel):
    """POST /assessment/visits/{id}/void: why the visit no longer counts."""

    reason: Checked({"type": "string", "minLength": 1, "maxLength": MAX_REASON}) = None


def request_body(model: type[BaseModel], *, refusal: type[DomainError] = ValidationFailed):
    """The request's JSON object validated by `model`, or the refusal naming the first bad field."""
    data = json_body()
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise refused(exc, model, refusal) from None


def refused(exc: ValidationError, model: type[BaseModel], refusal: type[DomainError] = ValidationFailed
            ) -> DomainError:
    """The first error (an unknown key first, as the oldest checks did) as the API's refusal."""
    errors = sorted(exc.errors(include_url=False), key=lambda e: (e["type"] != "extra_forbidden", str(e["loc"])
                                                                   if e["type"] == "extra_forbidden" else ""))
    first = errors[0]
    if first["type"] == "extra_forbidden":
        name = str(first["loc"][0])[:64]
        return refusal(_("Unknown field %(name)s.", name=name), field=name)
    where, marker, _index, _item = locate(model, first["loc"])
    context = first.get("ctx") or {}
    message = context.get("message") or (marker.message if marker else None) or _("This value is not valid.")
    field = marker.field if marker is not None and marker.field else where.split("[")[0].split(".")[0]
    return refusal(str(message), field=field or None)
