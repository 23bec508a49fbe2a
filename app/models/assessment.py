"""The mock field assessment (模拟测评, docs/design.md §11): location types, inspection points, versioned
checklists, visits and their results (decision 0007).

A checklist version and its items are never changed once written: an edit makes a new version
(app/services/assessment/checklists.py), and a visit keeps the version it was made with, so its
results always read against the items the inspector saw. The ORM refuses updates of those rows.
"""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime, str_enum
from app.models.org import Area, Category, Department
from app.models.user import User
from app.timeutil import now_utc


class Outcome(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NA = "na"  # not applicable at this point


class LocationType(db.Model):
    """One of the assessment's 16 kinds of place (主次干道, 农贸市场, 公共厕所, …)."""

    __tablename__ = "location_type"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(16), unique=True)
    name_zh: so.Mapped[str] = so.mapped_column(sa.String(200))
    name_en: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    # Its weight in the county's score (a weighted mean of the types' scores); equal by default.
    weight: so.Mapped[float] = so.mapped_column(default=1.0)

    __table_args__ = (sa.CheckConstraint("weight >= 0", name="weight_not_negative"),)

    def __repr__(self) -> str:
        return f"<LocationType {self.code}>"


class InspectionPoint(db.Model):
    """A named place assessors may visit (点位): a point, optionally with its outline."""

    __tablename__ = "inspection_point"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    location_type_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("location_type.id"), index=True)
    lat: so.Mapped[float]
    lon: so.Mapped[float]
    polygon: so.Mapped[dict | None] = so.mapped_column(sa.JSON(none_as_null=True))  # GeoJSON (Multi)Polygon, WGS-84
    # Bounding box of the point and its polygon, so a spatial look-up only tests places that can match.
    min_lon: so.Mapped[float]
    min_lat: so.Mapped[float]
    max_lon: so.Mapped[float]
    max_lat: so.Mapped[float]
    area_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("area.id"), index=True)
    department_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("department.id"), index=True)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    location_type: so.Mapped[LocationType] = so.relationship()
    area: so.Mapped[Area | None] = so.relationship()
    department: so.Mapped[Department] = so.relationship()

    def __repr__(self) -> str:
        return f"<InspectionPoint {self.code}>"


class ChecklistVersion(db.Model):
    """One version of a location type's checklist; versions are numbered 1, 2, … per type."""

    __tablename__ = "checklist_version"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    location_type_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("location_type.id"))
    version: so.Mapped[int]
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))  # None: the seed
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")  # why this version was made

    location_type: so.Mapped[LocationType] = so.relationship()
    items: so.Mapped[list[ChecklistItem]] = so.relationship(
        back_populates="checklist_version", order_by="ChecklistItem.position")

    __table_args__ = (sa.UniqueConstraint("location_type_id", "version"),)

    def __repr__(self) -> str:
        return f"<ChecklistVersion {self.location_type_id} v{self.version}>"


class ChecklistItem(db.Model):
    """A check item of one checklist version: what fails, which ticket category it opens, what it costs."""

    __tablename__ = "checklist_item"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    checklist_version_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("checklist_version.id"))
    position: so.Mapped[int]
    code: so.Mapped[str] = so.mapped_column(sa.String(32))
    text_zh: so.Mapped[str] = so.mapped_column(sa.Text)
    text_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    category_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("category.id"))  # the ticket a fail opens
    deduction: so.Mapped[float]  # points of the point's 100 that a fail costs
    guidance: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    checklist_version: so.Mapped[ChecklistVersion] = so.relationship(back_populates="items")
    category: so.Mapped[Category] = so.relationship()

    __table_args__ = (
        sa.UniqueConstraint("checklist_version_id", "code"),
        sa.CheckConstraint("deduction >= 0", name="deduction_not_negative"),
    )


class Visit(db.Model):
    """An inspector's visit of a point, checked against one checklist version; the phone's client_id
    makes it idempotent, as for reports."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    client_id: so.Mapped[str] = so.mapped_column(sa.String(36))
    inspector_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    point_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("inspection_point.id"))
    checklist_version_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("checklist_version.id"), index=True)
    fingerprint: so.Mapped[str] = so.mapped_column(sa.String(64), default="")  # SHA-256 of the content sent
    started_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)  # device clock
    finished_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    received_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)  # server clock
    lat: so.Mapped[float | None]  # None: the phone had no position
    lon: so.Mapped[float | None]
    accuracy_m: so.Mapped[float | None]
    distance_m: so.Mapped[float | None]  # from the point (0 inside its polygon)
    flagged_far: so.Mapped[bool] = so.mapped_column(default=False)  # too far or no position: shown to supervisors
    voided_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)  # a voided visit no longer counts
    void_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    voided_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    point: so.Mapped[InspectionPoint] = so.relationship()
    checklist_version: so.Mapped[ChecklistVersion] = so.relationship()
    inspector: so.Mapped[User] = so.relationship(foreign_keys=[inspector_id])
    results: so.Mapped[list[VisitResult]] = so.relationship(back_populates="visit", order_by="VisitResult.id")

    __table_args__ = (
        sa.UniqueConstraint("inspector_id", "client_id"),
        # The latest visit of each point (score, last visited) and the visits of a period.
        sa.Index("ix_visit_point_started", "point_id", "started_at"),
        sa.Index("ix_visit_started_point", "started_at", "point_id"),
        # The score: one seek per point for its latest visit in a period that was not voided.
        sa.Index("ix_visit_point_latest", "point_id", "started_at", "id", "voided_at", "checklist_version_id"),
    )


class VisitResult(db.Model):
    """One item's outcome in a visit: pass, fail (with photos, and the ticket it opened) or not applicable."""

    __tablename__ = "visit_result"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    visit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("visit.id"))
    item_code: so.Mapped[str] = so.mapped_column(sa.String(32))
    outcome: so.Mapped[Outcome] = so.mapped_column(str_enum(Outcome, 4))
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    photos: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)  # sha256 hashes
    ticket_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("ticket.id"), index=True)

    visit: so.Mapped[Visit] = so.relationship(back_populates="results")

    __table_args__ = (
        sa.UniqueConstraint("visit_id", "item_code"),
        sa.Index("ix_visit_result_visit_outcome", "visit_id", "outcome", "item_code", "ticket_id"),  # failed items
    )


@sa.event.listens_for(ChecklistVersion, "before_update")
@sa.event.listens_for(ChecklistItem, "before_update")
def _checklists_are_immutable(_mapper, _connection, target) -> None:
    raise ValueError(f"{target!r} is part of a checklist version, which never changes: make a new version")
