"""The draw API (issue 14 §4): the contract's shape, assignment, progress, who sees what, bad input."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Draw, InspectionPoint
from app.text import text_problem
from app.timeutil import iso, now_utc, to_local
from tests.assessment.conftest import make_visit
from tests.hostile import CORPUS, Hostile

POINT_KEYS = {"code", "name", "location_type", "lat", "lon", "area_code", "department_code", "last_visited_at"}


@pytest.fixture
def people(county, api, create_user):
    users = {name: create_user(role, dept, username=name) for name, role, dept in (
        ("boss", "supervisor", None), ("root", "admin", None), ("alice", "inspector", None),
        ("bob", "inspector", None), ("desk", "department", "CGZF"))}
    return {name: api(user) for name, user in users.items()}, users


def _make(client, **body):
    return client.post("/api/v1/assessment/draws", json={"name": "第48周", "per_type": 1, **body})


def test_a_draw_in_the_contract_shape(people):
    clients, _users = people
    answer = _make(clients["boss"], seed=42, due=str(to_local(now_utc()).date() + timedelta(days=3)))
    assert answer.status_code == 201, answer.json
    body = answer.json
    assert {"id", "seed", "points"} <= set(body) and body["seed"] == 42
    assert len(body["points"]) == 16 and all(isinstance(code, str) for code in body["points"])
    again = _make(clients["root"], seed=42).json
    assert again["points"] == body["points"] and again["id"] != body["id"]
    assert _make(clients["boss"], seed=43).json["points"] != body["points"]


def test_the_server_picks_a_seed_when_none_is_given_and_it_replays(people):
    clients, _users = people
    first = _make(clients["boss"], per_type=2).json
    assert isinstance(first["seed"], int)
    assert _make(clients["boss"], per_type=2, seed=first["seed"]).json["points"] == first["points"]


def test_a_type_table(people):
    clients, _users = people
    body = _make(clients["boss"], per_type={"NMSC": 2, "GGCS": 10}, seed=5).json
    kinds = {code: db.session.scalar(sa.select(InspectionPoint).where(InspectionPoint.code == code))
             .location_type.code for code in body["points"]}
    assert sorted(kinds.values()).count("NMSC") == 2
    assert sorted(kinds.values()).count("GGCS") == db.session.scalar(
        sa.select(sa.func.count()).select_from(InspectionPoint).join(InspectionPoint.location_type)
        .where(sa.text("location_type.code = 'GGCS'")))
    assert body["per_type"] == {"NMSC": 2, "GGCS": 10}


def test_assign_by_hand_and_evenly_then_progress_and_my_assignments(people):
    clients, users = people
    draw = _make(clients["boss"], per_type={"NMSC": 2, "ZCGD": 2}, seed=9).json
    first, second, third, fourth = draw["points"]
    url = f"/api/v1/assessment/draws/{draw['id']}"
    answer = clients["boss"].post(f"{url}/assign", json={"assignments": {first: "alice", second: "bob"}})
    assert answer.status_code == 200 and answer.json == {"id": draw["id"], "changed": 2}
    detail = clients["boss"].get(url).json
    assert [(p["code"], p["assignee"]) for p in detail["points"]] == [
        (first, "alice"), (second, "bob"), (third, None), (fourth, None)]
    assert detail["progress"]["points"] == 4 and detail["progress"]["visited"] == 0

    point = db.session.scalar(sa.select(InspectionPoint).where(InspectionPoint.code == first))
    at = now_utc() + timedelta(minutes=1)
    make_visit(point, users["alice"], at, {})
    detail = clients["root"].get(url).json
    assert next(p for p in detail["points"] if p["code"] == first)["visited_at"] == iso(at)
    assert {(r["username"], r["points"], r["visited"]) for r in detail["progress"]["by_inspector"]} == {
        ("alice", 1, 1), ("bob", 1, 0), (None, 2, 0)}
    assert sum(r["visited"] for r in detail["progress"]["by_location_type"]) == 1

    mine = clients["alice"].get("/api/v1/assessment/assignments").json["assignments"]
    assert [a["code"] for a in mine] == [first]
    assert set(mine[0]) >= POINT_KEYS and mine[0]["draw_id"] == draw["id"]
    assert mine[0]["last_visited_at"] == iso(at) and mine[0]["visited_at"] == iso(at)

    even = clients["boss"].post(f"{url}/assign", json={"mode": "even", "inspectors": ["alice", "bob"]})
    assert even.status_code == 200
    detail = clients["boss"].get(url).json
    assert sorted(p["assignee"] for p in detail["points"]) == ["alice", "alice", "bob", "bob"]
    assert len(clients["bob"].get("/api/v1/assessment/assignments").json["assignments"]) == 2

    listing = clients["boss"].get("/api/v1/assessment/draws").json["draws"]
    assert [(d["id"], d["progress"]) for d in listing] == [(draw["id"], {"points": 4, "visited": 1})]


def test_a_voided_visit_does_not_count(people):
    clients, users = people
    draw = _make(clients["boss"], per_type={"NMSC": 1}, seed=1).json
    point = db.session.scalar(sa.select(InspectionPoint).where(InspectionPoint.code == draw["points"][0]))
    make_visit(point, users["alice"], now_utc() + timedelta(minutes=1), {}, voided=True)
    detail = clients["boss"].get(f"/api/v1/assessment/draws/{draw['id']}").json
    assert detail["progress"]["visited"] == 0 and detail["points"][0]["visited_at"] is None


def test_a_cancelled_draw_is_no_longer_assigned_to_anyone(people):
    clients, _users = people
    draw = _make(clients["boss"], per_type={"NMSC": 1}, seed=1).json
    url = f"/api/v1/assessment/draws/{draw['id']}"
    clients["boss"].post(f"{url}/assign", json={"assignments": {draw["points"][0]: "alice"}})
    assert len(clients["alice"].get("/api/v1/assessment/assignments").json["assignments"]) == 1
    cancelled = clients["boss"].post(f"{url}/cancel", json={})
    assert cancelled.status_code == 200 and cancelled.json["cancelled_at"]
    assert clients["alice"].get("/api/v1/assessment/assignments").json["assignments"] == []
    refused = clients["boss"].post(f"{url}/assign", json={"mode": "even"})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "draw_cancelled"


def test_who_may_do_what(people):
    clients, _users = people
    draw = _make(clients["boss"]).json
    url = f"/api/v1/assessment/draws/{draw['id']}"
    for name in ("alice", "desk"):
        assert _make(clients[name]).status_code == 403
        assert clients[name].get("/api/v1/assessment/draws").status_code == 403
        assert clients[name].get(url).status_code == 403
        assert clients[name].post(f"{url}/assign", json={"mode": "even"}).status_code == 403
        assert clients[name].post(f"{url}/cancel", json={}).status_code == 403
    assert clients["desk"].get("/api/v1/assessment/assignments").status_code == 403
    assert clients["boss"].get("/api/v1/assessment/draws/999999").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Draw.id))) == 1


def test_an_inspector_sees_only_its_own_assignments(people):
    clients, _users = people
    draw = _make(clients["boss"], per_type={"NMSC": 2}, seed=3).json
    clients["boss"].post(f"/api/v1/assessment/draws/{draw['id']}/assign",
                         json={"assignments": {draw["points"][0]: "alice", draw["points"][1]: "bob"}})
    assert [a["code"] for a in clients["alice"].get("/api/v1/assessment/assignments").json["assignments"]] == \
        [draw["points"][0]]
    assert [a["code"] for a in clients["bob"].get("/api/v1/assessment/assignments").json["assignments"]] == \
        [draw["points"][1]]
    assert clients["boss"].get("/api/v1/assessment/assignments").json == {"assignments": []}


TOMORROW = "2099-12-31"
BAD_DRAWS = [
    ({"per_type": 1}, "name"), ({"name": "", "per_type": 1}, "name"), ({"name": 5, "per_type": 1}, "name"),
    ({"name": ["x"], "per_type": 1}, "name"), ({"name": "x" * 201, "per_type": 1}, "name"),
    ({"name": "w"}, "per_type"), ({"name": "w", "per_type": 0}, "per_type"),
    ({"name": "w", "per_type": -3}, "per_type"), ({"name": "w", "per_type": 10**30}, "per_type"),
    ({"name": "w", "per_type": 2.5}, "per_type"), ({"name": "w", "per_type": "2"}, "per_type"),
    ({"name": "w", "per_type": True}, "per_type"), ({"name": "w", "per_type": None}, "per_type"),
    ({"name": "w", "per_type": [1]}, "per_type"), ({"name": "w", "per_type": {}}, "per_type"),
    ({"name": "w", "per_type": {"XX": 1}}, "per_type"), ({"name": "w", "per_type": {"NMSC": "a"}}, "per_type.NMSC"),
    ({"name": "w", "per_type": {"NMSC": {"a": 1}}}, "per_type.NMSC"),
    ({"name": "w", "per_type": {"NMSC": 1e300}}, "per_type.NMSC"),
    ({"name": "w", "per_type": 1, "seed": -1}, "seed"), ({"name": "w", "per_type": 1, "seed": 2**53}, "seed"),
    ({"name": "w", "per_type": 1, "seed": 10**40}, "seed"), ({"name": "w", "per_type": 1, "seed": "12"}, "seed"),
    ({"name": "w", "per_type": 1, "seed": 1.5}, "seed"), ({"name": "w", "per_type": 1, "seed": [1]}, "seed"),
    ({"name": "w", "per_type": 1, "due": "2026-02-30"}, "due"),
    ({"name": "w", "per_type": 1, "due": "9999-01-01"}, "due"),
    ({"name": "w", "per_type": 1, "due": "2001-01-01"}, "due"), ({"name": "w", "per_type": 1, "due": 20991231}, "due"),
    ({"name": "w", "per_type": 1, "due": "31/12/2099"}, "due"), ({"name": "w", "per_type": 1, "due": ["x"]}, "due"),
    ({"name": "w", "per_type": 1, "extra": 1}, "extra"),
]


@pytest.mark.parametrize(("body", "field"), BAD_DRAWS)
def test_bad_draws_are_422_naming_the_field(people, body, field):
    clients, _users = people
    answer = clients["boss"].post("/api/v1/assessment/draws", json=body)
    assert answer.status_code == 422, (body, answer.status_code, answer.json)
    assert answer.json["error"]["code"] == "validation_failed" and answer.json["error"]["field"] == field
    assert db.session.scalar(sa.select(sa.func.count(Draw.id))) == 0


def test_a_due_date_far_ahead_is_kept(people):
    clients, _users = people
    body = _make(clients["boss"], due=TOMORROW).json
    assert clients["boss"].get(f"/api/v1/assessment/draws/{body['id']}").json["due"] == TOMORROW


@pytest.mark.parametrize(("body", "status", "field"), [
    ({}, 422, "mode"), ({"mode": "odd"}, 422, "mode"), ({"mode": ["even"]}, 422, "mode"),
    ({"mode": "even", "assignments": {}}, 422, "mode"), ({"assignments": []}, 422, "assignments"),
    ({"assignments": "x"}, 422, "assignments"), ({"assignments": {"NOPE": "alice"}}, 422, "assignments.NOPE"),
    ({"assignments": {"FIRST": "nobody"}}, 422, "assignments.FIRST"),
    ({"assignments": {"FIRST": "desk"}}, 422, "assignments.FIRST"),
    ({"assignments": {"FIRST": ["alice"]}}, 422, "assignments.FIRST"),
    ({"mode": "even", "inspectors": "alice"}, 422, "inspectors"),
    ({"mode": "even", "inspectors": ["ghost"]}, 422, "inspectors"),
    ({"mode": "even", "inspectors": []}, 422, "inspectors"),
])
def test_bad_assignments_are_refused_and_change_nothing(people, body, status, field):
    clients, _users = people
    draw = _make(clients["boss"], per_type={"NMSC": 1}, seed=1).json
    body = {k: ({draw["points"][0] if c == "FIRST" else c: u for c, u in v.items()} if isinstance(v, dict) else v)
            for k, v in body.items()}
    answer = clients["boss"].post(f"/api/v1/assessment/draws/{draw['id']}/assign", json=body)
    assert answer.status_code == status, answer.json
    field = field.replace("FIRST", draw["points"][0])
    assert answer.json["error"]["code"] == "validation_failed" and answer.json["error"]["field"] == field
    detail = clients["boss"].get(f"/api/v1/assessment/draws/{draw['id']}").json
    assert [p["assignee"] for p in detail["points"]] == [None]


@pytest.mark.parametrize("body", [b"", b"[]", b'"x"', b"{", b'{"name": "w", "per_type": NaN}', b"\xff\xfe"])
def test_bodies_that_are_not_a_json_object_are_refused(people, body):
    clients, _users = people
    answer = clients["boss"].post("/api/v1/assessment/draws", data=body, headers={"Content-Type": "application/json"})
    assert answer.status_code in (400, 422) and answer.json["error"]["code"] in ("malformed_json", "validation_failed")


@pytest.mark.parametrize("url", ["/api/v1/assessment/draws/0", "/api/v1/assessment/draws/99999999999",
                                 "/api/v1/assessment/draws/-1", "/api/v1/assessment/draws/x"])
def test_draw_ids_that_cannot_exist_are_404(people, url):
    clients, _users = people
    answer = clients["boss"].get(url)
    assert answer.status_code == 404


# --- the shared hostile corpus over every field of the new endpoints ---------------------------

SLOT = "__hostile__"
CREATE = {"name": "w", "per_type": {"NMSC": 1}, "seed": 1, "due": TOMORROW}
HOSTILE_CREATE = [("name",), ("per_type",), ("per_type", "NMSC"), ("seed",), ("due",)]


def _with_slot(body: dict, path: tuple) -> dict:
    body = json.loads(json.dumps(body))
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = SLOT
    return body


def _send(client, url: str, body: dict, hostile: Hostile):
    text = json.dumps(body).replace(json.dumps(SLOT), hostile.json).encode("utf-8", "surrogatepass")
    return client.post(url, data=text, headers={"Content-Type": "application/json"})


def _assert_refused_cleanly(answer, hostile, where):
    assert answer.status_code < 500, (where, hostile, answer.status_code)
    if answer.status_code >= 400:
        assert set(answer.json["error"]) >= {"code", "message", "field"}, (where, hostile)
    else:
        assert answer.status_code in (200, 201), (where, hostile)


@pytest.mark.parametrize("path", HOSTILE_CREATE, ids=".".join)
def test_hostile_values_in_a_new_draw_never_fail_the_server(people, path):
    clients, _users = people
    for hostile in CORPUS:
        answer = _send(clients["boss"], "/api/v1/assessment/draws", _with_slot(CREATE, path), hostile)
        _assert_refused_cleanly(answer, hostile, path)
    names = db.session.scalars(sa.select(Draw.name)).all()
    assert all(text_problem(name) is None for name in names)


@pytest.mark.parametrize(("body", "path"), [
    ({"assignments": {"FIRST": "alice"}}, ("assignments", "FIRST")), ({"assignments": {}}, ("assignments",)),
    ({"mode": "even"}, ("mode",)), ({"mode": "even", "inspectors": ["alice"]}, ("inspectors",)),
    ({"mode": "even", "inspectors": ["alice"]}, ("inspectors", 0)),
], ids=lambda v: ".".join(map(str, v)) if isinstance(v, tuple) else "")
def test_hostile_values_in_an_assignment_never_fail_the_server(people, body, path):
    clients, _users = people
    draw = _make(clients["boss"], per_type={"NMSC": 1}, seed=1).json
    code = draw["points"][0]
    body = json.loads(json.dumps(body).replace("FIRST", code))
    path = tuple(code if p == "FIRST" else p for p in path)
    url = f"/api/v1/assessment/draws/{draw['id']}/assign"
    for hostile in CORPUS:
        _assert_refused_cleanly(_send(clients["boss"], url, _with_slot(body, path), hostile), hostile, path)
