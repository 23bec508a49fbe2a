"""Re-inspection tasks for inspectors and supervisors: close with a photo, or reopen for rework."""
from __future__ import annotations

from flask import render_template

from app.models import Role
from app.params import page_arg
from app.security import current_actor, page_auth
from app.services.tickets import queries as ticket_queries
from app.services.tickets import recheck
from app.web import bp


@bp.get("/recheck")
@page_auth(Role.INSPECTOR, Role.SUPERVISOR, Role.ADMIN)
def recheck_tasks():
    actor = current_actor()
    page = page_arg()
    tickets, total = recheck.tasks(actor, page=page)
    photos = {t.id: ticket_queries.ticket_photos(t) for t in tickets}
    return render_template("tickets/recheck.html", tickets=tickets, total=total, photos=photos, page=page,
                           pages=max(1, -(-total // 50)), photo_required=actor.role == Role.INSPECTOR)
