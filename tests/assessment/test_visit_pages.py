"""A visit far from its point (or without a position) is flagged to the supervisors — a notification
and the visits page — who void a wrong one there with a reason (issue 14 §3)."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Notification, Visit
from app.timeutil import now_utc, to_local
from tests.assessment.conftest import offset
from tests.assessment.visit_json import AT, toilet, visit_json

ALL_PASS = {"A1": "pass", "A2": "pass", "A3": "na"}


@pytest.fixture
def site(bare_county):
    return toilet()


@pytest.fixture
def people(create_user):
    return {role: create_user(role, "HWZX" if role == "department" else None)
            for role in ("inspector", "supervisor", "admin", "department")}


@pytest.fixture
def sync(api, site, people):
    point, version = site

    def send(at=AT, body=None) -> dict:
        body = body or visit_json(point.code, version.version, ALL_PASS, at=at)
        answer = api(people["inspector"]).post("/api/v1/sync", json={"visits": [body]}).json["visit_results"][0]
        assert answer["status"] in ("created", "already_synced"), answer
        return answer

    return send


def _notes(user) -> list[Notification]:
    try:
        return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id,
                                                                     Notification.kind == "visit_far")))
    finally:
        db.session.rollback()


def _token(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_a_far_visit_is_announced_to_the_supervisors_once(sync, site, people):
    point, version = site
    body = visit_json(point.code, version.version, ALL_PASS, at=offset(AT, 500))
    first = sync(body=body)
    assert sync(body=body)["status"] == "already_synced"  # sent again: announced once
    [note] = _notes(people["supervisor"])
    assert note.data["visit_id"] == first["visit_id"] and note.data["point"] == point.code
    assert note.data["distance_m"] == pytest.approx(500, abs=2)
    assert _notes(people["inspector"]) == [] and _notes(people["department"]) == []


def test_a_visit_without_a_position_is_announced_and_a_near_one_is_not(sync, people):
    sync(at=offset(AT, 150))
    assert _notes(people["supervisor"]) == []
    sync(at=None)
    [note] = _notes(people["supervisor"])
    assert note.data["distance_m"] is None


def test_the_notification_reads_in_both_languages_and_opens_the_flagged_visits(login, sync, people):
    sync(at=offset(AT, 500))
    client = login(people["supervisor"])
    page = client.get("/notifications")
    assert re.search(r"点位 V-GGCS 的测评时距点位 (499|500) 米，请核查", page.text), page.text
    english = client.get("/notifications?lang=en")
    assert re.search(r"Assessment visit of V-GGCS made (499|500) m from the point: check it", english.text)
    [note] = _notes(people["supervisor"])
    opened = client.post(f"/notifications/{note.id}/open", data={"csrf_token": _token(page)})
    day = to_local(now_utc()).date().isoformat()
    assert opened.status_code == 302
    assert f"/supervise/assessment/visits?start={day}&end={day}&flagged=1" in opened.headers["Location"]


def test_the_page_lists_the_flagged_visits_and_all_of_them_on_request(login, sync, people):
    far = sync(at=offset(AT, 500))["visit_id"]
    unplaced = sync(at=None)["visit_id"]
    near = sync()["visit_id"]
    client = login(people["supervisor"])
    page = client.get("/supervise/assessment/visits")
    assert page.status_code == 200 and "测评记录" in page.text
    shown = {int(i) for i in re.findall(r'data-visit-id="(\d+)"', page.text)}
    assert shown == {far, unplaced}
    assert "无定位" in page.text and "2 条标记" in page.text
    every = client.get("/supervise/assessment/visits?flagged=0&lang=en")
    assert {int(i) for i in re.findall(r'data-visit-id="(\d+)"', every.text)} == {far, unplaced, near}
    assert "Assessment visits" in every.text and "2 flagged visit(s) in the period." in every.text
    assert 'href="/supervise/assessment/visits"' in client.get("/supervise/assessment").text  # in the nav


def test_a_supervisor_voids_a_flagged_visit_on_the_page_and_it_leaves_the_score(login, sync, people, api):
    far = sync(at=offset(AT, 500))
    client = login(people["supervisor"])
    today = to_local(now_utc()).date().isoformat()
    score = api(people["supervisor"]).get(f"/api/v1/assessment/score?start={today}&end={today}").json
    assert [p["code"] for p in score["by_point"]] == ["V-GGCS"]
    page = client.get("/supervise/assessment/visits")
    token = _token(page)

    refused = client.post(f"/supervise/assessment/visits/{far['visit_id']}/void?flagged=1",
                          data={"csrf_token": token, "reason": "   "})
    assert refused.status_code == 422 and 'id="void-error"' in refused.text
    assert db.session.get(Visit, far["visit_id"]).voided_at is None
    db.session.rollback()

    done = client.post(f"/supervise/assessment/visits/{far['visit_id']}/void?flagged=1",
                       data={"csrf_token": token, "reason": "定位在另一个镇"})
    assert done.status_code == 303 and "flagged=1" in done.headers["Location"]
    db.session.expire_all()
    visit = db.session.get(Visit, far["visit_id"])
    assert visit.void_reason == "定位在另一个镇" and visit.voided_by_id == people["supervisor"].id
    db.session.rollback()
    after = client.get("/supervise/assessment/visits")
    assert "定位在另一个镇" in after.text and 'name="reason"' not in after.text
    score = api(people["supervisor"]).get(f"/api/v1/assessment/score?start={today}&end={today}").json
    assert score["by_point"] == [] and score["never_visited"] == ["V-GGCS"]

    again = client.post(f"/supervise/assessment/visits/{far['visit_id']}/void",
                        data={"csrf_token": token, "reason": "again"})
    assert again.status_code == 409


@pytest.mark.parametrize("query, status", [
    ("start=2026-13-01&end=2026-12-01", 422), ("start=2026-12-01", 422), ("start=2026-12-02&end=2026-12-01", 422),
    ("flagged=yes", 422), ("page=0", 422)])
def test_a_bad_query_is_a_readable_422(login, people, site, query, status):
    page = login(people["supervisor"]).get(f"/supervise/assessment/visits?{query}")
    assert page.status_code == status and "<html" in page.text


@pytest.mark.parametrize("role, expected", [("inspector", 403), ("department", 403), ("admin", 200)])
def test_only_supervisors_and_admins_see_the_page(login, people, site, role, expected):
    assert login(people[role]).get("/supervise/assessment/visits").status_code == expected
