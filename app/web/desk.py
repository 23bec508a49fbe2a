"""The department desk: its own queue by deadline, filters, search, and bulk accept."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.extensions import db
from app.models import Area, Category, Role, TicketStatus
from app.params import date_arg, page_arg, whole_number
from app.security import current_actor, page_auth
from app.services.tickets import desk
from app.services.tickets import queries as ticket_queries
from app.services.tickets.queries import TicketFilter
from app.timeutil import local_zone, now_utc
from app.web import bp
from app.web.forms import PostForm
from app.web.tickets import due_soon_before


def _start_of(day: date | None) -> datetime | None:
    return datetime.combine(day, time(0), tzinfo=local_zone()) if day else None


def desk_filter() -> TicketFilter:
    """The desk's query string: status, category, area, received period (local days) and search."""
    status = request.args.get("status") or ""
    day_to = date_arg("to")  # bounded years: the day after it never overflows
    return TicketFilter(
        statuses=[status] if status else desk.QUEUE_STATUSES,
        category=request.args.get("category") or None,
        area=request.args.get("area") or None,
        search=request.args.get("q") or None,
        received_from=_start_of(date_arg("from")),
        received_to=_start_of(day_to + timedelta(days=1)) if day_to else None,
        sort="due_at",
        page=page_arg(),
    )


@bp.get("/desk")
@page_auth(Role.DEPARTMENT)
def desk_queue():
    actor = current_actor()
    flt = desk_filter()
    now = now_utc()
    tickets, total = ticket_queries.list_tickets(actor, flt, now)
    return render_template(
        "tickets/desk.html", tickets=tickets, total=total, flt=flt, pages=max(1, -(-total // flt.per_page)),
        now=now, due_soon_before=due_soon_before(now), args=request.args,
        statuses=[s.value for s in TicketStatus],
        categories=db.session.scalars(sa.select(Category).where(Category.active).order_by(Category.code)).all(),
        areas=db.session.scalars(sa.select(Area).where(Area.kind != "county").order_by(Area.code)).all(),
    )


def _selected() -> list[tuple[int, int]]:
    """Checked rows as (ticket id, version the page showed), from values "id:version"."""
    items = []
    for value in request.form.getlist("ticket"):
        ticket_id, _sep, version = value.partition(":")
        ticket_id, version = whole_number(ticket_id), whole_number(version)
        if ticket_id is not None and version is not None:
            items.append((ticket_id, version))
    return items


@bp.post("/desk/accept")
@page_auth(Role.DEPARTMENT)
def desk_accept():
    back = url_for("web.desk_queue")
    if not PostForm().validate_on_submit():
        flash(_("The form was incomplete; nothing was changed."), "error")
        return redirect(back)
    results = desk.accept_many(_selected(), current_actor(), now_utc())
    db.session.commit()
    accepted = sum(r.outcome == "accepted" for r in results)
    skipped = len(results) - accepted
    flash(ngettext("%(num)d ticket accepted.", "%(num)d tickets accepted.", accepted), "success")
    if skipped:
        flash(ngettext("%(num)d ticket was not accepted: it changed meanwhile or cannot be accepted now.",
                       "%(num)d tickets were not accepted: they changed meanwhile or cannot be accepted now.",
                       skipped), "error")
    return redirect(back)
