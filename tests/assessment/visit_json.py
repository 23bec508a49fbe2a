"""Visits as a phone sends them (docs/sync-protocol.md, "Visits"), and a point to visit."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Report, Ticket, Visit, VisitResult
from app.services.actor import Actor
from app.services.assessment import checklists, visits
from app.timeutil import now_utc, to_local
from tests.assessment.conftest import make_point, set_checklist

# The point every visit test visits: a public toilet 1 km north of the county seat, and its checklist.
AT = (29.984, 119.95)
ITEMS = [("A1", "03001", 10), ("A2", "X14005", 5), ("A3", "X12004", 20)]


def toilet(code: str = "V-GGCS", at: tuple[float, float] = AT, **kwargs):
    """The point and the checklist version made for it (the seed's version 1 stays as the old one)."""
    version = set_checklist("GGCS", ITEMS)
    return make_point(code, "GGCS", at, "HWZX", **kwargs), version


def recent_window(ago: timedelta, length: timedelta) -> tuple[datetime, datetime]:
    """A visit's start `ago` before now and its end `length` later, both within today's local day: a visit
    counts on the local day it started, and the tests ask for today's visits whenever they run (at 00:10 in
    Asia/Shanghai, 30 minutes ago is yesterday)."""
    now = now_utc()
    midnight = to_local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(now - ago, midnight)
    return start, min(start + length, now)


def visit_json(point_code: str, version: int, outcomes: dict, *, at: tuple[float, float] | None = AT,
               accuracy_m: float | None = 6.0, **fields) -> dict:
    """A visit: outcomes {item code: "pass" | "na" | ("fail", [photo hashes], note)}."""
    results = []
    for code, outcome in outcomes.items():
        if isinstance(outcome, tuple):
            kind, photos, *note = outcome
            result = {"item_code": code, "outcome": kind, "photos": list(photos)}
            if note:
                result["note"] = note[0]
        else:
            result = {"item_code": code, "outcome": outcome, "photos": []}
        results.append(result)
    start, finish = recent_window(timedelta(minutes=30), timedelta(minutes=12))
    body = {"client_id": str(uuid.uuid4()), "point_code": point_code, "checklist_version": version,
            "started_at": start.isoformat(), "finished_at": finish.isoformat(),
            "results": results}
    if at is not None:
        body.update(lat=at[0], lon=at[1], accuracy_m=accuracy_m)
    body.update(fields)
    return body


def counts() -> dict[str, int]:
    """Rows of each kind, read in a transaction that ends at once (SQLite: no lock left held)."""
    try:
        return {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
                for model in (Visit, VisitResult, Ticket, Report)}
    finally:
        db.session.rollback()


def seeded_visit(inspector, client_id: str | None = None) -> int:
    """An all-pass visit of the seeded market CGZ-NMSC-01 by `inspector`, through the service the sync
    uses (for tests of other areas that need a visit to exist); its id."""
    version = checklists.current_version("NMSC")
    started, finished = recent_window(timedelta(hours=1), timedelta(minutes=10))
    answer = visits.receive(visits.IncomingVisit(
        client_id or str(uuid.uuid4()), "CGZ-NMSC-01", version.version, started, finished,
        tuple(visits.IncomingResult(item.code, "pass") for item in version.items), 29.958, 119.952, 5.0),
        Actor.of(inspector), now_utc())
    assert answer.status == "created", answer
    db.session.commit()
    return answer.visit_id
