"""Reverse-geocoding answers, one per provider and position rounded to 4 decimals (~10 m, issue 18)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime
from app.timeutil import now_utc


class GeocodeAnswer(db.Model):
    """What `provider` answered for a rounded position; "" means it knew no address there.

    Positions are kept as integers (degrees x 10^4) so two tickets at the same rounded spot meet
    on an exact key, not on a float comparison."""

    __tablename__ = "geocode_answer"

    provider: so.Mapped[str] = so.mapped_column(sa.String(16), primary_key=True)
    lat_e4: so.Mapped[int] = so.mapped_column(primary_key=True)
    lon_e4: so.Mapped[int] = so.mapped_column(primary_key=True)
    address: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    answered_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)
