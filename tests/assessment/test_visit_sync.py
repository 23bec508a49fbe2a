"""Offline assessment visits through POST /api/v1/sync (issue 14 §3): whole or nothing, each fail a
ticket through the one intake (repeat linking included), exactly once however the phone resends."""
from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Category, EvidenceFlag, InspectionPoint, Report, Ticket, TicketPhoto, Visit, VisitResult
from app.services.accounts.users import issue_device_token
from app.services.assessment import checklists, visits
from app.services.reports import intake
from tests.assessment.conftest import box_around, offset
from tests.assessment.visit_json import AT, counts, toilet, visit_json
from tests.factories import SEAT
from tests.live_server import live_server
from tests.sync import test_sync_cut_connection as cut_helpers
from tests.sync.conftest import report_json


@pytest.fixture
def inspector(create_user):
    return create_user("inspector")


@pytest.fixture
def photos(create_photo, inspector):
    """Three photos the inspector uploaded."""
    return [create_photo(uploaded_by=[inspector]).sha256 for _ in range(3)]


@pytest.fixture
def site(bare_county):
    return toilet()


@pytest.fixture
def phone(api, inspector):
    client = api(inspector)

    def sync(expect: int = 200, **body):
        body.setdefault("device_id", "phone-1")
        resp = client.post("/api/v1/sync", json=body)
        assert resp.status_code == expect, resp.text
        return resp.get_json()

    client.sync = sync
    return client


def _mixed(site, photos) -> dict:
    point, version = site
    return visit_json(point.code, version.version, {
        "A1": ("fail", [photos[0]], "男厕有异味"), "A2": "pass", "A3": ("fail", photos[1:3])})


def test_a_visit_with_fails_and_passes_makes_one_ticket_per_fail_and_keeps_every_result(phone, site, photos):
    point, version = site
    sent = _mixed(site, photos)

    body = phone.sync(visits=[sent])

    assert body["results"] == [] and body["action_results"] == []
    [answer] = body["visit_results"]
    assert answer["client_id"] == sent["client_id"] and answer["status"] == "created"
    assert answer["errors"] == [] and answer["missing"] == []
    assert set(answer["tickets"]) == {"A1", "A3"} and len(set(answer["tickets"].values())) == 2
    visit = db.session.get(Visit, answer["visit_id"])
    assert (visit.point_id, visit.checklist_version_id) == (point.id, version.id)
    assert visit.distance_m == 0.0 and visit.flagged_far is False and visit.voided_at is None
    results = {r.item_code: r for r in visit.results}
    assert {c: r.outcome.value for c, r in results.items()} == {"A1": "fail", "A2": "pass", "A3": "fail"}
    assert results["A2"].ticket_id is None and results["A1"].note == "男厕有异味"
    assert results["A3"].photos == photos[1:3]
    for code, category_code in (("A1", "03001"), ("A3", "X12004")):
        ticket = db.session.get(Ticket, answer["tickets"][code])
        assert results[code].ticket_id == ticket.id
        assert ticket.category.code == category_code and ticket.address == point.name
        assert (ticket.lat, ticket.lon) == AT
        report = db.session.scalar(sa.select(Report).where(Report.ticket_id == ticket.id))
        assert report.client_id == visits.item_client_id(sent["client_id"], code)
        assert report.device_id == "phone-1"
        attached = set(db.session.scalars(
            sa.select(TicketPhoto.photo_sha256).where(TicketPhoto.ticket_id == ticket.id)))
        assert attached == set(results[code].photos)
    # routed like any report of its category: 03001 has a default department and a deadline
    toilet_ticket = db.session.get(Ticket, answer["tickets"]["A1"])
    assert toilet_ticket.status.value == "assigned" and toilet_ticket.due_at is not None
    assert toilet_ticket.description == "检查项 A1\n男厕有异味"
    assert db.session.get(Ticket, answer["tickets"]["A3"]).description == "检查项 A3"
    assert counts() == {"Visit": 1, "VisitResult": 3, "Ticket": 2, "Report": 2}


def test_sent_again_it_is_already_synced_with_the_same_visit_and_tickets(phone, site, photos):
    sent = _mixed(site, photos)
    first = phone.sync(visits=[sent])["visit_results"][0]
    again = phone.sync(visits=[sent])["visit_results"][0]
    assert again == {**first, "status": "already_synced"}
    assert counts() == {"Visit": 1, "VisitResult": 3, "Ticket": 2, "Report": 2}


def test_the_same_client_id_with_other_content_is_a_conflict_and_changes_nothing(phone, site, photos):
    sent = _mixed(site, photos)
    first = phone.sync(visits=[sent])["visit_results"][0]
    changed = {**sent, "results": [{**r, "outcome": "pass", "photos": []} for r in sent["results"]]}
    answer = phone.sync(visits=[changed])["visit_results"][0]
    assert answer["status"] == "conflict" and answer["visit_id"] == first["visit_id"]
    assert counts() == {"Visit": 1, "VisitResult": 3, "Ticket": 2, "Report": 2}
    assert db.session.scalar(sa.select(VisitResult.outcome).where(VisitResult.item_code == "A1")).value == "fail"


def test_the_same_batch_sent_in_parallel_makes_one_visit_and_one_ticket_per_fail(app, site, photos, inspector):
    copies = 8
    # One token per copy (as in tests/sync): a shared token row would queue the requests one behind another.
    tokens = [issue_device_token(inspector, f"device {i}") for i in range(copies)]
    body = {"visits": [_mixed(site, photos)]}
    db.session.commit()  # SQLite: this thread must hold no transaction (BEGIN IMMEDIATE) while they run
    barrier = threading.Barrier(copies)
    answers: list = [None] * copies

    def send(i: int) -> None:
        client = app.test_client()
        barrier.wait()
        resp = client.post("/api/v1/sync", json=body, headers={"Authorization": f"Bearer {tokens[i]}"})
        answers[i] = (resp.status_code, resp.get_json())

    threads = [threading.Thread(target=send, args=(i,)) for i in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert [status for status, _ in answers] == [200] * copies
    results = [b["visit_results"][0] for _, b in answers]
    assert sorted(r["status"] for r in results) == ["already_synced"] * (copies - 1) + ["created"]
    assert len({r["visit_id"] for r in results}) == 1
    assert len({tuple(sorted(r["tickets"].items())) for r in results}) == 1
    assert counts() == {"Visit": 1, "VisitResult": 3, "Ticket": 2, "Report": 2}


def test_a_copy_that_races_past_the_look_up_is_stopped_by_the_unique_key(phone, site, photos, monkeypatch):
    sent = _mixed(site, photos)
    first = phone.sync(visits=[sent])["visit_results"][0]
    real_lookup = visits.known_visit
    calls = []

    def stale_lookup(client_id, fingerprint, actor):
        calls.append(client_id)  # the first look-up "ran before the other copy committed"
        return None if len(calls) == 1 else real_lookup(client_id, fingerprint, actor)

    monkeypatch.setattr(visits, "known_visit", stale_lookup)
    again = phone.sync(visits=[sent])["visit_results"][0]
    assert len(calls) == 2
    assert again == {**first, "status": "already_synced"}
    assert counts() == {"Visit": 1, "VisitResult": 3, "Ticket": 2, "Report": 2}


def test_a_fail_near_an_open_ticket_of_its_category_is_linked_to_it(phone, site, photos, report, inspector):
    point, version = site
    existing = report("03001", at=offset(AT, 12), reporter=inspector).ticket  # an ordinary report, 12 m away
    answer = phone.sync(visits=[visit_json(point.code, version.version, {
        "A1": ("fail", photos[:1]), "A2": "pass", "A3": "na"})])["visit_results"][0]
    assert answer["status"] == "created" and answer["tickets"] == {"A1": existing.id}
    db.session.refresh(existing)
    assert existing.report_count == 2
    assert db.session.scalar(sa.select(VisitResult.ticket_id).where(VisitResult.item_code == "A1")) == existing.id
    assert counts()["Ticket"] == 1


def test_a_fail_without_a_photo_rejects_the_visit_with_the_item_and_stores_nothing(phone, site, photos):
    point, version = site
    answer = phone.sync(visits=[visit_json(point.code, version.version, {
        "A1": ("fail", photos[:1]), "A2": ("fail", []), "A3": "pass"})])["visit_results"][0]
    assert answer["status"] == "rejected" and answer["visit_id"] is None and answer["tickets"] == {}
    [problem] = answer["errors"]
    assert problem["field"] == "results[1].photos" and problem["code"] == "photo_required"
    assert problem["item_code"] == "A2" and problem["message"] == "不合格项至少需要一张照片。"  # zh-CN by default
    assert counts() == {"Visit": 0, "VisitResult": 0, "Ticket": 0, "Report": 0}


def test_an_item_the_intake_refuses_rejects_the_whole_visit(phone, site, photos):
    point, version = site
    db.session.scalar(sa.select(Category).where(Category.code == "X12004")).active = False  # retired since
    db.session.commit()
    answer = phone.sync(visits=[visit_json(point.code, version.version, {
        "A1": ("fail", photos[:1]), "A2": "pass", "A3": ("fail", photos[1:2])})])["visit_results"][0]
    assert answer["status"] == "rejected"
    assert answer["errors"] == [{"field": "results[2].item_code", "code": "unknown_category", "item_code": "A3",
                                 "message": answer["errors"][0]["message"]}]
    assert counts() == {"Visit": 0, "VisitResult": 0, "Ticket": 0, "Report": 0}


def test_a_refusal_after_a_first_ticket_was_made_undoes_it_too(phone, site, photos, monkeypatch):
    point, version = site
    real_receive = intake.receive
    calls = []

    def refuse_the_second(report, actor, now, provenance):
        calls.append(report.category_code)
        if len(calls) == 2:  # e.g. a rule the database alone enforces
            return intake.IntakeResult(report.client_id, intake.Status.REJECTED,
                                       errors=(intake.FieldError("photos", "too_many", limit=9),))
        return real_receive(report, actor, now, provenance)

    monkeypatch.setattr(intake, "receive", refuse_the_second)
    answer = phone.sync(visits=[visit_json(point.code, version.version, {
        "A1": ("fail", photos[:1]), "A2": "pass", "A3": ("fail", photos[1:2])})])["visit_results"][0]
    assert calls == ["03001", "X12004"]  # the first ticket was made, then the second refused
    assert answer["status"] == "rejected"
    assert [(e["field"], e["code"], e["item_code"]) for e in answer["errors"]] == [
        ("results[2].photos", "too_many", "A3")]
    assert counts() == {"Visit": 0, "VisitResult": 0, "Ticket": 0, "Report": 0}


def test_photos_not_uploaded_are_named_and_nothing_is_stored(phone, site, photos):
    point, version = site
    unknown = "f" * 64
    answer = phone.sync(visits=[visit_json(point.code, version.version, {
        "A1": ("fail", [photos[0], unknown]), "A2": "pass", "A3": "na"})])["visit_results"][0]
    assert answer["status"] == "missing_photos" and answer["missing"] == [unknown] and answer["visit_id"] is None
    assert counts() == {"Visit": 0, "VisitResult": 0, "Ticket": 0, "Report": 0}


@pytest.mark.parametrize(("change", "field", "code", "item_code"), [
    ({"point_code": "NO-SUCH"}, "point_code", "unknown_point", None),
    ({"checklist_version": 99}, "checklist_version", "unknown_checklist_version", None),
    ({"results": [{"item_code": "A9", "outcome": "pass"}]}, "results[3].item_code", "unknown_item", "A9"),
    ({"results": [{"item_code": "A2", "outcome": "na"}]}, "results[3].item_code", "duplicate_item", "A2"),
    ({"results": [{"item_code": "A2", "outcome": "maybe"}]}, "results[3].outcome", "invalid", "A2"),
    ({"results": [{"item_code": "A2", "outcome": "pass", "photos": ["xyz"]}]}, "results[3].photos",
     "invalid_hash", "A2"),
    ({"results": [{"item_code": "A2", "outcome": "pass", "note": "x" * 1001}]}, "results[3].note", "too_long", "A2"),
    ({"results": ["pass"]}, "results[3]", "not_an_object", None),
    ({"results": []}, "results", "required", None),
    ({"lon": None}, "lon", "out_of_range", None),
    ({"finished_at": "2099-01-01T00:00:00Z"}, "finished_at", "in_future", None),
    ({"finished_at": "2000-01-01T00:00:00Z"}, "finished_at", "before_start", None),
    ({"started_at": "yesterday"}, "started_at", "invalid_time", None),
])
def test_a_bad_visit_is_rejected_with_the_field(phone, site, photos, change, field, code, item_code):
    point, version = site
    sent = visit_json(point.code, version.version, {"A1": ("fail", photos[:1]), "A2": "pass", "A3": "na"})
    if "results" in change:
        change = {"results": sent["results"] + change["results"] if change["results"] else []}
    answer = phone.sync(visits=[{**sent, **change}])["visit_results"][0]
    assert answer["status"] == "rejected" and answer["client_id"] == sent["client_id"]
    assert (answer["errors"][0]["field"], answer["errors"][0]["code"]) == (field, code), answer["errors"]
    assert answer["errors"][0].get("item_code") == item_code
    assert counts()["Visit"] == 0


def test_every_item_must_be_answered(phone, site, photos):
    point, version = site
    answer = phone.sync(visits=[visit_json(point.code, version.version, {"A1": "pass"})])["visit_results"][0]
    assert answer["status"] == "rejected"
    assert [(e["field"], e["code"], e["item_code"]) for e in answer["errors"]] == [
        ("results", "unanswered", "A2"), ("results", "unanswered", "A3")]


def test_one_bad_visit_spoils_neither_the_other_visits_nor_the_reports(phone, site, photos):
    point, version = site
    good = [visit_json(point.code, version.version, {"A1": ("fail", photos[:1]), "A2": "pass", "A3": "na"}),
            visit_json(point.code, version.version, {"A1": "pass", "A2": "pass", "A3": "pass"})]
    bad = visit_json(point.code, version.version, {"A1": ("fail", []), "A2": "pass", "A3": "na"})
    body = phone.sync(reports=[report_json(lat=SEAT[0], lon=SEAT[1])],
                      visits=[good[0], "not a visit", bad, {**good[1], "point_code": "NO-SUCH"}, good[1]])
    assert [r["status"] for r in body["results"]] == ["created"]
    assert [v["status"] for v in body["visit_results"]] == ["created", "rejected", "rejected", "rejected", "created"]
    assert body["visit_results"][1]["errors"][0]["code"] == "not_an_object"
    assert counts() == {"Visit": 2, "VisitResult": 6, "Ticket": 2, "Report": 2}


def test_too_many_visits_refuse_the_batch(phone, app, site):
    limit = app.config["SYNC_BATCH_LIMIT"]
    body = phone.sync(expect=400, visits=[{}] * (limit + 1))
    assert body["error"]["code"] == "batch_too_large" and body["error"]["field"] == "visits"


def test_a_visit_far_from_its_point_is_flagged_not_refused_and_its_tickets_are_at_the_point(phone, site, photos):
    point, version = site
    far = offset(AT, 500)
    answer = phone.sync(visits=[visit_json(point.code, version.version, {
        "A1": ("fail", photos[:1]), "A2": "pass", "A3": "na"}, at=far)])["visit_results"][0]
    assert answer["status"] == "created"
    visit = db.session.get(Visit, answer["visit_id"])
    assert visit.flagged_far is True and visit.distance_m == pytest.approx(500, abs=2)
    assert (visit.lat, visit.lon) == far
    ticket = db.session.get(Ticket, answer["tickets"]["A1"])
    assert (ticket.lat, ticket.lon) == (point.lat, point.lon) and ticket.location_source.value == "manual"


def test_a_visit_without_a_position_is_flagged(phone, site, photos):
    point, version = site
    answer = phone.sync(visits=[visit_json(point.code, version.version, {
        "A1": "pass", "A2": "pass", "A3": "na"}, at=None)])["visit_results"][0]
    visit = db.session.get(Visit, answer["visit_id"])
    assert answer["status"] == "created" and visit.flagged_far is True and visit.distance_m is None


def test_near_but_not_at_the_point_is_not_flagged(phone, site):
    point, version = site
    answer = phone.sync(visits=[visit_json(point.code, version.version, {
        "A1": "pass", "A2": "pass", "A3": "na"}, at=offset(AT, 150))])["visit_results"][0]
    visit = db.session.get(Visit, answer["visit_id"])
    assert visit.flagged_far is False and visit.distance_m == pytest.approx(150, abs=2)


def test_inside_a_polygon_the_distance_is_zero_and_outside_it_is_to_the_outline(phone, bare_county):
    point, version = toilet("V-PARK", polygon=box_around(AT, 400, 100))
    inside, outside = offset(AT, 0, 390), offset(AT, 0, 650)  # 250 m east of the outline, 650 m of the point
    answers = phone.sync(visits=[
        visit_json(point.code, version.version, {"A1": "pass", "A2": "pass", "A3": "na"}, at=where)
        for where in (inside, outside)])["visit_results"]
    first, second = (db.session.get(Visit, a["visit_id"]) for a in answers)
    assert first.distance_m == 0.0 and first.flagged_far is False
    assert second.distance_m == pytest.approx(250, abs=3) and second.flagged_far is True


def test_an_old_checklist_version_is_accepted_and_the_visit_keeps_it(phone, site, photos):
    point, current = site
    old = checklists.get_version("GGCS", 1)
    assert current.version > old.version
    outcomes = {item.code: "pass" for item in old.items}
    failing = old.items[0]
    outcomes[failing.code] = ("fail", photos[:1])
    answer = phone.sync(visits=[visit_json(point.code, 1, outcomes)])["visit_results"][0]
    assert answer["status"] == "created" and set(answer["tickets"]) == {failing.code}
    visit = db.session.get(Visit, answer["visit_id"])
    assert visit.checklist_version_id == old.id
    assert {r.item_code for r in visit.results} == {i.code for i in old.items}
    assert db.session.get(Ticket, answer["tickets"][failing.code]).category_id == failing.category_id
    # the current version's codes are not the old one's: a visit made with it cannot answer them
    mixed = visit_json(point.code, 1, {"A1": "pass", "A2": "pass", "A3": "na"})
    assert phone.sync(visits=[mixed])["visit_results"][0]["errors"][0]["code"] == "unknown_item"


def test_departments_may_not_sync_visits(api, create_user, site):
    point, version = site
    resp = api(create_user("department", "HWZX")).post("/api/v1/sync", json={"visits": [
        visit_json(point.code, version.version, {"A1": "pass", "A2": "pass", "A3": "na"})]})
    assert resp.status_code == 403
    assert counts()["Visit"] == 0


def test_a_supervisor_may_sync_a_visit_as_the_sync_endpoint_allows(api, create_user, site):
    point, version = site
    supervisor = create_user("supervisor")
    resp = api(supervisor).post("/api/v1/sync", json={"visits": [
        visit_json(point.code, version.version, {"A1": "pass", "A2": "pass", "A3": "na"})]})
    assert resp.status_code == 200 and resp.json["visit_results"][0]["status"] == "created"
    assert db.session.scalar(sa.select(Visit.inspector_id)) == supervisor.id


# --- the network cut mid-upload (the proxy of tests/sync/test_sync_cut_connection.py) ----------

def test_a_visit_cut_mid_upload_or_whose_answer_is_lost_is_stored_exactly_once(app, api, inspector, site, photos):
    token = api(inspector).token
    sent = [_mixed(site, photos),
            visit_json(site[0].code, site[1].version, {"A1": "pass", "A2": "pass", "A3": "pass"})]
    body = json.dumps({"device_id": "phone-1", "visits": sent}).encode()
    request = cut_helpers._raw_request(token, body)
    db.session.commit()  # SQLite: hold no transaction while the live server writes
    with live_server(app) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        # cut in the middle of the body: the server never sees a whole request and stores nothing
        proxy = cut_helpers.CutProxy(port, request_bytes=len(request) - len(body) // 2)
        assert b"HTTP/1.1 200" not in cut_helpers._send_through(proxy, request)
        assert counts() == {"Visit": 0, "VisitResult": 0, "Ticket": 0, "Report": 0}
        # whole this time, but the answer is lost after the commit: the phone does not know
        proxy = cut_helpers.CutProxy(port, drop_response=True)
        assert cut_helpers._send_through(proxy, request) == b""
        assert counts() == {"Visit": 2, "VisitResult": 6, "Ticket": 2, "Report": 2}
        retried = cut_helpers._post(base_url, token, body)["visit_results"]
    assert [r["status"] for r in retried] == ["already_synced", "already_synced"]
    stored = db.session.scalars(sa.select(Visit).order_by(Visit.id)).all()
    assert [r["visit_id"] for r in retried] == [v.id for v in stored]
    assert retried[0]["tickets"] == {r.item_code: r.ticket_id for r in stored[0].results if r.ticket_id}
    assert counts() == {"Visit": 2, "VisitResult": 6, "Ticket": 2, "Report": 2}


def test_the_reasons_are_in_the_callers_language(phone, site):
    point, version = site
    sent = visit_json(point.code, version.version, {"A1": ("fail", []), "A2": "pass", "A3": "na"})
    resp = phone.post("/api/v1/sync?lang=en", json={"visits": [sent]})
    assert resp.json["visit_results"][0]["errors"][0]["message"] == "A failed item needs at least one photo."


HOSTILE = {"lone surrogate": "路边\ud83d垃圾", "NUL": "违停\x00车辆", "escape": "\x1b[31m红字", "DEL": "占道\x7f经营"}


@pytest.mark.parametrize("where", ["point_code", "item_code", "note"])
@pytest.mark.parametrize("value", list(HOSTILE.values()), ids=list(HOSTILE))
def test_one_bad_string_rejects_its_visit_alone(phone, site, where, value):
    point, version = site
    good, bad = (visit_json(point.code, version.version, {"A1": "pass", "A2": "pass", "A3": "na"}) for _ in "ab")
    if where == "point_code":
        bad["point_code"], field = value, "point_code"
    else:
        bad["results"][0][where], field = value, f"results[0].{where}"
    answers = phone.sync(visits=[bad, good])["visit_results"]
    assert [a["status"] for a in answers] == ["rejected", "created"]
    assert [(e["field"], e["code"]) for e in answers[0]["errors"]] == [(field, "invalid_text")]
    assert counts()["Visit"] == 1


def test_a_broken_outline_stored_in_the_database_falls_back_to_the_distance_from_the_position(phone, bare_county):
    point, version = toilet("V-BROKEN", polygon=box_around(AT, 400, 100))
    db.session.execute(sa.update(InspectionPoint).where(InspectionPoint.id == point.id)
                       .values(polygon={"type": "Polygon", "coordinates": [[[1, 2]]]}))
    db.session.commit()
    answer = phone.sync(visits=[visit_json(point.code, version.version, {"A1": "pass", "A2": "pass", "A3": "na"},
                                           at=offset(AT, 0, 300))])["visit_results"][0]
    visit = db.session.get(Visit, answer["visit_id"])
    assert answer["status"] == "created" and visit.distance_m == pytest.approx(300, abs=3)


def test_a_fails_photos_get_the_evidence_flags_of_any_report(phone, site, create_photo, inspector):
    point, version = site
    stored_far = create_photo(uploaded_by=[inspector], exif_lat=AT[0] + 0.01, exif_lon=AT[1]).sha256  # 1.1 km
    resized = create_photo(uploaded_by=[inspector]).sha256  # the phone's resized copy: no EXIF of its own
    sent = visit_json(point.code, version.version, {"A1": ("fail", [stored_far]), "A2": "pass",
                                                    "A3": ("fail", [resized])})
    sent["results"][2]["photo_exif"] = {resized: {"lat": AT[0], "lon": AT[1] + 0.02, "taken_at": None}}  # 1.9 km
    answer = phone.sync(visits=[sent])["visit_results"][0]
    assert answer["status"] == "created"
    flags = {(f.ticket_id, f.photo_sha256, f.code) for f in db.session.scalars(sa.select(EvidenceFlag))}
    assert flags == {(answer["tickets"]["A1"], stored_far, "gps_far"), (answer["tickets"]["A3"], resized, "gps_far")}
    # a photo_exif naming a photo the result does not hold is refused, as for a report
    bad = visit_json(point.code, version.version, {"A1": "pass", "A2": "pass", "A3": "na"})
    bad["results"][0]["photo_exif"] = {"a" * 64: {"lat": 1, "lon": 2}}
    refused = phone.sync(visits=[bad])["visit_results"][0]
    assert (refused["errors"][0]["field"], refused["errors"][0]["code"]) == ("results[0].photo_exif", "invalid")


FINGERPRINT = "ee9a56c02c847fda8f9378f50a5291cc97dddc42792465602a05bad3aea211f1"


def test_the_fingerprint_of_a_visit_without_photo_exif_never_changes():
    # Stored with every visit: a change here would turn every phone's resend into a conflict.
    at = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    visit = visits.IncomingVisit("c", "P-1", 2, at, at, (visits.IncomingResult("A1", "fail", "x", ("ab",)),
                                                         visits.IncomingResult("A0", "pass")), 29.9, 119.9, 5.0)
    assert visit.fingerprint() == FINGERPRINT
