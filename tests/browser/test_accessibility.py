"""Every page, as each role that opens it, passes axe-core's checks with no violation (issue 17 §5).

Government sites are held to 信息无障碍 (GB/T 37668, which follows WCAG 2.x): axe-core's default
rules (WCAG 2 A and AA, and its best practices) run in Debian's Chromium on each page once it has
settled. axe-core is vendored from the npm registry into tests/browser/vendor/ (scripts/vendor.py);
the pages' Content-Security-Policy forbids inline script, so the context injects it with bypass_csp.

A new page must be added to PAGES (or to NOT_PAGES, for downloads and machine endpoints): the first
test fails otherwise.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.extensions import db
from tests.browser.conftest import wait_until
from tests.factories import PASSWORD, SEAT

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"

# endpoint → (path, roles that open it)
PAGES = {
    "auth.login": ("/login", ["anonymous"]),
    "web.desk_queue": ("/desk", ["department"]),
    "web.ticket_list": ("/tickets", ["department", "supervisor"]),
    "web.ticket_detail": ("/tickets/{ticket}", ["department", "supervisor"]),
    "web.notification_list": ("/notifications", ["department", "supervisor"]),
    "web.recheck_tasks": ("/recheck", ["inspector"]),
    "web.triage_queue": ("/triage", ["supervisor"]),
    "web.supervise_dashboard": ("/supervise", ["supervisor"]),
    "web.supervise_map": ("/supervise/map", ["supervisor"]),
    "web.supervise_ranking": ("/supervise/ranking", ["supervisor"]),
    "web.assessment_score_page": ("/supervise/assessment", ["supervisor"]),
    "web.draw_list": ("/supervise/assessment/draws", ["supervisor"]),
    "web.draw_detail": ("/supervise/assessment/draws/{draw}", ["supervisor"]),
    "admin.overview": ("/admin/", ["admin"]),
    "admin.user_list": ("/admin/users", ["admin"]),
    "admin.user_edit": ("/admin/users/{user}", ["admin"]),
    "admin.department_list": ("/admin/departments", ["admin"]),
    "admin.category_list": ("/admin/categories", ["admin"]),
    "admin.area_list": ("/admin/areas", ["admin"]),
    "admin.audit_log": ("/admin/audit", ["admin"]),
    "admin.api_key_list": ("/admin/api-keys", ["admin"]),
    "admin.calendar_page": ("/admin/calendar", ["admin"]),
    "admin.webhook_list": ("/admin/webhooks", ["admin"]),
    "admin.basemap_page": ("/admin/basemap", ["admin"]),
    "admin.photo_tasks": ("/admin/photos", ["admin"]),
    "admin.location_type_list": ("/admin/location-types", ["admin"]),
    "admin.point_list": ("/admin/points", ["admin"]),
    "admin.point_edit": ("/admin/points/{point}", ["admin"]),
    "admin.checklist_edit": ("/admin/checklists/{location_type}", ["admin"]),
    "pwa.shell": ("/app/", ["inspector"]),
    "api.api_docs": ("/api/v1/docs", ["anonymous"]),  # Swagger UI, mended by static/js/api-docs.js
}
# GET routes that are not pages a person reads: files, redirects, machine endpoints.
NOT_PAGES = {"auth.index", "pwa.config_json", "pwa.manifest", "pwa.session_json", "pwa.service_worker",
             "ops.healthz", "ops_metrics.metrics", "static"}


def test_every_page_is_checked(app):
    pages = {rule.endpoint for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and not rule.rule.startswith(("/api/", "/open311/"))
             and not rule.rule.endswith((".pdf", ".xlsx", ".csv", ".docx", ">"))}
    downloads = {rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.rule.endswith((".pdf", ".xlsx", ".csv")) or "any(" in rule.rule}
    unchecked = sorted(pages - set(PAGES) - NOT_PAGES - downloads)
    assert unchecked == [], "add these pages to PAGES in tests/browser/test_accessibility.py"


@pytest.fixture
def county_with_data(county, create_user, report):
    """A ticket, a draw and the users each role logs in as."""
    users = {"inspector": create_user("inspector"), "department": create_user("department", "CGZF"),
             "supervisor": create_user("supervisor", "CCB"), "admin": create_user("admin")}
    ticket = report("09009", at=SEAT, reporter=users["inspector"]).ticket
    db.session.commit()
    from app.models import Draw, InspectionPoint, LocationType

    draw = db.session.query(Draw).first()
    point = db.session.query(InspectionPoint).order_by(InspectionPoint.code).first()
    location_type = db.session.query(LocationType).order_by(LocationType.code).first()
    values = {"ticket": ticket.id, "user": users["department"].id, "draw": draw.id if draw else 0,
              "point": point.code if point else "", "location_type": location_type.code if location_type else ""}
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


@pytest.mark.browser
def test_no_page_violates_axe_rules_for_any_role(chromium, live_url, county_with_data):
    users, values = county_with_data
    found = {}
    for role in ("anonymous", "inspector", "department", "supervisor", "admin"):
        context = chromium.new_context(bypass_csp=True, locale="zh-CN", timezone_id="Asia/Shanghai",
                                       viewport={"width": 1280, "height": 900})
        page = context.new_page()
        if role != "anonymous":
            page.goto(live_url + "/login")
            page.fill("input[name=username]", users[role])
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
        for endpoint, (path, roles) in PAGES.items():
            if role not in roles:
                continue
            page.goto(live_url + path.format(**values))
            page.wait_for_load_state("networkidle")
            if endpoint == "pwa.shell":
                wait_until(page, "document.body.dataset.ready === 'true'")
            violations = _violations(page)
            if violations:
                found[f"{role} {path}"] = violations
        context.close()
    assert found == {}, "\n".join(f"{where}: {line}" for where, lines in found.items() for line in lines)
