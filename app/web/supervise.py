"""Supervisor pages: dashboard, map, department ranking (通报), exports and assignment slips."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Response, current_app, render_template, request, stream_with_context
from flask_babel import gettext as _

from app.errors import ValidationFailed
from app.extensions import db
from app.labels import STATUS_LABELS
from app.models import Area, Category, Department, Role, TicketStatus
from app.params import date_arg, ticket_filter, whole_number
from app.security import current_actor, page_auth
from app.services.supervision import (
    basemap,
    bulletin,
    bulletin_docx,
    bulletin_pdf,
    exports,
    kpis,
    ranking,
    slip_numbers,
    slips,
)
from app.services.supervision.kpis import Period
from app.services.supervision.tiles import usable_settings
from app.timeutil import now_utc, to_local
from app.web import bp
from app.web.downloads import attachment
from app.web.links import ticket_link

SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)
PERIOD_DAYS = (7, 30, 90, 365)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _period(now: datetime) -> Period:
    """?start=YYYY-MM-DD&end=YYYY-MM-DD (local days, inclusive), else ?days=N (default 30) up to today."""
    # date_arg bounds the years, so neither the day after `end` nor the previous period overflows.
    first, last = date_arg("start"), date_arg("end")
    if first or last:
        return Period.checked(first, last)
    days = whole_number(request.args.get("days", "30"))
    if days not in PERIOD_DAYS:
        raise ValidationFailed(_("Choose a period of 7, 30, 90 or 365 days."), field="days")
    return Period.last_days(days, now)


def _period_label(period: Period) -> str:
    last = to_local(period.end) - timedelta(days=1)
    return f"{to_local(period.start):%Y-%m-%d} – {last:%Y-%m-%d}"


def _names(by: str) -> dict[int, object]:
    model = {"department": Department, "category": Category, "area": Area}[by]
    return {row.id: row for row in db.session.scalars(sa.select(model))}


@bp.get("/supervise")
@page_auth(*SUPERVISORS)
def supervise_dashboard():
    now = now_utc()
    period = _period(now)
    by = request.args.get("by", "department")
    if by not in kpis.GROUPINGS:
        raise ValidationFailed(_("Group by department, category or area."), field="by")
    overall = kpis.kpis(period, now)[None]
    groups = kpis.kpis(period, now, by=by)
    names = _names(by)
    rows = sorted(((names.get(key), kpi) for key, kpi in groups.items()),
                  key=lambda item: (-(item[1].open + item[1].new), getattr(item[0], "code", "~")))
    trend = kpis.trend(period)
    chart = {"days": [d.isoformat() for d in trend.days], "new": trend.new, "resolved": trend.resolved,
             "labels": {"new": _("New"), "resolved": _("Resolved")}}
    return render_template("supervise/dashboard.html", overall=overall, rows=rows, by=by, chart=chart,
                           period_label=_period_label(period), days=PERIOD_DAYS, args=request.args)


@bp.get("/supervise/map")
@page_auth(*SUPERVISORS)
def supervise_map():
    config = current_app.config
    categories = db.session.scalars(sa.select(Category).where(Category.active).order_by(Category.code)).all()
    departments = db.session.scalars(sa.select(Department).where(Department.active, ~Department.is_placeholder)
                                     .order_by(Department.code)).all()
    areas = db.session.scalars(sa.select(Area).where(Area.kind != "county").order_by(Area.code)).all()
    return render_template(
        "supervise/map.html", categories=categories, departments=departments, areas=areas,
        statuses=[s.value for s in TicketStatus], args=request.args, days=PERIOD_DAYS,
        status_labels={s.value: str(STATUS_LABELS[s.value]) for s in TicketStatus},
        tiles={**usable_settings(config).as_dict(), "offline_layers": basemap.offline_layers()})


@bp.get("/supervise/ranking")
@page_auth(*SUPERVISORS)
def supervise_ranking():
    now = now_utc()
    period = _period(now)
    rules = ranking.RankingRules.from_config(current_app.config)
    return render_template("supervise/ranking.html", ranking=ranking.department_ranking(period, now, rules),
                           formula=ranking.formula_text(rules), period_label=_period_label(period),
                           previous_label=_period_label(period.previous()), days=PERIOD_DAYS, args=request.args)


def _ranking_download(period: Period, suffix: str) -> dict[str, str]:
    """通报-2026-11-24至2026-11-30.xlsx: what and when."""
    first, last = period.first_day.isoformat(), period.last_day.isoformat()
    return attachment(_("bulletin-%(start)s-to-%(end)s", start=first, end=last) + f".{suffix}",
                      f"bulletin-{first}-{last}.{suffix}")


@bp.get("/supervise/ranking.xlsx")
@page_auth(*SUPERVISORS)
def supervise_ranking_xlsx():
    now = now_utc()
    period = _period(now)
    rules = ranking.RankingRules.from_config(current_app.config)
    title = _("Department ranking %(period)s", period=_period_label(period))
    data = exports.ranking_xlsx(ranking.department_ranking(period, now, rules), title, ranking.formula_text(rules))
    return Response(data, mimetype=XLSX, headers=_ranking_download(period, "xlsx"))


@bp.get("/supervise/ranking.csv")
@page_auth(*SUPERVISORS)
def supervise_ranking_csv():
    now = now_utc()
    period = _period(now)
    rules = ranking.RankingRules.from_config(current_app.config)
    data = exports.ranking_csv(ranking.department_ranking(period, now, rules))
    return Response(data.encode("utf-8"), mimetype="text/csv", headers=_ranking_download(period, "csv"))


@bp.get("/supervise/bulletin.<any(docx, pdf):fmt>")
@page_auth(*SUPERVISORS)
def supervise_bulletin(fmt: str):
    """The weekly 通报 of a period (?start=&end=, else ?days=), as Word to edit or PDF to file."""
    now = now_utc()
    period = _period(now)
    document = bulletin.build(period, now, ranking.RankingRules.from_config(current_app.config),
                              bulletin.Thresholds.from_config(current_app.config))
    issuer = bulletin.issuer(current_app.config.get("CAMPAIGN_OFFICE_CODE", "CCB"))
    render = bulletin_docx.render if fmt == "docx" else bulletin_pdf.render
    mimetype = DOCX if fmt == "docx" else "application/pdf"
    return Response(render(document, issuer), mimetype=mimetype, headers=_ranking_download(period, fmt))


@bp.get("/supervise/export.<any(csv, xlsx):fmt>")
@page_auth(*SUPERVISORS)
def supervise_export(fmt: str):
    """Tickets matching the ticket-list filters (status, category, department, area, overdue, from, to, q)."""
    now = now_utc()
    actor = current_actor()
    flt = ticket_filter()
    stamp = f"{to_local(now):%Y-%m-%d-%H%M}"  # what and when: 工单-2026-11-30-0930.xlsx
    headers = attachment(_("tickets-%(time)s", time=stamp) + f".{fmt}", f"tickets-{stamp}.{fmt}")
    if fmt == "csv":
        chunks = exports.tickets_csv(exports.ticket_rows(actor, flt, now, ticket_link))
        body = stream_with_context(chunk.encode("utf-8") for chunk in chunks)
        return Response(body, mimetype="text/csv", headers=headers)
    spooled = exports.tickets_xlsx(exports.ticket_rows(actor, flt, now, ticket_link),
                                  exports.export_title(_("Tickets"), now))
    return Response(exports.read_and_close(spooled), mimetype=XLSX, headers=headers)


@bp.get("/supervise/slips.pdf")
@page_auth(*SUPERVISORS)
def supervise_slips():
    """?department=CODE (repeatable) and/or ?ids=1,2,3; without ids: every open and overdue ticket."""
    now = now_utc()
    # ?ids=1,2 as typed, or ?ids=1&ids=2 as a list's "print slips" form sends them.
    ids = [whole_number(i.strip()) for value in request.args.getlist("ids") for i in value.split(",") if i.strip()]
    if None in ids:  # an id no ticket can have: say so, rather than print every open ticket instead
        raise ValidationFailed(_("%(name)s must be a whole number.", name="ids"), field="ids")
    if request.args.get("selected") and not ids:  # the form sent nothing chosen: not every open ticket
        raise ValidationFailed(_("Select at least one ticket to print its slip."), field="ids")
    codes = request.args.getlist("department") or None
    sections = slips.sections_for(now, department_codes=codes, ticket_ids=ids or None)
    actor = current_actor()
    # The issuing office: the supervisor's own unit, else the campaign office (never a role's name).
    office = current_app.config.get("CAMPAIGN_OFFICE_CODE", "CCB")
    issuer = db.session.get(Department, actor.department_id).name_zh if actor.department_id \
        else bulletin.issuer(office)
    prefix = current_app.config["SLIP_NUMBER_PREFIX"]
    year = to_local(now).year
    numbers = slip_numbers.numbers_for([t.id for section in sections for t in section.tickets], now)
    pdf = slips.render(sections, now, ticket_link, issuer,
                       {tid: slip_numbers.document_number(prefix, year, n) for tid, n in numbers.items()})
    db.session.commit()  # the numbers are given once the slips exist
    stamp = f"{to_local(now):%Y-%m-%d-%H%M}"
    headers = attachment(_("slips-%(time)s", time=stamp) + ".pdf", f"slips-{stamp}.pdf", "inline")
    return Response(pdf, mimetype="application/pdf", headers=headers)
