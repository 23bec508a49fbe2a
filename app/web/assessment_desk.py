"""A department's view of the mock field assessment (issue 14, contract: "departments see the points
they are responsible for and their points lost"): the checklist points its tickets cost, its part of
the county's lost field points, where (the failed items charged to it, at any point) and its own
points, scored or never visited. ?start&end as the score page (default this week and the three
before); the numbers come from app/services/assessment/report.py, as the campaign office's.
"""
from __future__ import annotations

from flask import render_template

from app.models import Role
from app.security import current_actor, page_auth
from app.services.assessment import report as reporting
from app.timeutil import now_utc
from app.web import bp
from app.web.assessment_score import period_args


@bp.get("/desk/assessment")
@page_auth(Role.DEPARTMENT)
def desk_assessment():
    now = now_utc()
    first, last = period_args(now)
    view = reporting.for_department(first, last, current_actor().department_id, now=now)
    return render_template("supervise/assessment/desk.html", view=view,
                           query={"start": first.isoformat(), "end": last.isoformat()})
