"""Capture edge cases in headless Chromium: a full phone, and a pin moved by hand (docs/design.md §3, §10)."""
from __future__ import annotations

import json
import math
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Ticket
from tests.browser.conftest import GPS_PHOTO, PHONE_AT, settled, wait_until

pytestmark = pytest.mark.browser

# IndexedDB refuses to store the outbox (photos, reports) while `globalThis.storageFull` is true,
# the way a full phone does; the token, categories and other stores still work.
FULL_STORAGE = """
globalThis.storageFull = true;
for (const method of ['put', 'add']) {
  const original = IDBObjectStore.prototype[method];
  IDBObjectStore.prototype[method] = function (...args) {
    if (globalThis.storageFull && ['photos', 'reports'].includes(this.name)) {
      throw new DOMException('quota', 'QuotaExceededError');
    }
    return original.apply(this, args);
  };
}
"""
QUOTA_MESSAGE = "本机存储空间不足，无法保存。请先联网发送或删除待发送内容。"  # storage.quota_error (zh-CN)
MAP_ZOOM = 17  # static/pwa/js/capture/map.js opens the map at this zoom


def only_ticket() -> Ticket:
    def read():
        [ticket] = db.session.scalars(sa.select(Ticket)).all()
        db.session.expunge(ticket)
        return ticket
    return settled(read)


def test_a_full_phone_shows_the_quota_error_and_keeps_the_form(phone, inspector_name):
    phone.page.add_init_script(FULL_STORAGE)
    phone.log_in(inspector_name)
    page = phone.page
    phone.fill_capture(GPS_PHOTO, "06012", "存储已满时的描述")

    page.click("#capture-form button[type=submit]")
    toast = page.locator("[data-field=toast]")
    toast.wait_for(state="visible")
    assert toast.inner_text() == QUOTA_MESSAGE
    assert "error" in toast.get_attribute("class")
    # Nothing was queued, and nothing the inspector entered is gone.
    assert phone.waiting() == 0
    assert page.input_value("textarea[name=description]") == "存储已满时的描述"
    assert page.input_value("select[name=category]") == "06012"
    assert page.locator("[data-field=previews] img").count() == 1
    phone.screenshot("capture-quota-error")

    page.evaluate("globalThis.storageFull = false")  # the inspector freed some space: saving again works
    # Offline, so the saved report stays in the outbox to be counted (online it may be sent at once).
    phone.context.set_offline(True)
    phone.save_capture()
    assert phone.waiting() == 1
    # And it reaches the server once, whole: the live server is also done with it before the test ends.
    phone.context.set_offline(False)
    phone.sync_until_empty()
    ticket = only_ticket()
    assert ticket.description == "存储已满时的描述"
    assert phone.errors == []


def pixels_to_degrees(lat: float, right_px: float, up_px: float) -> tuple[float, float]:
    """How far a point `right_px`, `up_px` screen pixels away lies on a Web Mercator map at MAP_ZOOM."""
    degrees_per_px = 360 / (256 * 2 ** MAP_ZOOM)
    return up_px * degrees_per_px * math.cos(math.radians(lat)), right_px * degrees_per_px


def test_a_pin_moved_by_hand_is_where_the_ticket_is(phone, inspector_name):
    phone.log_in(inspector_name)
    page = phone.page
    config = page.evaluate("import('/static/pwa/js/config.js').then((config) => config.loadConfig())")
    assert config["tile_url"] == ""  # a blank map: only the pin and the marks
    phone.context.set_offline(True)
    phone.fill_capture(GPS_PHOTO, "06012", "地图上改过位置")

    page.click("[data-action=open-map]")
    pin = page.locator("[data-field=map] .leaflet-marker-icon")
    pin.wait_for()
    page.eval_on_selector("[data-field=map]", "(map) => map.scrollIntoView({block: 'center'})")
    box = page.locator("[data-field=map]").bounding_box()
    middle_x, middle_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2  # the phone's fix
    page.mouse.click(middle_x + 60, middle_y - 50)  # a tap on the map moves the pin there ...
    wait_until(page, "document.querySelector('[data-field=location-status]').textContent.startsWith('地图上选定')")

    tapped = page.text_content("[data-field=location-status]")
    pin_box = pin.bounding_box()  # ... and the pin can be dragged from there
    grab_x, grab_y = pin_box["x"] + pin_box["width"] / 2, pin_box["y"] + pin_box["height"] / 2
    page.mouse.move(grab_x, grab_y)
    page.mouse.down()
    page.mouse.move(grab_x + 40, grab_y + 20, steps=10)  # Leaflet starts a drag after a few pixels
    page.mouse.up()
    wait_until(page, f"document.querySelector('[data-field=location-status]').textContent !== {json.dumps(tapped)}")
    status = page.text_content("[data-field=location-status]")
    shown_lat, shown_lon = map(float, re.search(r"\(([-\d.]+), ([-\d.]+)\)", status).groups())
    phone.screenshot("capture-manual-pin")
    phone.save_capture()

    phone.context.set_offline(False)
    phone.sync_until_empty()
    ticket = only_ticket()
    assert ticket.location_source.value == "manual" and ticket.accuracy_m is None
    assert (ticket.lat, ticket.lon) == pytest.approx((shown_lat, shown_lon), abs=1e-5)  # what the form showed
    north, east = pixels_to_degrees(PHONE_AT["latitude"], 60 + 40, 50 - 20)  # tap, then drag
    # Within 3 pixels (about 3 m) of where the pin was put, and about 100 m from the phone's fix.
    assert ticket.lat == pytest.approx(PHONE_AT["latitude"] + north, abs=3e-5)
    assert ticket.lon == pytest.approx(PHONE_AT["longitude"] + east, abs=3e-5)
    assert phone.errors == []
