"""The phone shows what happened (issue 19 §2): a report's detail and a task's photos, offline.

Synced online, then the network is cut: the detail of one of "my reports" shows its status and
history in the server's words, department, deadline and capture time in Asia/Shanghai, the return
reason, and the before/after photos from the phone's cache (decoded images, not broken ones); a
re-inspection task shows its before and after photos side by side with the resolution note.
"""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Change, Photo, Ticket, User
from app.services.actor import Actor
from app.services.photos.store import store_photo
from app.services.tickets.transitions import ActionInput, transition
from tests.browser.conftest import settled, wait_until
from tests.browser.test_accessibility import _violations
from tests.factories import actor_of
from tests.photos.conftest import jpeg_bytes

pytestmark = pytest.mark.browser

SHANGHAI = ZoneInfo("Asia/Shanghai")
DETAIL = "[data-field=report-detail]"
ALL_CACHED = ("Promise.all([import('/static/pwa/js/photo-cache.js'), import('/static/pwa/js/feed.js')])"
              ".then(async ([cache, feed]) => cache.missingCount(await feed.listTickets())).then((n) => n === 0)")


def shanghai(value) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def decoded(page, selector: str) -> list[int]:
    """naturalWidth of each image under `selector` (0 for one that did not decode)."""
    return page.eval_on_selector_all(f"{selector} img",
                                     "imgs => imgs.map((img) => img.complete ? img.naturalWidth : 0)")


@pytest.fixture
def resolved_report(create_user, report):
    """An inspector's report with a real photo: returned, assigned again, resolved with a real photo."""
    inspector = create_user("inspector")
    photo, _ = store_photo(jpeg_bytes((800, 600), seed=21), None, "image/jpeg", Actor.of(inspector))
    db.session.commit()
    ticket = report(photos=[photo.sha256], reporter=inspector).ticket
    department = create_user("department", ticket.department.code)
    supervisor = create_user("supervisor")
    after, _ = store_photo(jpeg_bytes((600, 800), seed=22), None, "image/jpeg", Actor.of(department))
    db.session.commit()
    ticket_id = ticket.id

    def act(action, who, **kw):
        current = db.session.get(Ticket, ticket_id)
        transition(ticket_id, ActionInput(action, current.version, **kw), actor_of(who))
        db.session.commit()

    act("return", department, note="不属于本单位管辖")
    act("assign", supervisor, department_code=ticket.department.code)
    act("accept", department)
    act("resolve", department, note="已清理完毕，恢复整洁", photos=[after.sha256])
    ticket = db.session.get(Ticket, ticket_id)
    facts = {"id": ticket_id, "case": ticket.case_number, "username": inspector.username,
             "department": ticket.department.name_zh, "due": shanghai(ticket.due_at),
             "captured": shanghai(ticket.captured_at), "received": shanghai(ticket.received_at),
             "before": photo.sha256, "after": after.sha256}
    db.session.rollback()
    return facts


def test_a_reports_detail_opens_offline_with_history_department_deadline_reason_and_photos(phone, resolved_report):
    facts = resolved_report
    assert facts["captured"] != facts["received"]  # the factory captures 5 minutes before receiving
    phone.log_in(facts["username"])
    wait_until(phone.page, ALL_CACHED)  # the thumbnails are on the phone after the sync

    phone.context.set_offline(True)
    phone.open("reports")  # a cold open with no network: everything comes from the last sync
    card = phone.page.locator(f"[data-field=report-list] li[data-ticket-id='{facts['id']}']")
    assert facts["captured"] in card.inner_text() and facts["received"] not in card.inner_text()
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", phone.page.inner_text("[data-field=synced-at]"))  # server-style
    card.locator("[data-slot=open]").click()
    detail = phone.page.locator(DETAIL)
    detail.wait_for(state="visible")
    wait_until(phone.page, f"document.querySelectorAll('{DETAIL} img').length === 2")
    wait_until(phone.page, f"[...document.querySelectorAll('{DETAIL} img')].every((img) => img.complete)")
    phone.screenshot("report-detail-offline")

    text = detail.inner_text()
    assert facts["case"] in text
    assert detail.locator("[data-slot=status]").inner_text() == "已办结"  # the server's word, not 已处置待复查
    assert detail.locator("[data-slot=department]").inner_text() == facts["department"]
    assert detail.locator("[data-slot=deadline]").inner_text() == facts["due"]
    assert detail.locator("[data-slot=captured]").inner_text() == facts["captured"]
    assert detail.locator("[data-slot=return]").inner_text() == "不属于本单位管辖"
    history = detail.locator("[data-slot=history] > li")
    assert [history.nth(i).get_attribute("data-action") for i in range(history.count())] == [
        "report", "assign", "return", "assign", "accept", "resolve"]
    returned = history.nth(2).inner_text()
    assert "退回" in returned and "已派遣 → 已退回" in returned and "不属于本单位管辖" in returned
    assert "办结" in history.nth(5).inner_text() and "已清理完毕，恢复整洁" in history.nth(5).inner_text()
    for kind in ("before", "after"):
        widths = decoded(phone.page, f"{DETAIL} .photo-column[data-kind={kind}]")
        assert len(widths) == 1 and widths[0] > 0, (kind, widths)  # decoded from the cache, not a broken image
    assert not phone.errors
    assert _violations(phone.page) == []  # axe, with the detail open

    detail.locator("button[value=back]").click()
    detail.wait_for(state="hidden")


def test_a_task_shows_before_and_after_side_by_side_offline_with_the_resolution_note(phone, resolved_report):
    facts = resolved_report
    phone.log_in(facts["username"])
    wait_until(phone.page, ALL_CACHED)
    phone.context.set_offline(True)
    phone.open("reports")
    task = phone.page.locator(f"[data-field=task-list] li[data-ticket-id='{facts['id']}']")
    assert "处置说明：已清理完毕，恢复整洁" in task.inner_text()
    selector = f"[data-field=task-list] li[data-ticket-id='{facts['id']}']"
    wait_until(phone.page, f"[...document.querySelectorAll(\"{selector} img\")].filter((i) => i.complete).length === 2")
    phone.screenshot("task-photos-offline")
    before = task.locator(".photo-column[data-kind=before] img")
    after = task.locator(".photo-column[data-kind=after] img")
    assert decoded(phone.page, f"{selector} .photo-column[data-kind=before]")[0] > 0
    assert decoded(phone.page, f"{selector} .photo-column[data-kind=after]")[0] > 0
    left, right = before.bounding_box(), after.bounding_box()
    assert left["x"] + left["width"] <= right["x"] + 1  # side by side, before on the left
    assert abs(left["y"] - right["y"]) < 2
    assert right["x"] + right["width"] <= 420  # both on a phone's screen
    assert not phone.errors


def test_a_photo_the_server_is_still_preparing_shows_a_placeholder_then_arrives_at_a_later_sync(
        phone, resolved_report):
    facts = resolved_report
    settled(lambda: (setattr(db.session.get(Photo, facts["after"]), "derivatives", "pending"), db.session.commit()))
    phone.log_in(facts["username"])
    phone.open("reports")
    selector = f"[data-field=task-list] li[data-ticket-id='{facts['id']}']"
    before = f"{selector} .photo-column[data-kind=before] img"
    wait_until(phone.page, f"document.querySelectorAll(\"{before}\").length === 1")
    placeholder = phone.page.locator(f"{selector} .photo-column[data-kind=after] .photo-placeholder")
    assert placeholder.inner_text() == "照片尚未下载到本机"
    phone.page.click("[data-action=sync]")  # still being made: still a placeholder, never a broken image
    phone.page.wait_for_timeout(1000)
    assert placeholder.is_visible() and decoded(phone.page, f"{selector} .photo-column[data-kind=after]") == []

    settled(lambda: (setattr(db.session.get(Photo, facts["after"]), "derivatives", "ready"), db.session.commit()))
    phone.page.click("[data-action=sync]")  # the ticket did not change: the phone asks for the photo itself
    after = f"{selector} .photo-column[data-kind=after] img"
    wait_until(phone.page, f"document.querySelectorAll(\"{after}\").length === 1")
    wait_until(phone.page, f"document.querySelector(\"{after}\").naturalWidth > 0")


def test_the_detail_speaks_english_after_the_switch(phone, resolved_report):
    facts = resolved_report
    phone.log_in(facts["username"])
    phone.page.click("[data-action=lang]")
    phone.open("reports")
    phone.page.locator(f"[data-field=report-list] li[data-ticket-id='{facts['id']}'] [data-slot=open]").click()
    detail = phone.page.locator(DETAIL)
    detail.wait_for(state="visible")
    assert detail.locator("[data-slot=status]").inner_text() == "Resolved"
    text = detail.inner_text()
    assert "Return reason" in text and "Deadline" in text and "Returned" in text
    assert "退回原因" not in text and "办理时限" not in text
    assert settled(lambda: db.session.get(User, db.session.get(Ticket, facts["id"]).reporter_id).username) == facts[
        "username"]


def test_a_phone_synced_before_the_detail_existed_reads_the_feed_again_and_gets_the_history(
        phone, resolved_report):
    """Version 2 kept tickets without history or photos, with a cursor past them: version 3 starts over."""
    facts = resolved_report
    head = settled(lambda: db.session.scalar(sa.select(sa.func.max(Change.seq))))
    phone.page.goto(phone.base_url + "/login")  # same origin, outside the app: nothing opens the database
    phone.page.evaluate("""([head, username, ticket]) => new Promise((resolve, reject) => {
        const open = indexedDB.open('xuncha', 2);
        open.onupgradeneeded = () => {  // the version 2 schema, as static/pwa/js/db.js made it
            const db = open.result;
            db.createObjectStore('reports', {keyPath: 'clientId'}).createIndex('state', 'state');
            const keys = {photos: 'sha256', actions: 'clientId', tickets: 'id', categories: 'code', points: 'code',
                checklists: 'location_type', drafts: 'clientId', visits: 'clientId', visitLog: 'clientId'};
            for (const [name, keyPath] of Object.entries(keys)) db.createObjectStore(name, {keyPath});
            db.createObjectStore('meta');
        };
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
            const tx = open.result.transaction(['meta', 'tickets'], 'readwrite');
            tx.objectStore('meta').put(head, 'cursor');
            tx.objectStore('meta').put(username, 'username');
            tx.objectStore('tickets').put(ticket);  // as the feed described it before: no events, no photos
            tx.oncomplete = () => { open.result.close(); resolve(); };
            tx.onerror = () => reject(tx.error);
        };
    })""", [head, facts["username"], {"id": facts["id"], "case_number": facts["case"], "status": "resolved",
                                      "mine": True, "task": True, "actions": ["close", "reopen"]}])
    phone.log_in(facts["username"])
    wait_until(phone.page, f"import('/static/pwa/js/feed.js').then((feed) => feed.getTicket({facts['id']}))"
                           ".then((ticket) => (ticket.events || []).length === 6 && ticket.photos.length === 2)")
    assert phone.errors == []


def test_the_next_inspector_on_the_phone_never_sees_the_previous_ones_photos(phone, resolved_report, create_user):
    facts = resolved_report
    next_name = create_user("inspector").username
    db.session.rollback()
    cached = ("import('/static/pwa/js/db.js').then((m) => m.openAppDb())"
              ".then((db) => Promise.all([db.count('photoCache'), db.count('tickets')]))")
    phone.log_in(facts["username"])
    wait_until(phone.page, ALL_CACHED)
    assert phone.page.evaluate(cached) == [2, 1]
    phone.page.click("[data-action=logout]")  # nothing queued: no question asked
    phone.page.wait_for_url("**/login**")
    phone.log_in(next_name)
    assert phone.page.evaluate(cached) == [0, 0]
    assert not phone.errors
