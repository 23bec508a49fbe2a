"""Document numbers of assignment slips (交办单): 创城交〔2026〕第 N 号, numbered per year.

A ticket's slip keeps its number when printed again in the same year, so the copy in the file and
the one the department holds say the same; a ticket first printed next year gets next year's.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime
from app.timeutil import now_utc


class DocumentCounter(db.Model):
    """The last number given in a series (e.g. "slip-2026"), taken with one atomic upsert."""

    __tablename__ = "document_counter"

    series: so.Mapped[str] = so.mapped_column(sa.String(32), primary_key=True)
    last: so.Mapped[int] = so.mapped_column(default=0)


class SlipNumber(db.Model):
    __tablename__ = "slip_number"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ticket_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("ticket.id"))
    year: so.Mapped[int]
    number: so.Mapped[int]
    issued_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (sa.UniqueConstraint("ticket_id", "year"), sa.UniqueConstraint("year", "number"))
