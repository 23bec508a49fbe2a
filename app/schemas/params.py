"""The query strings of /api/v1, one model each, for the document (decision 0013).

They are read by app/params.py's helpers (int_arg, bool_arg, time_arg, date_arg, ticket_filter) and
the routes' own checks, which answer 422 `validation_failed` naming the parameter; these models say
the same things to clients: a field is a parameter (its alias when the name is a Python keyword).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.models.mapgrid import MAX_ZOOM, MIN_ZOOM
from app.params import MAX_INT

MAX_PER_PAGE = 200


class Query(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


Page = Annotated[int, Field(ge=1, le=MAX_INT, description="from 1")]
Day = Annotated[date, Field(description="YYYY-MM-DD, a local day (Asia/Shanghai)")]


class PageQuery(Query):
    page: Page = 1


class TicketFilters(Query):
    status: str | None = Field(None, description="comma-separated statuses")
    department: str | None = Field(None, description="a department's code")
    category: str | None = Field(None, description="a category's code")
    area: str | None = Field(None, description="an area's code")
    overdue: bool | None = None
    q: str | None = Field(None, description="case number, address or text")
    received_from: datetime | None = Field(None, alias="from", description="received at or after (ISO 8601 with "
                                                                            "an offset)")
    received_to: datetime | None = Field(None, alias="to", description="received before")
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


class PointsQuery(Query):
    near: str | None = Field(None, description="lat,lon in degrees (WGS-84)")
    radius_m: Annotated[float | None, Field(gt=0, le=50_000, description="metres around near (1000 by default)")
                        ] = None
    datum: Literal["tiles"] | None = Field(None, description="tiles: positions in the map tiles' datum (TILE_CRS), "
                                                             "else WGS-84")


class PeriodQuery(Query):
    start: Day
    end: Day


class ScoreQuery(PeriodQuery):
    draw: Annotated[int | None, Field(ge=1, le=MAX_INT, description="only the points of this draw")] = None


class VisitsQuery(PeriodQuery):
    flagged: bool | None = Field(None, description="only visits far from their point (or not)")
    page: Page = 1
