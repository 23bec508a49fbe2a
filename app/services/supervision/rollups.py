"""Keep the rollup tables (map cells, dashboard days) equal to what the ticket table says.

Every ORM change to a ticket, and every new history event, is noticed at flush time: the
ticket's state as this transaction found it is read from the database (so a change made
through a relationship is seen too) and remembered per rollup. Just before the outermost
COMMIT each rollup reads the tickets' final state and adds the differences, in one upsert in
key order. Reading the final state at commit (rather than counting what each flush did) keeps
savepoints right: a rolled-back savepoint leaves nothing to count. Applying the upserts last,
each table in one key order and the tables always in the same order, keeps PostgreSQL row locks
short and concurrent writers queueing instead of deadlocking.

A rollup is a module with `snapshot(conn, ids) -> {id: state}` (only existing tickets) and
`apply(conn, before, after)` where before/after map every tracked id to a state or None.
Writes that bypass the ORM must call each rollup's rebuild() afterwards (`flask rollups-rebuild`).
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.models import Ticket, TicketEvent

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
        states = [rollup.snapshot(conn, touched) for rollup in _rollups()]
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
    for index, rollup in enumerate(_rollups()):
        before = {ticket_id: states[index] for ticket_id, states in tracked.items()}
        after = rollup.snapshot(conn, before.keys())
        rollup.apply(conn, before, {ticket_id: after.get(ticket_id) for ticket_id in before})


def _after_transaction_end(session: so.Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_TRACKED, None)


def hold_ticket_writes(conn: sa.Connection) -> None:
    """Make writers wait until this transaction (a rebuild) ends: a ticket change committed while a
    rebuild reads would be counted by the rebuild and again by its writer. SQLite: our transactions
    already hold the one write lock (BEGIN IMMEDIATE)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE ticket, ticket_event IN SHARE MODE")


def in_chunks(ids, size: int = 5000):
    """`ids` in lists small enough for an IN (…) list."""
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start:start + size]
