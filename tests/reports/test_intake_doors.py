"""One intake, two doors: the phone's sync and Open311's POST refuse the same reports for the same reasons.

Each case is one report, sent once as a sync item and once as a GeoReport POST by the same kind
of account. The sync answer names the refusal by code; GeoReport can only say it in words (its
error is `{"code": 400, "description": ...}`), so its description must carry the very message
the intake gives for that code, and nothing may be stored by either door.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Report, Ticket
from app.services.accounts.users import issue_device_token
from app.services.reports import intake
from app.timeutil import now_utc
from tests.factories import OUTSIDE, SEAT

UNKNOWN_SHA = "ab" * 32

# (case id, what to change, the intake's refusal code, Open311 status)
CASES = [
    ("outside the county", {"lat": OUTSIDE[0], "lon": OUTSIDE[1]}, "outside_county", 400),
    ("null island", {"lat": 0.0, "lon": 0.0}, "outside_county", 400),
    ("description too long", {"description": "违" * 1001}, "too_long", 400),
    ("address too long", {"address": "路" * 301}, "too_long", 400),
    ("unknown category", {"category_code": "99999"}, "unknown_category", 404),
    ("photo not uploaded", {"photos": [UNKNOWN_SHA]}, "missing_photos", 400),
    ("captured in the future", {"captured_at": timedelta(hours=2)}, "in_future", 400),
    ("captured ten years ahead", {"captured_at": timedelta(days=3650)}, "in_future", 400),
]


def _report(change: dict) -> dict:
    report = {"client_id": str(uuid.uuid4()), "category_code": "09009", "description": "人民路口机动车乱停放",
              "lat": SEAT[0], "lon": SEAT[1], "location_source": "device", "address": "人民路 12 号",
              "captured_at": now_utc() - timedelta(minutes=5), "photos": []}
    for key, value in change.items():
        report[key] = now_utc() + value if key == "captured_at" else value
    return report


def _as_sync_item(report: dict) -> dict:
    return {**report, "captured_at": report["captured_at"].isoformat()}


def _as_georeport_form(report: dict, key: str) -> dict:
    form = {"api_key": key, "service_code": report["category_code"], "lat": str(report["lat"]),
            "long": str(report["lon"]), "description": report["description"],
            "address_string": report["address"], "attribute[captured_at]": report["captured_at"].isoformat(),
            "attribute[plate_number]": "浙A12345"}  # what the parking service asks for (its definition)
    if report["photos"]:
        form["media_url"] = f"http://127.0.0.1:5000/api/v1/photos/{report['photos'][0]}"
    return form


@pytest.fixture
def doors(app, create_user):
    """send(report) through each door, as one inspector with one device token."""
    inspector = create_user("inspector")
    key = issue_device_token(inspector, "doors")
    db.session.commit()
    client = app.test_client()

    def by_sync(report):
        resp = client.post("/api/v1/sync", json={"device_id": "phone-1", "reports": [_as_sync_item(report)]},
                           headers={"Authorization": f"Bearer {key}"})
        assert resp.status_code == 200, resp.text
        return resp.get_json()["results"][0]

    def by_open311(report):
        return client.post("/open311/v2/requests.json", data=_as_georeport_form(report, key))

    return by_sync, by_open311


def _stored() -> tuple[int, int]:
    db.session.rollback()
    return (db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)),
            db.session.scalar(sa.select(sa.func.count()).select_from(Report)))


@pytest.mark.parametrize(("change", "code", "open311_status"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_both_doors_refuse_the_same_report_for_the_same_reason(county, doors, change, code, open311_status):
    by_sync, by_open311 = doors
    report = _report(change)

    answer = by_sync(report)
    if code == "missing_photos":
        assert answer["status"] == "missing_photos" and answer["missing"] == [UNKNOWN_SHA]
        expected = UNKNOWN_SHA  # GeoReport names the photo to upload first
    else:
        assert answer["status"] == "rejected" and [e["code"] for e in answer["errors"]] == [code]
        expected = answer["errors"][0]["message"]

    resp = by_open311(report)
    assert resp.status_code == open311_status, resp.text
    [error] = resp.get_json()
    assert error["code"] == open311_status
    if code == "unknown_category":
        expected = "service_code"  # the spec's own refusal: an unknown service_code
    assert expected in error["description"]
    assert _stored() == (0, 0)


def test_both_doors_accept_a_good_report_and_route_it_the_same_way(county, doors):
    by_sync, by_open311 = doors
    synced = by_sync(_report({}))
    posted = by_open311(_report({"lat": SEAT[0] + 0.01}))  # 1 km away: not a repeat of the first
    assert synced["status"] == "created" and posted.status_code == 201, posted.text
    db.session.rollback()
    first = db.session.get(Ticket, synced["ticket_id"])
    case_number = posted.get_json()[0]["service_request_id"]
    second = db.session.scalar(sa.select(Ticket).where(Ticket.case_number == case_number))
    assert (first.status, first.department_id, first.due_at is not None) == \
        (second.status, second.department_id, second.due_at is not None)
    assert _stored() == (2, 2)


def test_a_repeat_through_open311_is_linked_like_one_through_sync(county, doors):
    by_sync, by_open311 = doors
    synced = by_sync(_report({}))
    posted = by_open311(_report({"lat": SEAT[0] + 0.00005}))  # 5 m away: the same problem again
    assert posted.status_code == 201, posted.text
    db.session.rollback()
    ticket = db.session.get(Ticket, synced["ticket_id"])
    assert posted.get_json()[0]["service_request_id"] == ticket.case_number and ticket.report_count == 2


def test_every_refusal_code_has_a_message_in_both_languages(app):
    from flask_babel import force_locale

    for code in intake.MESSAGES:
        error = intake.FieldError("x", code)
        with app.test_request_context(), force_locale("en"):
            english = intake.message_for(error)
        with app.test_request_context(), force_locale("zh_CN"):
            chinese = intake.message_for(error)
        assert english and chinese and english != chinese, code
