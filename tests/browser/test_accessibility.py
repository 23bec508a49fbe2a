"""Every page, as each role that opens it, passes axe-core's checks with no violation (issue 17 §5).

Government sites are held to 信息无障碍 (GB/T 37668, which follows WCAG 2.x): axe-core's default
rules (WCAG 2 A and AA, and its best practices) run in Debian's Chromium on each page once it has
settled. axe-core is vendored from the npm registry into tests/browser/vendor/ (scripts/vendor.py);
the pages' Content-Security-Policy forbids inline script, so the context injects it with bypass_csp.

A new page must be added to PAGES (or to NOT_PAGES, for downloads and machine endpoints): the first
test fails otherwise. The second proves each page lists every role that may open it (and only those),
so "as each role" cannot quietly shrink; the error pages (404, 403, 422) and the login page refusing a
password are checked as the roles that meet them.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.extensions import db
from tests.browser.conftest import QuietNetwork, wait_until
from tests.factories import PASSWORD, SEAT

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"

EVERYONE = ["inspector", "department", "supervisor", "admin"]
SUPERVISORS = ["supervisor", "admin"]
ADMIN = ["admin"]

# endpoint → [(path, every role that may open it)]. The ticket page is opened on a reported, an
# in-progress and a resolved ticket, whose forms differ; test_the_roles_are_every_role_that_may_open_it
# checks that each listed role gets the page and every other role is refused.
PAGES = {
    "auth.login": [("/login", ["anonymous"])],
    "web.desk_queue": [("/desk", ["department"])],
    "web.desk_assessment": [("/desk/assessment", ["department"])],
    "web.ticket_list": [("/tickets", EVERYONE)],
    "web.ticket_detail": [("/tickets/{ticket}", ["inspector", *SUPERVISORS]),  # not yet the department's
                          ("/tickets/{working}", EVERYONE), ("/tickets/{resolved}", EVERYONE)],
    "web.notification_list": [("/notifications", EVERYONE)],
    "web.recheck_tasks": [("/recheck", ["inspector", *SUPERVISORS])],
    "web.triage_queue": [("/triage", SUPERVISORS)],
    "web.supervise_dashboard": [("/supervise", SUPERVISORS)],
    "web.supervise_map": [("/supervise/map", SUPERVISORS)],
    "web.supervise_ranking": [("/supervise/ranking", SUPERVISORS)],
    "web.assessment_score_page": [("/supervise/assessment", SUPERVISORS)],
    "web.draw_list": [("/supervise/assessment/draws", SUPERVISORS)],
    "web.draw_detail": [("/supervise/assessment/draws/{draw}", SUPERVISORS)],
    "web.visit_list": [("/supervise/assessment/visits", SUPERVISORS)],
    "admin.overview": [("/admin/", ADMIN)],
    "admin.user_list": [("/admin/users", ADMIN)],
    "admin.user_edit": [("/admin/users/{user}", ADMIN)],
    "admin.department_list": [("/admin/departments", ADMIN)],
    "admin.category_list": [("/admin/categories", ADMIN)],
    "admin.area_list": [("/admin/areas", ADMIN)],
    "admin.audit_log": [("/admin/audit", ADMIN)],
    "admin.api_key_list": [("/admin/api-keys", ADMIN)],
    "admin.calendar_page": [("/admin/calendar", ADMIN)],
    "admin.webhook_list": [("/admin/webhooks", ADMIN)],
    "admin.basemap_page": [("/admin/basemap", ADMIN)],
    "admin.photo_tasks": [("/admin/photos", ADMIN)],
    "admin.location_type_list": [("/admin/location-types", ADMIN)],
    "admin.point_list": [("/admin/points", ADMIN)],
    "admin.point_edit": [("/admin/points/{point}", ADMIN)],
    "admin.checklist_edit": [("/admin/checklists/{location_type}", ADMIN)],
    # The phone app's shell is one file for everyone; what its script then shows depends on the session.
    "pwa.shell": [("/app/", ["anonymous", *EVERYONE])],
}
# Pages whose bytes are the same whoever opens them (the role test proves it): checked once.
SAME_FOR_EVERYONE = {"api.api_docs": ("/api/v1/docs", "anonymous")}  # Swagger UI, mended by api-docs.js
# The error pages as each role meets them: (path, status, roles).
ERROR_PAGES = [
    ("/no-such-page", 404, ["anonymous", *EVERYONE]),
    ("/tickets/999999999", 404, EVERYONE),
    ("/admin/", 403, ["inspector", "department", "supervisor"]),
    ("/desk", 403, ["inspector", *SUPERVISORS]),
    ("/supervise?days=3", 422, SUPERVISORS),
]
# GET routes that are not pages a person reads: files, redirects, machine endpoints.
NOT_PAGES = {"auth.index", "pwa.config_json", "pwa.manifest", "pwa.session_json", "pwa.service_worker",
             "ops.healthz", "ops_metrics.metrics", "static"}
DOWNLOADS = (".pdf", ".xlsx", ".csv", ".docx")


def test_every_page_is_checked(app):
    pages = {rule.endpoint for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and not rule.rule.startswith(("/api/", "/open311/"))
             and not rule.rule.endswith(DOWNLOADS) and "any(" not in rule.rule}
    unchecked = sorted(pages - set(PAGES) - NOT_PAGES)
    assert unchecked == [], "add these pages to PAGES in tests/browser/test_accessibility.py"
    assert set(PAGES) - pages == set(), "PAGES names an endpoint that is no page"


@pytest.fixture
def county_with_data(county, create_user, ticket_in):
    """A reported, an in-progress and a resolved ticket, a draw, and the users each role logs in as."""
    inspector = create_user("inspector")
    ticket = ticket_in("reported", "X14001", at=(29.86, 119.80), reporter=inspector)  # unrouted: triage
    working = ticket_in("in_progress", at=(SEAT[0] + 0.01, SEAT[1]), reporter=inspector)
    resolved = ticket_in("resolved", at=(SEAT[0] - 0.01, SEAT[1]), reporter=inspector)
    users = {"inspector": inspector, "department": create_user("department", working.department.code),
             "supervisor": create_user("supervisor", "CCB"), "admin": create_user("admin")}
    db.session.commit()
    from app.models import Draw, InspectionPoint, LocationType

    draw = db.session.query(Draw).first()
    point = db.session.query(InspectionPoint).order_by(InspectionPoint.code).first()
    location_type = db.session.query(LocationType).order_by(LocationType.code).first()
    values = {"ticket": ticket.id, "working": working.id, "resolved": resolved.id, "user": users["department"].id,
              "draw": draw.id if draw else 0, "point": point.code if point else "",
              "location_type": location_type.code if location_type else ""}
    if draw is None:
        from app.services.actor import Actor
        from app.services.assessment import draws
        from app.timeutil import now_utc

        made = draws.create_draw(draws.DrawSpec(name="测评", per_type=1, seed=7), Actor.of(users["supervisor"]),
                                 now_utc())
        db.session.commit()
        values["draw"] = made.id
    names = {role: user.username for role, user in users.items()}
    db.session.rollback()  # no open transaction: on SQLite it would hold the live server's writes
    return names, values


def _client_as(app, role: str, users: dict[str, str]):
    """A test client logged in as `role` through the real form."""
    client = app.test_client()
    if role != "anonymous":
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text).group(1)
        response = client.post("/login", data={"username": users[role], "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302
    return client


def test_the_roles_are_every_role_that_may_open_it(app, county_with_data):
    users, values = county_with_data
    wrong = []
    bodies: dict[str, set[bytes]] = {endpoint: set() for endpoint in SAME_FOR_EVERYONE}
    for role in ("anonymous", *EVERYONE):
        client = _client_as(app, role, users)
        for views in PAGES.values():
            for path, roles in views:
                status = client.get(path.format(**values)).status_code
                if (status == 200) != (role in roles):
                    wrong.append(f"{role} {path}: {status}")
        for endpoint, (path, _role) in SAME_FOR_EVERYONE.items():
            response = client.get(path)
            assert response.status_code == 200
            bodies[endpoint].add(response.data)
        for path, status, roles in ERROR_PAGES:
            if role in roles:
                assert client.get(path).status_code == status, f"{role} {path}"
    assert wrong == []
    assert all(len(seen) == 1 for seen in bodies.values())


def _violations(page) -> list[str]:
    """axe's violations on the page, one line each: rule, the elements (first five), and for colour
    contrast the colours and the ratio found."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = json.loads(page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations))"))
    lines = []
    for violation in result:
        for node in violation["nodes"][:5]:
            data = (node.get("any") or [{}])[0].get("data") or {}
            colours = f" {data.get('fgColor')} on {data.get('bgColor')} = {data.get('contrastRatio')}" \
                if violation["id"] == "color-contrast" and isinstance(data, dict) else ""
            lines.append(f"{violation['id']}: {' '.join(map(str, node['target']))}{colours}")
    return lines


def _visits(role: str) -> list[tuple[str, str]]:
    """(endpoint or what, path) of every page `role` is checked on, error pages included."""
    out = [(endpoint, path) for endpoint, views in PAGES.items() for path, roles in views if role in roles]
    out += [(endpoint, path) for endpoint, (path, who) in SAME_FOR_EVERYONE.items() if who == role]
    out += [(f"error {status}", path) for path, status, roles in ERROR_PAGES if role in roles]
    return out


@pytest.mark.browser
@pytest.mark.parametrize("role", ["anonymous", *EVERYONE])
def test_no_page_violates_axe_rules_for_any_role(chromium, live_url, county_with_data, role):
    users, values = county_with_data
    found = {}
    context = chromium.new_context(bypass_csp=True, locale="zh-CN", timezone_id="Asia/Shanghai",
                                   viewport={"width": 1280, "height": 900})
    page = context.new_page()
    network = QuietNetwork(page)
    page.goto(live_url + "/login")
    page.fill("input[name=username]", users.get(role, "nobody"))
    page.fill("input[name=password]", PASSWORD if role in users else "wrong")
    with page.expect_navigation():
        page.click("button[type=submit]")
    network.wait()
    if role == "anonymous" and (violations := _violations(page)):  # the login page refusing a password
        found["/login (refused)"] = violations
    visits = _visits(role)
    for endpoint, path in visits:
        page.goto(live_url + path.format(**values))
        network.wait()
        if endpoint == "pwa.shell" and page.url.startswith(live_url + "/app/"):  # anonymous: sent to log in
            # Ready, or gone to the login page (the shell sends a visitor without a session there itself).
            wait_until(page, "document.body.dataset.ready === 'true' || !location.pathname.startsWith('/app/')")
        if violations := _violations(page):
            found[path] = violations
    context.close()
    assert found == {}, "\n".join(f"{role} {where}: {line}" for where, lines in found.items() for line in lines)
    assert len(visits) >= {"anonymous": 3, "admin": 30}.get(role, 5)
