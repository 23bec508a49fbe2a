"""Supervisor triage: unrouted, returned and overdue queues, with a quick assign on each row."""
from __future__ import annotations

from flask import render_template, request

from app.models import Role
from app.params import page_arg
from app.security import current_actor, page_auth
from app.services.tickets import queries as ticket_queries
from app.services.tickets import triage
from app.timeutil import now_utc
from app.web import bp
from app.web.tickets import handling_departments


@bp.get("/triage")
@page_auth(Role.SUPERVISOR, Role.ADMIN)
def triage_queue():
    queue = request.args.get("queue") or "unrouted"
    flt = triage.queue_filter(queue, page=page_arg())
    now = now_utc()
    tickets, total = ticket_queries.list_tickets(current_actor(), flt, now)
    reasons = triage.return_reasons([t.id for t in tickets]) if queue == "returned" else {}
    return render_template(
        "tickets/triage.html", queue=queue, queues=triage.QUEUES, sizes=triage.queue_sizes(now),
        tickets=tickets, total=total, flt=flt, pages=max(1, -(-total // flt.per_page)), now=now,
        reasons=reasons, departments=handling_departments(), here=request.full_path.rstrip("?"),
    )
