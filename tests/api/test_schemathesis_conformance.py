"""Every API operation's answers match the OpenAPI document (schemathesis), for three roles.

test_api_fuzzing.py checks only that nothing answers 5xx; here each answer is checked against what
/api/v1/openapi.json promises: its status code is documented for the operation, its content type is
the documented one, and its body is valid against the documented schema. As an inspector with a
device token (what the PWA sends), and as a department user and a supervisor with a password-login
session (what their web pages send, writes with the X-CSRFToken header).

Cases come from the document itself: valid ones with the path parameters of real objects (so a 200's
body is checked, not only 404s), and invalid ones (so the 4xx answers are checked too). Derandomized
with a fixed number of examples: the same requests on every run.
"""
from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from app.extensions import db
from app.models import LocationType, Notification, Report, Ticket
from app.services.accounts.users import issue_device_token
from app.services.actor import Actor
from app.services.assessment import draws
from app.timeutil import now_utc
from tests.factories import PASSWORD, SEAT

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 8, GenerationMode.NEGATIVE: 4}
# Revoking the token a role calls with ends its run: that operation goes last.
LAST = ("DELETE", "/device-tokens/current")
USER_AGENT = "xuncha-conformance"
CSRF_FIELD = r'name="csrf_token"[^>]*? value="([^"]+)"'  # the login form's, and the logout form's on every page


@pytest.fixture
def schema(app, county):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def objects(county, create_user, ticket_in, create_photo):
    """Users of the three roles and things they may see: tickets, a photo, a draw, a location type; and
    the path parameters that name them."""
    inspector = create_user("inspector")
    resolved = ticket_in("resolved", reporter=inspector)
    returned = ticket_in("returned", reporter=inspector)
    # Same category, so the same department as `resolved`; a few hundred metres apart, so not linked as repeats.
    assigned = [ticket_in("assigned", at=(SEAT[0] + 0.003 * n, SEAT[1]), reporter=inspector) for n in (1, 2)]
    department = create_user("department", resolved.department.code)
    supervisor = create_user("supervisor")
    photo = create_photo(uploaded_by=[inspector, department, supervisor])  # a row whose file is not there: 410
    draw = draws.create_draw(draws.DrawSpec(name="conformance", per_type=1, seed=7), Actor.of(supervisor),
                             now_utc())
    db.session.commit()
    location_type = db.session.query(LocationType).order_by(LocationType.code).first()
    notification = db.session.query(Notification).order_by(Notification.id).first()
    first_report = db.session.query(Report).filter_by(ticket_id=resolved.id).first()
    pinned = {"ticket_id": resolved.id, "report_id": first_report.id, "sha256": photo.sha256, "draw_id": draw.id,
              "location_type": location_type.code}
    if notification is not None:  # the inspector's "re-inspect" notice
        pinned["notification_id"] = notification.id
    pinned.update(assigned=[t.id for t in assigned], returned=returned.id,
                  department_code=resolved.department.code)
    return {"inspector": inspector, "department": department, "supervisor": supervisor}, pinned


def _version(ticket_id: int) -> int:
    try:
        return db.session.get(Ticket, ticket_id).version
    finally:
        db.session.rollback()


# Writes that succeed only with exactly the right body (a ticket's current version, a real draw): the
# generated cases almost never hit them, so each role also sends these, and their 2xx bodies are checked.
KNOWN_GOOD = {
    "department": [
        ("POST", "/tickets/accept", lambda p: {"body": {"tickets": [{"id": p["assigned"][0],
                                                                     "version": _version(p["assigned"][0])}]}}),
        ("POST", "/tickets/{ticket_id}/actions/{action}", lambda p: {
            "path_parameters": {"ticket_id": p["assigned"][1], "action": "accept"},
            "body": {"version": _version(p["assigned"][1])}}),
    ],
    "supervisor": [
        ("POST", "/assessment/draws", lambda p: {"body": {"name": "known good", "per_type": 1, "seed": 11}}),
        ("POST", "/assessment/draws/{draw_id}/assign", lambda p: {"path_parameters": {"draw_id": p["draw_id"]},
                                                                  "body": {"mode": "even"}}),
        ("GET", "/map/clusters", lambda p: {"query": {"bbox": "119.8,29.8,120.1,30.1", "zoom": 12}}),
        ("POST", "/tickets/{ticket_id}/actions/{action}", lambda p: {
            "path_parameters": {"ticket_id": p["returned"], "action": "assign"},
            "body": {"version": _version(p["returned"]), "department_code": p["department_code"]}}),
    ],
    "inspector": [],
}


def _session(app, user) -> tuple[dict[str, str], dict[str, str]]:
    """Log in through the real form: the CSRF token its pages carry (a header), the session cookie."""
    # Flask-Login's strong session protection ties the cookie to the client's address and User-Agent:
    # log in as schemathesis's WSGI client calls (no REMOTE_ADDR), with one User-Agent throughout.
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
    client.environ_base.pop("REMOTE_ADDR", None)
    page = client.get("/login")
    token = re.search(CSRF_FIELD, page.text).group(1)
    answer = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, answer.text
    page = client.get("/tickets")
    csrf = re.search(CSRF_FIELD, page.text).group(1)
    return {"X-CSRFToken": csrf, "User-Agent": USER_AGENT}, {"session": client.get_cookie("session").value}


def _credentials(app, role: str, user) -> tuple[dict[str, str], dict[str, str]]:
    """Headers and cookies the role's own client sends."""
    if role == "inspector":
        token = issue_device_token(user, "conformance")
        db.session.commit()
        return {"Authorization": f"Bearer {token}"}, {}
    return _session(app, user)


def _ordered(schema):
    operations = [result.ok() for result in schema.get_all_operations()]
    return sorted(operations, key=lambda op: (op.method.upper(), op.path) == LAST)


def _documented_schema(operation, status: int) -> bool:
    """Does the document describe this answer's body: a JSON schema, or a media type that is not JSON
    (an image, a page), which content_type_conformance checks?"""
    content = operation.definition.raw.get("responses", {}).get(str(status), {}).get("content", {})
    return any("schema" in media if "json" in media_type else True for media_type, media in content.items())


def _content_type(response) -> str:
    return next((value for name, value in response.headers.items() if name.lower() == "content-type"), [""])[0]


class Findings:
    """What one role's run saw: requests made, operations that succeeded, answers that did not match."""

    def __init__(self):
        self.tried = 0
        self.succeeded: set[str] = set()
        self.undescribed: set[str] = set()
        self.mismatches: dict[str, str] = {}

    def record(self, case, response) -> None:
        self.tried += 1
        where = f"{case.operation.method.upper()} {case.operation.path}"
        if response.status_code < 300:
            self.succeeded.add(where)
            if response.content and not _documented_schema(case.operation, response.status_code):
                self.undescribed.add(f"{where} → {response.status_code} {_content_type(response)}")

    def mismatch(self, case, response, found: Exception) -> None:
        where = f"{case.operation.method.upper()} {case.operation.path} → {response.status_code}"
        for failure in found.exceptions if isinstance(found, FailureGroup) else [found]:  # one line per kind
            title = getattr(failure, "title", type(failure).__name__)
            self.mismatches.setdefault(f"{where}: {title}", " ".join(str(getattr(failure, "message", failure))
                                                                    .split())[:300])


def _run(operation, mode, examples: int, path_parameters, headers, cookies, findings: Findings) -> None:
    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(mode, path_parameters=path_parameters or None))
    def check(case):
        response = case.call(headers=headers, cookies=cookies)
        findings.record(case, response)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (AssertionError, FailureGroup) as found:
            findings.mismatch(case, response, found)

    try:
        check()
    except Unsatisfiable:  # nothing to make invalid (no parameters, no body): positive cases only
        assert mode is GenerationMode.NEGATIVE, operation.label
    db.session.rollback()


@pytest.mark.parametrize("role", ["inspector", "department", "supervisor"])
def test_every_answer_matches_the_document(app, schema, objects, role):
    users, pinned = objects
    headers, cookies = _credentials(app, role, users[role])
    db.session.rollback()
    findings = Findings()
    for method, path, make in KNOWN_GOOD[role]:
        case = schema[path][method].Case(media_type="application/json", **make(pinned))
        response = case.call(headers=headers, cookies=cookies)
        findings.record(case, response)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (AssertionError, FailureGroup) as found:
            findings.mismatch(case, response, found)
        db.session.rollback()
        assert response.status_code < 300, (method, path, response.status_code, response.text[:300])
    operations = _ordered(schema)
    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        for mode, examples in EXAMPLES.items():
            fixed = {name: pinned[name] for name in names if name in pinned} if mode is GenerationMode.POSITIVE \
                else None
            _run(operation, mode, examples, fixed, headers, cookies, findings)
    never = sorted({f"{op.method.upper()} {op.path}" for op in operations} - findings.succeeded)
    print(f"conformance as {role}: {findings.tried} requests, {len(findings.succeeded)} operations answered 2xx; "
          f"never 2xx (their errors checked only): {', '.join(never)}")
    # A body with no schema in the document would pass every check unseen.
    assert sorted(findings.undescribed) == [], "no schema in the document for:\n" + "\n".join(
        sorted(findings.undescribed))
    assert findings.mismatches == {}, "\n".join(f"{where} — {why}" for where, why in sorted(
        findings.mismatches.items()))
    assert findings.tried >= 4 * len(operations)
    # Real objects were reached: the bodies of successful answers were checked, not only errors.
    assert {"GET /tickets", "GET /tickets/{ticket_id}", "GET /categories", "GET /notifications"} <= findings.succeeded
