"""Keep the dashboard rollup (KpiDay, KpiResolveClass) equal to what the tickets and their history say.

Each ticket contributes to a handful of rows, computed from its state by one function, `facts()`,
used both when a change is committed (rollups hands over the state before and after; the
difference is appended to the delta tables, folded later: rollups.fold) and by rebuild() (every
ticket streamed once). One definition for both is what keeps a maintained rollup equal to a
rebuilt one. Readers read rollups.live(KpiDay): folded rows and pending deltas, summed.

A ticket's state: status, category, department, area, the times of receipt, resolution and
deadline, whether it was resolved on time, and the times of its re-openings and resolutions
(counted for the ticket's current groups, as the dashboard reports them).

Days are local calendar days of the configured TIMEZONE, as ordinals; after changing
TIMEZONE run `flask --app wsgi rollups-rebuild`. Why a rollup: docs/decisions/0005-map-clusters-and-kpis.md.
"""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.models import (
    CLASS_SPANS,
    DELTAS,
    DEPARTMENT_STATUSES,
    NOW_DAY,
    OPEN_STATUSES,
    KpiDay,
    KpiResolveClass,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from app.services.supervision.rollups import COUNTED_EVENTS, append_deltas, hold_ticket_writes, read_tickets
from app.timeutil import local_zone

DAY_MEASURES = ("new", "resolved", "resolve_seconds", "due", "closed_on_time", "reopenings", "resolutions",
                "open", "in_hand")
_INDEX = {name: i for i, name in enumerate(DAY_MEASURES)}
_NOT_COUNTED_DUE = (TicketStatus.INVALID, TicketStatus.DUPLICATE)  # never "due": not a real problem

# Time-to-resolve classes: class i holds durations in [BASE·(RATIO^i − 1), BASE·(RATIO^(i+1) − 1)) seconds.
# About 5% wide for anything over an hour, a few seconds wide near zero; 284 classes reach ten years.
CLASS_RATIO = 1.05
CLASS_BASE_S = 360.0


class State(NamedTuple):
    status: str
    category_id: int
    department_id: int
    area_id: int
    received_at: datetime
    resolved_at: datetime | None
    due_at: datetime | None
    resolved_on_time: bool | None
    events: tuple  # ((action, at), …) sorted: re-openings and resolutions


def resolve_class(seconds: float) -> int:
    return int(math.log1p(max(seconds, 0.0) / CLASS_BASE_S) / math.log(CLASS_RATIO))


def class_bounds(index: int) -> tuple[float, float]:
    """[low, high) seconds of a class."""
    return CLASS_BASE_S * (CLASS_RATIO ** index - 1), CLASS_BASE_S * (CLASS_RATIO ** (index + 1) - 1)


def day_number(value: datetime | date, zone: ZoneInfo | None = None) -> int:
    """The local calendar day's ordinal (of an aware datetime, in `zone` or the configured one)."""
    day = value.astimezone(zone or local_zone()).date() if isinstance(value, datetime) else value
    return day.toordinal()


def blocks(first: int, last: int) -> list[tuple[int, int]]:
    """Days first…last (ordinals) as few aligned (span, start) blocks of CLASS_SPANS as possible."""
    out, day = [], first
    while day <= last:
        span = next(s for s in CLASS_SPANS if day % s == 0 and day + s - 1 <= last)
        out.append((span, day))
        day += span
    return out


def facts(state: State, zone: ZoneInfo):
    """Yield (table, day, what, amount) for everything one ticket adds to the rollup, before it is
    counted in each grouping; `what` is a KpiDay measure or a KpiResolveClass class index."""
    status = getattr(state.status, "value", state.status)
    yield KpiDay, day_number(state.received_at, zone), "new", 1
    if state.resolved_at is not None:
        seconds = max(0, round((state.resolved_at - state.received_at).total_seconds()))
        resolved_day = day_number(state.resolved_at, zone)
        yield KpiDay, resolved_day, "resolved", 1
        yield KpiDay, resolved_day, "resolve_seconds", seconds
        yield KpiResolveClass, resolved_day, resolve_class(seconds), 1
    if state.due_at is not None and status not in _NOT_COUNTED_DUE:
        due_day = day_number(state.due_at, zone)
        yield KpiDay, due_day, "due", 1
        if status == TicketStatus.CLOSED and state.resolved_on_time:
            yield KpiDay, due_day, "closed_on_time", 1
    if status in OPEN_STATUSES:
        yield KpiDay, NOW_DAY, "open", 1
    if status in DEPARTMENT_STATUSES and state.due_at is not None:
        yield KpiDay, NOW_DAY, "in_hand", 1
    for action, at in state.events:
        yield KpiDay, day_number(at, zone), "reopenings" if action == "reopen" else "resolutions", 1


def _groups(department_id: int, category_id: int, area_id: int):
    return (("all", 0), ("department", department_id), ("category", category_id), ("area", area_id))


_STATE_COLUMNS = (Ticket.id, Ticket.status, Ticket.category_id, Ticket.department_id, Ticket.area_id,
                  Ticket.received_at, Ticket.resolved_at, Ticket.due_at, Ticket.resolved_on_time)
COLUMNS = _STATE_COLUMNS[1:]  # what rollups.read_tickets reads for this rollup (besides the id)


def _state(row, events) -> State:
    return State(getattr(row.status, "value", row.status), row.category_id, row.department_id or 0,
                 row.area_id or 0, row.received_at, row.resolved_at, row.due_at, row.resolved_on_time,
                 tuple(sorted(events)) if len(events) > 1 else tuple(events))


state_of = _state  # rollups.py's name for it


def snapshot(conn: sa.Connection, ids) -> dict[int, State]:
    """Each existing ticket's state with its counted events (rollups.read_tickets: one statement a chunk)."""
    return {ticket_id: _state(row, events) for ticket_id, (row, events) in read_tickets(conn, ids, COLUMNS).items()}


class _Totals:
    """Facts added up per ticket groups first (many tickets share them), then spread over the groupings."""

    def __init__(self):
        self.facts: dict[tuple, int] = defaultdict(int)
        self.zone = local_zone()

    def add(self, state: State | None, sign: int) -> None:
        if state is None:
            return
        dims = (state.department_id, state.category_id, state.area_id)
        for table, day, what, amount in facts(state, self.zone):
            self.facts[(dims, table is KpiDay, day, what)] += sign * amount

    def day_rows(self) -> dict[tuple, list[int]]:
        rows: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(DAY_MEASURES))
        for (dims, is_day, day, what), amount in self.facts.items():
            if is_day and amount:
                for grouping, group_id in _groups(*dims):
                    rows[(grouping, day, group_id)][_INDEX[what]] += amount
        return rows

    def class_rows(self, span: int) -> dict[tuple, list[int]]:
        rows: dict[tuple, list[int]] = defaultdict(lambda: [0])
        for (dims, is_day, day, what), amount in self.facts.items():
            if not is_day and amount:
                for grouping, group_id in _groups(*dims):
                    rows[(grouping, span, day - day % span, group_id, what)][0] += amount
        return rows

    def write(self, conn: sa.Connection, *, into_empty: bool = False) -> int:
        """Add the totals to the tables (a commit: as pending deltas), one span at a time, so a rebuild's
        memory stays small."""
        written = _write_rows(conn, KpiDay, DAY_MEASURES, self.day_rows(), into_empty)
        for span in CLASS_SPANS:
            written += _write_rows(conn, KpiResolveClass, ("n",), self.class_rows(span), into_empty)
        return written


def _write_rows(conn: sa.Connection, table, measures, rows: dict[tuple, list[int]], into_empty: bool,
                batch: int = 5000) -> int:
    keys = [c.name for c in table.__table__.primary_key.columns]
    if into_empty:
        # A rebuild writes millions of rows into emptied tables: plain tuples straight to the driver.
        marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        quote = conn.dialect.identifier_preparer.quote  # "grouping" is a keyword in PostgreSQL
        columns = [quote(name) for name in (*keys, *measures)]
        sql = (f"INSERT INTO {quote(table.__tablename__)} ({', '.join(columns)}) "
               f"VALUES ({', '.join([marker] * len(columns))})")
        # In key order: PostgreSQL's heap then holds a block's rows on a few pages, not one page per row.
        records = [(*key, *values) for key, values in sorted(rows.items()) if any(values)]
        for start in range(0, len(records), batch):
            conn.exec_driver_sql(sql, records[start:start + batch])
        return len(records)
    # A commit's differences are appended (no shared row updated, nothing to wait for: decision 0019).
    ordered = [(key, values) for key, values in sorted(rows.items()) if any(values)]
    for start in range(0, len(ordered), batch):
        append_deltas(conn, DELTAS[table.__table__], [
            dict(zip(keys, key, strict=True)) | dict(zip(measures, values, strict=True))
            for key, values in ordered[start:start + batch]])
    return len(ordered)


def apply(conn: sa.Connection, before: dict[int, State | None], after: dict[int, State | None]) -> int:
    """Add the difference between each ticket's state before and after; return rows touched."""
    totals = _Totals()
    for ticket_id, old in before.items():
        new = after.get(ticket_id)
        if old != new:
            totals.add(old, -1)
            totals.add(new, 1)
    return totals.write(conn)


def rebuild(conn: sa.Connection, chunk: int = 20000) -> int:
    """Recount the whole rollup from the tickets and their history; return the rows written.

    Tickets are read in id order, a chunk at a time, with their counted events. What is held in
    memory is the facts per day and ticket groups (at 1,000,000 tickets about 1 GB at the peak).
    """
    hold_ticket_writes(conn)
    for table in (KpiDay.__table__, KpiResolveClass.__table__):
        conn.execute(sa.delete(table))
        conn.execute(sa.delete(DELTAS[table]))
    totals = _Totals()
    last_id = 0
    while True:
        rows = conn.execute(sa.select(*_STATE_COLUMNS).where(Ticket.id > last_id)
                            .order_by(Ticket.id).limit(chunk)).all()
        if not rows:
            break
        first, last_id = rows[0].id, rows[-1].id
        events = defaultdict(list)
        for ticket_id, action, at in conn.execute(
                sa.select(TicketEvent.ticket_id, TicketEvent.action, TicketEvent.at)
                .where(TicketEvent.ticket_id.between(first, last_id), TicketEvent.action.in_(COUNTED_EVENTS))):
            events[ticket_id].append((action, at))
        for row in rows:
            totals.add(_state(row, events.get(row.id, ())), 1)
    return totals.write(conn, into_empty=True)
