"""Supervisor pages for random draws (issue 14 §4): make a draw, assign its points, watch progress.

Thin over app/services/assessment/draws.py, like the API: a refused form is shown again with its
message (422), never a 500. Form numbers arrive as text; digits become integers here and anything
else goes to the service as it came, which refuses it naming the field.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.errors import Conflict, ValidationFailed
from app.extensions import db
from app.models import Area, LocationType, Role
from app.security import current_actor, page_auth
from app.services.assessment import draws
from app.timeutil import now_utc, to_local
from app.web import bp

SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)
ASSIGNEE = "assignee:"  # the hand assignment form's field prefix, one select per drawn point


def _number(text: str, digits: int):
    """Digits as an int, blank as None, anything else as the text itself (for the service to refuse)."""
    text = (text or "").strip()
    if text == "":
        return None
    return int(text) if text.isascii() and text.isdigit() and len(text) <= digits else text


def _types() -> list[LocationType]:
    return list(db.session.scalars(sa.select(LocationType).order_by(LocationType.code)))


def _spec_from_form(types: list[LocationType]) -> draws.DrawSpec:
    per_type = _number(request.form.get("per_type", ""), 6)
    if per_type is None:
        per_type = {t.code: n for t in types if (n := _number(request.form.get(f"n_{t.code}", ""), 6)) is not None}
    return draws.DrawSpec(request.form.get("name", ""), per_type, _number(request.form.get("seed", ""), 17),
                          request.form.get("due", ""))


def _list_page(error: ValidationFailed | None = None, status: int = 200):
    actor = current_actor()
    rows = draws.list_draws(actor)
    summary = draws.summaries(rows)
    today = to_local(now_utc()).date()
    return render_template("supervise/assessment/draws.html", draws=rows, summary=summary, types=_types(),
                           today=today, is_open=draws.is_open, form=request.form, error=error,
                           max_per_type=draws.MAX_PER_TYPE), status


@bp.get("/supervise/assessment/draws")
@page_auth(*SUPERVISORS)
def draw_list():
    return _list_page()


@bp.post("/supervise/assessment/draws")
@page_auth(*SUPERVISORS)
def draw_create():
    try:
        draw = draws.create_draw(_spec_from_form(_types()), current_actor(), now_utc())
    except ValidationFailed as refused:
        db.session.rollback()
        return _list_page(refused, 422)
    db.session.commit()
    flash(_("Drew %(n)d points (seed %(seed)s).", n=len(draw.points), seed=draw.seed), "success")
    return redirect(url_for("web.draw_detail", draw_id=draw.id), 303)


def _detail_page(draw_id: int, error: ValidationFailed | Conflict | None = None, status: int = 200):
    draw = draws.get_draw(draw_id, current_actor())
    today = to_local(now_utc()).date()
    return render_template("supervise/assessment/draw.html", draw=draw, progress=draws.progress(draw),
                           inspectors=draws.inspectors(), is_open=draws.is_open(draw, today), error=error,
                           assignee_prefix=ASSIGNEE, types={t.code: t for t in _types()},
                           areas={a.code: a for a in db.session.scalars(sa.select(Area))}), status


@bp.get("/supervise/assessment/draws/<int:draw_id>")
@page_auth(*SUPERVISORS)
def draw_detail(draw_id: int):
    return _detail_page(draw_id)


@bp.post("/supervise/assessment/draws/<int:draw_id>/assign")
@page_auth(*SUPERVISORS)
def draw_assign(draw_id: int):
    actor, now = current_actor(), now_utc()
    draw = draws.get_draw(draw_id, actor)
    try:
        if request.form.get("mode") == "even":
            chosen = request.form.getlist("inspectors")
            changed = draws.assign_evenly(draw, chosen or None, actor, now)
        else:
            plan = {key[len(ASSIGNEE):]: value or None for key, value in request.form.items()
                    if key.startswith(ASSIGNEE)}
            changed = draws.assign_by_hand(draw, plan, actor, now)
    except (ValidationFailed, Conflict) as refused:
        db.session.rollback()
        return _detail_page(draw_id, refused, refused.status)
    db.session.commit()
    flash(_("%(n)d assignment(s) changed.", n=changed), "success")
    return redirect(url_for("web.draw_detail", draw_id=draw_id), 303)


@bp.post("/supervise/assessment/draws/<int:draw_id>/cancel")
@page_auth(*SUPERVISORS)
def draw_cancel(draw_id: int):
    actor = current_actor()
    draws.cancel_draw(draws.get_draw(draw_id, actor), actor, now_utc())
    db.session.commit()
    flash(_("The draw was cancelled: no more reminders, and it is off the inspectors' lists."), "success")
    return redirect(url_for("web.draw_detail", draw_id=draw_id), 303)
