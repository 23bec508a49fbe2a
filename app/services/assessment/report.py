"""The score page's report (issue 14 §5): score.py's results, named and summed for people.

Everything here is computed from `score.score()`'s public results, never from its internals:

- names of types, areas, departments and points, and the text of each failed item;
- each department's **share of the county's lost field points**: what the county would gain (of
  its 40) if that department's failed items had passed. A point's loss (100 − its score) is split
  over its failed items in proportion to their deductions (the floor at 0 can make Σ deductions
  exceed 100), and a point of type t weighs 40 × wₜ / (Σw × visited points of t) / 100 in the
  county's score, so the departments' field points add up exactly to 40 − the county's score;
- the items that fail most often (points failing the item ÷ visited points whose checklist has it);
- the score week by week: score() for each local week (Monday to Sunday) of the period, clipped to
  it, at most MAX_WEEKS of them (each is a full score).
- the score of one draw: score() of the draw's points only.

Numbers are rounded here, once, so the page, the XLSX and the PDF show the same figures.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _

from app.extensions import db
from app.models import Area, ChecklistItem, ChecklistVersion, Department, Draw, InspectionPoint, LocationType
from app.services.assessment import score as scoring
from app.timeutil import to_local

MAX_WEEKS = 27  # week by week for periods up to half a year: each week is one full score
TOP_ITEMS = 15
DEFAULT_WEEKS = 4


def default_period(today: date) -> tuple[date, date]:
    """This local week and the three before it (Monday to today): the weekly mock assessment's rhythm."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=DEFAULT_WEEKS - 1), today


def r2(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@dataclass(frozen=True)
class TypeRow:
    location_type: LocationType
    score: float | None  # of 100
    visited: int
    points: int
    weight: float


@dataclass(frozen=True)
class AreaRow:
    area: Area | None
    score: float | None  # of 100
    field_score: float | None  # 40 × score / 100: the county's score if the assessors only came here
    visited: int
    points: int


@dataclass(frozen=True)
class FailureRow:
    item_code: str
    text: str
    deduction: float
    by_visit: bool  # the visit failed it (else: an open ticket at the point)
    department: Department | None


@dataclass(frozen=True)
class PointRow:
    code: str
    name: str
    location_type: LocationType
    area: Area | None
    department: Department
    score: float
    visited_at: datetime
    checklist_version: int
    failures: list[FailureRow]


@dataclass(frozen=True)
class DepartmentRow:
    department: Department | None  # None: failed items whose ticket has no department (or no ticket)
    points_lost: float  # checklist points (the contract's points_lost)
    failed_items: int
    field_points_lost: float  # of the county's 40
    share: float | None  # of the county's lost field points, 0..1


@dataclass(frozen=True)
class ItemRow:
    location_type: LocationType
    item_code: str
    text: str
    failed: int  # visited points that fail it
    checked: int  # visited points whose checklist has it
    points_lost: float  # Σ deductions

    @property
    def rate(self) -> float:
        return round(self.failed / self.checked, 4) if self.checked else 0.0


@dataclass(frozen=True)
class NeverRow:
    code: str
    name: str
    location_type: LocationType
    area: Area | None
    department: Department


@dataclass(frozen=True)
class WeekRow:
    start: date
    end: date
    county: float | None
    visited: int
    points_lost: float  # checklist points


@dataclass
class Report:
    start: date
    end: date
    as_of: datetime
    draw_id: int | None
    county: float | None
    max: float
    field_points_lost: float | None  # 40 − county
    visited: int
    points: int
    types: list[TypeRow] = field(default_factory=list)
    areas: list[AreaRow] = field(default_factory=list)
    by_point: list[PointRow] = field(default_factory=list)
    departments: list[DepartmentRow] = field(default_factory=list)
    top_items: list[ItemRow] = field(default_factory=list)
    never_visited: list[NeverRow] = field(default_factory=list)
    weeks: list[WeekRow] = field(default_factory=list)
    weeks_left_out: bool = False  # the period is longer than MAX_WEEKS weeks


def weeks_of(start: date, end: date) -> list[tuple[date, date]]:
    """The local weeks (Monday to Sunday) of start … end, the first and last clipped to the period."""
    out = []
    first = start
    while first <= end:
        last = min(first + timedelta(days=6 - first.weekday()), end)
        out.append((first, last))
        first = last + timedelta(days=1)
    return out


def build(start: date, end: date, draw_id: int | None = None, *, now: datetime, weeks: bool = True) -> Report:
    """The report of the local days start … end (inclusive); score.py checks the period and the draw.
    `weeks=False` leaves week by week out (one score() less per week)."""
    result = scored(start, end, draw_id, now=now)
    names = _Names.read()
    visited = sum(t.visited for t in result.by_location_type)
    report = Report(
        start=start, end=end, as_of=result.as_of, draw_id=draw_id, county=r2(result.county), max=result.max,
        field_points_lost=None if result.county is None else r2(result.max - result.county), visited=visited,
        points=sum(t.points for t in result.by_location_type))
    report.types = [TypeRow(names.types[t.location_type], r2(t.score), t.visited, t.points, t.weight)
                    for t in result.by_location_type]
    report.areas = [AreaRow(names.areas.get(a.area_code), r2(a.score),
                            None if a.score is None else r2(result.max * a.score / scoring.FULL_MARKS),
                            a.visited, a.points) for a in result.by_area]
    texts = _item_texts(result.by_point)
    report.by_point = [PointRow(
        p.code, p.name, names.types[p.location_type], names.areas.get(p.area_code),
        names.departments[p.department_code], r2(p.score), p.visited_at, p.checklist_version,
        [FailureRow(f.item_code, texts.get((p.location_type, p.checklist_version, f.item_code), ""), f.deduction,
                    f.by_visit, names.departments.get(f.department_code)) for f in p.failures])
        for p in result.by_point]
    report.departments = _departments(result, names)
    report.top_items = _top_items(result, names, texts)
    report.never_visited = _never_visited(result.never_visited, names)
    if weeks and len(weeks_of(start, end)) <= MAX_WEEKS:
        report.weeks = week_by_week(start, end, draw_id, now=now)
    elif weeks:
        report.weeks_left_out = True
    return report


@dataclass(frozen=True)
class ChargedRow:
    """A failed item charged to a department (its ticket is the department's), at any point."""

    point: PointRow
    failure: FailureRow


@dataclass
class DepartmentReport:
    """What a department sees of the mock assessment: its points lost and where, and its own points."""

    start: date
    end: date
    as_of: datetime
    department: Department
    row: DepartmentRow
    charged: list[ChargedRow]
    points: list[PointRow]  # the points it is responsible for, visited in the period
    never_visited: list[NeverRow]


def for_department(start: date, end: date, department_id: int, *, now: datetime) -> DepartmentReport:
    """A department's part of the county's report: its own row (points lost, field points, share), the
    failed items charged to it wherever they are, and its own points (scored or never visited)."""
    report = build(start, end, now=now, weeks=False)
    own = db.session.get(Department, department_id)
    row = next((d for d in report.departments if d.department is not None and d.department.id == own.id),
               DepartmentRow(own, 0.0, 0, 0.0, 0.0 if report.field_points_lost else None))
    charged = [ChargedRow(p, f) for p in report.by_point for f in p.failures
               if f.department is not None and f.department.id == own.id]
    charged.sort(key=lambda c: (-c.failure.deduction, c.point.code, c.failure.item_code))
    return DepartmentReport(start, end, report.as_of, own, row, charged,
                            [p for p in report.by_point if p.department.id == own.id],
                            [n for n in report.never_visited if n.department.id == own.id])


def week_by_week(start: date, end: date, draw_id: int | None = None, *, now: datetime) -> list[WeekRow]:
    rows = []
    for first, last in weeks_of(start, end):
        week = scored(first, last, draw_id, now=now)
        rows.append(WeekRow(first, last, r2(week.county), sum(t.visited for t in week.by_location_type),
                            r2(sum(d.points_lost for d in week.by_department))))
    return rows


def scored(start: date, end: date, draw_id: int | None = None, *, now: datetime) -> scoring.Score:
    """score() of the period, of one draw's points when `draw_id` is given."""
    return scoring.score(start, end, draw_id, now=now)


def field_points_by_department(result: scoring.Score) -> dict[str | None, float]:
    """Each department's part of 40 − county (see the module's docstring), unrounded; they add up to it."""
    weights = {t.location_type: t.weight for t in result.by_location_type}
    visited = {t.location_type: t.visited for t in result.by_location_type}
    total_weight = sum(weights[t] for t, n in visited.items() if n)
    out: dict[str | None, float] = defaultdict(float)
    if not total_weight:
        return out
    for point in result.by_point:
        deducted = sum(f.deduction for f in point.failures)
        if not deducted:
            continue
        lost = scoring.FULL_MARKS - point.score  # ≤ deducted: the score stops at 0
        factor = result.max / scoring.FULL_MARKS * weights[point.location_type] / (
            total_weight * visited[point.location_type])
        for failure in point.failures:
            out[failure.department_code] += factor * lost * failure.deduction / deducted
    return out


def _departments(result: scoring.Score, names: _Names) -> list[DepartmentRow]:
    field_points = field_points_by_department(result)
    lost_total = sum(field_points.values())
    return [DepartmentRow(names.departments.get(d.department_code), r2(d.points_lost), d.failed_items,
                          r2(field_points.get(d.department_code, 0.0)),
                          round(field_points.get(d.department_code, 0.0) / lost_total, 4) if lost_total else None)
            for d in result.by_department]


def _top_items(result: scoring.Score, names: _Names, texts: dict) -> list[ItemRow]:
    """Items by how many visited points fail them (then points lost); an item is its type and code."""
    checked: dict[tuple[str, str], int] = defaultdict(int)
    failed: dict[tuple[str, str], int] = defaultdict(int)
    lost: dict[tuple[str, str], float] = defaultdict(float)
    for point in result.by_point:
        for code in texts.codes.get((point.location_type, point.checklist_version), ()):
            checked[(point.location_type, code)] += 1
        for failure in point.failures:
            key = (point.location_type, failure.item_code)
            failed[key] += 1
            lost[key] += failure.deduction
    latest_text = {}
    for (kind, _version, code), text in sorted(texts.items(), key=lambda kv: kv[0][1]):
        latest_text[(kind, code)] = text
    rows = [ItemRow(names.types[kind], code, latest_text.get((kind, code), ""), n, max(checked[(kind, code)], n),
                    r2(lost[(kind, code)])) for (kind, code), n in failed.items()]
    rows.sort(key=lambda r: (-r.failed, -r.points_lost, r.location_type.code, r.item_code))
    return rows[:TOP_ITEMS]


class _Texts(dict):
    """(type code, version, item code) → the item's text; `codes`: (type code, version) → its item codes."""

    codes: dict[tuple[str, int], list[str]]


def _item_texts(points: list[scoring.PointScore]) -> _Texts:
    """The text of the items of the checklist versions the visited points were checked with (one query)."""
    wanted = {(p.location_type, p.checklist_version) for p in points}
    texts = _Texts()
    texts.codes = defaultdict(list)
    if not wanted:
        return texts
    english = get_locale().language == "en"
    rows = db.session.execute(
        sa.select(LocationType.code, ChecklistVersion.version, ChecklistItem.code, ChecklistItem.text_zh,
                  ChecklistItem.text_en)
        .join(ChecklistVersion, ChecklistVersion.location_type_id == LocationType.id)
        .join(ChecklistItem, ChecklistItem.checklist_version_id == ChecklistVersion.id)
        .where(LocationType.code.in_(sorted({kind for kind, _v in wanted})))
        .order_by(ChecklistItem.position))
    for kind, version, code, text_zh, text_en in rows:
        if (kind, version) in wanted:
            texts[(kind, version, code)] = text_en if english and text_en else text_zh
            texts.codes[(kind, version)].append(code)
    return texts


def _never_visited(codes: list[str], names: _Names) -> list[NeverRow]:
    if not codes:
        return []
    rows = {}
    types, areas, departments = names.type_by_id, names.area_by_id, names.department_by_id
    for chunk in (codes[i:i + scoring.CHUNK] for i in range(0, len(codes), scoring.CHUNK)):
        for point in db.session.scalars(sa.select(InspectionPoint).where(InspectionPoint.code.in_(chunk))):
            rows[point.code] = point
    return [NeverRow(code, rows[code].name, types[rows[code].location_type_id], areas.get(rows[code].area_id),
                     departments[rows[code].department_id])
            for code in codes if code in rows]


@dataclass
class _Names:
    types: dict[str, LocationType]
    areas: dict[str, Area]
    departments: dict[str, Department]

    @classmethod
    def read(cls) -> _Names:
        return cls(types={t.code: t for t in db.session.scalars(sa.select(LocationType))},
                   areas={a.code: a for a in db.session.scalars(sa.select(Area))},
                   departments={d.code: d for d in db.session.scalars(sa.select(Department))})

    @property
    def type_by_id(self) -> dict[int, LocationType]:
        return {t.id: t for t in self.types.values()}

    @property
    def area_by_id(self) -> dict[int, Area]:
        return {a.id: a for a in self.areas.values()}

    @property
    def department_by_id(self) -> dict[int, Department]:
        return {d.id: d for d in self.departments.values()}


def formula_lines() -> list[str]:
    """The formula as the page and the PDF state it (issue 14 §5)."""
    return [
        _("An item of a point fails if the point's latest visit in the period (not voided) failed it, or if at the "
          "period's end (now, for a period that includes today) a ticket of the item's category that is not yet "
          "resolved lies at the point (inside its outline or within 50 m); each item deducts once."),
        _("Point = max(0, 100 − Σ deductions of its failed items); points not visited in the period are not scored."),
        _("Location type = mean of its visited points; area = the same weighted mean over the area's points."),
        _("County = 40 × Σ(weight × type score) / Σ weight / 100, over the types with a visited point."),
        _("Points lost by a department = Σ deductions of failed items whose ticket is the department's; its share of "
          "the lost field points = what the county would gain of its 40 if those items had passed."),
    ]


def draw_choices() -> list[tuple[int, str]]:
    """The draws a supervisor can score alone (not cancelled), newest first: (id, label)."""
    rows = db.session.execute(sa.select(Draw.id, Draw.name, Draw.created_at).where(Draw.cancelled_at.is_(None))
                              .order_by(Draw.created_at.desc(), Draw.id.desc()).limit(200))
    return [(row.id, f"{row.name} ({to_local(row.created_at):%Y-%m-%d})") for row in rows]
