"""The building blocks of every wire model: our error codes on pydantic fields, and pydantic's errors
mapped back to them (decision 0013).

A field says which code a client sees when it is wrong (`Code`): pydantic's own error types
(`float_type`, `less_than_equal`, `missing`, ...) never reach a client. A validator that knows
better raises `fault(code)`, which is passed through as it is (`invalid_text`, `too_long` with its
limit, `too_many`, ...). One error per field, the first, as the hand-written parsers answered.

A constraint a setting decides (SYNC_MAX_DESCRIPTION, SYNC_BATCH_LIMIT, ...) is written in the
schema as `setting(maxLength="SYNC_MAX_DESCRIPTION")` and filled in with the app's value when the
document is generated (app/api/openapi.py); validators read the same values from the validation
context (`limits`).
"""
from __future__ import annotations

import typing
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from app.services.reports.intake import FieldError
from app.text import text_problem
from app.timeutil import parse_iso_with_offset

OURS = "xuncha"  # marks an error raised with one of our codes
SETTING = "x-setting"  # {"maxLength": "SYNC_MAX_DESCRIPTION"}: filled in from the app's config
INT32_MAX = 2**31 - 1  # ids and versions are 32-bit columns
INT64_MAX = 2**63 - 1  # the change feed's sequence
SHA256_PATTERN = "^[0-9a-fA-F]{64}$"


class WireModel(BaseModel):
    """A body or an item of one: JSON types exactly (no "1" for 1, no true for 1), unknown keys ignored."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


@dataclass(frozen=True)
class Code:
    """The code a client sees when this field is wrong (`missing`: when absent or null, if different).

    `whole`: an error anywhere inside the field (a dict or list of models) is reported on the field
    itself. `message`: what a 422 says about it (the JSON bodies of app/schemas/bodies.py)."""

    invalid: str = "invalid"
    missing: str | None = None
    whole: bool = False
    message: object = None  # a lazy_gettext string
    field: str | None = None  # the name a 422 gives (when not the field's own)


def fault(code: str, limit: float | None = None, message: object = None) -> PydanticCustomError:
    """An error carrying one of our codes, raised from a validator; `limit` is answered with it, and
    `message` (lazy_gettext) is what a 422 says."""
    context: dict[str, Any] = {OURS: True}
    if limit is not None:
        context["limit"] = limit
    if message is not None:
        context["message"] = message
    return PydanticCustomError(code, code, context)


def setting(**keywords: str) -> dict:
    """json_schema_extra for constraints whose value is a setting: setting(maxItems="SYNC_BATCH_LIMIT")."""
    return {SETTING: keywords}


def limit(info: ValidationInfo, name: str) -> int | None:
    """A limit from the validation context (sync.protocol.Limits), None when validated without one."""
    limits = (info.context or {}).get("limits")
    return getattr(limits, name, None)


# --- shared field types --------------------------------------------------------------------------------------

def _canonical_uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise fault("invalid") from None


def _time(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("not a time")
    return parse_iso_with_offset(value)  # ValueError: not ISO 8601 with an offset, or a year out of range


def _stripped_required(value: str) -> str:
    if not value.strip():
        raise fault("required")
    return value.strip()


def _storable(value: str) -> str:
    if text_problem(value) is not None:
        raise fault("invalid_text")
    return value


def _optional_text(value: object) -> object:
    return "" if value is None else value


def _note(value: str, info: ValidationInfo) -> str:
    """A note checked here (an action's, a checklist item's): storable, and at most SYNC_MAX_DESCRIPTION."""
    value = value.strip()
    if text_problem(value) is not None:
        raise fault("invalid_text")
    most = limit(info, "max_description")
    if most is not None and len(value) > most:
        raise fault("too_long", most)
    return value


def _hashes(value: object, info: ValidationInfo, *, limited: bool) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and _is_sha256(v.lower()) for v in value):
        raise fault("invalid_hash")
    hashes = tuple(dict.fromkeys(v.lower() for v in value))
    most = limit(info, "max_photos") if limited else None
    if most is not None and len(hashes) > most:
        raise fault("too_many", most)
    return hashes


def _is_sha256(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _photo_schema() -> dict:
    return {"type": "array", "items": {"type": "string", "pattern": SHA256_PATTERN},
            SETTING: {"maxItems": "SYNC_MAX_PHOTOS"},
            "description": "SHA-256 hashes of photos uploaded first (PUT /photos/{sha256}); case and repeats "
                           "do not matter"}


ClientId = Annotated[str, AfterValidator(_canonical_uuid), Code("required"),
                     WithJsonSchema({"type": "string", "format": "uuid",
                                     "description": "the phone's id of the item (a UUID), for idempotent retries"})]
Time = Annotated[datetime, PlainValidator(_time), Code("invalid_time"),
                 WithJsonSchema({"type": "string", "format": "date-time",
                                 "description": "ISO 8601 with a UTC offset, years 1970-2200"})]
# Text whose rules (storable, length) are the intake's, for every door: only its type is checked here.
IntakeText = Annotated[str, PlainValidator(lambda v: _plain_text(v), json_schema_input_type=str), Code("invalid")]
Note = Annotated[str, PlainValidator(lambda v, info: _note(_plain_text(v), info), json_schema_input_type=str),
               Code("invalid"), Field(json_schema_extra=setting(maxLength="SYNC_MAX_DESCRIPTION"))]
Photos = Annotated[tuple[str, ...], PlainValidator(lambda v, info: _hashes(v, info, limited=False)),
                   Code("invalid_hash"), WithJsonSchema(_photo_schema())]
LimitedPhotos = Annotated[tuple[str, ...], PlainValidator(lambda v, info: _hashes(v, info, limited=True)),
                          Code("invalid_hash"), WithJsonSchema(_photo_schema())]
RequiredCode = Annotated[str, AfterValidator(_stripped_required), Code("required")]
StorableCode = Annotated[str, AfterValidator(_stripped_required), AfterValidator(_storable), Code("required")]


def _plain_text(value: object) -> str:
    value = _optional_text(value)
    if not isinstance(value, str):
        raise fault("invalid")
    return value.strip()


# --- pydantic's errors → ours ----------------------------------------------------------------------------------

def field_errors(exc: ValidationError, model: type[BaseModel], nested_error=None) -> list[FieldError]:
    """One FieldError per field (the first pydantic found), in the model's field order.

    A field inside a list of models is named `results[2].note`; `nested_error(field, code, limit,
    index)` may make those errors richer (a visit's item errors carry the item's code)."""
    out: list[FieldError] = []
    seen: set[str] = set()
    for error in exc.errors(include_url=False):
        where, marker, index, at_item = locate(model, error["loc"])
        if where in seen:
            continue
        seen.add(where)
        code, most = _code(error, marker, at_item)
        if index is not None and nested_error is not None and not at_item:
            out.append(nested_error(where, code, most, index))
        else:
            out.append(FieldError(where, code, limit=most))
    return out


def _code(error: dict, marker: Code | None, at_item: bool) -> tuple[str, float | None]:
    context = error.get("ctx") or {}
    if context.get(OURS):
        return error["type"], context.get("limit")
    if at_item and error["type"] in ("model_type", "model_attributes_type", "dict_type"):
        return "not_an_object", None
    if marker is None:
        return "invalid", None
    if error["type"] == "missing" or error.get("input", ...) is None:
        return marker.missing or marker.invalid, None
    return marker.invalid, None


def locate(model: type[BaseModel], loc: tuple) -> tuple[str, Code | None, int | None, bool]:
    """Where an error is (its field's name as clients see it), that field's Code, the list index it sits
    under (or None), and whether it is about a list item as a whole."""
    path, marker, index, current, i = "", None, None, model, 0
    while i < len(loc):
        part = loc[i]
        if current is None or not isinstance(part, str) or part not in current.model_fields:
            break
        info = current.model_fields[part]
        path = f"{path}.{part}" if path else part
        marker = next((m for m in info.metadata if isinstance(m, Code)), None) or _marker_of(info.annotation)
        i += 1
        nested = _model_in(info.annotation)
        if nested is None or (marker is not None and marker.whole):
            break
        if i < len(loc) and isinstance(loc[i], int):
            index = loc[i]
            path += f"[{index}]"
            i += 1
            if i == len(loc):
                return path, marker, index, True
        current = nested
    return path, marker, index, False


def _marker_of(annotation: object) -> Code | None:
    for arg in typing.get_args(annotation):
        if isinstance(arg, Code):
            return arg
        found = _marker_of(arg)
        if found is not None:
            return found
    return None


def _model_in(annotation: object) -> type[BaseModel] | None:
    """The model a field holds (itself, or in a list / tuple / Optional), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
