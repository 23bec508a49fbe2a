"""Voiding a wrong visit (supervisors and admins, with a reason) and the list of visits (issue 14 §3)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, Visit
from app.timeutil import now_utc, to_local
from tests.assessment.conftest import offset
from tests.assessment.visit_json import AT, toilet, visit_json


@pytest.fixture
def site(bare_county):
    return toilet()


@pytest.fixture
def people(create_user):
    return {role: create_user(role if role != "other" else "inspector", "HWZX" if role == "department" else None)
            for role in ("inspector", "other", "supervisor", "admin", "department")}


@pytest.fixture
def synced(api, site, people, create_photo):
    """Sync visits as an inspector: synced("inspector", fail=True, at=…) → the visit's id."""
    point, version = site

    def make(who: str = "inspector", *, fail: bool = False, at=AT) -> int:
        outcomes = {"A1": "pass", "A2": "pass", "A3": "na"}
        if fail:
            outcomes["A2"] = ("fail", [create_photo(uploaded_by=[people[who]]).sha256])
        body = api(people[who]).post("/api/v1/sync", json={"visits": [
            visit_json(point.code, version.version, outcomes, at=at)]}).json
        answer = body["visit_results"][0]
        assert answer["status"] == "created", answer
        return answer["visit_id"]

    return make


def _void(api, user, visit_id, reason="在错误的点位测评"):
    return api(user).post(f"/api/v1/assessment/visits/{visit_id}/void", json={"reason": reason})


def _period() -> str:
    today = to_local(now_utc()).date()
    return f"start={today - timedelta(days=1)}&end={today}"


def test_a_supervisor_voids_a_visit_with_a_reason(api, people, synced):
    visit_id = synced()
    resp = _void(api, people["supervisor"], visit_id, "  照片与点位不符  ")
    assert resp.status_code == 200, resp.text
    assert resp.json["voided"] is True and resp.json["void_reason"] == "照片与点位不符"
    visit = db.session.get(Visit, visit_id)
    assert visit.voided_at is not None and visit.voided_by_id == people["supervisor"].id
    assert visit.void_reason == "照片与点位不符"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "visit_voided"))
    assert entry.target_id == str(visit_id) and entry.actor_id == people["supervisor"].id
    assert _void(api, people["admin"], synced()).status_code == 200


def test_voiding_needs_a_reason_and_happens_once(api, people, synced):
    visit_id = synced()
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": 7}, {"reason": "x" * 1001}):
        resp = api(people["supervisor"]).post(f"/api/v1/assessment/visits/{visit_id}/void", json=body)
        assert resp.status_code == 422, body
        assert resp.json["error"]["code"] == "validation_failed" and resp.json["error"]["field"] == "reason"
    assert db.session.get(Visit, visit_id).voided_at is None
    assert _void(api, people["supervisor"], visit_id).status_code == 200
    again = _void(api, people["admin"], visit_id)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_voided"


def test_inspectors_and_departments_may_not_void(api, people, synced):
    visit_id = synced()
    assert _void(api, people["inspector"], visit_id).status_code == 403  # its own: seen, not its to do
    assert _void(api, people["other"], visit_id).status_code == 404  # another's: not its to know
    assert _void(api, people["department"], visit_id).status_code == 404
    assert _void(api, people["supervisor"], visit_id + 1000).status_code == 404
    db.session.expire_all()
    assert db.session.get(Visit, visit_id).voided_at is None


def test_a_voided_visit_no_longer_counts_in_the_score(api, people, synced, site):
    point, _version = site
    visit_id = synced(fail=True)  # A2 failed: −5
    supervisor = api(people["supervisor"])
    before = supervisor.get(f"/api/v1/assessment/score?{_period()}").json
    assert {"code": point.code, "score": 95.0, "failed": ["A2"]} in before["by_point"]
    assert point.code not in before["never_visited"]
    assert _void(api, people["supervisor"], visit_id).status_code == 200
    after = supervisor.get(f"/api/v1/assessment/score?{_period()}").json
    assert point.code not in [p["code"] for p in after["by_point"]]
    assert point.code in after["never_visited"]


def test_a_voided_visit_sent_again_is_still_already_synced(api, people, site):
    point, version = site
    sent = visit_json(point.code, version.version, {"A1": "pass", "A2": "pass", "A3": "na"})
    phone = api(people["inspector"])
    first = phone.post("/api/v1/sync", json={"visits": [sent]}).json["visit_results"][0]
    assert _void(api, people["supervisor"], first["visit_id"]).status_code == 200
    again = phone.post("/api/v1/sync", json={"visits": [sent]}).json["visit_results"][0]
    assert again["status"] == "already_synced" and again["visit_id"] == first["visit_id"]


def test_supervisors_list_every_visit_and_the_flagged_ones(api, people, synced, site):
    point, _version = site
    near = synced("inspector", fail=True)
    far = synced("other", at=offset(AT, 900))
    _void(api, people["supervisor"], near)
    body = api(people["supervisor"]).get(f"/api/v1/assessment/visits?{_period()}").json
    assert body["total"] == 2 and [v["id"] for v in body["visits"]] == [far, near]  # newest first
    rows = {v["id"]: v for v in body["visits"]}
    assert rows[near]["point_code"] == point.code and rows[near]["inspector"] == people["inspector"].username
    assert rows[near]["voided"] is True and rows[near]["void_reason"] and rows[near]["failed"] == 1
    assert set(rows[near]["tickets"]) == {"A2"} and rows[near]["flagged_far"] is False
    assert rows[far]["flagged_far"] is True and rows[far]["distance_m"] == pytest.approx(900, abs=5)
    flagged = api(people["admin"]).get(f"/api/v1/assessment/visits?{_period()}&flagged=1").json
    assert [v["id"] for v in flagged["visits"]] == [far]


def test_an_inspector_lists_only_its_own_visits_and_a_department_none(api, people, synced):
    own = synced("inspector")
    synced("other")
    body = api(people["inspector"]).get(f"/api/v1/assessment/visits?{_period()}").json
    assert [v["id"] for v in body["visits"]] == [own] and body["total"] == 1
    assert api(people["department"]).get(f"/api/v1/assessment/visits?{_period()}").status_code == 403


@pytest.mark.parametrize(("query", "field"), [
    ("end=2026-01-31", "start"), ("start=2026-01-01", "end"), ("start=2026-02-01&end=2026-01-01", "end"),
    ("start=01/02/2026&end=2026-01-01", "start"), ("start=2026-01-01&end=2026-01-31&flagged=maybe", "flagged"),
    ("start=2026-01-01&end=2026-01-31&page=0", "page"),
])
def test_a_bad_list_query_is_422(api, people, query, field):
    resp = api(people["supervisor"]).get(f"/api/v1/assessment/visits?{query}")
    assert resp.status_code == 422 and resp.json["error"]["field"] == field, resp.text
