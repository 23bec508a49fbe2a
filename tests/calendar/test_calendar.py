"""The county's working-day calendar: 2026 pinned, import (all or nothing), editing, coverage and its
warning, and working-day deadlines at the end of the known data (issue 16 point 2)."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from app.config import Config
from app.extensions import db
from app.models import AuditEntry, CalendarDay, DayKind
from app.services.calendar import holidays
from app.services.tickets import sla

SHANGHAI = ZoneInfo("Asia/Shanghai")
SEEDED_AT = datetime(2026, 6, 1, tzinfo=UTC)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def _token(client, url="/admin/calendar") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text).group(1)


@pytest.fixture
def seeded(app):
    """The table as the migration leaves it (the suite empties it after every test)."""
    holidays.seed_from_package(SEEDED_AT)
    db.session.commit()


@pytest.fixture
def workdays(app, monkeypatch):
    monkeypatch.setitem(app.config, "SLA_CALENDAR", "workdays")


@pytest.fixture
def admin(login, create_user):
    return login(create_user("admin"))


def _kinds(year: int) -> dict[date, DayKind]:
    return {row.day: row.kind for row in holidays.days_of_year(year)}


# --- 2026 pinned ---------------------------------------------------------------------------------

def test_working_days_are_the_default_setting():
    assert Config.SLA_CALENDAR == "workdays"


def test_2026_national_day_and_its_make_up_days_are_pinned(seeded):
    days = _kinds(2026)
    assert all(days[date(2026, 10, d)] == DayKind.HOLIDAY for d in range(1, 8))
    # chinesecalendar 1.11.0's 2026 schedule: Sunday 20 September and Saturday 10 October are worked.
    assert days[date(2026, 9, 20)] == DayKind.WORKDAY and days[date(2026, 10, 10)] == DayKind.WORKDAY
    assert all(days[date(2026, 9, d)] == DayKind.HOLIDAY for d in (25, 26, 27))  # 中秋 (Friday–Sunday)
    assert db.session.get(CalendarDay, date(2026, 9, 27)).name == "中秋"
    assert date(2026, 9, 28) not in days and date(2026, 10, 8) not in days  # ordinary working days
    assert db.session.get(CalendarDay, date(2026, 10, 1)).name == "国庆节"
    assert days[date(2026, 1, 1)] == DayKind.HOLIDAY and days[date(2026, 2, 14)] == DayKind.WORKDAY
    snap = holidays.load()
    assert not sla.is_workday(date(2026, 10, 5), snap) and sla.is_workday(date(2026, 10, 10), snap)
    assert sla.is_workday(date(2026, 10, 9), snap) and not sla.is_workday(date(2026, 10, 11), snap)


def test_the_migration_seeded_the_package_data(seeded):
    # seed_from_package adds nothing for years already covered, as after the migration.
    assert holidays.seed_from_package(SEEDED_AT) == 0
    assert 2004 in holidays.years() and max(holidays.years()) == 2026


# --- coverage --------------------------------------------------------------------------------------

def test_coverage_is_the_end_of_the_unbroken_run_of_covered_years(seeded):
    assert holidays.covered_until(date(2026, 12, 1)) == date(2026, 12, 31)
    assert holidays.covered_until(date(2028, 3, 1)) == date(2026, 12, 31)  # 2027 and 2028 missing
    assert holidays.coverage_gap(date(2026, 6, 1)) is None
    assert holidays.coverage_gap(date(2026, 12, 1)) == date(2027, 1, 1)
    holidays.set_day(_system(), date(2027, 1, 1), DayKind.HOLIDAY, "元旦", SEEDED_AT)
    assert holidays.covered_until(date(2026, 12, 1)) == date(2027, 12, 31)
    assert holidays.coverage_gap(date(2026, 12, 1)) is None


def test_nothing_entered_covers_nothing(app):
    assert holidays.covered_until(date(2026, 12, 1)) is None
    assert holidays.coverage_gap(date(2026, 12, 1)) == date(2026, 12, 1)


def test_coverage_command_prints_the_last_covered_day(seeded, runner):
    with time_machine.travel(local(2026, 12, 1, 9), tick=False):
        result = runner.invoke(args=["holidays", "coverage"])
    assert result.exit_code == 0 and result.output.strip() == "2026-12-31"


def test_coverage_command_with_no_data_says_none_and_fails(app, runner):
    result = runner.invoke(args=["holidays", "coverage"])
    assert result.exit_code == 1 and result.output.strip() == "none"


# --- import ------------------------------------------------------------------------------------------

NOTICE_2027 = """# 国务院办公厅关于2027年部分节假日安排的通知 (test data)
2027-01-01,holiday,元旦
2027-02-06,holiday,春节
2027-02-07,holiday,春节
2027-02-13,workday,春节
2027-10-01,holiday,国庆节
"""


def test_import_adds_a_year_and_extends_coverage(seeded, runner, tmp_path):
    path = tmp_path / "2027.txt"
    path.write_text(NOTICE_2027, encoding="utf-8")
    result = runner.invoke(args=["holidays", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2027: 5 day(s)" in result.output
    days = _kinds(2027)
    assert days == {date(2027, 1, 1): DayKind.HOLIDAY, date(2027, 2, 6): DayKind.HOLIDAY,
                    date(2027, 2, 7): DayKind.HOLIDAY, date(2027, 2, 13): DayKind.WORKDAY,
                    date(2027, 10, 1): DayKind.HOLIDAY}
    assert holidays.covered_until(date(2026, 12, 1)) == date(2027, 12, 31)
    assert _kinds(2026)[date(2026, 10, 1)] == DayKind.HOLIDAY  # other years untouched
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "calendar.import")) is not None


def test_importing_a_year_again_replaces_it(seeded, runner, tmp_path):
    path = tmp_path / "2026.txt"
    path.write_text("2026-10-01,holiday,国庆节\n", encoding="utf-8")
    assert runner.invoke(args=["holidays", "import", str(path)]).exit_code == 0
    assert _kinds(2026) == {date(2026, 10, 1): DayKind.HOLIDAY}


@pytest.mark.parametrize(("bad", "line"), [
    ("2027-13-01,holiday", 3),
    ("2027-02-08,vacation,春节", 3),
    ("2027-02-08", 3),
    ("2027-01-01,holiday,again", 3),  # listed twice
    ("2027-02-08,holiday," + "长" * 101, 3),
])
def test_a_bad_line_is_reported_by_number_and_nothing_is_imported(seeded, runner, tmp_path, bad, line):
    path = tmp_path / "bad.txt"
    path.write_text("2027-01-01,holiday,元旦\n\n" + bad + "\n2027-10-01,holiday,国庆节\n", encoding="utf-8")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(CalendarDay))
    result = runner.invoke(args=["holidays", "import", str(path)])
    assert result.exit_code != 0
    assert f"Line {line}" in result.output or f"第 {line} 行" in result.output, result.output
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarDay)) == before
    assert _kinds(2027) == {}


# --- editing in /admin -------------------------------------------------------------------------------

def test_admin_adds_changes_and_removes_a_day(seeded, admin):
    token = _token(admin)
    resp = admin.post("/admin/calendar/days", data={"csrf_token": token, "day": "2026-12-31", "kind": "holiday",
                                                   "name": "县庆", "year": "2026"})
    assert resp.status_code == 302
    page = admin.get("/admin/calendar?year=2026").text
    assert "2026-12-31" in page and "县庆" in page
    assert db.session.get(CalendarDay, date(2026, 12, 31)).kind == DayKind.HOLIDAY
    admin.post("/admin/calendar/days", data={"csrf_token": token, "day": "2026-12-31", "kind": "workday",
                                            "name": "", "year": "2026"})
    db.session.expire_all()
    assert db.session.get(CalendarDay, date(2026, 12, 31)).kind == DayKind.WORKDAY
    admin.post("/admin/calendar/days/delete", data={"csrf_token": token, "day": "2026-12-31", "year": "2026"})
    db.session.expire_all()
    assert db.session.get(CalendarDay, date(2026, 12, 31)) is None


def test_admin_bad_input_is_a_message_not_a_500(seeded, admin):
    token = _token(admin)
    resp = admin.post("/admin/calendar/days", data={"csrf_token": token, "day": "31/12/2026", "kind": "holiday"},
                      follow_redirects=True)
    assert resp.status_code == 200 and ("YYYY-MM-DD" in resp.text)
    resp = admin.post("/admin/calendar/days/delete", data={"csrf_token": token, "day": "2026-12-30"},
                      follow_redirects=True)
    assert resp.status_code == 200
    assert admin.get("/admin/calendar?year=abc").status_code == 200


def test_admin_import_upload_all_or_nothing(seeded, admin):
    import io

    token = _token(admin)
    bad = admin.post("/admin/calendar/import", data={"csrf_token": token, "file": (
        io.BytesIO(b"2027-01-01,holiday\n2027-01-02,nope\n"), "2027.txt")}, content_type="multipart/form-data",
        follow_redirects=True)
    assert bad.status_code == 200 and _kinds(2027) == {}
    good = admin.post("/admin/calendar/import", data={"csrf_token": token, "file": (
        io.BytesIO(NOTICE_2027.encode()), "2027.txt")}, content_type="multipart/form-data")
    assert good.status_code == 302 and len(_kinds(2027)) == 5


def test_calendar_writes_need_csrf_and_an_admin(seeded, login, create_user, client):
    admin_client = login(create_user("admin"))
    assert admin_client.post("/admin/calendar/days", data={"day": "2026-12-31", "kind": "holiday"}).status_code \
        in (400, 403)
    assert db.session.get(CalendarDay, date(2026, 12, 31)) is None
    admin_client.post("/logout", data={"csrf_token": _token(admin_client)})
    supervisor = login(create_user("supervisor", "CCB"))
    assert supervisor.get("/admin/calendar").status_code == 403


# --- the warning and the end of the known data --------------------------------------------------------

def test_the_warning_shows_to_admins_and_supervisors_when_coverage_is_short(seeded, workdays, login, create_user,
                                                                           client):
    with time_machine.travel(local(2026, 12, 1, 9), tick=True):
        supervisor = login(create_user("supervisor", "CCB"))
        page = supervisor.get("/supervise").text
        assert 'id="calendar-warning"' in page and "2027-01-01" in page
        supervisor.post("/logout", data={"csrf_token": _token(supervisor, "/supervise")})
        clerk = login(create_user("department", "CGZF"))
        assert 'id="calendar-warning"' not in clerk.get("/desk").text


def test_no_warning_when_the_next_60_days_are_covered(seeded, workdays, login, create_user):
    with time_machine.travel(local(2026, 6, 1, 9), tick=True):
        admin = login(create_user("admin"))
        assert 'id="calendar-warning"' not in admin.get("/admin/").text


def test_a_deadline_past_the_covered_range_counts_monday_to_friday_and_the_warning_shows(seeded, workdays,
                                                                                         login, create_user):
    sla._warn_unknown_year.cache_clear()
    # Thursday 31 Dec 2026 is covered; Friday 1 Jan 2027 is not, so it counts as a working day
    # (it will be 元旦 once the 2027 notice is entered), the weekend does not.
    assert sla.deadline(24, local(2026, 12, 31, 12)) == local(2027, 1, 1, 12)
    assert sla.deadline(48, local(2026, 12, 31, 12)) == local(2027, 1, 4, 12)
    with time_machine.travel(local(2026, 12, 1, 9), tick=True):
        admin = login(create_user("admin"))
        assert "2027-01-01" in admin.get("/admin/").text
    # Once the county enters 2027, the same deadline skips 元旦.
    holidays.set_day(_system(), date(2027, 1, 1), DayKind.HOLIDAY, "元旦", SEEDED_AT)
    db.session.commit()
    assert sla.deadline(24, local(2026, 12, 31, 12)) == local(2027, 1, 4, 12)


def test_an_admin_edit_changes_deadlines_at_once(seeded, workdays):
    assert sla.deadline(24, local(2026, 11, 27, 18)) == local(2026, 11, 30, 18)  # over a weekend
    holidays.set_day(_system(), date(2026, 11, 30), DayKind.HOLIDAY, "县庆", SEEDED_AT)
    assert sla.deadline(24, local(2026, 11, 27, 18)) == local(2026, 12, 1, 18)


def _system():
    from app.services.actor import Actor

    return Actor.system()


def test_seed_command_adds_the_package_years_once(app, runner):
    db.session.execute(sa.delete(CalendarDay))  # as if the county had cleared it (the migration seeded it)
    db.session.commit()
    first = runner.invoke(args=["holidays", "seed"])
    assert first.exit_code == 0 and int(first.output.split()[0]) > 500
    assert _kinds(2026)[date(2026, 10, 1)] == DayKind.HOLIDAY
    again = runner.invoke(args=["holidays", "seed"])
    assert again.exit_code == 0 and again.output.startswith("0 ")


def test_the_pages_and_the_warning_read_in_english_too(seeded, workdays, login, create_user):
    with time_machine.travel(local(2026, 12, 1, 9), tick=True):
        admin = login(create_user("admin"))
        page = admin.get("/admin/calendar?lang=en").text
        assert "Working-day calendar" in page and "Make-up working day" in page
        assert "The working-day calendar has no holidays from 2027-01-01" in page
        assert "Group-chat robots" in admin.get("/admin/webhooks").text
        assert "工作日历" in admin.get("/admin/calendar?lang=zh_CN").text
