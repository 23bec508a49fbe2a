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

import gc
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from itertools import chain
from typing import NamedTuple

import numpy as np
import shapely
import shapely.geometry
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _
from sqlalchemy.dialects.postgresql import distinct_on

from app.errors import ValidationFailed
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
from app.services.assessment import draws
from app.services.reports import geo
from app.services.supervision.kpis import Period

MATCH_RADIUS_M = 50.0  # a ticket this close to a point's position lies at the point
FIELD_POINTS = 40.0  # the field inspection's share of the national assessment
FULL_MARKS = 100.0  # what a point without a failed item scores
MAX_DAYS = 3660
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)  # the county's campaign, and no overflow in UTC
CHUNK = 500  # ids per IN (...) list (longer lists made PostgreSQL's plan for the failed items 2x slower)
_OPEN = {s.value for s in OPEN_STATUSES}
_A, _E2 = 6_378_137.0, 6.69437999014e-3  # WGS-84: semi-major axis, first eccentricity squared
_BAND_M = 0.01  # positions this close to the radius are measured geodesic


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


class _Point(NamedTuple):  # tuples: thousands are made per score
    id: int
    code: str
    name: str
    type_id: int
    area_id: int | None
    department_id: int
    lat: float
    lon: float
    polygon: str | None  # GeoJSON text
    bbox: tuple[float, float, float, float]


class _Item(NamedTuple):
    code: str
    category_id: int
    deduction: float


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
    with _no_cycle_collection():
        return _score(start_date, end_date, period, draw_id, now)


@contextmanager
def _no_cycle_collection():
    """Without the cycle collector while a score is computed. Its tens of thousands of short-lived
    rows and tuples (no cycles: freed by reference counting) otherwise set off a full collection of
    the whole process in most scores, 80-320 ms each (bench/assessment_score.py), more than the
    score's own work. Another thread's garbage just waits until it is back on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _score(start_date: date, end_date: date, period: Period, draw_id: int | None, now: datetime) -> Score:
    as_of = min(period.end, now)
    points = _points(draw_id)
    visits = _latest_visits(period)
    visits = {pid: v for pid, v in visits.items() if pid in points}
    items = _items({v.checklist_version_id for v in visits.values()})
    results = _failed_results([v.id for v in visits.values()])
    # Each point is matched with the categories of its own checklist only.
    groups: dict[int, list[_Point]] = defaultdict(list)
    for pid, visit in visits.items():
        groups[visit.checklist_version_id].append(points[pid])
    lookups = [(group, {i.category_id for i in items.get(version_id, ())}) for version_id, group in groups.items()]
    at_points = _tickets_at_points(lookups, as_of, current=as_of >= now)
    names = _names()

    by_point: dict[int, PointScore] = {}
    for pid, visit in visits.items():
        point = points[pid]
        here = at_points.get(pid, {})
        outcomes = results.get(visit.id, {})
        failures = []
        for item in items.get(visit.checklist_version_id, ()):
            result = outcomes.get(item.code)  # (ticket id, its department id) of a failed item
            tickets = here.get(item.category_id)  # ticket id → department id, in the order of ids
            if result is None and not tickets:
                continue
            by_visit = result is not None
            open_here = tuple(tickets) if tickets else ()
            if by_visit and result[0]:
                ticket_id, department_id = result
            elif open_here:
                ticket_id = open_here[0]
                department_id = tickets[ticket_id]
            else:
                ticket_id = department_id = None
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
    """The points the score is about: every active point, or a draw's (NotFound for no such draw);
    a drawn point deactivated since is still scored with its draw."""
    chosen = (InspectionPoint.id.in_(draws.point_ids(draw_id)) if draw_id is not None
              else InspectionPoint.active)
    rows = db.session.execute(sa.select(
        InspectionPoint.id, InspectionPoint.code, InspectionPoint.name, InspectionPoint.location_type_id,
        InspectionPoint.area_id, InspectionPoint.department_id, InspectionPoint.lat, InspectionPoint.lon,
        sa.cast(InspectionPoint.polygon, sa.Text).label("polygon"),  # parsed by shapely, in bulk
        InspectionPoint.min_lon, InspectionPoint.min_lat, InspectionPoint.max_lon, InspectionPoint.max_lat)
        .where(chosen).order_by(InspectionPoint.code))
    return {r.id: _Point(r.id, r.code, r.name, r.location_type_id, r.area_id, r.department_id, r.lat, r.lon,
                         r.polygon, (r.min_lon, r.min_lat, r.max_lon, r.max_lat)) for r in rows}


def _latest_visits(period: Period) -> dict[int, sa.Row]:
    """Per point, its latest visit started in the period and not voided (ties: the later row).

    From the index on (point, start, id, voided, version) alone, whatever the visits kept over the
    years: PostgreSQL walks the period's entries once (DISTINCT ON), SQLite seeks each point's last
    (a correlated LIMIT 1; PostgreSQL runs those many times slower)."""
    in_period = (Visit.voided_at.is_(None), Visit.started_at >= period.start, Visit.started_at < period.end)
    columns = (Visit.id, Visit.point_id, Visit.checklist_version_id, Visit.started_at)
    if db.session.get_bind().dialect.name == "postgresql":
        query = (sa.select(*columns).where(*in_period).ext(distinct_on(Visit.point_id))
                 .order_by(Visit.point_id.desc(), Visit.started_at.desc(), Visit.id.desc()))
        rows = db.session.execute(query).all()[::-1]  # by point id, as SQLite's: the sums add in the same order
        return {row.point_id: row for row in rows}  # inactive points: dropped by the caller
    v = so.aliased(Visit)
    latest = (sa.select(v.id)
              .where(v.point_id == InspectionPoint.id, v.voided_at.is_(None), v.started_at >= period.start,
                     v.started_at < period.end)
              .order_by(v.started_at.desc(), v.id.desc()).limit(1)
              .correlate(InspectionPoint).scalar_subquery())
    ids = sa.select(latest.label("visit_id")).where(InspectionPoint.active).subquery()
    return {row.point_id: row for row in db.session.execute(sa.select(*columns).join(ids, ids.c.visit_id == Visit.id))}


def _items(version_ids: set[int]) -> dict[int, list[_Item]]:
    out: dict[int, list[_Item]] = defaultdict(list)
    for chunk in _chunks(sorted(version_ids)):
        for row in db.session.execute(
                sa.select(ChecklistItem.checklist_version_id, ChecklistItem.code, ChecklistItem.category_id,
                          ChecklistItem.deduction)
                .where(ChecklistItem.checklist_version_id.in_(chunk)).order_by(ChecklistItem.position)):
            out[row.checklist_version_id].append(_Item(row.code, row.category_id, row.deduction))
    return out


def _failed_results(visit_ids: list[int]) -> dict[int, dict[str, tuple[int | None, int | None]]]:
    """Per visit, the items it failed: item code → (the ticket it opened or was linked to, that
    ticket's department). Passes and n/a change nothing in the score, so they are not read."""
    out: dict[int, dict] = defaultdict(dict)
    r = VisitResult
    for chunk in _chunks(sorted(visit_ids)):
        for row in db.session.execute(
                sa.select(r.visit_id, r.item_code, r.ticket_id, Ticket.department_id)
                .outerjoin(Ticket, Ticket.id == r.ticket_id)
                .where(r.visit_id.in_(chunk), r.outcome == Outcome.FAIL)):
            out[row[0]][row[1]] = (row[2], row[3])
    return out


def _tickets_at_points(lookups: list[tuple[list[_Point], set[int]]], as_of: datetime,
                       current: bool) -> dict[int, dict[int, dict[int, int | None]]]:
    """Per point and category, the tickets (id → department id) that lie at it and were open at
    `as_of`, of the categories given with each group of points (the points sharing a checklist version).

    One read of the tickets that can have been open then, not a query per point: the open ones of
    those categories inside the visited points' joint box (an index-only read of the index on status,
    category, position), and for a past period those changed since its end (the same from the index
    on updated_at; their status then is read from their history, any other ticket still has the
    status it had). The rows are then matched to the points all at once with numpy: each point's box
    (grown by the radius) through a grid of ~50 m cells, then its radius (geodesic: see _Grid.match)
    and its prepared polygon.
    """
    lookups = [(group, categories) for group, categories in lookups if group and categories]
    if not lookups:
        return {}
    grid = _Grid([(point, categories) for group, categories in lookups for point in group])
    t = Ticket
    # Numbers only, into one array: thousands of rows are read here. Two reads, each from one index
    # alone: the tickets open now, then (for a past period) those changed since its end, whatever
    # their status now (their status then is their history's). An open ticket unchanged since then
    # was open then. coalesce(x, x) is x, but keeps each read off the other indexes.
    columns = [t.id, t.category_id, sa.func.coalesce(t.department_id, 0), t.lat, t.lon]
    min_lon, min_lat, max_lon, max_lat = grid.bounds
    received = sa.func.coalesce(t.received_at, t.received_at) < as_of
    rows = _numbers(sa.select(*columns, sa.literal(0)).where(
        t.status.in_(OPEN_STATUSES), t.category_id.in_(sorted(grid.categories)), t.lat.between(min_lat, max_lat),
        t.lon.between(min_lon, max_lon), received))
    if not current:
        # Nothing else in SQL: SQLite would rather skip-scan the index on (category, lat, lon), row by row.
        since = _numbers(sa.select(*columns, sa.literal(1)).where(t.updated_at > as_of, received))
        rows = np.concatenate([rows[~np.isin(rows[:, 0], since[:, 0])], since])
    point_ix, row_ix = grid.match(rows[:, 1], rows[:, 3], rows[:, 4])
    changed = rows[row_ix, 5] > 0
    if changed.any():
        then = _statuses_at({int(i) for i in rows[row_ix[changed], 0]}, as_of)
        still = np.array([then.get(int(i)) in _OPEN for i in rows[row_ix, 0]])
        keep = ~changed | still
        point_ix, row_ix = point_ix[keep], row_ix[keep]
    # Grouped by (point, category), ticket ids in order: each group as one list.
    point_ids = grid.ids[point_ix]
    ticket_ids, categories = rows[row_ix, 0].astype(np.int64), rows[row_ix, 1].astype(np.int64)
    departments = rows[row_ix, 2].astype(np.int64)
    order = np.lexsort((ticket_ids, categories, point_ids))
    point_ids, ticket_ids, categories, departments = (a[order].tolist() for a in
                                                      (point_ids, ticket_ids, categories, departments))
    out: dict[int, dict[int, dict[int, int | None]]] = defaultdict(dict)
    for point_id, category_id, ticket_id, department_id in zip(point_ids, categories, ticket_ids, departments,
                                                                strict=True):
        out[point_id].setdefault(category_id, {})[ticket_id] = department_id or None
    return out


class _Grid:
    """The visited points by cells of about 50 m, to match many positions to them at once: a position
    lies at a point if it is within the radius of the point's position or inside its polygon, and the
    ticket's category is one of the point's checklist."""

    CELL = 0.0005  # degrees

    def __init__(self, points: list[tuple[_Point, set[int]]]) -> None:
        self.ids = np.array([p.id for p, _c in points], dtype=np.int64)
        self.categories = set().union(*(c for _p, c in points))
        self._category_ix = {c: i for i, c in enumerate(sorted(self.categories))}
        self.wants = np.zeros((len(points), len(self._category_ix)), dtype=bool)  # point × category
        for i, (_point, categories) in enumerate(points):
            self.wants[i, [self._category_ix[c] for c in categories]] = True
        self.lats = np.array([p.lat for p, _c in points])
        self.lons = np.array([p.lon for p, _c in points])
        # Each point's box grown by the radius.
        grow = np.array([geo.metres_to_degrees(MATCH_RADIUS_M, p.lat) for p, _c in points]).reshape(-1, 2)
        boxes = np.array([p.bbox for p, _c in points], dtype=np.float64).reshape(-1, 4)
        boxes += np.stack([-grow[:, 1], -grow[:, 0], grow[:, 1], grow[:, 0]], axis=1)
        self.boxes = boxes
        self.bounds = (boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max())
        self.polygons = np.full(len(points), None, dtype=object)
        outlined = [i for i, (p, _c) in enumerate(points) if p.polygon]
        if outlined:
            self.polygons[outlined] = shapely.from_geojson([points[i][0].polygon for i in outlined])
            shapely.prepare(self.polygons[outlined])
        # Every (cell, point) pair of the cells each grown box touches, sorted by cell.
        x0, y0 = self._cell(boxes[:, 0]), self._cell(boxes[:, 1])
        nx, ny = self._cell(boxes[:, 2]) - x0 + 1, self._cell(boxes[:, 3]) - y0 + 1
        owner = np.repeat(np.arange(len(points)), nx * ny)
        local = np.arange(len(owner)) - np.repeat(np.cumsum(nx * ny) - nx * ny, nx * ny)
        keys = self._key(x0[owner] + local // ny[owner], y0[owner] + local % ny[owner])
        order = np.argsort(keys, kind="stable")
        self._keys, self._owners = keys[order], owner[order]

    def match(self, categories: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(point indexes, position indexes): each position (of a ticket of a category) and the points it lies at."""
        lookup = np.full(max(self.categories) + 2, -1, dtype=np.int64)  # category id → column of `wants`
        lookup[list(self._category_ix)] = list(self._category_ix.values())
        category = lookup[np.clip(categories.astype(np.int64), 0, len(lookup) - 1)]  # ids not wanted: -1
        keys = self._key(self._cell(lon), self._cell(lat))
        first = np.searchsorted(self._keys, keys, "left")
        count = np.searchsorted(self._keys, keys, "right") - first
        row = np.repeat(np.arange(len(lat)), count)
        pair = np.repeat(first, count) + np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count)
        point = self._owners[pair]
        box = self.boxes[point]
        keep = ((category[row] >= 0) & (box[:, 0] <= lon[row]) & (lon[row] <= box[:, 2]) & (box[:, 1] <= lat[row])
                & (lat[row] <= box[:, 3]))
        row, point = row[keep], point[keep]
        keep = self.wants[point, category[row]]
        row, point = row[keep], point[keep]
        # Over 50 m the ellipsoid's local plane is the geodesic to well under a millimetre; only a
        # position within a centimetre of the radius is measured again, geodesic as everywhere.
        rough = _local_distance_m(self.lats[point], self.lons[point], lat[row], lon[row])
        near = rough < MATCH_RADIUS_M - _BAND_M
        for i in np.flatnonzero(np.abs(rough - MATCH_RADIUS_M) <= _BAND_M):
            near[i] = geo.distance_m((self.lats[point[i]], self.lons[point[i]]), (lat[row[i]], lon[row[i]])) \
                <= MATCH_RADIUS_M
        outline = np.flatnonzero(~near & (self.polygons[point] != None))  # noqa: E711 - elementwise
        if len(outline):
            near[outline] = shapely.intersects_xy(self.polygons[point[outline]], lon[row[outline]],
                                                  lat[row[outline]])  # for a position: covers
        return point[near], row[near]

    def _cell(self, degrees: np.ndarray) -> np.ndarray:
        return np.floor(degrees / self.CELL).astype(np.int64)

    @staticmethod
    def _key(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return x * (1 << 32) + (y + (1 << 30))


def _numbers(query: sa.Select) -> np.ndarray:
    """The rows of a query of six numeric columns, as one float array (ids are exact up to 2⁵³)."""
    found = db.session.connection().execute(query).all()
    return np.fromiter(chain.from_iterable(found), dtype=np.float64, count=6 * len(found)).reshape(-1, 6)


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


def _local_distance_m(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Distance on the WGS-84 ellipsoid's tangent plane at the mean latitude (meridional and normal radii
    of curvature): for a few hundred metres it differs from the geodesic by micrometres."""
    phi = np.radians((lat1 + lat2) / 2)
    w2 = 1 - _E2 * np.sin(phi) ** 2
    meridional = _A * (1 - _E2) / w2 ** 1.5
    normal = _A / np.sqrt(w2)
    north = np.radians(lat2 - lat1) * meridional
    east = np.radians(lon2 - lon1) * normal * np.cos(phi)
    return np.hypot(north, east)


def _chunks(values: list, size: int = CHUNK) -> list[list]:
    return [values[i:i + size] for i in range(0, len(values), size)]


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
