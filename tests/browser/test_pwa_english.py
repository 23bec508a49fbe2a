"""The English PWA has no Chinese left anywhere (issue 19 §3): the shell, capture, outbox, reports, the
assessment tab and the status and storage lines, after switching on a page that was showing Chinese
(texts written by code say themselves again) and after a reload in English.

Only the data is allowed to stay Chinese: what the county's records hold in Chinese only (an address
the system names from its townships, an inspection point's one name, a department without an
English name), and the language switch, which names 中文 in Chinese.
"""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Area, Category, Department, InspectionPoint, Ticket
from app.services.reports import places
from tests.browser.conftest import GPS_PHOTO, settled, wait_until

pytestmark = pytest.mark.browser

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")

# Every visible text node and the words a user meets in attributes, with where they are.
VISIBLE_WORDS = """() => {
  const out = [];
  const where = (element) => element.closest('[data-field],[data-screen],[data-template],header,nav')
    ?.getAttribute('data-field') || element.tagName.toLowerCase();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    const text = node.textContent.trim();
    if (!text || element.closest('template, script, style')) continue;
    if (element.closest('select') || element.checkVisibility()) out.push({text, where: where(element)});
  }
  for (const element of document.body.querySelectorAll('[placeholder], [title], [aria-label], [alt]')) {
    if (!element.checkVisibility()) continue;
    for (const name of ['placeholder', 'title', 'aria-label', 'alt']) {
      const text = element.getAttribute(name);
      if (text) out.push({text, where: `${where(element)}@${name}`});
    }
  }
  out.push({text: document.title, where: 'title'});
  return out;
}"""


def chinese_left(page, data: set[str]) -> list[dict]:
    """The words with Chinese in them once the Chinese-only data in them is taken out."""
    longest_first = sorted(data, key=len, reverse=True)

    def without_data(text: str) -> str:
        for name in longest_first:
            text = text.replace(name, "")
        return text

    return [word for word in page.evaluate(VISIBLE_WORDS) if CJK.search(without_data(word["text"]))]


def test_the_english_pwa_shows_no_chinese(phone, create_user, ticket_in):
    inspector = create_user("inspector")
    username = inspector.username
    resolved = ticket_in("resolved", reporter=inspector)  # in "my reports" and a re-inspection task
    returned = ticket_in("returned", reporter=inspector)  # a return reason and a history
    ids = [resolved.id, returned.id]
    db.session.rollback()
    page = phone.page

    phone.log_in(username)  # in Chinese: the status line says 已同步。 and the storage line is Chinese
    assert page.inner_text("[data-field=net-status]") == "已同步。"
    wait_until(page, "document.querySelector('[data-field=storage]').textContent.length > 0")
    assert CJK.search(page.inner_text("[data-field=storage]"))

    page.click("[data-action=lang]")
    assert page.inner_text("[data-field=net-status]") == "Synced."
    assert page.evaluate("document.documentElement.lang") == "en"
    storage = page.inner_text("[data-field=storage]")
    assert storage.startswith("Storage used") and not CJK.search(storage)
    assert not CJK.search(page.inner_text("[data-field=last-sync]"))

    # The county's Chinese-only data may stay: addresses (named from the townships, in Chinese as the
    # server stores them), the points' one name, departments without an English name, and the offline
    # place names the address hint shows ("城关镇 · 城东大道附近": named places and roads, Chinese as stored).
    def chinese_data():
        tickets = [db.session.get(Ticket, ticket_id) for ticket_id in ids]
        named = [place["name"] for place in places.for_phone(300)["places"]]
        return {*(t.address for t in tickets if t.address),
                *db.session.scalars(sa.select(Area.name_zh)), *db.session.scalars(sa.select(InspectionPoint.name)),
                *db.session.scalars(sa.select(Department.name_zh).where(Department.name_en == "")),
                *named, *(f"{name}{places.NEAR}" for name in named)}

    allowed = {"中文", *settled(chinese_data)}
    found = []

    # Capture, with a photo chosen and the location found, then saved offline into the outbox.
    phone.context.set_offline(True)
    category = page.eval_on_selector("select[name=category] option:nth-child(2)", "o => o.value")
    phone.fill_capture(GPS_PHOTO, category, "Rubbish by the gate")
    found += chinese_left(page, allowed)
    assert "Offline" in page.inner_text("[data-field=net-status]")
    phone.save_capture()
    found += chinese_left(page, allowed)  # the toast saying it was saved

    for screen in ("outbox", "reports", "assess", "capture"):
        page.click(f"[data-tab={screen}]")
        page.wait_for_selector(f"[data-screen={screen}]:not([hidden])")
        if screen == "outbox":
            page.wait_for_selector("[data-field=outbox-list] > li")
        if screen == "reports":
            page.wait_for_selector(f"[data-field=report-list] li[data-ticket-id='{returned.id}']")
            page.wait_for_selector(f"[data-field=task-list] li[data-ticket-id='{resolved.id}']")
            found += chinese_left(page, allowed)
            # A report's detail: status, history, department, the return reason, in English.
            page.click(f"[data-field=report-list] li[data-ticket-id='{returned.id}'] [data-slot=open]")
            page.wait_for_selector("[data-field=report-detail][open]")
            assert "Return reason" in page.inner_text("[data-field=report-detail]")
            found += chinese_left(page, allowed)
            page.click("[data-field=report-detail] button[value=back]")
            page.wait_for_selector("[data-field=report-detail]:not([open])", state="attached")
        found += chinese_left(page, allowed)
    page.click("[data-action=logout]")  # one report waits: the dialog warns before logging out
    page.wait_for_selector("[data-field=logout-dialog][open]")
    found += chinese_left(page, allowed)
    page.click("[data-field=logout-dialog] button[value=cancel]")
    assert not found, "\n".join(sorted({f"{w['where']}: {w['text']}" for w in found}))

    # A cold start in English (still offline, from the cached shell): the same, from the first paint.
    phone.open("reports")
    page.wait_for_selector(f"[data-field=report-list] li[data-ticket-id='{returned.id}']")
    assert page.inner_text("[data-tab=reports]") == "My reports"
    status = settled(lambda: db.session.get(Ticket, returned.id).status.value)
    card = page.locator(f"[data-field=report-list] li[data-ticket-id='{returned.id}']")
    assert card.get_attribute("data-status") == status == "returned"
    assert "Returned" in card.inner_text()
    assert page.inner_text("[data-field=net-status]") == "Offline: saved on this phone, sent when online."
    wait_until(page, "document.querySelector('[data-field=last-sync]').textContent.startsWith('Last synced')")
    assert not chinese_left(page, allowed)

    # The server refuses the queued report (its category was retired meanwhile): the reason, the
    # outbox card and the status line are English too.
    def retire():
        db.session.scalar(sa.select(Category).where(Category.code == category)).active = False
        db.session.commit()

    settled(retire)
    phone.context.set_offline(False)
    phone.open("outbox")
    page.click("[data-action=sync]")
    page.wait_for_selector("[data-field=outbox-list] > li[data-state=needs_attention]", timeout=30_000)
    refused = page.inner_text("[data-field=outbox-list] > li[data-state=needs_attention]")
    assert "category" in refused.lower() and not CJK.search(refused)
    wait_until(page, "document.querySelector('[data-field=net-status]').dataset.state === 'net.attention'")
    assert "Synced" not in page.inner_text("[data-field=net-status]")
    assert not chinese_left(page, allowed)
    assert not phone.errors
