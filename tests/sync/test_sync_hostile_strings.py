"""A bad string in one sync item refuses that item only: the batch answers 200, the others are stored.

Issue 12's finding: a lone surrogate in one report's description failed the whole batch with a 500,
again on every retry, and the good report was never stored; on PostgreSQL a NUL did the same.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Report, Ticket
from tests.sync.conftest import report_json, spread

HOSTILE = {
    "lone surrogate": "路边\ud83d垃圾",
    "NUL": "违停\x00车辆",
    "bell": "噪音\x07扰民",
    "escape": "\x1b[31m红字",
    "DEL": "占道\x7f经营",
}


@pytest.mark.parametrize("field", ["description", "address", "category_code"])
@pytest.mark.parametrize("value", list(HOSTILE.values()), ids=list(HOSTILE))
def test_one_bad_string_rejects_its_report_alone(phone, field, value):
    (good_at, bad_at) = spread(2)
    good = report_json(lat=good_at[0], lon=good_at[1])
    bad = report_json(lat=bad_at[0], lon=bad_at[1], **{field: value})
    answer = phone.sync(reports=[bad, good])
    bad_result, good_result = answer["results"]
    assert good_result["status"] == "created"
    assert bad_result["status"] == "rejected" and bad_result["client_id"] == bad["client_id"]
    assert [(e["field"], e["code"]) for e in bad_result["errors"]] == [(field, "invalid_text")]
    # The retry the phone makes changes nothing: the good one is known, the bad one still refused.
    again = phone.sync(reports=[bad, good])["results"]
    assert [r["status"] for r in again] == ["rejected", "already_synced"]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1
    assert db.session.scalar(sa.select(Report.client_id)) == good["client_id"]


def test_a_bad_note_on_a_queued_action_rejects_that_action_alone(phone):
    answer = phone.sync(reports=[report_json()], actions=[
        {"client_id": "6f1d3c1e-9a43-4a53-9c53-44a0f5f0a001", "ticket_id": 1, "action": "close", "version": 1,
         "note": "复查\x00通过"}])
    assert answer["results"][0]["status"] == "created"
    [action] = answer["action_results"]
    assert action["status"] == "rejected" and action["errors"][0]["code"] == "invalid_text"


def test_a_bad_device_id_refuses_the_envelope_not_with_a_500(phone):
    answer = phone.sync(expect=400, device_id="phone\x00one", reports=[report_json()])
    assert answer["error"]["code"] == "malformed_batch" and answer["error"]["field"] == "device_id"
