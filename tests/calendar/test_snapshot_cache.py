"""The calendar snapshot kept between sessions (issue 20): reused while the table is unchanged, and
never stale: an edit through the service, a row written directly, another session's commit, an
emptied table are all seen by the next read."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.extensions import db
from app.models import CalendarDay, DayKind
from app.services.actor import Actor
from app.services.calendar import holidays

SEEDED_AT = datetime(2026, 6, 1, tzinfo=UTC)
A_MONDAY = date(2026, 11, 16)


@pytest.fixture
def loads(monkeypatch):
    """How many times the whole table was read."""
    count = [0]
    real = holidays.load

    def counted():
        count[0] += 1
        return real()

    monkeypatch.setattr(holidays, "load", counted)
    return count


def _new_session() -> None:
    db.session.remove()  # the next read is another unit of work, as the next request is


def test_an_unchanged_table_is_read_once_for_many_sessions(app, loads):
    holidays.seed_from_package(SEEDED_AT)
    db.session.commit()
    _new_session()
    loads[0] = 0  # the seeding read it too
    first = holidays.snapshot()
    for _ in range(3):
        _new_session()
        assert holidays.snapshot() is first
    assert loads[0] == 1
    assert first.listed(date(2026, 10, 1)) == DayKind.HOLIDAY


def test_an_edit_is_seen_at_once_in_its_session_and_after_its_commit(app, create_user, loads):
    holidays.seed_from_package(SEEDED_AT)
    db.session.commit()
    _new_session()
    assert holidays.snapshot().listed(A_MONDAY) is None
    admin = create_user("admin")
    holidays.set_day(Actor.of(admin), A_MONDAY, DayKind.HOLIDAY, "停工", SEEDED_AT)
    assert holidays.snapshot().listed(A_MONDAY) == DayKind.HOLIDAY
    db.session.commit()
    _new_session()
    assert holidays.snapshot().listed(A_MONDAY) == DayKind.HOLIDAY


def test_a_rolled_back_edit_leaves_no_trace(app, create_user):
    holidays.seed_from_package(SEEDED_AT)
    db.session.commit()
    _new_session()
    admin = create_user("admin")
    db.session.commit()
    holidays.set_day(Actor.of(admin), A_MONDAY, DayKind.HOLIDAY, "停工", SEEDED_AT)
    assert holidays.snapshot().listed(A_MONDAY) == DayKind.HOLIDAY
    db.session.rollback()
    _new_session()
    assert holidays.snapshot().listed(A_MONDAY) is None


def test_rows_written_directly_and_an_emptied_table_are_seen(app):
    holidays.seed_from_package(SEEDED_AT)
    db.session.commit()
    _new_session()
    assert holidays.snapshot().listed(A_MONDAY) is None
    # Another worker's write, not through the service (so nothing in this process was told).
    db.session.add(CalendarDay(day=A_MONDAY, kind=DayKind.HOLIDAY, name="停工", updated_at=SEEDED_AT))
    db.session.commit()
    _new_session()
    assert holidays.snapshot().listed(A_MONDAY) == DayKind.HOLIDAY
    row = db.session.get(CalendarDay, A_MONDAY)
    row.kind, row.updated_at = DayKind.WORKDAY, datetime(2026, 11, 1, tzinfo=UTC)
    db.session.commit()
    _new_session()
    assert holidays.snapshot().listed(A_MONDAY) == DayKind.WORKDAY
    db.session.execute(CalendarDay.__table__.delete())
    db.session.commit()
    _new_session()
    snap = holidays.snapshot()
    assert snap.days == {} and snap.covered_years == frozenset()
