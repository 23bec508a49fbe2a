"""GET /healthz: 200 while the database and media work (ok, or warn for a warning check), 503 when
either fails, with the same shape; one test per failing check."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest
import time_machine

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.models import Notification, SchedulerLease
from app.models.webhook import Webhook, WebhookKind, WebhookMessage
from app.services.calendar import holidays
from app.timeutil import now_utc
from tests.factories import department

CRITICAL = {"database", "media"}


def _shape_ok(body: dict) -> None:
    assert body["status"] in {"ok", "warn", "fail"}
    assert set(body["checks"]) >= {"database", "media"}
    if body["checks"]["database"]["ok"]:
        assert set(body["checks"]) >= {"scheduler", "email_queue", "message_queue", "photo_tasks", "calendar"}
    for check in body["checks"].values():
        assert isinstance(check["ok"], bool) and isinstance(check["detail"], str) and check["detail"]


def _beat(at: datetime, holder: str = "host:1:abc") -> None:
    db.session.add(SchedulerLease(name="scheduler", holder=holder, expires_at=at + timedelta(seconds=90),
                                  heartbeat_at=at))
    db.session.commit()


def _health(client):
    resp = client.get("/healthz")
    body = resp.get_json()
    _shape_ok(body)
    return resp, body


def test_all_well_is_ok_without_login_or_cookie(client, app, tmp_path):
    _beat(now_utc())
    resp, body = _health(client)
    assert resp.status_code == 200 and body["status"] == "ok", body
    assert all(c["ok"] for c in body["checks"].values())
    assert "Set-Cookie" not in resp.headers  # no session for a load balancer's probe
    assert resp.headers["Cache-Control"] == "no-store"


def test_a_missing_media_folder_is_created(client, app, tmp_path, monkeypatch):
    _beat(now_utc())
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "new" / "media"))
    resp, body = _health(client)
    assert resp.status_code == 200 and body["checks"]["media"]["ok"]
    assert (tmp_path / "new" / "media").is_dir()


def test_read_only_media_fails_with_503(client, app, monkeypatch):
    _beat(now_utc())
    # A folder nobody may write into, root included (this suite may run as root, where chmod does not bind).
    monkeypatch.setitem(app.config, "MEDIA_ROOT", "/sys/kernel")
    assert Path("/sys/kernel").is_dir()
    resp, body = _health(client)
    assert resp.status_code == 503 and body["status"] == "fail"
    assert body["checks"]["media"] == {"ok": False, "detail": body["checks"]["media"]["detail"]}
    assert "not writable" in body["checks"]["media"]["detail"]
    assert body["checks"]["database"]["ok"]


def test_database_down_fails_with_503(database_url, tmp_path):
    if database_url.startswith("postgresql"):
        url = "postgresql+psycopg://postgres@127.0.0.1:9/xuncha?connect_timeout=2"  # port 9: nobody listens
    else:
        url = f"sqlite:///{tmp_path / 'no-such-folder' / 'x.sqlite3'}"

    class Down(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        MEDIA_ROOT = str(tmp_path / "media")

    down = create_app(Down)
    with down.app_context():
        resp = down.test_client().get("/healthz")
        body = resp.get_json()
        db.engine.dispose()
    _shape_ok(body)
    assert resp.status_code == 503 and body["status"] == "fail"
    assert body["checks"]["database"]["ok"] is False and body["checks"]["media"]["ok"] is True
    assert "127.0.0.1" not in resp.text and "no-such-folder" not in resp.text  # public: no hosts, no paths
    assert set(body["checks"]) == {"database", "media"}  # nothing else asks a database that is not there


def test_a_stale_heartbeat_warns_but_stays_in_the_balancer(client, app):
    _beat(now_utc() - timedelta(hours=1))
    resp, body = _health(client)
    assert resp.status_code == 200 and body["status"] == "warn"
    assert body["checks"]["scheduler"]["ok"] is False and "s ago" in body["checks"]["scheduler"]["detail"]


def test_no_scheduler_at_all_warns(client):
    resp, body = _health(client)
    assert resp.status_code == 200 and body["status"] == "warn"
    assert body["checks"]["scheduler"]["ok"] is False and "no scheduler" in body["checks"]["scheduler"]["detail"]


# The last year the installed chinesecalendar (the county calendar's seed) knows: June is covered 60
# days ahead, December is not.
LAST_YEAR = max(day.year for day in chinese_calendar.constants.holidays)


@pytest.mark.parametrize(("today", "gap"), [(datetime(LAST_YEAR, 6, 1, 4, tzinfo=UTC), False),
                                            (datetime(LAST_YEAR, 12, 1, 4, tzinfo=UTC), True)])
def test_a_calendar_gap_in_the_next_60_days_warns(client, app, today, gap, monkeypatch):
    monkeypatch.setitem(app.config, "SLA_CALENDAR", "workdays")
    holidays.seed_from_package(now_utc())  # the county's calendar, as the migration seeds it from the package
    db.session.commit()
    with time_machine.travel(today, tick=False):
        _beat(now_utc())
        resp, body = _health(client)
    assert resp.status_code == 200
    assert body["checks"]["calendar"]["ok"] is (not gap)
    assert body["status"] == ("warn" if gap else "ok"), body
    if gap:
        assert f"{LAST_YEAR + 1}-01-01" in body["checks"]["calendar"]["detail"]


def test_an_email_queue_that_stopped_draining_warns(client, create_user):
    user = create_user("supervisor")
    _beat(now_utc())
    db.session.add(Notification(user_id=user.id, kind="overdue", data={}, created_at=now_utc() - timedelta(hours=2)))
    db.session.commit()
    resp, body = _health(client)
    assert resp.status_code == 200 and body["status"] == "warn"
    assert body["checks"]["email_queue"]["ok"] is False and "1 waiting" in body["checks"]["email_queue"]["detail"]


def test_a_fresh_queue_is_fine(client, create_user):
    user = create_user("supervisor")
    _beat(now_utc())
    db.session.add(Notification(user_id=user.id, kind="overdue", data={}))
    db.session.commit()
    resp, body = _health(client)
    assert body["checks"]["email_queue"]["ok"] and body["status"] == "ok"


def _robot_message(age: timedelta, *, active: bool = True, kind=WebhookKind.WECOM, **state) -> WebhookMessage:
    robot = Webhook(department_id=department("CGZF").id, kind=kind, active=active,
                    url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
    db.session.add(robot)
    db.session.flush()
    message = WebhookMessage(webhook_id=robot.id, kind="overdue", title="t", text="x",
                             created_at=now_utc() - age, **state)
    db.session.add(message)
    db.session.commit()
    return message


def test_a_group_chat_message_queue_that_stopped_draining_warns(client, county):
    _beat(now_utc())
    message = _robot_message(timedelta(seconds=30))
    resp, body = _health(client)
    assert body["status"] == "ok" and body["checks"]["message_queue"]["ok"], body  # a fresh message: fine
    assert "1 waiting" in body["checks"]["message_queue"]["detail"]

    message.created_at = now_utc() - timedelta(hours=1)  # the robot has been failing for an hour
    db.session.commit()
    resp, body = _health(client)
    assert resp.status_code == 200 and body["status"] == "warn"
    check = body["checks"]["message_queue"]
    assert check["ok"] is False and "1 waiting, oldest 3" in check["detail"] and "limit 900 s" in check["detail"]

    message.sent_at = now_utc()  # sent at last: nothing waits
    db.session.commit()
    resp, body = _health(client)
    assert body["status"] == "ok" and body["checks"]["message_queue"]["detail"].startswith("0 waiting")


def test_messages_given_up_or_for_a_switched_off_robot_do_not_warn(client, county):
    _beat(now_utc())
    _robot_message(timedelta(hours=2), failed_at=now_utc())  # given up after the last retry
    _robot_message(timedelta(hours=2), active=False, kind=WebhookKind.DINGTALK)  # a robot switched off: never sent
    resp, body = _health(client)
    assert body["status"] == "ok" and body["checks"]["message_queue"]["detail"].startswith("0 waiting"), body


def test_photos_whose_derivatives_failed_or_wait_too_long_warn(client, create_user, create_photo):
    create_user("inspector")
    _beat(now_utc())
    fresh = create_photo(derivatives="pending")
    resp, body = _health(client)
    assert body["checks"]["photo_tasks"]["ok"] and body["status"] == "ok", body  # just uploaded: fine

    fresh.created_at = now_utc() - timedelta(hours=1)  # no worker made it in an hour
    db.session.commit()
    resp, body = _health(client)
    assert resp.status_code == 200 and body["status"] == "warn"
    check = body["checks"]["photo_tasks"]
    assert check["ok"] is False and "oldest pending 3" in check["detail"]

    fresh.derivatives, fresh.derivative_error = "failed", "corrupt"
    db.session.commit()
    resp, body = _health(client)
    check = body["checks"]["photo_tasks"]
    assert check["ok"] is False and check["detail"].startswith("1 failed") and "/admin/photos" in check["detail"]
    assert "corrupt" not in check["detail"]  # the answer is public: which photo and why is the admin page's
