"""The mock field assessment, read-only: inspection points, checklists and the simulated score (decision 0007).

Who sees what: supervisors and admins everything; inspectors the points and the checklists (not the
score: it is the campaign office's view); departments the points they are responsible for, the
checklists (the standard their points are checked against) and their own points lost.
"""
from __future__ import annotations

import math

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from app.api import bp
from app.errors import NotFound, ValidationFailed
from app.models import Role
from app.schemas.params import PointsQuery, ScoreQuery, query
from app.security import api_auth, current_actor
from app.services.assessment import checklists, points
from app.services.assessment import score as scoring
from app.services.supervision.gcj02 import Datum
from app.services.supervision.tiles import datum_name
from app.timeutil import iso, now_utc

DEFAULT_RADIUS_M = 1000.0


@bp.get("/points")
@api_auth()
def list_points():
    args = query(PointsQuery)
    near, radius = _near(args)
    # ?datum=tiles: positions in the map tiles' datum (GCJ-02 for AMap tiles), as the supervisor map draws them.
    shift = Datum(datum_name(current_app.config)).to_display if args.datum else (lambda lat, lon: (lat, lon))
    rows = points.visible_points(current_actor(), near, radius)
    return {"points": [{
        "code": p.code, "name": p.name, "location_type": p.location_type, "lat": shifted[0], "lon": shifted[1],
        "area_code": p.area_code, "department_code": p.department_code, "last_visited_at": iso(p.last_visited_at),
    } for p in rows for shifted in [shift(p.lat, p.lon)]]}


@bp.get("/checklists/<location_type>")
@api_auth()
def get_checklist(location_type: str):
    version = checklists.current_version(location_type)
    if version is None:
        raise NotFound(_("No checklist for this location type."), field="location_type")
    english = get_locale().language == "en"
    return {"location_type": version.location_type.code, "version": version.version, "items": [{
        "code": item.code, "text": item.text_en if english and item.text_en else item.text_zh,
        "category_code": item.category.code, "deduction": item.deduction,
    } for item in version.items]}


@bp.get("/assessment/score")
@api_auth(Role.SUPERVISOR, Role.ADMIN, Role.DEPARTMENT)
def assessment_score():
    args = query(ScoreQuery)
    result = scoring.for_actor(scoring.score(args.start, args.end, args.draw, now=now_utc()), current_actor())
    return {
        "county": {"score": _rounded(result.county), "max": result.max},
        "by_location_type": [{"location_type": t.location_type, "score": _rounded(t.score), "visited": t.visited,
                              "points": t.points} for t in result.by_location_type],
        "by_area": [{"area_code": a.area_code, "score": _rounded(a.score), "visited": a.visited}
                    for a in result.by_area],
        "by_point": [{"code": p.code, "score": _rounded(p.score), "failed": p.failed} for p in result.by_point],
        "by_department": [{"department_code": d.department_code, "points_lost": _rounded(d.points_lost)}
                          for d in result.by_department],
        "never_visited": result.never_visited,
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _near(args: PointsQuery) -> tuple[tuple[float, float] | None, float | None]:
    if args.near is None:
        if args.radius_m is not None:
            raise ValidationFailed(_("radius_m needs near=lat,lon."), field="radius_m")
        return None, None
    try:
        lat, lon = (float(v) for v in args.near.split(","))
    except ValueError:
        lat = lon = math.nan
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationFailed(_("near must be lat,lon in degrees."), field="near")
    return (lat, lon), DEFAULT_RADIUS_M if args.radius_m is None else args.radius_m
