"""Builders for sync batches and an inspector with a device token."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.timeutil import now_utc
from tests.factories import SEAT


def report_json(**fields) -> dict:
    """A valid report as a phone sends it; override any field."""
    body = {
        "client_id": str(uuid.uuid4()),
        "category_code": "09009",
        "description": "人民路口机动车乱停放",
        "lat": SEAT[0],
        "lon": SEAT[1],
        "accuracy_m": 8.0,
        "location_source": "device",
        "captured_at": (now_utc() - timedelta(minutes=5)).isoformat(),
        "address": "人民路 12 号",
        "photos": [],
    }
    body.update(fields)
    return body


def spread(n: int) -> list[tuple[float, float]]:
    """n points about 110 m apart around the county seat, so no report is a repeat of another."""
    return [(SEAT[0] + 0.001 * i, SEAT[1]) for i in range(n)]


@pytest.fixture
def inspector(create_user):
    return create_user("inspector")


@pytest.fixture
def phone(api, inspector):
    """The inspector's phone: a client with a device token; phone.sync(reports=[...]) → JSON answer."""
    client = api(inspector)

    def sync(expect: int = 200, **body):
        body.setdefault("device_id", "phone-1")
        resp = client.post("/api/v1/sync", json=body)
        assert resp.status_code == expect, resp.text
        return resp.get_json()

    client.sync = sync
    return client


def count_statements(call) -> int:
    """Statements `call` sends, in a transaction of its own (SQLite's BEGIN counts as one)."""
    db.session.rollback()
    seen = []

    def count(*_args):
        seen.append(1)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)
