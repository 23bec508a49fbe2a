"""Server-side clustering for the supervisor map (docs/design.md §6): counts per grid cell of a viewport.

The viewport is widened to whole cells (64 screen pixels at the asked zoom) and the answer
says which area it covers, so the clusters' counts add up exactly to the tickets in it.
Far out, and with filters the rollup knows (status, category, department, area), the counts
come from MapCell; closer in, or with a period, "overdue" or a search, they are grouped live
from the ticket table's integer cell columns. Both give the same rows:
(cell x, cell y, status, count, Σmap_x, Σmap_y, Σid).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from app.errors import ValidationFailed
from app.extensions import db
from app.models import Area, Category, Department, MapCell, Ticket, mapgrid
from app.services.actor import Actor
from app.services.supervision.gcj02 import Datum
from app.services.supervision.map_rollup import ANY, ROLLUP_LEVELS
from app.services.supervision.rollups import live
from app.services.tickets.queries import TicketFilter, filtered

MAX_CELLS = 10_000  # about four full-HD screens of cells; more means a viewport far too big for its zoom
MEMBERS_LIMIT = 2_000  # tickets listed in clusters (asked for at the highest zoom only, where cells are small)
MAX_COLUMNS = 512  # columns of cells listed one by one in a rollup read; wider (far out) reads one range


@dataclass
class _Cell:
    n: int = 0
    sx: int = 0
    sy: int = 0
    sid: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


def clusters(actor: Actor, flt: TicketFilter, bbox: tuple[float, float, float, float], zoom: int,
             now: datetime, datum: Datum, members: bool = False) -> dict:
    """A GeoJSON FeatureCollection of clusters and single tickets in `bbox` (in the tiles' datum).
    With `members`, each cluster lists its tickets (id, case number, status): at the highest zoom a
    cluster cannot be split by zooming, so this is how every ticket stays reachable."""
    zoom = max(mapgrid.MIN_ZOOM, min(mapgrid.MAX_ZOOM, zoom))
    cells = mapgrid.cells_covering(datum.bbox_to_wgs84(bbox), zoom)
    if cells.cell_count > MAX_CELLS:
        raise ValidationFailed(_("The map area is too large for this zoom level."), field="bbox")
    if _rollup_can_answer(actor, flt, zoom):
        rows, source = _from_rollup(cells, flt), "rollup"
    else:
        rows, source = _live(actor, flt, cells, now), "live"
    grouped: dict[tuple[int, int], _Cell] = {}
    for cx, cy, status, n, sx, sy, sid in rows:
        cell = grouped.setdefault((cx, cy), _Cell())
        cell.n += int(n)
        cell.sx += int(sx)
        cell.sy += int(sy)
        cell.sid += int(sid)
        cell.statuses[str(getattr(status, "value", status))] = int(n)
    kept = [(key, cell) for key, cell in sorted(grouped.items()) if cell.n > 0]
    features = [_feature(cell, datum) for _key, cell in kept]
    if members:
        listed = _members(actor, flt, cells, now)
        for (key, cell), feature in zip(kept, features, strict=True):
            if cell.n > 1:
                feature["properties"]["tickets"] = listed.get(key, [])
    return {
        "type": "FeatureCollection",
        "bbox": [round(v, 7) for v in datum.bbox_to_display(cells.bbox())],
        "zoom": zoom,
        "datum": datum.name,
        "source": source,
        "total": sum(f["properties"]["count"] for f in features),
        "features": features,
    }


def _feature(cell: _Cell, datum: Datum) -> dict:
    # Centroid of the tickets, not the cell's centre: a cluster sits where its tickets are.
    lat, lon = datum.to_display(*mapgrid.from_px(cell.sx / cell.n + 0.5, cell.sy / cell.n + 0.5))
    if cell.n == 1:
        properties = {"id": cell.sid, "count": 1, "status": next(iter(cell.statuses))}
    else:
        properties = {"count": cell.n, "statuses": cell.statuses}
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
            "properties": properties}


def _rollup_can_answer(actor: Actor, flt: TicketFilter, zoom: int) -> bool:
    """MapCell has no time, text or per-user scope: only then, and only up to its finest level."""
    return (actor.is_supervisor and zoom <= ROLLUP_LEVELS[-1] and not flt.search and flt.overdue is None
            and flt.received_from is None and flt.received_to is None)


def _from_rollup(cells: mapgrid.CellRange, flt: TicketFilter):
    m = live(MapCell).c  # folded and pending counts (decision 0019)
    level = max(cells.zoom, ROLLUP_LEVELS[0])
    k = level - cells.zoom  # below the coarsest stored level, merge its cells further
    cx = m.cx.op(">>")(k) if k else m.cx
    cy = m.cy.op(">>")(k) if k else m.cy
    x_first, x_last = cells.x0 << k, ((cells.x1 + 1) << k) - 1
    # Each column of cells as its own index range (cx = ?, cy BETWEEN …): a range over cx alone would
    # read every row of those columns, the whole county's height of them.
    columns = (m.cx.in_(range(x_first, x_last + 1)) if x_last - x_first < MAX_COLUMNS
               else m.cx.between(x_first, x_last))
    query = sa.select(
        cx, cy, m.status, sa.func.sum(m.n), sa.func.sum(m.sx), sa.func.sum(m.sy),
        sa.func.sum(m.sid),
    ).where(
        m.level == level, columns, m.cy.between(cells.y0 << k, ((cells.y1 + 1) << k) - 1),
    ).group_by(cx, cy, m.status)
    if flt.statuses:
        query = query.where(m.status.in_(flt.statuses))
    dimensions = ((Category, flt.category, m.category_id, "category"),
                  (Department, flt.department, m.department_id, "department"),
                  (Area, flt.area, m.area_id, "area"))
    chosen = sum(1 for _m, code, _c, _n in dimensions if code)
    for model, code, column, name in dimensions:
        if code:
            query = query.where(column == _id_of(model, code, name))
        elif chosen <= 1:
            query = query.where(column == ANY)  # the rows that sum over this dimension
        else:
            query = query.where(column != ANY)  # two filters or more: the full rows
    return db.session.execute(query).all()


def _id_of(model, code: str, field: str) -> int:
    found = db.session.scalar(sa.select(model.id).where(model.code == code))
    if found is None:
        raise ValidationFailed(_("Unknown code: %(c)s", c=code), field=field)
    return found


def _members(actor: Actor, flt: TicketFilter, cells: mapgrid.CellRange, now: datetime) -> dict:
    x_min, x_max, y_min, y_max = cells.px_bounds()
    cx, cy = Ticket.map_x.op(">>")(cells.shift), Ticket.map_y.op(">>")(cells.shift)
    query = sa.select(cx, cy, Ticket.id, Ticket.case_number, Ticket.status).where(
        filtered(actor, flt, now).whereclause,
        Ticket.map_x.between(x_min, x_max),
        Ticket.map_y.between(y_min, y_max),
    ).order_by(Ticket.id).limit(MEMBERS_LIMIT)
    listed: dict[tuple[int, int], list[dict]] = {}
    for x, y, ticket_id, case_number, status in db.session.execute(query):
        listed.setdefault((int(x), int(y)), []).append(
            {"id": ticket_id, "case_number": case_number, "status": str(getattr(status, "value", status))})
    return listed


def _live(actor: Actor, flt: TicketFilter, cells: mapgrid.CellRange, now: datetime):
    x_min, x_max, y_min, y_max = cells.px_bounds()
    cx, cy = Ticket.map_x.op(">>")(cells.shift), Ticket.map_y.op(">>")(cells.shift)
    query = sa.select(
        cx, cy, Ticket.status, sa.func.count(), sa.func.sum(Ticket.map_x), sa.func.sum(Ticket.map_y),
        sa.func.sum(Ticket.id),
    ).where(
        filtered(actor, flt, now).whereclause,
        Ticket.map_x.between(x_min, x_max),
        Ticket.map_y.between(y_min, y_max),
    ).group_by(cx, cy, Ticket.status)
    return db.session.execute(query).all()
