"""Reminders of drawn points not visited yet (issue 14 §4): the day before the due date and on it, once."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.extensions import db
from app.jobs.assessment_reminders import remind_draw_assignees
from app.models import InspectionPoint, Notification
from app.services.assessment import draws
from app.services.assessment.draws import DrawSpec
from app.services.notifications import centre as notify
from app.timeutil import now_utc, to_local
from tests.assessment.conftest import make_point, make_visit
from tests.factories import SEAT, actor_of
from tests.jobs.test_digest_email import free_port, smtp_sink  # noqa: F401  (a fixture)

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
DAY = timedelta(days=1)


@pytest.fixture
def drawn(bare_county, create_user):
    """A draw made at T0, due on Wednesday (local): alice has two points, bob one, one is not assigned."""
    for i in range(4):
        make_point(f"R-{i}", "ZCGD", SEAT)
    boss = actor_of(create_user("supervisor"))
    alice, bob = create_user("inspector", username="alice"), create_user("inspector", username="bob")
    alice.email = "alice@example.org"
    due = to_local(T0).date() + 2 * DAY
    draw = draws.create_draw(DrawSpec("第45周抽查", 4, 1, due.isoformat()), boss, T0)
    draws.assign_by_hand(draw, {"R-0": "alice", "R-1": "alice", "R-2": "bob"}, boss, T0)
    db.session.commit()
    return draw, alice, bob, boss


def _notes(user) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id,
                                                                 Notification.kind == "draw_due")
                                   .order_by(Notification.id)))


def _point(code: str) -> InspectionPoint:
    return db.session.scalar(sa.select(InspectionPoint).where(InspectionPoint.code == code))


def test_nothing_two_days_before_then_the_day_before_and_on_the_day_once_each(drawn):
    draw, alice, bob, _boss = drawn
    assert remind_draw_assignees(T0) == 0  # Monday: due Wednesday
    tuesday = T0 + DAY
    assert remind_draw_assignees(tuesday) == 2
    db.session.commit()
    assert remind_draw_assignees(tuesday) == 0 and remind_draw_assignees(tuesday + timedelta(hours=5)) == 0
    db.session.commit()
    [note] = _notes(alice)
    assert note.data["cases"] == ["R-0", "R-1"] and note.data["when"] == "tomorrow" and note.data["draw_id"] == draw.id
    assert [n.data["cases"] for n in _notes(bob)] == [["R-2"]]

    make_visit(_point("R-0"), bob, T0 + timedelta(hours=30), {})  # anyone's visit counts
    make_visit(_point("R-2"), bob, T0 + timedelta(hours=30), {}, voided=True)  # a voided one does not
    wednesday = T0 + 2 * DAY
    assert remind_draw_assignees(wednesday) == 2
    db.session.commit()
    assert remind_draw_assignees(wednesday) == 0
    assert [n.data["cases"] for n in _notes(alice)] == [["R-0", "R-1"], ["R-1"]]
    assert _notes(alice)[-1].data["when"] == "today"
    assert [n.data["cases"] for n in _notes(bob)] == [["R-2"], ["R-2"]]
    assert remind_draw_assignees(T0 + 3 * DAY) == 0  # past its due day


def test_not_before_the_digest_hour_local_time(drawn):
    _draw, alice, _bob, _boss = drawn
    early = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)  # Tuesday 07:30 in Shanghai
    assert remind_draw_assignees(early) == 0
    assert remind_draw_assignees(early + timedelta(minutes=40)) == 2  # 08:10
    assert len(_notes(alice)) == 1


def test_an_assignee_with_every_point_visited_hears_nothing(drawn):
    _draw, alice, bob, _boss = drawn
    make_visit(_point("R-2"), bob, T0 + timedelta(hours=2), {})
    assert remind_draw_assignees(T0 + DAY) == 1
    assert _notes(bob) == [] and len(_notes(alice)) == 1


def test_a_cancelled_draw_reminds_nobody(drawn):
    draw, _alice, _bob, boss = drawn
    draws.cancel_draw(draw, boss, T0)
    db.session.commit()
    assert remind_draw_assignees(T0 + DAY) == 0


def test_a_reminder_reads_in_both_languages(app, drawn):
    _draw, alice, _bob, _boss = drawn
    remind_draw_assignees(T0 + DAY)
    [note] = _notes(alice)
    with app.test_request_context("/"), force_locale("en"):
        title, lines = notify.describe(note)
    assert title == "Draw 第45周抽查 is due tomorrow: 2 point(s) not visited yet" and lines == ["Points: R-0, R-1"]
    with app.test_request_context("/"), force_locale("zh_CN"):
        title, lines = notify.describe(note)
    assert "第45周抽查" in title and "明天" in title and "R-0, R-1" in lines[0]


def test_the_reminder_goes_out_by_email(app, drawn, smtp_sink):  # noqa: F811
    from app.jobs import tasks

    remind_draw_assignees(T0 + DAY)
    db.session.commit()
    tasks.send_email(T0 + DAY)
    db.session.commit()
    [(recipients, message)] = smtp_sink.messages  # bob has no address
    assert recipients == ["alice@example.org"] and "第45周抽查" in message["Subject"]
    assert "R-0, R-1" in message.get_content()


def test_flask_scheduler_once_runs_it_and_twice_sends_once(app, runner, bare_county, create_user, monkeypatch):
    monkeypatch.setitem(app.config, "DIGEST_HOUR", 0)
    make_point("S-1", "ZCGD", SEAT)
    alice = create_user("inspector", username="alice")
    boss = actor_of(create_user("supervisor"))
    tomorrow = to_local(now_utc()).date() + DAY
    draw = draws.create_draw(DrawSpec("今日", 1, 1, tomorrow.isoformat()), boss, now_utc())
    draws.assign_by_hand(draw, {"S-1": "alice"}, boss, now_utc())
    db.session.commit()
    first = runner.invoke(args=["scheduler", "--once"])
    assert first.exit_code == 0 and "draw_reminders: 1" in first.output, first.output
    second = runner.invoke(args=["scheduler", "--once"])
    assert second.exit_code == 0 and "draw_reminders: 0" in second.output, second.output
    db.session.expire_all()
    assert len(_notes(alice)) == 1
