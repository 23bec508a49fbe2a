"""The supervisor map in headless Chromium: it loads with no console errors and shows markers.

Uses this folder's `chromium` and `live_url` fixtures (one Playwright per run).
"""
from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa

from app import seed
from app.extensions import db
from app.models import Department, Ticket
from tests.factories import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _wait(page, expression: str, timeout_s: float = 20.0):
    """Poll a JavaScript expression (wait_for_function would need eval, which the CSP forbids)."""
    deadline = time.monotonic() + timeout_s
    while not (value := page.evaluate(expression)):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {expression}")
        page.wait_for_timeout(100)
    return value


def test_map_page_loads_without_console_errors_and_shows_markers(county, create_user, chromium, live_url):
    seed.seed_tickets(300, seed=8)
    db.session.commit()
    user = create_user("supervisor")
    hwzx = db.session.scalar(sa.select(sa.func.count(Ticket.id)).join(Department).where(Department.code == "HWZX"))
    username = user.username
    db.session.remove()  # on SQLite an open transaction would hold the write lock the server needs

    base = live_url
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    try:
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda message: problems.append(f"{message.text} {message.location}")
                if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto(f"{base}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()

        page.goto(f"{base}/supervise/map")
        page.wait_for_selector(".cluster, .ticket-dot")
        _wait(page, "document.getElementById('map-total').textContent.includes('300')")
        assert page.locator(".cluster, .ticket-dot").count() > 0
        assert page.locator(".leaflet-overlay-pane path").count() > 0  # area outlines and ticket dots
        _wait(page, "new URLSearchParams(location.search).get('z') !== null")  # the view is in the URL
        zoom = int(page.evaluate("new URLSearchParams(location.search).get('z')"))
        page.locator(".cluster").first.click()
        _wait(page, f"Number(new URLSearchParams(location.search).get('z')) > {zoom}")

        page.goto(f"{base}/supervise/map?department=HWZX")
        _wait(page, f"document.getElementById('map-total').textContent.startsWith('{hwzx}')")
        assert "department=HWZX" in page.locator("#export-csv").get_attribute("href")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "supervise-map.png"))
    finally:
        context.close()
    assert problems == []
