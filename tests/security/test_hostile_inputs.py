"""No input makes the server fail: every route, every parameter it reads, every class of hostile value.

Routes come from app.url_map (every rule, every method but HEAD/OPTIONS); path variables are filled
with real ids from a seeded world. The parameters a route reads are found by recording what its
view asks `request.args` and `request.form` for, with a valid request per role (so a new parameter
is fuzzed without editing this file); the names in ALWAYS_TRY reach every route too, read or not.
JSON bodies start from a valid template per endpoint and replace one node at a time.

Each request goes as one of the roles that reach the view (rotating over supervisor, department
user, inspector, admin and anonymous), and some as the roles it refuses, since the input guard
runs before any role check. The rule checked: never a 5xx (an exception escaping the app counts:
TESTING propagates it), an /api/ 4xx has the JSON error shape, a page 4xx is an HTML page, and no
unstorable text was stored. Every failure is collected and shown in one assertion message.

Sampling keeps the run short, not the whole cross product: each (route, parameter it reads) gets
one value of every class in tests/hostile.py (the values of a class take turns across routes);
each route gets the EDGES values in all its parameters at once and the RANGES in its period
parameters (a period needs `start` and `end` both extreme); each name of ALWAYS_TRY meets every
class on some route where it is not read. The coverage is asserted at the end.
"""
from __future__ import annotations

import io
import itertools
import json
import re
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from flask import request as flask_request
from PIL import Image
from werkzeug.datastructures import ImmutableMultiDict

from app.extensions import db
from app.models import Category, Notification, Ticket
from app.services.accounts.users import issue_device_token
from app.services.photos import store as photos
from app.services.tickets.lifecycle import ACTIONS
from app.text import text_problem
from app.timeutil import iso, now_utc
from tests.assessment.visit_json import seeded_visit
from tests.factories import PASSWORD, SEAT, actor_of
from tests.hostile import BODIES, BY_KIND, CORPUS, KINDS, RANGES, Hostile, encode_pairs, quote_value

A, I, D, S, AD = "anonymous", "inspector", "department", "supervisor", "admin"  # noqa: E741
ROLES = (S, D, I, AD, A)
# Names read somewhere (grep request.args / request.values / request.form) or that a client may
# well send; every route gets them, read or not, with every class of value.
ALWAYS_TRY = ("from", "to", "start", "end", "days", "page", "per_page", "status", "department", "category",
              "area", "q", "sort", "zoom", "bbox", "lang", "start_date", "end_date", "service_code",
              "cursor", "limit", "overdue", "by", "queue", "ids", "next", "api_key", "service_request_id")
RIDE_ALONG = ("lang",)  # read everywhere, never refused: sent along with the other parameters
REFUSED_KINDS_PER_ROUTE = 3  # every class still meets the refused roles on several routes
RANGE_NAMES = (("from", "to"), ("start", "end"), ("start_date", "end_date"))  # pairs that bound a period
NOT_FUZZED = {("DELETE", "api.revoke_current_token")}  # sent with a throwaway token each time instead


# --- recording which parameters a view reads ---------------------------------------------------

_READ: set[tuple[str, str]] = set()  # (where, name) read since the last reset


class _RecordingDict(ImmutableMultiDict):
    """request.args / request.form that remember which names the view asked for."""

    def _note(self, key):
        try:
            where = "query" if self is flask_request.args else "form"
        except RuntimeError:  # outside a request
            return
        _READ.add((where, key))

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

    def getlist(self, key, type=None):  # noqa: A002 - werkzeug's signature
        self._note(key)
        return super().getlist(key, type)


@pytest.fixture
def recording(app):
    original = app.request_class

    class RecordingRequest(original):
        parameter_storage_class = _RecordingDict

    app.request_class = RecordingRequest
    yield
    app.request_class = original


# --- the world and the callers -----------------------------------------------------------------

@dataclass
class World:
    ticket: Ticket  # its version changes as forms act on it: read it from here (a SELECT after each commit)
    ticket_id: int  # what never changes, kept as plain values: every request's query and path need them
    case_number: str
    repeat_id: int
    photo_sha: str
    notification_id: int
    users: dict
    victim: object  # the account admin forms change (never one of the callers)
    spare_category_id: int  # the one admin forms change (not the tickets' category)
    spare_area_id: int
    visit_id: int = 0  # an assessment visit by the inspector


def _jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (seed % 256, 80, 160)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def world(create_user, report):
    users = {I: create_user("inspector"), D: create_user("department", "JJDD"), S: create_user("supervisor"),
             AD: create_user("admin")}
    victim = create_user("inspector")
    photo, _created = photos.store_photo(_jpeg(1), None, "image/jpeg", actor_of(users[I]))
    db.session.commit()
    ticket = report("09009", at=SEAT, reporter=users[I], photos=[photo.sha256]).ticket  # → JJDD, assigned
    repeat = report("09009", at=(SEAT[0] + 0.0001, SEAT[1]), reporter=create_user("inspector")).report
    note = Notification(user_id=users[S].id, kind="escalated", ticket_id=ticket.id, data={})
    db.session.add(note)
    spare_category = db.session.scalar(sa.select(Category).where(Category.code.not_in(("09009", "06012")))
                                       .order_by(Category.id.desc()))
    db.session.commit()
    return World(ticket, ticket.id, ticket.case_number, repeat.id, photo.sha256, note.id, users, victim,
                 spare_category.id, ticket.area_id, seeded_visit(users[I]))


@dataclass
class Caller:
    role: str
    client: object
    token: str = ""  # device token: Bearer on /api and /app, api_key on Open311
    csrf: str = ""  # the session's form token


def _form_token(html: str) -> str:
    found = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html)
    return found.group(1) if found else ""


def _log_in(caller: Caller, user) -> None:
    client = caller.client
    page = client.get("/login")
    if page.status_code == 302:  # still logged in (a logout refused for its hostile CSRF token)
        caller.csrf = _form_token(client.get("/notifications").text)
        return
    token = _form_token(page.text)
    answer = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, f"{caller.role} could not log in: {answer.status_code}"
    caller.csrf = _form_token(client.get("/notifications").text)


def _callers(app, world: World) -> dict[str, Caller]:
    callers = {}
    for role in ROLES:
        caller = Caller(role, app.test_client())
        if role == A:
            caller.csrf = _form_token(caller.client.get("/login").text)  # so /login posts reach the view
        else:
            user = world.users[role]
            caller.token = issue_device_token(user, "hostile")
            db.session.commit()
            _log_in(caller, user)
        callers[role] = caller
    return callers


# --- what each endpoint is sent when nothing is hostile ----------------------------------------

def _path_values(world: World, endpoint: str) -> dict:
    return {"ticket_id": world.ticket_id, "report_id": world.repeat_id, "notification_id": world.notification_id,
            "user_id": world.victim.id, "category_id": world.spare_category_id, "area_id": world.spare_area_id,
            "sha256": world.photo_sha, "variant": "thumb", "action": "accept", "queue": "unrouted",
            "case_number": world.case_number, "code": "09009", "filename": "site.css",
            "fmt": {"web.supervise_export": "csv", "web.supervise_bulletin": "docx"}.get(endpoint, "json"),
            "visit_id": world.visit_id}


def _base_query(world: World, endpoint: str) -> list[tuple[str, str]]:
    """A query string with which the view reads all its parameters (none refused early)."""
    return {
        "api.map_cluster_features": [("bbox", "119.8,29.8,120.1,30.1"), ("zoom", "12")],
        "web.supervise_slips": [("ids", str(world.ticket_id))],
    }.get(endpoint, [])


def _form_template(world: World, endpoint: str) -> dict:
    t = world.ticket
    return {
        "auth.login": {"username": world.victim.username, "password": "Wrong-pass-1"},
        "web.ticket_action": {"action": "accept", "version": str(t.version), "note": "x", "department_code": "JJDD",
                              "duplicate_of": "", "photos": "", "next": "/desk"},
        "web.split_repeat": {"note": "x"},
        "web.desk_accept": {"ticket": f"{t.id}:{t.version}"},
        "admin.user_create": {"username": "hostile-new", "password": "Str0ng-pass", "role": "inspector",
                              "department": "", "display_name": "x", "email": "a@example.org"},
        "admin.user_update": {"role": "inspector", "department": "", "display_name": "x", "email": "",
                              "active": "on"},
        "admin.user_password": {"password": "An0ther-pass"},
        "admin.department_save": {"code": "HOSTILE", "name_zh": "新单位", "name_en": "New", "active": "on"},
        "admin.category_update": {"sla_hours": "3", "department": "JJDD", "area_scoped": "", "active": "on"},
        "admin.area_update": {"department": "XZ-CGZ"},
        "open311.create_request": {"service_code": "06012", "lat": "29.99", "long": "119.96", "description": "x",
                                   "address_string": "y"},
    }.get(endpoint, {})


# Fixed, so that the valid batch sent again is the same report (already synced), not one more ticket.
REPORT_ID, ACTION_ID = "6f1c2a9e-0000-4000-8000-000000000001", "6f1c2a9e-0000-4000-8000-000000000002"
VISIT_ID = "6f1c2a9e-0000-4000-8000-000000000003"


def _json_template(world: World, endpoint: str) -> dict:
    t, now = world.ticket, now_utc()
    return {
        "api.create_device_token": {"label": "x", "device_id": "d"},
        "api.act_on_ticket": {"version": t.version, "note": "x", "photos": [], "department_code": "JJDD",
                              "duplicate_of": None},
        "api.accept_tickets": {"tickets": [{"id": t.id, "version": t.version}]},
        "api.split_report": {"note": "x"},
        "api.void_visit": {"reason": "x"},
        "sync.sync": {"device_id": "hostile", "cursor": 0, "sent_at": iso(now), "reports": [{
            "client_id": REPORT_ID, "category_code": "06012", "lat": 29.99, "lon": 119.96,
            "captured_at": iso(now), "location_source": "device", "description": "x", "address": "y",
            "accuracy_m": 5, "photos": [], "photo_exif": {}}], "actions": [{
                "client_id": ACTION_ID, "ticket_id": t.id, "action": "close", "version": t.version,
                "note": "x", "photos": []}], "visits": [{
                "client_id": VISIT_ID, "point_code": "CGZ-NMSC-01", "checklist_version": 1, "started_at": iso(now),
                "finished_at": iso(now), "lat": 29.958, "lon": 119.952, "accuracy_m": 5,
                "results": [{"item_code": "NMSC-01", "outcome": "pass", "note": "x", "photos": []}]}]},
    }.get(endpoint, {})


def _json_paths(value, prefix=()):
    """Every node below the root: ("reports", 0, "lat"), ("reports", 0), ("reports",), ..."""
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield (*prefix, key)
        yield from _json_paths(child, (*prefix, key))


_SLOT = "\x00hostile-slot\x00"


def _json_with(template: dict, paths, hostile: Hostile) -> bytes:
    """The template's JSON with the nodes at `paths` replaced by the hostile value's JSON text."""
    body = json.loads(json.dumps(template))
    for path in paths:
        node = body
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = _SLOT
    return json.dumps(body).replace(json.dumps(_SLOT), hostile.json).encode("utf-8", "surrogatepass")


# --- sending -------------------------------------------------------------------------------------

@dataclass
class Probe:
    """One request: where the hostile value sits (`where`, `param`) and what it is, for the report."""

    role: str
    method: str
    path: str
    query: list[tuple[str, str]]
    form: list[tuple[str, str]] | None = None
    json: bytes | None = None
    where: str = "-"
    param: str = "-"
    value: str = "-"
    endpoint: str = ""
    cookie: bool = False  # an API call by session cookie, not device token
    accept_json: bool = False  # ask for JSON errors (pages too), to learn which field was refused


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: the app raised
    location: str = ""
    field: str | None = None  # the refused field of a JSON error


@dataclass
class Run:
    callers: dict[str, Caller]
    failures: list[str] = field(default_factory=list)
    sent: int = 0
    used: set[str] = field(default_factory=set)  # the hostile values sent, by name
    spare_names: dict = field(default_factory=lambda: {kind: itertools.cycle(ALWAYS_TRY) for kind in KINDS})
    refused_kinds: itertools.cycle = field(default_factory=lambda: itertools.cycle(KINDS))
    unreached: list[str] = field(default_factory=list)  # routes no caller got into with a valid request
    routes_sent: set = field(default_factory=set)  # (endpoint, method) that got a hostile value
    spares_sent: dict = field(default_factory=lambda: defaultdict(set))  # name → classes sent where unread
    ips: itertools.count = field(default_factory=lambda: itertools.count(1))

    def send(self, probe: Probe, *, token: str | None = None) -> Answer:
        caller = self.callers[probe.role]
        token = caller.token if token is None else token
        headers = {}
        if probe.cookie:  # the session cookie, as the PWA's browser sends it, with the CSRF header
            headers = {"X-CSRFToken": caller.csrf} if probe.method != "GET" else {}
        elif probe.path.startswith(("/api/", "/app/")) and token:
            headers = {"Authorization": f"Bearer {token}"}
        if probe.accept_json:
            headers["Accept"] = "application/json"
        kw = {"method": probe.method, "query_string": encode_pairs(probe.query), "headers": headers}
        if probe.role == A:  # logins from one address would soon be throttled for everyone
            n = next(self.ips)
            kw["environ_overrides"] = {"REMOTE_ADDR": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}
        if probe.form is not None:
            kw["data"], kw["content_type"] = encode_pairs(probe.form), "application/x-www-form-urlencoded"
        elif probe.json is not None:
            kw["data"], kw["content_type"] = probe.json, "application/json"
        self.sent += 1
        self.used.add(probe.value)
        if probe.value != "-":
            self.routes_sent.add((probe.endpoint, probe.method))
        label = f"{probe.method} {probe.path} as {probe.role}: {probe.where} {probe.param}={probe.value}"
        try:
            answer = caller.client.open(probe.path, **kw)
        except Exception as exc:  # noqa: BLE001 - TESTING propagates crashes: each one is a 500
            db.session.rollback()
            self.failures.append(f"{label} → 500 {_crash_site(exc)}")
            return Answer(None)
        try:
            self._check(answer, label, probe.path)
            error = _error_of(answer)
            return Answer(answer.status_code, answer.headers.get("Location", ""),
                          error.get("field") if isinstance(error, dict) else None)
        finally:
            answer.close()
            db.session.rollback()  # the test shares the app context (and session) with the requests
            db.session.expire_all()

    def _check(self, answer, label: str, path: str) -> None:
        """Never a 5xx; a 4xx from the API in the JSON error shape; a page's 4xx a page (or, asked
        for JSON, the JSON error shape)."""
        status = answer.status_code
        if status >= 500:
            self.failures.append(f"{label} → {status} {answer.get_data(as_text=True)[:200]!r}")
        elif not 400 <= status < 500 or path.startswith(("/open311/", "/app/", "/static/")):
            return
        elif path.startswith("/api/") or answer.is_json:
            error = _error_of(answer)
            if not isinstance(error, dict) or not {"code", "message", "field"} <= set(error):
                self.failures.append(f"{label} → {status} without the JSON error shape")
        elif answer.mimetype != "text/html":
            self.failures.append(f"{label} → {status} as {answer.mimetype}, not an error page")


def _error_of(answer):
    """The "error" member of a JSON answer, or None."""
    body = answer.get_json(silent=True) if answer.is_json else None
    return body.get("error") if isinstance(body, dict) else None


def _crash_site(exc: BaseException) -> str:
    """Exception type, message and the innermost frame in the project's code."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/site-packages/" not in f.filename]
    where = ""
    if frames:
        where = f" at {frames[-1].filename.rsplit('/work/main/', 1)[-1]}:{frames[-1].lineno} in {frames[-1].name}"
    return f"{type(exc).__name__}: {str(exc)[:150]!r}{where}"


# --- one route ---------------------------------------------------------------------------------

_VARIABLE = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def _variables(rule) -> dict[str, tuple[str, str]]:
    """The rule's path variables: name → (converter, its arguments)."""
    return {name: (converter or "default", args) for converter, args, name in _VARIABLE.findall(rule.rule)}


def _text_variables(rule) -> list[str]:
    """Path variables that take text (numbers are checked by the router)."""
    return [name for name, (converter, _args) in _variables(rule).items()
            if converter in ("string", "path", "default")]


def _fallback(converter: str, args: str):
    """A value for a path variable this file does not know yet (a new route): it still gets fuzzed."""
    if converter == "int":
        return 1
    if converter == "any":
        return args.split(",")[0].strip().strip("'\"")
    return "x"


def _with(pairs, names, hostile: Hostile):
    """`pairs` with every name in `names` set to the hostile value (repeated for an array)."""
    kept = [(k, v) for k, v in pairs if k not in names]
    return kept + [(name, v) for name in names for v in hostile.form]


def _json_text(fields: dict, hostile: Hostile) -> bytes:
    return json.dumps(fields).replace(json.dumps(_SLOT), hostile.json).encode("utf-8", "surrogatepass")


class Route:
    """One rule and method: its valid request per role, and the hostile variants of it."""

    def __init__(self, run: Run, world: World, adapter, rule, method: str, values: dict, **path_values):
        self.run, self.world, self.rule, self.method, self.endpoint = run, world, rule, method, rule.endpoint
        self.adapter = adapter
        known = {**_path_values(world, self.endpoint), **path_values}
        self.args = {name: known.get(name, _fallback(*spec)) for name, spec in _variables(rule).items()}
        self.path = adapter.build(self.endpoint, self.args, method=method)
        self.writes = method in ("POST", "PUT", "PATCH")
        self.json_route = self.path.startswith(("/api/", "/app/"))
        self.values = values  # kind → cycle of hostile values, shared by all routes
        self.cookie = False

    @property
    def template(self) -> dict:
        """The valid JSON body, made again for each request: it carries the ticket's current version."""
        return _json_template(self.world, self.endpoint) if self.writes else {}

    def next_value(self, kind: str) -> Hostile:
        return next(self.values[kind])

    def base(self, role: str):
        """Query and form that reach the view as `role`, with the caller's credentials in them."""
        caller = self.run.callers[role]
        query = list(_base_query(self.world, self.endpoint))
        form = dict(_form_template(self.world, self.endpoint)) if self.writes and not self.json_route else None
        if self.path.startswith("/open311/") and caller.token:
            if self.writes:
                form["api_key"] = caller.token
            else:
                query.append(("api_key", caller.token))
        if form is not None and not self.path.startswith("/open311/"):
            form["csrf_token"] = caller.csrf
        return query, (list(form.items()) if form is not None else None)

    def send(self, role, *, query=None, form=None, body=None, path=None, **label):
        base_query, base_form = self.base(role)
        query = base_query if query is None else query
        if self.writes and form is None and body is None:  # the valid body of this route
            form = base_form
            body = json.dumps(self.template).encode() if self.json_route else None
        answer = self.run.send(Probe(role, self.method, path or self.path, query, form, body, **label,
                                     endpoint=self.endpoint, cookie=self.cookie))
        if self.endpoint == "auth.logout" and role != A:
            _log_in(self.run.callers[role], self.world.users[role])  # it logged this caller out
        return answer

    def discover(self) -> None:
        """Which roles reach the view, and which query and form names it reads for them.

        An API route no device token reaches is called by session cookie instead (a device token
        may not ask for another one, for instance).
        """
        self.reach, read = [], set()
        for cookie in (False, True) if self.json_route else (False,):
            self.cookie = cookie
            for role in ROLES:
                _READ.clear()
                answer = self.send(role, where="valid request")
                if _reached(self.path, answer.status, answer.location):
                    self.reach.append(role)
                    read |= _READ
            if self.reach:
                break
        if not self.reach:
            self.run.unreached.append(f"{self.method} {self.path}")
        self.roles = itertools.cycle(self.reach or [S])
        self.refused_roles = itertools.cycle([r for r in ROLES if r not in self.reach] or [A])
        self.query_names = sorted({n for where, n in read if where == "query"}
                                  | {k for k, _ in _base_query(self.world, self.endpoint)})
        self.form_names = []
        if self.writes and not self.json_route:
            self.form_names = sorted({n for where, n in read if where == "form"}
                                     | {k for k, _ in self.base(S)[1]})

    def _each_kind(self, where: str, names, build, covered) -> None:
        """For each name, one request per class of value: build(role, name, hostile) → send() keywords."""
        for name in names:
            for kind in KINDS:
                hostile, role = self.next_value(kind), next(self.roles)
                self.send(role, **build(role, name, hostile), where=where, param=name, value=repr(hostile))
                covered[(self.endpoint, self.method, f"{where}:{name}")].add(kind)

    def spare_name(self, kind: str) -> str:
        """One of ALWAYS_TRY this route does not read, in turn, so each name meets each class somewhere."""
        for _ in ALWAYS_TRY:
            name = next(self.run.spare_names[kind])
            if name not in self.query_names:
                return name
        return "unread"

    def fuzz_query(self, covered) -> None:
        # A name it does not read rides along with each request: the view ignores it, but the
        # input guard and the templates that echo the query string into links do not. So does
        # `lang`, which the locale selector reads on every page and never refuses (it hides nothing).
        riders = [n for n in self.query_names if n in RIDE_ALONG]
        own = [n for n in self.query_names if n not in RIDE_ALONG] or [None]
        for name in own:
            for kind in KINDS:
                hostile, role, spare = self.next_value(kind), next(self.roles), self.spare_name(kind)
                names = [n for n in (name, *riders, spare) if n]
                self.send(role, query=_with(self.base(role)[0], names, hostile), where="query",
                          param=" & ".join(names), value=repr(hostile))
                for each in (name, *riders):
                    if each:
                        covered[(self.endpoint, self.method, f"query:{each}")].add(kind)
                self.run.spares_sent[spare].add(kind)
        at_once = [n for n in self.query_names if n not in CREDENTIALS]
        for hostile in EDGES if set(at_once) - {"lang"} else ():
            self.all_at_once("query", at_once, hostile,
                             lambda role, names, h=hostile: {"query": _with(self.base(role)[0], names, h)})
        for first, last in RANGE_NAMES:
            for low, high in RANGES if {first, last} <= set(self.query_names) else ():
                role = next(self.roles)
                query = [(k, v) for k, v in self.base(role)[0] if k not in (first, last)]
                self.send(role, query=[*query, (first, low), (last, high)], where="query",
                          param=f"{first} & {last}", value=f"{low}..{high}")
        # The guard runs before the role check: a few classes per route, in turn, as a role it refuses.
        for kind in (next(self.run.refused_kinds) for _ in range(REFUSED_KINDS_PER_ROUTE)):
            hostile, role = self.next_value(kind), next(self.refused_roles)
            self.send(role, query=_with(self.base(role)[0], [*at_once, self.spare_name(kind)], hostile),
                      where="query", param="(all, as a role it refuses)", value=repr(hostile))

    def all_at_once(self, where: str, names: list[str], hostile: Hostile, build) -> None:
        """`hostile` in all `names` at once; then again without each one the answer names as refused,
        so that the first parameter a view checks does not hide the others from it."""
        names = list(names)
        while names:
            role = next(self.roles)
            answer = self.send(role, **build(role, names), where=where, accept_json=True,
                               param=f"({', '.join(names)} at once)"[:120], value=repr(hostile))
            refused = [n for n in names if _within(n, answer.field)]
            if not refused:
                return
            names = [n for n in names if n not in refused]

    def fuzz_path(self, covered) -> None:
        def build(role, name, hostile):
            path = self.adapter.build(self.endpoint, {**self.args, name: "HOSTILE-SLOT"}, method=self.method)
            return {"path": path.replace("HOSTILE-SLOT", quote_value(hostile.form[0]) if hostile.form else "")}

        self._each_kind("path", _text_variables(self.rule), build, covered)

    def fuzz_form(self, covered) -> None:
        self._each_kind("form", self.form_names,
                        lambda role, name, h: {"form": _with(self.base(role)[1], [name], h)}, covered)
        at_once = [n for n in self.form_names if n not in CREDENTIALS]
        for hostile in EDGES if at_once else ():
            self.all_at_once("form", at_once, hostile,
                             lambda role, names, h=hostile: {"form": _with(self.base(role)[1], names, h)})

    def fuzz_json(self, covered, *, each_kind: bool = True) -> None:
        nodes = list(_json_paths(self.template))
        self._each_kind("json", [".".join(map(str, n)) for n in nodes] if each_kind else [],
                        lambda role, name, h: {"body": _json_with(self.template, [_node(name, nodes)], h)},
                        covered)
        leaves = {_dotted(n): n for n in nodes if not any(m[:len(n)] == n and m != n for m in nodes)}
        for hostile in EDGES if leaves else ():
            self.all_at_once("json", list(leaves), hostile, lambda role, names, h=hostile: {
                "body": _json_with(self.template, [leaves[n] for n in names], h)})

    def fuzz_bodies(self) -> None:
        """Whole bodies that are not a JSON object, and each route's fields in the other encoding."""
        for name, raw in BODIES:
            self.send(next(self.roles), body=raw, where="body", param="(whole body)", value=name)
        fields = list(self.template) if self.json_route else [n for n in self.form_names if n not in CREDENTIALS]
        for kind in KINDS:
            hostile, role = self.next_value(kind), next(self.roles)
            if self.json_route:
                form = [(name, v) for name in fields or ["x"] for v in hostile.form]
                self.send(role, form=form, where="form", param="(its JSON fields as a form)", value=repr(hostile))
            else:
                body = _json_text({name: _SLOT for name in fields or ["x"]}, hostile)
                self.send(role, body=body, where="json", param="(its form fields as JSON)", value=repr(hostile))


CREDENTIALS = ("api_key", "csrf_token")  # fuzzed one at a time; set at once they would only log out
# Values at the edge of a range, sent to all of a route's parameters at once (a period needs
# `start` and `end` both extreme), so each parameter meets each of them, not just one of its class.
EDGES = tuple(h for h in CORPUS if h.name in (
    "0001 +14", "9999 -12", "0001-01-01", "9999-12-31", "-1", "0", "2**63", "superscript 2", "10k digits"))


def _dotted(path) -> str:
    """("reports", 0, "lat") → "reports[0].lat", as app.params.json_body names a field."""
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def _within(name: str, field: str | None) -> bool:
    """Is parameter `name` the refused `field`, or inside it ("tickets[0].id" in "tickets")?"""
    return bool(field) and (name == field or name.startswith((f"{field}.", f"{field}[")))


def _node(name: str, nodes):
    return next(n for n in nodes if ".".join(map(str, n)) == name)


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _reached(path: str, status: int | None, location: str) -> bool:
    """Did the view run for this caller? Not if refused (401/403) or sent to the login page."""
    if status is None:
        return True  # it crashed in the view
    if status == 403 or (status == 401 and path != "/login"):
        return False
    return not (300 <= status < 400 and "/login?next=" in location)  # page_auth's redirect, not a view's


# --- the test ---------------------------------------------------------------------------------

# About 9,600 requests: 130 s alone on a 2-core machine, 297 s there beside the other longest files.
@pytest.mark.timeout(900)
def test_no_hostile_input_makes_the_server_fail(app, world, recording):
    run = Run(_callers(app, world))
    adapter = app.url_map.bind("localhost")
    values = {kind: itertools.cycle(BY_KIND[kind]) for kind in KINDS}  # shared: every value gets its turn
    covered: dict[tuple, set[str]] = defaultdict(set)
    # Reads first, then writes (which move the world on: a ticket accepted, a department added).
    routes = sorted(_routes(app), key=lambda rm: (rm[1] != "GET", rm[0].rule, rm[1]))
    for rule, method in routes:
        if (method, rule.endpoint) in NOT_FUZZED:
            _fuzz_with_throwaway_tokens(run, world, adapter, rule, method, covered)
            continue
        route = Route(run, world, adapter, rule, method, values)
        route.discover()
        route.fuzz_query(covered)
        route.fuzz_path(covered)
        if route.writes:
            route.fuzz_form(covered)
            route.fuzz_json(covered)
            route.fuzz_bodies()
        if rule.endpoint == "api.act_on_ticket":
            # Each action reads other fields, some only in the service (duplicate_of, department_code);
            # the edge values in all of them at once (accept's pass gave each field every class).
            for action in (a for a in ACTIONS if a != "accept"):
                variant = Route(run, world, adapter, rule, method, values, action=action)
                variant.discover()
                variant.fuzz_json(covered, each_kind=False)
    _check_stored_text(run)
    print(f"\nhostile inputs: {len(CORPUS)} values in {len(KINDS)} classes; {len(routes)} route methods, "
          f"{len(covered)} (route, parameter) pairs, {run.sent} requests")
    gaps = _coverage_gaps(run, covered, routes)
    assert not run.failures and not gaps, _summary(run.failures, gaps)


def _coverage_gaps(run: Run, covered: dict, routes) -> list[str]:
    """What the sampling missed: a parameter or name without every class, a value never sent, a route."""
    gaps = [f"{key}: not sent {sorted(set(KINDS) - kinds)}" for key, kinds in covered.items() if set(KINDS) - kinds]
    per_name = defaultdict(set, {name: set(kinds) for name, kinds in run.spares_sent.items()})
    for (_endpoint, _method, name), kinds in covered.items():
        per_name[name.split(":", 1)[1]] |= kinds
    gaps += [f"{name}: never sent {sorted(set(KINDS) - per_name[name])}" for name in ALWAYS_TRY
             if set(KINDS) - per_name[name]]
    gaps += [f"value never sent: {h.name}" for h in CORPUS if h.name not in run.used]
    gaps += [f"no caller reached {route}, so its parameters went untried" for route in run.unreached]
    gaps += [f"route not fuzzed: {m} {e}" for e, m in {(r.endpoint, m) for r, m in routes} - run.routes_sent]
    return gaps


def _fuzz_with_throwaway_tokens(run: Run, world: World, adapter, rule, method: str, covered) -> None:
    """DELETE /device-tokens/current revokes the token it is sent with: a fresh one for each request."""
    path = adapter.build(rule.endpoint, {}, method=method)
    for kind in KINDS:
        for role, hostile in zip((I, D, S), itertools.cycle(BY_KIND[kind]), strict=False):
            token = issue_device_token(world.users[role], "throwaway")
            db.session.commit()
            run.send(Probe(role, method, path, _with([], ALWAYS_TRY, hostile), where="query",
                           param="(every name)", value=repr(hostile), endpoint=rule.endpoint), token=token)
        for name in ALWAYS_TRY:
            covered[(rule.endpoint, method, f"query:{name}")].add(kind)


def _check_stored_text(run: Run) -> None:
    """Nothing unstorable got in (SQLite keeps a NUL or an ESC that PostgreSQL would refuse)."""
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (sa.String, sa.Text))]
        for row in db.session.execute(sa.select(*columns)) if columns else ():
            for column, value in zip(columns, row, strict=True):
                if isinstance(value, str) and text_problem(value):
                    run.failures.append(f"stored: {table.name}.{column.name} = {value[:40]!r}")


def _summary(failures: list[str], gaps: list[str]) -> str:
    unique = list(dict.fromkeys(failures))
    per_route = Counter(line.split(" as ")[0] for line in unique)
    head = "\n".join(f"  {n:5d}  {route}" for route, n in per_route.most_common())
    coverage = "\n\ncoverage gaps:\n" + "\n".join(gaps) if gaps else ""
    return f"{len(unique)} failing requests; per route:\n{head}\n\nevery one:\n" + "\n".join(unique) + coverage


# --- the findings of issue 12, one by one ------------------------------------------------------

def _error(answer) -> dict:
    assert answer.is_json, answer.text[:200]
    return answer.json["error"]


@pytest.mark.parametrize(("name", "value"), [("from", "0001-01-01T00:00:00+14:00"),
                                             ("to", "9999-12-31T23:59:59-12:00"),
                                             ("from", "1969-12-31T23:59:59Z"), ("to", "2201-01-01T00:00:00Z")])
def test_api_times_outside_the_years_we_keep_are_refused(api, create_user, name, value):
    answer = api(create_user("supervisor")).get("/api/v1/tickets", query_string={name: value})
    assert answer.status_code == 422
    assert _error(answer) == {"code": "validation_failed", "field": name, "message": f"{name} 超出范围。"}


def test_api_times_at_the_ends_of_the_years_we_keep_are_read(api, create_user):
    client = api(create_user("supervisor"))
    answer = client.get("/api/v1/tickets", query_string={"from": "1970-01-01T00:00:00+14:00",
                                                         "to": "2200-12-31T23:59:59-12:00"})
    assert answer.status_code == 200


@pytest.mark.parametrize("query", ["start=9999-12-30&end=9999-12-31", "start=0001-01-01&end=0001-01-02",
                                   "start=2026-01-01&end=0000-00-00", "days=%C2%B2", "days=" + "9" * 5000])
@pytest.mark.parametrize("page", ["/supervise", "/supervise/ranking", "/supervise/ranking.csv",
                                  "/supervise/ranking.xlsx"])
def test_supervisor_periods_out_of_range_are_a_readable_422(login, create_user, page, query):
    answer = login(create_user("supervisor")).get(f"{page}?{query}")
    assert answer.status_code == 422 and answer.mimetype == "text/html"


def test_a_period_at_the_last_year_we_keep_is_shown(login, create_user):
    answer = login(create_user("supervisor")).get("/supervise?start=2200-12-01&end=2200-12-31")
    assert answer.status_code == 200


@pytest.mark.parametrize("query", ["to=9999-12-31", "from=0001-01-01", "page=0", "page=-1"])
def test_desk_filters_out_of_range_are_a_readable_422(login, create_user, query):
    answer = login(create_user("department", "JJDD")).get(f"/desk?{query}")
    assert answer.status_code == 422 and answer.mimetype == "text/html"


@pytest.mark.parametrize("query", ["start_date=0001-01-01T00:00:00%2B14:00", "end_date=9999-12-31T23:59:59-12:00"])
def test_open311_dates_out_of_range_are_refused(app, create_user, query):
    token = issue_device_token(create_user("supervisor"), "open311")
    db.session.commit()
    answer = app.test_client().get(f"/open311/v2/requests.json?api_key={token}&{query}")
    assert 400 <= answer.status_code < 500


@pytest.mark.parametrize("url", ["/api/v1/notifications?page=0", "/api/v1/recheck?page=-1",
                                 "/api/v1/triage/unrouted?page=0"])
def test_pages_before_the_first_are_refused(api, create_user, url):
    answer = api(create_user("supervisor")).get(url)  # PostgreSQL refuses a negative OFFSET
    assert answer.status_code == 422 and _error(answer)["field"] == "page"


@pytest.mark.parametrize("ids", ["%C2%B2", "9" * 5000, str(2**63), "1,x"])
def test_slip_ids_that_no_ticket_can_have_are_refused(login, create_user, ids):
    answer = login(create_user("supervisor")).get(f"/supervise/slips.pdf?ids={ids}")
    assert answer.status_code == 422 and answer.mimetype == "text/html"


@pytest.mark.parametrize("body", [b"[" * 5000 + b"]" * 5000, b'{"note": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                                  b'{"a":' * 40 + b"1" + b"}" * 40])
def test_json_nested_too_deep_is_refused(api, create_user, body):
    answer = api(create_user("department", "JJDD")).post("/api/v1/tickets/accept", data=body,
                                                         content_type="application/json")
    assert answer.status_code == 422 and _error(answer)["code"] == "validation_failed"


@pytest.mark.parametrize("body", [b"NaN", b'{"tickets": NaN}', b'{"tickets": 1e999}', b'{"a": "\xff"}', b'{"a": '])
def test_bodies_that_are_not_json_are_refused(api, create_user, body):
    answer = api(create_user("department", "JJDD")).post("/api/v1/tickets/accept", data=body,
                                                         content_type="application/json")
    assert answer.status_code == 400 and _error(answer)["code"] == "malformed_json"


def test_json_body_names_where_unstorable_text_sits_unless_told_not_to_look(app):
    from app.errors import ValidationFailed
    from app.params import json_body

    body = {"reports": [{"description": "ok"}, {"description": "bad\x00"}]}
    with app.test_request_context(json=body):
        with pytest.raises(ValidationFailed) as refused:
            json_body()
        assert refused.value.field == "reports[1].description"
        assert json_body(check_text=False) == body  # the sync protocol rejects such items one by one
    with app.test_request_context(data=b'{"\\ud83d": 1}', content_type="application/json"), \
            pytest.raises(ValidationFailed):
        json_body()


@pytest.mark.parametrize(("url", "field"), [("/api/v1/tickets?q=a%00b", "q"), ("/api/v1/tickets?%00=1", None),
                                            ("/api/v1/photos/%00", "sha256"), ("/api/v1/tickets?q=%1B", "q")])
def test_unstorable_text_in_the_url_is_refused_on_the_api(api, create_user, url, field):
    answer = api(create_user("supervisor")).get(url)
    assert answer.status_code == 422 and _error(answer)["code"] == "validation_failed"
    assert _error(answer)["field"] == field


def test_unstorable_text_in_a_page_form_is_a_readable_422_and_stores_nothing(app, login, create_user):
    client = login(create_user("admin"))
    token = _form_token(client.get("/admin/departments").text)
    answer = client.post("/admin/departments", data={"code": "NULD", "name_zh": "新\x00单位", "csrf_token": token})
    assert answer.status_code == 422 and answer.mimetype == "text/html"
    from app.models import Department

    assert db.session.scalar(sa.select(Department).where(Department.code == "NULD")) is None


def test_a_nul_in_the_login_name_is_refused_before_any_lookup(app, county, create_user):
    from app.models import LoginAttempt

    create_user("inspector", username="someone")
    client = app.test_client()
    token = _form_token(client.get("/login").text)
    answer = client.post("/login", data={"username": "some\x00one", "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 422 and answer.mimetype == "text/html"
    with client.session_transaction() as session:
        assert "_user_id" not in session  # not logged in
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 0  # nothing half written


@pytest.mark.parametrize(("url", "form", "field"), [
    ("/admin/departments", {"code": "LONG", "name_zh": "名" * 201}, "name_zh"),
    ("/admin/departments", {"code": "LONG", "name_zh": "名", "name_en": "n" * 201}, "name_en"),
    ("/admin/users", {"username": "u" * 65, "password": "Str0ng-pass", "role": "inspector"}, "username"),
    ("/admin/users", {"username": "long1", "password": "Str0ng-pass", "role": "inspector",
                      "display_name": "d" * 101}, "display_name"),
    ("/admin/users", {"username": "long2", "password": "Str0ng-pass", "role": "inspector",
                      "email": "e" * 201}, "email"),
])
def test_admin_fields_longer_than_their_column_are_a_form_error(login, create_user, url, form, field):
    from app.models import Department, User

    client = login(create_user("admin"))
    token = _form_token(client.get(url).text)
    answer = client.post(url, data={**form, "csrf_token": token}, follow_redirects=True)
    assert answer.status_code == 200 and f"{field} 最多" in answer.text
    assert db.session.scalar(sa.select(Department).where(Department.code == "LONG")) is None
    assert db.session.scalar(sa.select(User).where(User.username.in_(["long1", "long2"]))) is None


def test_admin_user_edit_with_over_long_fields_changes_nothing(login, create_user):
    client = login(create_user("admin"))
    other = create_user("inspector", username="target")
    token = _form_token(client.get(f"/admin/users/{other.id}").text)
    answer = client.post(f"/admin/users/{other.id}", data={"role": "supervisor", "display_name": "d" * 101,
                                                           "active": "on", "csrf_token": token})
    assert answer.status_code == 302
    db.session.expire_all()
    assert other.role.value == "inspector" and other.display_name == "target"
