"""KPI formulas on a hand-built set of tickets with known answers.

Period: local days 2026-06-01 … 2026-06-10 (Asia/Shanghai); "now" is 2026-06-12 12:00 local.
Departments: A = CGZF, B = HWZX. Hours to resolve: t1 10, t2 50, t4 4, t5 6.
Medians come from ~5% wide duration classes (app/services/kpi_rollup.py): they are checked to the
precision the dashboard states, half a class (2.5% plus 9 seconds).
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Ticket, TicketEvent
from app.services.supervision.kpis import Period, kpis, trend
from tests.factories import SEAT, category, department

LOCAL = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 12, 12, 0, tzinfo=LOCAL)
PERIOD = Period.of_local_dates(date(2026, 6, 1), date(2026, 6, 10))


def median_approx(hours: float):
    return pytest.approx(hours, abs=(hours * 3600 + 360) * 0.025 / 3600)


def at(day: int, hour: int = 9, month: int = 6) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=LOCAL)


def make(name, dept, status, received, *, due=None, resolved=None, on_time=None, closed=None, events=()):
    ticket = Ticket(case_number=f"XC-T-{name}", status=status, category=category("06012"),
                    department_id=department(dept).id if dept else None, lat=SEAT[0], lon=SEAT[1],
                    captured_at=received, received_at=received, due_at=due, resolved_at=resolved,
                    resolved_on_time=on_time, closed_at=closed)
    db.session.add(ticket)
    db.session.flush()
    for action, when in events:
        db.session.add(TicketEvent(ticket_id=ticket.id, action=action, at=when))
    return ticket


@pytest.fixture
def hand_built(county):
    A, B = "CGZF", "HWZX"
    make("t1", A, "closed", at(2), due=at(3), resolved=at(2, 19), on_time=True, closed=at(3),
         events=[("resolve", at(2, 19)), ("close", at(3))])
    make("t2", A, "closed", at(2), due=at(4), resolved=at(4, 11), on_time=False, closed=at(5),
         events=[("resolve", at(4, 11)), ("close", at(5))])
    make("t3", A, "in_progress", at(5), due=at(6))  # overdue now
    make("t4", A, "resolved", at(8), due=at(9), resolved=at(8, 13), on_time=True,
         events=[("resolve", at(8, 13))])  # resolved in time but not yet closed
    make("t5", B, "closed", at(1), due=at(2), resolved=at(1, 15), on_time=True, closed=at(2),
         events=[("resolve", at(1, 15)), ("close", at(2))])
    make("t6", B, "reopened", at(3), due=at(20), events=[("resolve", at(4)), ("reopen", at(5))])
    make("t7", B, "assigned", at(11), due=at(13))  # received after the period; not yet overdue
    make("t8", A, "invalid", at(4))
    # The previous period (2026-05-22 … 05-31): A closed its only due ticket on time.
    make("t9", A, "closed", at(20, month=5), due=at(22, month=5), resolved=at(21, month=5), on_time=True,
         closed=at(22, month=5), events=[("resolve", at(21, month=5))])
    db.session.commit()


def test_overall_kpis(hand_built):
    k = kpis(PERIOD, NOW)[None]
    assert (k.open, k.overdue, k.new, k.resolved) == (3, 1, 7, 4)
    assert (k.due, k.closed_on_time) == (5, 2)
    assert k.on_time_rate == pytest.approx(0.4)
    assert (k.reopenings, k.resolutions) == (1, 5)
    assert k.rework_rate == pytest.approx(0.2)
    assert k.mean_hours == pytest.approx(17.5, abs=0.01)
    assert k.median_hours == median_approx(8.0) and k.median_hours != 8.0  # classes, not exact


def test_kpis_by_department(hand_built):
    by = kpis(PERIOD, NOW, by="department")
    a, b = by[department("CGZF").id], by[department("HWZX").id]
    assert (a.open, a.overdue, a.new, a.resolved, a.due, a.closed_on_time) == (1, 1, 5, 3, 4, 1)
    assert a.on_time_rate == pytest.approx(0.25)
    assert a.rework_rate == 0
    assert a.mean_hours == pytest.approx(64 / 3, abs=0.01)
    assert a.median_hours == median_approx(10.0)
    assert (b.open, b.overdue, b.new, b.resolved, b.due, b.closed_on_time) == (2, 0, 2, 1, 1, 1)
    assert b.on_time_rate == 1.0
    assert (b.reopenings, b.resolutions, b.rework_rate) == (1, 2, 0.5)
    assert b.median_hours == median_approx(6.0)


def test_an_empty_period_has_no_rates(hand_built):
    k = kpis(Period.of_local_dates(date(2025, 1, 1), date(2025, 1, 2)), NOW)[None]
    assert (k.new, k.due, k.on_time_rate, k.rework_rate, k.median_hours) == (0, 0, None, None, None)
    assert k.open == 3  # "now" figures do not depend on the period


def test_trend_counts_new_and_resolved_per_local_day(hand_built):
    t = trend(PERIOD)
    assert len(t.days) == 10 and t.days[0] == date(2026, 6, 1)
    assert sum(t.new) == 7 and t.new[1] == 2  # t1 and t2 on 06-02
    assert sum(t.resolved) == 4 and t.resolved[3] == 1  # t2 on 06-04


def test_the_previous_period_is_as_long_and_just_before():
    assert PERIOD.previous() == Period.of_local_dates(date(2026, 5, 22), date(2026, 5, 31))


def test_the_dashboard_page_shows_the_numbers_and_the_formulas(hand_built, create_user, login):
    client = login(create_user("supervisor"))
    page = client.get("/supervise?start=2026-06-01&end=2026-06-10&by=department")
    assert page.status_code == 200
    html = page.text
    assert 'id="kpi-new">7<' in html
    assert "id=\"kpi-on-time\">40.0%<" in html
    assert "按期结案率" in html and "返工率" in html
    assert 'id="trend-data"' in html
    assert db.session.scalar(sa.select(sa.func.count(Ticket.id))) == 9
    assert client.get("/supervise?days=8").status_code == 422
    assert client.get("/supervise?by=reporter").status_code == 422
