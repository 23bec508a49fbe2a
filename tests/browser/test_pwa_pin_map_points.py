"""The PWA's pin map with no tiles, offline, in headless Chromium: the inspection points the phone keeps
(模拟测评 points) are drawn under the pin as small dots that take no taps (issue 16)."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import InspectionPoint
from tests.assessment.conftest import make_point, offset
from tests.browser.conftest import GPS_PHOTO, PHONE_AT, settled, wait_until

pytestmark = pytest.mark.browser

PHONE = (PHONE_AT["latitude"], PHONE_AT["longitude"])
NEAR = {"PM-A": (20, 30), "PM-B": (-30, -50), "PM-C": (40, -20)}  # metres north, east of the phone: in view
FAR = {"PM-FAR": (4000, 0)}  # drawn too, out of view at zoom 17
DOTS = "[data-field=map] path.pin-map-point"


@pytest.fixture
def inspector_name(create_user):
    def setup():
        db.session.execute(sa.delete(InspectionPoint))  # only the points below (types stay)
        db.session.commit()
        for code, (north, east) in {**NEAR, **FAR}.items():
            make_point(code, "ZCGD", offset(PHONE, north, east), "CGZF")
        return create_user("inspector").username
    return settled(setup)


def open_map_offline(phone, name: str) -> None:
    phone.log_in(name)
    page = phone.page
    # The first sync cached the points for the assessment tab: the map reuses that copy.
    wait_until(page, "import('/static/pwa/js/assessment.js').then((a) => a.listPoints())"
                     f".then((points) => points.length === {len(NEAR) + len(FAR)})")
    config = page.evaluate("import('/static/pwa/js/config.js').then((config) => config.loadConfig())")
    assert config["tile_layers"] == []  # no tile server
    phone.context.set_offline(True)
    phone.fill_capture(GPS_PHOTO, "06012", "地图上有测评点位")
    page.click("[data-action=open-map]")
    page.locator("[data-field=map] .leaflet-marker-icon").wait_for()
    page.eval_on_selector("[data-field=map]", "(map) => map.scrollIntoView({block: 'center'})")


def test_the_pin_map_draws_the_cached_points_offline_under_the_pin(phone, inspector_name):
    open_map_offline(phone, inspector_name)
    page = phone.page
    wait_until(page, f"document.querySelectorAll({json.dumps(DOTS)}).length > 0")
    dots = page.locator(DOTS)
    assert dots.count() == len(NEAR) + len(FAR)  # every point, once

    box = page.locator("[data-field=map]").bounding_box()
    inside = 0
    for index in range(dots.count()):
        dot = dots.nth(index).bounding_box()
        centre = (dot["x"] + dot["width"] / 2, dot["y"] + dot["height"] / 2)
        if box["x"] < centre[0] < box["x"] + box["width"] and box["y"] < centre[1] < box["y"] + box["height"]:
            inside += 1
    assert inside == len(NEAR)  # the near ones where they are; the far one off the screen

    # Landmarks only: in the overlay pane (under the pin's marker pane), and no tap handler.
    assert page.eval_on_selector_all(DOTS, "(dots) => dots.every((dot) => dot.closest('.leaflet-overlay-pane')"
                                           " && !dot.classList.contains('leaflet-interactive'))")
    phone.screenshot("capture-pin-map-points")

    # A tap on a point still moves the pin there (the dot does not swallow it).
    target = None
    for index in range(dots.count()):
        dot = dots.nth(index).bounding_box()
        if box["x"] < dot["x"] and dot["x"] + dot["width"] < box["x"] + box["width"] \
                and box["y"] < dot["y"] and dot["y"] + dot["height"] < box["y"] + box["height"]:
            target = dot
            break
    assert target is not None
    page.mouse.click(target["x"] + target["width"] / 2, target["y"] + target["height"] / 2)
    wait_until(page, "document.querySelector('[data-field=location-status]').textContent.startsWith('地图上选定')")
    assert phone.errors == []

