"""The Monday 通报 in the campaign office's notification centre (issue 17 §2), once a week."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.jobs.weekly_bulletin import send_weekly_bulletin
from app.models import Notification
from tests.supervise.bulletin_case import at, make

LOCAL = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2026, 6, 15, 9, 0, tzinfo=LOCAL)  # last week: 06-08 … 06-14


@pytest.fixture
def weekly(app, monkeypatch):
    monkeypatch.setitem(app.config, "BULLETIN_WEEKLY", True)


@pytest.fixture
def office(create_user):
    return create_user("supervisor"), create_user("supervisor")


def test_on_monday_morning_each_supervisor_gets_last_weeks_bulletin_once(weekly, office, create_user):
    create_user("department", "CGZF")  # not a supervisor: nothing for them
    for day in (8, 9, 10, 11, 12):
        make("CGZF", at(day, 18), ("accept", at(day)))  # five overdue: CGZF is named
    db.session.commit()
    assert send_weekly_bulletin(MONDAY_9) == 2
    db.session.commit()
    assert send_weekly_bulletin(MONDAY_9.replace(hour=10)) == 0  # once a week
    rows = db.session.scalars(sa.select(Notification)).all()
    assert sorted(n.user_id for n in rows) == sorted(u.id for u in office)
    assert {n.kind for n in rows} == {"bulletin"}
    assert rows[0].data["start"] == "2026-06-08" and rows[0].data["end"] == "2026-06-14"
    assert rows[0].data["criticised"] == ["县城市管理局（县综合行政执法局）"]


@pytest.mark.parametrize("moment", [datetime(2026, 6, 15, 7, 59, tzinfo=LOCAL),  # before BULLETIN_HOUR
                                    datetime(2026, 6, 16, 9, 0, tzinfo=LOCAL)])  # a Tuesday
def test_not_before_the_hour_nor_on_other_days(weekly, office, moment):
    assert send_weekly_bulletin(moment) == 0


def test_off_unless_configured(app, office):
    assert app.config["BULLETIN_WEEKLY"] is False
    assert send_weekly_bulletin(MONDAY_9) == 0


def test_the_notification_opens_that_weeks_bulletin(weekly, office, login):
    send_weekly_bulletin(MONDAY_9)
    db.session.commit()
    client = login(office[0])
    page = client.get("/notifications").text
    assert "2026-06-08" in page and "本期无通报批评单位" in page
    row = db.session.scalar(sa.select(Notification).where(Notification.user_id == office[0].id))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/notifications/{row.id}/open", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/supervise/bulletin.docx?start=2026-06-08&end=2026-06-14")
    assert client.get(response.headers["Location"]).mimetype.endswith("wordprocessingml.document")
