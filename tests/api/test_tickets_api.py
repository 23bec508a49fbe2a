"""The ticket API: lists scoped by role, detail fields, actions with 200/403/404/409/422."""
import pytest

from app.extensions import db
from app.models import User
from tests.factories import EAST, SEAT


def test_categories_list_has_the_contract_fields(api, create_user):
    resp = api(create_user("inspector")).get("/api/v1/categories")
    assert resp.status_code == 200
    cats = {c["code"]: c for c in resp.json["categories"]}
    assert cats["09009"] == {**cats["09009"], "name_zh": "机动车乱停放（违章停车）", "department_code": "JJDD",
                             "sla_hours": 2, "group": "09"}
    assert cats["09009"]["name_en"]


def test_areas_list_has_geometry_and_centroid(api, create_user):
    areas = {a["code"]: a for a in api(create_user("inspector")).get("/api/v1/areas").json["areas"]}
    assert set(areas) == {"COUNTY", "CGZ", "DCJD", "XCJD", "NHZ", "BSX"}
    seat = areas["CGZ"]
    assert seat["department_code"] == "XZ-CGZ"
    assert seat["geometry"]["type"] == "Polygon"
    assert 29.9 < seat["centroid"]["lat"] < 30.05 and 119.9 < seat["centroid"]["lon"] < 120.0


def test_anonymous_api_call_gets_401_json(client, county):
    resp = client.get("/api/v1/tickets")
    assert resp.status_code == 401
    assert resp.json["error"]["code"] == "unauthorized"


def test_department_sees_only_its_own_tickets(api, create_user, report):
    parking = report("09009", at=SEAT).ticket  # JJDD
    litter = report("06012", at=EAST).ticket  # HWZX
    jjdd = api(create_user("department", "JJDD"))
    listed = jjdd.get("/api/v1/tickets").json
    assert [t["id"] for t in listed["tickets"]] == [parking.id]
    assert listed["total"] == 1
    assert jjdd.get(f"/api/v1/tickets/{litter.id}").status_code == 404
    # Asking for another department's queue by filter does not widen the scope.
    assert jjdd.get("/api/v1/tickets?department=HWZX").json["total"] == 0


def test_supervisor_list_filters_sorts_and_pages(api, create_user, report):
    tickets = [report("09009", at=(SEAT[0] + i * 0.001, SEAT[1])).ticket for i in range(5)]
    report("06012", at=EAST)
    sup = api(create_user("supervisor"))
    body = sup.get("/api/v1/tickets?category=09009&per_page=2&page=2&sort=received_at").json
    assert body["total"] == 5
    assert [t["id"] for t in body["tickets"]] == [tickets[2].id, tickets[3].id]
    assert sup.get("/api/v1/tickets?department=HWZX").json["total"] == 1
    assert sup.get("/api/v1/tickets?status=assigned,in_progress").json["total"] == 6
    assert sup.get("/api/v1/tickets?overdue=true").json["total"] == 0


@pytest.mark.parametrize("query", ["status=nonsense", "sort=password_hash", "per_page=0", "page=x",
                                   "overdue=maybe", "category=NOPE"])
def test_bad_list_parameters_get_422_with_the_field(api, create_user, county, query):
    resp = api(create_user("supervisor")).get(f"/api/v1/tickets?{query}")
    assert resp.status_code == 422
    assert resp.json["error"]["field"] == query.split("=")[0]


def test_ticket_detail_has_every_contract_field(api, create_user, ticket_in):
    ticket = ticket_in("resolved")
    reporter = db.session.get(User, ticket.reporter_id)
    body = api(reporter).get(f"/api/v1/tickets/{ticket.id}").json
    for key in ("status", "version", "department_code", "category_code", "lat", "lon", "case_number", "due_at",
                "photos", "events"):
        assert key in body
    assert body["status"] == "resolved"
    assert body["case_number"].startswith("XC-")
    assert [p["kind"] for p in body["photos"]] == ["after"]
    event = body["events"][-1]
    assert (event["from"], event["to"], event["actor"]) == ("in_progress", "resolved", body["events"][-1]["actor"])
    assert event["actor"].startswith("department")
    assert body["allowed_actions"] == ["close", "reopen"]


def test_action_happy_path_returns_the_ticket(api, create_user, ticket_in):
    ticket = ticket_in("assigned")
    version = ticket.version
    dept = api(create_user("department", ticket.department.code))
    resp = dept.post(f"/api/v1/tickets/{ticket.id}/actions/accept", json={"version": version})
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "in_progress"
    assert resp.json["version"] == version + 1


def test_wrong_role_gets_403(api, ticket_in):
    ticket = ticket_in("assigned")
    reporter = db.session.get(User, ticket.reporter_id)
    resp = api(reporter).post(f"/api/v1/tickets/{ticket.id}/actions/accept", json={"version": ticket.version})
    assert resp.status_code == 403
    assert resp.json["error"]["code"] == "forbidden"


def test_other_department_gets_404_not_a_leak(api, create_user, ticket_in):
    ticket = ticket_in("assigned")
    resp = api(create_user("department", "CGZF")).post(
        f"/api/v1/tickets/{ticket.id}/actions/accept", json={"version": ticket.version})
    assert resp.status_code == 404


def test_stale_version_gets_409_with_the_current_ticket(api, create_user, ticket_in):
    ticket = ticket_in("assigned")
    version = ticket.version
    dept = api(create_user("department", ticket.department.code))
    first = dept.post(f"/api/v1/tickets/{ticket.id}/actions/accept", json={"version": version})
    assert first.status_code == 200
    second = dept.post(f"/api/v1/tickets/{ticket.id}/actions/return", json={"version": version, "note": "x"})
    assert second.status_code == 409
    error = second.json["error"]
    assert error["code"] == "stale_version" and error["field"] == "version"
    assert error["current"]["status"] == "in_progress"
    assert error["current"]["version"] == first.json["version"]


def test_illegal_move_gets_409(api, create_user, ticket_in):
    ticket = ticket_in("assigned")
    dept = api(create_user("department", ticket.department.code))
    resp = dept.post(f"/api/v1/tickets/{ticket.id}/actions/resolve",
                     json={"version": ticket.version, "photos": []})
    assert resp.status_code == 409
    assert resp.json["error"]["code"] == "transition_not_allowed"


@pytest.mark.parametrize(("state", "action", "body", "field"), [
    ("in_progress", "resolve", {"note": "done"}, "photos"),
    ("assigned", "return", {}, "note"),
    ("resolved", "reopen", {}, "note"),
    ("returned", "assign", {}, "department_code"),
    ("returned", "assign", {"department_code": "NOPE"}, "department_code"),
    ("assigned", "mark_duplicate", {}, "duplicate_of"),
])
def test_missing_inputs_get_422(api, create_user, ticket_in, state, action, body, field):
    ticket = ticket_in(state)
    if action in ("resolve", "return"):
        who = create_user("department", ticket.department.code)
    else:
        who = create_user("supervisor")
    resp = api(who).post(f"/api/v1/tickets/{ticket.id}/actions/{action}", json={"version": ticket.version, **body})
    assert resp.status_code == 422, resp.json
    assert resp.json["error"]["field"] == field


def test_unknown_photo_hash_is_refused(api, create_user, ticket_in):
    ticket = ticket_in("in_progress")
    resp = api(create_user("department", ticket.department.code)).post(
        f"/api/v1/tickets/{ticket.id}/actions/resolve", json={"version": ticket.version, "photos": ["0" * 64]})
    assert resp.status_code == 422
    assert resp.json["error"]["code"] == "missing_photos"
    assert resp.json["error"]["missing"] == ["0" * 64]


@pytest.mark.parametrize("payload", ["not json", "[1,2]", '{"version": "1"}'])
def test_malformed_action_bodies_get_clean_errors(api, create_user, ticket_in, payload):
    ticket = ticket_in("assigned")
    resp = api(create_user("department", ticket.department.code)).post(
        f"/api/v1/tickets/{ticket.id}/actions/accept", data=payload, content_type="application/json")
    assert resp.status_code in (400, 422)
    assert set(resp.json["error"]) >= {"code", "message", "field"}


def test_unknown_action_and_ticket_are_404(api, create_user, ticket_in):
    ticket = ticket_in("assigned")
    sup = api(create_user("supervisor"))
    assert sup.post(f"/api/v1/tickets/{ticket.id}/actions/explode", json={"version": 1}).status_code == 404
    assert sup.get("/api/v1/tickets/999999").status_code == 404
    assert sup.get("/api/v1/nothing-here").json["error"]["code"] == "not_found"


def test_cookie_session_api_write_needs_csrf_header(login, create_user, ticket_in):
    ticket = ticket_in("assigned")
    version = ticket.version
    user = create_user("department", ticket.department.code)
    client = login(user)
    url = f"/api/v1/tickets/{ticket.id}/actions/accept"
    refused = client.post(url, json={"version": version})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "csrf_failed"
    page = client.get(f"/tickets/{ticket.id}")
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    ok = client.post(url, json={"version": version}, headers={"X-CSRFToken": token})
    assert ok.status_code == 200
