"""A department's page of the mock assessment (/desk/assessment): its points lost and its part of the
county's lost field points, the failed items charged to it wherever they lie, its own points scored
or never visited — the hand-built case of score_case.py (issue 14: "departments see the points they
are responsible for and their points lost")."""
from __future__ import annotations

import re

import pytest

from tests.assessment.score_case import build_case


@pytest.fixture
def score_case(bare_county, report, create_user):
    return build_case(report, create_user)


def _desk(login, create_user, department: str, case, lang: str = ""):
    page = login(create_user("department", department)).get(f"/desk/assessment?{case.week}{lang}")
    assert page.status_code == 200, page.text
    return page.text


def _rows(text: str, table: str) -> list[str]:
    body = re.search(rf'id="{table}".*?</table>', text, re.S)
    return re.findall(r'<tr data-point="([^"]+)"(?: data-item="([^"]+)")?', body.group(0)) if body else []


def _kpi(text: str, name: str) -> str:
    return re.search(rf'id="{name}">([^<]+)<', text).group(1)


def test_a_department_sees_its_points_lost_where_and_its_own_points(login, create_user, score_case):
    text = _desk(login, create_user, "JJDD", score_case)
    assert "模拟测评：本单位失分" in text
    # JJDD: B2 at P4 (an open parking report 40 m away), 15 checklist points, 1.00 of the 40 (5.9 %).
    kpis = (_kpi(text, "points-lost"), _kpi(text, "field-points-lost"), _kpi(text, "share"))
    assert kpis == ("15.00", "1.00", "5.9%")
    assert _rows(text, "charged-table") == [("P4", "B2")] and "点位有未办结工单" in text
    assert [code for code, _item in _rows(text, "own-points-table")] == ["P4", "P6"]
    assert 'id="never-visited"' not in text


def test_items_charged_at_points_of_other_departments_are_shown_too(login, create_user, score_case):
    # WJW is responsible for no point; the smoking report at P1 (HWZX's toilet) costs it A3.
    text = _desk(login, create_user, "WJW", score_case)
    assert _kpi(text, "points-lost") == "20.00" and _rows(text, "charged-table") == [("P1", "A3")]
    assert "本单位没有负责的点位。" in text and 'id="own-points-table"' not in text


def test_own_points_never_visited_are_listed(login, create_user, score_case):
    text = _desk(login, create_user, "HWZX", score_case)
    assert _kpi(text, "points-lost") == "10.00" and _rows(text, "charged-table") == [("P1", "A1")]
    assert "测评时不合格" in text
    assert [code for code, _item in _rows(text, "own-points-table")] == ["P1", "P2"]
    assert re.findall(r'<li data-point="([^"]+)"', text) == ["P3"]


def test_a_department_with_nothing_lost_and_in_english(login, create_user, score_case):
    text = _desk(login, create_user, "CGZF", score_case, "&lang=en")
    # CGZF lost 80 at P4 (B3's ticket); in English.
    assert "Mock assessment: our points lost" in text and _kpi(text, "points-lost") == "80.00"
    assert "Failed at the visit" in text


def test_a_department_that_lost_nothing_sees_zero(login, create_user, score_case):
    text = _desk(login, create_user, "GAJ", score_case)
    assert _kpi(text, "points-lost") == "0.00" and 'id="nothing-charged"' in text


def test_the_departments_nav_leads_there(login, create_user, score_case):
    client = login(create_user("department", "JJDD"))
    assert 'href="/desk/assessment"' in client.get("/desk").text


@pytest.mark.parametrize("query", ["start=2026-02-30&end=2026-03-01", "start=2026-03-01", "end=2026-03-01",
                                   "start=2026-03-02&end=2026-03-01", "start=1999-01-01&end=1999-01-02",
                                   "start=%00&end=2026-01-01"])
def test_a_bad_period_is_a_readable_422(login, create_user, score_case, query):
    page = login(create_user("department", "JJDD")).get(f"/desk/assessment?{query}")
    assert page.status_code == 422 and "<html" in page.text


@pytest.mark.parametrize("role", ["inspector", "supervisor", "admin"])
def test_only_departments_see_it(login, create_user, score_case, role):
    assert login(create_user(role)).get("/desk/assessment").status_code == 403
