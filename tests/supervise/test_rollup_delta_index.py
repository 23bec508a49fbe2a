"""Pending rollup deltas are found by index: a stopped scheduler makes a map read slower, not a scan."""
from __future__ import annotations

import random

import sqlalchemy as sa

from app.extensions import db
from app.models import MapCell
from app.models.rollup_delta import MAP_CELL_DELTA
from app.services.supervision.map_rollup import ANY
from app.services.supervision.rollups import live

PENDING = 20_000  # a busy county's day of ticket changes with the fold job stopped


def _plan(statement) -> str:
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    explain = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
    rows = db.session.execute(sa.text(explain + str(compiled))).all()
    return "\n".join(" ".join(str(value) for value in row) for row in rows)


def test_a_map_read_finds_the_pending_deltas_of_its_cells_by_index(app):
    rng = random.Random(7)
    db.session.execute(sa.insert(MAP_CELL_DELTA), [
        {"level": rng.choice((8, 10, 12, 14)), "category_id": ANY, "department_id": ANY, "area_id": ANY,
         "cx": rng.randrange(4096), "cy": rng.randrange(4096), "status": "reported", "n": 1, "sx": 0, "sy": 0,
         "sid": 0} for _ in range(PENDING)])
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    m = live(MapCell).c
    read = sa.select(m.cx, m.cy, sa.func.sum(m.n)).where(   # the shape of map_clusters._from_rollup
        m.level == 12, m.category_id == ANY, m.department_id == ANY, m.area_id == ANY,
        m.cx.in_(range(100, 104)), m.cy.between(200, 260)).group_by(m.cx, m.cy)
    plan = _plan(read)
    assert "ix_map_cell_delta_key" in plan, plan
