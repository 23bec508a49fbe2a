"""Random draws of inspection points as assessors make them (issue 14 §4), their assignment and progress.

The draw: for each location type, N of its active points (or all, when it has fewer), spread over
the areas — every area (points without one form a stratum of their own) that has points of the
type gets one before any area gets a second. Reproducible: each type's sample comes from
`random.Random(f"{seed}:{type code}")` (a string seed is hashed with SHA-512, the same in every
process) over the points ordered by code, so the same seed over the same points gives the same
draw, and a change in one type's points leaves the other types' samples as they were.

Progress: a drawn point is visited once a visit of it that is not voided started at or after the
draw was made (whoever made it).
"""
from __future__ import annotations

import random
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import Area, Department, Draw, DrawPoint, InspectionPoint, LocationType, Role, User, Visit
from app.services.accounts import audit
from app.services.actor import Actor
from app.text import text_problem
from app.timeutil import YearOutOfRange, parse_date, to_local

MAX_PER_TYPE = 500  # more than any county has points of one type; keeps a typo from drawing everything twice
MAX_SEED = 2**53 - 1  # exact as a JSON number in every client (JavaScript's safe integers)
MAX_NAME = 200
MAX_ASSIGNMENTS = 5000


# --- the draw itself, pure ---------------------------------------------------------------------

def stratified_sample(points: list[tuple[str, str | None]], n: int, rng: random.Random) -> list[str]:
    """`n` codes of `points` ((code, area code or None)), every area before any area's second.

    Rounds: each area's points are shuffled; round r takes the r-th point of every area that still
    has one, and when fewer places are left than areas in the round, which areas get them is drawn.
    """
    strata: dict[str | None, list[str]] = defaultdict(list)
    for code, area_code in sorted(points, key=lambda p: p[0]):
        strata[area_code].append(code)
    order = sorted(strata, key=lambda key: (key is None, key or ""))
    for key in order:
        rng.shuffle(strata[key])
    chosen: list[str] = []
    depth = 0
    while len(chosen) < n:
        round_ = [strata[key][depth] for key in order if depth < len(strata[key])]
        if not round_:
            break
        left = n - len(chosen)
        chosen += round_ if len(round_) <= left else rng.sample(round_, left)
        depth += 1
    return sorted(chosen)


@dataclass(frozen=True)
class _Candidate:
    id: int
    code: str
    location_type: str
    area_code: str | None


def _candidates(type_codes: list[str] | None) -> dict[str, list[_Candidate]]:
    """The active points of each location type (all types, or those named), by code."""
    query = (sa.select(InspectionPoint.id, InspectionPoint.code, LocationType.code.label("location_type"),
                       Area.code.label("area_code"))
             .join(LocationType, LocationType.id == InspectionPoint.location_type_id)
             .outerjoin(Area, Area.id == InspectionPoint.area_id)
             .where(InspectionPoint.active).order_by(InspectionPoint.code))
    if type_codes is not None:
        query = query.where(LocationType.code.in_(type_codes))
    by_type: dict[str, list[_Candidate]] = defaultdict(list)
    for row in db.session.execute(query):
        by_type[row.location_type].append(_Candidate(row.id, row.code, row.location_type, row.area_code))
    return by_type


def select_points(per_type: int | dict[str, int], seed: int) -> list[_Candidate]:
    """The points a draw of `per_type` with `seed` takes from today's active points, by type then code."""
    counts = per_type if isinstance(per_type, dict) else None
    by_type = _candidates(sorted(counts) if counts is not None else None)
    drawn: list[_Candidate] = []
    for type_code in sorted(by_type):
        candidates = by_type[type_code]
        n = counts[type_code] if counts is not None else per_type
        rng = random.Random(f"{seed}:{type_code}")
        codes = set(stratified_sample([(c.code, c.area_code) for c in candidates], n, rng))
        drawn += [c for c in candidates if c.code in codes]
    return drawn


# --- checking what was asked ---------------------------------------------------------------------

@dataclass(frozen=True)
class DrawSpec:
    name: str
    per_type: int | dict[str, int]
    seed: int | None = None
    due: date | str | None = None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _count(value, field: str) -> int:
    if not _is_int(value) or not 1 <= value <= MAX_PER_TYPE:
        raise ValidationFailed(_("A count of points must be a whole number from 1 to %(n)d.", n=MAX_PER_TYPE),
                               field=field)
    return value


def check_spec(spec: DrawSpec, today: date) -> tuple[str, int | dict[str, int], int | None, date | None]:
    """The spec's values, checked: (name, per_type, seed, due); a ValidationFailed names the field."""
    name = spec.name
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed(_("Give the draw a name."), field="name")
    if text_problem(name) is not None:
        raise ValidationFailed(_("The text holds characters that cannot be stored."), field="name")
    name = name.strip()
    if len(name) > MAX_NAME:
        raise ValidationFailed(_("At most %(n)d characters.", n=MAX_NAME), field="name")
    per_type = spec.per_type
    if isinstance(per_type, dict):
        if not per_type:
            raise ValidationFailed(_("Name at least one location type and its count."), field="per_type")
        known = set(db.session.scalars(sa.select(LocationType.code)))
        checked = {}
        for code, value in per_type.items():
            if not isinstance(code, str) or code not in known:
                raise ValidationFailed(_("No location type %(code)s.", code=str(code)[:32]), field="per_type")
            checked[code] = _count(value, f"per_type.{code}")
        per_type = checked
    else:
        per_type = _count(per_type, "per_type")
    seed = spec.seed
    if seed is not None and (not _is_int(seed) or not 0 <= seed <= MAX_SEED):
        raise ValidationFailed(_("The seed must be a whole number from 0 to %(n)d.", n=MAX_SEED), field="seed")
    due = spec.due
    if isinstance(due, str):
        due = _parse_day(due) if due.strip() else None
    elif due is not None and not isinstance(due, date):
        raise ValidationFailed(_("due must be a date like 2026-11-28."), field="due")
    if due is not None and due < today:
        raise ValidationFailed(_("The due date cannot be in the past."), field="due")
    return name, per_type, seed, due


def _parse_day(text: str) -> date:
    try:
        return parse_date(text.strip())
    except (YearOutOfRange, ValueError):
        raise ValidationFailed(_("due must be a date like 2026-11-28."), field="due") from None


def new_seed() -> int:
    """A seed for a draw that was not given one: short enough to read out and type again."""
    return secrets.randbelow(900_000_000) + 100_000_000


# --- making, finding and cancelling draws --------------------------------------------------------

def _require_supervisor(actor: Actor) -> None:
    if not actor.is_supervisor:
        raise Forbidden(_("Only supervisors and administrators manage draws."))


def create_draw(spec: DrawSpec, actor: Actor, now: datetime) -> Draw:
    _require_supervisor(actor)
    name, per_type, seed, due = check_spec(spec, to_local(now).date())
    seed = new_seed() if seed is None else seed
    drawn = select_points(per_type, seed)
    if not drawn:
        raise ValidationFailed(_("There are no active points of these location types to draw from."),
                               field="per_type")
    draw = Draw(name=name, seed=seed, per_type=per_type, created_by_id=actor.user_id, created_at=now, due=due)
    db.session.add(draw)
    db.session.flush()
    db.session.execute(sa.insert(DrawPoint), [{"draw_id": draw.id, "point_id": c.id, "position": i}
                                              for i, c in enumerate(drawn)])
    db.session.flush()
    audit.record(actor, "draw_created", "assessment_draw", draw.id,
                 {"name": name, "seed": seed, "per_type": per_type, "points": len(drawn)})
    return draw


def get_draw(draw_id: int, actor: Actor) -> Draw:
    _require_supervisor(actor)
    draw = db.session.get(Draw, draw_id) if 0 < draw_id <= 2**31 - 1 else None
    if draw is None:
        raise NotFound(_("No such draw."), field="draw")
    return draw


def list_draws(actor: Actor, limit: int = 200) -> list[Draw]:
    _require_supervisor(actor)
    return list(db.session.scalars(sa.select(Draw).order_by(Draw.created_at.desc(), Draw.id.desc()).limit(limit)))


def cancel_draw(draw: Draw, actor: Actor, now: datetime) -> Draw:
    _require_supervisor(actor)
    if draw.cancelled_at is None:
        draw.cancelled_at = now
        audit.record(actor, "draw_cancelled", "assessment_draw", draw.id)
    return draw


def draw_point_codes(draw: Draw) -> list[str]:
    return list(db.session.scalars(sa.select(InspectionPoint.code).join(DrawPoint, DrawPoint.point_id ==
                                   InspectionPoint.id).where(DrawPoint.draw_id == draw.id)
                                   .order_by(DrawPoint.position)))


def point_ids(draw_id: int) -> list[int]:
    """The ids of a draw's points (for the score of one draw); NotFound when there is no such draw."""
    if not 0 < draw_id <= 2**31 - 1 or db.session.get(Draw, draw_id) is None:
        raise NotFound(_("No such draw."), field="draw")
    return list(db.session.scalars(sa.select(DrawPoint.point_id).where(DrawPoint.draw_id == draw_id)))


# --- assignment ----------------------------------------------------------------------------------

def _open_for_assignment(draw: Draw) -> None:
    if draw.cancelled_at is not None:
        raise Conflict(_("This draw was cancelled."), code="draw_cancelled")


def inspectors() -> list[User]:
    """The active inspectors, by username: who points can be assigned to."""
    return list(db.session.scalars(sa.select(User).where(User.role == Role.INSPECTOR, User.active)
                                   .order_by(User.username)))


def assign_by_hand(draw: Draw, assignments: dict, actor: Actor, now: datetime) -> int:
    """{point code: username, or None to unassign}; all or nothing. Returns how many changed."""
    _require_supervisor(actor)
    _open_for_assignment(draw)
    if not isinstance(assignments, dict) or not assignments:
        raise ValidationFailed(_("Give at least one point code and its inspector's username."), field="assignments")
    if len(assignments) > MAX_ASSIGNMENTS:
        raise ValidationFailed(_("Too many assignments at once."), field="assignments")
    rows = {code: row for code, row in db.session.execute(
        sa.select(InspectionPoint.code, DrawPoint)
        .join(DrawPoint, DrawPoint.point_id == InspectionPoint.id).where(DrawPoint.draw_id == draw.id))}
    people = {u.username: u for u in inspectors()}
    plan = []
    for code, username in assignments.items():
        where = f"assignments.{str(code)[:32]}"
        if code not in rows:
            raise ValidationFailed(_("Point %(code)s is not in this draw.", code=str(code)[:32]), field=where)
        if username is None or username == "":
            plan.append((rows[code], None))
        elif isinstance(username, str) and username in people:
            plan.append((rows[code], people[username]))
        else:
            raise ValidationFailed(_("No active inspector %(name)s.", name=str(username)[:64]), field=where)
    changed = 0
    for row, user in plan:
        if row.assignee_id != (user.id if user else None):
            row.assignee, row.assigned_at = user, (now if user else None)
            changed += 1
    db.session.flush()
    audit.record(actor, "draw_assigned", "assessment_draw", draw.id, {"mode": "hand", "changed": changed})
    return changed


def assign_evenly(draw: Draw, usernames: list | None, actor: Actor, now: datetime) -> int:
    """Every point of the draw to an inspector: a point to the least loaded inspector of its area when
    the area has any, else to the least loaded of all; ties by username. Returns how many changed."""
    _require_supervisor(actor)
    _open_for_assignment(draw)
    people = inspectors()
    if usernames is not None:
        if not isinstance(usernames, list) or not all(isinstance(u, str) for u in usernames):
            raise ValidationFailed(_("inspectors must be a list of usernames."), field="inspectors")
        known = {u.username: u for u in people}
        unknown = [u for u in usernames if u not in known]
        if unknown:
            raise ValidationFailed(_("No active inspector %(name)s.", name=unknown[0][:64]), field="inspectors")
        people = [known[u] for u in sorted(set(usernames))]
    if not people:
        raise ValidationFailed(_("There is no active inspector to assign points to."), field="inspectors")
    rows = db.session.execute(
        sa.select(DrawPoint, InspectionPoint.area_id).join(InspectionPoint, InspectionPoint.id == DrawPoint.point_id)
        .where(DrawPoint.draw_id == draw.id).order_by(DrawPoint.position)).all()
    load = {u.id: 0 for u in people}
    by_area: dict[int, list[User]] = defaultdict(list)
    for user in people:
        if user.area_id is not None:
            by_area[user.area_id].append(user)

    def least_loaded(users: list[User]) -> User:
        return min(users, key=lambda u: (load[u.id], u.username))

    # The points of areas with inspectors first, so the rest can even out the counts.
    ordered = sorted(rows, key=lambda r: (r.area_id not in by_area, r.DrawPoint.position))
    changed = 0
    for row in ordered:
        user = least_loaded(by_area.get(row.area_id) or people)
        load[user.id] += 1
        if row.DrawPoint.assignee_id != user.id:
            row.DrawPoint.assignee, row.DrawPoint.assigned_at = user, now
            changed += 1
    db.session.flush()
    audit.record(actor, "draw_assigned", "assessment_draw", draw.id, {"mode": "even", "changed": changed})
    return changed


# --- progress ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DrawnPoint:
    code: str
    name: str
    location_type: str
    area_code: str | None
    department_code: str
    lat: float
    lon: float
    assignee: str | None
    assignee_id: int | None
    visited_at: datetime | None  # the first visit since the draw was made that is not voided


@dataclass(frozen=True)
class Tally:
    key: str | None  # a location type, an inspector's username (None: not assigned)
    points: int
    visited: int


@dataclass(frozen=True)
class Progress:
    points: list[DrawnPoint]
    total: int
    visited: int
    by_location_type: list[Tally]
    by_inspector: list[Tally]


def _first_visits(since_by_draw):
    """A subquery (draw_id, point_id, at): each drawn point's first visit, not voided, since its draw was made."""
    return (sa.select(DrawPoint.draw_id, DrawPoint.point_id, sa.func.min(Visit.started_at).label("at"))
            .join(Draw, Draw.id == DrawPoint.draw_id)
            .join(Visit, sa.and_(Visit.point_id == DrawPoint.point_id, Visit.voided_at.is_(None),
                                 Visit.started_at >= Draw.created_at))
            .where(since_by_draw).group_by(DrawPoint.draw_id, DrawPoint.point_id).subquery())


def drawn_points(condition) -> list[tuple[int, DrawnPoint]]:
    """(draw id, point) of the draw points matching `condition`, with assignee and first visit."""
    first = _first_visits(condition)
    query = (sa.select(DrawPoint.draw_id, InspectionPoint.code, InspectionPoint.name,
                       LocationType.code.label("location_type"), Area.code.label("area_code"),
                       Department.code.label("department_code"), InspectionPoint.lat, InspectionPoint.lon,
                       User.username, DrawPoint.assignee_id, first.c.at)
             .join(InspectionPoint, InspectionPoint.id == DrawPoint.point_id)
             .join(LocationType, LocationType.id == InspectionPoint.location_type_id)
             .join(Department, Department.id == InspectionPoint.department_id)
             .outerjoin(Area, Area.id == InspectionPoint.area_id)
             .outerjoin(User, User.id == DrawPoint.assignee_id)
             .outerjoin(first, sa.and_(first.c.draw_id == DrawPoint.draw_id, first.c.point_id == DrawPoint.point_id))
             .where(condition).order_by(DrawPoint.draw_id, DrawPoint.position))
    return [(row.draw_id, DrawnPoint(row.code, row.name, row.location_type, row.area_code, row.department_code,
                                     row.lat, row.lon, row.username, row.assignee_id, row.at))
            for row in db.session.execute(query)]


def _tallies(points: list[DrawnPoint], key) -> list[Tally]:
    counts: dict = defaultdict(lambda: [0, 0])
    for p in points:
        counts[key(p)][0] += 1
        counts[key(p)][1] += p.visited_at is not None
    return [Tally(k, n, v) for k, (n, v) in sorted(counts.items(), key=lambda item: (item[0] is None, item[0] or ""))]


def progress(draw: Draw) -> Progress:
    points = [p for _id, p in drawn_points(DrawPoint.draw_id == draw.id)]
    return Progress(points, len(points), sum(p.visited_at is not None for p in points),
                    _tallies(points, lambda p: p.location_type), _tallies(points, lambda p: p.assignee))


def summaries(draws: list[Draw]) -> dict[int, tuple[int, int]]:
    """(points, visited) of each draw, in one query."""
    if not draws:
        return {}
    out: dict[int, list[int]] = {d.id: [0, 0] for d in draws}
    for draw_id, point in drawn_points(DrawPoint.draw_id.in_([d.id for d in draws])):
        out[draw_id][0] += 1
        out[draw_id][1] += point.visited_at is not None
    return {k: (n, v) for k, (n, v) in out.items()}


# --- an inspector's view, and reminders ----------------------------------------------------------

def is_open(draw: Draw, today: date) -> bool:
    return draw.cancelled_at is None and (draw.due is None or draw.due >= today)


def _open_condition(today: date):
    return sa.and_(Draw.cancelled_at.is_(None), sa.or_(Draw.due.is_(None), Draw.due >= today))


@dataclass(frozen=True)
class Assignment:
    draw_id: int
    draw_name: str
    due: date | None
    point: DrawnPoint


def assignments_for(actor: Actor, now: datetime) -> list[Assignment]:
    """The caller's assigned points of open draws (not cancelled, due today or later, or no due date)."""
    if actor.role == Role.DEPARTMENT:
        raise Forbidden(_("Your role may not use this."))
    today = to_local(now).date()
    draws = {d.id: d for d in db.session.scalars(sa.select(Draw).where(_open_condition(today)).where(
        sa.exists().where(DrawPoint.draw_id == Draw.id, DrawPoint.assignee_id == actor.user_id)))}
    if not draws:
        return []
    rows = drawn_points(sa.and_(DrawPoint.draw_id.in_(list(draws)), DrawPoint.assignee_id == actor.user_id))
    return [Assignment(draw_id, draws[draw_id].name, draws[draw_id].due, point) for draw_id, point in rows]


def last_visits(codes: list[str]) -> dict[str, datetime]:
    """The latest visit, not voided, of each of these points (GET /points' last_visited_at)."""
    if not codes:
        return {}
    return dict(db.session.execute(
        sa.select(InspectionPoint.code, sa.func.max(Visit.started_at)).join(Visit, Visit.point_id == InspectionPoint.id)
        .where(InspectionPoint.code.in_(sorted(set(codes))), Visit.voided_at.is_(None))
        .group_by(InspectionPoint.code)).all())


@dataclass(frozen=True)
class Reminder:
    draw: Draw
    user_id: int
    codes: list[str]
    day: date


def reminders_due(now: datetime) -> list[Reminder]:
    """For each open draw due tomorrow or today (local), each assignee's points not visited yet."""
    today = to_local(now).date()
    draws = {d.id: d for d in db.session.scalars(sa.select(Draw).where(
        Draw.cancelled_at.is_(None), Draw.due.in_([today, today + timedelta(days=1)])).order_by(Draw.id))}
    if not draws:
        return []
    pending: dict[tuple[int, int], list[str]] = defaultdict(list)
    for draw_id, point in drawn_points(sa.and_(DrawPoint.draw_id.in_(list(draws)),
                                               DrawPoint.assignee_id.is_not(None))):
        if point.visited_at is None:
            pending[(draw_id, point.assignee_id)].append(point.code)
    return [Reminder(draws[draw_id], user_id, codes, today) for (draw_id, user_id), codes in sorted(pending.items())]
