"""What the change feed sends for the phone's report detail and re-inspection task (issue 19 §2).

History, return reason, before/after photos with their URLs and the inspector's own capture time
come with each ticket, for the reports this inspector follows only; the photos' files answer the
inspector (and the ticket's department) and no one else.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.models import Photo, Ticket, TicketEvent
from app.services import change_feed
from app.services.actor import Actor
from app.services.photos.store import store_photo
from app.services.tickets.transitions import ActionInput, transition
from app.timeutil import now_utc
from tests.factories import SEAT, actor_of
from tests.photos.conftest import jpeg_bytes
from tests.sync.conftest import count_statements, report_json, spread


def tickets_in(answer: dict) -> dict[int, dict]:
    return {c["ticket"]["id"]: c["ticket"] for c in answer["changes"] if c["kind"] == "ticket"}


def stored(user, seed: int) -> str:
    photo, _ = store_photo(jpeg_bytes(seed=seed), None, "image/jpeg", Actor.of(user))
    db.session.commit()
    return photo.sha256


@pytest.fixture
def story(phone, inspector, create_user):
    """A report with a real photo, returned by the department, assigned again and resolved with a photo."""
    before = stored(inspector, seed=11)
    captured = (now_utc() - timedelta(hours=3)).replace(microsecond=0)
    answer = phone.sync(reports=[report_json(photos=[before], captured_at=captured.isoformat())])
    ticket_id = answer["results"][0]["ticket_id"]
    ticket = db.session.get(Ticket, ticket_id)
    department = create_user("department", ticket.department.code)
    supervisor = create_user("supervisor")
    after = stored(department, seed=12)

    def act(action, who, **kw):
        current = db.session.get(Ticket, ticket_id)
        transition(ticket_id, ActionInput(action, current.version, **kw), actor_of(who))
        db.session.commit()

    act("return", department, note="不属于本单位")
    act("assign", supervisor, department_code=ticket.department.code)
    act("accept", department)
    act("resolve", department, note="已清理完毕", photos=[after])
    return {"ticket_id": ticket_id, "before": before, "after": after, "captured": captured,
            "department": department}


def test_the_feed_carries_history_return_reason_photos_and_the_capture_time(phone, story):
    ticket = tickets_in(phone.sync())[story["ticket_id"]]
    assert [(e["action"], e["to"]) for e in ticket["events"]] == [
        ("report", "reported"), ("assign", "assigned"), ("return", "returned"), ("assign", "assigned"),
        ("accept", "in_progress"), ("resolve", "resolved")]
    assert ticket["events"][-1]["note"] == "已清理完毕" and ticket["last_note"] == "已清理完毕"
    assert all(datetime.fromisoformat(e["at"]).tzinfo is not None for e in ticket["events"])
    assert ticket["return_note"] == "不属于本单位"
    assert [(p["sha256"], p["kind"]) for p in ticket["photos"]] == [(story["before"], "before"),
                                                                     (story["after"], "after")]
    assert ticket["photos"][0]["thumbnail_url"] == f"/api/v1/photos/{story['before']}/thumb"
    assert datetime.fromisoformat(ticket["own_captured_at"]) == story["captured"].astimezone(UTC)
    assert ticket["task"] is True and ticket["department_name"]
    assert "actor" not in ticket["events"][0]  # what happened, not who: no account names on phones


def test_the_inspector_and_the_department_get_the_thumbnails_others_get_404(phone, story, api, create_user):
    ticket = tickets_in(phone.sync())[story["ticket_id"]]
    for photo in ticket["photos"]:
        for url in (photo["thumbnail_url"], photo["web_url"]):
            resp = phone.get(url)
            assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
            assert resp.data[:2] == b"\xff\xd8"
            resp.close()
    resp = api(story["department"]).get(ticket["photos"][0]["thumbnail_url"])
    assert resp.status_code == 200
    resp.close()
    other_inspector = api(create_user("inspector"))
    other_department = api(create_user("department", "HWZX" if ticket_department(story) != "HWZX" else "CGZF"))
    for client in (other_inspector, other_department):
        for photo in ticket["photos"]:
            resp = client.get(photo["thumbnail_url"])
            assert resp.status_code == 404 and resp.get_json()["error"]["code"]
    assert story["ticket_id"] not in tickets_in(other_inspector.post("/api/v1/sync", json={}).get_json())
    assert other_department.post("/api/v1/sync", json={}).status_code == 403  # the feed is the inspectors'


def ticket_department(story) -> str:
    return db.session.get(Ticket, story["ticket_id"]).department.code


@pytest.mark.parametrize(("path", "status"), [
    ("/api/v1/photos/not-a-hash/thumb", 404), ("/api/v1/photos/" + "0" * 64 + "/thumb", 404),
    ("/api/v1/photos/" + "é" * 70 + "/thumb", 404), ("/api/v1/photos/%00/web", 422)])
def test_bad_photo_ids_are_a_clear_error_never_a_500(phone, path, status):
    resp = phone.get(path)
    assert resp.status_code == status and resp.get_json()["error"]["code"]


def test_a_photo_still_being_prepared_has_no_urls_yet(phone, story):
    db.session.get(Photo, story["after"]).derivatives = "pending"  # its thumbnail is being made (issue 20)
    db.session.commit()
    photos = {p["kind"]: p for p in tickets_in(phone.sync())[story["ticket_id"]]["photos"]}
    assert photos["after"]["thumbnail_url"] is None and photos["after"]["web_url"] is None
    assert photos["before"]["thumbnail_url"] is not None


def test_a_repeat_reporter_sees_its_own_capture_time_not_the_first_reporters(phone, api, create_user):
    first_at = now_utc() - timedelta(hours=5)
    first = phone.sync(reports=[report_json(captured_at=first_at.isoformat())])["results"][0]["ticket_id"]
    second = api(create_user("inspector"))
    own_at = (now_utc() - timedelta(minutes=20)).replace(microsecond=0)
    answer = second.post("/api/v1/sync", json={"reports": [report_json(
        captured_at=own_at.isoformat(), lat=SEAT[0], lon=SEAT[1])]}).get_json()
    assert answer["results"][0]["status"] == "linked" and answer["results"][0]["ticket_id"] == first
    ticket = tickets_in(answer)[first]
    assert ticket["mine"] is True
    assert datetime.fromisoformat(ticket["own_captured_at"]) == own_at.astimezone(UTC)
    assert [e["action"] for e in ticket["events"]][-1] == "repeat"


def test_a_task_of_another_reporter_has_no_own_capture_time(app, api, create_user, ticket_in, inspector):
    ticket = ticket_in("resolved", reporter=inspector)
    neighbour = create_user("inspector")
    neighbour.area_id = ticket.area_id
    db.session.commit()
    app.config["RECHECK_BY"] = "area"
    try:
        seen = tickets_in(api(neighbour).post("/api/v1/sync", json={}).get_json())[ticket.id]
    finally:
        app.config["RECHECK_BY"] = "reporter"
    assert seen["task"] is True and seen["own_captured_at"] is None
    assert {p["kind"] for p in seen["photos"]} == {"after"}


def test_an_area_re_inspector_gets_the_tasks_photos_only_while_it_is_a_task(app, api, create_user, story, inspector):
    ticket = db.session.get(Ticket, story["ticket_id"])
    neighbour_user = create_user("inspector")
    neighbour_user.area_id = ticket.area_id
    db.session.commit()
    neighbour = api(neighbour_user)
    app.config["RECHECK_BY"] = "area"
    try:
        seen = tickets_in(neighbour.post("/api/v1/sync", json={}).get_json())[story["ticket_id"]]
        assert seen["task"] is True and seen["mine"] is False and seen["own_captured_at"] is None
        for photo in seen["photos"]:
            resp = neighbour.get(photo["thumbnail_url"])
            assert resp.status_code == 200
            resp.close()
        closer = stored(inspector, seed=13)
        transition(ticket.id, ActionInput("close", ticket.version, photos=[closer]), actor_of(inspector))
        db.session.commit()
        gone = tickets_in(neighbour.post("/api/v1/sync", json={}).get_json())[story["ticket_id"]]
        assert gone["task"] is False and gone["mine"] is False  # the phone forgets it and its photos
        assert neighbour.get(seen["photos"][0]["thumbnail_url"]).status_code == 404
    finally:
        app.config["RECHECK_BY"] = "reporter"


def test_the_last_note_is_the_latest_status_change_by_order_of_arrival(phone, story):
    """A note that moves nothing does not replace it; a back-dated move that arrived last does."""
    ticket_id = story["ticket_id"]
    db.session.add(TicketEvent(ticket_id=ticket_id, action="repeat", from_status="resolved", to_status="resolved",
                               note="又看到一次"))
    db.session.commit()
    assert tickets_in(phone.sync())[ticket_id]["last_note"] == "已清理完毕"
    db.session.add(TicketEvent(ticket_id=ticket_id, action="reopen", from_status="resolved", to_status="reopened",
                               note="复查未通过", at=now_utc() - timedelta(days=2)))
    db.session.commit()
    ticket = tickets_in(phone.sync())[ticket_id]
    assert ticket["last_note"] == "复查未通过"
    assert ticket["events"][0]["note"] == "复查未通过"  # the history is still in the order of `at`


def test_the_feed_reads_a_page_of_tickets_in_the_same_number_of_statements_as_one(phone, inspector):
    actor = Actor.of(inspector)
    phone.sync(reports=[report_json()])
    one = count_statements(lambda: change_feed.changes_since(0, actor, limit=100))
    phone.sync(reports=[report_json(lat=lat, lon=lon) for lat, lon in spread(6)[1:]])
    feed = change_feed.changes_since(0, actor, limit=100)
    assert len([c for c in feed.changes if c["kind"] == "ticket"]) == 6
    assert all(c["ticket"]["client_ids"] and c["ticket"]["mine"] for c in feed.changes if c["kind"] == "ticket")
    # The head, the tickets, their events, photos and the actor's reports; the categories and their
    # departments (every category is new at cursor 0); SQLite's BEGIN.
    assert count_statements(lambda: change_feed.changes_since(0, actor, limit=100)) == one <= 8
