"""Ticket list and ticket detail pages, with the actions the viewer may take."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from app.errors import DomainError
from app.extensions import db
from app.models import Category, Department, Role, TicketStatus
from app.params import ticket_filter
from app.security import current_actor, page_auth
from app.services import ticket_queries
from app.services.access import get_visible_ticket
from app.services.tickets import ActionInput, allowed_actions, transition
from app.timeutil import now_utc
from app.web import bp
from app.web.forms import ActionForm


def _handling_departments():
    return db.session.scalars(sa.select(Department).where(Department.active, ~Department.is_placeholder)
                              .order_by(Department.code)).all()


@bp.get("/tickets")
@page_auth()
def ticket_list():
    actor = current_actor()
    flt = ticket_filter()
    if actor.role == Role.DEPARTMENT:
        flt.department = None  # the scope already limits it to the own department
    now = now_utc()
    tickets, total = ticket_queries.list_tickets(actor, flt, now)
    pages = max(1, -(-total // flt.per_page))
    categories = db.session.scalars(sa.select(Category).where(Category.active).order_by(Category.code)).all()
    departments = _handling_departments() if actor.is_supervisor else []
    return render_template("tickets/list.html", tickets=tickets, total=total, flt=flt, pages=pages, now=now,
                           statuses=[s.value for s in TicketStatus], categories=categories,
                           departments=departments, args=request.args)


@bp.get("/tickets/<int:ticket_id>")
@page_auth()
def ticket_detail(ticket_id: int):
    actor = current_actor()
    ticket = get_visible_ticket(ticket_id, actor)
    photos = ticket_queries.ticket_photos(ticket)
    names = ticket_queries.usernames([ticket.reporter_id, *(e.actor_id for e in ticket.events)])
    actions = allowed_actions(ticket, actor)
    form = ActionForm()
    form.department_code.choices = [(d.code, d.name_zh) for d in _handling_departments()]
    return render_template("tickets/detail.html", ticket=ticket, photos=photos, names=names,
                           actions=actions, form=form, now=now_utc())


@bp.post("/tickets/<int:ticket_id>/action")
@page_auth()
def ticket_action(ticket_id: int):
    actor = current_actor()
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("The form was incomplete; nothing was changed."), "error")
        return redirect(url_for("web.ticket_detail", ticket_id=ticket_id))
    data = ActionInput(action=form.action.data, version=form.version.data, note=form.note.data or "",
                       photos=request.form.getlist("photos"),
                       department_code=form.department_code.data or None,
                       duplicate_of=form.duplicate_of.data or None)
    try:
        transition(ticket_id, data, actor)
        db.session.commit()
        flash(_("Done."), "success")
    except StaleDataError:
        db.session.rollback()
        flash(_("The ticket was changed by someone else; here is its current state."), "error")
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        flash(exc.message, "error")
    return redirect(url_for("web.ticket_detail", ticket_id=ticket_id))
