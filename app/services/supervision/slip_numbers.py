"""Document numbers of assignment slips: one per ticket and year, in the order slips are printed."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import SlipNumber
from app.timeutil import to_local


def numbers_for(ticket_ids: list[int], now: datetime) -> dict[int, int]:
    """The slip number of each ticket this (local) year, giving the next numbers, in the order given,
    to tickets that have none yet. The caller commits."""
    year = to_local(now).year
    known = dict(db.session.execute(sa.select(SlipNumber.ticket_id, SlipNumber.number).where(
        SlipNumber.year == year, SlipNumber.ticket_id.in_(ticket_ids))).all()) if ticket_ids else {}
    for ticket_id in ticket_ids:
        if ticket_id in known:
            continue
        try:
            with db.session.begin_nested():  # a printer printing the same ticket now: take its number
                number = _take(year)
                db.session.add(SlipNumber(ticket_id=ticket_id, year=year, number=number, issued_at=now))
                db.session.flush()
            known[ticket_id] = number
        except IntegrityError:
            known[ticket_id] = db.session.scalar(sa.select(SlipNumber.number).where(
                SlipNumber.year == year, SlipNumber.ticket_id == ticket_id))
    return known


def _take(year: int) -> int:
    """The next number of the year's series, with one atomic upsert (the row is locked until commit, so
    two printers never take the same number)."""
    return db.session.execute(sa.text(
        "INSERT INTO document_counter (series, last) VALUES (:series, 1) "
        "ON CONFLICT (series) DO UPDATE SET last = document_counter.last + 1 RETURNING last"),
        {"series": f"slip-{year}"}).scalar_one()


def document_number(prefix: str, year: int, number: int) -> str:
    """创城交〔2026〕第 12 号."""
    return _("%(prefix)s〔%(year)d〕No. %(number)d", prefix=prefix, year=year, number=number)
