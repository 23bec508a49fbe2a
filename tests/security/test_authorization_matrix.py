"""Every endpoint × every role × own/other object: the expected answer, asserted.

The table is keyed by Flask endpoint name and checked against the app's URL map, so a new route
without an entry here fails the suite. Objects are reached by id, case number and photo hash
(IDOR): another department's or inspector's ticket, photo or notification must not be found.
"""
from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from PIL import Image

from app.extensions import db
from app.models import Notification, Report
from app.services.accounts.users import issue_device_token
from app.services.photos import store as photos
from tests.assessment.visit_json import seeded_visit
from tests.factories import PASSWORD, SEAT, actor_of

# One short name per role keeps the table readable.
A, I, I2, D, D2, S, AD = (  # noqa: E741
    "anonymous", "inspector", "other_inspector", "department", "other_department", "supervisor", "admin")
ROLES = (A, I, I2, D2, D, S, AD)  # the own department acts after the other one tried
LOGGED_IN = ROLES[1:]
PASS = "pass"  # authorised: any answer but 401/403/404 and never a 5xx (state may have moved on)
LOGIN = "login"  # a page redirecting an anonymous visitor to the login form


@dataclass
class World:
    ticket: object
    repeat_report: object
    photo_sha: str
    notification_id: int
    users: dict
    new_photo: bytes = field(default=b"")
    visit_id: int = 0  # an assessment visit by the inspector

    def case(self):
        return self.ticket.case_number

    def ticket_token(self):  # what Open311's POST answers as `token`: the first report's client_id
        return db.session.scalar(sa.select(Report.client_id).where(Report.ticket_id == self.ticket.id)
                                 .order_by(Report.id))


def _jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (seed % 256, 80, 160)).save(out, "JPEG")
    return out.getvalue()


def expect(default, **per_role):
    """Expected answers: `default` for every logged-in role unless named, anonymous as given or 401/login."""
    table = {role: default for role in LOGGED_IN}
    table.update({k.replace("__", "_"): v for k, v in per_role.items()})
    return table


def api(default=200, anonymous=401, **per_role):
    return {A: anonymous, **expect(default, **per_role)}


def page(default=200, anonymous=LOGIN, **per_role):
    return {A: anonymous, **expect(default, **per_role)}


SUPERVISORS_ONLY = dict(inspector=403, other_inspector=403, department=403, other_department=403)
DEPARTMENTS_ONLY = dict(inspector=403, other_inspector=403, supervisor=403, admin=403)
ADMIN_ONLY = dict(inspector=403, other_inspector=403, department=403, other_department=403, supervisor=403)
OWN_TICKET = dict(other_inspector=404, other_department=404)


@dataclass(frozen=True)
class Call:
    method: str
    url: callable  # World -> str
    expected: dict
    body: callable = None  # World -> dict (JSON for /api, form otherwise)
    raw: bool = False  # body is raw bytes (photo upload)


def T(w: World) -> int:
    return w.ticket.id


def DRAW(w: World) -> int:
    """A draw of one seeded point per type, made the first time a call needs it (issue 14 §4)."""
    if not getattr(w, "draw_id", None):
        from app.services.actor import Actor
        from app.services.assessment import draws
        from app.timeutil import now_utc

        w.draw_id = draws.create_draw(draws.DrawSpec("matrix", 1, 1), Actor.system(), now_utc()).id
        db.session.commit()
    return w.draw_id


def WEBHOOK(w: World) -> int:
    """A department's robot, made again whenever a call needs one (the admin's call removes it)."""
    from app.services.actor import Actor
    from app.services.notifications import webhooks

    webhook = webhooks.configure(Actor.system(), "HWZX", "wecom", "https://robot.example/matrix", None)
    db.session.commit()
    return webhook.id


MATRIX: dict[str, Call] = {
    # pages and sign-in
    "auth.index": Call("GET", lambda w: "/", page(302, anonymous=302)),
    "auth.login": Call("GET", lambda w: "/login", page(302, anonymous=200)),
    "auth.logout": Call("POST", lambda w: "/logout", page(302, anonymous=302), body=lambda w: {}),
    "web.ticket_list": Call("GET", lambda w: "/tickets", page()),
    "web.ticket_detail": Call("GET", lambda w: f"/tickets/{T(w)}", page(**OWN_TICKET)),
    "web.ticket_action": Call("POST", lambda w: f"/tickets/{T(w)}/action",
                              page(PASS, inspector=403, supervisor=403, admin=403, **OWN_TICKET),
                              body=lambda w: {"action": "accept", "version": w.ticket.version}),
    "web.split_repeat": Call("POST", lambda w: f"/tickets/{T(w)}/reports/{w.repeat_report.id}/split",
                             page(302, admin=(302, 404), **SUPERVISORS_ONLY), body=lambda w: {"note": "x"}),
    "web.desk_queue": Call("GET", lambda w: "/desk", page(**DEPARTMENTS_ONLY)),
    "web.desk_accept": Call("POST", lambda w: "/desk/accept", page(302, **DEPARTMENTS_ONLY),
                            body=lambda w: {"ticket": f"{T(w)}:{w.ticket.version}"}),
    "web.triage_queue": Call("GET", lambda w: "/triage", page(**SUPERVISORS_ONLY)),
    "web.recheck_tasks": Call("GET", lambda w: "/recheck", page(department=403, other_department=403)),
    "web.notification_list": Call("GET", lambda w: "/notifications", page()),
    "web.notification_open": Call("POST", lambda w: f"/notifications/{w.notification_id}/open",
                                  page(404, supervisor=302), body=lambda w: {}),
    "web.notification_read_all": Call("POST", lambda w: "/notifications/read", page(302), body=lambda w: {}),
    "web.supervise_dashboard": Call("GET", lambda w: "/supervise", page(**SUPERVISORS_ONLY)),
    "web.supervise_map": Call("GET", lambda w: "/supervise/map", page(**SUPERVISORS_ONLY)),
    "web.supervise_ranking": Call("GET", lambda w: "/supervise/ranking", page(**SUPERVISORS_ONLY)),
    "web.supervise_ranking_csv": Call("GET", lambda w: "/supervise/ranking.csv", page(**SUPERVISORS_ONLY)),
    "web.supervise_bulletin": Call("GET", lambda w: "/supervise/bulletin.docx?days=7", page(**SUPERVISORS_ONLY)),
    "web.supervise_ranking_xlsx": Call("GET", lambda w: "/supervise/ranking.xlsx", page(**SUPERVISORS_ONLY)),
    "web.supervise_export": Call("GET", lambda w: "/supervise/export.csv", page(**SUPERVISORS_ONLY)),
    "web.supervise_slips": Call("GET", lambda w: f"/supervise/slips.pdf?ids={T(w)}", page(**SUPERVISORS_ONLY)),
    "web.assessment_score_page": Call("GET", lambda w: "/supervise/assessment", page(**SUPERVISORS_ONLY)),
    "web.assessment_score_xlsx": Call("GET", lambda w: "/supervise/assessment/score.xlsx", page(**SUPERVISORS_ONLY)),
    "web.assessment_score_pdf": Call("GET", lambda w: "/supervise/assessment/score.pdf", page(**SUPERVISORS_ONLY)),
    "web.draw_list": Call("GET", lambda w: "/supervise/assessment/draws", page(**SUPERVISORS_ONLY)),
    "web.draw_create": Call("POST", lambda w: "/supervise/assessment/draws", page(303, **SUPERVISORS_ONLY),
                            body=lambda w: {"name": "matrix", "per_type": "1"}),
    "web.draw_detail": Call("GET", lambda w: f"/supervise/assessment/draws/{DRAW(w)}", page(**SUPERVISORS_ONLY)),
    "web.draw_assign": Call("POST", lambda w: f"/supervise/assessment/draws/{DRAW(w)}/assign",
                            page(303, **SUPERVISORS_ONLY), body=lambda w: {"mode": "even"}),
    "web.draw_cancel": Call("POST", lambda w: f"/supervise/assessment/draws/{DRAW(w)}/cancel",
                            page(303, **SUPERVISORS_ONLY), body=lambda w: {}),
    "web.desk_assessment": Call("GET", lambda w: "/desk/assessment", page(**DEPARTMENTS_ONLY)),
    "web.visit_list": Call("GET", lambda w: "/supervise/assessment/visits", page(**SUPERVISORS_ONLY)),
    "web.visit_void": Call("POST", lambda w: f"/supervise/assessment/visits/{w.visit_id}/void",
                           page(303, admin=(303, 409), **SUPERVISORS_ONLY), body=lambda w: {"reason": "x"}),
    # administration
    "admin.overview": Call("GET", lambda w: "/admin/", page(**ADMIN_ONLY)),
    "admin.user_list": Call("GET", lambda w: "/admin/users", page(**ADMIN_ONLY)),
    "admin.user_create": Call("POST", lambda w: "/admin/users", page(302, **ADMIN_ONLY),
                              body=lambda w: {"username": "new-user", "password": "Str0ng-pass", "role": "inspector"}),
    "admin.user_edit": Call("GET", lambda w: f"/admin/users/{w.users[I].id}", page(**ADMIN_ONLY)),
    "admin.user_update": Call("POST", lambda w: f"/admin/users/{w.users[I2].id}", page(302, **ADMIN_ONLY),
                              body=lambda w: {"role": "inspector", "display_name": "x", "active": "on"}),
    "admin.user_password": Call("POST", lambda w: f"/admin/users/{w.users[I2].id}/password",
                                page(302, **ADMIN_ONLY), body=lambda w: {"password": "An0ther-pass"}),
    "admin.user_revoke_tokens": Call("POST", lambda w: f"/admin/users/{w.users[I2].id}/revoke-tokens",
                                     page(302, **ADMIN_ONLY), body=lambda w: {}),
    "admin.department_list": Call("GET", lambda w: "/admin/departments", page(**ADMIN_ONLY)),
    "admin.department_save": Call("POST", lambda w: "/admin/departments", page(302, **ADMIN_ONLY),
                                  body=lambda w: {"code": "NEWD", "name_zh": "新单位", "active": "on"}),
    "admin.category_list": Call("GET", lambda w: "/admin/categories", page(**ADMIN_ONLY)),
    "admin.category_update": Call("POST", lambda w: f"/admin/categories/{w.ticket.category_id}",
                                  page(302, **ADMIN_ONLY), body=lambda w: {"sla_hours": "3", "active": "on",
                                                                          "department": "JJDD"}),
    "admin.area_list": Call("GET", lambda w: "/admin/areas", page(**ADMIN_ONLY)),
    "admin.area_update": Call("POST", lambda w: f"/admin/areas/{w.ticket.area_id}", page(302, **ADMIN_ONLY),
                              body=lambda w: {"department": "XZ-CGZ"}),
    "admin.audit_log": Call("GET", lambda w: "/admin/audit", page(**ADMIN_ONLY)),
    # the mock assessment's points, weights and checklists (a seeded point and type)
    "admin.point_list": Call("GET", lambda w: "/admin/points", page(**ADMIN_ONLY)),
    "admin.point_create": Call("POST", lambda w: "/admin/points", page(302, **ADMIN_ONLY), body=lambda w: {
        "code": "MATRIX-1", "name": "x", "location_type": "NMSC", "lat": "29.975", "lon": "119.95",
        "department_code": "SJJ"}),
    "admin.point_edit": Call("GET", lambda w: "/admin/points/CGZ-NMSC-01", page(**ADMIN_ONLY)),
    "admin.point_update": Call("POST", lambda w: "/admin/points/CGZ-NMSC-01", page(302, **ADMIN_ONLY),
                               body=lambda w: {"name": "x", "location_type": "NMSC", "lat": "29.958",
                                               "lon": "119.952", "department_code": "SJJ"}),
    "admin.point_set_active": Call("POST", lambda w: "/admin/points/CGZ-NMSC-01/active", page(302, **ADMIN_ONLY),
                                   body=lambda w: {"active": "0"}),
    "admin.location_type_list": Call("GET", lambda w: "/admin/location-types", page(**ADMIN_ONLY)),
    "admin.location_type_weight": Call("POST", lambda w: "/admin/location-types/NMSC/weight",
                                       page(302, **ADMIN_ONLY), body=lambda w: {"weight": "2"}),
    "admin.checklist_edit": Call("GET", lambda w: "/admin/checklists/NMSC", page(**ADMIN_ONLY)),
    "admin.checklist_save": Call("POST", lambda w: "/admin/checklists/NMSC", page(302, **ADMIN_ONLY), body=lambda w: {
        "item-0-code": "M1", "item-0-text_zh": "x", "item-0-category_code": "09009", "item-0-deduction": "5"}),
    "admin.api_key_list": Call("GET", lambda w: "/admin/api-keys", page(**ADMIN_ONLY)),
    "admin.api_key_create": Call("POST", lambda w: "/admin/api-keys", page(200, **ADMIN_ONLY),
                                 body=lambda w: {"name": "matrix-hotline"}),
    "admin.api_key_revoke": Call("POST", lambda w: "/admin/api-keys/revoke", page(302, **ADMIN_ONLY),
                                 body=lambda w: {"name": "matrix-hotline"}),
    # the working-day calendar and the departments' group-chat robots (issue 16)
    "admin.calendar_page": Call("GET", lambda w: "/admin/calendar", page(**ADMIN_ONLY)),
    "admin.calendar_set_day": Call("POST", lambda w: "/admin/calendar/days", page(302, **ADMIN_ONLY),
                                   body=lambda w: {"day": "2026-12-31", "kind": "holiday", "name": "x"}),
    "admin.calendar_delete_day": Call("POST", lambda w: "/admin/calendar/days/delete", page(302, **ADMIN_ONLY),
                                      body=lambda w: {"day": "2026-12-31"}),
    "admin.calendar_import": Call("POST", lambda w: "/admin/calendar/import", page(302, **ADMIN_ONLY),
                                  body=lambda w: {}),
    "admin.webhook_list": Call("GET", lambda w: "/admin/webhooks", page(**ADMIN_ONLY)),
    "admin.webhook_set": Call("POST", lambda w: "/admin/webhooks", page(302, **ADMIN_ONLY),
                              body=lambda w: {"department": "CGZF", "kind": "wecom", "url": "https://robot.example/x"}),
    "admin.webhook_delete": Call("POST", lambda w: f"/admin/webhooks/{WEBHOOK(w)}/delete", page(302, **ADMIN_ONLY),
                                 body=lambda w: {}),
    "admin.basemap_page": Call("GET", lambda w: "/admin/basemap", page(**ADMIN_ONLY)),
    "admin.photo_tasks": Call("GET", lambda w: "/admin/photos", page(**ADMIN_ONLY)),
    "admin.basemap_upload": Call("POST", lambda w: "/admin/basemap", page(302, **ADMIN_ONLY), body=lambda w: {}),
    "admin.basemap_revert": Call("POST", lambda w: "/admin/basemap/revert", page(302, **ADMIN_ONLY),
                                 body=lambda w: {}),
    # the JSON API
    "api.openapi_document": Call("GET", lambda w: "/api/v1/openapi.json", api(200, anonymous=200)),
    "api.api_docs": Call("GET", lambda w: "/api/v1/docs", page(200, anonymous=200)),  # public, as the document
    "api.list_categories": Call("GET", lambda w: "/api/v1/categories", api()),
    "api.list_areas": Call("GET", lambda w: "/api/v1/areas", api()),
    "api.list_places": Call("GET", lambda w: "/api/v1/places", api()),
    # Only a password login (a web session) mints device tokens; the matrix calls the API with bearer tokens.
    "api.create_device_token": Call("POST", lambda w: "/api/v1/device-tokens", api(403), body=lambda w: {}),
    "api.revoke_current_token": Call("DELETE", lambda w: "/api/v1/device-tokens/current", api(204)),
    "api.list_tickets": Call("GET", lambda w: "/api/v1/tickets", api()),
    "api.get_ticket": Call("GET", lambda w: f"/api/v1/tickets/{T(w)}", api(**OWN_TICKET)),
    "api.act_on_ticket": Call("POST", lambda w: f"/api/v1/tickets/{T(w)}/actions/accept",
                              api(PASS, inspector=403, supervisor=403, admin=403, **OWN_TICKET),
                              body=lambda w: {"version": w.ticket.version}),
    "api.accept_tickets": Call("POST", lambda w: "/api/v1/tickets/accept", api(200, **DEPARTMENTS_ONLY),
                               body=lambda w: {"tickets": [{"id": T(w), "version": w.ticket.version}]}),
    "api.split_report": Call("POST", lambda w: f"/api/v1/tickets/{T(w)}/reports/{w.repeat_report.id}/split",
                             api(201, admin=(201, 404), **SUPERVISORS_ONLY), body=lambda w: {"note": "x"}),
    "api.triage_queue": Call("GET", lambda w: "/api/v1/triage/unrouted", api(**SUPERVISORS_ONLY)),
    "api.recheck_tasks": Call("GET", lambda w: "/api/v1/recheck", api(department=403, other_department=403)),
    "api.map_cluster_features": Call("GET", lambda w: "/api/v1/map/clusters?bbox=119.8,29.8,120.1,30.1&zoom=12",
                                     api(**SUPERVISORS_ONLY)),
    "api.map_area_outlines": Call("GET", lambda w: "/api/v1/map/areas", api(**SUPERVISORS_ONLY)),
    "api.map_config": Call("GET", lambda w: "/api/v1/map/config", api()),
    "api.map_base_layers": Call("GET", lambda w: "/api/v1/map/base.geojson", api()),
    "api.list_notifications": Call("GET", lambda w: "/api/v1/notifications", api()),
    "api.read_notification": Call("POST", lambda w: f"/api/v1/notifications/{w.notification_id}/read",
                                  api(404, supervisor=200), body=lambda w: {}),
    "api.read_all_notifications": Call("POST", lambda w: "/api/v1/notifications/read", api(), body=lambda w: {}),
    "api.put_photo": Call("PUT", lambda w: f"/api/v1/photos/{hashlib.sha256(w.new_photo).hexdigest()}", api(PASS),
                          body=lambda w: w.new_photo, raw=True),
    "api.get_photo": Call("GET", lambda w: f"/api/v1/photos/{w.photo_sha}", api(**OWN_TICKET)),
    "api.get_photo_file": Call("GET", lambda w: f"/api/v1/photos/{w.photo_sha}/thumb", api(**OWN_TICKET)),
    "api.get_photo_original": Call("GET", lambda w: f"/api/v1/photos/{w.photo_sha}/original",
                                   api(403, supervisor=200, admin=200)),
    # the mock field assessment (decision 0007): a department sees its own points and points lost
    "api.list_points": Call("GET", lambda w: "/api/v1/points", api()),
    "api.get_checklist": Call("GET", lambda w: "/api/v1/checklists/NMSC", api()),
    "api.get_ranking": Call("GET", lambda w: "/api/v1/ranking?start=2026-01-01&end=2026-01-31",
                            api(**SUPERVISORS_ONLY)),
    "api.assessment_score": Call("GET", lambda w: "/api/v1/assessment/score?start=2026-01-01&end=2026-01-31",
                                 api(inspector=403, other_inspector=403)),
    # random draws (issue 14 §4): the campaign office's; an inspector sees its own assignments only
    "api.create_draw": Call("POST", lambda w: "/api/v1/assessment/draws", api(201, **SUPERVISORS_ONLY),
                            body=lambda w: {"name": "matrix", "per_type": 1}),
    "api.list_draws": Call("GET", lambda w: "/api/v1/assessment/draws", api(**SUPERVISORS_ONLY)),
    "api.get_draw": Call("GET", lambda w: f"/api/v1/assessment/draws/{DRAW(w)}", api(**SUPERVISORS_ONLY)),
    "api.assign_draw": Call("POST", lambda w: f"/api/v1/assessment/draws/{DRAW(w)}/assign",
                            api(**SUPERVISORS_ONLY), body=lambda w: {"mode": "even"}),
    "api.cancel_draw": Call("POST", lambda w: f"/api/v1/assessment/draws/{DRAW(w)}/cancel",
                            api(**SUPERVISORS_ONLY), body=lambda w: {}),
    "api.my_assignments": Call("GET", lambda w: "/api/v1/assessment/assignments",
                               api(department=403, other_department=403)),
    "api.list_visits": Call("GET", lambda w: "/api/v1/assessment/visits?start=2026-01-01&end=2026-01-31",
                            api(department=403, other_department=403)),
    "api.void_visit": Call("POST", lambda w: f"/api/v1/assessment/visits/{w.visit_id}/void",
                           api(404, inspector=403, supervisor=200, admin=(200, 409)), body=lambda w: {"reason": "x"}),
    "sync.sync": Call("POST", lambda w: "/api/v1/sync", api(200, department=403, other_department=403),
                      body=lambda w: {"device_id": "matrix", "cursor": 0, "reports": []}),
    # Open311: reads and writes need an api_key (OPEN311_PUBLIC is off)
    "open311.discovery": Call("GET", lambda w: "/open311/v2/discovery.json", api(200, anonymous=200)),
    "open311.services": Call("GET", lambda w: "/open311/v2/services.json", api(200, anonymous=403)),
    "open311.service_definition": Call("GET", lambda w: "/open311/v2/services/09009.json", api(200, anonymous=403)),
    "open311.list_requests": Call("GET", lambda w: "/open311/v2/requests.json", api(200, anonymous=403)),
    "open311.get_request": Call("GET", lambda w: f"/open311/v2/requests/{w.case()}.json",
                                api(200, anonymous=403, **OWN_TICKET)),
    "open311.get_token": Call("GET", lambda w: f"/open311/v2/tokens/{w.ticket_token()}.json",
                              api(200, anonymous=403, **OWN_TICKET)),
    "open311.media": Call("GET", lambda w: f"/open311/v2/media/{w.photo_sha}.jpg",
                          api(200, anonymous=403, **OWN_TICKET)),
    "open311.create_request": Call("POST", lambda w: "/open311/v2/requests.json",
                                   api(201, anonymous=403, department=403, other_department=403),
                                   body=lambda w: {"service_code": "06012", "lat": "29.99", "long": "119.96"}),
    # the PWA shell is public: it must open with no session and no network
    "pwa.shell": Call("GET", lambda w: "/app/", api(200, anonymous=200)),
    "pwa.service_worker": Call("GET", lambda w: "/app/sw.js", api(200, anonymous=200)),
    "pwa.manifest": Call("GET", lambda w: "/app/manifest.webmanifest", api(200, anonymous=200)),
    "pwa.config_json": Call("GET", lambda w: "/app/config.json", api(200, anonymous=200)),
    "pwa.session_json": Call("GET", lambda w: "/app/session.json", api(200, anonymous=200)),
    # operations: health for load balancers (no login); metrics by address (METRICS_ALLOW: the test
    # client is loopback), not by role — tests/ops/test_metrics.py covers the refusal
    "ops.healthz": Call("GET", lambda w: "/healthz", api(200, anonymous=200)),
    "ops_metrics.metrics": Call("GET", lambda w: "/metrics", api(200, anonymous=200)),
}
NOT_IN_MATRIX = {"static"}  # public files


def test_every_route_has_an_entry(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - NOT_IN_MATRIX
    assert sorted(endpoints - set(MATRIX)) == [], "add the new endpoint to MATRIX"
    assert sorted(set(MATRIX) - endpoints) == [], "MATRIX names an endpoint that no longer exists"


@pytest.fixture
def world(create_user, report):
    users = {
        I: create_user("inspector"), I2: create_user("inspector"), D: create_user("department", "JJDD"),
        D2: create_user("department", "CGZF"), S: create_user("supervisor"), AD: create_user("admin"),
    }
    photo, _created = photos.store_photo(_jpeg(1), None, "image/jpeg", actor_of(users[I]))
    db.session.commit()
    ticket = report("09009", at=SEAT, reporter=users[I], photos=[photo.sha256]).ticket  # → JJDD, assigned
    # A repeat by a third inspector (the one who reports a repeat may see the ticket too), 11 m away.
    repeat = report("09009", at=(SEAT[0] + 0.0001, SEAT[1]), reporter=create_user("inspector")).report
    assert repeat.ticket_id == ticket.id
    note = Notification(user_id=users[S].id, kind="escalated", ticket_id=ticket.id, data={})
    db.session.add(note)
    db.session.commit()
    return World(ticket, repeat, photo.sha256, note.id, users, new_photo=_jpeg(2), visit_id=seeded_visit(users[I]))


def _client_for(app, role: str, world: World, csrf: bool):
    """A client as `role`: the API by device token, pages (and Open311) by session or api_key."""
    client = app.test_client()
    if role == A:
        return client, {}, ""
    user = world.users[role]
    token = issue_device_token(user, "matrix")
    db.session.commit()
    page_token = ""
    if csrf:
        login = client.get("/login").text
        form_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
        assert client.post("/login", data={"username": user.username, "password": PASSWORD,
                                           "csrf_token": form_token}).status_code == 302
        page_token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/notifications").text).group(1)
    return client, {"Authorization": f"Bearer {token}"}, page_token if csrf else token


def _request(client, call: Call, world: World, headers: dict, secret: str):
    url = call.url(world)
    body = call.body(world) if call.body else None
    if url.startswith("/open311/"):
        if secret:
            if call.method == "GET":
                url += ("&" if "?" in url else "?") + f"api_key={secret}"
            else:
                body = {**body, "api_key": secret}
        return client.open(url, method=call.method, data=body)
    if url.startswith(("/api/", "/app/")):
        if call.raw:
            return client.open(url, method=call.method, data=body, headers={**headers,
                                                                            "Content-Type": "image/jpeg"})
        return client.open(url, method=call.method, json=body, headers=headers)
    data = {**(body or {}), "csrf_token": secret} if call.method == "POST" else None
    return client.open(url, method=call.method, data=data)


def _check(answer, expected, label):
    status = answer.status_code
    assert status < 500, f"{label}: {status}"
    if isinstance(expected, tuple):  # a second authorised role may find the work already done
        assert status in expected, f"{label}: expected one of {expected}, got {status}"
    elif expected == PASS:
        assert status not in (401, 403, 404), f"{label}: {status}"
    elif expected == LOGIN:
        assert status == 302 and "/login" in answer.headers["Location"], f"{label}: {status}"
    else:
        assert status == expected, f"{label}: expected {expected}, got {status}"


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_endpoint_answers_each_role_as_expected(app, world, endpoint):
    call = MATRIX[endpoint]
    uses_session = not call.url(world).startswith(("/api/", "/app/", "/open311/"))
    for role in ROLES:
        db.session.commit()
        client, headers, secret = _client_for(app, role, world, csrf=uses_session and role != A)
        expected = call.expected[role]
        if role == A and uses_session and call.method == "POST":
            expected = 403  # no session, so no CSRF token: refused before the view
        answer = _request(client, call, world, headers, secret)
        try:
            _check(answer, expected, f"{endpoint} as {role}")
        finally:
            answer.close()
        db.session.expire_all()


FORM_POSTS = sorted(e for e, c in MATRIX.items()
                    if c.method == "POST" and not e.startswith(("api.", "sync.", "open311.", "pwa.")))


@pytest.mark.parametrize("endpoint", FORM_POSTS)
def test_form_posts_without_csrf_are_refused(app, world, endpoint):
    call = MATRIX[endpoint]
    client, _headers, _token = _client_for(app, AD if endpoint.startswith("admin.") else S, world, csrf=True)
    answer = client.post(call.url(world), data=call.body(world) if call.body else {})
    assert answer.status_code in (400, 403), f"{endpoint}: {answer.status_code}"


def test_cookie_api_writes_without_csrf_header_are_refused(app, world):
    client, _headers, _token = _client_for(app, D, world, csrf=True)
    answer = client.post(f"/api/v1/tickets/{world.ticket.id}/actions/accept", json={"version": world.ticket.version})
    assert answer.status_code == 403 and answer.json["error"]["code"] == "csrf_failed"


def test_other_department_bulk_accept_touches_nothing(app, world):
    client, headers, _ = _client_for(app, D2, world, csrf=False)
    answer = client.post("/api/v1/tickets/accept", json={"tickets": [{"id": world.ticket.id,
                                                                      "version": world.ticket.version}]},
                         headers=headers)
    assert answer.json["results"][0]["outcome"] == "not_found"
    db.session.refresh(world.ticket)
    assert world.ticket.status.value == "assigned"
