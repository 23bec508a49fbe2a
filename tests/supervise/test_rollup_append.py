"""rollups.append_deltas writes exactly the rows it is given, in order, in one statement per table
(PostgreSQL: INSERT … SELECT FROM unnest, one array per column; SQLite: plain tuples)."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.rollup_delta import KPI_DAY_DELTA, MAP_CELL_DELTA
from app.services.supervision.map_rollup import ANY
from app.services.supervision.rollups import append_deltas


def _read(table) -> list[dict]:
    names = [c.name for c in table.columns if c.name != "id"]
    return [dict(zip(names, row, strict=True)) for row in db.session.execute(
        sa.select(*[table.c[name] for name in names]).order_by(table.c.id))]


def _append_counting_statements(table, rows) -> int:
    """How many statements the append sent for `table`; on PostgreSQL each must be one statement to the
    server (an executemany is one per row in psycopg's pipeline: what append_deltas replaced)."""
    statements = []

    def note(conn, _cursor, statement, _parameters, _context, executemany):
        if table.name in statement:
            statements.append(statement)
            assert not (executemany and conn.dialect.name == "postgresql"), statement

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        append_deltas(db.session.connection(), table, rows)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    db.session.commit()
    return len(statements)


def test_a_new_tickets_55_map_rows_go_in_one_statement_as_given(app):
    # Counts that cancel (negative) and sums of positions and ids past 32 bits (sx, sy, sid are BIGINT).
    rows = [{"level": level, "category_id": category, "department_id": ANY, "area_id": 7, "cx": level * 3,
             "cy": 4000 - level, "status": "reported" if level % 2 else "in_progress", "n": 1,
             "sx": 2**40 + level, "sy": 2**62 - 1, "sid": 123456789012}
            for level in range(8, 19) for category in (ANY, 1, 2, 3, 4)]
    rows[-1] = {**rows[-1], "n": -1, "sx": -(2**40), "sy": -(2**62 - 1), "sid": -1}
    assert _append_counting_statements(MAP_CELL_DELTA, rows) == 1
    assert _read(MAP_CELL_DELTA) == rows


def test_a_dashboard_row_with_a_keyword_column_and_no_rows_at_all(app):
    rows = [{"grouping": grouping, "day": 20_000 + n, "group_id": n, "new": 1, "resolved": 0,
             "resolve_seconds": 86_400 * 400, "due": 0, "closed_on_time": 0, "reopenings": -1, "resolutions": 0,
             "open": 1, "in_hand": 0} for n, grouping in enumerate(("county", "department", "category"))]
    assert _append_counting_statements(KPI_DAY_DELTA, rows) == 1  # "grouping" is a keyword in PostgreSQL
    assert _read(KPI_DAY_DELTA) == rows
    assert _append_counting_statements(KPI_DAY_DELTA, []) == 0
    assert len(_read(KPI_DAY_DELTA)) == 3
