"""Keep MapCell (ticket counts per map cell and zoom) equal to what the ticket table says.

supervision/rollups.py notices every changed ticket and, at commit, hands this module the tickets'
map keys before and after; apply() appends the differences to map_cell_delta, which rollups.fold()
adds to the cells later (readers sum both: rollups.live(MapCell)). Writes that bypass the ORM
(bulk INSERT/UPDATE of status, category, department, area or position) must call rebuild()
afterwards; the demo seed does, and so does `flask --app wsgi rollups-rebuild`. Why a rollup at
all: docs/decisions/0005-map-clusters-and-kpis.md; why deltas: 0019.
"""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.models import MapCell, Ticket, mapgrid
from app.models.rollup_delta import MAP_CELL_DELTA
from app.services.supervision.rollups import append_deltas, hold_ticket_writes, read_tickets

# Zooms answered from MapCell (Leaflet's usual maximum is 18). A filter MapCell cannot answer
# (period, overdue, search) groups live from the ticket table at any zoom.
ROLLUP_LEVELS = range(8, 19)

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

# What rollups.read_tickets reads for this rollup (besides the id).
COLUMNS = (Ticket.status, Ticket.category_id, Ticket.department_id, Ticket.area_id, Ticket.map_x, Ticket.map_y)


def install(session_target) -> None:
    """Recompute a moved ticket's map position before it is flushed (the counts: ticket_rollups)."""
    if not sa.event.contains(session_target, "before_flush", _update_positions):
        sa.event.listen(session_target, "before_flush", _update_positions)


def _update_positions(session: so.Session, _context, _instances) -> None:
    for obj in session.dirty:
        if isinstance(obj, Ticket) and _moved(obj):
            obj.map_x, obj.map_y = mapgrid.to_px(obj.lat, obj.lon)


def _moved(ticket: Ticket) -> bool:
    state = sa.inspect(ticket)
    return state.attrs.lat.history.has_changes() or state.attrs.lon.history.has_changes()


def _key(row) -> tuple:
    status = getattr(row.status, "value", row.status)
    return (status, row.category_id, row.department_id or 0, row.area_id or 0, row.map_x, row.map_y)


def state_of(row, _events) -> tuple:
    """rollups.py's name for a ticket's map key (the history does not move a ticket on the map)."""
    return _key(row)


def snapshot(conn: sa.Connection, ids) -> dict[int, tuple]:
    """Each existing ticket's map key: (status, category, department, area, map_x, map_y)."""
    return {ticket_id: _key(row) for ticket_id, (row, _events)
            in read_tickets(conn, ids, COLUMNS, with_events=False).items()}


def apply(conn: sa.Connection, before: dict[int, tuple | None], after: dict[int, tuple | None]) -> int:
    """Append the difference between each ticket's key before and after; return rows written."""
    deltas: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for ticket_id, old in before.items():
        new = after.get(ticket_id)
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
                    delta = deltas[(level, *dims, x >> shift, y >> shift, status)]  # the key's order
                    delta[0] += sign
                    delta[1] += sign * x
                    delta[2] += sign * y
                    delta[3] += sign * ticket_id
    rows = [dict(zip(("level", "category_id", "department_id", "area_id", "cx", "cy", "status"), key, strict=True),
                 n=d[0], sx=d[1], sy=d[2], sid=d[3])
            for key, d in sorted(deltas.items()) if any(d)]
    append_deltas(conn, MAP_CELL_DELTA, rows)  # appended: no shared cell locked (decision 0019)
    return len(rows)


def rebuild(conn: sa.Connection) -> None:
    """Recount every cell from the ticket table (after bulk writes that bypassed the ORM).

    Rows go in cell order, so a viewport's rows sit on few pages (PostgreSQL reads the heap for each).
    """
    hold_ticket_writes(conn)
    conn.execute(sa.delete(MapCell))
    conn.execute(sa.delete(MAP_CELL_DELTA))
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
