"""Notifications: who hears about what, the notification centre's reads, and their text."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _

from app.errors import NotFound
from app.extensions import db
from app.models import Notification, Role, Ticket, User
from app.services.actor import Actor
from app.services.notifications import webhooks
from app.services.tickets import recheck
from app.timeutil import parse_iso_with_offset, to_local

MAX_LISTED_CASES = 20  # a digest or an escalation names at most this many case numbers


def send(user_ids, kind: str, *, ticket: Ticket | None = None, **data) -> int:
    """Queue one notification per user, and one message per department robot; the caller commits."""
    ids = sorted(set(user_ids))
    for user_id in ids:
        db.session.add(Notification(user_id=user_id, kind=kind, ticket_id=ticket.id if ticket else None,
                                    data=data))
    webhooks.queue(kind, ids, ticket, data)  # group chats (WeCom, DingTalk), sent by the scheduler
    return len(ids)


def department_users(department_id: int | None) -> list[int]:
    if department_id is None:
        return []
    return list(db.session.scalars(sa.select(User.id).where(
        User.role == Role.DEPARTMENT, User.department_id == department_id, User.active)))


def supervisors() -> list[int]:
    return list(db.session.scalars(sa.select(User.id).where(User.role == Role.SUPERVISOR, User.active)))


def ticket_moved(ticket: Ticket, action: str, actor: Actor, note: str) -> None:
    """Tell the people who must act next; never the one who just acted."""
    common = {"case": ticket.case_number, "note": note}
    if action == "assign":
        recipients, kind = department_users(ticket.department_id), "assigned"
    elif action == "reopen":
        recipients, kind = department_users(ticket.department_id), "reopened"
    elif action == "return":
        recipients, kind = supervisors(), "returned"
    elif action == "resolve":
        recipients, kind = recheck.recheckers(ticket), "recheck"
    else:
        return
    send([r for r in recipients if r != actor.user_id], kind, ticket=ticket, **common)


def unread_count(user_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def list_for(user_id: int, *, page: int = 1, per_page: int = 50) -> tuple[list[Notification], int]:
    """A user's notifications, newest first, one page and the total."""
    query = sa.select(Notification).where(Notification.user_id == user_id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(Notification.id.desc()).limit(per_page)
                              .offset((page - 1) * per_page)).all()
    return list(rows), total


def mark_read(user_id: int, notification_id: int, now: datetime) -> Notification:
    """Mark one of the user's own notifications read; another user's is simply not found."""
    row = db.session.scalar(sa.select(Notification).where(
        Notification.id == notification_id, Notification.user_id == user_id))
    if row is None:
        raise NotFound(_("Notification not found."))
    if row.read_at is None:
        row.read_at = now
    return row


def mark_all_read(user_id: int, now: datetime) -> int:
    result = db.session.execute(sa.update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)).values(read_at=now))
    return result.rowcount


def _cases(data: dict) -> str:
    cases = data.get("cases") or []
    more = data.get("count", len(cases)) - len(cases)
    text = ", ".join(cases)
    return text + (_(" and %(n)d more", n=more) if more > 0 else "")


def describe(row: Notification) -> tuple[str, list[str]]:
    """The title and body lines of a notification, in the current language."""
    d = row.data or {}
    case = d.get("case", "")
    note = [_("Note: %(note)s", note=d["note"])] if d.get("note") else []
    if row.kind == "assigned":
        return _("New ticket %(case)s for your department", case=case), note
    if row.kind == "reopened":
        return _("Ticket %(case)s was reopened for rework", case=case), note
    if row.kind == "returned":
        return _("Ticket %(case)s was returned and needs triage", case=case), note
    if row.kind == "recheck":
        return _("Ticket %(case)s is resolved: please re-inspect it", case=case), note
    if row.kind == "overdue":
        return _("%(n)d ticket(s) became overdue", n=d.get("count", 0)), [_cases(d)]
    if row.kind == "due_soon":
        return _("%(n)d ticket(s) are due within %(h)d hours", n=d.get("count", 0), h=d.get("hours", 0)), \
            [_cases(d)]
    if row.kind == "digest":
        lines = [
            _("Open: %(n)d", n=d.get("open", 0)),
            _("Due today: %(n)d", n=d.get("due_today", 0)),
            _("Overdue: %(n)d", n=d.get("overdue", 0)),
        ]
        if d.get("overdue_cases"):
            lines.append(_("Overdue cases: %(cases)s", cases=", ".join(d["overdue_cases"])))
        if d.get("due_today_cases"):
            lines.append(_("Due today: %(cases)s", cases=", ".join(d["due_today_cases"])))
        english = get_locale() is not None and get_locale().language == "en"
        department = (english and d.get("department_en")) or d.get("department", "")
        return _("Daily digest for %(department)s, %(day)s", department=department, day=d.get("day", "")), lines
    if row.kind == "draw_due":  # app/jobs/assessment_reminders.py
        title = _("Draw %(name)s is due today: %(n)d point(s) not visited yet", name=d.get("draw", ""),
                  n=d.get("count", 0)) if d.get("when") == "today" else \
            _("Draw %(name)s is due tomorrow: %(n)d point(s) not visited yet", name=d.get("draw", ""),
              n=d.get("count", 0))
        return title, [_("Points: %(codes)s", codes=_cases(d))]
    if row.kind == "visit_far":  # app/services/assessment/visits.py
        where = _("without a position") if d.get("distance_m") is None else \
            _("%(m)d m from the point", m=round(d["distance_m"]))
        return _("Assessment visit of %(point)s made %(where)s: check it", point=d.get("point", ""), where=where), \
            [_("%(name)s, by %(user)s on %(day)s", name=d.get("point_name", ""), user=d.get("inspector", ""),
               day=d.get("day", ""))]
    if row.kind == "bulletin":  # app/jobs/weekly_bulletin.py
        english = get_locale() is not None and get_locale().language == "en"
        named = d.get("criticised_en" if english else "criticised") or []
        lines = [_("Units ranked: %(n)d", n=d.get("ranked", 0)),
                 _("Named for criticism: %(names)s", names=", ".join(named)) if named
                 else _("No unit is named for criticism in this period.")]
        return _("Bulletin for %(start)s to %(end)s: open it to edit and send", start=d.get("start", ""),
                 end=d.get("end", "")), lines
    if row.kind == "capture_lost":  # app/services/reports/devices.py
        return _capture_lost(d)
    return row.kind, []


def _capture_lost(d: dict) -> tuple[str, list[str]]:
    numbers = ", ".join(str(n) for n in d.get("numbers", []))
    more = d.get("count", 0) - len(d.get("numbers", []))
    if more > 0:
        numbers += _(" and %(n)d more", n=more)
    seen = to_local(parse_iso_with_offset(d["last_seen"])).strftime("%Y-%m-%d %H:%M") if d.get("last_seen") else "-"
    why = {"gap": _("The phone no longer holds them: its storage may have been cleared."),
           "silent": _("The phone has not synced since, while it still held them."),
           "replaced": _("%(user)s has logged in on another device (%(new)s) since.", user=d.get("user", ""),
                         new=d.get("new_device", ""))}.get(d.get("why"), "")
    return (_("%(n)d item(s) captured by %(user)s on device %(device)s never arrived", n=d.get("count", 0),
              user=d.get("user", ""), device=d.get("device", "")),
            [_("Capture numbers: %(numbers)s", numbers=numbers),
             _("Device last seen: %(when)s", when=seen), why])
