"""The PWA's shell around the outbox: updates, refusals, logout, language."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Report, Ticket
from tests.browser.conftest import GPS_PHOTO, settled, wait_until
from tests.factories import category

pytestmark = pytest.mark.browser


def shell_caches(page) -> list[str]:
    return page.evaluate("caches.keys().then((names) => names.filter((n) => n.startsWith('shell-')))")


def test_a_new_version_waits_for_the_inspector_and_keeps_the_outbox(phone, inspector_name, monkeypatch):
    phone.log_in(inspector_name)
    [old_cache] = shell_caches(phone.page)
    phone.context.set_offline(True)
    phone.capture(GPS_PHOTO, "06012", "更新前保存")
    phone.context.route("**/api/v1/**", lambda route: route.abort())  # keep it queued across the update
    phone.context.set_offline(False)

    # Coming back online looks for a new version (sw-bridge.js): let that look end first, or the
    # update() below would join it and see the old version.
    phone.page.evaluate("navigator.serviceWorker.getRegistration('/app/').then((r) => r.update())")
    monkeypatch.setattr("app.pwa.views.shell_version", lambda: "a-new-deploy-0001")
    phone.page.evaluate("navigator.serviceWorker.getRegistration('/app/').then((r) => r.update())")
    phone.page.wait_for_selector("[data-field=update-banner]:not([hidden])")
    assert sorted(shell_caches(phone.page)) == sorted([old_cache, "shell-a-new-deploy-0001"])
    assert phone.waiting() == 1  # the old version still runs: nothing taken over without asking

    with phone.page.expect_navigation():
        phone.page.click("[data-action=update]")
    phone.wait_ready()
    wait_until(phone.page, f"caches.keys().then((names) => !names.includes('{old_cache}'))")
    assert shell_caches(phone.page) == ["shell-a-new-deploy-0001"]
    assert phone.waiting() == 1  # the outbox survived the update

    phone.context.unroute("**/api/v1/**")
    phone.sync_until_empty()
    assert settled(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Ticket))) == 1


def test_a_refused_report_stays_editable_and_goes_through_once_fixed(phone, inspector_name):
    phone.log_in(inspector_name)
    phone.context.set_offline(True)
    phone.capture(GPS_PHOTO, "06012", "类别已停用")

    def retire_category():
        category("06012").active = False
        db.session.commit()

    settled(retire_category)
    phone.context.set_offline(False)
    phone.open("outbox")
    phone.page.click("[data-action=sync]")
    card = phone.page.locator("[data-field=outbox-list] > li[data-state=needs_attention]")
    card.wait_for()
    assert "问题类别不存在或已停用。" in card.inner_text() and "category_code" not in card.inner_text()
    client_id = card.get_attribute("data-client-id")
    phone.screenshot("outbox-needs-attention")

    card.locator("[data-slot=edit]").click()
    phone.page.wait_for_selector("[data-field=editing]:not([hidden])")
    assert phone.page.locator("[data-field=previews] img").count() == 1  # the photo came back with it
    assert phone.page.locator("select[name=category] option[value='06012']").count() == 0  # retired
    phone.page.select_option("select[name=category]", "06011")
    phone.save_capture()
    phone.sync_until_empty()

    [ticket] = settled(lambda: db.session.execute(sa.select(Ticket.id, Ticket.description)).all())
    assert ticket.description == "类别已停用"
    assert settled(lambda: db.session.scalar(sa.select(Report.client_id))) == client_id  # same idempotency key


def test_logging_out_with_something_queued_asks_first(phone, inspector_name):
    phone.log_in(inspector_name)
    phone.context.set_offline(True)
    phone.capture(GPS_PHOTO, "06012", "未发送")
    phone.page.click("[data-action=logout]")
    dialog = phone.page.locator("[data-field=logout-dialog]")
    dialog.wait_for()
    assert "1" in dialog.inner_text()
    dialog.locator("button[value=cancel]").click()
    assert phone.page.url.endswith("/app/") or "/app/#" in phone.page.url
    assert phone.waiting() == 1


def test_the_shell_speaks_english_on_request_and_remembers_it(phone, inspector_name):
    phone.log_in(inspector_name)
    assert phone.page.inner_text("[data-tab=capture]") == "采集"
    phone.page.click("[data-action=lang]")
    assert phone.page.inner_text("[data-tab=capture]") == "Capture"
    assert "Sync now" in phone.page.inner_text("[data-action=sync]")
    phone.page.reload()
    phone.wait_ready()
    assert phone.page.inner_text("[data-tab=outbox]").startswith("Outbox")
    assert phone.page.get_attribute("html", "lang") == "en"


def test_an_expired_web_session_never_blocks_syncing(phone, inspector_name):
    phone.log_in(inspector_name)
    phone.context.clear_cookies()  # the web session is gone; the device token is not
    phone.open("capture")
    phone.capture(GPS_PHOTO, "06012", "会话已过期")
    phone.sync_until_empty()
    assert settled(lambda: db.session.scalar(sa.select(Ticket.description))) == "会话已过期"

