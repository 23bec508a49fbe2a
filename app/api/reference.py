"""Reference data the clients cache: categories, areas and the named places of offline addresses."""
from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from flask import current_app
from shapely.geometry import shape

from app.api import bp
from app.api.serializers import area_out
from app.extensions import db
from app.models import Area, Category, Department
from app.security import api_auth
from app.services.reference import category_out
from app.services.reports import places


def _department_codes() -> dict[int, str]:
    return dict(db.session.execute(sa.select(Department.id, Department.code)).all())


@bp.get("/categories")
@api_auth()
def list_categories():
    departments = _department_codes()
    rows = db.session.scalars(sa.select(Category).where(Category.active).order_by(Category.group_code,
                                                                                  Category.code))
    return {"categories": [category_out(c, departments) for c in rows]}


@bp.get("/areas")
@api_auth()
def list_areas():
    departments = _department_codes()
    out = []
    for area in db.session.scalars(sa.select(Area).order_by(Area.id)):
        point = shape(area.geometry).representative_point() if area.kind == "township" else \
            shape(area.geometry).centroid
        out.append(area_out(area, departments, (point.y, point.x)))
    return {"areas": out}


@bp.get("/places")
@api_auth()
def list_places():
    """The named points the phone needs to name a place offline as the server does (issue 18), and
    the version of /areas' outlines: the phone fetches those again only when it changes."""
    return {**places.for_phone(current_app.config["OFFLINE_PLACE_RADIUS_M"]), "areas_version": _areas_version()}


def _areas_version() -> str:
    """A digest of what /areas gives the phone (kind, name, outline): a county boundary edited alone
    changes it, so the phone's outside-county warning gets the new outline at its next sync."""
    rows = db.session.execute(sa.select(Area.id, Area.kind, Area.name_zh, Area.geometry).order_by(Area.id)).all()
    text = json.dumps([list(row) for row in rows], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
