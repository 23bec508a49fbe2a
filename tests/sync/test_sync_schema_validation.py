"""Sync items are validated by their models (app/schemas/sync.py), each on its own: one bad item
among good ones is rejected with its field errors, in the codes clients already know, and the
others are stored. A field added to the model shows in the document and in the validation."""
from __future__ import annotations

import json
import uuid
from typing import Annotated

import pytest
import sqlalchemy as sa
from pydantic import Field

from app.extensions import db
from app.models import Report, Ticket
from app.schemas import sync as wire
from app.schemas.document import document
from app.schemas.pwa import wire_fields_js
from app.schemas.wire import Code
from tests.assessment.visit_json import toilet, visit_json
from tests.sync.conftest import report_json, spread

SHA = "ab" * 32


def _codes(result: dict) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in result["errors"]]


def _stored() -> set[str]:
    db.session.rollback()
    return set(db.session.scalars(sa.select(Report.client_id)))


def test_one_bad_report_among_good_ones_is_rejected_with_each_field_error(phone):
    first_at, second_at, bad_at = spread(3)
    first, second = report_json(lat=first_at[0], lon=first_at[1]), report_json(lat=second_at[0], lon=second_at[1])
    bad = report_json(lat=91, lon="120", accuracy_m=-1, location_source="guess", captured_at="yesterday",
                      photos=["not-a-hash"], photo_exif={SHA: {"lat": 1}}, capture_seq=0, category_code="  ")
    answer = phone.sync(reports=[first, bad, second])
    assert [r["status"] for r in answer["results"]] == ["created", "rejected", "created"]
    rejected = answer["results"][1]
    assert rejected["client_id"] == bad["client_id"] and rejected["ticket_id"] is None
    assert _codes(rejected) == [("category_code", "required"), ("lat", "out_of_range"), ("lon", "out_of_range"),
                                ("accuracy_m", "invalid"), ("location_source", "invalid"),
                                ("captured_at", "invalid_time"), ("photos", "invalid_hash"),
                                ("photo_exif", "invalid"), ("capture_seq", "invalid")]
    assert all(e["message"] for e in rejected["errors"])
    assert _stored() == {first["client_id"], second["client_id"]}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 2


def test_the_intakes_rules_still_answer_in_their_codes(phone, app):
    too_long = report_json(description="长" * (app.config["SYNC_MAX_DESCRIPTION"] + 1))
    ahead = report_json(captured_at="2200-01-01T00:00:00+00:00")
    outside = report_json(lat=10.0, lon=10.0)
    results = phone.sync(reports=[too_long, ahead, outside])["results"]
    assert [r["status"] for r in results] == ["rejected"] * 3
    assert results[0]["errors"][0] | {"message": ""} == {"field": "description", "code": "too_long",
                                                         "limit": app.config["SYNC_MAX_DESCRIPTION"], "message": ""}
    assert _codes(results[1]) == [("captured_at", "in_future")]
    assert ("lat", "outside_county") in _codes(results[2])


@pytest.mark.parametrize(("fields", "expected"), [
    ({"lat": 10**400}, [("lat", "out_of_range")]),  # a whole number no float holds
    ({"lon": 1.7e308}, [("lon", "out_of_range")]),
    ({"lat": True}, [("lat", "out_of_range")]),  # not a number, though Python says it is
    ({"accuracy_m": 10**30}, [("accuracy_m", "invalid")]),
    ({"captured_at": "9999-12-31T23:59:59+00:00"}, [("captured_at", "invalid_time")]),
    ({"captured_at": "0001-01-01T00:00:00+14:00"}, [("captured_at", "invalid_time")]),
    ({"captured_at": "2026-11-28T12:00:00"}, [("captured_at", "invalid_time")]),  # no offset
    ({"client_id": "路边\ud83d"}, [("client_id", "invalid")]),
    ({"category_code": "06\x00012"}, [("category_code", "invalid_text")]),
    ({"photos": [SHA + "\x00"]}, [("photos", "invalid_hash")]),
    ({"photo_exif": {SHA: {"taken_at": "\ud800"}}, "photos": [SHA]}, [("photo_exif", "invalid")]),
    ({"capture_seq": 2**40}, [("capture_seq", "invalid")]),
])
def test_hostile_values_are_clean_field_errors_and_spoil_nothing_else(phone, fields, expected):
    good_at, bad_at = spread(2)
    good = report_json(lat=good_at[0], lon=good_at[1])
    bad = report_json(**{"lat": bad_at[0], "lon": bad_at[1], **fields})
    answer = phone.sync(reports=[bad, good])
    assert answer["results"][1]["status"] == "created"
    assert answer["results"][0]["status"] == "rejected" and _codes(answer["results"][0]) == expected
    assert _stored() == {good["client_id"]}


def test_deep_nesting_inside_an_item_is_refused_cleanly(phone):
    nested: object = "x"
    for _ in range(40):
        nested = {"a": nested}
    resp = phone.post("/api/v1/sync", json={"reports": [report_json(photo_exif=nested)]})
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "validation_failed"
    shallow = phone.sync(reports=[report_json(photo_exif={SHA: {"lat": {"b": {"c": 1}}}}, photos=[SHA])])
    assert _codes(shallow["results"][0]) == [("photo_exif", "invalid")]


def test_one_bad_result_rejects_its_visit_only_naming_the_result(phone, county):
    point, version = toilet()
    passes = {"A1": "pass", "A2": "pass", "A3": "na"}
    good = visit_json(point.code, version.version, passes)
    bad = visit_json(point.code, version.version, passes)
    bad["results"][0] = {**bad["results"][0], "outcome": "maybe", "note": 5}
    bad["results"].append("junk")
    answer = phone.sync(visits=[bad, good], reports=[report_json()])
    bad_result, good_result = answer["visit_results"]
    assert good_result["status"] == "created" and answer["results"][0]["status"] == "created"
    assert bad_result["status"] == "rejected"
    code = bad["results"][0]["item_code"]
    assert [(e["field"], e["code"], e.get("item_code")) for e in bad_result["errors"]] == [
        ("results[0].outcome", "invalid", code), ("results[0].note", "invalid", code),
        (f"results[{len(bad['results']) - 1}]", "not_an_object", None)]


def test_the_envelope_is_refused_whole_naming_its_field(phone, app):
    for body, field, code in [({"cursor": -1}, "cursor", "malformed_batch"),
                              ({"cursor": 2**63}, "cursor", "malformed_batch"),
                              ({"sent_at": "soon"}, "sent_at", "malformed_batch"),
                              ({"reports": {"a": 1}}, "reports", "malformed_batch"),
                              ({"waiting": [0]}, "waiting", "malformed_batch"),
                              ({"visits": [{}] * (app.config["SYNC_BATCH_LIMIT"] + 1)}, "visits", "batch_too_large")]:
        error = phone.sync(expect=400, **body)["error"]
        assert (error["field"], error["code"]) == (field, code), body
    assert _stored() == set()


class ReportWithPlate(wire.ReportIn):
    """ReportIn with one more field, as a developer would add it."""

    plate_number: Annotated[str | None, Field(max_length=8, description="the vehicle's plate"),
                            Code("invalid")] = None


def test_a_field_added_to_the_model_shows_in_the_document_the_validation_and_the_pwa(phone, app, monkeypatch):
    monkeypatch.setattr(wire, "ReportIn", ReportWithPlate)
    monkeypatch.setitem(wire.SyncBatchIn.item_models, "reports", ReportWithPlate)
    body = document(app)
    plate = body["components"]["schemas"]["ReportWithPlate"]["properties"]["plate_number"]
    assert plate["anyOf"][0] == {"type": "string", "maxLength": 8}
    assert body["components"]["schemas"]["SyncBatchIn"]["properties"]["reports"]["items"] == {
        "$ref": "#/components/schemas/ReportWithPlate"}
    good_at, bad_at = spread(2)
    good = report_json(lat=good_at[0], lon=good_at[1], plate_number="苏A12345")
    bad = report_json(lat=bad_at[0], lon=bad_at[1], plate_number="苏A123456789")
    answer = phone.sync(reports=[good, bad])
    assert answer["results"][0]["status"] == "created"
    assert _codes(answer["results"][1]) == [("plate_number", "invalid")]
    fields = json.loads(wire_fields_js().split("REPORT_FIELDS = ")[1].split(";")[0])
    assert "plate_number" in fields


def test_an_item_that_is_not_an_object_is_answered_not_an_object(phone):
    answer = phone.sync(reports=["junk", report_json()], actions=[7])
    assert _codes(answer["results"][0]) == [("report", "not_an_object")]
    assert answer["results"][1]["status"] == "created"
    assert _codes(answer["action_results"][0]) == [("action", "not_an_object")]


def test_client_ids_are_echoed_canonical_or_as_sent(phone):
    spelled = str(uuid.uuid4()).upper()
    answer = phone.sync(reports=[report_json(client_id=spelled, lat=None), report_json(client_id="x" * 80, lat=None)])
    assert answer["results"][0]["client_id"] == spelled.lower()
    assert answer["results"][1]["client_id"] == "x" * 64
