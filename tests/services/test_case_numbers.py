"""Human case numbers: XC-YYYYMMDD-NNNN, per local day, never colliding under concurrency."""
import threading
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Category, Ticket
from app.services.actor import Actor
from app.services.reports import intake
from app.services.reports.case_numbers import next_case_number
from tests.factories import SEAT, category

LOCAL = ZoneInfo("Asia/Shanghai")


def test_numbers_count_up_per_local_day(county):
    # 23:30 UTC on the 1st is already the 2nd in Asia/Shanghai.
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert next_case_number(late) == "XC-20260302-0001"
    assert next_case_number(late) == "XC-20260302-0002"
    assert next_case_number(late - timedelta(hours=20)) == "XC-20260301-0001"
    db.session.rollback()


def test_twenty_concurrent_creations_get_twenty_distinct_numbers(app, create_user):
    inspector = create_user("inspector")
    actor = Actor.of(inspector)
    category_id = category("09009").id
    app.config["REPEAT_LINKING"] = False  # twenty reports at nearly one spot must stay twenty tickets
    db.session.commit()  # end this thread's transaction: on SQLite it would hold the write lock
    barrier = threading.Barrier(20)
    errors, numbers = [], []

    def create(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                cat = db.session.get(Category, category_id)
                new = intake.IncomingReport(client_id=str(uuid.uuid4()), category_code=cat.code,
                                            lat=SEAT[0] + i * 1e-5, lon=SEAT[1], captured_at=datetime.now(UTC),
                                            location_source="device")
                result = intake.receive(new, actor, datetime.now(UTC))
                db.session.commit()
                numbers.append(result.case_number)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(20)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        app.config["REPEAT_LINKING"] = True
    assert errors == []
    assert len(numbers) == 20 and len(set(numbers)) == 20
    stored = list(db.session.scalars(sa.select(Ticket.case_number)))
    assert sorted(stored) == sorted(numbers)
    suffixes = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert suffixes == list(range(1, 21))  # gap-free as well as unique


def _on_postgresql(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one writer at a time (BEGIN IMMEDIATE): nobody can wait on a number there")


def _receive(actor, category_code: str, i: int) -> str:
    new = intake.IncomingReport(client_id=str(uuid.uuid4()), category_code=category_code,
                                lat=SEAT[0] + i * 4e-4, lon=SEAT[1], captured_at=datetime.now(UTC),
                                location_source="device")
    return intake.receive(new, actor, datetime.now(UTC)).case_number


def test_eight_concurrent_sync_batches_get_unique_consecutive_numbers(app, create_user):
    """Eight phones, five new tickets each in one transaction, all at once: the day's numbers 1…40."""
    actor = Actor.of(create_user("inspector"))
    code = category("09009").code
    db.session.commit()
    barrier = threading.Barrier(8)
    errors, numbers = [], []

    def batch(phone: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                taken = [_receive(actor, code, phone * 5 + i) for i in range(5)]
                db.session.commit()
                numbers.extend(taken)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=batch, args=(phone,)) for phone in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(set(numbers)) == 40
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 41))
    assert {n.split("-")[1] for n in numbers} == {datetime.now(UTC).astimezone(LOCAL).strftime("%Y%m%d")}


def test_an_uncommitted_batch_holds_no_number_another_phone_waits_for(app, create_user, report, database_url):
    """The batch that took the day's first numbers is still open: another ticket is numbered at once."""
    _on_postgresql(database_url)
    actor = Actor.of(create_user("inspector"))
    code = category("09009").code
    db.session.commit()
    taken, may_commit, errors = threading.Event(), threading.Event(), []
    held = []

    def open_batch() -> None:
        with app.app_context():
            try:
                held.append(_receive(actor, code, 0))
                db.session.flush()
                taken.set()
                may_commit.wait(30)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - asserted below
                errors.append(repr(exc))
                taken.set()
            finally:
                db.session.remove()

    reporter = create_user("inspector")
    db.session.commit()
    thread = threading.Thread(target=open_batch)
    thread.start()
    try:
        assert taken.wait(30)
        db.session.execute(sa.text("SET lock_timeout = '3s'"))  # the old day row waited until the batch ended
        other = report("09009", at=(SEAT[0] + 0.01, SEAT[1]), reporter=reporter).ticket.case_number
    finally:
        may_commit.set()
        thread.join(30)
        db.session.rollback()
        db.session.execute(sa.text("RESET lock_timeout"))
        db.session.commit()
    assert errors == []
    assert [int(n.rsplit("-", 1)[1]) for n in sorted(held + [other])] == [1, 2]


def test_a_rolled_back_number_is_not_given_again(county, create_user, database_url):
    """PostgreSQL's numbers come from a sequence: a rolled-back ticket leaves a gap, never a duplicate."""
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    first = next_case_number(late)
    db.session.commit()
    lost = next_case_number(late)
    db.session.rollback()
    after = next_case_number(late)
    db.session.commit()
    assert first == "XC-20260302-0001"
    if database_url.startswith("postgresql"):
        assert (lost, after) == ("XC-20260302-0002", "XC-20260302-0003")  # the gap decision 0019 describes
    else:
        assert lost == after == "XC-20260302-0002"  # the counter row's update was rolled back with it
