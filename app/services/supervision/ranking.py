"""The department ranking (通报) of a period, as campaign offices compute it (issue 17 §1).

For each unit that handles tickets (every department but the campaign office and the placeholder)
and a period of local days, with T the period's end (now, for a period that includes today):

- N: the unit's tickets whose deadline falls in the period, plus those due earlier that are overdue
  and not resolved at T (tickets marked duplicate or invalid by T are not counted);
- A (按期整改率): of N, resolved by the deadline and not reopened since (resolved or closed at T,
  and that last resolution was on time);
- B (整改率): of N, resolved or closed at T;
- R (返工率): of N, reopened at least once by T;
- O (超期率): of N, past the deadline at T and not resolved.

score = 40·A + 20·B + 20·(1 − R) + 20·(1 − O), minus 1 for each overdue urgent ticket (its category's
deadline is 24 hours or less) and 0.5 for each ticket reopened three times or more, never below 0.
Grades from the unrounded score: A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 40, else E. A unit with N below 5 is
shown as 样本不足 and not ranked; equal scores share a rank. The weights are settings (RankingRules).

The deadline is the ticket's current one (a reopening sets a new deadline); whether a resolution was
on time is what was recorded when it happened. The state at T of a ticket changed since T is read
from its history; any other ticket is as it is now, so a period that ends today reads no history.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models import Category, Department, Ticket, TicketEvent, TicketStatus
from app.services.supervision.kpis import Period

S = TicketStatus
RESOLVED = frozenset({S.RESOLVED.value, S.CLOSED.value})
NOT_COUNTED = frozenset({S.DUPLICATE.value, S.INVALID.value})
URGENT_HOURS = 24  # a category whose deadline is this short or shorter is urgent
REWORK_PENALISED = 3  # reopenings from which a ticket costs its unit a penalty
GRADES = ((90.0, "A"), (75.0, "B"), (60.0, "C"), (40.0, "D"))
TIE_PLACES = 9  # scores equal to this many decimals share a rank (float sums differ in the last bits)


@dataclass(frozen=True)
class RankingRules:
    """The formula's weights and thresholds; RANKING_* settings (app/config.py)."""

    on_time: float = 40.0
    resolved: float = 20.0
    rework: float = 20.0
    overdue: float = 20.0
    urgent_overdue_penalty: float = 1.0
    rework_penalty: float = 0.5
    min_sample: int = 5
    office_code: str = "CCB"  # the campaign office (创城办): it assigns tickets, it is not ranked

    @classmethod
    def from_config(cls, config) -> RankingRules:
        weights = config.get("RANKING_WEIGHTS", {})
        return cls(**{name: float(value) for name, value in weights.items()},
                   min_sample=int(config.get("RANKING_MIN_SAMPLE", 5)),
                   office_code=config.get("CAMPAIGN_OFFICE_CODE", "CCB"))


@dataclass
class Counts:
    n: int = 0
    on_time: int = 0
    resolved: int = 0
    reworked: int = 0
    overdue: int = 0
    urgent_overdue: int = 0
    reworked_often: int = 0


@dataclass
class RankRow:
    department: Department
    counts: Counts
    score: float | None  # None: 样本不足 (fewer than min_sample tickets)
    grade: str | None
    rank: int | None
    previous_score: float | None = None

    def rate(self, part: int) -> float | None:
        return part / self.counts.n if self.counts.n else None

    @property
    def on_time_rate(self) -> float | None:
        return self.rate(self.counts.on_time)

    @property
    def resolved_rate(self) -> float | None:
        return self.rate(self.counts.resolved)

    @property
    def rework_rate(self) -> float | None:
        return self.rate(self.counts.reworked)

    @property
    def overdue_rate(self) -> float | None:
        return self.rate(self.counts.overdue)

    @property
    def change(self) -> float | None:
        """Score against the previous period of the same length."""
        if self.score is None or self.previous_score is None:
            return None
        return self.score - self.previous_score


@dataclass
class Ranking:
    period: Period
    rules: RankingRules
    rows: list[RankRow] = field(default_factory=list)


def department_ranking(period: Period, now: datetime, rules: RankingRules | None = None) -> Ranking:
    """Every unit that handles tickets: ranked rows first (best score first), then 样本不足."""
    rules = rules or RankingRules()
    current = _rows(period, now, rules)
    previous = {row.department.id: row.score for row in _rows(period.previous(), now, rules)}
    for row in current:
        row.previous_score = previous.get(row.department.id)
    return Ranking(period, rules, current)


def score_of(counts: Counts, rules: RankingRules) -> float:
    """The formula above on one unit's counts (N > 0), unrounded."""
    n = counts.n
    value = (rules.on_time * counts.on_time / n + rules.resolved * counts.resolved / n
             + rules.rework * (1 - counts.reworked / n) + rules.overdue * (1 - counts.overdue / n)
             - rules.urgent_overdue_penalty * counts.urgent_overdue - rules.rework_penalty * counts.reworked_often)
    return max(0.0, value)


def formula_text(rules: RankingRules) -> str:
    """The formula as the page, the workbook and the API state it, with the weights in force."""
    return _("Score = %(a)g·A + %(b)g·B + %(r)g·(1 − R) + %(o)g·(1 − O) − %(u)g per overdue urgent ticket − "
             "%(w)g per ticket reopened 3 times or more (never below 0). N: tickets due in the period, plus "
             "those due earlier and still overdue at its end. A (on-time rectification rate): of N, resolved by "
             "the deadline and not reopened since; B (rectification rate): of N, resolved by the period's end; "
             "R (rework rate): of N, reopened at least once; O (overdue rate): of N, overdue and not resolved at "
             "the period's end. Grades: A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 40, else E. Fewer than %(n)d tickets: "
             "too few to rank. These are the bulletin's rates; the dashboard's indicators are defined there.",
             a=rules.on_time, b=rules.resolved, r=rules.rework, o=rules.overdue, u=rules.urgent_overdue_penalty,
             w=rules.rework_penalty, n=rules.min_sample)


def grade_of(score: float) -> str:
    return next((grade for floor, grade in GRADES if score >= floor), "E")


def _rows(period: Period, now: datetime, rules: RankingRules) -> list[RankRow]:
    as_of = min(period.end, now)
    counts = _counts(period, as_of)
    units = db.session.scalars(sa.select(Department).where(
        Department.code != rules.office_code, ~Department.is_placeholder,
        sa.or_(Department.active, Department.id.in_(list(counts)))
    ).order_by(Department.code)).all()
    rows = []
    for unit in units:
        unit_counts = counts.get(unit.id, Counts())
        if unit_counts.n >= max(rules.min_sample, 1):
            value = score_of(unit_counts, rules)
            rows.append(RankRow(unit, unit_counts, value, grade_of(value), None))
        else:
            rows.append(RankRow(unit, unit_counts, None, None, None))
    ranked = sorted((r for r in rows if r.score is not None), key=lambda r: (-r.score, -r.counts.n, r.department.code))
    for position, row in enumerate(ranked, 1):
        before = ranked[position - 2] if position > 1 else None
        same = before is not None and round(before.score, TIE_PLACES) == round(row.score, TIE_PLACES)
        row.rank = before.rank if same else position
    unranked = [r for r in rows if r.score is None]
    return ranked + sorted(unranked, key=lambda r: (-r.counts.n, r.department.code))


@dataclass
class _State:
    status: str
    reopenings: int
    on_time: bool | None  # of the last resolution


@dataclass(frozen=True)
class Fact:
    """What one ticket of N contributes: the bulletin lists the overdue and the reworked ones."""

    ticket_id: int
    department_id: int
    resolved: bool
    on_time: bool
    reopenings: int
    overdue: bool
    urgent: bool


def facts(period: Period, as_of: datetime) -> list[Fact]:
    """The tickets of N of every unit, in two queries (tickets, then the history of those changed
    since `as_of`)."""
    open_now = Ticket.status.not_in([*RESOLVED, *NOT_COUNTED])
    candidates = db.session.execute(
        sa.select(Ticket.id, Ticket.department_id, Ticket.due_at, Ticket.status, Ticket.rework_count,
                  Ticket.resolved_on_time, Ticket.updated_at, Category.sla_hours)
        .join(Category, Category.id == Ticket.category_id)
        .where(Ticket.department_id.is_not(None), Ticket.due_at.is_not(None), Ticket.due_at < period.end,
               sa.or_(Ticket.due_at >= period.start, open_now, Ticket.updated_at > as_of))
    ).all()
    changed = {row.id for row in candidates if row.updated_at > as_of}
    history = _states_at(changed, as_of)
    out = []
    for row in candidates:
        state = history.get(row.id) if row.id in changed else _State(
            str(row.status), row.rework_count, row.resolved_on_time)
        if state is None or state.status in NOT_COUNTED:
            continue  # not yet reported at T, or no longer a ticket to handle
        resolved = state.status in RESOLVED
        overdue = not resolved and row.due_at < as_of
        if row.due_at < period.start and not overdue:
            continue  # due before the period and handled (or not yet late) by its end
        out.append(Fact(row.id, row.department_id, resolved, resolved and bool(state.on_time), state.reopenings,
                        overdue, row.sla_hours <= URGENT_HOURS))
    return out


def _counts(period: Period, as_of: datetime) -> dict[int, Counts]:
    """N, A, B, R, O and the penalties' counts per department."""
    counts: dict[int, Counts] = defaultdict(Counts)
    for fact in facts(period, as_of):
        unit = counts[fact.department_id]
        unit.n += 1
        unit.resolved += fact.resolved
        unit.on_time += fact.on_time
        unit.reworked += fact.reopenings >= 1
        unit.overdue += fact.overdue
        unit.urgent_overdue += fact.overdue and fact.urgent
        unit.reworked_often += fact.reopenings >= REWORK_PENALISED
    return counts


def _states_at(ticket_ids: set[int], moment: datetime) -> dict[int, _State]:
    """The status, reopenings and last resolution's timeliness of each ticket at `moment`, from its
    history; a ticket with no event by then is absent (it did not exist yet)."""
    states: dict[int, _State] = {}
    ids = sorted(ticket_ids)
    for start in range(0, len(ids), 500):
        events = db.session.execute(
            sa.select(TicketEvent.ticket_id, TicketEvent.action, TicketEvent.to_status, TicketEvent.data)
            .where(TicketEvent.ticket_id.in_(ids[start:start + 500]), TicketEvent.at <= moment)
            .order_by(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.id))
        for ticket_id, action, to_status, data in events:
            state = states.setdefault(ticket_id, _State(S.REPORTED.value, 0, None))
            if to_status:
                state.status = to_status
            if action == "reopen":
                state.reopenings += 1
            elif action == "resolve":
                state.on_time = bool((data or {}).get("on_time"))
    return states
