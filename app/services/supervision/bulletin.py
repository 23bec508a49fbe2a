"""The weekly 通报 (issue 17 §2): what the campaign office writes each Monday, as data.

One `Bulletin` feeds both documents (bulletin_docx.py, bulletin_pdf.py), so the Word file the office
edits and the PDF it files carry the same numbers as the ranking page (ranking.py):

- the period and the totals of N, A, B, R and O over every ranked or unranked unit, with the previous
  period's beside them;
- the ranking with its grades;
- each unit's tickets that are overdue at the period's end;
- the worst problems: the tickets of N reopened most, then overdue longest, with their before and
  after photos (the EXIF-free web derivatives);
- the units named for criticism: a ranked unit whose score is below BULLETIN_CRITICISE_BELOW, or any
  unit with at least BULLETIN_CRITICISE_OVERDUE overdue tickets.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models import Department, PhotoKind, Ticket
from app.services.supervision import ranking
from app.services.supervision.kpis import Period
from app.services.supervision.slips import ticket_photos

WORST = 5  # problems shown with their photos
OVERDUE_LISTED = 50  # per unit; the count says how many there are in all


@dataclass(frozen=True)
class Thresholds:
    criticise_below: float = 60.0  # a ranked unit scoring less is named
    criticise_overdue: int = 5  # a unit with this many overdue tickets is named

    @classmethod
    def from_config(cls, config) -> Thresholds:
        return cls(float(config.get("BULLETIN_CRITICISE_BELOW", 60.0)),
                   int(config.get("BULLETIN_CRITICISE_OVERDUE", 5)))


@dataclass
class Totals:
    n: int = 0
    on_time: int = 0
    resolved: int = 0
    reworked: int = 0
    overdue: int = 0

    def rate(self, part: int) -> float | None:
        return part / self.n if self.n else None


@dataclass
class Problem:
    ticket: Ticket
    reopenings: int
    overdue: bool
    before: bytes | None  # web images
    after: bytes | None


@dataclass
class Bulletin:
    period: Period
    previous: Period
    issued_at: datetime
    ranking: ranking.Ranking
    totals: Totals
    previous_totals: Totals
    overdue: dict[int, list[Ticket]]  # by department id, oldest deadline first
    overdue_counts: dict[int, int]
    worst: list[Problem]
    criticised: list[ranking.RankRow]
    thresholds: Thresholds
    departments: dict[int, Department] = field(default_factory=dict)


def build(period: Period, now: datetime, rules: ranking.RankingRules, thresholds: Thresholds) -> Bulletin:
    as_of = min(period.end, now)
    result = ranking.department_ranking(period, now, rules)
    units = {row.department.id for row in result.rows}
    current = [f for f in ranking.facts(period, as_of) if f.department_id in units]
    previous = [f for f in ranking.facts(period.previous(), min(period.previous().end, now))
                if f.department_id in units]
    overdue_ids = [f.ticket_id for f in current if f.overdue]
    tickets = _tickets({f.ticket_id for f in current if f.overdue or f.reopenings})
    overdue: dict[int, list[Ticket]] = {}
    counts: dict[int, int] = {}
    for ticket_id in overdue_ids:
        ticket = tickets[ticket_id]
        counts[ticket.department_id] = counts.get(ticket.department_id, 0) + 1
        overdue.setdefault(ticket.department_id, []).append(ticket)
    for unit_tickets in overdue.values():
        unit_tickets.sort(key=lambda t: (t.due_at, t.id))
        del unit_tickets[OVERDUE_LISTED:]
    return Bulletin(
        period=period, previous=period.previous(), issued_at=now, ranking=result,
        totals=_totals(current), previous_totals=_totals(previous), overdue=overdue, overdue_counts=counts,
        worst=_worst(current, tickets), criticised=_criticised(result, counts, thresholds),
        thresholds=thresholds, departments={row.department.id: row.department for row in result.rows})


def issuer(office_code: str) -> str:
    """The office that issues the bulletin: the campaign office's name, as it signs its documents."""
    office = db.session.scalar(sa.select(Department).where(Department.code == office_code))
    return office.name_zh if office else office_code


def _tickets(ids: set[int]) -> dict[int, Ticket]:
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(Ticket).options(so.joinedload(Ticket.category), so.joinedload(Ticket.area))
                              .where(Ticket.id.in_(sorted(ids)))).all()
    return {t.id: t for t in rows}


def _totals(facts: list[ranking.Fact]) -> Totals:
    totals = Totals()
    for fact in facts:
        totals.n += 1
        totals.on_time += fact.on_time
        totals.resolved += fact.resolved
        totals.reworked += fact.reopenings >= 1
        totals.overdue += fact.overdue
    return totals


def _worst(facts: list[ranking.Fact], tickets: dict[int, Ticket]) -> list[Problem]:
    """Reopened most, then overdue longest (earliest deadline), then by case number."""
    bad = [f for f in facts if f.reopenings or f.overdue]
    bad.sort(key=lambda f: (-f.reopenings, not f.overdue, tickets[f.ticket_id].due_at, tickets[f.ticket_id].id))
    chosen = bad[:WORST]
    ids = [f.ticket_id for f in chosen]
    before = ticket_photos(ids, PhotoKind.BEFORE)
    after = ticket_photos(ids, PhotoKind.AFTER, latest=True)
    return [Problem(tickets[f.ticket_id], f.reopenings, f.overdue, before.get(f.ticket_id), after.get(f.ticket_id))
            for f in chosen]


def _criticised(result: ranking.Ranking, overdue: dict[int, int], thresholds: Thresholds) -> list[ranking.RankRow]:
    return [row for row in result.rows
            if (row.score is not None and row.score < thresholds.criticise_below)
            or overdue.get(row.department.id, 0) >= thresholds.criticise_overdue]
