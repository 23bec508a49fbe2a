"""POST /api/v1/sync: every result status, mixed batches, malformed bodies, who may sync."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Photo, PhotoKind, Report, Ticket, TicketPhoto
from app.timeutil import now_utc
from tests.factories import EAST, OUTSIDE, SEAT
from tests.sync.conftest import report_json, spread


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_new_report_is_created_with_its_fields(phone, inspector, create_photo):
    photo = create_photo()
    sent = report_json(photos=[photo.sha256], accuracy_m=6.5, location_source="exif")
    answer = phone.sync(reports=[sent])
    [result] = answer["results"]
    assert result["status"] == "created" and result["client_id"] == sent["client_id"] and result["errors"] == []
    ticket = db.session.get(Ticket, result["ticket_id"])
    assert (ticket.lat, ticket.lon, ticket.accuracy_m) == (sent["lat"], sent["lon"], 6.5)
    assert ticket.location_source.value == "exif" and ticket.category.code == "09009"
    assert ticket.description == sent["description"] and ticket.address == sent["address"]
    assert ticket.reporter_id == inspector.id
    report = db.session.scalar(sa.select(Report).where(Report.client_id == sent["client_id"]))
    assert report.device_id == "phone-1" and report.ticket_id == ticket.id
    links = db.session.scalars(sa.select(TicketPhoto).where(TicketPhoto.ticket_id == ticket.id)).all()
    assert [(link.photo_sha256, link.kind) for link in links] == [(photo.sha256, PhotoKind.BEFORE)]


def test_the_same_report_again_is_already_synced_with_the_same_ticket(phone):
    sent = report_json()
    first = phone.sync(reports=[sent])["results"][0]
    again = phone.sync(reports=[sent])["results"][0]
    assert again == {**first, "status": "already_synced"}
    assert count(Ticket) == 1 and count(Report) == 1


def test_same_client_id_with_different_content_is_a_conflict_and_changes_nothing(phone):
    sent = report_json(description="original")
    first = phone.sync(reports=[sent])["results"][0]
    changed = phone.sync(reports=[{**sent, "description": "edited"}])["results"][0]
    assert changed["status"] == "conflict" and changed["ticket_id"] == first["ticket_id"]
    assert db.session.get(Ticket, first["ticket_id"]).description == "original"
    assert count(Report) == 1


def test_client_ids_belong_to_their_reporter(phone, api, create_user):
    sent = report_json()
    mine = phone.sync(reports=[sent])["results"][0]
    other = api(create_user("inspector")).post("/api/v1/sync", json={"reports": [
        {**sent, "lat": sent["lat"] + 0.01}]}).get_json()["results"][0]
    assert other["status"] == "created" and other["ticket_id"] != mine["ticket_id"]


def test_a_report_near_an_open_ticket_of_the_same_category_is_linked(phone):
    first = phone.sync(reports=[report_json()])["results"][0]
    near = phone.sync(reports=[report_json(lat=SEAT[0] + 0.0001)])["results"][0]
    assert near["status"] == "linked" and near["ticket_id"] == first["ticket_id"]
    assert db.session.get(Ticket, first["ticket_id"]).report_count == 2
    assert count(Ticket) == 1 and count(Report) == 2


def test_unknown_photos_are_missing_and_nothing_is_stored_until_they_arrive(phone, create_photo):
    known = create_photo()
    unknown = "ab" * 32
    sent = report_json(photos=[known.sha256, unknown])
    result = phone.sync(reports=[sent])["results"][0]
    assert result["status"] == "missing_photos" and result["missing"] == [unknown]
    assert result["ticket_id"] is None and count(Ticket) == 0
    create_photo(unknown)
    assert phone.sync(reports=[sent])["results"][0]["status"] == "created"


def test_exif_read_on_the_phone_travels_to_the_photo_without_overriding_the_servers(phone, create_photo):
    resized, with_exif = create_photo(), create_photo(exif_lat=43.4, exif_lon=11.8)
    taken = "2008-10-22T16:28:39+08:00"
    sent = report_json(photos=[resized.sha256, with_exif.sha256], photo_exif={
        resized.sha256: {"lat": 43.46744, "lon": 11.88512, "taken_at": taken},
        with_exif.sha256: {"lat": 1.0, "lon": 2.0, "taken_at": taken},
    })
    assert phone.sync(reports=[sent])["results"][0]["status"] == "created"
    db.session.expire_all()
    photo = db.session.get(Photo, resized.sha256)
    assert (photo.exif_lat, photo.exif_lon) == (43.46744, 11.88512)
    assert photo.exif_taken_at.isoformat() == "2008-10-22T08:28:39+00:00"
    assert db.session.get(Photo, with_exif.sha256).exif_lat == 43.4


@pytest.mark.parametrize(("fields", "field", "code"), [
    ({"lat": OUTSIDE[0], "lon": OUTSIDE[1]}, "lat", "outside_county"),
    ({"category_code": "NOPE"}, "category_code", "unknown_category"),
    ({"lat": 91}, "lat", "out_of_range"),
    ({"lon": "120"}, "lon", "out_of_range"),
    ({"description": "长" * 1001}, "description", "too_long"),
    ({"photos": [f"{i:064x}" for i in range(10)]}, "photos", "too_many"),
    ({"photos": ["not-a-hash"]}, "photos", "invalid_hash"),
    ({"captured_at": "2026-11-28 10:00"}, "captured_at", "invalid_time"),
    ({"location_source": "guess"}, "location_source", "invalid"),
    ({"client_id": "not-a-uuid"}, "client_id", "invalid"),
])
def test_invalid_reports_are_rejected_with_field_errors(phone, fields, field, code):
    sent = report_json(**fields)
    [result] = phone.sync(reports=[sent])["results"]
    assert result["status"] == "rejected" and result["ticket_id"] is None
    assert result["client_id"] == sent["client_id"]  # echoed even when invalid, so the phone can match it
    assert {(e["field"], e["code"]) for e in result["errors"]} >= {(field, code)}
    assert all(e["message"] for e in result["errors"])
    assert count(Ticket) == 0


def test_error_messages_are_chinese_by_default(phone):
    [result] = phone.sync(reports=[report_json(lat=OUTSIDE[0], lon=OUTSIDE[1])])["results"]
    assert "县" in result["errors"][0]["message"]


def test_the_skew_is_recorded_but_capture_times_are_bounded_by_the_server_clock(phone, app):
    now = now_utc()
    fast_phone = now + timedelta(hours=2)  # the phone's clock runs two hours ahead, and says so
    ok = report_json(captured_at=(now - timedelta(minutes=1)).isoformat())
    # A wrong `sent_at` must not excuse a wrong capture time: years ahead stays years ahead.
    decade = report_json(captured_at=(now + timedelta(days=3650)).isoformat(), lat=EAST[0], lon=EAST[1])
    ahead = report_json(captured_at=(fast_phone - timedelta(minutes=1)).isoformat(), lat=EAST[0] + 0.001)
    answer = phone.sync(reports=[ok, decade, ahead], sent_at=fast_phone.isoformat())
    assert [r["status"] for r in answer["results"]] == ["created", "rejected", "rejected"]
    assert {r["errors"][0]["code"] for r in answer["results"][1:]} == {"in_future"}
    skew = db.session.scalar(sa.select(Report.clock_skew_s).where(Report.client_id == ok["client_id"]))
    assert skew == pytest.approx(7200, abs=60)


def test_without_sent_at_the_future_is_judged_by_the_server_clock(phone, app):
    allowance = app.config["SYNC_CLOCK_SKEW_S"]
    near = report_json(captured_at=(now_utc() + timedelta(seconds=allowance / 2)).isoformat())
    far = report_json(captured_at=(now_utc() + timedelta(seconds=allowance * 2)).isoformat(), lat=EAST[0])
    assert [r["status"] for r in phone.sync(reports=[near, far])["results"]] == ["created", "rejected"]


def test_outside_the_county_may_be_accepted_by_configuration(phone, app):
    app.config["SYNC_OUTSIDE_COUNTY"] = "accept"
    try:
        [result] = phone.sync(reports=[report_json(lat=OUTSIDE[0], lon=OUTSIDE[1])])["results"]
    finally:
        app.config["SYNC_OUTSIDE_COUNTY"] = "reject"
    assert result["status"] == "created"


def test_one_bad_report_never_spoils_its_batch(phone, create_photo):
    points = spread(4)
    good = [report_json(lat=lat, lon=lon) for lat, lon in points[:3]]
    already = good[0]
    phone.sync(reports=[already])
    batch = [
        already,                                       # already_synced
        good[1],                                       # created
        report_json(lat=OUTSIDE[0], lon=OUTSIDE[1]),   # rejected
        "not a report",                                # rejected, no client_id
        report_json(photos=["ee" * 32], lat=points[3][0]),  # missing_photos
        {**already, "description": "changed"},         # conflict
        good[2],                                       # created
    ]
    results = phone.sync(reports=batch)["results"]
    assert [r["status"] for r in results] == [
        "already_synced", "created", "rejected", "rejected", "missing_photos", "conflict", "created"]
    assert results[3]["client_id"] is None
    assert count(Ticket) == 3


@pytest.mark.parametrize("body", [
    [1, 2], "text", {"reports": "x"}, {"reports": [], "cursor": -1}, {"cursor": "5"},
    {"sent_at": "yesterday"}, {"device_id": "x" * 65}, {"actions": {}},
])
def test_malformed_bodies_get_a_400_json_error(phone, body):
    resp = phone.post("/api/v1/sync", json=body)
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] in ("malformed_batch", "malformed_json")


def test_a_body_that_is_not_json_gets_400(phone):
    resp = phone.post("/api/v1/sync", data="{not json", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "malformed_json"


def test_batches_over_the_limit_are_refused_whole(phone, app):
    limit = app.config["SYNC_BATCH_LIMIT"]
    assert limit == 50
    resp = phone.post("/api/v1/sync", json={"reports": [report_json() for _ in range(limit + 1)]})
    assert resp.status_code == 400
    assert {"code": "batch_too_large", "limit": 50}.items() <= resp.get_json()["error"].items()
    assert count(Ticket) == 0


def test_a_full_batch_is_accepted(phone):
    points = [(29.94 + 0.001 * i, 119.93) for i in range(50)]
    results = phone.sync(reports=[report_json(lat=lat, lon=lon) for lat, lon in points])["results"]
    assert {r["status"] for r in results} == {"created"} and count(Ticket) == 50


def test_anonymous_and_department_callers_may_not_sync(client, api, create_user):
    assert client.post("/api/v1/sync", json={}).status_code == 401
    department = api(create_user("department", "CGZF"))
    assert department.post("/api/v1/sync", json={}).status_code == 403


def test_a_session_works_too_but_a_write_needs_the_csrf_header(login, create_user, client):
    login(create_user("inspector"))
    refused = client.post("/api/v1/sync", json={"reports": [report_json()]})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "csrf_failed"
    token = client.get("/app/session.json").get_json()["csrf_token"]
    resp = client.post("/api/v1/sync", json={"reports": [report_json()]}, headers={"X-CSRFToken": token})
    assert resp.status_code == 200 and resp.get_json()["results"][0]["status"] == "created"


def test_a_revoked_device_token_is_refused(phone):
    assert phone.delete("/api/v1/device-tokens/current").status_code == 204
    resp = phone.post("/api/v1/sync", json={"reports": [report_json()]})
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "invalid_token"
