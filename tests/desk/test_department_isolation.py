"""A department sees nothing of another department: pages, API, photos, notifications, by direct URL too."""
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Notification, PhotoKind, TicketStatus
from app.services.photos.attach import attach_photos
from app.services.tickets.transitions import ActionInput, transition
from tests.desk.conftest import csrf_from, jpeg, sha, upload
from tests.factories import actor_of


@pytest.fixture
def world(report, create_user, login, api):
    """A CGZF clerk (logged in on the web client and with a token), and an HWZX ticket with photos."""
    clerk = create_user("department", "CGZF")
    hwzx_clerk = create_user("department", "HWZX")
    theirs = report("06012", at=(29.98, 119.96)).ticket
    assert theirs.department.code == "HWZX"
    their_photo = jpeg((5, 5, 5))
    assert upload(api(hwzx_clerk), their_photo).status_code == 201
    theirs = transition(theirs.id, ActionInput(action="accept", version=theirs.version), actor_of(hwzx_clerk))
    attach_photos(theirs, [sha(their_photo)], PhotoKind.AFTER, actor_of(hwzx_clerk))
    db.session.add(Notification(user_id=hwzx_clerk.id, kind="assigned", ticket_id=theirs.id, data={}))
    db.session.commit()
    web = login(clerk)
    return {"clerk": clerk, "ticket": theirs, "photo": sha(their_photo), "web": web, "api": api(clerk),
            "notification": db.session.scalar(sa.select(Notification.id)), "csrf": csrf_from(web.get("/desk").text)}


PAGE_GETS = ["/tickets/{ticket}"]
API_GETS = ["/api/v1/tickets/{ticket}", "/api/v1/photos/{photo}", "/api/v1/photos/{photo}/thumb",
            "/api/v1/photos/{photo}/web"]


def _url(template: str, world) -> str:
    return template.format(ticket=world["ticket"].id, photo=world["photo"])


@pytest.mark.parametrize("template", PAGE_GETS + API_GETS)
def test_direct_urls_to_another_departments_ticket_and_photos_are_not_found(world, template):
    assert world["web"].get(_url(template, world)).status_code == 404
    if template.startswith("/api/"):
        assert world["api"].get(_url(template, world)).status_code == 404


def test_the_originals_are_not_for_departments_at_all(world):
    assert world["api"].get(f"/api/v1/photos/{world['photo']}/original").status_code in (403, 404)


@pytest.mark.parametrize("action", ["accept", "return", "resolve"])
def test_acting_on_another_departments_ticket_is_not_found(world, action):
    ticket = world["ticket"]
    body = {"version": ticket.version, "note": "mine now", "photos": [world["photo"]]}
    assert world["api"].post(f"/api/v1/tickets/{ticket.id}/actions/{action}", json=body).status_code == 404
    form = {"csrf_token": world["csrf"], "action": action, "version": ticket.version, "note": "mine now"}
    assert world["web"].post(f"/tickets/{ticket.id}/action", data=form).status_code == 404
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.IN_PROGRESS


def test_lists_and_searches_never_show_another_departments_ticket(world):
    case, link = world["ticket"].case_number, f'href="/tickets/{world["ticket"].id}"'
    assert case not in world["web"].get("/desk").text
    assert link not in world["web"].get(f"/desk?q={case}&status=in_progress").text  # the box echoes the query
    assert link not in world["web"].get(f"/tickets?q={case}").text
    listed = world["api"].get(f"/api/v1/tickets?q={case}").json
    assert listed["total"] == 0 and listed["tickets"] == []


def test_bulk_accept_of_another_departments_ticket_is_not_found(world):
    ticket = world["ticket"]
    response = world["api"].post("/api/v1/tickets/accept", json={"tickets": [{"id": ticket.id,
                                                                             "version": ticket.version}]})
    assert response.status_code == 200
    assert response.json["results"] == [{"id": ticket.id, "outcome": "not_found", "version": None}]


def test_another_users_notification_is_not_found(world):
    notification = world["notification"]
    assert world["api"].post(f"/api/v1/notifications/{notification}/read").status_code == 404
    response = world["web"].post(f"/notifications/{notification}/open", data={"csrf_token": world["csrf"]})
    assert response.status_code == 404
    assert world["api"].get("/api/v1/notifications").json["total"] == 0


@pytest.mark.parametrize("url", ["/triage", "/recheck"])
def test_supervisor_and_inspector_screens_are_refused_to_departments(world, url):
    assert world["web"].get(url).status_code == 403


@pytest.mark.parametrize("url", ["/api/v1/triage/unrouted", "/api/v1/recheck"])
def test_supervisor_and_inspector_endpoints_are_refused_to_departments(world, url):
    assert world["api"].get(url).status_code == 403


def test_splitting_is_refused_to_departments(world):
    ticket = world["ticket"]
    assert world["api"].post(f"/api/v1/tickets/{ticket.id}/reports/1/split", json={}).status_code == 403
    assert world["web"].post(f"/tickets/{ticket.id}/reports/1/split",
                             data={"csrf_token": world["csrf"]}).status_code == 403


def test_the_own_department_sees_the_same_urls(world, login, client, create_user, api):
    hwzx = create_user("department", "HWZX")
    own = api(hwzx)
    for template in API_GETS:
        response = own.get(_url(template, world))
        response.close()  # file responses stream
        assert response.status_code == 200, template
