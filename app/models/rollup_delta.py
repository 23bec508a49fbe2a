"""Pending rollup deltas: what commits add to MapCell, KpiDay and KpiResolveClass, insert-only.

A committing writer appends rows here and updates no shared row, so concurrent writers never queue
on a map cell or a dashboard day (decision 0019). A job folds them into the rollup tables; readers
sum the folded rows and the pending ones in one statement, so a count is exact at every moment.
Each delta table has the rollup table's columns (key and measures, none unique) and a serial id.
"""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.kpi_rollup import KpiDay, KpiResolveClass
from app.models.map_cell import MapCell


def _delta_of(table: sa.Table) -> sa.Table:
    name = f"{table.name}_delta"
    return sa.Table(
        name, db.metadata,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        *[sa.Column(column.name, column.type, nullable=False) for column in table.columns],
        # The rollup's key, not unique: a reader's filter (a map's level and box, a dashboard's days)
        # finds the pending rows by index when they pile up (a scheduler stopped for a day).
        sa.Index(f"ix_{name}_key", *[column.name for column in table.primary_key.columns]),
    )


MAP_CELL_DELTA = _delta_of(MapCell.__table__)
KPI_DAY_DELTA = _delta_of(KpiDay.__table__)
KPI_RESOLVE_CLASS_DELTA = _delta_of(KpiResolveClass.__table__)
DELTAS = {MapCell.__table__: MAP_CELL_DELTA, KpiDay.__table__: KPI_DAY_DELTA,
          KpiResolveClass.__table__: KPI_RESOLVE_CLASS_DELTA}  # rollup table → its pending deltas
