"""Re-inspection actions queued offline (close, reopen): applied once, like reports."""
from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import OfflineAction, Ticket, TicketEvent
from app.services.accounts.users import issue_device_token


@pytest.fixture
def task(ticket_in, inspector):
    """A resolved ticket the phone's inspector reported: a re-inspection task."""
    return ticket_in("resolved", reporter=inspector)


def action_json(ticket: Ticket, action: str = "close", **fields) -> dict:
    body = {"client_id": str(uuid.uuid4()), "ticket_id": ticket.id, "action": action, "version": ticket.version,
            "note": "", "photos": []}
    body.update(fields)
    return body


def events(ticket: Ticket, action: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(TicketEvent.ticket_id == ticket.id,
                                                              TicketEvent.action == action))


def test_a_queued_close_is_applied_once_and_a_repeat_is_already_synced(phone, task, create_photo):
    sent = action_json(task, "close", photos=[create_photo().sha256])
    [first] = phone.sync(actions=[sent])["action_results"]
    assert first == {"client_id": sent["client_id"], "status": "created", "ticket_id": task.id, "errors": []}
    [again] = phone.sync(actions=[sent])["action_results"]
    assert again["status"] == "already_synced" and again["ticket_id"] == task.id
    db.session.expire_all()
    assert db.session.get(Ticket, task.id).status.value == "closed"
    assert events(task, "close") == 1


def test_a_queued_reopen_needs_its_note_and_counts_as_rework(phone, task):
    [refused] = phone.sync(actions=[action_json(task, "reopen")])["action_results"]
    assert refused["status"] == "rejected"
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("note", "note_required")]
    [done] = phone.sync(actions=[action_json(task, "reopen", note="垃圾仍未清理")])["action_results"]
    assert done["status"] == "created"
    db.session.expire_all()
    assert db.session.get(Ticket, task.id).rework_count == 1


def test_same_client_id_with_other_content_is_a_conflict(phone, task):
    sent = action_json(task, "reopen", note="first")
    phone.sync(actions=[sent])
    [changed] = phone.sync(actions=[{**sent, "note": "second"}])["action_results"]
    assert changed["status"] == "conflict" and changed["ticket_id"] == task.id
    assert events(task, "reopen") == 1


def test_an_action_on_a_ticket_that_moved_on_is_rejected_as_stale(phone, task):
    [stale] = phone.sync(actions=[action_json(task, "reopen", note="x", version=task.version - 1)])["action_results"]
    assert stale["status"] == "rejected" and stale["errors"][0]["code"] == "stale_version"


def test_unknown_photos_must_be_uploaded_first(phone, task):
    [result] = phone.sync(actions=[action_json(task, "close", photos=["ab" * 32])])["action_results"]
    assert result["status"] == "missing_photos" and result["missing"] == ["ab" * 32]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OfflineAction)) == 0


@pytest.mark.parametrize(("fields", "field", "code"), [
    ({"action": "accept"}, "action", "not_offline_action"),
    ({"version": None}, "version", "required"),
    ({"ticket_id": "7"}, "ticket_id", "invalid"),
    ({"ticket_id": 2**63}, "ticket_id", "invalid"),
    ({"client_id": None}, "client_id", "required"),
])
def test_malformed_actions_are_rejected_alone(phone, task, fields, field, code):
    good = action_json(task, "reopen", note="没有整改")
    bad = {**action_json(task, "reopen", note="x"), **fields}
    results = phone.sync(actions=[bad, good])["action_results"]
    assert results[0]["status"] == "rejected" and (field, code) in {(e["field"], e["code"])
                                                                    for e in results[0]["errors"]}
    assert results[1]["status"] == "created"


def test_someone_elses_ticket_is_not_found(phone, ticket_in):
    stranger = ticket_in("resolved")
    [result] = phone.sync(actions=[action_json(stranger, "reopen", note="x")])["action_results"]
    assert result["status"] == "rejected" and result["errors"][0]["code"] == "not_found"


def test_twenty_concurrent_copies_of_a_close_close_once(app, inspector, task, create_photo):
    sent = action_json(task, "close", photos=[create_photo().sha256])
    tokens = [issue_device_token(inspector, f"device {i}") for i in range(20)]
    db.session.commit()
    barrier = threading.Barrier(len(tokens))
    answers = []

    def send(token):
        client = app.test_client()
        barrier.wait()
        resp = client.post("/api/v1/sync", json={"actions": [sent]}, headers={"Authorization": f"Bearer {token}"})
        answers.append(resp.get_json()["action_results"][0])

    threads = [threading.Thread(target=send, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(a["status"] for a in answers) == ["already_synced"] * 19 + ["created"]
    assert {a["ticket_id"] for a in answers} == {task.id}
    db.session.rollback()
    assert events(task, "close") == 1
