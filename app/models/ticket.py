"""Tickets, the reports behind them, and their append-only history."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models import mapgrid
from app.models.base import UTCDateTime, str_enum
from app.models.org import Area, Category, Department
from app.models.user import User
from app.timeutil import now_utc


class TicketStatus(enum.StrEnum):
    REPORTED = "reported"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    RETURNED = "returned"
    REOPENED = "reopened"
    INVALID = "invalid"
    DUPLICATE = "duplicate"


# Still waiting for someone to act: counted as "open" on dashboards and for repeats.
OPEN_STATUSES = (
    TicketStatus.REPORTED,
    TicketStatus.ASSIGNED,
    TicketStatus.IN_PROGRESS,
    TicketStatus.RETURNED,
    TicketStatus.REOPENED,
)
# The department's clock runs in these.
DEPARTMENT_STATUSES = (TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS, TicketStatus.REOPENED)
FINAL_STATUSES = (TicketStatus.CLOSED, TicketStatus.INVALID, TicketStatus.DUPLICATE)


class LocationSource(enum.StrEnum):
    DEVICE = "device"
    EXIF = "exif"
    MANUAL = "manual"


class AddressSource(enum.StrEnum):
    """Where a ticket's address text came from (issue 18); None: not filled in yet (or before 0014)."""

    INSPECTOR = "inspector"  # the report's own words: never replaced
    GEOCODER = "geocoder"
    OFFLINE = "offline"  # the county's own data: township and nearest named place


def _map_x(context) -> int:
    params = context.get_current_parameters()
    return mapgrid.to_px(params["lat"], params["lon"])[0]


def _map_y(context) -> int:
    params = context.get_current_parameters()
    return mapgrid.to_px(params["lat"], params["lon"])[1]


class Ticket(db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_number: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    status: so.Mapped[TicketStatus] = so.mapped_column(str_enum(TicketStatus), index=True)
    version: so.Mapped[int] = so.mapped_column(default=1)

    category_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("category.id"), index=True)
    department_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("department.id"))
    area_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("area.id"), index=True)
    reporter_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), index=True)

    lat: so.Mapped[float]
    lon: so.Mapped[float]
    # Web-Mercator pixels at zoom 22, for map clustering by integer shifts (app/services/mapgrid.py).
    map_x: so.Mapped[int] = so.mapped_column(default=_map_x)
    map_y: so.Mapped[int] = so.mapped_column(default=_map_y)
    accuracy_m: so.Mapped[float | None]
    location_source: so.Mapped[LocationSource] = so.mapped_column(
        str_enum(LocationSource), default=LocationSource.DEVICE
    )
    address: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    address_source: so.Mapped[AddressSource | None] = so.mapped_column(str_enum(AddressSource, 16))
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    captured_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)  # device clock
    received_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)  # server clock
    assigned_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    due_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    resolved_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    closed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    resolved_on_time: so.Mapped[bool | None]
    overdue_marked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    reminded_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)  # "due soon" sent for due_at

    report_count: so.Mapped[int] = so.mapped_column(default=1)
    rework_count: so.Mapped[int] = so.mapped_column(default=0)
    duplicate_of_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("ticket.id"))
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    category: so.Mapped[Category] = so.relationship()
    department: so.Mapped[Department | None] = so.relationship()
    area: so.Mapped[Area | None] = so.relationship()
    reporter: so.Mapped[User | None] = so.relationship()
    events: so.Mapped[list[TicketEvent]] = so.relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )

    # A stale write raises StaleDataError instead of silently overwriting (docs/design.md §2).
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.Index("ix_ticket_department_status_due", "department_id", "status", "due_at"),
        sa.Index("ix_ticket_received_at", "received_at", "department_id", "category_id", "area_id"),
        sa.Index("ix_ticket_category_lat_lon", "category_id", "lat", "lon"),
        sa.Index("ix_ticket_map_xy", "map_x", "map_y", "status"),
        # Overdue counts (dashboard, desk, jobs): status and deadline, with the groups, in one index.
        sa.Index("ix_ticket_status_due_groups", "status", "due_at", "resolved_on_time", "department_id",
                 "category_id", "area_id"),
        # The simulated score (issue 14), read from the indexes alone: the open tickets by category and
        # position, and the tickets changed since a past period's end.
        sa.Index("ix_ticket_status_category_lat_lon", "status", "category_id", "lat", "lon", "department_id",
                 "received_at", "id"),
        # The address job's queue (issue 18): only the tickets still without a place name.
        sa.Index("ix_ticket_address_pending", "id", sqlite_where=sa.text("address = '' AND address_source IS NULL"),
                 postgresql_where=sa.text("address = '' AND address_source IS NULL")),
        sa.Index("ix_ticket_updated_at", "updated_at", "received_at", "category_id", "lat", "lon", "department_id",
                 "id"),
        sa.Index("ix_ticket_id_department", "id", "department_id"),  # the department of the tickets visits opened
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now: datetime) -> bool:
        return self.due_at is not None and self.status in DEPARTMENT_STATUSES and self.due_at < now

    def __repr__(self) -> str:
        return f"<Ticket {self.case_number} {self.status}>"


class Report(db.Model):
    """One report as the phone sent it; the (reporter, client_id) pair is the idempotency key."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    reporter_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    client_id: so.Mapped[str] = so.mapped_column(sa.String(36))
    ticket_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("ticket.id"), index=True)
    fingerprint: so.Mapped[str] = so.mapped_column(sa.String(64))  # SHA-256 of the canonical content
    is_repeat: so.Mapped[bool] = so.mapped_column(default=False)
    lat: so.Mapped[float]
    lon: so.Mapped[float]
    captured_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    received_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)
    clock_skew_s: so.Mapped[float | None]  # device clock minus server clock at receipt
    device_id: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    # The integration's API key it came through (Open311), if any (decision 0009).
    api_key_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("api_key.id"))

    ticket: so.Mapped[Ticket] = so.relationship()
    reporter: so.Mapped[User] = so.relationship()

    __table_args__ = (sa.UniqueConstraint("reporter_id", "client_id"),)


class TicketEvent(db.Model):
    """One row per thing that happened to a ticket; rows are never updated or deleted."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ticket_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("ticket.id"), index=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))  # None: the system
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)
    action: so.Mapped[str] = so.mapped_column(sa.String(32))
    from_status: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    to_status: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    photos: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)  # sha256 hashes
    data: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)  # e.g. department change

    ticket: so.Mapped[Ticket] = so.relationship(back_populates="events")
    actor: so.Mapped[User | None] = so.relationship()



class CaseCounter(db.Model):
    """Per-day counter for human case numbers on SQLite, incremented with one atomic upsert."""

    day: so.Mapped[str] = so.mapped_column(sa.String(8), primary_key=True)  # YYYYMMDD, local time
    last: so.Mapped[int] = so.mapped_column(default=0)


class CaseDay(db.Model):
    """PostgreSQL: a local day's case numbers are `nextval('case_number_seq') - base` (decision 0019).

    Written once per day, in its own short transaction; read, never locked, by every new ticket.
    """

    __tablename__ = "case_day"

    day: so.Mapped[str] = so.mapped_column(sa.String(8), primary_key=True)  # YYYYMMDD, local time
    base: so.Mapped[int] = so.mapped_column(sa.BigInteger)
