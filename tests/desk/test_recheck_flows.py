"""Re-inspection: resolved tickets become tasks; close with a recheck photo, or reopen for rework."""
import io
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Notification, PhotoKind, TicketPhoto, TicketStatus, User
from app.services.tickets.transitions import ActionInput, transition
from app.timeutil import now_utc
from tests.desk.conftest import csrf_from, jpeg, sha, upload
from tests.factories import actor_of, area


def reporter_of(ticket) -> User:
    return db.session.get(User, ticket.reporter_id)


def _task_ids(html: str) -> set[int]:
    import re

    return {int(i) for i in re.findall(r'<h2><a href="/tickets/(\d+)"', html)}


def test_a_resolved_ticket_is_a_task_for_its_reporter_only(login, ticket_in, create_user):
    ticket = ticket_in("resolved")
    [told] = db.session.scalars(sa.select(Notification).where(Notification.kind == "recheck")).all()
    assert told.user_id == ticket.reporter_id
    assert _task_ids(login(reporter_of(ticket)).get("/recheck").text) == {ticket.id}


def test_another_inspector_has_no_such_task(login, ticket_in, create_user):
    ticket = ticket_in("resolved")
    client = login(create_user("inspector"))
    assert _task_ids(client.get("/recheck").text) == set()
    assert client.get(f"/tickets/{ticket.id}").status_code == 404


def test_the_inspector_closes_with_a_recheck_photo_and_not_without(login, ticket_in):
    ticket = ticket_in("resolved")
    client = login(reporter_of(ticket))
    page = client.get("/recheck")
    token = csrf_from(page.text)
    refused = client.post(f"/tickets/{ticket.id}/action", data={
        "csrf_token": token, "action": "close", "version": ticket.version, "next": "/recheck"})
    assert refused.status_code == 422
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.RESOLVED
    photo = jpeg((0, 128, 255))
    response = client.post(f"/tickets/{ticket.id}/action", content_type="multipart/form-data", data={
        "csrf_token": token, "action": "close", "version": ticket.version, "next": "/recheck",
        "photo_files": [(io.BytesIO(photo), "recheck.jpg")]})
    assert response.status_code == 302 and response.headers["Location"] == "/recheck"
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.CLOSED and ticket.closed_at is not None
    assert db.session.scalar(sa.select(TicketPhoto.kind).where(
        TicketPhoto.ticket_id == ticket.id, TicketPhoto.photo_sha256 == sha(photo))) == PhotoKind.RECHECK
    assert _task_ids(client.get("/recheck").text) == set()


def test_reopen_counts_rework_and_goes_back_to_the_department_with_a_new_deadline(login, ticket_in, create_user):
    ticket = ticket_in("resolved")
    clerk = create_user("department", ticket.department.code)
    client = login(reporter_of(ticket))
    token = csrf_from(client.get("/recheck").text)
    before = now_utc()
    response = client.post(f"/tickets/{ticket.id}/action", data={
        "csrf_token": token, "action": "reopen", "version": ticket.version, "note": "the cars are back"})
    assert response.status_code == 302
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.REOPENED and ticket.rework_count == 1
    assert ticket.assigned_at >= before
    assert ticket.due_at == ticket.assigned_at + timedelta(hours=ticket.category.sla_hours)
    [told] = db.session.scalars(sa.select(Notification).where(Notification.user_id == clerk.id)).all()
    assert told.kind == "reopened" and told.data["note"] == "the cars are back"


def test_reopened_ticket_is_on_the_departments_desk(api, ticket_in, create_user):
    ticket = ticket_in("reopened")
    clerk = create_user("department", ticket.department.code)
    listed = api(clerk).get("/api/v1/tickets?status=reopened").json
    assert [t["id"] for t in listed["tickets"]] == [ticket.id]
    accepted = api(clerk).post(f"/api/v1/tickets/{ticket.id}/actions/accept", json={"version": ticket.version})
    assert accepted.status_code == 200 and accepted.json["status"] == "in_progress"


def test_a_supervisor_may_close_from_the_office_without_a_photo(login, ticket_in, create_user):
    ticket = ticket_in("resolved")
    supervisor = create_user("supervisor")
    client = login(supervisor)
    page = client.get("/recheck")
    assert ticket.id in _task_ids(page.text)
    client.post(f"/tickets/{ticket.id}/action", data={
        "csrf_token": csrf_from(page.text), "action": "close", "version": ticket.version})
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.CLOSED


def test_recheck_by_area_gives_the_task_to_the_areas_inspectors(app, monkeypatch, login, ticket_in, create_user):
    monkeypatch.setitem(app.config, "RECHECK_BY", "area")
    local_inspector, far_inspector = create_user("inspector"), create_user("inspector")
    local_inspector.area_id, far_inspector.area_id = area("CGZ").id, area("DCJD").id
    db.session.commit()
    ticket = ticket_in("resolved")  # reported at the county seat (CGZ) by someone else
    assert ticket.area.code == "CGZ"
    told = set(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "recheck")))
    assert told == {ticket.reporter_id, local_inspector.id}
    client = login(local_inspector)
    page = client.get("/recheck")
    assert _task_ids(page.text) == {ticket.id}
    client.post(f"/tickets/{ticket.id}/action", content_type="multipart/form-data", data={
        "csrf_token": csrf_from(page.text), "action": "close", "version": ticket.version,
        "photo_files": [(io.BytesIO(jpeg((3, 3, 3))), "r.jpg")]})
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.CLOSED


def test_recheck_by_area_keeps_other_areas_out(app, monkeypatch, login, ticket_in, create_user):
    monkeypatch.setitem(app.config, "RECHECK_BY", "area")
    far_inspector = create_user("inspector")
    far_inspector.area_id = area("DCJD").id
    db.session.commit()
    ticket = ticket_in("resolved")
    client = login(far_inspector)
    assert _task_ids(client.get("/recheck").text) == set()
    assert client.get(f"/tickets/{ticket.id}").status_code == 404


def test_recheck_by_supervisor_leaves_inspectors_out(app, monkeypatch, api, ticket_in, create_user):
    monkeypatch.setitem(app.config, "RECHECK_BY", "supervisor")
    supervisor = create_user("supervisor")
    ticket = ticket_in("in_progress")  # resolved here, so the notification follows RECHECK_BY=supervisor
    clerk = create_user("department", ticket.department.code)
    photo = jpeg((7, 7, 7))
    assert upload(api(clerk), photo).status_code == 201
    ticket = transition(ticket.id, ActionInput(action="resolve", version=ticket.version, photos=[sha(photo)]),
                        actor_of(clerk))
    db.session.commit()
    told = set(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "recheck")))
    assert supervisor.id in told and ticket.reporter_id not in told
    inspector = api(reporter_of(ticket))
    assert inspector.get("/api/v1/recheck").json["total"] == 0
    refused = inspector.post(f"/api/v1/tickets/{ticket.id}/actions/close",
                             json={"version": ticket.version, "photos": [sha(photo)]})
    assert refused.status_code == 403


def test_recheck_tasks_and_close_through_the_api(api, ticket_in):
    ticket = ticket_in("resolved")
    inspector = api(reporter_of(ticket))
    tasks = inspector.get("/api/v1/recheck").json
    assert [t["id"] for t in tasks["tickets"]] == [ticket.id]
    assert {p["kind"] for p in tasks["tickets"][0]["photos"]} == {"after"}
    photo = jpeg((200, 0, 0))
    assert upload(inspector, photo).status_code == 201
    no_photo = inspector.post(f"/api/v1/tickets/{ticket.id}/actions/close", json={"version": ticket.version})
    assert no_photo.status_code == 422 and no_photo.json["error"]["code"] == "photo_required"
    closed = inspector.post(f"/api/v1/tickets/{ticket.id}/actions/close",
                            json={"version": ticket.version, "photos": [sha(photo)], "note": "clean now"})
    assert closed.status_code == 200 and closed.json["status"] == "closed"


def test_recheck_is_not_for_departments(api, ticket_in, create_user):
    ticket = ticket_in("resolved")
    clerk = api(create_user("department", ticket.department.code))
    assert clerk.get("/api/v1/recheck").status_code == 403
    refused = clerk.post(f"/api/v1/tickets/{ticket.id}/actions/close", json={"version": ticket.version})
    assert refused.status_code == 403
