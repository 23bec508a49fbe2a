"""The phone numbers what it captures and says what it still holds (issue 18), shows how long ago it
synced, and warns when the browser refused persistent storage."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import CaptureNumber, Device, Notification
from tests.browser.conftest import GPS_PHOTO, settled, wait_until

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
