"""Before sync, offline, the phone shows the place name the server's offline naming will give a report
left without an address (issue 18), as a hint only: the report still goes out without an address."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import Ticket
from app.services.reports import places
from tests.browser.conftest import GPS_PHOTO, PHONE_AT, settled, wait_until

pytestmark = pytest.mark.browser


def test_the_offline_place_name_is_a_hint_never_the_inspectors_address(phone, inspector_name):
    expected = settled(lambda: places.offline_name(PHONE_AT["latitude"], PHONE_AT["longitude"],
                                                   current_app.config["OFFLINE_PLACE_RADIUS_M"]))
    assert "·" in expected or "镇" in expected  # a real name, not the position as text
    phone.log_in(inspector_name)  # the first sync cached the townships and named places
    phone.context.set_offline(True)
    phone.page.reload()
    phone.wait_ready()
    phone.fill_capture(GPS_PHOTO, "06012", "路边垃圾堆积")
    phone.page.click("[data-action=use-device]") if phone.page.is_visible("[data-action=use-device]") else None
    hint = wait_until(phone.page, "document.querySelector('input[name=address]').placeholder")
    assert expected in hint and "留空" in hint
    assert phone.page.input_value("input[name=address]") == ""
    phone.save_capture()
    phone.context.set_offline(False)
    phone.wait_waiting(0)
    [address] = settled(lambda: db.session.scalars(sa.select(Ticket.address)).all())
    assert address == ""  # the hint was not sent as the inspector's words; the address job names it
    assert phone.errors == []


# Beside a base-map road only, inside a point's outline, near a road point's strip, in the open, outside.
SPOTS = [(29.977, 119.99), (29.93, 119.9515), (29.983, 119.932), (29.9703, 119.938), (30.06, 119.90),
         (PHONE_AT["latitude"], PHONE_AT["longitude"]), (31.5, 121.0)]


def test_the_phone_names_places_as_the_server_does_roads_included(phone, inspector_name):
    radius = settled(lambda: current_app.config["OFFLINE_PLACE_RADIUS_M"])
    expected = settled(lambda: [places.offline_name(lat, lon, radius) for lat, lon in SPOTS])
    assert "东城街道 · 城东大道附近" in expected  # a road of the base map, no inspection point near
    phone.log_in(inspector_name)
    phone.context.set_offline(True)
    named = phone.page.evaluate("(spots) => import('/static/pwa/js/places.js')"
                                ".then((p) => Promise.all(spots.map(([lat, lon]) => p.placeName(lat, lon))))", SPOTS)
    assert named == expected
    assert phone.errors == []
