"""A phone whose sync fails waits out its backoff: it never retries a busy server in a tight loop."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Ticket
from app.services.photos.backlog import Backlogged
from tests.browser.conftest import GPS_PHOTO, settled

pytestmark = pytest.mark.browser

WATCH_S = 6.0
# Backoff after n failures is a random wait below 2 s × 2ⁿ (static/pwa/js/sync/backoff.js): in 6 s a
# phone makes a handful of tries. Before this was fixed, each failed try re-registered Background Sync,
# which fired at once, and the page tried again within ~50 ms: 69 uploads in 6 s.
MOST_TRIES = 8


def _always_busy(sha256):
    raise Backlogged("the derivative backlog is full", retry_after_s=1)


def test_a_busy_server_gets_a_few_tries_then_the_queued_report_goes_through_once(phone, inspector_name,
                                                                                 monkeypatch):
    phone.log_in(inspector_name)
    uploads: list[str] = []
    phone.context.on("request", lambda request: request.method == "PUT" and uploads.append(request.url))
    monkeypatch.setattr("app.services.photos.backlog.refuse_if_backlogged", _always_busy)

    phone.capture(GPS_PHOTO, "06012", "服务器繁忙时")
    phone.page.wait_for_timeout(WATCH_S * 1000)
    assert 1 <= len(uploads) <= MOST_TRIES, f"{len(uploads)} uploads in {WATCH_S} s while the server was busy"
    assert phone.waiting() == 1  # kept, not given up

    monkeypatch.undo()
    phone.sync_until_empty()  # "sync now" still goes at once, whatever the backoff
    assert settled(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Ticket))) == 1
