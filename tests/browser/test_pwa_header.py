"""The PWA's header fits a 360 px wide phone on one line, in Chinese and in English (issue 19 §3).

Measured, not eyeballed: every item of the bar sits in one row, no button wraps its words (退出登录 on a
second line cost about 95 px of a small screen), and nothing sticks out to the right.
"""
from __future__ import annotations

import pytest

from app.extensions import db
from tests.browser.conftest import GPS_PHOTO, PHONE_AT, Phone, wait_until

pytestmark = pytest.mark.browser

MEASURE = """() => {
  const bar = document.querySelector('header.bar');
  const box = (element) => element.getBoundingClientRect();
  const items = [...bar.children].filter((element) => element.checkVisibility());
  const lineHeight = (element) => parseFloat(getComputedStyle(element).lineHeight);
  return {
    bar: box(bar).height,
    items: items.map((element) => {
      const b = box(element);
      // Lines of text inside the item: rows of its text boxes more than half a line apart (a badge's
      // smaller box sits a few pixels lower on the same row).
      const range = document.createRange();
      range.selectNodeContents(element);
      const tops = [...range.getClientRects()].filter((r) => r.width > 0).map((r) => r.top).sort((a, z) => a - z);
      const lines = tops.filter((top, i) => i === 0 || top - tops[i - 1] > lineHeight(element) / 2);
      return {text: element.textContent.trim(), top: b.top, bottom: b.bottom, left: b.left, right: b.right,
              height: b.height, lineHeight: lineHeight(element), lines: lines.length};
    }),
    pageWidth: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
  };
}"""


def one_line(measured) -> None:
    items = measured["items"]
    assert measured["pageWidth"] <= measured["viewport"] == 360, measured
    assert all(item["lines"] == 1 for item in items), [i for i in items if i["lines"] != 1]
    # One row: every item overlaps the vertical middle of the first (a wrapped item starts below it).
    middle = (items[0]["top"] + items[0]["bottom"]) / 2
    assert all(item["top"] < middle < item["bottom"] for item in items), items
    assert all(item["left"] >= 0 and item["right"] <= 360 for item in items), items
    # One row of 2.75rem touch targets plus the bar's padding, not two rows.
    assert measured["bar"] < 44 + 2 * 8 + 4, measured


def test_the_header_fits_a_360_px_phone_in_both_languages(chromium, live_url, create_user):
    inspector = create_user("inspector", username="inspector-wang-xiaoming")  # a long name, as real ones are
    username = inspector.username
    db.session.rollback()
    context = chromium.new_context(timezone_id="Asia/Shanghai", locale="zh-CN", viewport={"width": 360, "height": 740},
                                   geolocation=PHONE_AT, permissions=["geolocation"])
    try:
        phone = Phone(context, live_url)
        phone.log_in(username)
        page = phone.page
        # The badge of one waiting report widens the sync button: measure with it showing.
        context.set_offline(True)
        phone.capture(GPS_PHOTO, page.eval_on_selector("select[name=category] option:nth-child(2)", "o => o.value"),
                      "header test")
        wait_until(page, "!document.querySelector('header [data-field=waiting]').hidden")

        chinese = page.evaluate(MEASURE)
        assert [item["text"] for item in chinese["items"]][-2:] == ["English", "退出登录"]
        one_line(chinese)
        page.click("[data-action=lang]")
        english = page.evaluate(MEASURE)
        assert [item["text"] for item in english["items"]][-2:] == ["中文", "Log out"]
        one_line(english)
        who = page.locator("header [data-field=who]")
        assert who.get_attribute("title") == username  # the whole name is still there when it is cut short
        phone.screenshot("header-360-en")
        assert not phone.errors
    finally:
        context.unroute_all(behavior="ignoreErrors")
        context.close()
