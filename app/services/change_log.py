"""The write side of the sync change feed: note what changed in a unit of work, record it at commit.

Phones follow the feed with a cursor (docs/design.md §3), so a change must never appear with a
number smaller than one a phone has already read. An autoincrement key alone does not give
that on PostgreSQL: sequence numbers are handed out at insert time, transactions commit in
another order. So nothing is inserted while the work runs; at commit, under one transaction-level
advisory lock taken last (after every other lock, so it cannot deadlock), the rows are inserted
and numbered in commit order; on PostgreSQL the lock and the INSERT are one statement. SQLite
serialises writers anyway (BEGIN IMMEDIATE).
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Category, Change, Ticket
from app.timeutil import now_utc

_PENDING = "xuncha_pending_changes"
_FEED_LOCK = 0x5843_4645  # "XCFE": any constant other advisory locks in the app do not use


def ticket_changed(ticket: Ticket) -> None:
    """Tell the ticket's followers (its reporters, its re-inspector) that it changed."""
    _pending(sa.inspect(ticket).session or db.session).append(("ticket", ticket))


def install(session_target) -> None:
    """Listen to `session_target` (db.session) and to category writes; called by commit_hooks."""
    for target, name, handler in ((Category, "after_insert", _category_changed),
                                  (Category, "after_update", _category_changed),
                                  (session_target, "before_commit", _record_changes),
                                  (session_target, "after_transaction_end", _forget_rolled_back)):
        if not sa.event.contains(target, name, handler):
            sa.event.listen(target, name, handler)


def _category_changed(_mapper, _connection, category: Category) -> None:
    # Categories are edited from several places (admin pages, seed, CLI): catch them all here.
    session = sa.inspect(category).session
    if session is not None:
        _pending(session).append(("category", category))


def _pending(session: Session) -> list:
    return session.info.setdefault(_PENDING, [])


def _record_changes(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.flush()  # what commit would flush next: new tickets get ids, category edits report themselves
    rows, seen = [], set()
    for kind, obj in session.info.pop(_PENDING, []):
        # An object created inside a rolled-back savepoint is no longer persistent: nothing happened.
        if not sa.inspect(obj).persistent or (kind, obj.id) in seen:
            continue
        seen.add((kind, obj.id))
        rows.append({"kind": kind, "ticket_id": obj.id if kind == "ticket" else None,
                     "category_id": obj.id if kind == "category" else None})
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_insert_under_feed_lock(rows, now_utc()))
        return
    session.execute(sa.insert(Change), rows)


def _insert_under_feed_lock(rows: list[dict], at) -> sa.Insert:
    """INSERT … SELECT from the rows joined to the lock, in one statement (one round trip a commit).

    No row reaches the INSERT, which is where `seq` is drawn, before the join has the lock's row: the
    numbers are drawn under the lock. The lock is volatile, so PostgreSQL never folds it away."""
    lock = sa.select(sa.func.pg_advisory_xact_lock(_FEED_LOCK).label("held")).cte("feed_lock")
    values = sa.values(sa.column("kind", sa.String), sa.column("ticket_id", sa.Integer),
                       sa.column("category_id", sa.Integer), name="changed").data(
        [(row["kind"], row["ticket_id"], row["category_id"]) for row in rows])
    # A VALUES column of NULLs is text to PostgreSQL: each is cast to its column's type.
    chosen = sa.select(values.c.kind, sa.cast(values.c.ticket_id, sa.Integer),
                       sa.cast(values.c.category_id, sa.Integer), sa.literal(at, Change.at.type)
                       ).select_from(values).join(lock, sa.true())
    return sa.insert(Change).from_select(["kind", "ticket_id", "category_id", "at"], chosen)


def _forget_rolled_back(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
