"""`seed_tickets` makes a county a supervisor can recognise: clustered along streets and around
markets, every category and status, young and old tickets, histories that fit the status."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import sqlalchemy as sa
from shapely.geometry import Point, shape

from app import seed
from app.extensions import db
from app.models import Area, AreaKind, Category, MapCell, Ticket, TicketEvent, TicketStatus, mapgrid
from app.services.reports import geo
from app.services.supervision import map_rollup
from app.timeutil import now_utc


def test_seeded_tickets_cover_every_category_status_and_age(county):
    now = now_utc()
    assert seed.seed_tickets(3000, seed=3, now=now) == 3000
    db.session.commit()
    rows = db.session.execute(sa.select(Ticket.status, Ticket.category_id, Ticket.received_at)).all()
    assert {r.status for r in rows} == set(TicketStatus)
    assert {r.category_id for r in rows} == set(db.session.scalars(sa.select(Category.id)))
    ages = [(now - r.received_at).total_seconds() / 86400 for r in rows]
    assert min(ages) < 1 and max(ages) > 50  # from today back to two months
    statuses_by_age = Counter((age > 30, r.status.value) for age, r in zip(ages, rows, strict=True))
    old_total = sum(n for (old, _s), n in statuses_by_age.items() if old)
    assert statuses_by_age[(True, "closed")] > 0.7 * old_total  # old tickets are mostly closed


def test_seeded_positions_cluster_inside_the_county_and_their_areas(county):
    seed.seed_tickets(2000, seed=4)
    db.session.commit()
    county_shape = shape(db.session.scalar(sa.select(Area.geometry).where(Area.kind == AreaKind.COUNTY)))
    rows = db.session.execute(sa.select(Ticket.lat, Ticket.lon, Ticket.area_id, Ticket.map_x, Ticket.map_y)).all()
    assert all(county_shape.covers(Point(r.lon, r.lat)) for r in rows)
    sample = rows[::40]
    assert all(r.area_id == getattr(geo.area_at(r.lat, r.lon), "id", None) for r in sample)
    assert all((r.map_x, r.map_y) == mapgrid.to_px(r.lat, r.lon) for r in sample)
    # Clustered, not uniform: at zoom 14 (cells of ~500 m) a tenth of the occupied cells hold half the tickets.
    cells = Counter((r.map_x >> mapgrid.shift_for(14), r.map_y >> mapgrid.shift_for(14)) for r in rows)
    busiest = sorted(cells.values(), reverse=True)[: max(1, len(cells) // 10)]
    assert sum(busiest) > 0.5 * len(rows)


def test_seeded_histories_match_the_tickets(county):
    seed.seed_tickets(500, seed=9)
    db.session.commit()
    tickets = {t.id: t for t in db.session.scalars(sa.select(Ticket))}
    events: dict[int, list[TicketEvent]] = {}
    for event in db.session.scalars(sa.select(TicketEvent).order_by(TicketEvent.at, TicketEvent.id)):
        events.setdefault(event.ticket_id, []).append(event)
    for ticket_id, ticket in tickets.items():
        history = events[ticket_id]
        assert history[0].action == "report" and history[-1].to_status == ticket.status.value
        assert history[-1].at <= now_utc() + timedelta(seconds=1)
        assert ticket.rework_count == sum(e.action == "reopen" for e in history)
        if ticket.resolved_at is not None:
            assert ticket.resolved_on_time == (ticket.resolved_at <= ticket.due_at)
    assert len({t.case_number for t in tickets.values()}) == 500
    assert _counted(10) == 500


def test_seeding_twice_adds_tickets_with_new_ids(county):
    seed.seed_tickets(50, seed=1)
    seed.seed_tickets(50, seed=2)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(sa.distinct(Ticket.id)))) == 100
    assert _counted(12) == 100


def _counted(level: int) -> int:
    """Tickets in the map rollup at `level`, from its status-only rows."""
    return db.session.scalar(sa.select(sa.func.sum(MapCell.n)).where(
        MapCell.level == level, MapCell.category_id == map_rollup.ANY, MapCell.department_id == map_rollup.ANY,
        MapCell.area_id == map_rollup.ANY))
