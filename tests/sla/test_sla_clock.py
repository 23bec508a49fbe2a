"""The SLA clock: deadlines at assignment, reassignment, returns, rework, and the working-day calendar."""
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from app.extensions import db
from app.models import TicketStatus
from app.services.tickets import sla
from app.services.tickets.transitions import ActionInput, transition
from tests.factories import actor_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
H = timedelta(hours=1)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def act(create_user):
    """act(ticket, "return", who, at, note=...) → the ticket after the transition (committed)."""

    def do(ticket, action, who, at, **kw):
        ticket = transition(ticket.id, ActionInput(action=action, version=ticket.version, **kw), actor_of(who),
                            now=at)
        db.session.commit()
        return ticket

    return do


@pytest.fixture
def cgzf_ticket(report):
    """A 72-hour CGZF ticket (category 06008), assigned by routing at T0."""
    ticket = report("06008", now=T0).ticket
    assert ticket.department.code == "CGZF" and ticket.category.sla_hours == 72
    return ticket


def test_assignment_gives_the_category_sla_in_calendar_hours(cgzf_ticket):
    assert cgzf_ticket.assigned_at == T0
    assert cgzf_ticket.due_at == T0 + 72 * H


def test_reassignment_to_another_department_restarts_the_clock(cgzf_ticket, create_user, act):
    supervisor = create_user("supervisor")
    ticket = act(cgzf_ticket, "assign", supervisor, T0 + 10 * H, department_code="HWZX")
    assert ticket.assigned_at == T0 + 10 * H
    assert ticket.due_at == T0 + 82 * H
    assert ticket.events[-1].data["clock"] == "started"


def test_reassigning_the_same_department_while_it_works_keeps_the_clock(cgzf_ticket, create_user, act):
    supervisor = create_user("supervisor")
    ticket = act(cgzf_ticket, "assign", supervisor, T0 + 10 * H, department_code="CGZF", note="please hurry")
    assert (ticket.assigned_at, ticket.due_at) == (T0, T0 + 72 * H)
    assert ticket.events[-1].data["clock"] == "kept"


def test_time_spent_returned_does_not_count_when_it_comes_back(cgzf_ticket, create_user, act):
    supervisor, clerk = create_user("supervisor"), create_user("department", "CGZF")
    ticket = act(cgzf_ticket, "return", clerk, T0 + 10 * H, note="not ours")
    assert ticket.status == TicketStatus.RETURNED
    ticket = act(ticket, "assign", supervisor, T0 + 30 * H, department_code="CGZF", note="it is yours")
    # 62 hours were left when it was returned; the 20 hours it sat with the supervisor are not counted.
    assert ticket.due_at == T0 + 30 * H + 62 * H
    assert ticket.assigned_at == T0  # extended, not restarted
    assert ticket.events[-1].data["clock"] == "extended"


def test_returned_late_stays_late_by_the_same_amount_and_is_not_escalated_again(cgzf_ticket, create_user, act):
    supervisor, clerk = create_user("supervisor"), create_user("department", "CGZF")
    from app.jobs.tasks import mark_overdue

    assert mark_overdue(T0 + 77 * H) == 1  # 5 hours late: escalated
    db.session.commit()
    ticket = act(cgzf_ticket, "return", clerk, T0 + 77 * H, note="not ours")
    ticket = act(ticket, "assign", supervisor, T0 + 100 * H, department_code="CGZF")
    assert ticket.due_at == T0 + 100 * H - 5 * H
    assert ticket.overdue_marked_at is not None
    assert mark_overdue(T0 + 101 * H) == 0


def test_a_return_then_another_department_gets_the_full_sla(cgzf_ticket, create_user, act):
    supervisor, clerk = create_user("supervisor"), create_user("department", "CGZF")
    ticket = act(cgzf_ticket, "return", clerk, T0 + 10 * H, note="not ours")
    ticket = act(ticket, "assign", supervisor, T0 + 30 * H, department_code="HWZX")
    assert ticket.due_at == T0 + 30 * H + 72 * H


def test_resolution_records_when_and_whether_on_time(cgzf_ticket, create_user, create_photo, act):
    clerk = create_user("department", "CGZF")
    ticket = act(cgzf_ticket, "accept", clerk, T0 + H)
    ticket = act(ticket, "resolve", clerk, T0 + 72 * H, photos=[create_photo().sha256])
    assert ticket.resolved_at == T0 + 72 * H and ticket.resolved_on_time is True


def test_late_resolution_is_recorded_as_late(cgzf_ticket, create_user, create_photo, act):
    clerk = create_user("department", "CGZF")
    ticket = act(cgzf_ticket, "accept", clerk, T0 + H)
    ticket = act(ticket, "resolve", clerk, T0 + 72 * H + timedelta(seconds=1), photos=[create_photo().sha256])
    assert ticket.resolved_on_time is False


def test_rework_restarts_the_clock_with_the_full_sla(cgzf_ticket, create_user, create_photo, act):
    clerk = create_user("department", "CGZF")
    from app.models import User

    inspector = db.session.get(User, cgzf_ticket.reporter_id)
    ticket = act(cgzf_ticket, "accept", clerk, T0 + H)
    ticket = act(ticket, "resolve", clerk, T0 + 5 * H, photos=[create_photo().sha256])
    ticket = act(ticket, "reopen", inspector, T0 + 8 * H, note="still there")
    assert (ticket.rework_count, ticket.assigned_at, ticket.due_at) == (1, T0 + 8 * H, T0 + 80 * H)
    assert ticket.resolved_at is None and ticket.resolved_on_time is None


# --- the working-day calendar (the county's table, seeded from chinesecalendar) -------------------

@pytest.fixture
def workdays(app, monkeypatch):
    """Working days, with the county's calendar seeded as the migration does (the tables are emptied per test)."""
    from app.services.calendar import holidays

    monkeypatch.setitem(app.config, "SLA_CALENDAR", "workdays")
    holidays.seed_from_package(T0)
    db.session.commit()


@pytest.mark.parametrize(("start", "hours", "due"), [
    # Friday evening + 24 h: 6 h on Friday, the weekend is skipped, 18 h on Monday.
    (local(2026, 11, 27, 18), 24, local(2026, 11, 30, 18)),
    # The day before National Day + 24 h: 12 h on 30 Sep, then 1–7 Oct are holidays.
    (local(2026, 9, 30, 12), 24, local(2026, 10, 8, 12)),
    # Saturday 19 Sep is a rest day, Sunday 20 Sep a make-up working day.
    (local(2026, 9, 19, 10), 10, local(2026, 9, 20, 10)),
    # Ending exactly at midnight stays on the working day's end.
    (local(2026, 11, 2, 0), 24, local(2026, 11, 3, 0)),
])
def test_working_day_deadlines_skip_weekends_and_official_holidays(app, workdays, start, hours, due):
    assert sla.deadline(hours, start) == due


def test_working_time_between_counts_only_working_days(app, workdays):
    # Friday 12:00 to Monday 12:00: 12 h on Friday and 12 h on Monday.
    assert sla.working_time_between(local(2026, 11, 27, 12), local(2026, 11, 30, 12)) == 24 * H
    assert sla.working_time_between(local(2026, 11, 30, 12), local(2026, 11, 27, 12)) == timedelta(0)


def test_calendar_mode_counts_every_hour(app):
    assert sla.deadline(24, local(2026, 11, 27, 18)) == local(2026, 11, 28, 18)


def test_a_year_without_holiday_data_counts_monday_to_friday_and_says_so(app, workdays, caplog):
    sla._warn_unknown_year.cache_clear()
    with caplog.at_level(logging.WARNING, logger="app.services.tickets.sla"):
        # Thursday 31 Dec 2026 (data) → Friday 1 Jan 2027: no data yet, so a weekday counts.
        assert sla.deadline(24, local(2026, 12, 31, 12)) == local(2027, 1, 1, 12)
        # Saturday 2 and Sunday 3 Jan 2027 do not count.
        assert sla.deadline(24, local(2027, 1, 1, 12)) == local(2027, 1, 4, 12)
    assert any("2027" in r.getMessage() for r in caplog.records)


def test_frozen_clock_assignment_on_a_friday_evening_is_due_monday(app, workdays, report):
    with time_machine.travel(local(2026, 11, 27, 18), tick=False):
        ticket = report("01037").ticket  # ZJJ, 24 h
    assert ticket.department.code == "ZJJ"
    assert ticket.due_at == local(2026, 11, 30, 18)


def test_frozen_clock_return_over_a_weekend_gives_back_the_working_time_left(app, workdays, report, create_user,
                                                                           act):
    with time_machine.travel(local(2026, 11, 26, 10), tick=False):  # Thursday
        ticket = report("01037").ticket
    assert ticket.due_at == local(2026, 11, 27, 10)
    clerk, supervisor = create_user("department", "ZJJ"), create_user("supervisor")
    ticket = act(ticket, "return", clerk, local(2026, 11, 26, 16), note="not ours")  # 18 working hours left
    ticket = act(ticket, "assign", supervisor, local(2026, 11, 30, 9), department_code="ZJJ")  # Monday
    assert ticket.due_at == local(2026, 12, 1, 3)


def test_an_unknown_calendar_mode_is_refused(app, monkeypatch):
    monkeypatch.setitem(app.config, "SLA_CALENDAR", "lunar")
    with pytest.raises(ValueError, match="SLA_CALENDAR"):
        sla.deadline(1, T0)
