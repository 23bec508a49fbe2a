"""The inspection points layer of the supervisor map in headless Chromium: every point is drawn, coloured
by how long ago it was last visited (≤ 7 days, ≤ 30 days, older, never), toggled from the layers
control, with its legend; on GCJ-02 tiles the dots are shifted as the ticket markers are."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import InspectionPoint
from app.services.supervision.gcj02 import wgs84_to_gcj02
from app.timeutil import now_utc
from tests.assessment.conftest import make_point, make_visit, offset
from tests.browser.conftest import ARTIFACTS
from tests.factories import PASSWORD, SEAT


def _wait(page, expression: str, timeout_s: float = 20.0):
    deadline = time.monotonic() + timeout_s
    while not (value := page.evaluate(expression)):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {expression}")
        page.wait_for_timeout(100)
    return value


@pytest.fixture
def four_points(county, create_user):
    db.session.execute(sa.delete(InspectionPoint))  # only the four points below (types and checklists stay)
    db.session.commit()
    inspector = create_user("inspector")
    now = now_utc()
    made = {}
    for code, north, days in (("M-recent", 0, 2), ("M-month", 300, 20), ("M-old", 600, 45), ("M-never", 900, None)):
        point = make_point(code, "ZCGD", offset(SEAT, north), "CGZF")
        if days is not None:
            make_visit(point, inspector, now - timedelta(days=days), {})
        made[code] = point
    user = create_user("supervisor")
    positions = {code: (p.lat, p.lon) for code, p in made.items()}
    username = user.username
    db.session.remove()  # SQLite: no open transaction may hold the write lock the live server needs
    return username, positions


def _log_in(page, base, username):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _dots(page) -> dict[str, str]:
    """Colour class of each drawn point dot, by the fill the stylesheet gives it."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('path.point-dot')].map((p) => {
        const kind = [...p.classList].find((c) => c.startsWith('visit-'));
        return [kind, getComputedStyle(p).fill];
    }))""")


def test_the_layer_draws_each_point_in_the_colour_of_its_last_visit(four_points, chromium, live_url):
    username, _positions = four_points
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    try:
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        _log_in(page, live_url, username)
        page.goto(f"{live_url}/supervise/map?points=0")  # no tiles here: the layer would be on by default
        page.wait_for_selector(".leaflet-control-layers")
        assert page.locator("path.point-dot").count() == 0
        assert page.locator("#points-legend").is_hidden()
        page.hover(".leaflet-control-layers")
        page.locator(".leaflet-control-layers-overlays label", has_text="测评点位").locator("input").check()
        _wait(page, "document.getElementById('map').dataset.points === '4'")
        assert page.locator("path.point-dot").count() == 4
        fills = _dots(page)
        assert fills == {"visit-recent": "rgb(30, 132, 73)", "visit-month": "rgb(212, 172, 13)",
                         "visit-old": "rgb(192, 57, 43)", "visit-never": "rgb(93, 109, 126)"}
        legend = page.locator("#points-legend")
        assert legend.is_visible()
        for text in ("7 天内检查过", "8 至 30 天前检查过", "超过 30 天未检查", "未检查"):
            assert text in legend.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "supervise-points-layer.png"))
        page.locator(".leaflet-control-layers-overlays label", has_text="测评点位").locator("input").uncheck()
        _wait(page, "document.querySelectorAll('path.point-dot').length === 0")
        assert legend.is_hidden()

        page.goto(f"{live_url}/supervise/map?points=1&lang=en")  # asked for in the URL, English legend
        _wait(page, "document.querySelectorAll('path.point-dot').length === 4")
        assert "Visited in the last 7 days" in page.locator("#points-legend").inner_text()
    finally:
        context.close()
    assert problems == []


def test_the_offline_base_map_shows_the_points_by_default_and_tiles_do_not(four_points, app, chromium, live_url):
    username, _positions = four_points
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    try:
        page = context.new_page()
        _log_in(page, live_url, username)
        page.goto(f"{live_url}/supervise/map")  # no tile server configured: the county's own layers
        _wait(page, "document.getElementById('map').dataset.offline === 'drawn'")
        _wait(page, "document.getElementById('map').dataset.points === '4'")
        assert page.locator("path.point-dot").count() == 4 and page.locator("#points-legend").is_visible()

        app.config["TILE_URL"] = "http://127.0.0.1:9/{z}/{x}/{y}.png"  # tiles (that need not answer here)
        page.goto(f"{live_url}/supervise/map")
        page.wait_for_selector(".leaflet-control-layers")
        page.wait_for_timeout(500)
        assert page.locator("path.point-dot").count() == 0  # over tiles, asked for only
        assert page.evaluate("document.getElementById('map').dataset.offline") is None
    finally:
        app.config["TILE_URL"] = ""
        context.close()


def test_on_gcj02_tiles_the_points_are_shifted_like_the_tickets(four_points, app, chromium, live_url):
    username, positions = four_points
    app.config["TILE_CRS"] = "GCJ02"
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    try:
        page = context.new_page()
        _log_in(page, live_url, username)
        page.goto(f"{live_url}/supervise/map?points=1")
        _wait(page, "document.getElementById('map').dataset.points === '4'")
        url = page.evaluate("document.getElementById('map').dataset.pointsUrl")
        body = json.loads(page.evaluate(f"fetch({json.dumps(url)}).then((r) => r.text())"))
        drawn = {p["code"]: (p["lat"], p["lon"]) for p in body["points"]}
        for code, (lat, lon) in positions.items():
            assert drawn[code] == pytest.approx(wgs84_to_gcj02(lat, lon), abs=1e-9)
            assert abs(drawn[code][0] - lat) + abs(drawn[code][1] - lon) > 0.001  # a few hundred metres
    finally:
        app.config["TILE_CRS"] = "WGS84"
        context.close()


def test_the_points_api_gives_wgs84_unless_asked_for_the_tiles_datum(four_points, app, client, login):
    _username, positions = four_points
    from tests.factories import User
    supervisor = login(db.session.scalar(sa.select(User).where(User.username == _username)))
    app.config["TILE_CRS"] = "GCJ02"
    try:
        plain = {p["code"]: (p["lat"], p["lon"]) for p in supervisor.get("/api/v1/points").json["points"]}
        assert plain == positions
        shifted = supervisor.get("/api/v1/points?datum=tiles").json["points"]
        assert {p["code"]: (p["lat"], p["lon"]) for p in shifted} == {
            code: wgs84_to_gcj02(*at) for code, at in positions.items()}
        for bad in ("gcj02", "x" * 300, "tiles,tiles"):
            answer = supervisor.get(f"/api/v1/points?datum={bad}")
            assert answer.status_code == 422 and answer.json["error"]["field"] == "datum"
    finally:
        app.config["TILE_CRS"] = "WGS84"
