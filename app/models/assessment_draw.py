"""Random draws of inspection points (issue 14 §4): the sample a supervisor draws, and who visits what.

A draw records its seed and what was asked (`per_type`), so the same seed over the same points
gives the same sample again (app/services/assessment/draws.py). Its points are fixed when it is
made; only their assignees change.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.assessment import InspectionPoint
from app.models.base import UTCDateTime
from app.models.user import User
from app.timeutil import now_utc


class Draw(db.Model):
    __tablename__ = "assessment_draw"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    seed: so.Mapped[int] = so.mapped_column(sa.BigInteger)  # 0 … 2**53 − 1: exact in JSON and JavaScript
    per_type: so.Mapped[int | dict] = so.mapped_column(sa.JSON)  # N for every type, or {type code: N}
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))  # None: the system
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)
    due: so.Mapped[date | None] = so.mapped_column(sa.Date)  # local day by which its points are to be visited
    cancelled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)  # no reminders, no assignments

    created_by: so.Mapped[User | None] = so.relationship()
    points: so.Mapped[list[DrawPoint]] = so.relationship(back_populates="draw", order_by="DrawPoint.position")

    def __repr__(self) -> str:
        return f"<Draw {self.id} {self.name}>"


class DrawPoint(db.Model):
    """One drawn point of a draw, and the inspector it is assigned to."""

    __tablename__ = "assessment_draw_point"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    draw_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("assessment_draw.id"))
    point_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("inspection_point.id"), index=True)
    position: so.Mapped[int]  # the order of the draw's list (type, then code)
    assignee_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    assigned_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    draw: so.Mapped[Draw] = so.relationship(back_populates="points")
    point: so.Mapped[InspectionPoint] = so.relationship()
    assignee: so.Mapped[User | None] = so.relationship()

    __table_args__ = (sa.UniqueConstraint("draw_id", "point_id"),)
