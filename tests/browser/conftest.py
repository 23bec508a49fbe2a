"""Debian's Chromium, headless, driven by Playwright against a live server on the test database.

Without /usr/bin/chromium these tests skip, unless XUNCHA_REQUIRE_BROWSER=1 (CI), where they fail.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from app.extensions import db
from tests.factories import PASSWORD
from tests.live_server import live_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TESTDATA = Path(__file__).resolve().parents[1] / "data"  # tests/data, inside the repository
GPS_PHOTO = TESTDATA / "photos" / "jpg" / "gps" / "DSCN0010.jpg"
PHONE_AT = {"latitude": 29.9761, "longitude": 119.9512, "accuracy": 12}  # in the demo county seat


@pytest.fixture(scope="module")  # not longer: other modules start their own Playwright
def chromium():
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("XUNCHA_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live_url(app):
    with live_server(app) as url:
        yield url


@pytest.fixture
def context(chromium):
    """A fresh browser profile: no service worker, no IndexedDB, the phone somewhere in the county."""
    # Chrome allows Background Sync by default; a Playwright context must be told to.
    ctx = chromium.new_context(geolocation=PHONE_AT, permissions=["geolocation", "background-sync"],
                               timezone_id="Asia/Shanghai", locale="zh-CN", viewport={"width": 420, "height": 900})
    yield ctx
    # A route handler may still be answering a request the service worker made in the background
    # (Background Sync): let it fail quietly instead of erroring in the next test's setup.
    ctx.unroute_all(behavior="ignoreErrors")
    ctx.close()


def settled(read):
    """Run a database read and end its transaction at once: on SQLite an open one holds the write
    lock (BEGIN IMMEDIATE) and the live server would wait for it."""
    try:
        return read()
    finally:
        db.session.rollback()


def wait_until(page, expression: str, timeout_s: float = 20.0):
    """Poll a JavaScript expression until it is truthy (wait_for_function needs eval, which our CSP forbids)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = page.evaluate(expression)
        except PlaywrightError as error:
            if "Execution context was destroyed" not in str(error) or time.monotonic() > deadline:
                raise
            page.wait_for_load_state()  # the page navigated meanwhile: ask the page it went to
            continue
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {expression}")
        page.wait_for_timeout(100)


class QuietNetwork:
    """Wait until none of a page's requests has been in flight for `quiet_s`.

    Playwright's "networkidle" load state waits for 500 ms without a request after every load, which a
    test visiting dozens of pages pays dozens of times; a page that fetches after its load event (the
    dashboards, the map's tiles) is caught here as long as it asks within `quiet_s` of the last answer."""

    def __init__(self, page, quiet_s: float = 0.15):
        self.page = page
        self.quiet_s = quiet_s
        self.in_flight = 0
        self.last_activity = time.monotonic()
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _started(self, _request) -> None:
        self.in_flight += 1
        self.last_activity = time.monotonic()

    def _ended(self, _request) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        self.last_activity = time.monotonic()

    def wait(self, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        self.page.wait_for_load_state("load")
        while self.in_flight or time.monotonic() - self.last_activity < self.quiet_s:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.in_flight} requests still in flight on {self.page.url}")
            self.page.wait_for_timeout(25)  # lets Playwright deliver the request events meanwhile


class Phone:
    """An inspector's phone: one page of the PWA in `context`."""

    def __init__(self, context, base_url: str):
        self.context = context
        self.base_url = base_url
        self.page = context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def log_in(self, username: str) -> None:
        self.page.goto(self.base_url + "/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url("**/app/")
        self.wait_ready()
        wait_until(self.page, "navigator.serviceWorker.controller !== null")  # the shell is cached now
        wait_until(self.page, "document.querySelector('[data-field=net-status]').dataset.state === 'net.synced'")

    def wait_ready(self) -> None:
        self.page.wait_for_selector("body[data-ready=true]")

    def open(self, screen: str = "capture") -> None:
        self.page.goto(f"{self.base_url}/app/#{screen}")
        self.wait_ready()

    def fill_capture(self, photo: Path, category: str, description: str) -> None:
        page = self.page
        page.set_input_files("input[name=photos]", str(photo))
        page.wait_for_selector("[data-field=previews] img")
        wait_until(page, "!document.querySelector('[data-field=location-status]').textContent.includes('…')")
        page.select_option("select[name=category]", category)
        page.fill("textarea[name=description]", description)

    def save_capture(self) -> None:
        self.page.click("#capture-form button[type=submit]")
        wait_until(self.page, "document.querySelector('[data-field=previews]').children.length === 0")

    def capture(self, photo: Path, category: str, description: str) -> None:
        self.fill_capture(photo, category, description)
        self.save_capture()

    def waiting(self) -> int:
        """What the outbox in IndexedDB holds (the badge shows the same, a moment later)."""
        return self.page.evaluate("import('/static/pwa/js/outbox.js').then((outbox) => outbox.countWaiting())")

    def wait_waiting(self, count: int, timeout_s: float = 30.0) -> None:
        wait_until(self.page, "import('/static/pwa/js/outbox.js')"
                              f".then((outbox) => outbox.countWaiting()).then((n) => n === {count})", timeout_s)

    def outbox_states(self) -> list[str]:
        return self.page.eval_on_selector_all("[data-field=outbox-list] > li",
                                              "items => items.map((item) => item.dataset.state)")

    def sync_until_empty(self, timeout_s: float = 30.0) -> None:
        """Press "sync now" until nothing waits (backoff timers alone would also get there, slower)."""
        deadline = time.monotonic() + timeout_s
        while self.waiting() and time.monotonic() < deadline:
            self.page.click("[data-action=sync]")
            self.page.wait_for_timeout(500)
        assert self.waiting() == 0, (self.outbox_states(), self.page.inner_text("[data-field=net-status]"))

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def phone(context, live_url):
    return Phone(context, live_url)


@pytest.fixture
def inspector_name(create_user):
    """An inspector's user name, committed where the live server sees it."""
    return settled(lambda: create_user("inspector").username)


def all_tickets():
    """Every ticket, loaded and detached from the session (reading one later opens no transaction)."""
    import sqlalchemy as sa

    from app.models import Ticket

    def read():
        tickets = db.session.scalars(sa.select(Ticket)).all()
        db.session.expunge_all()
        return tickets
    return settled(read)
