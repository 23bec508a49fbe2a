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
    seeded_county()
    return None


# What seed_reference wrote, per database and schema revision: the rows of every table it filled.
_SEEDED: dict[tuple[str, str | None], SeededRows] = {}


class SeededRows:
    """The rows seed_reference leaves, to write again with one INSERT per table.

    Seeding through the ORM took about 60 ms a test on PostgreSQL and 45 ms on SQLite (some 400 rows
    in 8 tables, read and flushed piece by piece), against 22-30 and 7-9 ms for writing its rows back:
    a minute or more over the suite. The rows are the seed's own,
    read back after one real seed, so they cannot drift from it; timestamps the seed took from its
    clock are moved to the clock of the test that asks (a test may have frozen time)."""

    def __init__(self, rows: dict[sa.Table, list[dict]], started: datetime, finished: datetime):
        self.rows, self.started, self.finished = rows, started, finished

    @classmethod
    def read(cls, started: datetime, finished: datetime) -> SeededRows:
        connection = db.session.connection()
        rows = {}
        for table in db.metadata.sorted_tables:
            found = [dict(r) for r in connection.execute(
                sa.select(table).order_by(*table.primary_key.columns)).mappings()]
            if found:
                rows[table] = found
        return cls(rows, started, finished)

    def write(self, now: datetime) -> None:
        shift = now - self.started
        connection = db.session.connection()
        for table, rows in self.rows.items():  # executemany: psycopg pipelines the rows
            connection.execute(table.insert(), [{k: self._moved(v, shift) for k, v in r.items()} for r in rows])
        if connection.dialect.name == "postgresql":  # SQLite's AUTOINCREMENT follows the ids it is given
            connection.execute(sa.select(*self._sequence_restarts()))
        db.session.commit()

    def _moved(self, value, shift: timedelta):
        if isinstance(value, datetime):
            naive = value.replace(tzinfo=None) if value.tzinfo else value
            if self.started.replace(tzinfo=None) - timedelta(seconds=1) <= naive \
                    <= self.finished.replace(tzinfo=None) + timedelta(seconds=1):
                return value + shift
        return value

    def _sequence_restarts(self) -> list:
        """setval for each table's id sequence, to the largest id written (as the seed's inserts left it)."""
        restarts = []
        for table, rows in self.rows.items():
            key = list(table.primary_key.columns)
            if len(key) == 1 and isinstance(key[0].type, sa.Integer) and key[0].autoincrement in (True, "auto"):
                restarts.append(sa.func.setval(sa.func.pg_get_serial_sequence(f'"{table.name}"', key[0].name),
                                               max(r[key[0].name] for r in rows)))
        return restarts


def seeded_county() -> None:
    """seed_reference's rows in an empty database: seeded for real once per database, copied after.

    A database that already holds rows (a test that made some first) is seeded for real, as ever."""
    from app import seed
    from app.services.reports import geo, places

    key = (str(db.engine.url), _revision())
    empty = not _any_rows()
    snapshot = _SEEDED.get(key)
    if snapshot is not None and empty:
        snapshot.write(now_utc())
        geo.invalidate_area_cache()
        places.invalidate_cache()
        return
    started = now_utc()
    seed.seed_reference()
    db.session.commit()
    if empty:
        _SEEDED[key] = SeededRows.read(started, now_utc())


def _revision() -> str | None:
    connection = db.session.connection()
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _any_rows() -> bool:
    """Whether any table of the models holds a row: one query."""
    exists = [sa.exists(sa.select(sa.literal(1)).select_from(t)) for t in db.metadata.sorted_tables]
    return bool(db.session.connection().execute(sa.select(sa.or_(*exists))).scalar())


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
