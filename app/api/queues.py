"""Work queues: the desk's bulk accept, the triage queues and split, re-inspection tasks."""
from __future__ import annotations

from app.api import bp
from app.api.serializers import photo_link, ticket_summary
from app.extensions import db
from app.models import Role
from app.schemas.bodies import AcceptIn, SplitIn, request_body
from app.schemas.params import PageQuery, query
from app.security import api_auth, current_actor
from app.services.tickets import desk, recheck, triage
from app.services.tickets import queries as ticket_queries
from app.timeutil import iso, now_utc


def _bulk_items(body: AcceptIn) -> list[tuple[int, int]]:
    return [(item.id, item.version) for item in body.tickets]


@bp.post("/tickets/accept")
@api_auth(Role.DEPARTMENT)
def accept_tickets():
    """Accept many tickets; each answers for itself: accepted, or why not."""
    results = desk.accept_many(_bulk_items(request_body(AcceptIn)), current_actor(), now_utc())
    db.session.commit()
    return {"results": [{"id": r.ticket_id, "outcome": r.outcome, "version": r.version} for r in results]}


@bp.get("/triage/<queue>")
@api_auth(Role.SUPERVISOR, Role.ADMIN)
def triage_queue(queue: str):
    now = now_utc()
    flt = triage.queue_filter(queue, query(PageQuery).page)
    tickets, total = ticket_queries.list_tickets(current_actor(), flt, now)
    reasons = triage.return_reasons([t.id for t in tickets]) if queue == "returned" else {}
    rows = [{**ticket_summary(t, now), "return_reason": reasons.get(t.id)} for t in tickets]
    return {"queue": queue, "tickets": rows, "total": total, "sizes": triage.queue_sizes(now)}


@bp.post("/tickets/<int:ticket_id>/reports/<int:report_id>/split")
@api_auth(Role.SUPERVISOR, Role.ADMIN)
def split_report(ticket_id: int, report_id: int):
    note = request_body(SplitIn).note
    new_ticket = triage.split_repeat(ticket_id, report_id, current_actor(), now_utc(), note=note)
    db.session.commit()
    return ticket_summary(new_ticket, now_utc()), 201


@bp.get("/recheck")
@api_auth(Role.INSPECTOR, Role.SUPERVISOR, Role.ADMIN)
def recheck_tasks():
    """Resolved tickets waiting for this user's re-inspection, with their before and after photos."""
    now = now_utc()
    tickets, total = recheck.tasks(current_actor(), page=query(PageQuery).page)
    rows = [{**ticket_summary(t, now), "resolved_at": iso(t.resolved_at), "version": t.version,
             "photos": [photo_link(p) for p in ticket_queries.ticket_photos(t)]} for t in tickets]
    return {"tickets": rows, "total": total}
