"""The assessment's read-only API: shapes of the contract (issue 14) and who sees what."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.timeutil import iso, now_utc, to_local
from tests.assessment.conftest import make_point, make_visit, offset, set_checklist
from tests.factories import SEAT

POINT_KEYS = {"code", "name", "location_type", "lat", "lon", "area_code", "department_code", "last_visited_at"}


def test_points_list_every_active_point_in_the_contract_shape(county, api, create_user):
    body = api(create_user("inspector")).get("/api/v1/points").json
    assert set(body) == {"points"} and len(body["points"]) == 67
    assert all(set(p) == POINT_KEYS for p in body["points"])
    market = next(p for p in body["points"] if p["code"] == "CGZ-NMSC-01")
    assert market == {"code": "CGZ-NMSC-01", "name": "城南农贸市场", "location_type": "NMSC", "lat": 29.958,
                      "lon": 119.952, "area_code": "CGZ", "department_code": "SJJ", "last_visited_at": None}
    assert [p["code"] for p in body["points"]] == sorted(p["code"] for p in body["points"])


def test_last_visited_at_is_the_latest_visit_that_is_not_voided(bare_county, api, create_user):
    point = make_point("V-1", "NMSC", SEAT, "SJJ")
    inspector = create_user("inspector")
    first = now_utc() - timedelta(days=3)
    make_visit(point, inspector, first, {"NMSC-01": "pass"})
    make_visit(point, inspector, first + timedelta(days=1), {"NMSC-01": "fail"}, voided=True)
    body = api(inspector).get("/api/v1/points").json
    assert body["points"][0]["last_visited_at"] == iso(first)


def test_points_near_a_position_nearest_first(bare_county, api, create_user):
    make_point("N-far", "ZCGD", offset(SEAT, 900))
    make_point("N-near", "ZCGD", offset(SEAT, 0, 150))
    make_point("N-out", "ZCGD", offset(SEAT, -1500))
    client = api(create_user("inspector"))
    near = client.get(f"/api/v1/points?near={SEAT[0]},{SEAT[1]}&radius_m=1000").json["points"]
    assert [p["code"] for p in near] == ["N-near", "N-far"]
    default = client.get(f"/api/v1/points?near={SEAT[0]},{SEAT[1]}").json["points"]  # 1000 m
    assert [p["code"] for p in default] == ["N-near", "N-far"]
    for query in ("near=north", "near=29.9", "near=91,0", "near=29.9,119.9&radius_m=0", "radius_m=10",
                  "near=29.9,119.9&radius_m=nan", "near=29.9,119.9&radius_m=60000"):
        answer = client.get(f"/api/v1/points?{query}")
        assert answer.status_code == 422, query
        assert answer.json["error"]["code"] == "validation_failed"


def test_a_department_sees_only_the_points_it_is_responsible_for(county, api, create_user):
    points = api(create_user("department", "SJJ")).get("/api/v1/points").json["points"]
    assert points and {p["department_code"] for p in points} == {"SJJ"}
    assert {p["location_type"] for p in points} == {"NMSC", "SCBG"}
    assert api(create_user("department", "JJDD")).get("/api/v1/points").json["points"] != points


@pytest.fixture
def scored(bare_county, create_user, report):
    """Two visited points of two departments, one never visited; JJDD loses points at its crossing."""
    set_checklist("LKJT", [("B1", "X11001", 30), ("B2", "09009", 15)])
    crossing = make_point("L-1", "LKJT", SEAT, "JJDD")
    other = make_point("L-2", "LKJT", offset(SEAT, 500), "CGZF")
    make_point("L-3", "LKJT", offset(SEAT, 1000), "JJDD")
    inspector = create_user("inspector")
    parked = report("09009", offset(SEAT, 20), reporter=inspector).ticket  # open, JJDD's
    yesterday = now_utc() - timedelta(days=1)
    make_visit(crossing, inspector, yesterday, {"B1": "pass", "B2": "pass"})
    make_visit(other, inspector, yesterday, {"B1": "pass", "B2": "pass"})
    today = to_local(now_utc()).date()
    return f"start={today - timedelta(days=6)}&end={today}", parked


def test_the_score_in_the_contract_shape(scored, api, create_user):
    period, parked = scored
    answer = api(create_user("supervisor")).get(f"/api/v1/assessment/score?{period}")
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert set(body) == {"county", "by_location_type", "by_area", "by_point", "by_department", "never_visited"}
    assert body["county"] == {"score": round(40 * (85 + 100) / 2 / 100, 2), "max": 40}
    lkjt = next(t for t in body["by_location_type"] if t["location_type"] == "LKJT")
    assert lkjt == {"location_type": "LKJT", "score": 92.5, "visited": 2, "points": 3}
    assert body["by_area"] == [{"area_code": "CGZ", "score": 92.5, "visited": 2}]
    assert body["by_point"] == [{"code": "L-1", "score": 85, "failed": ["B2"]},
                                {"code": "L-2", "score": 100, "failed": []}]
    assert body["by_department"] == [{"department_code": "JJDD", "points_lost": 15}]
    assert body["never_visited"] == ["L-3"]
    assert parked.department.code == "JJDD"


def test_a_department_sees_its_own_points_lost_and_nothing_county_wide(scored, api, create_user):
    period, _parked = scored
    jjdd = api(create_user("department", "JJDD")).get(f"/api/v1/assessment/score?{period}").json
    assert jjdd["county"] == {"score": None, "max": 40}
    assert jjdd["by_location_type"] == [] and jjdd["by_area"] == []
    assert jjdd["by_point"] == [{"code": "L-1", "score": 85, "failed": ["B2"]}]
    assert jjdd["by_department"] == [{"department_code": "JJDD", "points_lost": 15}]
    assert jjdd["never_visited"] == ["L-3"]
    cgzf = api(create_user("department", "CGZF")).get(f"/api/v1/assessment/score?{period}").json
    assert cgzf["by_department"] == [{"department_code": "CGZF", "points_lost": 0}]
    assert cgzf["by_point"] == [{"code": "L-2", "score": 100, "failed": []}] and cgzf["never_visited"] == []


def test_inspectors_do_not_see_the_score(scored, api, create_user):
    period, _parked = scored
    answer = api(create_user("inspector")).get(f"/api/v1/assessment/score?{period}")
    assert answer.status_code == 403 and answer.json["error"]["code"] == "forbidden"


@pytest.mark.parametrize(("query", "field"), [
    ("", "start"), ("start=2026-01-01", "end"), ("start=2026-13-01&end=2026-12-31", "start"),
    ("start=20260101&end=2026-01-31", "start"), ("start=2026-01-01&end=yesterday", "end"),
    ("start=2026-02-01&end=2026-01-01", "end"), ("start=2010-01-01&end=2026-01-01", "end"),
    ("start=0001-01-01&end=0011-01-01", "start"), ("start=2026-01-01&end=9999-12-31", "end"),
    ("start=2026-01-01%00&end=2026-01-02", "start"), ("start=2026-01-01&end=2026-01-02&draw=x", "draw"),
])
def test_a_bad_period_is_422_validation_failed(county, api, create_user, query, field):
    answer = api(create_user("supervisor")).get(f"/api/v1/assessment/score?{query}")
    assert answer.status_code == 422, query
    assert answer.json["error"]["code"] == "validation_failed" and answer.json["error"]["field"] == field


def test_an_unknown_draw_is_404(county, api, create_user):
    answer = api(create_user("supervisor")).get("/api/v1/assessment/score?start=2026-01-01&end=2026-01-31&draw=7")
    assert answer.status_code == 404 and answer.json["error"]["code"] == "not_found"
    db.session.rollback()


def test_the_score_of_a_draw_is_about_its_points_only(county, api, create_user):
    client = api(create_user("supervisor"))
    drawn = client.post("/api/v1/assessment/draws", json={"name": "本周", "per_type": 1, "seed": 11})
    assert drawn.status_code == 201
    every = client.get("/api/v1/assessment/score?start=2026-01-01&end=2026-01-31").json
    one = client.get(f"/api/v1/assessment/score?start=2026-01-01&end=2026-01-31&draw={drawn.json['id']}").json
    assert sorted(one["never_visited"]) == sorted(drawn.json["points"])  # nothing visited: each drawn point listed
    assert len(every["never_visited"]) > len(one["never_visited"])
    assert sum(t["points"] for t in one["by_location_type"]) == len(drawn.json["points"])
