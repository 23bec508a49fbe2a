"""The phone numbers what it captures and says what it still holds (issue 18), shows how long ago it
synced, and warns when the browser refused persistent storage."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import CaptureNumber, Device, Notification, User
from tests.browser.conftest import GPS_PHOTO, settled, wait_until
from tests.browser.test_pwa_visits import (  # noqa: F401 - assign and point are fixtures
    VISIT_JS,
    answer,
    assign,
    at_point,
    log_in_and_cache,
    point,
    start_visit,
)

pytestmark = pytest.mark.browser


def test_two_offline_captures_carry_their_numbers_and_the_waiting_list(phone, inspector_name):
    bodies: list[dict] = []
    phone.context.on("request", lambda request: bodies.append(json.loads(request.post_data)) if (
        request.url.endswith("/api/v1/sync") and request.method == "POST") else None)
    phone.log_in(inspector_name)
    assert phone.page.inner_text("[data-field=last-sync]") == "上次同步：刚刚"
    phone.context.set_offline(True)
    phone.capture(GPS_PHOTO, "06012", "路边垃圾堆积")
    phone.capture(GPS_PHOTO, "09009", "机动车乱停放")
    seqs = phone.page.evaluate("import('/static/pwa/js/outbox.js').then((o) => o.listReports())"
                               ".then((rs) => rs.map((r) => r.captureSeq).sort())")
    assert seqs == [1, 2]

    phone.context.set_offline(False)
    phone.sync_until_empty()
    sent = [b for b in bodies if b.get("reports")]
    assert sent, bodies
    assert sorted(r["capture_seq"] for r in sent[0]["reports"]) == [1, 2] and sent[0]["waiting"] == [1, 2]
    assert all("waiting" in b for b in bodies)  # every sync says what the phone still holds

    def server():
        device = db.session.scalar(sa.select(Device))
        arrived = sorted(db.session.scalars(sa.select(CaptureNumber.seq).where(CaptureNumber.arrived_at.is_not(None))))
        lost = db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                                 .where(Notification.kind == "capture_lost"))
        return device.highest_seq, device.waiting, arrived, lost
    wait_until(phone.page, "import('/static/pwa/js/outbox.js').then((o) => o.countWaiting()).then((n) => n === 0)")
    assert settled(server) == (2, [], [1, 2], 0)
    assert phone.errors == []


def test_the_last_sync_line_counts_the_time_and_a_refused_storage_is_warned(phone, inspector_name):
    phone.context.add_init_script("""
        navigator.storage.persisted = async () => false;
        navigator.storage.persist = async () => false;
    """)
    phone.log_in(inspector_name)
    warning = phone.page.locator("[data-field=storage-warning]")
    assert warning.is_visible() and "拒绝了持久存储" in warning.inner_text()
    three_hours_ago = "new Date(Date.now() - 3 * 3600 * 1000).toISOString()"
    phone.page.evaluate(f"import('/static/pwa/js/meta.js').then((m) => m.setMeta('lastSyncAt', {three_hours_ago}))")
    phone.context.set_offline(True)
    phone.page.reload()
    phone.wait_ready()
    wait_until(phone.page, "document.querySelector('[data-field=last-sync]').textContent === '上次同步：3 小时前'")
    phone.page.click("[data-action=lang]")
    text = phone.page.evaluate("import('/static/pwa/js/ui/status.js').then((s) => s.syncedAgo("
                               "new Date(Date.now() - 3 * 86400 * 1000).toISOString()))")
    assert text == "Last synced 3 days ago"
    assert phone.errors == []


def test_a_phone_with_persistent_storage_shows_no_warning(phone, inspector_name):
    phone.context.add_init_script("navigator.storage.persisted = async () => true;")
    phone.log_in(inspector_name)
    assert not phone.page.locator("[data-field=storage-warning]").is_visible()


def test_a_visit_takes_the_next_number_after_a_report(phone, inspector_name, point, assign):  # noqa: F811
    """Reports and assessment visits share the device's numbering: a visit finished after a report
    is number 2, sent with it, and both arrive (no gap)."""
    bodies: list[dict] = []
    phone.context.on("request", lambda request: bodies.append(json.loads(request.post_data)) if (
        request.url.endswith("/api/v1/sync") and request.method == "POST") else None)
    assign(inspector_name, point[2])
    at_point(phone, point)
    log_in_and_cache(phone, inspector_name, point)
    phone.context.set_offline(True)
    phone.capture(GPS_PHOTO, "06012", "路边垃圾堆积")
    start_visit(phone, point[3])
    for index in range(len(point[3])):
        answer(phone, point[3], index)
    phone.page.click("[data-action=finish-visit]")
    phone.wait_waiting(2)
    client_id, number = phone.page.evaluate(f"{VISIT_JS}.then((v) => v.listVisits())"
                                            ".then(([visit]) => [visit.clientId, visit.captureSeq])")
    assert number == 2

    phone.context.set_offline(False)
    phone.sync_until_empty()
    [visit] = [v for b in bodies for v in b.get("visits", []) if v["client_id"] == client_id][:1]
    assert visit["capture_seq"] == 2
    [report] = [r for b in bodies for r in b.get("reports", [])][:1]
    assert report["capture_seq"] == 1
    first_sent = next(b for b in bodies if b.get("visits") or b.get("reports"))
    assert first_sent["waiting"] == [1, 2]

    def server():
        arrived = sorted(db.session.scalars(sa.select(CaptureNumber.seq).where(CaptureNumber.arrived_at.is_not(None))))
        lost = db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                                 .where(Notification.kind == "capture_lost"))
        return arrived, lost
    assert settled(server) == ([1, 2], 0)
    assert phone.errors == []


def test_the_inspector_sees_on_the_phone_which_numbers_never_arrived(phone, inspector_name, api):
    """A loss the server noticed (here: numbers 1 and 2 of another phone of the same inspector,
    neither sent nor held any more) is shown on the phone in either language until closed."""
    phone.log_in(inspector_name)
    assert not phone.page.locator("[data-field=lost-captures]").is_visible()

    def lose() -> None:
        user = db.session.scalar(sa.select(User).where(User.username == inspector_name))
        answer = api(user).post("/api/v1/sync", json={"device_id": "old-phone-of-the-same-inspector",
                                                      "reports": [], "waiting": [3]})
        assert answer.status_code == 200, answer.get_json()
    settled(lose)
    phone.page.reload()
    phone.wait_ready()
    notice = phone.page.locator("[data-field=lost-captures] [data-notification]")
    notice.wait_for()
    text = notice.inner_text()
    assert "未送达" in text and "采集编号：1, 2" in text and "设备最后同步：20" in text, text
    phone.page.click("[data-action=lang]")
    wait_until(phone.page, "document.querySelector('[data-field=lost-captures]').textContent"
                           ".includes('Capture numbers: 1, 2')")
    assert "never arrived" in phone.page.inner_text("[data-field=lost-captures]")
    phone.page.click("[data-action=close-lost]")
    wait_until(phone.page, "document.querySelector('[data-field=lost-captures]').hidden")
    read = settled(lambda: db.session.scalar(sa.select(Notification.read_at).join(User, User.id == Notification.user_id)
                                             .where(User.username == inspector_name)))
    assert read is not None
    phone.page.reload()
    phone.wait_ready()
    phone.page.wait_for_timeout(1000)
    assert not phone.page.locator("[data-field=lost-captures]").is_visible()
    assert phone.errors == []
