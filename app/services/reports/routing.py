"""Routing (docs/design.md §4): category default department, area override, or the triage queue."""
from __future__ import annotations

from dataclasses import dataclass

from app.extensions import db
from app.models import Category, Department
from app.services.reports import geo


@dataclass(frozen=True)
class Route:
    department_id: int | None  # None: nobody yet, the supervisor triages
    area_id: int | None
    rule: str  # "area", "category" or "unrouted", recorded in the history


def route(category: Category, lat: float, lon: float) -> Route:
    """Decide the responsible department for a report of `category` at (lat, lon)."""
    area = geo.area_at(lat, lon)
    area_id = area.id if area else None
    if category.area_scoped and area is not None and area.department_id is not None:
        return Route(area.department_id, area_id, "area")
    default = category.default_department_id
    if default is not None:
        department = db.session.get(Department, default)
        if department is not None and department.active and not department.is_placeholder:
            return Route(default, area_id, "category")
    return Route(None, area_id, "unrouted")
