"""The mock field assessment's score page for the campaign office, and its XLSX and PDF exports.

?start=YYYY-MM-DD&end=YYYY-MM-DD (local days, inclusive; both or neither: default this week and
the three before it) and ?draw=ID. The numbers come from app/services/assessment/report.py, so
page and files agree.
"""
from __future__ import annotations

from datetime import date
from urllib.parse import quote

from flask import Response, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _

from app.errors import ValidationFailed
from app.models import Role
from app.params import date_arg, whole_number
from app.security import page_auth
from app.services.assessment import report as reporting
from app.services.assessment import score_pdf, score_xlsx
from app.timeutil import now_utc, to_local
from app.web import bp

SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_LOCALE = "zh_Hans_CN"  # the report the campaign office files is in Chinese, whatever the page's language


def period_args(now) -> tuple[date, date]:
    """?start&end (local days; both or neither: default this week and the three before it)."""
    first, last = date_arg("start"), date_arg("end")
    if first or last:
        if not (first and last):
            raise ValidationFailed(_("Give the period as two dates, YYYY-MM-DD."), field="end" if first else "start")
        return first, last
    return reporting.default_period(to_local(now).date())


def _args(now) -> tuple[date, date, int | None]:
    first, last = period_args(now)
    raw = request.args.get("draw", "")
    draw = None
    if raw != "":
        draw = whole_number(raw)
        if draw is None:
            raise ValidationFailed(_("%(name)s must be a whole number.", name="draw"), field="draw")
    return first, last, draw


def _query(first: date, last: date, draw: int | None) -> dict:
    return {"start": first.isoformat(), "end": last.isoformat(), **({"draw": draw} if draw is not None else {})}


def _disposition(first: date, last: date, suffix: str) -> str:
    """attachment; an ASCII name for old clients, the Chinese one as RFC 5987 filename*."""
    ascii_name = f"assessment-{first.isoformat()}-{last.isoformat()}.{suffix}"
    name = _("mock-assessment-%(start)s-to-%(end)s", start=first.isoformat(), end=last.isoformat()) + f".{suffix}"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


@bp.get("/supervise/assessment")
@page_auth(*SUPERVISORS)
def assessment_score_page():
    now = now_utc()
    first, last, draw = _args(now)
    report = reporting.build(first, last, draw, now=now)
    return render_template("supervise/assessment/score.html", report=report, query=_query(first, last, draw),
                           formula=reporting.formula_lines(), draws=reporting.draw_choices(),
                           max_weeks=reporting.MAX_WEEKS)


@bp.get("/supervise/assessment/score.xlsx")
@page_auth(*SUPERVISORS)
def assessment_score_xlsx():
    now = now_utc()
    first, last, draw = _args(now)
    report = reporting.build(first, last, draw, now=now)
    data = score_xlsx.workbook(report, reporting.formula_lines())
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": _disposition(first, last, "xlsx")})


@bp.get("/supervise/assessment/score.pdf")
@page_auth(*SUPERVISORS)
def assessment_score_pdf():
    now = now_utc()
    first, last, draw = _args(now)
    with force_locale(PDF_LOCALE):
        report = reporting.build(first, last, draw, now=now)
        data = score_pdf.render(report, reporting.formula_lines(), now)
        disposition = _disposition(first, last, "pdf")
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": disposition})
