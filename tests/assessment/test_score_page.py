"""The score page (/supervise/assessment) and its report service: the numbers worked out by hand in
score_case.py, each department's share of the lost field points, the items failing most often, the
points never visited, the score week by week, and readable refusals of bad query strings."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from app.extensions import db
from app.services.assessment import report as reporting
from app.services.assessment.score import score
from app.timeutil import now_utc, to_local
from tests.assessment.score_case import COUNTY, DEPARTMENTS, build_case
from tests.factories import department


@pytest.fixture
def score_case(bare_county, report, create_user):
    return build_case(report, create_user)


def _report(case, days: int = 6):
    return reporting.build(case.day0, case.day0 + timedelta(days=days), now=now_utc())


def test_the_report_carries_the_hand_worked_numbers(score_case):
    r = _report(score_case)
    assert (r.county, r.max, r.field_points_lost, r.visited, r.points) == (COUNTY, 40, 17.0, 4, 5)
    assert [(d.department.code if d.department else None, d.points_lost, d.field_points_lost, d.share)
            for d in r.departments] == DEPARTMENTS
    assert sum(d.field_points_lost for d in r.departments) == pytest.approx(r.field_points_lost, abs=0.02)
    types = {t.location_type.code: (t.score, t.visited, t.points, t.weight) for t in r.types}
    assert types["GGCS"] == (85, 2, 3, 2) and types["LKJT"] == (2.5, 2, 2, 1) and types["ZCGD"][0] is None
    areas = {a.area.code: (a.score, a.field_score, a.visited) for a in r.areas}
    assert areas["DCJD"] == (0, 0, 1)
    assert areas["CGZ"] == (pytest.approx((2 * 85 + 5) / 3, abs=0.005), pytest.approx(40 * (2 * 85 + 5) / 300,
                                                                                       abs=0.005), 3)
    assert [p.code for p in r.never_visited] == ["P3"] and r.never_visited[0].name == "城关公厕三号"
    p1 = next(p for p in r.by_point if p.code == "P1")
    assert [(f.item_code, f.by_visit, f.department.code, f.text) for f in p1.failures] == [
        ("A1", True, "HWZX", "检查项 A1"), ("A3", False, "WJW", "检查项 A3")]


def test_the_field_points_of_the_departments_add_up_to_what_the_county_lost(score_case):
    result = score(score_case.day0, score_case.day0 + timedelta(days=6), now=now_utc())
    parts = reporting.field_points_by_department(result)
    assert sum(parts.values()) == pytest.approx(40 - result.county)
    assert parts[None] == pytest.approx(100 * 40 / 600)  # P6 lost 100 of its 125 deducted, LKJT's weight


def test_the_items_that_fail_most_often(score_case):
    top = [(i.location_type.code, i.item_code, i.failed, i.checked, i.rate, i.points_lost)
           for i in _report(score_case).top_items]
    assert top == [("LKJT", "B3", 2, 2, 1.0, 160), ("LKJT", "B2", 2, 2, 1.0, 30), ("LKJT", "B1", 1, 2, 0.5, 30),
                   ("GGCS", "A3", 1, 2, 0.5, 20), ("GGCS", "A1", 1, 2, 0.5, 10)]


def test_week_by_week_scores_each_local_week(score_case):
    r = _report(score_case, days=13)
    assert [(w.start, w.end, w.county, w.visited, w.points_lost) for w in r.weeks] == [
        (score_case.day0, score_case.day0 + timedelta(days=6), COUNTY, 4, 250),
        (score_case.day0 + timedelta(days=7), score_case.day0 + timedelta(days=13), None, 0, 0)]
    assert r.county == COUNTY  # the whole fortnight: the same visits, the same tickets still open


def test_weeks_are_monday_to_sunday_clipped_to_the_period():
    wed, sun, thu = date(2026, 11, 4), date(2026, 11, 8), date(2026, 11, 19)
    assert reporting.weeks_of(wed, thu) == [(wed, sun), (date(2026, 11, 9), date(2026, 11, 15)),
                                            (date(2026, 11, 16), thu)]
    assert reporting.weeks_of(sun, sun) == [(sun, sun)]
    assert reporting.default_period(thu) == (date(2026, 10, 26), thu)  # this week and the three before


def test_a_long_period_leaves_the_weeks_out_instead_of_scoring_hundreds(score_case):
    r = reporting.build(score_case.day0 - timedelta(days=400), score_case.day0 + timedelta(days=6), now=now_utc())
    assert r.weeks_left_out and r.weeks == [] and r.county == COUNTY


@pytest.fixture
def supervisor(create_user, login):
    return login(create_user("supervisor"))


def _cells(html: str, table_id: str) -> list[list[str]]:
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)[1:]
    return [[" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in rows]


def test_the_page_shows_the_numbers_and_the_formula(score_case, supervisor):
    page = supervisor.get(f"/supervise/assessment?{score_case.week}")
    assert page.status_code == 200
    html = page.text
    assert re.search(r'id="county-score">23\.00 <small>/ 40', html)
    assert "40 × Σ(权重 × 类型得分) / Σ 权重 / 100" in html  # the formula, in Chinese
    departments = _cells(html, "departments")
    assert [row[1:] for row in departments] == [["125.00", "3", "6.67", "39.2%"], ["80.00", "1", "5.33", "31.4%"],
                                               ["20.00", "1", "2.67", "15.7%"], ["15.00", "1", "1.00", "5.9%"],
                                               ["10.00", "1", "1.33", "7.8%"]]
    assert departments[1][0] == department("CGZF").name_zh  # the name, not the code
    assert [row[0] for row in _cells(html, "never")] == ["P3 城关公厕三号"]
    weeks = _cells(html, "weeks-table")
    assert len(weeks) == 1 and weeks[0][1:] == ["23.00", "4", "250.00"]
    assert "B3" in _cells(html, "top-items-table")[0][1]
    assert 'href="/supervise/assessment/score.xlsx?start=' in html and "score.pdf?start=" in html


def test_the_default_period_is_this_week_and_the_three_before(score_case, supervisor):
    first, last = reporting.default_period(to_local(now_utc()).date())
    html = supervisor.get("/supervise/assessment").text
    assert f'name="start" value="{first}"' in html and f'name="end" value="{last}"' in html
    assert [row[0] for row in _cells(html, "weeks-table")][0].startswith(str(first))
    assert len(_cells(html, "weeks-table")) == 4
    assert [row[0] for row in _cells(html, "never")] == ["P3 城关公厕三号"]  # the case's week is the second of four
    assert re.search(r'id="county-score">23\.00 ', html)


def test_the_page_in_english(score_case, supervisor):
    html = supervisor.get(f"/supervise/assessment?{score_case.week}&lang=en").text
    assert "Mock assessment score" in html and "Share of the lost field points" in html


@pytest.mark.parametrize("query, field", [
    ("start=2026-13-01&end=2026-12-01", "start"), ("start=2026-11-01", "end"), ("end=2026-11-01", "start"),
    ("start=2026-11-30&end=2026-11-01", "end"), ("start=1999-12-31&end=2026-01-01", "start"),
    ("start=2026-01-01&end=9999-01-01", "end"), ("start=%00&end=2026-01-01", "start"),
    ("start=2026-11-01&end=2026-11-30&draw=abc", "draw"), ("start=2026-11-01&end=2026-11-30&draw=-1", "draw"),
    ("start=2026-11-01&end=2026-11-30&draw=99999999999", "draw"),
])
def test_hostile_query_strings_get_a_readable_refusal(score_case, supervisor, query, field):
    for path in ("/supervise/assessment", "/supervise/assessment/score.xlsx", "/supervise/assessment/score.pdf"):
        answer = supervisor.get(f"{path}?{query}")
        assert answer.status_code == 422, (path, query, answer.status_code)
        assert answer.mimetype == "text/html" and "<h1" in answer.text
        json = supervisor.get(f"{path}?{query}", headers={"Accept": "application/json"}).json
        assert json["error"]["code"] == "validation_failed" and json["error"]["field"] == field, (path, query)


def _draw(case, *codes) -> int:
    from app.models import Draw, DrawPoint

    draw = Draw(name="第 48 周抽样", seed=7, per_type=1)
    db.session.add(draw)
    db.session.flush()
    for position, code in enumerate(codes):
        db.session.add(DrawPoint(draw_id=draw.id, point_id=case.points[code].id, position=position))
    db.session.commit()
    return draw.id


def test_the_score_of_one_draw_counts_its_points_only(score_case, supervisor):
    draw = _draw(score_case, "P1", "P6")
    r = reporting.build(score_case.day0, score_case.day0 + timedelta(days=6), draw, now=now_utc())
    assert r.draw_id == draw and (r.visited, r.points) == (2, 2) and r.never_visited == []
    assert r.county == round(40 * (2 * 70 + 1 * 0) / 3 / 100, 2)
    assert [(d.department.code if d.department else None, d.points_lost) for d in r.departments] == [
        (None, 125), ("WJW", 20), ("HWZX", 10)]
    assert sum(d.field_points_lost for d in r.departments) == pytest.approx(r.field_points_lost, abs=0.02)
    assert {a.area.code: (a.score, a.visited, a.points) for a in r.areas} == {"CGZ": (70, 1, 1), "DCJD": (0, 1, 1)}
    html = supervisor.get(f"/supervise/assessment?{score_case.week}&draw={draw}").text
    assert f'<option value="{draw}" selected>第 48 周抽样' in html
    assert re.search(r'id="county-score">18\.67 ', html)
    unvisited = _draw(score_case, "P3")
    r = reporting.build(score_case.day0, score_case.day0 + timedelta(days=6), unvisited, now=now_utc())
    assert r.county is None and [p.code for p in r.never_visited] == ["P3"] and r.departments == []


def test_an_unknown_draw_is_not_found(score_case, supervisor):
    answer = supervisor.get(f"/supervise/assessment?{score_case.week}&draw=424242")
    assert answer.status_code == 404 and answer.mimetype == "text/html"


@pytest.mark.parametrize("role", ["inspector", "department"])
def test_only_the_campaign_office_sees_the_page(score_case, create_user, login, role):
    client = login(create_user(role, "JJDD" if role == "department" else None))
    for path in ("/supervise/assessment", "/supervise/assessment/score.xlsx", "/supervise/assessment/score.pdf"):
        assert client.get(path).status_code == 403
