"""The ticket list, the ticket page, and the form posts that act on a ticket (every role)."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from app.errors import DomainError
from app.extensions import db
from app.models import Category, Department, Role, TicketStatus
from app.params import ticket_filter
from app.security import current_actor, page_auth
from app.services.photos import evidence
from app.services.photos import store as photos
from app.services.reports import addresses, geo
from app.services.supervision.gcj02 import Datum
from app.services.supervision.tiles import usable_settings
from app.services.tickets import navigation, triage
from app.services.tickets import queries as ticket_queries
from app.services.tickets.access import get_visible_ticket
from app.services.tickets.transitions import ActionInput, allowed_actions, transition
from app.timeutil import now_utc
from app.web import bp
from app.web.forms import ActionForm, SplitForm

# What the page says after an action went through (anything else: "Done.").
DONE = {
    "resolve": _l("Resolved: the ticket now waits for the inspector to re-inspect it on site."),
    "accept": _l("Accepted: the deadline is running for your department."),
    "return": _l("Returned to the campaign office with your reason."),
    "close": _l("Closed: the problem is gone."),
    "reopen": _l("Reopened: the department must rectify it again."),
    "assign": _l("Assigned to the department."),
}


@bp.app_template_global()
def done_message() -> str | None:
    """The confirmation of an action the page's script posted to the API (?done=<action>, see
    static/js/photo-action.js); a form's own post says it with a flash instead."""
    action = request.args.get("done")
    return str(DONE[action]) if action in DONE else None


def _navigation(ticket) -> list[tuple[str, str]]:
    name = f"{ticket.case_number} {ticket.category.name_zh}"
    return [(_("Open in AMap"), navigation.amap_marker(ticket.lat, ticket.lon, name)),
            (_("Open in Baidu Maps"), navigation.baidu_marker(ticket.lat, ticket.lon, name, ticket.address))]


def handling_departments():
    return db.session.scalars(sa.select(Department).where(Department.active, ~Department.is_placeholder)
                              .order_by(Department.code)).all()


def local_target(target: str | None, fallback: str) -> str:
    """Follow a `next` only if it stays on this site."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return fallback


def due_soon_before(now):
    """Tickets due before this (and not yet overdue) are marked "due soon"."""
    return now + timedelta(hours=current_app.config["DUE_SOON_HOURS"])


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
    departments = handling_departments() if actor.is_supervisor else []
    return render_template("tickets/list.html", tickets=tickets, total=total, flt=flt, pages=pages, now=now,
                           statuses=[s.value for s in TicketStatus], categories=categories,
                           departments=departments, args=request.args, can_print_slips=actor.is_supervisor)


def render_detail(ticket_id: int, *, draft: dict | None = None, status: int = 200):
    """The ticket page; `draft` refills a form that was refused, so nothing typed or uploaded is lost."""
    actor = current_actor()
    ticket = get_visible_ticket(ticket_id, actor)
    now = now_utc()
    events = ticket.events
    names = ticket_queries.usernames([ticket.reporter_id, *(e.actor_id for e in events)])
    repeats = [(r, geo.distance_m((r.lat, r.lon), (ticket.lat, ticket.lon))) for r in triage.repeats_of(ticket)]
    names.update(ticket_queries.usernames(r.reporter_id for r, _distance in repeats))
    # Evidence flags with their reasons, for supervisors only (docs/design.md §5).
    flags = [(f, evidence.describe(f)) for f in evidence.flags_for(ticket)] if actor.is_supervisor else []
    tiles = usable_settings(current_app.config)
    map_lat, map_lon = Datum(tiles.datum).to_display(ticket.lat, ticket.lon)
    return render_template(
        "tickets/detail.html", ticket=ticket, photos=ticket_queries.ticket_photos(ticket), names=names,
        events=events, repeats=repeats, actions=allowed_actions(ticket, actor), now=now,
        due_soon_before=due_soon_before(now), departments=handling_departments(), evidence_flags=flags,
        can_split=actor.is_supervisor and ticket.is_open, draft=draft or {}, map_lat=map_lat, map_lon=map_lon,
        map_tiles=tiles.as_dict(),
        photo_required=_photo_required(actor), navigation=_navigation(ticket), place=addresses.place_name(ticket),
    ), status


def _photo_required(actor) -> set[str]:
    """Actions whose form must carry a photo for this viewer (tickets.transition enforces it)."""
    return {"resolve", "close"} if actor.role == Role.INSPECTOR else {"resolve"}


@bp.get("/tickets/<int:ticket_id>")
@page_auth()
def ticket_detail(ticket_id: int):
    return render_detail(ticket_id)


def _store_uploads(hashes: list[str]) -> None:
    """Add the files sent with the form (the no-script path) to `hashes`, committing each one,
    so a refusal later (a bad second file, a stale version) never loses the ones stored."""
    for upload in request.files.getlist("photo_files"):
        data = upload.read()
        if data:
            photo, _created = photos.store_photo(data, None, upload.mimetype, current_actor())
            db.session.commit()
            if photo.sha256 not in hashes:
                hashes.append(photo.sha256)


@bp.post("/tickets/<int:ticket_id>/action")
@page_auth()
def ticket_action(ticket_id: int):
    actor = current_actor()
    form = ActionForm()
    back = local_target(request.form.get("next"), url_for("web.ticket_detail", ticket_id=ticket_id))
    if not form.validate_on_submit():
        flash(_("The form was incomplete; nothing was changed."), "error")
        return redirect(back)
    # Hashes the page's script uploaded already, or that a refused post stored and offers again.
    hashes = list(dict.fromkeys(h.lower() for h in request.form.getlist("photos") if h))
    draft = {"action": form.action.data, "note": form.note.data or "", "photos": hashes,
             "department_code": form.department_code.data or None, "duplicate_of": form.duplicate_of.data or None}
    try:
        _store_uploads(hashes)
        transition(ticket_id, ActionInput(version=form.version.data, **draft), actor)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        flash(_("The ticket was changed by someone else; here is its current state."), "error")
        return redirect(url_for("web.ticket_detail", ticket_id=ticket_id))
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404 and exc.code == "not_found":
            raise
        flash(exc.message, "error")
        return render_detail(ticket_id, draft=draft, status=exc.status)
    flash(str(DONE.get(form.action.data, _("Done."))), "success")
    return redirect(back)


@bp.post("/tickets/<int:ticket_id>/reports/<int:report_id>/split")
@page_auth(Role.SUPERVISOR, Role.ADMIN)
def split_repeat(ticket_id: int, report_id: int):
    form = SplitForm()
    if not form.validate_on_submit():
        flash(_("The form was incomplete; nothing was changed."), "error")
        return redirect(url_for("web.ticket_detail", ticket_id=ticket_id))
    new_ticket = triage.split_repeat(ticket_id, report_id, current_actor(), now_utc(), note=form.note.data or "")
    db.session.commit()
    flash(_("The repeat is now ticket %(case)s.", case=new_ticket.case_number), "success")
    return redirect(url_for("web.ticket_detail", ticket_id=new_ticket.id))
