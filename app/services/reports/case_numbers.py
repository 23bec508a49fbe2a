"""Human case numbers XC-YYYYMMDD-NNNN, unique under concurrent creation."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.timeutil import to_local


def next_case_number(at: datetime) -> str:
    """Take the next number of the local day of `at` with one atomic upsert.

    INSERT .. ON CONFLICT DO UPDATE .. RETURNING locks the day's row until the
    transaction ends, so concurrent creators on PostgreSQL queue rather than
    collide; SQLite serialises writers with BEGIN IMMEDIATE.
    """
    day = to_local(at).strftime("%Y%m%d")
    number = db.session.execute(
        sa.text(
            "INSERT INTO case_counter (day, last) VALUES (:day, 1) "
            "ON CONFLICT (day) DO UPDATE SET last = case_counter.last + 1 RETURNING last"
        ),
        {"day": day},
    ).scalar_one()
    return format_case_number(day, number)


def format_case_number(day: str, number: int) -> str:
    return f"XC-{day}-{number:04d}"
