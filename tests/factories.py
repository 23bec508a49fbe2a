"""Factories for tests: a seeded county, users with logins, tickets in any state, API clients."""
from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import Area, Category, Department, Photo, PhotoUpload, Report, Ticket, TicketStatus, User
from app.services.accounts import users as user_service
from app.services.actor import Actor
from app.services.reports import intake
from app.timeutil import now_utc

PASSWORD = "Test-pass-123"
_counter = itertools.count(1)

# Points in the seeded demo county (see app/seed.py).
SEAT = (29.975, 119.95)  # county seat, 城关镇 (CGZ)
EAST = (29.98, 120.05)  # 东城街道 (DCJD)
OUTSIDE = (31.2, 121.5)  # Shanghai: outside the county


@pytest.fixture
def county(app):
    """The demo county's departments, categories and areas."""
    from app import seed

    seed.seed_reference()
    db.session.commit()
    return None


def department(code: str) -> Department:
    return db.session.scalar(sa.select(Department).where(Department.code == code))


def category(code: str) -> Category:
    return db.session.scalar(sa.select(Category).where(Category.code == code))


def area(code: str) -> Area:
    return db.session.scalar(sa.select(Area).where(Area.code == code))


@pytest.fixture
def create_user(county):
    """Make a user: create_user("department", "CGZF") or create_user("inspector")."""

    def make(role: str, department_code: str | None = None, *, username: str | None = None,
             active: bool = True) -> User:
        username = username or f"{role}{next(_counter)}"
        user = user_service.create_user(username, PASSWORD, role, department_code)
        user.active = active
        db.session.commit()
        return user

    return make


def actor_of(user: User) -> Actor:
    return Actor.of(user)


@pytest.fixture
def create_photo():
    """A Photo row with a made-up hash (for lifecycle tests that do not look at pixels).

    Only an uploader may use a photo by its hash (docs/design.md §5): `uploaded_by` names them; by
    default every user there is when it is made, the first of them as the one whose upload stored it
    (reports through the `report` factory also record their reporter)."""

    def make(sha: str | None = None, *, uploaded_by: list[User] | None = None, **fields) -> Photo:
        sha = sha or uuid.uuid4().hex + uuid.uuid4().hex
        uploaders = db.session.scalars(sa.select(User).order_by(User.id)).all() if uploaded_by is None else uploaded_by
        fields.setdefault("uploaded_by_id", uploaders[0].id if uploaders else None)
        photo = Photo(sha256=sha, mime="image/jpeg", bytes=1000, width=640, height=480, **fields)
        db.session.add(photo)
        db.session.flush()
        db.session.add_all(PhotoUpload(photo_sha256=sha, user_id=user.id) for user in uploaders)
        db.session.commit()
        return photo

    return make


def record_uploads(hashes, user: User) -> None:
    """`user` had these photos' bytes (as if they had uploaded them too), for the photos that exist."""
    for sha in hashes:
        if db.session.get(Photo, sha) is not None and db.session.get(PhotoUpload, (sha, user.id)) is None:
            db.session.add(PhotoUpload(photo_sha256=sha, user_id=user.id))
    db.session.flush()


class Reported:
    """What the report factory made: the intake's answer, its ticket and its Report row."""

    def __init__(self, result: intake.IntakeResult, reporter: User):
        assert result.accepted, result  # a factory's report must pass the intake
        self.result = result
        self.linked = result.status == intake.Status.LINKED
        self.ticket = db.session.get(Ticket, result.ticket_id)
        self.report = db.session.scalar(sa.select(Report).where(
            Report.reporter_id == reporter.id, Report.client_id == result.client_id))


@pytest.fixture
def report(create_user):
    """A report through the real intake, as an inspector: report("06012", at=SEAT) → Reported."""
    default_reporter = {}

    def make(category_code: str = "09009", at: tuple[float, float] = SEAT, *, reporter: User | None = None,
             now: datetime | None = None, photos: list[str] | None = None, description: str = "test",
             commit: bool = True, outside_county: str = "accept"):
        if reporter is None:
            if "user" not in default_reporter:
                default_reporter["user"] = create_user("inspector")
            reporter = default_reporter["user"]
        now = now or now_utc()
        incoming = intake.IncomingReport(
            client_id=str(uuid.uuid4()), category_code=category_code, lat=at[0], lon=at[1],
            captured_at=now - timedelta(minutes=5), location_source="device", description=description,
            photos=tuple(photos or ()))
        # Tests place tickets outside the county on purpose (the evidence flag); the rule is tested
        # through the doors (tests/reports/test_intake_doors.py), so the factory accepts them by default.
        record_uploads(incoming.photos, reporter)  # a reporter sends the photos it took
        saved = current_app.config["SYNC_OUTSIDE_COUNTY"]
        current_app.config["SYNC_OUTSIDE_COUNTY"] = outside_county
        try:
            made = Reported(intake.receive(incoming, actor_of(reporter), now), reporter)
        finally:
            current_app.config["SYNC_OUTSIDE_COUNTY"] = saved
        if commit:
            db.session.commit()
        return made

    return make


@pytest.fixture
def ticket_in(report, create_user, create_photo):
    """A ticket driven to `status` through the real lifecycle: ticket_in("resolved")."""
    from app.services.tickets.transitions import ActionInput, transition

    def make(status: str, category_code: str = "09009", at=SEAT, reporter: User | None = None) -> Ticket:
        supervisor = create_user("supervisor")
        result = report(category_code, at, reporter=reporter)
        ticket = result.ticket
        dept_user = None

        def act(action, who, **kw):
            nonlocal ticket
            ticket = transition(ticket.id, ActionInput(action=action, version=ticket.version, **kw),
                                actor_of(who))
            db.session.commit()

        def dept():
            nonlocal dept_user
            if dept_user is None:
                dept_user = create_user("department", ticket.department.code)
            return dept_user

        path = {
            "reported": [], "assigned": [], "in_progress": ["accept"], "resolved": ["accept", "resolve"],
            "closed": ["accept", "resolve", "close"], "returned": ["return"],
            "reopened": ["accept", "resolve", "reopen"], "invalid": ["mark_invalid"],
            "duplicate": ["mark_duplicate"],
        }[status]
        if status == "reported" and ticket.status != TicketStatus.REPORTED:
            raise ValueError("category routes automatically; use an unrouted category for 'reported'")
        reporter_user = db.session.get(User, ticket.reporter_id)
        for action in path:
            if action in ("accept", "return"):
                act(action, dept(), note="not ours" if action == "return" else "")
            elif action == "resolve":
                act(action, dept(), photos=[create_photo().sha256])
            elif action in ("close", "reopen"):
                act(action, reporter_user, note="still dirty" if action == "reopen" else "",
                    photos=[create_photo().sha256])
            elif action == "mark_invalid":
                act(action, supervisor, note="no problem found")
            elif action == "mark_duplicate":
                original = report(category_code, (at[0] + 0.01, at[1])).ticket
                act(action, supervisor, duplicate_of=original.case_number)
        assert ticket.status == TicketStatus(status)
        return ticket

    return make


class LoggedIn:
    """A test client logged in through the real login form."""

    def __init__(self, client, user: User):
        self.client = client
        self.user = user

    def csrf(self) -> str:
        with self.client.session_transaction() as session:
            return session.get("csrf_token", "")


@pytest.fixture
def login(app, client):
    """login(user) logs the shared test client in through the real form (with CSRF)."""
    import re

    def do(user: User, password: str = PASSWORD):
        page = client.get("/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
        resp = client.post("/login", data={"username": user.username, "password": password,
                                           "csrf_token": token})
        assert resp.status_code == 302, resp.text
        return client

    return do


@pytest.fixture
def api(app, create_user):
    """api(user) → a client that sends that user's device token on every call."""
    from app.services.accounts.users import issue_device_token

    def make(user: User):
        token = issue_device_token(user, "test")
        db.session.commit()
        return BearerClient(app.test_client(), token)

    return make


class BearerClient:
    def __init__(self, client, token: str):
        self.client = client
        self.token = token

    def _headers(self, kw):
        headers = dict(kw.pop("headers", {}) or {})
        headers.setdefault("Authorization", f"Bearer {self.token}")
        return headers

    def get(self, url, **kw):
        return self.client.get(url, headers=self._headers(kw), **kw)

    def post(self, url, **kw):
        return self.client.post(url, headers=self._headers(kw), **kw)

    def put(self, url, **kw):
        return self.client.put(url, headers=self._headers(kw), **kw)

    def delete(self, url, **kw):
        return self.client.delete(url, headers=self._headers(kw), **kw)


def as_status(value) -> str:
    return value.value if isinstance(value, TicketStatus) else value


def recent(hours: float = 0) -> datetime:
    return now_utc() - timedelta(hours=hours)
