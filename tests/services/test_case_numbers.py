"""Human case numbers: XC-YYYYMMDD-NNNN, per local day, never colliding under concurrency."""
import threading
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Category, Ticket
from app.services.actor import Actor
from app.services.reports import intake
from app.services.reports.case_numbers import next_case_number
from tests.factories import SEAT, category


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
