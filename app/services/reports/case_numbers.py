"""Human case numbers XC-YYYYMMDD-NNNN, unique per local day under concurrent creation (decision 0019).

PostgreSQL: one sequence for every day and, per local day, a base written once: the number is
`nextval('case_number_seq') - base`. nextval locks nothing and is never rolled back, so a sync
batch creating tickets no longer holds a per-day row that every other creator waits for (it did
from its first new ticket until its commit). Numbers are unique (distinct sequence values) and
count up from 1 each day; they may have gaps: a number taken by a transaction that rolls back is
not given again, and requests still numbering the old day just after midnight take values from the
same sequence. SQLite serialises writers anyway (BEGIN IMMEDIATE): there the per-day counter row
stays, gap-free.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.timeutil import to_local

_NEXT = sa.text("SELECT nextval('case_number_seq') - base FROM case_day WHERE day = :day")
# In its own short transaction: the base is the last value handed out (a fresh sequence: one below
# its first), read and committed before any number of the day is taken, so every later nextval is
# above it. Not a nextval: concurrent first creators of the day (ON CONFLICT, one wins) burn nothing.
_NEW_DAY = sa.text("INSERT INTO case_day (day, base) "
                   "SELECT :day, CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM case_number_seq "
                   "ON CONFLICT (day) DO NOTHING")


def next_case_number(at: datetime) -> str:
    """Take the next number of the local day of `at`."""
    day = to_local(at).strftime("%Y%m%d")
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        number = session.execute(_NEXT, {"day": day}).scalar()
        if number is None:  # the day's first ticket
            with session.get_bind().engine.connect() as conn:
                conn.execute(_NEW_DAY, {"day": day})
                conn.commit()
            number = session.execute(_NEXT, {"day": day}).scalar_one()
    else:
        number = session.execute(
            sa.text("INSERT INTO case_counter (day, last) VALUES (:day, 1) "
                    "ON CONFLICT (day) DO UPDATE SET last = case_counter.last + 1 RETURNING last"),
            {"day": day},
        ).scalar_one()
    return format_case_number(day, number)


def format_case_number(day: str, number: int) -> str:
    return f"XC-{day}-{number:04d}"
