"""The same report sent many times, at once, or racing past the look-up: one ticket (docs/design.md §9).

These tests commit for real from several threads, each with its own connection, on SQLite and
on PostgreSQL (TEST_DATABASE_URL).
"""
from __future__ import annotations

import threading

import sqlalchemy as sa

from app.extensions import db
from app.models import Report, Ticket, TicketEvent
from app.services.accounts.users import issue_device_token
from app.services.reports import intake
from tests.sync.conftest import report_json

COPIES = 50


def _post_concurrently(app, tokens: list[str], body: dict) -> list:
    """POST `body` once per token from as many threads, released together by a barrier."""
    barrier = threading.Barrier(len(tokens))
    answers: list = [None] * len(tokens)

    def send(i: int, token: str) -> None:
        client = app.test_client()
        barrier.wait()
        resp = client.post("/api/v1/sync", json=body, headers={"Authorization": f"Bearer {token}"})
        answers[i] = (resp.status_code, resp.get_json())

    threads = [threading.Thread(target=send, args=(i, t)) for i, t in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def test_fifty_concurrent_copies_make_one_ticket_and_every_answer_names_it(app, inspector):
    # One token per copy, as if the report left several devices of the same inspector at once:
    # a shared token row (its last_used_at) would otherwise queue the requests one behind another.
    tokens = [issue_device_token(inspector, f"device {i}") for i in range(COPIES)]
    db.session.commit()
    sent = report_json()

    answers = _post_concurrently(app, tokens, {"reports": [sent]})

    assert [status for status, _ in answers] == [200] * COPIES
    results = [body["results"][0] for _, body in answers]
    ticket_ids = {r["ticket_id"] for r in results}
    statuses = sorted(r["status"] for r in results)
    assert len(ticket_ids) == 1 and None not in ticket_ids
    assert statuses == ["already_synced"] * (COPIES - 1) + ["created"]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 1
    report_events = sa.select(sa.func.count()).where(TicketEvent.action == "report")
    assert db.session.scalar(report_events) == 1


def test_a_copy_that_races_past_the_look_up_is_stopped_by_the_unique_key(phone, monkeypatch):
    sent = report_json()
    first = phone.sync(reports=[sent])["results"][0]

    # Pretend this request's look-up ran before the first copy committed (the race a check-then-insert
    # design loses): only the database's unique key can now prevent a second ticket.
    real_lookup = intake.known_report
    calls = []

    def stale_lookup(client_id, fingerprint, actor):
        calls.append(client_id)
        return None if len(calls) == 1 else real_lookup(client_id, fingerprint, actor)

    monkeypatch.setattr(intake, "known_report", stale_lookup)
    again = phone.sync(reports=[sent])["results"][0]

    assert len(calls) == 2  # the insert failed on the key and the answer was read back
    assert again == {**first, "status": "already_synced"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1


def test_a_conflicting_copy_that_races_past_the_look_up_is_a_conflict(phone, monkeypatch):
    sent = report_json(description="first words")
    first = phone.sync(reports=[sent])["results"][0]
    real_lookup = intake.known_report
    calls = []

    def stale_lookup(client_id, fingerprint, actor):
        calls.append(1)
        return None if len(calls) == 1 else real_lookup(client_id, fingerprint, actor)

    monkeypatch.setattr(intake, "known_report", stale_lookup)
    changed = phone.sync(reports=[{**sent, "description": "other words"}])["results"][0]
    assert changed["status"] == "conflict" and changed["ticket_id"] == first["ticket_id"]
    db.session.rollback()
    assert db.session.get(Ticket, first["ticket_id"]).description == "first words"


def test_sending_the_same_batch_twice_in_a_row_changes_nothing(phone):
    batch = [report_json(lat=29.95 + 0.002 * i) for i in range(5)]
    first = phone.sync(reports=batch)["results"]
    second = phone.sync(reports=batch)["results"]
    assert [r["ticket_id"] for r in first] == [r["ticket_id"] for r in second]
    assert {r["status"] for r in second} == {"already_synced"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 5
