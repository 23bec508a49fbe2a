"""Random draws of inspection points (issue 14 §4): make, assign, follow; an inspector's own assignments.

Supervisors and admins manage and see every draw; an inspector sees only its own assignments
(`GET /assessment/assignments`); departments nothing (403: the role may never, decision 0002).
`seed` is a JSON integer from 0 to 2**53 − 1 (exact in JavaScript); absent, the server picks one
and returns it. `per_type` is an integer from 1 to 500 for every type, or {type code: integer}.
"""
from __future__ import annotations

from flask_babel import gettext as _

from app.api import bp
from app.errors import ValidationFailed
from app.extensions import db
from app.models import Draw, Role
from app.schemas.bodies import AssignIn, DrawIn, request_body
from app.security import api_auth, current_actor
from app.services.assessment import draws
from app.timeutil import iso, now_utc

SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)


def _draw_head(draw: Draw, summary: tuple[int, int] | None = None) -> dict:
    head = {"id": draw.id, "name": draw.name, "seed": draw.seed, "per_type": draw.per_type,
            "due": draw.due.isoformat() if draw.due else None, "created_at": iso(draw.created_at),
            "created_by": draw.created_by.username if draw.created_by else None,
            "cancelled_at": iso(draw.cancelled_at)}
    if summary is not None:
        head["progress"] = {"points": summary[0], "visited": summary[1]}
    return head


def _point(p: draws.DrawnPoint) -> dict:
    return {"code": p.code, "name": p.name, "location_type": p.location_type, "area_code": p.area_code,
            "department_code": p.department_code, "assignee": p.assignee, "visited_at": iso(p.visited_at)}


@bp.post("/assessment/draws")
@api_auth(*SUPERVISORS)
def create_draw():
    body = request_body(DrawIn)
    spec = draws.DrawSpec(body.name, body.per_type, body.seed, body.due)
    draw = draws.create_draw(spec, current_actor(), now_utc())
    answer = {**_draw_head(draw), "points": draws.draw_point_codes(draw)}
    db.session.commit()
    return answer, 201


@bp.get("/assessment/draws")
@api_auth(*SUPERVISORS)
def list_draws():
    rows = draws.list_draws(current_actor())
    summary = draws.summaries(rows)
    return {"draws": [_draw_head(d, summary[d.id]) for d in rows]}


@bp.get("/assessment/draws/<int:draw_id>")
@api_auth(*SUPERVISORS)
def get_draw(draw_id: int):
    draw = draws.get_draw(draw_id, current_actor())
    result = draws.progress(draw)
    return {**_draw_head(draw), "points": [_point(p) for p in result.points], "progress": {
        "points": result.total, "visited": result.visited,
        "by_location_type": [{"location_type": t.key, "points": t.points, "visited": t.visited}
                             for t in result.by_location_type],
        "by_inspector": [{"username": t.key, "points": t.points, "visited": t.visited} for t in result.by_inspector],
    }}


@bp.post("/assessment/draws/<int:draw_id>/assign")
@api_auth(*SUPERVISORS)
def assign_draw(draw_id: int):
    body = request_body(AssignIn)
    given = body.model_fields_set  # a key sent as null still counts as sent
    actor, now = current_actor(), now_utc()
    draw = draws.get_draw(draw_id, actor)
    if "assignments" in given and "mode" in given:
        raise ValidationFailed(_("Send either assignments or mode, not both."), field="mode")
    if "assignments" in given:
        changed = draws.assign_by_hand(draw, body.assignments, actor, now)
    elif body.mode == "even":
        changed = draws.assign_evenly(draw, body.inspectors, actor, now)
    else:
        raise ValidationFailed(_('Send {"assignments": {point code: username}} or {"mode": "even"}.'),
                               field="mode")
    db.session.commit()
    return {"id": draw.id, "changed": changed}


@bp.post("/assessment/draws/<int:draw_id>/cancel")
@api_auth(*SUPERVISORS)
def cancel_draw(draw_id: int):
    actor = current_actor()
    draw = draws.cancel_draw(draws.get_draw(draw_id, actor), actor, now_utc())
    db.session.commit()
    return _draw_head(draw)


@bp.get("/assessment/assignments")
@api_auth(Role.INSPECTOR, *SUPERVISORS)
def my_assignments():
    """The caller's points of open draws, with the fields of GET /points, so the PWA can keep them offline."""
    rows = draws.assignments_for(current_actor(), now_utc())
    last = draws.last_visits([a.point.code for a in rows])
    return {"assignments": [{
        "draw_id": a.draw_id, "draw_name": a.draw_name, "due": a.due.isoformat() if a.due else None,
        "code": a.point.code, "name": a.point.name, "location_type": a.point.location_type,
        "lat": a.point.lat, "lon": a.point.lon, "area_code": a.point.area_code,
        "department_code": a.point.department_code, "last_visited_at": iso(last.get(a.point.code)),
        "visited_at": iso(a.point.visited_at),
    } for a in rows]}
