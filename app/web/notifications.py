"""The notification centre: every role's list, open one (marks it read), mark all read."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.params import page_arg
from app.security import current_actor, page_auth
from app.services.notifications import centre as notify
from app.timeutil import now_utc
from app.web import bp
from app.web.forms import PostForm

PER_PAGE = 50


@bp.get("/notifications")
@page_auth()
def notification_list():
    page = page_arg()
    rows, total = notify.list_for(current_actor().user_id, page=page, per_page=PER_PAGE)
    return render_template("notifications/list.html", rows=[(n, *notify.describe(n)) for n in rows],
                           total=total, page=page, pages=max(1, -(-total // PER_PAGE)))


@bp.post("/notifications/<int:notification_id>/open")
@page_auth()
def notification_open(notification_id: int):
    if not PostForm().validate_on_submit():
        flash(_("The form was incomplete; nothing was changed."), "error")
        return redirect(url_for("web.notification_list"))
    row = notify.mark_read(current_actor().user_id, notification_id, now_utc())
    db.session.commit()
    if row.ticket_id:
        return redirect(url_for("web.ticket_detail", ticket_id=row.ticket_id))
    if row.kind == "bulletin" and (row.data or {}).get("start"):
        return redirect(url_for("web.supervise_bulletin", fmt="docx", start=row.data["start"], end=row.data["end"]))
    if row.kind == "visit_far" and (row.data or {}).get("day"):
        return redirect(url_for("web.visit_list", start=row.data["day"], end=row.data["day"], flagged=1))
    return redirect(url_for("web.notification_list"))


@bp.post("/notifications/read")
@page_auth()
def notification_read_all():
    if PostForm().validate_on_submit():
        notify.mark_all_read(current_actor().user_id, now_utc())
        db.session.commit()
    return redirect(url_for("web.notification_list"))


@bp.app_context_processor
def unread_notifications():
    """For the nav's unread count; a function, so only pages that show it run the query."""
    def count() -> int:
        return notify.unread_count(current_user.id) if current_user.is_authenticated else 0

    return {"unread_notifications": count}
