"""The notification centre over the API: list with unread count, mark one or all read."""
from __future__ import annotations

from app.api import bp
from app.extensions import db
from app.models import Notification
from app.schemas.params import PageQuery, query
from app.security import api_auth, current_actor
from app.services.notifications import centre as notify
from app.timeutil import iso, now_utc


def notification_out(row: Notification) -> dict:
    title, lines = notify.describe(row)
    return {"id": row.id, "kind": row.kind, "title": title, "lines": lines, "ticket_id": row.ticket_id,
            "data": row.data, "created_at": iso(row.created_at), "read_at": iso(row.read_at)}


@bp.get("/notifications")
@api_auth()
def list_notifications():
    user_id = current_actor().user_id
    rows, total = notify.list_for(user_id, page=query(PageQuery).page)
    return {"notifications": [notification_out(n) for n in rows], "total": total,
            "unread": notify.unread_count(user_id)}


@bp.post("/notifications/<int:notification_id>/read")
@api_auth()
def read_notification(notification_id: int):
    row = notify.mark_read(current_actor().user_id, notification_id, now_utc())
    db.session.commit()
    return notification_out(row)


@bp.post("/notifications/read")
@api_auth()
def read_all_notifications():
    count = notify.mark_all_read(current_actor().user_id, now_utc())
    db.session.commit()
    return {"marked": count}
