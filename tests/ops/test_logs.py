"""Structured logs: one JSON object a line with time, level, request id, route, status, duration and
user id; no password or token ever; the request id answered in X-Request-Id and carried into the
notifications, robot messages and tasks a request queues, and logged again when the job or the task
handles them."""
from __future__ import annotations

import io
import json
import logging
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.jobs import tasks
from app.jobs.scheduler import JobRunner
from app.models import Notification
from app.ops.logging import JsonFormatter
from tests.factories import PASSWORD


@pytest.fixture
def log_lines():
    """Everything logged meanwhile, through the JSON formatter the servers use; parsed line by line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def read() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]  # fails unless every line is JSON

    read.raw = stream.getvalue
    yield read
    root.removeHandler(handler)
    root.setLevel(level)


def request_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "xuncha.request"]


def test_a_request_line_has_every_field(client, api, create_user, ticket_in, log_lines):
    supervisor = create_user("supervisor")
    phone = api(supervisor)
    ticket = ticket_in("assigned")
    resp = phone.get(f"/api/v1/tickets/{ticket.id}", headers={"X-Request-Id": "lb-1234abcd"})
    assert resp.status_code == 200 and resp.headers["X-Request-Id"] == "lb-1234abcd"
    [line] = request_lines(log_lines())
    assert line["request_id"] == "lb-1234abcd" and line["level"] == "INFO"
    assert line["route"] == "/api/v1/tickets/<int:ticket_id>" and line["method"] == "GET"
    assert line["status"] == 200 and line["user_id"] == supervisor.id
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])


@pytest.mark.parametrize("incoming", [None, "short", "has spaces in it", "x" * 65, "bad\u00e9chars!!", "-leading1"])
def test_an_absent_or_malformed_request_id_is_replaced(client, incoming, log_lines):
    headers = {"X-Request-Id": incoming} if incoming is not None else {}
    resp = client.get("/healthz", headers=headers)
    made = resp.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made) and made != incoming
    assert request_lines(log_lines())[0]["request_id"] == made


def test_each_request_gets_its_own_id(client):
    ids = {client.get("/healthz").headers["X-Request-Id"] for _ in range(3)}
    assert len(ids) == 3


def test_no_password_or_token_reaches_the_log(client, app, create_user, api, log_lines):
    user = create_user("inspector")
    page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"username": user.username, "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    client.post("/login", data={"username": user.username, "password": "Wrong-" + PASSWORD, "csrf_token": token})
    phone = api(user)
    phone.get("/api/v1/tickets?token=query-secret-1")
    logging.getLogger("test").warning("connecting with password=%s and token: %s to %s", "hunter2-pw",
                                      "tok-123456", "postgresql://xuncha:db-secret@db/xuncha")
    logging.getLogger("test").info("headers", extra={"authorization": f"Bearer {phone.token}",
                                                     "note": f"Bearer {phone.token}", "api_key": "k-1"})
    raw = log_lines.raw()
    lines = log_lines()
    for secret in (PASSWORD, "hunter2-pw", "tok-123456", "db-secret", phone.token, "query-secret-1", token, "k-1"):
        assert secret not in raw, secret
    assert {line["route"] for line in request_lines(lines)} >= {"/login", "/api/v1/tickets"}
    assert any("[scrubbed]" in line["message"] for line in lines)


def test_the_request_id_goes_into_the_notification_and_back_into_the_job_log(
        client, app, api, create_user, ticket_in, log_lines):
    ticket = ticket_in("assigned")
    create_user("supervisor")
    department = api(create_user("department", ticket.department.code))
    resp = department.post(f"/api/v1/tickets/{ticket.id}/actions/return", json={"version": ticket.version,
                                                                                 "note": "not ours"},
                           headers={"X-Request-Id": "req-return-0001"})
    assert resp.status_code == 200, resp.text
    queued = db.session.scalars(sa.select(Notification).where(Notification.kind == "returned")).all()
    assert queued and {n.request_id for n in queued} == {"req-return-0001"}
    queued_ids = {n.id for n in queued}
    db.session.commit()  # the job writes through its own session

    assert JobRunner(app, "test-holder").run("send_email", tasks.send_email) == 0  # no SMTP: marked handled
    handled = [line for line in log_lines() if line.get("notification_id") in queued_ids]
    assert len(handled) == len(queued_ids)
    for line in handled:
        assert line["queued_by_request"] == "req-return-0001"
        assert line["request_id"].startswith("job-send_email-")  # the job run's own id
    done = [line for line in log_lines() if line.get("job") == "send_email"]
    assert done and done[0]["request_id"] == handled[0]["request_id"]


def test_the_request_id_goes_into_the_robot_message_and_back_into_the_job_log(
        app, api, create_user, ticket_in, monkeypatch, log_lines):
    """An assignment a supervisor makes queues a message for the department's WeCom robot: stored with
    the request id, and the job that posts it later logs that id as queued_by_request."""
    from app.models.webhook import WebhookMessage
    from app.services.actor import Actor
    from app.services.notifications import webhooks
    from tests.notifications import webhook_server
    from tests.notifications.webhook_server import Robot

    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://xuncha.county.example")
    robot = Robot()
    server = webhook_server.start(robot, "/cgi-bin/webhook/send")
    try:
        webhooks.configure(Actor.system(), "HWZX", "wecom", robot.url + "?key=k-robot-1", None)
        db.session.commit()
        ticket = ticket_in("assigned")
        assert ticket.department.code != "HWZX"
        supervisor = api(create_user("supervisor", "CCB"))
        resp = supervisor.post(f"/api/v1/tickets/{ticket.id}/actions/assign",
                               json={"version": ticket.version, "department_code": "HWZX"},
                               headers={"X-Request-Id": "req-assign-0001"})
        assert resp.status_code == 200, resp.text
        [message] = db.session.scalars(sa.select(WebhookMessage)).all()
        assert message.request_id == "req-assign-0001"
        db.session.commit()

        assert JobRunner(app, "test-holder").run("send_webhooks", __import__("app.jobs.webhooks").jobs.webhooks
                                                 .send_webhooks) == 1
        assert len(robot.received) == 1
    finally:
        server.shutdown()
        server.server_close()
    [sent] = [line for line in log_lines() if line.get("webhook_message_id") == message.id]
    assert sent["queued_by_request"] == "req-assign-0001"
    assert sent["request_id"].startswith("job-send_webhooks-")  # the job run's own id
    assert "k-robot-1" not in log_lines.raw()


def test_the_request_id_goes_into_the_task_it_queues(app, api, create_user, tmp_path, monkeypatch, log_lines):
    """A photo upload queues its derivatives on a real queue; the worker that runs the task later, in a
    context of its own, logs under the upload's request id."""
    import hashlib
    import io
    import uuid

    from PIL import Image

    from app.ops import context
    from app.tasks import queue as task_queue

    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "media"))
    monkeypatch.setitem(app.config, "TASK_IMMEDIATE", False)
    monkeypatch.setitem(app.config, "TASK_IN_WEB", "off")
    tasks = task_queue.build(app, immediate=False, backend="embedded", url=str(tmp_path / "tasks.sqlite3"),
                             name=f"test-{uuid.uuid4().hex[:12]}")
    monkeypatch.setitem(app.extensions, "tasks", tasks)
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 30)).save(picture, "JPEG")
    data = picture.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    resp = api(create_user("inspector")).put(f"/api/v1/photos/{sha}", data=data, content_type="image/jpeg",
                                             headers={"X-Request-Id": "req-upload-0001"})
    assert resp.status_code == 201, resp.text
    assert not [line for line in log_lines() if line.get("task")]  # queued, not run yet
    db.session.commit()

    assert context.current() is None  # the worker knows nothing of the upload but what the task carries
    assert tasks.drain() == 1
    [ran] = [line for line in log_lines() if line.get("task") == "photo_derivatives"]
    assert ran["request_id"] == "req-upload-0001" and ran["key"] == sha and ran["result"] == "ready"
    assert isinstance(ran["duration_ms"], float)


def test_a_task_queued_by_a_job_runs_under_the_job_run_id(app, create_photo, tmp_path, monkeypatch, log_lines):
    import uuid
    from datetime import timedelta

    from app.tasks import photos as photo_tasks
    from app.tasks import queue as task_queue
    from app.timeutil import now_utc

    monkeypatch.setitem(app.config, "TASK_IMMEDIATE", False)
    monkeypatch.setitem(app.config, "TASK_IN_WEB", "off")
    tasks = task_queue.build(app, immediate=False, backend="embedded", url=str(tmp_path / "tasks.sqlite3"),
                             name=f"test-{uuid.uuid4().hex[:12]}")
    monkeypatch.setitem(app.extensions, "tasks", tasks)
    lost = create_photo(derivatives="pending")
    lost.created_at = now_utc() - timedelta(hours=1)  # its task was lost with a killed process
    db.session.commit()
    assert JobRunner(app, "test-holder").run("requeue_photo_tasks", photo_tasks.requeue_stale) == 1
    tasks.drain()  # no original: it fails, and its retries (no delay in the tests) run here too
    ran = [line for line in log_lines() if line.get("task") == "photo_derivatives"]
    assert ran and {line["key"] for line in ran} == {lost.sha256} and ran[-1]["result"] == "failed"
    [run_id] = {line["request_id"] for line in ran}  # every try under the one job run's id
    assert run_id.startswith("job-requeue_photo_tasks-")


def test_a_job_queues_notifications_under_its_run_id(app, ticket_in, create_user, log_lines):
    from datetime import timedelta

    from app.timeutil import now_utc

    ticket = ticket_in("assigned")
    create_user("supervisor")
    ticket.due_at = now_utc() - timedelta(hours=1)
    db.session.commit()
    assert JobRunner(app, "test-holder").run("mark_overdue", tasks.mark_overdue) == 1
    ids = set(db.session.scalars(sa.select(Notification.request_id).where(Notification.kind == "overdue")))
    [run_id] = ids
    assert run_id.startswith("job-mark_overdue-")
    assert any(line.get("job") == "mark_overdue" and line["request_id"] == run_id for line in log_lines())


def test_sentry_only_with_a_dsn_and_without_cookies_or_secrets(tmp_path):
    import subprocess
    import sys

    from app.ops.errors import _before_send
    from tests.conftest import REPO

    event = {"request": {"url": "https://x/login", "cookies": {"session": "s3cret"}, "headers": {"Cookie": "a"},
                         "data": {"password": "pw-1"}}, "extra": {"token": "t-1", "count": 3},
             "message": "login failed password=pw-2"}
    sent = _before_send(event, None)
    assert "cookies" not in sent["request"] and "data" not in sent["request"] and "headers" not in sent["request"]
    assert sent["extra"] == {"token": "[scrubbed]", "count": 3} and "pw-2" not in sent["message"]
    probe = ("from app import create_app; import sentry_sdk; create_app(); "
             "print(sentry_sdk.get_client().is_active())")
    for dsn, active in (("", "False"), ("http://public@127.0.0.1:9/1", "True")):
        env = {"PATH": "/usr/bin:/bin", "SENTRY_DSN": dsn, "SECRET_KEY": "x" * 32,
               "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
        out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True,
                             timeout=120)
        assert out.stdout.strip().splitlines()[-1] == active, out.stderr[-2000:]
