"""The county's organisation: departments, categories, areas."""
from __future__ import annotations

import enum

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db


class Severity(enum.StrEnum):
    URGENT = "urgent"
    IMPORTANT = "important"
    NORMAL = "normal"


class AreaKind(enum.StrEnum):
    COUNTY = "county"
    TOWNSHIP = "township"


class Department(db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    name_zh: so.Mapped[str] = so.mapped_column(sa.String(200))
    name_en: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    active: so.Mapped[bool] = so.mapped_column(default=True)
    # A placeholder such as "the township of the place" (属地) is never a real handler.
    is_placeholder: so.Mapped[bool] = so.mapped_column(default=False)

    def __repr__(self) -> str:
        return f"<Department {self.code}>"


class Category(db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    name_zh: so.Mapped[str] = so.mapped_column(sa.String(200))
    name_en: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    group_code: so.Mapped[str] = so.mapped_column(sa.String(16))
    group_zh: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    group_en: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    default_department_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("department.id"))
    sla_hours: so.Mapped[int] = so.mapped_column(default=72)
    severity: so.Mapped[str] = so.mapped_column(sa.String(16), default=Severity.NORMAL.value)
    # Area-scoped categories go to the department responsible for the area the report is in.
    area_scoped: so.Mapped[bool] = so.mapped_column(default=False)
    active: so.Mapped[bool] = so.mapped_column(default=True)

    default_department: so.Mapped[Department | None] = so.relationship()

    def __repr__(self) -> str:
        return f"<Category {self.code}>"


class Area(db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    name_zh: so.Mapped[str] = so.mapped_column(sa.String(200))
    name_en: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    kind: so.Mapped[str] = so.mapped_column(sa.String(16), default=AreaKind.TOWNSHIP.value)
    department_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("department.id"))
    geometry: so.Mapped[dict] = so.mapped_column(sa.JSON)  # GeoJSON Polygon or MultiPolygon, WGS-84
    # Bounding box, so a point lookup only tests polygons that can contain it.
    min_lon: so.Mapped[float]
    min_lat: so.Mapped[float]
    max_lon: so.Mapped[float]
    max_lat: so.Mapped[float]

    department: so.Mapped[Department | None] = so.relationship()

    def __repr__(self) -> str:
        return f"<Area {self.code}>"
