"""Group-chat robots: payloads (WeCom, DingTalk with its signature), one message per department and
event, retries with backoff, batching at the rate limit, the CLI and the admin page (issue 16 point 3).
Every robot is a local HTTP server on 127.0.0.1."""
from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Webhook, WebhookMessage
from app.services.actor import Actor
from app.services.notifications import centre, webhooks
from app.timeutil import now_utc, to_local
from tests.notifications import webhook_server
from tests.notifications.webhook_server import Robot

PUBLIC = "https://xuncha.county.example"
SECRET = "SECb3f1c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


@pytest.fixture
def robots(app, monkeypatch):
    """robots() → a started local robot; all are shut down after the test."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)
    servers = []

    def make(secret: str = "", answers=None, path="/cgi-bin/webhook/send") -> Robot:
        robot = Robot(secret=secret, answers=list(answers or []))
        servers.append(webhook_server.start(robot, path))
        return robot

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


def _set(code: str, kind: str, url: str, secret: str | None = None) -> Webhook:
    webhook = webhooks.configure(Actor.system(), code, kind, url, secret)
    db.session.commit()
    return webhook


def _pending() -> list[WebhookMessage]:
    return list(db.session.scalars(sa.select(WebhookMessage).where(WebhookMessage.sent_at.is_(None))
                                   .order_by(WebhookMessage.id)))


@pytest.fixture
def assigned(report, create_user):
    """assigned("HWZX") → a ticket the supervisor (re)assigned to that department: an "assigned" event."""
    from app.services.tickets.transitions import ActionInput, transition
    from tests.factories import actor_of

    def make(code: str = "HWZX"):
        ticket = report("06008").ticket  # routed to CGZF at intake
        ticket = transition(ticket.id, ActionInput(action="assign", version=ticket.version, department_code=code),
                            actor_of(create_user("supervisor", "CCB")), now=now_utc())
        db.session.commit()
        return ticket

    return make


def _deliver(at: datetime) -> int:
    sent = webhooks.deliver_pending(at)
    db.session.commit()
    return sent


# --- payloads ------------------------------------------------------------------------------------

def test_a_new_assignment_reaches_the_departments_wecom_robot_once(robots, create_user, assigned):
    robot = robots()
    create_user("department", "HWZX"), create_user("department", "HWZX")  # two clerks: still one message
    _set("HWZX", "wecom", robot.url + f"?key={WECOM_KEY}")
    ticket = assigned("HWZX")
    assert ticket.department.code == "HWZX"
    assert robot.received == []  # queued with the commit, never sent inside the request
    assert len(_pending()) == 1
    assert _deliver(now_utc()) == 1
    [got] = robot.received
    assert got.path == "/cgi-bin/webhook/send" and got.query == {"key": WECOM_KEY}
    assert got.body["msgtype"] == "markdown" and set(got.body["markdown"]) == {"content"}
    content = got.body["markdown"]["content"]
    deadline = to_local(ticket.due_at).strftime("%Y-%m-%d %H:%M")
    for part in (ticket.case_number, ticket.category.name_zh, deadline, f"{PUBLIC}/tickets/{ticket.id}"):
        assert part in content, (part, content)
    place = ticket.address or ticket.area.name_zh
    assert place and place in content
    assert "新" in content  # Chinese by default: staff read it in their group
    assert _pending() == []


def test_dingtalk_is_signed_as_dingtalk_documents(robots, create_user, assigned):
    robot = robots(secret=SECRET, path="/robot/send")
    create_user("department", "HWZX")
    _set("HWZX", "dingtalk", robot.url + "?access_token=abcdef0123456789", SECRET)
    ticket = assigned("HWZX")
    before_ms = int(time.time() * 1000)
    assert _deliver(now_utc()) == 1
    [got] = robot.received
    assert got.signature_ok is True
    assert got.query["access_token"] == "abcdef0123456789"
    assert abs(int(got.query["timestamp"]) - before_ms) < 60 * 60 * 1000  # DingTalk refuses older than 1 h
    assert got.body["msgtype"] == "markdown"
    assert set(got.body["markdown"]) == {"title", "text"}
    assert ticket.case_number in got.body["markdown"]["title"]
    assert ticket.case_number in got.body["markdown"]["text"]


def test_a_wrong_secret_fails_the_signature_and_is_a_failure(robots, create_user, assigned):
    robot = robots(secret=SECRET, answers=[(200, {"errcode": 310000, "errmsg": "sign not match"})])
    create_user("department", "HWZX")
    webhook = _set("HWZX", "dingtalk", robot.url + "?access_token=t", "SECwrong")
    assigned("HWZX")
    assert _deliver(now_utc()) == 0
    assert robot.received[0].signature_ok is False
    db.session.refresh(webhook)
    assert "310000" in webhook.last_error and _pending()[0].attempts == 1


def test_overdue_goes_to_the_department_and_the_campaign_office(robots, create_user, report, app):
    from app.jobs import tasks

    department, office = robots(), robots()
    create_user("department", "CGZF"), create_user("supervisor", "CCB")
    _set("CGZF", "wecom", department.url + "?key=d")
    _set("CCB", "wecom", office.url + "?key=o")
    ticket = report("06008").ticket
    assert _deliver(now_utc()) == 1  # routed at intake: the department hears of its new ticket
    assert len(department.received) == 1 and office.received == []
    later = ticket.due_at + timedelta(hours=1)
    assert tasks.mark_overdue(later) == 1
    db.session.commit()
    assert _deliver(later) == 2
    assert "超期" in department.received[1].body["markdown"]["content"]
    assert ticket.case_number in department.received[1].body["markdown"]["content"]
    assert ticket.case_number in office.received[0].body["markdown"]["content"]
    assert f"{PUBLIC}/tickets/{ticket.id}" in office.received[0].body["markdown"]["content"]


def test_reminders_and_the_daily_digest_go_there_too(robots, create_user, report):
    from app.jobs import tasks

    robot = robots()
    create_user("department", "CGZF")
    _set("CGZF", "wecom", robot.url + "?key=k")
    ticket = report("06008").ticket
    assert _deliver(now_utc()) == 1  # its assignment
    assert tasks.remind_due_soon(ticket.due_at - timedelta(hours=2)) == 1
    noon = datetime.combine(to_local(ticket.due_at).date(), datetime.min.time(), to_local(ticket.due_at).tzinfo) \
        + timedelta(hours=12)
    assert tasks.daily_digest(noon.astimezone(UTC)) == 1
    db.session.commit()
    assert {m.kind for m in _pending()} == {"due_soon", "digest"}
    assert _deliver(noon.astimezone(UTC)) == 2
    texts = [r.body["markdown"]["content"] for r in robot.received[1:]]
    assert all(ticket.case_number in text for text in texts)


def test_a_ticket_routed_at_intake_reaches_its_departments_robot_through_the_job(robots, create_user, report):
    from app.jobs.webhooks import send_webhooks

    robot, other = robots(), robots()
    _set("CGZF", "wecom", robot.url + "?key=k")
    _set("HWZX", "wecom", other.url + "?key=k")
    ticket = report("06008").ticket  # routed to CGZF: queued with the report's commit, like a desk's assignment
    assert [m.kind for m in _pending()] == ["assigned"]
    assert robot.received == []  # never sent inside the request
    assert send_webhooks(now_utc()) == 1
    db.session.commit()
    content = robot.received[0].body["markdown"]["content"]
    assert ticket.case_number in content and f"{PUBLIC}/tickets/{ticket.id}" in content
    assert ticket.category.name_zh in content and other.received == []
    assert send_webhooks(now_utc()) == 0 and len(robot.received) == 1  # told once


def test_a_new_robot_is_not_told_of_earlier_tickets(robots, create_user, report):
    from app.jobs.webhooks import send_webhooks

    report("06008")
    robot = robots()
    _set("CGZF", "wecom", robot.url + "?key=k")
    assert send_webhooks(now_utc()) == 0 and robot.received == []


def test_events_without_a_robot_or_for_others_queue_nothing(robots, create_user, assigned):
    robot = robots()
    create_user("department", "CGZF")
    _set("ZJJ", "wecom", robot.url + "?key=k")  # another department's robot
    assigned("HWZX")
    assert _pending() == []
    centre.send([create_user("inspector").id], "recheck", case="X")  # not a robot event
    assert _pending() == []


# --- retries, failures, batching --------------------------------------------------------------------

def test_a_500_is_retried_after_the_backoff_then_sent(robots, create_user, assigned, app):
    robot = robots(answers=[(500, {"errcode": -1}), (500, {})])
    create_user("department", "HWZX")
    webhook = _set("HWZX", "wecom", robot.url + "?key=k")
    assigned("HWZX")
    t0 = now_utc()
    assert _deliver(t0) == 0
    [message] = _pending()
    assert (message.attempts, message.last_error) == (1, "HTTP 500")
    assert message.next_attempt_at == t0 + timedelta(seconds=app.config["WEBHOOK_BACKOFF_S"])
    assert _deliver(t0 + timedelta(seconds=30)) == 0 and len(robot.received) == 1  # not due yet
    assert _deliver(t0 + timedelta(seconds=61)) == 0  # second failure: the wait doubles
    assert _pending()[0].next_attempt_at == t0 + timedelta(seconds=61 + 2 * app.config["WEBHOOK_BACKOFF_S"])
    assert _deliver(t0 + timedelta(seconds=200)) == 1
    assert len(robot.received) == 3 and _pending() == []
    db.session.refresh(webhook)
    assert webhook.last_sent_at == t0 + timedelta(seconds=200) and webhook.last_error == "HTTP 500"


def test_an_errcode_is_a_failure_and_the_last_attempt_gives_up(robots, create_user, assigned, app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_ATTEMPTS", 2)
    robot = robots(answers=[(200, {"errcode": 45009, "errmsg": "api freq out of limit"})] * 2)
    create_user("department", "HWZX")
    _set("HWZX", "wecom", robot.url + "?key=k")
    assigned("HWZX")
    t0 = now_utc()
    _deliver(t0)
    _deliver(t0 + timedelta(hours=1))
    message = db.session.scalar(sa.select(WebhookMessage))
    assert message.failed_at is not None and message.sent_at is None and message.attempts == 2
    assert "45009" in message.last_error
    assert _deliver(t0 + timedelta(hours=2)) == 0 and len(robot.received) == 2  # given up: not tried again


def test_an_unreachable_robot_is_a_failure_not_a_crash(robots, create_user, assigned):
    create_user("department", "HWZX")
    webhook = _set("HWZX", "wecom", "http://127.0.0.1:9/cgi-bin/webhook/send?key=k")  # discard port: refused
    assigned("HWZX")
    assert _deliver(now_utc()) == 0
    db.session.refresh(webhook)
    assert webhook.last_error and _pending()[0].attempts == 1


def test_more_than_the_rate_limit_is_batched_into_twenty_messages_a_minute(robots, create_user, app):
    robot = robots()
    clerk = create_user("department", "CGZF")
    _set("CGZF", "wecom", robot.url + "?key=k")
    for n in range(45):
        centre.send([clerk.id], "due_soon", count=1, cases=[f"XC-20261201-{n:04d}"], hours=24)
    db.session.commit()
    t0 = now_utc()
    assert _deliver(t0) == app.config["WEBHOOK_RATE_PER_MINUTE"] == 20
    assert len(robot.received) == 20 and _pending() == []
    contents = [r.body["markdown"]["content"] for r in robot.received]
    assert all(len(c.encode()) <= 4096 for c in contents)
    assert sum(c.count("### ") for c in contents) == 45  # every notification is in one of them
    # The window is full for this minute: new messages wait for the next.
    for n in range(3):
        centre.send([clerk.id], "due_soon", count=1, cases=[f"XC-20261202-{n:04d}"], hours=24)
    db.session.commit()
    assert _deliver(t0 + timedelta(seconds=30)) == 0 and len(_pending()) == 3
    assert _deliver(t0 + timedelta(seconds=61)) == 3 and _pending() == []


def test_the_scheduler_once_sends_what_is_due(robots, create_user, assigned, runner):
    robot = robots()
    create_user("department", "HWZX")
    _set("HWZX", "wecom", robot.url + "?key=k")
    assigned("HWZX")
    result = runner.invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    sent = int(re.search(r"^send_webhooks: (\d+)$", result.output, re.M).group(1))
    kinds = {m.kind for m in db.session.scalars(sa.select(WebhookMessage).where(WebhookMessage.sent_at.is_not(None)))}
    assert sent == len(robot.received) and "assigned" in kinds and _pending() == []


# --- the CLI ----------------------------------------------------------------------------------------

def test_cli_set_reads_the_secret_from_stdin_and_list_never_prints_it(robots, county, runner):
    robot = robots(secret=SECRET)
    url = robot.url + "?access_token=0123456789abcdef0123"
    result = runner.invoke(args=["webhooks", "set", "--department", "CGZF", "--kind", "dingtalk", "--url", url,
                                 "--secret-stdin"], input=SECRET + "\n")
    assert result.exit_code == 0, result.output
    webhook = db.session.scalar(sa.select(Webhook))
    assert webhook.secret == SECRET and webhook.url == url
    listed = runner.invoke(args=["webhooks", "list"])
    assert listed.exit_code == 0 and "CGZF" in listed.output and "dingtalk" in listed.output
    assert "signed" in listed.output
    for output in (result.output, listed.output):
        assert SECRET not in output and SECRET[-12:] not in output
        assert "0123456789abcdef0123" not in output and "…0123" in output


def test_cli_has_no_secret_option_and_refuses_bad_input(county, runner):
    result = runner.invoke(args=["webhooks", "set", "--department", "CGZF", "--kind", "dingtalk",
                                 "--url", "https://oapi.dingtalk.com/robot/send?access_token=x", "--secret", SECRET])
    assert result.exit_code != 0 and "No such option" in result.output
    bad = runner.invoke(args=["webhooks", "set", "--department", "NOPE", "--kind", "wecom", "--url", "https://x/y"])
    assert bad.exit_code != 0 and "NOPE" in bad.output
    bad = runner.invoke(args=["webhooks", "set", "--department", "CGZF", "--kind", "wecom", "--url", "ftp://x"])
    assert bad.exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Webhook)) == 0


def test_setting_again_replaces_the_address_and_keeps_the_secret(county):
    _set("CGZF", "dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=a", SECRET)
    _set("CGZF", "dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=b")
    [webhook] = db.session.scalars(sa.select(Webhook)).all()
    assert webhook.url.endswith("access_token=b") and webhook.secret == SECRET


# --- the admin page -------------------------------------------------------------------------------

def _token(client, url="/admin/webhooks") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text).group(1)


def test_admin_sets_sees_failures_and_removes_a_robot(robots, login, create_user, assigned):
    robot = robots(answers=[(500, {})])
    admin = login(create_user("admin"))
    url = robot.url + f"?key={WECOM_KEY}"
    resp = admin.post("/admin/webhooks", data={"csrf_token": _token(admin), "department": "HWZX", "kind": "wecom",
                                               "url": url, "secret": ""})
    assert resp.status_code == 302
    create_user("department", "HWZX")
    assigned("HWZX")
    _deliver(now_utc())
    page = admin.get("/admin/webhooks").text
    assert "HTTP 500" in page and "webhook-failing" in page
    assert WECOM_KEY not in page and "…5aaa" in page
    webhook = db.session.scalar(sa.select(Webhook))
    resp = admin.post(f"/admin/webhooks/{webhook.id}/delete", data={"csrf_token": _token(admin)})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Webhook)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookMessage)) == 0


def test_admin_page_never_shows_the_secret(login, create_user, county):
    _set("CGZF", "dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=abcdefabcdef9999", SECRET)
    admin = login(create_user("admin"))
    page = admin.get("/admin/webhooks").text
    assert SECRET not in page and "abcdefabcdef9999" not in page and "…9999" in page
    # a blank secret in the form keeps the stored one
    admin.post("/admin/webhooks", data={"csrf_token": _token(admin), "department": "CGZF", "kind": "dingtalk",
                                        "url": "https://oapi.dingtalk.com/robot/send?access_token=new"})
    db.session.expire_all()
    assert db.session.scalar(sa.select(Webhook)).secret == SECRET


def test_admin_writes_need_csrf_and_an_admin(login, create_user, county):
    admin = login(create_user("admin"))
    resp = admin.post("/admin/webhooks", data={"department": "CGZF", "kind": "wecom", "url": "https://x/y"})
    assert resp.status_code in (400, 403)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Webhook)) == 0
    bad = admin.post("/admin/webhooks", data={"csrf_token": _token(admin), "department": "CGZF", "kind": "sms",
                                              "url": "https://x/y"}, follow_redirects=True)
    assert bad.status_code == 200 and db.session.scalar(sa.select(sa.func.count()).select_from(Webhook)) == 0
    admin.post("/logout", data={"csrf_token": _token(admin)})
    supervisor = login(create_user("supervisor", "CCB"))
    assert supervisor.get("/admin/webhooks").status_code == 403
    assert supervisor.post("/admin/webhooks", data={"csrf_token": _token(supervisor, "/supervise"),
                                                    "department": "CGZF", "kind": "wecom",
                                                    "url": "https://x/y"}).status_code == 403


def test_an_escalation_of_many_tickets_fits_one_wecom_message(robots, create_user, report, app, monkeypatch):
    from app.jobs import tasks

    monkeypatch.setitem(app.config, "REPEAT_LINKING", False)  # 25 tickets at one place
    robot = robots()
    create_user("department", "CGZF")
    _set("CGZF", "wecom", robot.url + "?key=k")
    tickets = [report("06008", commit=False).ticket for _ in range(25)]
    db.session.commit()
    db.session.execute(sa.delete(WebhookMessage))  # their 25 assignments: this test is about the escalation
    db.session.commit()
    later = max(t.due_at for t in tickets) + timedelta(hours=1)
    assert tasks.mark_overdue(later) == 25
    db.session.commit()
    assert _deliver(later) == 1
    content = robot.received[0].body["markdown"]["content"]
    assert len(content.encode()) <= 4096  # WeCom's limit for markdown content
    listed = [t for t in tickets if t.case_number in content]
    assert 5 <= len(listed) < 25
    assert f"另有 {25 - len(listed)} 件" in content  # the rest are counted


def test_the_audit_log_keeps_no_credential(county):
    from app.models import AuditEntry

    _set("CGZF", "dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=abcdefabcdef9999", SECRET)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "webhook.set"))
    assert entry.target_id == "CGZF:dingtalk" and entry.details["secret"] is True
    assert "abcdefabcdef9999" not in str(entry.details) and SECRET not in str(entry.details)
