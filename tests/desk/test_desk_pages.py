"""The department desk in the browser: queue, marks, filters, search, bulk accept, resolve and return."""
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import PhotoKind, Ticket, TicketPhoto, TicketStatus
from app.timeutil import now_utc, to_local
from tests.desk.conftest import csrf_from, jpeg, sha, upload
from tests.factories import EAST, SEAT


def spot(i: int) -> tuple[float, float]:
    """Points about 110 m apart in the county seat, so no report is a repeat of another."""
    return SEAT[0] + 0.001 * i, SEAT[1]


@pytest.fixture
def clerk(create_user):
    return create_user("department", "CGZF")


@pytest.fixture
def queue(report):
    """CGZF (72 h): one overdue, one due within a day, one fresh; and an HWZX ticket."""
    now = now_utc()
    return {
        "overdue": report("06008", at=spot(1), now=now - timedelta(hours=80)).ticket,
        "soon": report("06008", at=spot(2), now=now - timedelta(hours=60)).ticket,
        "fresh": report("06008", at=spot(3), now=now).ticket,
        "other": report("06012", at=spot(4), now=now).ticket,
    }


def items(html: str) -> dict[str, str]:
    """Each queue row's HTML by the case number it shows."""
    rows = html.split('<li class="queue-item')[1:]
    return {re.search(r"XC-\d{8}-\d{4}", row).group(0): row for row in rows}


def test_the_desk_lists_own_tickets_by_deadline_with_overdue_and_due_soon_marked(login, clerk, queue):
    page = login(clerk).get("/desk")
    assert page.status_code == 200
    rows = items(page.text)
    cases = [queue[k].case_number for k in ("overdue", "soon", "fresh")]
    assert list(rows) == cases  # by deadline, the most urgent first
    assert queue["other"].case_number not in page.text
    assert "badge-overdue" in rows[cases[0]] and "badge-due-soon" not in rows[cases[0]]
    assert "badge-due-soon" in rows[cases[1]] and "badge-overdue" not in rows[cases[1]]
    assert "badge-overdue" not in rows[cases[2]] and "badge-due-soon" not in rows[cases[2]]


def test_login_takes_a_department_user_to_the_desk(client, clerk, county):
    page = client.get("/login")
    response = client.post("/login", data={"username": clerk.username, "password": "Test-pass-123",
                                           "csrf_token": csrf_from(page.text)})
    assert response.headers["Location"].endswith("/desk")


@pytest.mark.parametrize(("query", "expected"), [
    ("status=in_progress", {"accepted"}),
    ("status=resolved", set()),
    ("category=06008", {"accepted", "soon", "fresh"}),
    ("category=06009", set()),
    ("area=CGZ", {"accepted", "soon", "fresh"}),
    ("area=DCJD", set()),
])
def test_desk_filters(login, clerk, queue, create_user, query, expected):
    from app.services.tickets.transitions import ActionInput, transition
    from tests.factories import actor_of

    transition(queue["overdue"].id, ActionInput(action="accept", version=queue["overdue"].version), actor_of(clerk))
    db.session.commit()
    names = {"accepted": queue["overdue"], "soon": queue["soon"], "fresh": queue["fresh"]}
    page = login(clerk).get(f"/desk?{query}")
    assert page.status_code == 200
    assert set(items(page.text)) == {names[k].case_number for k in expected}


def test_desk_period_filter_uses_local_days(login, clerk, queue):
    day = to_local(queue["soon"].received_at).date()
    # Tickets received 80 h and 60 h ago share a local day at some hours: expect exactly that day's own ones.
    expected = {t.case_number for t in queue.values()
                if t.department_id == clerk.department_id and to_local(t.received_at).date() == day}
    client = login(clerk)
    assert set(items(client.get(f"/desk?from={day}&to={day}").text)) == expected
    assert queue["soon"].case_number in expected and queue["fresh"].case_number not in expected
    assert client.get("/desk?from=yesterday").status_code == 422


def test_desk_search_by_case_number_or_address(login, clerk, queue):
    queue["fresh"].address = "人民路 88 号"
    db.session.commit()
    client = login(clerk)
    assert set(items(client.get(f"/desk?q={queue['soon'].case_number}").text)) == {queue["soon"].case_number}
    assert set(items(client.get("/desk?q=人民路").text)) == {queue["fresh"].case_number}
    assert items(client.get(f"/desk?q={queue['other'].case_number}").text) == {}


def test_bulk_accept_through_the_form(login, clerk, queue):
    client = login(clerk)
    page = client.get("/desk")
    picked = [queue["overdue"], queue["soon"]]
    response = client.post("/desk/accept", data={
        "csrf_token": csrf_from(page.text), "ticket": [f"{t.id}:{t.version}" for t in picked]})
    assert response.status_code == 302
    for ticket in picked:
        db.session.refresh(ticket)
        assert ticket.status == TicketStatus.IN_PROGRESS
    db.session.refresh(queue["fresh"])
    assert queue["fresh"].status == TicketStatus.ASSIGNED
    assert "2" in client.get("/desk").text.split('class="flash')[1]


def test_bulk_accept_skips_a_changed_or_foreign_ticket_and_accepts_the_rest(login, clerk, queue):
    client = login(clerk)
    token = csrf_from(client.get("/desk").text)
    stale, good, foreign = queue["overdue"], queue["soon"], queue["other"]
    response = client.post("/desk/accept", data={"csrf_token": token, "ticket": [
        f"{stale.id}:{stale.version + 1}", f"{good.id}:{good.version}", f"{foreign.id}:{foreign.version}"]})
    assert response.status_code == 302
    statuses = {t.id: db.session.get(Ticket, t.id).status for t in (stale, good, foreign)}
    assert statuses == {stale.id: TicketStatus.ASSIGNED, good.id: TicketStatus.IN_PROGRESS,
                        foreign.id: TicketStatus.ASSIGNED}


def test_a_post_without_the_csrf_token_changes_nothing(login, clerk, queue):
    ticket = queue["soon"]
    client = login(clerk)
    assert client.post("/desk/accept", data={"ticket": f"{ticket.id}:{ticket.version}"}).status_code == 403
    response = client.post(f"/tickets/{ticket.id}/action", data={"action": "accept", "version": ticket.version})
    assert response.status_code == 403
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.ASSIGNED


def _accepted(ticket, clerk):
    from app.services.tickets.transitions import ActionInput, transition
    from tests.factories import actor_of

    ticket = transition(ticket.id, ActionInput(action="accept", version=ticket.version), actor_of(clerk))
    db.session.commit()
    return ticket


def test_resolve_with_after_photos_sent_with_the_form(login, clerk, queue):
    ticket = _accepted(queue["soon"], clerk)
    client = login(clerk)
    page = client.get(f"/tickets/{ticket.id}")
    assert 'name="photo_files"' in page.text and "data-photo-action" in page.text
    photos = [jpeg((10, 200, 10)), jpeg((10, 10, 200))]
    response = client.post(f"/tickets/{ticket.id}/action", content_type="multipart/form-data", data={
        "csrf_token": csrf_from(page.text), "action": "resolve", "version": ticket.version, "note": "cleaned up",
        "photo_files": [(io.BytesIO(p), f"after{i}.jpg") for i, p in enumerate(photos)]})
    assert response.status_code == 302
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.RESOLVED and ticket.resolved_on_time is True
    after = set(db.session.scalars(sa.select(TicketPhoto.photo_sha256).where(
        TicketPhoto.ticket_id == ticket.id, TicketPhoto.kind == PhotoKind.AFTER)))
    assert after == {sha(p) for p in photos}
    assert ticket.events[-1].note == "cleaned up"
    shown = client.get(f"/tickets/{ticket.id}").text
    assert all(f"/api/v1/photos/{sha(p)}/thumb" in shown for p in photos)
    assert "已提交整改，等待督查员现场复查。" in shown  # the confirmation, once
    assert "已提交整改" not in client.get(f"/tickets/{ticket.id}").text


def test_a_refused_resolve_keeps_the_note_and_the_photos_already_stored(login, clerk, queue):
    ticket = _accepted(queue["soon"], clerk)
    client = login(clerk)
    token = csrf_from(client.get(f"/tickets/{ticket.id}").text)
    photo = jpeg((1, 2, 3))
    response = client.post(f"/tickets/{ticket.id}/action", content_type="multipart/form-data", data={
        "csrf_token": token, "action": "resolve", "version": ticket.version + 5, "note": "long text typed on a phone",
        "photo_files": [(io.BytesIO(photo), "after.jpg")]})
    assert response.status_code == 409
    assert "long text typed on a phone</textarea>" in response.text
    assert f'name="photos" value="{sha(photo)}"' in response.text
    # Sent again from the refilled form (right version now), the stored photo is used: no new upload needed.
    response = client.post(f"/tickets/{ticket.id}/action", data={
        "csrf_token": token, "action": "resolve", "version": ticket.version, "note": "long text typed on a phone",
        "photos": sha(photo)})
    assert response.status_code == 302
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.RESOLVED


def test_resolve_without_a_photo_is_refused(login, clerk, queue):
    ticket = _accepted(queue["soon"], clerk)
    client = login(clerk)
    token = csrf_from(client.get(f"/tickets/{ticket.id}").text)
    response = client.post(f"/tickets/{ticket.id}/action", data={
        "csrf_token": token, "action": "resolve", "version": ticket.version, "note": "done"})
    assert response.status_code == 422
    assert "done</textarea>" in response.text
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.IN_PROGRESS


def test_resolve_as_the_page_script_does_it_upload_then_post_with_hashes(login, clerk, queue):
    ticket = _accepted(queue["soon"], clerk)
    client = login(clerk)
    token = csrf_from(client.get(f"/tickets/{ticket.id}").text)
    photo = jpeg((90, 90, 90))
    assert upload(client, photo, token).status_code == 201
    assert upload(client, photo, token).status_code == 200  # a retry of the same bytes is cheap
    body = {"version": ticket.version, "note": "fixed", "photos": [sha(photo)]}
    assert client.post(f"/api/v1/tickets/{ticket.id}/actions/resolve", json=body).status_code == 403  # no header
    response = client.post(f"/api/v1/tickets/{ticket.id}/actions/resolve", json=body,
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.json
    assert response.json["status"] == "resolved"


def test_return_needs_a_reason_and_goes_to_the_supervisor(login, clerk, queue, create_user):
    supervisor = create_user("supervisor")
    ticket = queue["soon"]
    client = login(clerk)
    token = csrf_from(client.get(f"/tickets/{ticket.id}").text)
    refused = client.post(f"/tickets/{ticket.id}/action", data={
        "csrf_token": token, "action": "return", "version": ticket.version, "note": " "})
    assert refused.status_code == 422
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.ASSIGNED
    response = client.post(f"/tickets/{ticket.id}/action", data={
        "csrf_token": token, "action": "return", "version": ticket.version, "note": "this is a road, not ours"})
    assert response.status_code == 302
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.RETURNED
    from app.services.notifications.centre import list_for

    [note] = list_for(supervisor.id)[0]
    assert note.kind == "returned" and note.data["note"] == "this is a road, not ours"


def test_the_ticket_page_shows_map_photos_history_and_repeats(login, clerk, report, create_user):
    first = report("06008", at=spot(5), photos=None)
    again = report("06008", at=(spot(5)[0] + 0.0001, spot(5)[1]), reporter=create_user("inspector"))
    assert again.linked and again.ticket.id == first.ticket.id
    page = login(clerk).get(f"/tickets/{first.ticket.id}").text
    assert 'id="ticket-map"' in page and f'data-lat="{first.ticket.lat}"' in page
    assert "/static/js/ticket-map.js" in page and "<script>" not in page  # no inline scripts (CSP)
    assert "Repeats" in page or "重复" in page
    assert page.count("<time>") >= 2  # history: report, assign, repeat


def test_the_desk_is_for_departments_only(login, create_user, county):
    assert login(create_user("inspector")).get("/desk").status_code == 403


def test_the_desk_page_keeps_the_east_township_apart(login, clerk, report):
    ticket = report("06008", at=EAST).ticket
    page = login(clerk).get("/desk?area=DCJD")
    assert set(items(page.text)) == {ticket.case_number}
