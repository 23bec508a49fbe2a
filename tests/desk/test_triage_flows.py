"""Supervisor triage: the queues, assign and reassign, duplicate, invalid, split a repeat; all in the history."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Notification, PhotoKind, Report, Ticket, TicketPhoto, TicketStatus
from app.services.tickets.transitions import ActionInput, transition
from app.timeutil import now_utc
from tests.desk.conftest import csrf_from
from tests.factories import actor_of

NOWHERE = (29.86, 119.80)  # inside the county, outside every township: X14001 goes unrouted


@pytest.fixture
def supervisor(create_user):
    return create_user("supervisor")


@pytest.fixture
def queues(report, create_user):
    """One ticket in each triage queue, and one that is in none."""
    clerk = create_user("department", "CGZF")
    unrouted = report("X14001", at=NOWHERE).ticket
    returned = report("06008", at=(29.976, 119.95)).ticket
    returned = transition(returned.id, ActionInput(action="return", version=returned.version,
                                                   note="a private courtyard"), actor_of(clerk))
    overdue = report("06008", at=(29.977, 119.95), now=now_utc() - timedelta(hours=100)).ticket
    fine = report("06008", at=(29.978, 119.95)).ticket
    db.session.commit()
    return {"unrouted": unrouted, "returned": returned, "overdue": overdue, "fine": fine, "clerk": clerk}


def _links(html: str) -> set[int]:
    import re

    return {int(i) for i in re.findall(r'href="/tickets/(\d+)"', html)}


@pytest.mark.parametrize("queue", ["unrouted", "returned", "overdue"])
def test_each_triage_queue_shows_its_tickets(login, supervisor, queues, queue):
    page = login(supervisor).get(f"/triage?queue={queue}")
    assert page.status_code == 200
    assert _links(page.text) == {queues[queue].id}
    if queue == "returned":
        assert "a private courtyard" in page.text


def test_login_takes_a_supervisor_to_triage(client, supervisor):
    page = client.get("/login")
    response = client.post("/login", data={"username": supervisor.username, "password": "Test-pass-123",
                                           "csrf_token": csrf_from(page.text)})
    assert response.headers["Location"].endswith("/triage")


def test_assign_from_the_queue_routes_the_ticket_and_tells_the_department(login, supervisor, queues, create_user):
    township = create_user("department", "XZ-NHZ")
    ticket = queues["unrouted"]
    client = login(supervisor)
    page = client.get("/triage?queue=unrouted")
    response = client.post(f"/tickets/{ticket.id}/action", data={
        "csrf_token": csrf_from(page.text), "action": "assign", "version": ticket.version,
        "department_code": "XZ-NHZ", "note": "south of the river", "next": "/triage?queue=unrouted"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/triage?queue=unrouted")
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.ASSIGNED and ticket.department.code == "XZ-NHZ"
    assert ticket.due_at == ticket.assigned_at + timedelta(hours=ticket.category.sla_hours)
    event = ticket.events[-1]
    assert (event.action, event.note, event.actor_id) == ("assign", "south of the river", supervisor.id)
    [told] = db.session.scalars(sa.select(Notification).where(Notification.user_id == township.id)).all()
    assert told.kind == "assigned" and told.ticket_id == ticket.id


def test_a_next_that_leaves_the_site_is_ignored(login, supervisor, queues):
    ticket = queues["unrouted"]
    client = login(supervisor)
    token = csrf_from(client.get("/triage").text)
    response = client.post(f"/tickets/{ticket.id}/action", data={
        "csrf_token": token, "action": "assign", "version": ticket.version, "department_code": "CGZF",
        "next": "//evil.example/phish"})
    assert response.headers["Location"] == f"/tickets/{ticket.id}"


def test_reassign_a_returned_ticket_to_another_department(login, supervisor, queues):
    ticket = queues["returned"]
    client = login(supervisor)
    token = csrf_from(client.get("/triage?queue=returned").text)
    client.post(f"/tickets/{ticket.id}/action", data={
        "csrf_token": token, "action": "assign", "version": ticket.version, "department_code": "YLLH",
        "note": "parks and greenery"})
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.ASSIGNED and ticket.department.code == "YLLH"
    assert [e.action for e in ticket.events][-2:] == ["return", "assign"]
    assert ticket.events[-1].data["from_department_id"] == queues["clerk"].department_id


def test_mark_duplicate_merges_the_report_counts(login, supervisor, queues, report, create_user):
    original = queues["fine"]
    copy = queues["overdue"]
    report("06008", at=(copy.lat, copy.lon + 0.0001), reporter=create_user("inspector"))  # copy reported twice
    db.session.refresh(copy)
    assert copy.report_count == 2
    client = login(supervisor)
    token = csrf_from(client.get(f"/tickets/{copy.id}").text)
    response = client.post(f"/tickets/{copy.id}/action", data={
        "csrf_token": token, "action": "mark_duplicate", "version": copy.version,
        "duplicate_of": original.case_number, "note": "same pothole"})
    assert response.status_code == 302
    db.session.refresh(copy)
    db.session.refresh(original)
    assert copy.status == TicketStatus.DUPLICATE and copy.duplicate_of_id == original.id
    assert original.report_count == 3
    assert copy.events[-1].data["duplicate_of_case"] == original.case_number


def test_mark_invalid_needs_a_reason(login, supervisor, queues):
    ticket = queues["unrouted"]
    client = login(supervisor)
    token = csrf_from(client.get(f"/tickets/{ticket.id}").text)
    refused = client.post(f"/tickets/{ticket.id}/action", data={
        "csrf_token": token, "action": "mark_invalid", "version": ticket.version})
    assert refused.status_code == 422
    client.post(f"/tickets/{ticket.id}/action", data={
        "csrf_token": token, "action": "mark_invalid", "version": ticket.version, "note": "no problem on site"})
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.INVALID
    assert ticket.events[-1].note == "no problem on site"


@pytest.fixture
def linked(report, create_user, create_photo):
    """A CGZF ticket with a repeat (another inspector, 8 m away) that carried its own photo."""
    first = report("06008", at=(29.979, 119.95), photos=[create_photo().sha256])
    second_photo = create_photo().sha256
    second = report("06008", at=(29.97907, 119.95), reporter=create_user("inspector"), photos=[second_photo],
                    description="a different bin, across the street")
    assert second.linked and second.ticket.id == first.ticket.id
    return first.ticket, second.report, second_photo


def test_split_a_wrongly_linked_repeat_into_its_own_ticket(login, supervisor, linked):
    ticket, repeat, repeat_photo = linked
    client = login(supervisor)
    page = client.get(f"/tickets/{ticket.id}")
    assert f"/tickets/{ticket.id}/reports/{repeat.id}/split" in page.text
    response = client.post(f"/tickets/{ticket.id}/reports/{repeat.id}/split",
                           data={"csrf_token": csrf_from(page.text), "note": "two different bins"})
    assert response.status_code == 302
    db.session.expire_all()
    repeat = db.session.get(Report, repeat.id)
    new = repeat.ticket
    assert new.id != ticket.id and not repeat.is_repeat
    assert new.reporter_id == repeat.reporter_id and new.description == "a different bin, across the street"
    assert new.status == TicketStatus.ASSIGNED and new.department.code == "CGZF"
    assert db.session.get(Ticket, ticket.id).report_count == 1
    photos = {(p.ticket_id, p.photo_sha256) for p in db.session.scalars(
        sa.select(TicketPhoto).where(TicketPhoto.kind == PhotoKind.BEFORE))}
    assert (new.id, repeat_photo) in photos and (ticket.id, repeat_photo) not in photos
    old_event = db.session.get(Ticket, ticket.id).events[-1]
    assert (old_event.action, old_event.note, old_event.data["case"]) == ("split", "two different bins",
                                                                          new.case_number)
    assert new.events[-1].action == "split_from" and new.events[-1].data["ticket_id"] == ticket.id


def test_split_through_the_api_and_its_refusals(api, supervisor, linked):
    ticket, repeat, _photo = linked
    client = api(supervisor)
    own_report = db.session.scalar(sa.select(Report.id).where(Report.ticket_id == ticket.id, ~Report.is_repeat))
    refused = client.post(f"/api/v1/tickets/{ticket.id}/reports/{own_report}/split", json={})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "not_a_repeat"
    assert client.post(f"/api/v1/tickets/{ticket.id}/reports/99999/split", json={}).status_code == 404
    response = client.post(f"/api/v1/tickets/{ticket.id}/reports/{repeat.id}/split", json={"note": "not the same"})
    assert response.status_code == 201
    assert response.json["case_number"] != ticket.case_number and response.json["report_count"] == 1


def test_triage_queues_through_the_api(api, supervisor, queues):
    body = api(supervisor).get("/api/v1/triage/returned").json
    assert [t["id"] for t in body["tickets"]] == [queues["returned"].id]
    assert body["tickets"][0]["return_reason"] == "a private courtyard"
    assert body["sizes"] == {"unrouted": 1, "returned": 1, "overdue": 1}
    assert api(supervisor).get("/api/v1/triage/elsewhere").status_code == 404


def test_assign_through_the_api(api, supervisor, queues):
    ticket = queues["unrouted"]
    response = api(supervisor).post(f"/api/v1/tickets/{ticket.id}/actions/assign", json={
        "version": ticket.version, "department_code": "XZ-BSX", "note": "north"})
    assert response.status_code == 200 and response.json["department_code"] == "XZ-BSX"
