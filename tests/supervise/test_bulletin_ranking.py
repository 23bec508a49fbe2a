"""The 通报 ranking as offices compute it (issue 17 §1), on a hand-built case with known answers.

The case (tests/supervise/bulletin_case.py), period 2026-06-01 … 2026-06-10:

    unit   N  A    B    R    O    penalties          score                               grade  rank
    HWZX   5  5/5  5/5  0    0    —                  100                                 A      1
    JJDD   5  5/5  5/5  0    0    —                  100                                 A      1 (tie)
    XFJY   6  6/6  6/6  1/6  0    0.5 (3 reopenings) 40+20+20·5/6+20−0.5 = 96.1667       A      3
    CGZF   5  2/5  3/5  1/5  2/5  1 (urgent overdue) 16+12+16+12−1 = 55                  D      4
    SJJ    4  —                                       样本不足                            —      —
    CCB    the campaign office: not in the ranking at all
"""
from __future__ import annotations

import csv
import io
from datetime import date
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.models import Ticket
from app.services.supervision import ranking
from app.services.supervision.kpis import Period
from app.services.supervision.ranking import RankingRules, department_ranking, grade_of
from tests.factories import department
from tests.supervise.bulletin_case import NOW, PERIOD, URGENT, at, make


def _rows(rules: RankingRules | None = None) -> dict[str, ranking.RankRow]:
    return {row.department.code: row for row in department_ranking(PERIOD, NOW, rules).rows}


def test_counts_scores_grades_and_ranks_of_the_hand_built_case(bulletin_tickets):
    rows = _rows()
    cgzf = rows["CGZF"]
    assert (cgzf.counts.n, cgzf.counts.on_time, cgzf.counts.resolved, cgzf.counts.reworked,
            cgzf.counts.overdue, cgzf.counts.urgent_overdue) == (5, 2, 3, 1, 2, 1)
    assert (cgzf.on_time_rate, cgzf.resolved_rate, cgzf.rework_rate, cgzf.overdue_rate) == (0.4, 0.6, 0.2, 0.4)
    assert cgzf.score == pytest.approx(55.0) and cgzf.grade == "D" and cgzf.rank == 4
    xfjy = rows["XFJY"]
    assert (xfjy.counts.n, xfjy.counts.reworked, xfjy.counts.reworked_often) == (6, 1, 1)
    assert xfjy.score == pytest.approx(40 + 20 + 20 * 5 / 6 + 20 - 0.5) and xfjy.grade == "A" and xfjy.rank == 3
    assert rows["HWZX"].counts.n == 5 and rows["HWZX"].counts.on_time == 5  # its reopening came after T
    assert rows["HWZX"].score == rows["JJDD"].score == 100.0
    assert rows["HWZX"].rank == rows["JJDD"].rank == 1  # equal scores share a rank


def test_too_few_tickets_are_shown_but_not_ranked_and_the_office_is_left_out(bulletin_tickets):
    result = department_ranking(PERIOD, NOW)
    codes = [row.department.code for row in result.rows]
    assert "CCB" not in codes
    sjj = next(row for row in result.rows if row.department.code == "SJJ")
    assert (sjj.counts.n, sjj.score, sjj.grade, sjj.rank) == (4, None, None, None)
    ranked = [row for row in result.rows if row.rank is not None]
    assert [row.department.code for row in ranked] == ["HWZX", "JJDD", "XFJY", "CGZF"]  # ties: more tickets, code
    assert result.rows.index(sjj) > result.rows.index(ranked[-1])  # unranked rows after the ranked ones


def test_a_unit_reads_its_state_at_the_periods_end_not_now(bulletin_tickets):
    later = Period.of_local_dates(date(2026, 6, 11), date(2026, 6, 15))
    hwzx = _rows()["HWZX"]
    assert hwzx.counts.reworked == 0  # reopened on 06-12, after T
    states = ranking._states_at({t.id for t in db.session.query(Ticket).filter(Ticket.rework_count == 1,
                                 Ticket.department_id == department("HWZX").id)}, later.end)
    assert [s.status for s in states.values()] == ["reopened"]


def test_weights_and_sample_size_are_settings(bulletin_tickets):
    only_on_time = RankingRules(on_time=100, resolved=0, rework=0, overdue=0, urgent_overdue_penalty=0,
                                rework_penalty=0, min_sample=4)
    rows = _rows(only_on_time)
    assert rows["CGZF"].score == pytest.approx(40.0)
    assert rows["SJJ"].rank is not None and rows["SJJ"].score == 100.0
    rules = RankingRules.from_config({"RANKING_WEIGHTS": {"on_time": 50}, "RANKING_MIN_SAMPLE": 2,
                                      "CAMPAIGN_OFFICE_CODE": "XFJY"})
    assert (rules.on_time, rules.resolved, rules.min_sample, rules.office_code) == (50.0, 20.0, 2, "XFJY")
    assert "XFJY" not in _rows(rules) and "CCB" in _rows(rules)


def test_the_score_never_goes_below_zero(county):
    for day in range(25):
        make("CGZF", at(2 + day % 8, 18), ("accept", at(2)), code=URGENT)  # all overdue and urgent
    db.session.commit()
    cgzf = _rows()["CGZF"]
    assert (cgzf.counts.n, cgzf.counts.overdue, cgzf.counts.urgent_overdue) == (25, 25, 25)
    assert cgzf.score == 0.0 and cgzf.grade == "E"  # 20·(1 − R) = 20, minus 25 urgent overdue


@pytest.mark.parametrize(("score", "grade"), [(100, "A"), (90, "A"), (89.999, "B"), (75, "B"), (74.99, "C"),
                                              (60, "C"), (59.99, "D"), (40, "D"), (39.99, "E"), (0, "E")])
def test_grades_come_from_the_unrounded_score(score, grade):
    assert grade_of(score) == grade


@pytest.fixture
def supervisor_client(county, create_user, login):
    return login(create_user("supervisor"))


def test_the_api_the_page_and_the_files_carry_the_same_numbers(bulletin_tickets, supervisor_client):
    body = supervisor_client.get("/api/v1/ranking?start=2026-06-01&end=2026-06-10").json
    assert "40·A" in body["formula"] and "按期整改率" in body["formula"]
    rows = {row["department_code"]: row for row in body["rows"]}
    assert rows["CGZF"] == {"department_code": "CGZF", "score": pytest.approx(55.0), "grade": "D", "rank": 4,
                            "n": 5, "on_time_rate": 0.4, "resolved_rate": 0.6, "rework_rate": 0.2,
                            "overdue_rate": 0.4, "overdue_urgent": 1, "reopened_3_times": 0}
    assert rows["SJJ"]["rank"] is None and "CCB" not in rows

    response = supervisor_client.get("/supervise/ranking.xlsx?start=2026-06-01&end=2026-06-10")
    name = "通报-2026-06-01至2026-06-10.xlsx"
    assert f"filename*=UTF-8''{quote(name)}" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    by_name = {}
    for row in sheet.iter_rows(min_row=3, max_row=2 + len(rows)):
        by_name[row[1].value] = row
    cgzf = by_name[department("CGZF").name_zh]
    assert [c.value for c in cgzf[:3]] == [4, department("CGZF").name_zh, 5]
    assert cgzf[3].value == 0.4 and cgzf[3].data_type == "n" and cgzf[3].number_format == "0.0%"
    assert cgzf[9].value == 55.0 and cgzf[10].value == "D"
    assert by_name[department("SJJ").name_zh][0].value == "样本不足"

    text = supervisor_client.get("/supervise/ranking.csv?start=2026-06-01&end=2026-06-10").data.decode("utf-8")
    record = next(r for r in csv.reader(io.StringIO(text[1:])) if r[1] == department("CGZF").name_zh)
    assert record[:7] == ["4", department("CGZF").name_zh, "5", "40.0%", "60.0%", "20.0%", "40.0%"]

    page = supervisor_client.get("/supervise/ranking?start=2026-06-01&end=2026-06-10").text
    assert "55.0" in page and "样本不足" in page and "40·A" in page


@pytest.mark.parametrize("query", ["", "start=2026-06-01", "start=2026-06-10&end=2026-06-01", "start=x&end=y",
                                   "start=2026-06-01&end=9999-01-01"])
def test_a_bad_period_is_422(county, supervisor_client, query):
    response = supervisor_client.get(f"/api/v1/ranking?{query}")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed" and response.json["error"]["field"]


@pytest.mark.parametrize(("role", "dept"), [("inspector", None), ("department", "CGZF")])
def test_only_supervisors_and_admins_see_the_ranking(county, create_user, login, role, dept):
    response = login(create_user(role, dept)).get("/api/v1/ranking?start=2026-06-01&end=2026-06-10")
    assert response.status_code in (403, 404)
    assert response.json["error"]["code"]
