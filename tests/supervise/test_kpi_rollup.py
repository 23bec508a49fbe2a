"""The dashboard rollup (kpi_day, kpi_resolve_class) stays equal to a recount from the tickets, and the
figures read from it are the ones the formulas define (local days, the clock, duration classes)."""
from __future__ import annotations

import random
import statistics
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import KpiDay, KpiResolveClass, Ticket
from app.services.actor import Actor
from app.services.reports import intake
from app.services.supervision import kpi_rollup, map_rollup, rollups
from app.services.supervision.kpis import Period, kpis, median_of_classes, trend
from app.services.tickets.transitions import ActionInput, transition
from tests.factories import SEAT, actor_of, category, department
from tests.supervise.rollup_rows import live_rows, pending

LOCAL = ZoneInfo("Asia/Shanghai")


def _rows():
    """The dashboard rollup as the dashboards read it: folded rows plus pending deltas."""
    day = live_rows(KpiDay, ["grouping", "day", "group_id"], list(kpi_rollup.DAY_MEASURES))
    classes = live_rows(KpiResolveClass, ["grouping", "span", "day", "group_id", "resolve_class"], ["n"])
    return day, classes


def _kept_and_rebuilt():
    """What commits left (read before folding), after which folding changes nothing a reader sees;
    then the rebuild from the tickets."""
    kept = _rows()
    rollups.fold(db.session.connection())
    assert pending() == 0
    assert _rows() == kept
    kpi_rollup.rebuild(db.session.connection())
    rebuilt = _rows()
    db.session.rollback()
    return kept, rebuilt


def test_the_rollup_follows_every_lifecycle_action(ticket_in, report):
    for status in ("assigned", "in_progress", "resolved", "closed", "reopened", "returned", "invalid",
                   "duplicate"):
        ticket_in(status, at=(SEAT[0] + random.Random(status).uniform(-0.01, 0.01), SEAT[1]))
    report("09009", at=(29.99, 120.0))
    kept, rebuilt = _kept_and_rebuilt()
    assert kept == rebuilt
    assert kept[0] and kept[1]  # something was counted
    total = db.session.scalar(sa.select(sa.func.count(Ticket.id)))
    assert sum(row.new for row in kept[0] if row.grouping == "all") == total


def _selects(call) -> tuple[object, int]:
    """What `call` returns, and how many SELECTs it sent (not SQLite's BEGIN)."""
    sent = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        return call(), len(sent)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def test_a_snapshot_reads_each_ticket_with_its_counted_events_in_one_statement(ticket_in):
    reopened, fresh = (ticket_in("reopened").id, ticket_in("assigned", at=(SEAT[0] + 0.01, SEAT[1])).id)
    conn = db.session.connection()
    states, selects = _selects(lambda: kpi_rollup.snapshot(conn, [reopened, fresh, 10**9]))
    assert selects == 1
    assert sorted(states) == sorted([reopened, fresh])  # an id that is no ticket has no state
    assert sorted(action for action, _at in states[reopened].events) == ["reopen", "resolve"]
    assert states[fresh].events == () and states[fresh].status == "assigned"
    db.session.rollback()


def test_every_rollup_takes_its_states_from_one_read_of_the_tickets(ticket_in):
    ids = [ticket_in("reopened").id, ticket_in("in_progress", at=(SEAT[0] + 0.01, SEAT[1])).id]
    conn = db.session.connection()
    states, selects = _selects(lambda: rollups._snapshots(conn, ids))
    assert selects == 1
    assert states == [map_rollup.snapshot(conn, ids), kpi_rollup.snapshot(conn, ids)]
    assert all(set(state) == set(ids) for state in states)
    db.session.rollback()


def test_a_reassigned_ticket_takes_its_history_to_the_new_department(ticket_in, create_user):
    ticket = ticket_in("reopened")  # resolved once, reopened once: both events count for its department
    first = ticket.department_id
    now = datetime.now(LOCAL)
    period = Period.of_local_dates(now.date(), now.date())
    assert (kpis(period, now, by="department")[first].resolutions,
            kpis(period, now, by="department")[first].reopenings) == (1, 1)
    clerk = create_user("department", ticket.department.code)
    ticket = transition(ticket.id, ActionInput("return", ticket.version, note="not ours"), actor_of(clerk))
    db.session.commit()
    supervisor = create_user("supervisor")
    ticket = transition(ticket.id, ActionInput("assign", ticket.version, department_code="HWZX"),
                        actor_of(supervisor))
    db.session.commit()
    by_department = kpis(period, now, by="department")
    moved = by_department[department("HWZX").id]
    assert (moved.resolutions, moved.reopenings, moved.open) == (1, 1, 1)
    assert first not in by_department or by_department[first].resolutions == 0
    kept, rebuilt = _kept_and_rebuilt()
    assert kept == rebuilt


def test_a_rolled_back_savepoint_leaves_the_rollup_alone(report):
    report("09009", at=SEAT)
    before = _rows()
    with pytest.raises(RuntimeError), db.session.begin_nested():
        report("09009", at=(29.98, 120.04), commit=False)
        raise RuntimeError("give up this one")
    db.session.commit()
    assert _rows() == before


def _ticket(name: str, received: datetime, **fields) -> Ticket:
    ticket = Ticket(case_number=f"XC-R-{name}", status=fields.pop("status", "assigned"),
                    category=category("06012"), department_id=department("CGZF").id, lat=SEAT[0], lon=SEAT[1],
                    captured_at=received, received_at=received, **fields)
    db.session.add(ticket)
    return ticket


def test_days_are_local_calendar_days(county):
    # 23:59 and 00:01 Beijing time are different days, though both fall on the same UTC day.
    _ticket("late", datetime(2026, 6, 1, 23, 59, tzinfo=LOCAL))
    _ticket("early", datetime(2026, 6, 2, 0, 1, tzinfo=LOCAL))
    db.session.commit()
    now = datetime(2026, 6, 3, 12, tzinfo=LOCAL)
    assert kpis(Period.of_local_dates(date(2026, 6, 1), date(2026, 6, 1)), now)[None].new == 1
    assert kpis(Period.of_local_dates(date(2026, 6, 2), date(2026, 6, 2)), now)[None].new == 1
    assert trend(Period.of_local_dates(date(2026, 5, 31), date(2026, 6, 2))).new == [0, 1, 1]


def test_overdue_follows_the_clock_without_any_write(county):
    due = datetime(2026, 6, 2, 10, 0, tzinfo=LOCAL)
    _ticket("due", datetime(2026, 6, 1, 9, tzinfo=LOCAL), due_at=due)
    _ticket("nodeadline", datetime(2026, 6, 1, 9, tzinfo=LOCAL), status="reported")
    db.session.commit()
    period = Period.of_local_dates(date(2026, 6, 1), date(2026, 6, 2))
    before, after = kpis(period, due - timedelta(minutes=1))[None], kpis(period, due + timedelta(minutes=1))[None]
    assert (before.open, before.overdue) == (2, 0)
    assert (after.open, after.overdue) == (2, 1)
    assert kpis(period, due + timedelta(minutes=1), by="department")[department("CGZF").id].overdue == 1


def test_median_of_classes_is_within_half_a_class_of_the_exact_median():
    rng = random.Random(11)
    for size in (1, 2, 3, 4, 7, 50, 1001):
        for _ in range(40):
            seconds = [rng.choice((rng.uniform(0, 600), rng.lognormvariate(11, 1.5))) for _ in range(size)]
            counts = {}
            for s in seconds:
                index = kpi_rollup.resolve_class(s)
                counts[index] = counts.get(index, 0) + 1
            estimate = median_of_classes(sorted(counts.items()))
            exact = statistics.median(seconds) / 3600
            assert estimate == pytest.approx(exact, abs=(exact * 3600 + 360) * 0.025 / 3600 + 1e-9)
    assert median_of_classes([]) is None


def test_classes_cover_every_duration_without_gaps():
    for index in range(0, 300):
        low, high = kpi_rollup.class_bounds(index)
        assert kpi_rollup.resolve_class(low + 1e-6) == index
        assert kpi_rollup.resolve_class(high - 1e-6) == index
    assert kpi_rollup.resolve_class(0) == 0
    assert kpi_rollup.resolve_class(-5) == 0  # a clock running backwards counts as instant
    assert kpi_rollup.resolve_class(10 * 365 * 86400) < 300


def test_the_previous_period_has_as_many_local_days():
    period = Period.of_local_dates(date(2026, 6, 1), date(2026, 6, 10))
    assert period.previous() == Period.of_local_dates(date(2026, 5, 22), date(2026, 5, 31))
    assert (period.first_day, period.last_day) == (date(2026, 6, 1), date(2026, 6, 10))


def test_the_rebuild_command_recounts_the_dashboard(report, runner):
    report("09009", at=SEAT)
    kept = _rows()
    db.session.execute(sa.delete(KpiDay))  # as if bulk SQL had bypassed the app
    db.session.commit()
    result = runner.invoke(args=["rollups-rebuild"])
    assert result.exit_code == 0, result.output
    assert _rows() == kept


def test_blocks_cover_a_period_exactly_with_aligned_blocks():
    rng = random.Random(5)
    for _ in range(300):
        first = rng.randint(739000, 740000)
        last = first + rng.randint(0, 800)
        parts = kpi_rollup.blocks(first, last)
        assert parts[0][1] == first
        assert all(start % span == 0 for span, start in parts)
        assert all(a[1] + a[0] == b[1] for a, b in zip(parts, parts[1:], strict=False))  # contiguous
        assert parts[-1][1] + parts[-1][0] - 1 == last
        assert len(parts) <= 2 * 3 * len(kpi_rollup.CLASS_SPANS) + (last - first) // 64 + 1


def test_medians_of_any_period_count_exactly_the_tickets_resolved_in_it(county):
    rng = random.Random(8)
    start = datetime(2026, 1, 1, 8, tzinfo=LOCAL)
    tickets = []
    for i in range(80):
        received = start + timedelta(days=rng.uniform(0, 150))
        resolved = received + timedelta(hours=rng.lognormvariate(2.5, 1.2))
        tickets.append(_ticket(f"m{i}", received, status="resolved", resolved_at=resolved))
    db.session.commit()
    now = datetime(2026, 7, 1, tzinfo=LOCAL)
    for _ in range(25):
        first = date(2026, 1, 1) + timedelta(days=rng.randint(0, 140))
        last = first + timedelta(days=rng.randint(0, 100))
        in_period = [t for t in tickets if first <= t.resolved_at.astimezone(LOCAL).date() <= last]
        counts = {}
        for t in in_period:
            index = kpi_rollup.resolve_class((t.resolved_at - t.received_at).total_seconds())
            counts[index] = counts.get(index, 0) + 1
        k = kpis(Period.of_local_dates(first, last), now)[None]
        assert k.resolved == len(in_period)
        assert k.median_hours == median_of_classes(sorted(counts.items()))


def test_concurrent_resolutions_keep_both_rollups_exact(app, ticket_in, create_user, create_photo):
    """Writers commit at once, each adding to the same rows for today: no deadlock, no lost count."""
    from app.models import MapCell, User
    from app.services.supervision import map_rollup

    tickets = [ticket_in("in_progress", at=(SEAT[0] + i * 0.001, SEAT[1])) for i in range(10)]
    jobs = []
    for ticket in tickets:
        clerk = db.session.scalar(sa.select(User).where(User.department_id == ticket.department_id,
                                                        User.role == "department"))
        jobs.append((ticket.id, ticket.version, clerk.id, create_photo().sha256))
    db.session.commit()
    barrier = threading.Barrier(len(jobs))
    errors = []

    def resolve(ticket_id, version, clerk_id, photo):
        with app.app_context():
            try:
                barrier.wait()  # before any query: on SQLite every transaction here takes the write lock
                clerk = db.session.get(User, clerk_id)
                transition(ticket_id, ActionInput("resolve", version, photos=[photo]), actor_of(clerk))
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=resolve, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    db.session.rollback()
    kept, rebuilt = _kept_and_rebuilt()
    assert sum(row.resolutions for row in kept[0] if row.grouping == "all") == 10
    assert kept == rebuilt

    def cells():
        return live_rows(MapCell, ["level", "cx", "cy", "status", "category_id", "department_id", "area_id"], ["n"])

    kept_cells = cells()
    map_rollup.rebuild(db.session.connection())
    assert cells() == kept_cells
    db.session.rollback()


def test_an_uncommitted_rollup_write_holds_no_row_another_commit_waits_for(app, report, create_user, database_url):
    """A commit's map cells and dashboard days are appended deltas: a writer that wrote them and has
    not committed yet (as a slow commit would be) does not make another ticket's commit wait."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one writer at a time (BEGIN IMMEDIATE): nobody can wait on a row there")
    from app.services.supervision import map_rollup

    reporter = create_user("inspector")
    first = report("09009", at=SEAT, reporter=reporter).ticket.id
    wrote, may_end, errors = threading.Event(), threading.Event(), []

    def slow_commit() -> None:
        with app.app_context():
            try:
                conn = db.session.connection()
                for rollup in (map_rollup, kpi_rollup):  # what _before_commit does for a new ticket
                    state = rollup.snapshot(conn, [first])
                    rollup.apply(conn, {first: None}, state)
                wrote.set()
                may_end.wait(30)
                db.session.rollback()
            except Exception as exc:  # noqa: BLE001 - asserted below
                errors.append(repr(exc))
                wrote.set()
            finally:
                db.session.remove()

    thread = threading.Thread(target=slow_commit)
    thread.start()
    try:
        assert wrote.wait(30)
        # The same day and coarse cells as the slow writer's (a new ticket, not a repeat: 110 m away):
        # the old upserts waited for it here.
        db.session.execute(sa.text("SET lock_timeout = '3s'"))
        assert report("09009", at=(SEAT[0] + 1e-3, SEAT[1]), reporter=reporter).ticket.id != first
    finally:
        may_end.set()
        thread.join(30)
        db.session.rollback()
        db.session.execute(sa.text("RESET lock_timeout"))
        db.session.commit()
    assert errors == []
    kept, rebuilt = _kept_and_rebuilt()
    assert kept == rebuilt


def test_every_read_is_exact_while_writers_commit_and_the_job_folds(app, create_user):
    """Writers append deltas, a folder folds them, and a reader compares, in one statement each time,
    the dashboard's count of new tickets with the ticket table: never off by one, folded or not."""
    actor = Actor.of(create_user("inspector"))
    code = category("09009").code
    app.config["REPEAT_LINKING"] = False
    db.session.commit()
    done, errors, reads = threading.Event(), [], []
    days = rollups.live(KpiDay).c
    check = sa.select(
        sa.select(sa.func.coalesce(sa.func.sum(days.new), 0)).where(days.grouping == "all").scalar_subquery(),
        sa.select(sa.func.count(Ticket.id)).scalar_subquery())

    def writer(n: int) -> None:
        with app.app_context():
            try:
                for i in range(4):
                    intake.receive(intake.IncomingReport(
                        client_id=str(uuid.uuid4()), category_code=code, lat=SEAT[0] + (n * 4 + i) * 4e-4,
                        lon=SEAT[1], captured_at=datetime.now(UTC), location_source="device"), actor, datetime.now(UTC))
                    db.session.commit()
            except Exception as exc:  # noqa: BLE001 - asserted below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    def folder() -> None:
        with app.app_context():
            try:
                while not done.is_set():
                    rollups.fold_pending()
                    db.session.commit()
                    time.sleep(0.01)
            except Exception as exc:  # noqa: BLE001 - asserted below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    def reader() -> None:
        with app.app_context():
            try:
                while not done.is_set():
                    reads.append(tuple(db.session.execute(check).one()))
                    db.session.rollback()
            except Exception as exc:  # noqa: BLE001 - asserted below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    helpers = [threading.Thread(target=folder), threading.Thread(target=reader)]
    try:
        for thread in writers + helpers:
            thread.start()
        for thread in writers:
            thread.join(120)
    finally:
        done.set()
        for thread in helpers:
            thread.join(30)
        app.config["REPEAT_LINKING"] = True
    assert errors == []
    assert reads and all(counted == tickets for counted, tickets in reads)
    assert max(tickets for _, tickets in reads) > 0
    assert db.session.scalar(sa.select(sa.func.count(Ticket.id))) == 16
    kept, rebuilt = _kept_and_rebuilt()
    assert kept == rebuilt
