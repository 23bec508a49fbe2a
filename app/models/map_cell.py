"""Ticket counts per map cell, kept up to date so a county-wide map view never scans every ticket."""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db


class MapCell(db.Model):
    """How many tickets with one (status, category, department, area) lie in one cell at one zoom.

    Maintained by app/services/map_rollup.py; `sx`, `sy` and `sid` are sums of the tickets'
    map_x, map_y and id, so a cluster's centroid is exact and a cell of one ticket names it.
    Department and area use 0 for "none" so the key never holds NULL.
    """

    level: so.Mapped[int] = so.mapped_column(sa.SmallInteger, primary_key=True)
    # The grouping before the position: a viewport's rows of one grouping are then contiguous per
    # column of cells, and each column is one index range (cx = ?, cy BETWEEN ? AND ?).
    category_id: so.Mapped[int] = so.mapped_column(primary_key=True)
    department_id: so.Mapped[int] = so.mapped_column(primary_key=True)
    area_id: so.Mapped[int] = so.mapped_column(primary_key=True)
    cx: so.Mapped[int] = so.mapped_column(primary_key=True)
    cy: so.Mapped[int] = so.mapped_column(primary_key=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(20), primary_key=True)
    n: so.Mapped[int] = so.mapped_column(default=0)
    sx: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    sy: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    sid: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)

    # SQLite keeps the rows in key order (no separate table to look each row up in).
    __table_args__ = {"sqlite_with_rowid": False}
