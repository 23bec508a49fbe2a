"""The query strings of /api/v1, one model each: they validate the requests and write the document (decision 0013).

A view reads its query string with `query(Model)`: a field is a parameter (its alias when the name
is a Python keyword); an empty value is a left-out one; a repeated parameter counts by its first
value, as Flask's request.args.get does. A value breaking a field is 422 `validation_failed` naming
the parameter, with the messages app/params.py's helpers give (they parse text the same way).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from app.errors import ValidationFailed
from app.models.mapgrid import MAX_ZOOM, MIN_ZOOM
from app.params import MAX_INT, bool_text
from app.timeutil import YearOutOfRange, parse_date, parse_iso_with_offset

MAX_PER_PAGE = 200


def _from_text(parse: Callable[[str], Any], kind: str) -> BeforeValidator:
    """Query text parsed by app.params / app.timeutil's own parser, so pages and API agree on what is valid."""
    def before(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return parse(value)
        except YearOutOfRange:
            raise PydanticCustomError("out_of_range", "out of range") from None
        except ValueError:
            raise PydanticCustomError(kind, kind) from None
    return BeforeValidator(before)


def _bool(text: str) -> bool:
    value = bool_text(text)
    if value is None:
        raise ValueError(text)
    return value


QueryBool = Annotated[bool, _from_text(_bool, "bool_parsing")]
QueryTime = Annotated[datetime, _from_text(parse_iso_with_offset, "datetime_parsing")]
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _day(text: str) -> date:
    if not DAY.fullmatch(text):  # fromisoformat takes 20261101 too, which the document does not offer
        raise ValueError(text)
    return parse_date(text)


class Query(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")
    # A parameter whose every refusal says one thing (the period's dates, say), by field name.
    messages: ClassVar[dict[str, Callable[[], str]]] = {}


Q = TypeVar("Q", bound=Query)
Page = Annotated[int, Field(ge=1, le=MAX_INT, description="from 1")]
Day = Annotated[date, _from_text(_day, "date_parsing"), Field(description="YYYY-MM-DD, a local day (Asia/Shanghai)")]


def query(model: type[Q]) -> Q:
    """The request's query string as `model`, or 422 validation_failed naming the first bad parameter."""
    raw = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        value = request.args.get(key)
        if value not in (None, ""):
            raw[key] = value
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        name = str(error["loc"][0]) if error["loc"] else None
        raise ValidationFailed(_message(model, name, error["type"]), field=name) from None


def _message(model: type[Query], name: str | None, kind: str) -> str:
    fields = {info.alias or key: key for key, info in model.model_fields.items()}
    own = model.messages.get(fields.get(name, name or ""))
    if own is not None:
        return own()
    if kind == "missing":
        return _("This field is required.")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("%(name)s must be a whole number.", name=name)
    if kind == "bool_parsing":
        return _("%(name)s must be true or false.", name=name)
    if kind == "datetime_parsing":
        return _("%(name)s must be an ISO 8601 time with an offset.", name=name)
    if kind == "date_parsing":
        return _("%(name)s must be a date like 2026-11-28.", name=name)
    if name == "page" and kind == "greater_than_equal":
        return _("Pages start at 1.")
    return _("%(name)s is out of range.", name=name)


class PageQuery(Query):
    page: Page = 1


class TicketFilters(Query):
    status: str | None = Field(None, description="comma-separated statuses")
    department: str | None = Field(None, description="a department's code")
    category: str | None = Field(None, description="a category's code")
    area: str | None = Field(None, description="an area's code")
    overdue: QueryBool | None = None
    q: str | None = Field(None, description="case number, address or text")
    received_from: QueryTime | None = Field(None, alias="from", description="received at or after (ISO 8601 with "
                                                                            "an offset)")
    received_to: QueryTime | None = Field(None, alias="to", description="received before")
    sort: str = Field("-received_at", examples=["-received_at"])


class TicketQuery(TicketFilters):
    page: Page = 1
    per_page: Annotated[int, Field(ge=1, le=MAX_PER_PAGE)] = 50


class ClustersQuery(TicketFilters):
    bbox: str = Field(description="minLon,minLat,maxLon,maxLat", pattern=r"^[^,]+,[^,]+,[^,]+,[^,]+$")
    zoom: Annotated[int, Field(ge=-MAX_INT, le=MAX_INT, description=(
        f"the map's zoom; cells are counted at {MIN_ZOOM} to {MAX_ZOOM} (a zoom outside is taken as the nearest)"))]
    members: str | None = Field(None, description="1: each cluster lists its tickets (id, case_number, status), for "
                                                  "the highest zoom (any other value: not)")
    messages: ClassVar[dict[str, Callable[[], str]]] = {"bbox": lambda: _("bbox must be minLon,minLat,maxLon,maxLat.")}


class PointsQuery(Query):
    near: str | None = Field(None, description="lat,lon in degrees (WGS-84)")
    radius_m: Annotated[float | None, Field(gt=0, le=50_000, description="metres around near (1000 by default)")
                        ] = None
    datum: Literal["tiles"] | None = Field(None, description="tiles: positions in the map tiles' datum (TILE_CRS), "
                                                             "else WGS-84")
    messages: ClassVar[dict[str, Callable[[], str]]] = {
        "radius_m": lambda: _("radius_m must be a number of metres from 1 to 50000."),
        "datum": lambda: _("datum must be tiles or left out (WGS-84)."),
    }


class PeriodQuery(Query):
    start: Day
    end: Day
    messages: ClassVar[dict[str, Callable[[], str]]] = {
        "start": lambda: _("Give the period as two dates, YYYY-MM-DD."),
        "end": lambda: _("Give the period as two dates, YYYY-MM-DD."),
    }


class ScoreQuery(PeriodQuery):
    draw: Annotated[int | None, Field(ge=1, le=MAX_INT, description="only the points of this draw")] = None


class VisitsQuery(PeriodQuery):
    flagged: QueryBool | None = Field(None, description="only visits far from their point (or not)")
    page: Page = 1
