"""The scheduled jobs as plain functions of `now`: overdue and escalation, reminders, digest, cleanup."""
import os
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.jobs import tasks
from app.models import Notification, Ticket, TicketEvent
from app.services.tickets.transitions import ActionInput, transition
from app.storage import FilesystemStore, media_store
from app.timeutil import now_utc
from tests.factories import actor_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
H = timedelta(hours=1)


def notifications(user, kind=None) -> list[Notification]:
    query = sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def escalations(ticket) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(TicketEvent.ticket_id == ticket.id,
                                                             TicketEvent.action == "escalate"))


@pytest.fixture
def people(create_user):
    return {"supervisor": create_user("supervisor"), "cgzf": create_user("department", "CGZF"),
            "hwzx": create_user("department", "HWZX")}


def test_mark_overdue_escalates_each_late_ticket_once_and_tells_supervisors_and_departments(report, people):
    late = report("06008", now=T0).ticket  # CGZF, 72 h: due T0+72h
    on_time = report("06008", at=(29.99, 119.95), now=T0 + 10 * H).ticket  # due T0+82h
    other = report("06012", at=(29.96, 119.94), now=T0).ticket  # HWZX, 4 h: due T0+4h
    unrouted = report("X14001", at=(29.86, 119.80), now=T0).ticket  # nobody's clock runs

    assert tasks.mark_overdue(T0 + 80 * H) == 2
    db.session.commit()
    assert {t.case_number for t in db.session.scalars(sa.select(Ticket).where(
        Ticket.overdue_marked_at.is_not(None)))} == {late.case_number, other.case_number}
    assert escalations(late) == 1 and escalations(on_time) == 0 and escalations(unrouted) == 0
    event = db.session.scalar(sa.select(TicketEvent).where(TicketEvent.ticket_id == late.id,
                                                           TicketEvent.action == "escalate"))
    assert event.actor_id is None and event.at == T0 + 80 * H and event.from_status == event.to_status == "assigned"

    [alert] = notifications(people["supervisor"], "overdue")
    assert alert.data["count"] == 2 and set(alert.data["cases"]) == {late.case_number, other.case_number}
    [cgzf_alert] = notifications(people["cgzf"], "overdue")
    assert cgzf_alert.data["cases"] == [late.case_number]
    [hwzx_alert] = notifications(people["hwzx"], "overdue")
    assert hwzx_alert.data["cases"] == [other.case_number]

    # Later runs find nothing new: escalation happens once per ticket.
    assert tasks.mark_overdue(T0 + 81 * H) == 0
    assert tasks.mark_overdue(T0 + 200 * H) == 1  # only on_time, now late too
    db.session.commit()
    assert escalations(late) == 1 and escalations(on_time) == 1
    assert len(notifications(people["supervisor"], "overdue")) == 2


def test_escalation_does_not_bump_the_version_a_department_form_holds(report, people):
    ticket = report("06008", now=T0).ticket
    version = ticket.version
    tasks.mark_overdue(T0 + 80 * H)
    db.session.commit()
    accepted = transition(ticket.id, ActionInput(action="accept", version=version), actor_of(people["cgzf"]),
                          now=T0 + 81 * H)
    assert accepted.status.value == "in_progress"


def test_a_new_deadline_is_escalated_again_when_it_passes(report, people):
    ticket = report("06008", now=T0).ticket
    tasks.mark_overdue(T0 + 80 * H)
    db.session.commit()
    db.session.refresh(ticket)
    ticket = transition(ticket.id, ActionInput(action="assign", version=ticket.version, department_code="HWZX"),
                        actor_of(people["supervisor"]), now=T0 + 81 * H)
    db.session.commit()
    assert ticket.overdue_marked_at is None
    assert tasks.mark_overdue(T0 + 100 * H) == 0
    assert tasks.mark_overdue(T0 + 81 * H + 73 * H) == 1
    db.session.commit()
    assert escalations(ticket) == 2


def test_two_runs_at_the_same_moment_escalate_once(app, report, people):
    ticket = report("06008", now=T0).ticket
    db.session.commit()
    barrier = threading.Barrier(2)
    counts, errors = [], []

    def run():
        with app.app_context():
            try:
                barrier.wait()
                counts.append(tasks.mark_overdue(T0 + 80 * H))
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(counts) == [0, 1]
    assert escalations(ticket) == 1
    assert len(notifications(people["supervisor"], "overdue")) == 1


def test_reminders_go_once_per_deadline_for_tickets_due_soon(report, people):
    soon = report("06008", now=T0).ticket  # due T0+72h
    later = report("06008", at=(29.99, 119.95), now=T0 + 30 * H).ticket  # due T0+102h
    assert tasks.remind_due_soon(T0 + 60 * H) == 1  # 12 h left, within DUE_SOON_HOURS=24
    assert tasks.remind_due_soon(T0 + 61 * H) == 0
    db.session.commit()
    [reminder] = notifications(people["cgzf"], "due_soon")
    assert reminder.data == {"count": 1, "cases": [soon.case_number], "hours": 24}
    assert later.reminded_at is None
    assert tasks.remind_due_soon(T0 + 90 * H) == 1  # now `later` is due within 24 h; `soon` is overdue


def _digest_day(report, people):
    """CGZF: one overdue, one due today, one due later; HWZX has users but nothing open."""
    overdue = report("06008", now=T0 - 80 * H).ticket
    due_today = report("06008", at=(29.99, 119.95), now=T0 - 60 * H).ticket  # due T0+12h = 21:00 local
    later = report("06008", at=(29.96, 119.96), now=T0).ticket
    db.session.commit()
    return overdue, due_today, later


def test_daily_digest_lists_open_due_today_and_overdue_per_department(app, report, people):
    overdue, due_today, later = _digest_day(report, people)
    assert tasks.daily_digest(T0 - 2 * H) == 0  # 07:00 local: before DIGEST_HOUR (8)
    assert tasks.daily_digest(T0) == 1  # 09:00 local: CGZF only (HWZX has nothing open)
    db.session.commit()
    [digest] = notifications(people["cgzf"], "digest")
    assert digest.data["open"] == 3 and digest.data["due_today"] == 1 and digest.data["overdue"] == 1
    assert digest.data["overdue_cases"] == [overdue.case_number]
    assert digest.data["due_today_cases"] == [due_today.case_number]
    assert digest.data["day"] == "2026-11-02"
    assert notifications(people["hwzx"], "digest") == []

    from app.services.notifications.centre import describe

    title, lines = describe(digest)
    assert "2026-11-02" in title and any(overdue.case_number in line for line in lines)


def test_the_digest_goes_once_a_day_even_if_asked_again(app, report, people):
    _digest_day(report, people)
    assert tasks.daily_digest(T0) == 1
    assert tasks.daily_digest(T0 + H) == 0
    db.session.commit()
    assert len(notifications(people["cgzf"], "digest")) == 1
    assert tasks.daily_digest(T0 + 24 * H) == 1  # the next day
    db.session.commit()
    assert len(notifications(people["cgzf"], "digest")) == 2


def test_the_digest_hour_is_local_time(app, report, people, monkeypatch):
    _digest_day(report, people)
    monkeypatch.setitem(app.config, "DIGEST_HOUR", 10)
    assert tasks.daily_digest(datetime(2026, 11, 2, 9, 59, tzinfo=SHANGHAI)) == 0
    assert tasks.daily_digest(datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)) == 1


def test_cleanup_removes_orphaned_uploads_past_their_grace(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "media"))
    store = media_store()
    assert isinstance(store, FilesystemStore)
    store.write("original", "ab" * 32, b"no row names this file")
    store.write("original", "cd" * 32, b"an upload whose row is about to commit")
    old = tmp_path / "media" / "originals" / "ab" / "ab" / ("ab" * 32)
    two_days_ago = (now_utc() - timedelta(days=2)).timestamp()
    os.utime(old, (two_days_ago, two_days_ago))
    assert tasks.cleanup_uploads(now_utc()) == 1
    assert not store.exists("original", "ab" * 32) and store.exists("original", "cd" * 32)
