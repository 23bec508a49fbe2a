"""Capture numbers (issue 18): gaps, silent and replaced phones are reported once; resends and older
clients are not losses; a late arrival is found."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import force_locale

from app.extensions import db
from app.jobs.device_loss import report_silent_devices
from app.models import CaptureNumber, Device, Notification
from app.services.notifications import centre
from app.timeutil import now_utc
from tests.sync.conftest import report_json, spread


def numbered(seqs: list[int]) -> list[dict]:
    return [report_json(capture_seq=seq, lat=lat, lon=lon) for seq, (lat, lon) in zip(seqs, spread(len(seqs)),
                                                                                        strict=False)]


def lost_notices(user_id: int) -> list[dict]:
    return [n.data for n in db.session.scalars(sa.select(Notification).where(
        Notification.user_id == user_id, Notification.kind == "capture_lost").order_by(Notification.id))]


def test_a_gap_is_reported_once_to_the_inspector_and_the_supervisors(phone, inspector, create_user):
    supervisor = create_user("supervisor")
    reports = numbered([1, 2, 3, 4])
    phone.sync(reports=[reports[0], reports[3]], waiting=[1, 2, 4])  # 3 is neither sent nor waiting: lost
    assert [(d["why"], d["numbers"]) for d in lost_notices(inspector.id)] == [("gap", [3])]
    assert [d["numbers"] for d in lost_notices(supervisor.id)] == [[3]]
    phone.sync(reports=[reports[1]], waiting=[2])
    phone.sync(reports=[], waiting=[])
    assert len(lost_notices(inspector.id)) == 1  # told once
    device = db.session.scalar(sa.select(Device).where(Device.device_id == "phone-1"))
    assert device.highest_seq == 4 and device.waiting == [] and device.user_id == inspector.id


def test_the_notice_reads_in_chinese_and_english(phone, inspector, app):
    phone.sync(reports=numbered([2]), waiting=[2])
    row = db.session.scalar(sa.select(Notification).where(Notification.kind == "capture_lost"))
    with app.test_request_context("/"), force_locale("zh_CN"):
        title, lines = centre.describe(row)
        assert "未送达" in title and lines[0] == "采集编号：1"
    with app.test_request_context("/"), force_locale("en"):
        title, lines = centre.describe(row)
        assert "never arrived" in title and lines[0] == "Capture numbers: 1"
        assert lines[1].startswith("Device last seen: 20")


def test_a_resent_item_is_not_a_gap_and_waiting_items_are_not_lost(phone, inspector):
    reports = numbered([1, 2, 3])
    phone.sync(reports=reports[:2], waiting=[1, 2, 3])
    answer = phone.sync(reports=reports[:2], waiting=[1, 2, 3])  # the answer was lost: sent again
    assert [r["status"] for r in answer["results"]] == ["already_synced"] * 2
    phone.sync(reports=[reports[2]], waiting=[3])
    assert lost_notices(inspector.id) == []
    arrived = db.session.scalars(sa.select(CaptureNumber.seq).where(CaptureNumber.arrived_at.is_not(None)))
    assert sorted(arrived) == [1, 2, 3]


def test_a_number_reported_missing_that_arrives_late_is_found(phone, inspector):
    reports = numbered([1, 2])
    phone.sync(reports=[reports[1]], waiting=[2])
    assert [d["numbers"] for d in lost_notices(inspector.id)] == [[1]]
    phone.sync(reports=[reports[0]], waiting=[1])  # it was on another tab after all
    row = db.session.get(CaptureNumber, (db.session.scalar(sa.select(Device.id)), 1))
    assert row.arrived_at is not None and row.missing_reported_at is not None
    assert len(lost_notices(inspector.id)) == 1


def test_a_silent_device_with_waiting_items_is_reported_once(phone, inspector, app):
    phone.sync(reports=numbered([1]), waiting=[1, 2, 3])  # 2 and 3 wait for photos on the phone
    now = now_utc()
    assert report_silent_devices(now + timedelta(hours=71)) == 0
    assert report_silent_devices(now + timedelta(hours=73)) == 2
    assert report_silent_devices(now + timedelta(hours=100)) == 0
    [notice] = lost_notices(inspector.id)
    assert notice["why"] == "silent" and notice["numbers"] == [2, 3]
    assert notice["last_seen"][:16] == db.session.scalar(sa.select(Device.last_seen)).isoformat()[:16]


def test_a_silent_device_that_held_nothing_is_not_reported(phone, inspector):
    phone.sync(reports=numbered([1]), waiting=[1])
    assert report_silent_devices(now_utc() + timedelta(days=30)) == 0
    assert lost_notices(inspector.id) == []


def test_a_new_login_of_the_same_user_is_linked_to_the_device_that_held_items(phone, inspector):
    phone.sync(reports=numbered([1]), waiting=[1, 2])  # storage then wiped: 2 never comes
    phone.sync(device_id="phone-2", reports=[], waiting=[])
    old = db.session.scalar(sa.select(Device).where(Device.device_id == "phone-1"))
    assert old.replaced_by == "phone-2"
    [notice] = lost_notices(inspector.id)
    assert (notice["why"], notice["numbers"], notice["new_device"]) == ("replaced", [2], "phone-2")
    assert report_silent_devices(now_utc() + timedelta(days=30)) == 0  # already told
    phone.sync(device_id="phone-3", reports=[], waiting=[])
    assert len(lost_notices(inspector.id)) == 1


def test_another_users_new_device_replaces_nothing(phone, inspector, api, create_user):
    phone.sync(reports=numbered([1]), waiting=[1, 2])
    other = api(create_user("inspector"))
    assert other.post("/api/v1/sync", json={"device_id": "phone-9", "waiting": []}).status_code == 200
    assert lost_notices(inspector.id) == []


def test_older_clients_without_numbers_keep_working(phone, inspector):
    answer = phone.sync(reports=[report_json()])
    assert answer["results"][0]["status"] == "created"
    lat, lon = spread(3)[2]  # a phone with no device id: numbers are accepted and not tracked
    [result] = phone.sync(device_id=None, reports=[report_json(capture_seq=5, lat=lat, lon=lon)], waiting=[])["results"]
    assert result["status"] == "created"
    assert lost_notices(inspector.id) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaptureNumber)) == 0


def test_a_bad_capture_seq_rejects_that_item_and_a_bad_waiting_list_the_batch(phone):
    for bad in (0, -1, 1.5, "3", True, 2**40):
        [result] = phone.sync(reports=[report_json(capture_seq=bad)])["results"]
        assert result["status"] == "rejected" and result["errors"][0]["field"] == "capture_seq"
    for bad in ("1,2", [0], [1, "2"], {"a": 1}, list(range(1, 10_002))):
        answer = phone.sync(expect=400, waiting=bad)
        assert answer["error"]["field"] == "waiting"



def test_a_huge_number_is_not_tracked_and_makes_no_million_losses(phone, inspector):
    phone.sync(reports=numbered([2**31 - 1]), waiting=[2**31 - 1, 3])
    device = db.session.scalar(sa.select(Device))
    assert device.highest_seq == 3 and device.waiting == [3]
    assert [d["numbers"] for d in lost_notices(inspector.id)] == [[1, 2]]
