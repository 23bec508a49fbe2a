"""Assessment visits: the list (supervisors all, an inspector its own) and voiding a wrong visit
(supervisors and admins). Visits arrive through POST /api/v1/sync (docs/sync-protocol.md)."""
from __future__ import annotations

from app.api import bp
from app.extensions import db
from app.models import Role
from app.schemas.bodies import VoidIn, request_body
from app.schemas.params import VisitsQuery, query
from app.security import api_auth, current_actor
from app.services.assessment import visits
from app.services.assessment.score import check_period
from app.timeutil import iso, now_utc


@bp.get("/assessment/visits")
@api_auth(Role.INSPECTOR, Role.SUPERVISOR, Role.ADMIN)
def list_visits():
    args = query(VisitsQuery)
    period, page = check_period(args.start, args.end), args.page
    rows, total = visits.list_visits(current_actor(), period, flagged=args.flagged, page=page)
    return {"visits": [{
        "id": v.id, "client_id": v.client_id, "point_code": v.point_code, "point_name": v.point_name,
        "inspector": v.inspector, "checklist_version": v.checklist_version, "started_at": iso(v.started_at),
        "finished_at": iso(v.finished_at), "received_at": iso(v.received_at), "distance_m": v.distance_m,
        "flagged_far": v.flagged_far, "voided": v.voided_at is not None, "voided_at": iso(v.voided_at),
        "void_reason": v.void_reason, "failed": v.failed, "tickets": v.tickets,
    } for v in rows], "total": total, "page": page, "page_size": visits.PAGE_SIZE}


@bp.post("/assessment/visits/<int:visit_id>/void")
@api_auth()
def void_visit(visit_id: int):
    body = request_body(VoidIn)
    visit = visits.void(visit_id, body.reason, current_actor(), now_utc())
    db.session.commit()
    return {"id": visit.id, "voided": True, "voided_at": iso(visit.voided_at), "void_reason": visit.void_reason}

