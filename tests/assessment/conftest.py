"""Helpers for the mock field assessment: points, checklists and visits made directly through the
services and models (the visit sync is not built yet), tickets through the real intake."""
from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import InspectionPoint, LocationType, Outcome, Visit, VisitResult
from app.services.actor import Actor
from app.services.assessment import checklists, points
from app.services.assessment.checklists import ItemSpec
from app.timeutil import now_utc

SYSTEM = Actor.system()


def offset(at: tuple[float, float], north_m: float = 0.0, east_m: float = 0.0) -> tuple[float, float]:
    """The position `north_m` metres north and `east_m` east of `at` (small distances)."""
    lat, lon = at
    return (lat + north_m / 111_132.0, lon + east_m / (111_320.0 * math.cos(math.radians(lat))))


def box_around(at: tuple[float, float], half_width_m: float, half_height_m: float) -> dict:
    """A GeoJSON rectangle centred on `at`."""
    south, west = offset(at, -half_height_m, -half_width_m)
    north, east = offset(at, half_height_m, half_width_m)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def make_point(code: str, location_type: str, at: tuple[float, float], department: str = "CGZF", *,
               polygon: dict | None = None, name: str | None = None, area: str | None = None) -> InspectionPoint:
    point = points.save_point(points.PointSpec(code, name or f"点位 {code}", location_type, at[0], at[1], department,
                                               area, polygon), SYSTEM, now_utc())
    db.session.commit()
    return point


def set_checklist(location_type: str, items: list[tuple[str, str, float]], note: str = "test"):
    """A new version of the type's checklist: (item code, category code, deduction) each."""
    specs = [ItemSpec(code, f"检查项 {code}", category, deduction, f"Item {code}")
             for code, category, deduction in items]
    version = checklists.new_version(location_type, specs, SYSTEM, now_utc(), note)
    db.session.commit()
    return version


def set_weight(location_type: str, weight: float) -> None:
    db.session.scalar(sa.select(LocationType).where(LocationType.code == location_type)).weight = weight
    db.session.commit()


def make_visit(point: InspectionPoint, inspector, started_at: datetime, outcomes: dict[str, str], *,
               version=None, tickets: dict[str, int] | None = None, voided: bool = False) -> Visit:
    """A visit with one result per item: outcomes {item code: "pass" | "fail" | "na"}."""
    version = version or checklists.current_version(point.location_type.code)
    visit = Visit(client_id=str(uuid.uuid4()), inspector_id=inspector.id, point_id=point.id,
                  checklist_version_id=version.id, started_at=started_at,
                  finished_at=started_at + timedelta(minutes=12), received_at=started_at + timedelta(minutes=15),
                  lat=point.lat, lon=point.lon, accuracy_m=8.0, distance_m=0.0)
    db.session.add(visit)
    for code, outcome in outcomes.items():
        db.session.add(VisitResult(visit=visit, item_code=code, outcome=Outcome(outcome),
                                   photos=["a" * 64] if outcome == "fail" else [],
                                   ticket_id=(tickets or {}).get(code)))
    if voided:
        visit.voided_at = started_at + timedelta(hours=2)
        visit.void_reason = "made at the wrong place"
    db.session.commit()
    return visit


@pytest.fixture
def bare_county(county):
    """The demo county without its seeded inspection points (types and checklists stay)."""
    db.session.execute(sa.delete(InspectionPoint))
    db.session.commit()
