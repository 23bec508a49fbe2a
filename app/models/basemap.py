"""The county's own offline base map, when an admin imported one: one row, in the database.

In the database rather than a file under MEDIA_ROOT so that every web machine serves the same map
(a second machine needs nothing but the same settings, issue 21) and a backup holds it.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime
from app.timeutil import now_utc

THE_ONE = 1  # the only row's id: a county has one base map


class BaseMap(db.Model):
    """The imported GeoJSON as validated and written back (app/services/supervision/basemap.py)."""

    __tablename__ = "base_map"

    id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    geojson: so.Mapped[str] = so.mapped_column(sa.Text)
    features: so.Mapped[int]
    stored_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (sa.CheckConstraint("id = 1", name="one_row"),)
