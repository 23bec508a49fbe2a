"""The supervisors' list of assessment visits (issue 14 §3): the visits far from their point (or
without a position) flagged for review, and voiding a wrong one with its reason.

?start=YYYY-MM-DD&end=YYYY-MM-DD (local days, inclusive; default as the score page's), ?flagged=1
for the flagged visits only (the default), ?flagged=0 for all, ?page=N. Thin over
app/services/assessment/visits.py, like GET /api/v1/assessment/visits and its void.
"""
from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.errors import Conflict, ValidationFailed
from app.extensions import db
from app.models import Role
from app.params import page_arg
from app.security import current_actor, page_auth
from app.services.assessment import visits
from app.services.assessment.score import check_period
from app.timeutil import now_utc
from app.web import bp
from app.web.assessment_score import period_args

SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)


def _args() -> tuple[date, date, bool]:
    first, last = period_args(now_utc())
    flagged = request.args.get("flagged", "1")
    if flagged not in ("0", "1"):
        raise ValidationFailed(_("%(name)s must be 0 or 1.", name="flagged"), field="flagged")
    return first, last, flagged == "1"


def _page(error: ValidationFailed | Conflict | None = None, status: int = 200):
    first, last, flagged_only = _args()
    page = page_arg()
    period = check_period(first, last)
    rows, total = visits.list_visits(current_actor(), period, flagged=True if flagged_only else None, page=page)
    _, flagged_open = visits.list_visits(current_actor(), period, flagged=True, page=1) if not flagged_only \
        else (None, total)
    query = {"start": first.isoformat(), "end": last.isoformat(), "flagged": "1" if flagged_only else "0"}
    return render_template("supervise/assessment/visits.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // visits.PAGE_SIZE)), query=query, flagged_only=flagged_only,
                           flagged_total=flagged_open, far_m=visits.FAR_M, error=error,
                           max_reason=visits.MAX_REASON), status


@bp.get("/supervise/assessment/visits")
@page_auth(*SUPERVISORS)
def visit_list():
    return _page()


@bp.post("/supervise/assessment/visits/<int:visit_id>/void")
@page_auth(*SUPERVISORS)
def visit_void(visit_id: int):
    try:
        visit = visits.void(visit_id, request.form.get("reason", ""), current_actor(), now_utc())
    except (ValidationFailed, Conflict) as refused:
        db.session.rollback()
        return _page(refused, refused.status)
    code = visit.point.code
    db.session.commit()
    flash(_("The visit of %(code)s was voided: it no longer counts in the score.", code=code), "success")
    return redirect(url_for("web.visit_list", **{k: v for k, v in request.args.items()
                                                 if k in ("start", "end", "flagged", "page")}), 303)
