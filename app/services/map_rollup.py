"""Keep MapCell (ticket counts per map cell and zoom) equal to what the ticket table says.

Every ORM change to a ticket is noticed at flush time; just before the outermost COMMIT the
changed tickets' keys are read back from the database and the differences are added to the
cells, in one upsert in key order. Reading the final state at commit (rather than counting
what each flush did) keeps savepoints right: a rolled-back savepoint leaves nothing to count.
Applying the upsert last, sorted, keeps row locks short and in one order on PostgreSQL, so
concurrent writers queue instead of deadlocking.

Writes that bypass the ORM (bulk INSERT/UPDATE of status, category, department, area or
position) must call rebuild() afterwards; the demo seed does. `flask --app wsgi
map-cells-rebuild` does the same by hand. Why a rollup at all: docs/decisions/0005-map-clusters-and-kpis.md.
"""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql, sqlite

from app.models import MapCell, Ticket
from app.services import mapgrid

# Zooms answered from MapCell (Leaflet's usual maximum is 18). A filter MapCell cannot answer
# (period, overdue, search) groups live from the ticket table at any zoom.
ROLLUP_LEVELS = range(8, 19)
_TRACKED = "map_rollup_tracked"  # session.info: ticket id → its key when the transaction began

# Every ticket is counted in five groupings of (category, department, area); ANY marks a dimension
# summed over. An unfiltered map reads the status-only rows, a map filtered by one dimension that
# dimension's rows: a few per cell instead of one per (category, department, area) present.
ANY = -1
GROUPINGS = {  # name → which of (category, department, area) the rows keep
    "status": (False, False, False),
    "category": (True, False, False),
    "department": (False, True, False),
    "area": (False, False, True),
    "full": (True, True, True),
}

_KEY_COLUMNS = (Ticket.id, Ticket.status, Ticket.category_id, Ticket.department_id, Ticket.area_id,
                Ticket.map_x, Ticket.map_y)


def install(session_target) -> None:
    """Listen to `session_target` (db.session); safe to call for every app the process creates."""
    for name, handler in (("before_flush", _before_flush), ("after_flush", _after_flush),
                          ("before_commit", _before_commit), ("after_transaction_end", _after_transaction_end)):
        if not sa.event.contains(session_target, name, handler):
            sa.event.listen(session_target, name, handler)


def _key(row) -> tuple | None:
    if row is None:
        return None
    status = getattr(row.status, "value", row.status)
    return (status, row.category_id, row.department_id or 0, row.area_id or 0, row.map_x, row.map_y)


def _before_flush(session: so.Session, _context, _instances) -> None:
    tracked = session.info.setdefault(_TRACKED, {})
    touched = []
    for obj in session.dirty:
        if isinstance(obj, Ticket) and _moved(obj):
            obj.map_x, obj.map_y = mapgrid.to_px(obj.lat, obj.lon)
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Ticket) and obj.id is not None and obj.id not in tracked:
            touched.append(obj.id)
    if touched:
        # The database still holds the pre-flush state: the key as this transaction found it.
        rows = session.connection().execute(sa.select(*_KEY_COLUMNS).where(Ticket.id.in_(touched)))
        for row in rows:
            tracked[row.id] = _key(row)


def _moved(ticket: Ticket) -> bool:
    state = sa.inspect(ticket)
    return state.attrs.lat.history.has_changes() or state.attrs.lon.history.has_changes()


def _after_flush(session: so.Session, _context) -> None:
    tracked = session.info.setdefault(_TRACKED, {})
    for obj in session.new:
        if isinstance(obj, Ticket) and obj.id not in tracked:
            tracked[obj.id] = None  # did not exist when the transaction began


def _before_commit(session: so.Session) -> None:
    if session.in_nested_transaction() or not session.info.get(_TRACKED):
        return
    session.flush()
    tracked = session.info.pop(_TRACKED, {})
    apply_changes(session.connection(), tracked)


def _after_transaction_end(session: so.Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_TRACKED, None)


def apply_changes(conn: sa.Connection, before: dict[int, tuple | None]) -> int:
    """Add to MapCell the difference between each ticket's key `before` and now; return rows touched."""
    if not before:
        return 0
    now = {}
    ids = list(before)
    for start in range(0, len(ids), 5000):
        for row in conn.execute(sa.select(*_KEY_COLUMNS).where(Ticket.id.in_(ids[start:start + 5000]))):
            now[row.id] = _key(row)
    deltas: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for ticket_id, old in before.items():
        new = now.get(ticket_id)
        if old == new:
            continue
        for key, sign in ((old, -1), (new, 1)):
            if key is None:
                continue
            status, category_id, department_id, area_id, x, y = key
            for level in ROLLUP_LEVELS:
                shift = mapgrid.shift_for(level)
                for keep in GROUPINGS.values():
                    dims = [value if kept else ANY for value, kept in
                            zip((category_id, department_id, area_id), keep, strict=True)]
                    delta = deltas[(level, x >> shift, y >> shift, status, *dims)]
                    delta[0] += sign
                    delta[1] += sign * x
                    delta[2] += sign * y
                    delta[3] += sign * ticket_id
    rows = [dict(zip(("level", "cx", "cy", "status", "category_id", "department_id", "area_id"), key, strict=True),
                 n=d[0], sx=d[1], sy=d[2], sid=d[3])
            for key, d in sorted(deltas.items()) if any(d)]
    if rows:
        conn.execute(_upsert(conn), rows)
    return len(rows)


def _upsert(conn: sa.Connection):
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(MapCell)
    excluded = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=[c.name for c in MapCell.__table__.primary_key.columns],
        set_={"n": MapCell.n + excluded.n, "sx": MapCell.sx + excluded.sx, "sy": MapCell.sy + excluded.sy,
              "sid": MapCell.sid + excluded.sid},
    )


def rebuild(conn: sa.Connection) -> None:
    """Recount every cell from the ticket table (after bulk writes that bypassed the ORM).

    Rows go in cell order, so a viewport's rows sit on few pages (PostgreSQL reads the heap for each).
    """
    conn.execute(sa.delete(MapCell))
    finest = ROLLUP_LEVELS[-1]
    shift = mapgrid.shift_for(finest)
    columns = ("level", "cx", "cy", "status", "category_id", "department_id", "area_id", "n", "sx", "sy", "sid")
    cx, cy = Ticket.map_x.op(">>")(shift), Ticket.map_y.op(">>")(shift)
    dims = (Ticket.category_id, sa.func.coalesce(Ticket.department_id, 0), sa.func.coalesce(Ticket.area_id, 0))
    for keep in GROUPINGS.values():
        kept = [d for d, k in zip(dims, keep, strict=True) if k]
        values = [d if k else sa.literal(ANY) for d, k in zip(dims, keep, strict=True)]
        conn.execute(sa.insert(MapCell).from_select(columns, sa.select(
            sa.literal(finest), cx, cy, Ticket.status, *values,
            sa.func.count(), sa.func.sum(Ticket.map_x), sa.func.sum(Ticket.map_y), sa.func.sum(Ticket.id),
        ).group_by(cx, cy, Ticket.status, *kept).order_by(cx, cy)))
    # Each coarser level is the next finer one with its cell indexes halved.
    for level in reversed(ROLLUP_LEVELS[:-1]):
        cx, cy = MapCell.cx.op(">>")(1), MapCell.cy.op(">>")(1)
        keys = (cx, cy, MapCell.status, MapCell.category_id, MapCell.department_id, MapCell.area_id)
        conn.execute(sa.insert(MapCell).from_select(columns, sa.select(
            sa.literal(level), *keys, sa.func.sum(MapCell.n), sa.func.sum(MapCell.sx), sa.func.sum(MapCell.sy),
            sa.func.sum(MapCell.sid),
        ).where(MapCell.level == level + 1).group_by(*keys).order_by(*keys[:2])))
