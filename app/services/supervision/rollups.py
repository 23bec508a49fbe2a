"""Keep the rollup tables (map cells, dashboard days) equal to what the ticket table says.

Every ORM change to a ticket, and every new history event, is noticed at flush time: the
ticket's state as this transaction found it is read from the database (so a change made
through a relationship is seen too) and remembered per rollup. Just before the outermost
COMMIT each rollup reads the tickets' final state and adds the differences, in one upsert in
key order. Reading the final state at commit (rather than counting what each flush did) keeps
savepoints right: a rolled-back savepoint leaves nothing to count. The differences are appended
to the rollups' delta tables (app/models/rollup_delta.py), never added to a shared row: concurrent
writers do not wait on each other's map cells and dashboard days (decision 0019). fold(), run by
a scheduled job, moves the pending deltas into the rollup tables; readers read live(table), the
folded rows and the pending ones in one statement, so what they count is exact at every moment.

A rollup is a module with COLUMNS (the ticket columns its state needs), `state_of(row, events) -> state`
(events: the ticket's counted history events as (action, at)), and `apply(conn, before, after)` where
before/after map every tracked id to a state or None. Every rollup's states are taken from one read
of the tickets (read_tickets): a commit that touches a ticket pays one round trip for all of them.
Writes that bypass the ORM must call each rollup's rebuild() afterwards (`flask rollups-rebuild`).
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.models import DELTAS, Ticket, TicketEvent

COUNTED_EVENTS = ("reopen", "resolve")  # history events that a rollup counts (the rework rate)

_TRACKED = "ticket_rollups_before"  # session.info: ticket id → (state before, per rollup)


def _rollups():
    from app.services.supervision import kpi_rollup, map_rollup

    return (map_rollup, kpi_rollup)  # the order every transaction applies them in


BY_NAME = {"map": "map_rollup", "kpi": "kpi_rollup"}  # what a migration may ask to recount


def rebuild(conn: sa.Connection, names=BY_NAME) -> None:
    """Recount the named rollups (all by default) from the ticket table, in the usual order."""
    for rollup in _rollups():
        if any(BY_NAME[name] == rollup.__name__.rsplit(".", 1)[-1] for name in names):
            rollup.rebuild(conn)


def install(session_target) -> None:
    """Listen to `session_target` (db.session); safe to call for every app the process creates."""
    for name, handler in (("before_flush", _before_flush), ("after_flush", _after_flush),
                          ("before_commit", _before_commit), ("after_transaction_end", _after_transaction_end)):
        if not sa.event.contains(session_target, name, handler):
            sa.event.listen(session_target, name, handler)


def _before_flush(session: so.Session, _context, _instances) -> None:
    tracked = session.info.setdefault(_TRACKED, {})
    touched = set()
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Ticket) and obj.id is not None:
            touched.add(obj.id)
    for obj in session.new:
        if isinstance(obj, TicketEvent) and obj.action in COUNTED_EVENTS:
            ticket = obj.__dict__.get("ticket")  # without loading it
            ticket_id = obj.ticket_id if obj.ticket_id is not None else getattr(ticket, "id", None)
            if ticket_id is not None:
                touched.add(ticket_id)
    touched -= tracked.keys()
    if touched:
        # The database still holds the pre-flush state: the state as this transaction found it.
        conn = session.connection()
        states = _snapshots(conn, touched)
        for ticket_id in touched:
            tracked[ticket_id] = tuple(state.get(ticket_id) for state in states)


def _after_flush(session: so.Session, _context) -> None:
    tracked = session.info.setdefault(_TRACKED, {})
    for obj in session.new:
        if isinstance(obj, Ticket) and obj.id not in tracked:
            tracked[obj.id] = (None,) * len(_rollups())  # did not exist when the transaction began


def _before_commit(session: so.Session) -> None:
    if session.in_nested_transaction():
        return
    session.flush()  # first: changes not flushed yet report themselves (a hook order must not matter)
    tracked = session.info.pop(_TRACKED, None)
    if not tracked:
        return
    conn = session.connection()
    afters = _snapshots(conn, tracked.keys())  # the applies write delta tables only, never a ticket
    for index, rollup in enumerate(_rollups()):
        before = {ticket_id: states[index] for ticket_id, states in tracked.items()}
        rollup.apply(conn, before, {ticket_id: afters[index].get(ticket_id) for ticket_id in before})


def _after_transaction_end(session: so.Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_TRACKED, None)


def live(table) -> sa.Subquery:
    """A rollup table as readers must see it: its folded rows and its pending deltas (sum them)."""
    table = getattr(table, "__table__", table)
    delta = DELTAS[table]
    names = [column.name for column in table.columns]
    return sa.union_all(sa.select(*[table.c[name] for name in names]),
                        sa.select(*[delta.c[name] for name in names])).subquery(f"{table.name}_live")


def append_deltas(conn: sa.Connection, delta: sa.Table, rows: list[dict]) -> None:
    """Append `rows` (every column of `delta` but its id) to a delta table, in the order given.

    PostgreSQL: one INSERT … SELECT FROM unnest(one array per column), a single statement whatever
    the number of rows. A new ticket appends 55 map rows: as an executemany they were 55 statements in
    psycopg's pipeline (1.4 ms; unnest 1.0 ms, measured), and a multi-row VALUES was a new SQL text to
    compile for every row count (11 ms). SQLite runs in-process: an executemany of plain tuples, without
    SQLAlchemy's processing of each row's parameters."""
    if not rows:
        return
    columns = [column for column in delta.columns if column.name in rows[0]]
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in columns)
    if conn.dialect.name != "postgresql":
        conn.exec_driver_sql(f"INSERT INTO {quote(delta.name)} ({names}) VALUES ({', '.join('?' * len(columns))})",
                             [tuple(row[column.name] for column in columns) for row in rows])
        return
    arrays = ", ".join(f"%s::{column.type.compile(dialect=conn.dialect)}[]" for column in columns)
    conn.exec_driver_sql(f"INSERT INTO {quote(delta.name)} ({names}) SELECT * FROM unnest({arrays})",
                         tuple([row[column.name] for row in rows] for column in columns))


def fold(conn: sa.Connection) -> int:
    """Add the pending deltas to their rollup tables and remove them; return the rollup rows updated.

    PostgreSQL: one statement per table (DELETE … RETURNING into an upsert), so a delta committed
    meanwhile is either folded or left pending, never lost or counted twice, and a reader's one
    statement sees either the deltas or their sum. Writers only insert deltas: nothing here makes
    them wait. SQLite: this transaction holds the write lock, so up to the highest id is exact.
    """
    folded = 0
    quote = conn.dialect.identifier_preparer.quote  # "grouping" is a keyword in PostgreSQL
    for table, delta in DELTAS.items():
        keys = [quote(c.name) for c in table.primary_key.columns]
        measures = [quote(c.name) for c in table.columns if not c.primary_key]
        columns = ", ".join(keys + measures)
        sums = ", ".join(keys + [f"sum({m})" for m in measures])
        upsert = (f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
                  + ", ".join(f"{m} = {quote(table.name)}.{m} + excluded.{m}" for m in measures))
        if conn.dialect.name == "postgresql":
            result = conn.exec_driver_sql(
                f"WITH gone AS (DELETE FROM {quote(delta.name)} RETURNING {columns}) "
                f"INSERT INTO {quote(table.name)} ({columns}) SELECT {sums} FROM gone "
                f"GROUP BY {', '.join(keys)} ORDER BY {', '.join(keys)} {upsert}")
            folded += result.rowcount
            continue
        last = conn.execute(sa.select(sa.func.max(delta.c.id))).scalar()
        if last is None:
            continue
        result = conn.execute(sa.text(
            f"INSERT INTO {quote(table.name)} ({columns}) SELECT {sums} FROM {quote(delta.name)} "
            f"WHERE id <= :last GROUP BY {', '.join(keys)} {upsert}"), {"last": last})
        folded += result.rowcount
        conn.execute(sa.delete(delta).where(delta.c.id <= last))
    return folded


def fold_pending(_now=None) -> int:
    """The scheduled job (app/jobs/scheduler.py): fold in this unit of work; the runner commits."""
    from app.extensions import db

    return fold(db.session.connection())


def hold_ticket_writes(conn: sa.Connection) -> None:
    """Make writers wait until this transaction (a rebuild) ends: a ticket change committed while a
    rebuild reads would be counted by the rebuild and again by its writer. SQLite: our transactions
    already hold the one write lock (BEGIN IMMEDIATE)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE ticket, ticket_event IN SHARE MODE")


def _snapshots(conn: sa.Connection, ids) -> list[dict]:
    """Each rollup's state of each existing ticket among `ids`, in the rollups' order."""
    rollups = _rollups()
    columns = list(dict.fromkeys(column for rollup in rollups for column in rollup.COLUMNS))
    tickets = read_tickets(conn, ids, columns)
    return [{ticket_id: rollup.state_of(row, events) for ticket_id, (row, events) in tickets.items()}
            for rollup in rollups]


def read_tickets(conn: sa.Connection, ids, columns, *, with_events: bool = True) -> dict[int, tuple]:
    """{id: (row of `columns`, its counted events as (action, at))} for the existing tickets among `ids`,
    in one statement per chunk: a row per counted event, or one row without (an outer join)."""
    out: dict[int, tuple] = {}
    counted = sa.and_(TicketEvent.ticket_id == Ticket.id, TicketEvent.action.in_(COUNTED_EVENTS))
    for chunk in in_chunks(ids):
        if not with_events:
            out.update((row.id, (row, ())) for row in conn.execute(
                sa.select(Ticket.id, *columns).where(Ticket.id.in_(chunk))))
            continue
        rows, events = {}, {}
        for row in conn.execute(sa.select(Ticket.id, *columns, TicketEvent.action, TicketEvent.at.label("event_at"))
                                .select_from(Ticket).outerjoin(TicketEvent, counted).where(Ticket.id.in_(chunk))):
            rows[row.id] = row
            if row.action is not None:
                events.setdefault(row.id, []).append((row.action, row.event_at))
        out.update((ticket_id, (row, tuple(events.get(ticket_id, ())))) for ticket_id, row in rows.items())
    return out


def in_chunks(ids, size: int = 5000):
    """`ids` in lists small enough for an IN (…) list."""
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start:start + size]
