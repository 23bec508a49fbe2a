"""The notification centre for every role: unread count in the nav, the list, open and mark read."""
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Notification
from app.services.notifications import centre as notify
from tests.desk.conftest import csrf_from


def nav_count(html: str) -> int:
    found = re.search(r'class="nav-notifications">[^<]*<span class="count"[^>]*>(\d+)</span>', html)
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize(("role", "department"), [
    ("inspector", None), ("department", "CGZF"), ("supervisor", None), ("admin", None)])
def test_every_role_sees_its_unread_count_and_can_read_its_notifications(login, create_user, role, department):
    user = create_user(role, department)
    notify.send([user.id], "digest", department="城管执法局", day="2026-11-02", open=3, due_today=1, overdue=1,
                overdue_cases=["XC-20261030-0007"], due_today_cases=[])
    notify.send([user.id], "overdue", count=1, cases=["XC-20261030-0007"])
    db.session.commit()
    client = login(user)
    page = client.get("/notifications")
    assert page.status_code == 200 and nav_count(page.text) == 2
    assert "XC-20261030-0007" in page.text and "2026-11-02" in page.text
    first = db.session.scalar(sa.select(Notification.id).where(Notification.user_id == user.id,
                                                               Notification.kind == "digest"))
    opened = client.post(f"/notifications/{first}/open", data={"csrf_token": csrf_from(page.text)})
    assert opened.status_code == 302 and opened.headers["Location"] == "/notifications"
    assert nav_count(client.get("/notifications").text) == 1
    client.post("/notifications/read", data={"csrf_token": csrf_from(page.text)})
    assert nav_count(client.get("/notifications").text) == 0


def test_opening_a_ticket_notification_leads_to_the_ticket(login, create_user, ticket_in):
    ticket = ticket_in("resolved")  # the reporter is told to re-inspect it
    from app.models import User

    reporter = db.session.get(User, ticket.reporter_id)
    client = login(reporter)
    page = client.get("/notifications")
    assert ticket.case_number in page.text
    row = db.session.scalar(sa.select(Notification).where(Notification.user_id == reporter.id))
    opened = client.post(f"/notifications/{row.id}/open", data={"csrf_token": csrf_from(page.text)})
    assert opened.headers["Location"] == f"/tickets/{ticket.id}"
    db.session.refresh(row)
    assert row.read_at is not None


def test_notifications_speak_the_readers_language(login, create_user):
    user = create_user("supervisor")
    notify.send([user.id], "overdue", count=2, cases=["XC-1", "XC-2"])
    db.session.commit()
    client = login(user)
    assert "2 ticket(s) became overdue" in client.get("/notifications?lang=en").text
    assert "2 ticket(s) became overdue" not in client.get("/notifications?lang=zh_CN").text


def test_the_digest_names_the_department_in_the_readers_language(login, cgzf_clerk_with_digest):
    client = login(cgzf_clerk_with_digest)
    english, chinese = client.get("/notifications?lang=en").text, client.get("/notifications?lang=zh_CN").text
    department = cgzf_clerk_with_digest.department
    assert f"Daily digest for {department.name_en}" in english and department.name_zh not in english
    assert department.name_zh in chinese


@pytest.fixture
def cgzf_clerk_with_digest(create_user, report):
    from datetime import datetime, time, timedelta

    from app.jobs import tasks
    from app.timeutil import local_zone, now_utc, to_local

    clerk = create_user("department", "CGZF")
    noon = datetime.combine(to_local(now_utc()).date(), time(12), local_zone())  # after DIGEST_HOUR
    report("06008", now=noon - timedelta(hours=80))  # routed to CGZF, overdue by noon
    assert tasks.daily_digest(noon) == 1
    db.session.commit()
    return clerk


def test_the_notification_api(api, create_user):
    user = create_user("inspector")
    notify.send([user.id], "overdue", count=1, cases=["XC-1"])
    notify.send([user.id], "overdue", count=1, cases=["XC-2"])
    db.session.commit()
    client = api(user)
    body = client.get("/api/v1/notifications").json
    assert body["unread"] == 2 and body["total"] == 2
    newest = body["notifications"][0]
    assert newest["kind"] == "overdue" and newest["data"]["cases"] == ["XC-2"] and newest["read_at"] is None
    read = client.post(f"/api/v1/notifications/{newest['id']}/read")
    assert read.status_code == 200 and read.json["read_at"] is not None
    assert client.get("/api/v1/notifications").json["unread"] == 1
    assert client.post("/api/v1/notifications/read").json == {"marked": 1}
    assert client.get("/api/v1/notifications").json["unread"] == 0


def test_the_one_who_acts_is_not_told_about_it(api, create_user, ticket_in):
    supervisor = create_user("supervisor")
    ticket = ticket_in("returned")  # the ticket_in supervisor and ours are told
    told = set(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "returned")))
    assert supervisor.id in told
    response = api(supervisor).post(f"/api/v1/tickets/{ticket.id}/actions/assign", json={
        "version": ticket.version, "department_code": "HWZX"})
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).where(Notification.kind == "assigned",
                                                             Notification.user_id == supervisor.id)) == 0
