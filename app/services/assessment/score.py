"""The simulated field score of a period (issue 14 §5, decision 0007), as the page shows it:

- an item of a point **fails** if the point's latest visit in the period (not voided) failed it, or
  if at the period's end (now, for a period that includes today) a ticket of the item's category
  lies at the point — inside its polygon or within 50 m of its position — and is reported,
  assigned, in progress, returned or reopened then; each item deducts at most once per point;
- a point visited in the period scores max(0, 100 − Σ deductions of its failed items); a point not
  visited in the period is not scored and is listed as never visited;
- a location type scores the mean of its visited points; an area, the weighted mean of its types'
  means (the county's formula over the area's points); the county's simulated field score is
  40 × (weighted mean of the scores of the types that have a visited point) / 100, weights per
  type (`LocationType.weight`, equal by default);
- a department's `points_lost` is the sum of the deductions of failed items whose tickets are the
  department's: the ticket the visit's failed item opened or linked to, else the (oldest) open
  ticket that made the item fail. An item whose ticket has no department yet counts under none.

A visit belongs to the period by its start (`started_at`), on local days (TIMEZONE) inclusive.
The items of a visited point are those of the checklist version its latest visit was made with.
A ticket's status at a past period's end is read from its history (the last TicketEvent before
then). The work is one query per kind, never one per point: the period's latest visits, their
results, their checklist items, the tickets that can have been open at the period's end (matched to
the points through a grid of their bounding boxes), and the history of those at a point that
changed since the period's end.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from shapely.geometry import Point, shape
from shapely.prepared import prep

from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    OPEN_STATUSES,
    Area,
    ChecklistItem,
    ChecklistVersion,
    Department,
    InspectionPoint,
    LocationType,
    Outcome,
    Ticket,
    TicketEvent,
    Visit,
    VisitResult,
)
from app.services.actor import Actor, Role
from app.services.reports import geo
from app.services.supervision.kpis import Period

MATCH_RADIUS_M = 50.0  # a ticket this close to a point's position lies at the point
FIELD_POINTS = 40.0  # the field inspection's share of the national assessment
FULL_MARKS = 100.0  # what a point without a failed item scores
MAX_DAYS = 3660
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)  # the county's campaign, and no overflow in UTC
CHUNK = 500  # ids per IN (...) list
_OPEN = {s.value for s in OPEN_STATUSES}
_EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class FailedItem:
    item_code: str
    deduction: float
    by_visit: bool  # the visit failed it
    ticket_ids: tuple[int, ...]  # open tickets at the point that fail it (at the period's end)
    charged_ticket_id: int | None  # the ticket whose department loses the points
    department_code: str | None


@dataclass(frozen=True)
class PointScore:
    code: str
    name: str
    location_type: str
    area_code: str | None
    department_code: str
    score: float
    deductions: float
    visit_id: int
    visited_at: datetime
    checklist_version: int
    failures: tuple[FailedItem, ...]

    @property
    def failed(self) -> list[str]:
        return [f.item_code for f in self.failures]


@dataclass(frozen=True)
class TypeScore:
    location_type: str
    score: float | None  # None: no point of the type visited
    visited: int
    points: int
    weight: float


@dataclass(frozen=True)
class AreaScore:
    area_code: str | None
    score: float | None
    visited: int
    points: int


@dataclass(frozen=True)
class DepartmentLoss:
    department_code: str | None  # None: items whose ticket has no department yet
    points_lost: float
    failed_items: int


@dataclass
class Score:
    start: date
    end: date
    as_of: datetime  # the moment ticket statuses are read at: the period's end, or now
    draw_id: int | None
    county: float | None  # out of FIELD_POINTS; None when no point was visited
    by_location_type: list[TypeScore] = field(default_factory=list)
    by_area: list[AreaScore] = field(default_factory=list)
    by_point: list[PointScore] = field(default_factory=list)
    by_department: list[DepartmentLoss] = field(default_factory=list)
    never_visited: list[str] = field(default_factory=list)
    max: float = FIELD_POINTS


@dataclass(frozen=True)
class _Point:
    id: int
    code: str
    name: str
    type_id: int
    area_id: int | None
    department_id: int
    lat: float
    lon: float
    polygon: dict | None
    bbox: tuple[float, float, float, float]


@dataclass(frozen=True)
class _Item:
    code: str
    category_id: int
    deduction: float


@dataclass(frozen=True)
class _Candidate:
    ticket_id: int
    category_id: int
    department_id: int | None
    lat: float
    lon: float
    status: str


def check_period(start: date, end: date) -> Period:
    if not FIRST_DAY <= start <= LAST_DAY:
        raise ValidationFailed(_("Give a date from 2000 to 2099."), field="start")
    if not FIRST_DAY <= end <= LAST_DAY:
        raise ValidationFailed(_("Give a date from 2000 to 2099."), field="end")
    if end < start:
        raise ValidationFailed(_("The period must end after it starts."), field="end")
    if (end - start).days > MAX_DAYS:
        raise ValidationFailed(_("The period must end after it starts and last at most ten years."), field="end")
    return Period.of_local_dates(start, end)


def score(start_date: date, end_date: date, draw_id: int | None = None, *, now: datetime) -> Score:
    """The simulated score of the local days start_date … end_date (inclusive), optionally of one draw."""
    period = check_period(start_date, end_date)
    as_of = min(period.end, now)
    points = _points(draw_id)
    visits = _latest_visits(period)
    visits = {pid: v for pid, v in visits.items() if pid in points}
    items = _items({v.checklist_version_id for v in visits.values()})
    results = _results([v.id for v in visits.values()])
    # Each point is matched with the categories of its own checklist only.
    groups: dict[int, list[_Point]] = defaultdict(list)
    for pid, visit in visits.items():
        groups[visit.checklist_version_id].append(points[pid])
    lookups = [(group, {i.category_id for i in items.get(version_id, ())}) for version_id, group in groups.items()]
    at_points = _tickets_at_points(lookups, as_of, current=as_of >= now)
    charged = {r.ticket_id for rs in results.values() for r in rs.values() if r.ticket_id}
    ticket_departments = _ticket_departments(charged)
    for candidates in at_points.values():
        for c in candidates:
            ticket_departments.setdefault(c.ticket_id, c.department_id)
    names = _names()

    by_point: dict[int, PointScore] = {}
    for pid, visit in visits.items():
        point = points[pid]
        here: dict[int, list[int]] = defaultdict(list)
        for c in at_points.get(pid, ()):
            here[c.category_id].append(c.ticket_id)
        outcomes = results.get(visit.id, {})
        failures = []
        for item in items.get(visit.checklist_version_id, ()):
            result = outcomes.get(item.code)
            by_visit = result is not None and result.outcome == Outcome.FAIL.value
            open_here = tuple(sorted(here.get(item.category_id, ())))
            if not by_visit and not open_here:
                continue
            ticket_id = result.ticket_id if by_visit and result.ticket_id else (open_here[0] if open_here else None)
            department_id = ticket_departments.get(ticket_id) if ticket_id else None
            failures.append(FailedItem(item.code, item.deduction, by_visit, open_here, ticket_id,
                                       names.departments.get(department_id)))
        lost = sum(f.deduction for f in failures)
        by_point[pid] = PointScore(
            point.code, point.name, names.types[point.type_id].code, names.areas.get(point.area_id),
            names.departments[point.department_id], max(0.0, FULL_MARKS - lost), lost, visit.id,
            visit.started_at, names.versions.get(visit.checklist_version_id, 0), tuple(failures))

    return _aggregate(start_date, end_date, as_of, draw_id, points, by_point, names)


def for_actor(result: Score, actor: Actor) -> Score:
    """What `actor` may see of a score: everything for supervisors; for a department, its own points
    and its own points lost (no county, type or area figures)."""
    if actor.is_supervisor:
        return result
    if actor.role != Role.DEPARTMENT:
        raise ValueError("only supervisors and departments see scores")
    own = db.session.scalar(sa.select(Department.code).where(Department.id == actor.department_id))
    codes = set(db.session.scalars(sa.select(InspectionPoint.code).where(
        InspectionPoint.department_id == actor.department_id)))
    lost = [d for d in result.by_department if d.department_code == own] or [DepartmentLoss(own, 0.0, 0)]
    return replace(result, county=None, by_location_type=[], by_area=[],
                   by_point=[p for p in result.by_point if p.code in codes],
                   by_department=lost, never_visited=[c for c in result.never_visited if c in codes])


# --- reading ---------------------------------------------------------------------------------

@dataclass
class _Names:
    types: dict[int, LocationType]
    areas: dict[int, str]
    departments: dict[int, str]
    versions: dict[int, int]


def _names() -> _Names:
    return _Names(
        types={t.id: t for t in db.session.scalars(sa.select(LocationType).order_by(LocationType.id))},
        areas=dict(db.session.execute(sa.select(Area.id, Area.code)).all()),
        departments=dict(db.session.execute(sa.select(Department.id, Department.code)).all()),
        versions=dict(db.session.execute(sa.select(ChecklistVersion.id, ChecklistVersion.version)).all()),
    )


def _points(draw_id: int | None) -> dict[int, _Point]:
    """The points the score is about: every active point (or, later, a draw's)."""
    if draw_id is not None:
        # Draws (issue 14 §4) are not built yet: no draw exists, so every id is unknown.
        raise NotFound(_("No such draw."), field="draw")
    rows = db.session.execute(sa.select(
        InspectionPoint.id, InspectionPoint.code, InspectionPoint.name, InspectionPoint.location_type_id,
        InspectionPoint.area_id, InspectionPoint.department_id, InspectionPoint.lat, InspectionPoint.lon,
        InspectionPoint.polygon, InspectionPoint.min_lon, InspectionPoint.min_lat, InspectionPoint.max_lon,
        InspectionPoint.max_lat).where(InspectionPoint.active).order_by(InspectionPoint.code))
    return {r.id: _Point(r.id, r.code, r.name, r.location_type_id, r.area_id, r.department_id, r.lat, r.lon,
                         r.polygon, (r.min_lon, r.min_lat, r.max_lon, r.max_lat)) for r in rows}


def _latest_visits(period: Period) -> dict[int, Visit]:
    """Per point, its latest visit started in the period and not voided (ties: the later row)."""
    in_period = (Visit.started_at >= period.start, Visit.started_at < period.end, Visit.voided_at.is_(None))
    latest = (sa.select(Visit.point_id, sa.func.max(Visit.started_at).label("at"))
              .where(*in_period).group_by(Visit.point_id).subquery())
    rows = db.session.execute(
        sa.select(Visit.id, Visit.point_id, Visit.checklist_version_id, Visit.started_at)
        .join(latest, sa.and_(latest.c.point_id == Visit.point_id, latest.c.at == Visit.started_at))
        .where(*in_period).order_by(Visit.point_id, Visit.id))
    return {row.point_id: row for row in rows}  # the last row of a point wins


def _items(version_ids: set[int]) -> dict[int, list[_Item]]:
    out: dict[int, list[_Item]] = defaultdict(list)
    for chunk in _chunks(sorted(version_ids)):
        for row in db.session.execute(
                sa.select(ChecklistItem.checklist_version_id, ChecklistItem.code, ChecklistItem.category_id,
                          ChecklistItem.deduction)
                .where(ChecklistItem.checklist_version_id.in_(chunk)).order_by(ChecklistItem.position)):
            out[row.checklist_version_id].append(_Item(row.code, row.category_id, row.deduction))
    return out


def _results(visit_ids: list[int]) -> dict[int, dict[str, VisitResult]]:
    out: dict[int, dict] = defaultdict(dict)
    for chunk in _chunks(sorted(visit_ids)):
        for row in db.session.execute(
                sa.select(VisitResult.visit_id, VisitResult.item_code,
                          sa.type_coerce(VisitResult.outcome, sa.String).label("outcome"), VisitResult.ticket_id)
                .where(VisitResult.visit_id.in_(chunk))):
            out[row.visit_id][row.item_code] = row
    return out


def _tickets_at_points(lookups: list[tuple[list[_Point], set[int]]], as_of: datetime,
                       current: bool) -> dict[int, list[_Candidate]]:
    """Per point, the tickets that lie at it and were open at `as_of`, of the categories given with
    each group of points (the points sharing a checklist version).

    One pass over the tickets that can have been open then, not a query per point: for a period
    that includes today the open tickets (the index on status; a county has thousands, not
    millions), for a past one also those changed since (their status then is read from their
    history; any other ticket still has the status it had). The database is asked nothing it could
    answer by a poor index choice — a range over received_at or the category index would touch
    every ticket row by row — so received time, category and the visited points' bounding box
    (grown by the radius) are tested here, then each point's own box through a grid, then its
    radius and polygon.
    """
    lookups = [(group, categories) for group, categories in lookups if group and categories]
    if not lookups:
        return {}
    grid = _Grid()
    wanted: dict[int, set[int]] = {}
    for group, categories in lookups:
        for point in group:
            grid.add(point)
            wanted[point.id] = categories
    every = set().union(*wanted.values())
    t = Ticket
    # Plain strings and flags, not enums and datetimes: tens of thousands of rows are read here.
    columns = [t.id, t.category_id, t.department_id, t.lat, t.lon, sa.type_coerce(t.status, sa.String).label("status")]
    if current:
        query = sa.select(*columns).where(t.status.in_(OPEN_STATUSES))
    else:
        changed_since = (t.updated_at > as_of).label("changed")
        # coalesce(x, x): the same value, but no index on received_at (a range over nearly every row).
        query = sa.select(*columns, changed_since).where(
            sa.or_(t.status.in_(OPEN_STATUSES), t.updated_at > as_of),
            sa.func.coalesce(t.received_at, t.received_at) < as_of)
    found: list[tuple[int, tuple]] = []
    min_lon, min_lat, max_lon, max_lat = grid.bounds
    for row in db.session.connection().execute(query):  # plain tuples: no ORM work per row
        category_id, lat, lon = row[1], row[3], row[4]
        if category_id not in every or not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
            continue
        for point_id in grid.points_at(lat, lon):
            if category_id in wanted[point_id] and grid.shapes[point_id].holds(lat, lon):
                found.append((point_id, row))
    changed = set() if current else {row[0] for _pid, row in found if row[6]}
    then = _statuses_at(changed, as_of)
    out: dict[int, list[_Candidate]] = defaultdict(list)
    for point_id, (ticket_id, category_id, department_id, lat, lon, status, *_changed) in found:
        status = then.get(ticket_id) if ticket_id in changed else status
        if status in _OPEN:
            out[point_id].append(_Candidate(ticket_id, category_id, department_id, lat, lon, status))
    return out


class _Grid:
    """The visited points by cells of about 50 m: which points' boxes (grown by the radius) may hold a position."""

    CELL = 0.0005  # degrees

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[tuple]] = defaultdict(list)  # (point id, its box)
        self.shapes: dict[int, _Shape] = {}
        self.bounds = (math.inf, math.inf, -math.inf, -math.inf)

    def add(self, point: _Point) -> None:
        dlat, dlon = geo.metres_to_degrees(MATCH_RADIUS_M, point.lat)
        min_lon, min_lat, max_lon, max_lat = point.bbox
        box = (min_lon - dlon, min_lat - dlat, max_lon + dlon, max_lat + dlat)
        self.shapes[point.id] = _Shape(point)
        self.bounds = (min(self.bounds[0], box[0]), min(self.bounds[1], box[1]), max(self.bounds[2], box[2]),
                       max(self.bounds[3], box[3]))
        for cx in range(self._cell(box[0]), self._cell(box[2]) + 1):
            for cy in range(self._cell(box[1]), self._cell(box[3]) + 1):
                self.cells[(cx, cy)].append((point.id, *box))

    def points_at(self, lat: float, lon: float) -> list[int]:
        return [point_id for point_id, min_lon, min_lat, max_lon, max_lat
                in self.cells.get((self._cell(lon), self._cell(lat)), ())
                if min_lon <= lon <= max_lon and min_lat <= lat <= max_lat]

    def _cell(self, degrees: float) -> int:
        return math.floor(degrees / self.CELL)


def _statuses_at(ticket_ids: set[int], moment: datetime) -> dict[int, str]:
    """Each ticket's status at `moment`: where its last event before then left it."""
    out: dict[int, str] = {}
    for chunk in _chunks(sorted(ticket_ids)):
        for row in db.session.execute(
                sa.select(TicketEvent.ticket_id, TicketEvent.to_status)
                .where(TicketEvent.ticket_id.in_(chunk), TicketEvent.at < moment, TicketEvent.to_status.is_not(None))
                .order_by(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.id)):
            out[row.ticket_id] = row.to_status
    return out


def _ticket_departments(ticket_ids: set[int]) -> dict[int, int | None]:
    out: dict[int, int | None] = {}
    for chunk in _chunks(sorted(ticket_ids)):
        out.update(db.session.execute(sa.select(Ticket.id, Ticket.department_id).where(Ticket.id.in_(chunk))).all())
    return out


class _Shape:
    """Does a position lie at the point: within the radius of its position, or inside its polygon?"""

    def __init__(self, point: _Point):
        self.lat, self.lon = point.lat, point.lon
        self.polygon = prep(shape(point.polygon)) if point.polygon else None

    def holds(self, lat: float, lon: float) -> bool:
        if _within_radius((self.lat, self.lon), (lat, lon)):
            return True
        return self.polygon is not None and self.polygon.covers(Point(lon, lat))


def _within_radius(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """distance(a, b) <= MATCH_RADIUS_M, geodesic (as everywhere in the product); the fast spherical
    distance decides every case but the few within half a percent of the radius."""
    rough = _haversine_m(a, b)
    if rough < MATCH_RADIUS_M * 0.995:
        return True
    if rough > MATCH_RADIUS_M * 1.005:
        return False
    return geo.distance_m(a, b) <= MATCH_RADIUS_M


def _haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _chunks(values: list) -> list[list]:
    return [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)]


# --- the sums --------------------------------------------------------------------------------

def _weighted_mean(scores: dict[int, float], names: _Names) -> float | None:
    """Σ weight × score / Σ weight over the types in `scores` (type id → mean); None if no weight."""
    total = sum(names.types[t].weight for t in scores)
    if not scores or total <= 0:
        return None
    return sum(names.types[t].weight * s for t, s in scores.items()) / total


def _type_means(scored: list[tuple[_Point, PointScore]]) -> dict[int, float]:
    by_type: dict[int, list[float]] = defaultdict(list)
    for point, result in scored:
        by_type[point.type_id].append(result.score)
    return {t: sum(s) / len(s) for t, s in by_type.items()}


def _aggregate(start: date, end: date, as_of: datetime, draw_id: int | None, points: dict[int, _Point],
               by_point: dict[int, PointScore], names: _Names) -> Score:
    scored = [(points[pid], result) for pid, result in by_point.items()]
    type_means = _type_means(scored)
    county_mean = _weighted_mean(type_means, names)
    count = defaultdict(int)
    for point in points.values():
        count[point.type_id] += 1
    visited = defaultdict(int)
    for point, _result in scored:
        visited[point.type_id] += 1
    by_type = [TypeScore(t.code, type_means.get(t.id), visited[t.id], count[t.id], t.weight)
               for t in names.types.values()]

    area_ids = sorted({p.area_id for p in points.values()}, key=lambda a: (a is None, names.areas.get(a) or ""))
    by_area = []
    for area_id in area_ids:
        here = [(p, r) for p, r in scored if p.area_id == area_id]
        by_area.append(AreaScore(names.areas.get(area_id), _weighted_mean(_type_means(here), names), len(here),
                                 sum(1 for p in points.values() if p.area_id == area_id)))

    lost: dict[str | None, list[float]] = defaultdict(list)
    for _point, result in scored:
        for failure in result.failures:
            lost[failure.department_code].append(failure.deduction)
    by_department = sorted((DepartmentLoss(code, sum(d), len(d)) for code, d in lost.items() if sum(d) > 0),
                           key=lambda d: (-d.points_lost, d.department_code is None, d.department_code or ""))
    return Score(
        start=start, end=end, as_of=as_of, draw_id=draw_id,
        county=None if county_mean is None else FIELD_POINTS * county_mean / FULL_MARKS,
        by_location_type=by_type, by_area=by_area,
        by_point=sorted(by_point.values(), key=lambda r: r.code),
        by_department=by_department,
        never_visited=sorted(p.code for pid, p in points.items() if pid not in by_point),
    )
