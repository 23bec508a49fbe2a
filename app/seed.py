"""The demo county: reference data from app/seed_data, users, and tickets in bulk."""
from __future__ import annotations

import json
import random
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from shapely.geometry import Point, Polygon, box, mapping

from app.extensions import db
from app.models import Area, AreaKind, CaseCounter, Category, Department, Role, Ticket, TicketEvent, User
from app.services import users as user_service
from app.services.case_numbers import format_case_number
from app.services.geo import invalidate_area_cache
from app.timeutil import now_utc, to_local

SEED_DATA = Path(__file__).parent / "seed_data" / "categories.json"
PLACEHOLDER_DEPARTMENTS = {"XZJD", "SQJW"}  # "the township / community of the place": resolved by area

# A fictional county: its seat at the middle, four townships around it.
COUNTY_CENTER = (29.975, 119.95)  # lat, lon
COUNTY_OUTLINE = [
    (119.80, 29.90), (119.86, 29.86), (119.97, 29.85), (120.07, 29.88), (120.10, 29.96),
    (120.08, 30.06), (119.99, 30.10), (119.88, 30.09), (119.81, 30.03),
]
TOWNSHIPS = [
    # code, name_zh, name_en, department code, shape: "seat" or a quadrant (lon_dir, lat_dir)
    ("CGZ", "城关镇", "Chengguan Town", "XZ-CGZ", "seat"),
    ("DCJD", "东城街道", "Dongcheng Subdistrict", "XZ-DCJD", "east"),
    ("XCJD", "西城街道", "Xicheng Subdistrict", "XZ-XCJD", "west"),
    ("NHZ", "南湖镇", "Nanhu Town", "XZ-NHZ", "south"),
    ("BSX", "北山乡", "Beishan Township", "XZ-BSX", "north"),
]


def _county_polygon() -> Polygon:
    return Polygon(COUNTY_OUTLINE)


def _township_polygons() -> dict[str, Polygon]:
    county = _county_polygon()
    lat, lon = COUNTY_CENTER
    seat = box(lon - 0.035, lat - 0.025, lon + 0.035, lat + 0.025)
    far = 1.0
    quadrants = {
        "east": Polygon([(lon, lat), (lon + far, lat + far), (lon + far, lat - far)]),
        "west": Polygon([(lon, lat), (lon - far, lat + far), (lon - far, lat - far)]),
        "south": Polygon([(lon, lat), (lon + far, lat - far), (lon - far, lat - far)]),
        "north": Polygon([(lon, lat), (lon + far, lat + far), (lon - far, lat + far)]),
    }
    out = {}
    for code, _zh, _en, _dept, where in TOWNSHIPS:
        geom = seat if where == "seat" else quadrants[where].intersection(county).difference(seat)
        out[code] = geom.intersection(county)
    return out


def _area_row(code, name_zh, name_en, kind, department_id, geom) -> Area:
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    return Area(code=code, name_zh=name_zh, name_en=name_en, kind=kind, department_id=department_id,
                geometry=mapping(geom), min_lon=min_lon, min_lat=min_lat, max_lon=max_lon, max_lat=max_lat)


def seed_reference() -> None:
    """Departments, categories and the county's areas; idempotent (existing codes are kept)."""
    data = json.loads(SEED_DATA.read_text(encoding="utf-8"))
    existing = {d.code: d for d in db.session.scalars(sa.select(Department))}
    for row in data["departments"]:
        if row["code"] not in existing:
            dept = Department(code=row["code"], name_zh=row["name_zh"], name_en=row.get("name_en", ""),
                              is_placeholder=row["code"] in PLACEHOLDER_DEPARTMENTS)
            db.session.add(dept)
            existing[dept.code] = dept
    for _code, name_zh, name_en, dept_code, _where in TOWNSHIPS:
        if dept_code not in existing:
            dept = Department(code=dept_code, name_zh=f"{name_zh}人民政府" if "街道" not in name_zh
                              else f"{name_zh}办事处", name_en=f"{name_en} Government")
            db.session.add(dept)
            existing[dept_code] = dept
    db.session.flush()

    known = set(db.session.scalars(sa.select(Category.code)))
    for row in data["categories"]:
        if row["code"] in known:
            continue
        default = existing.get(row.get("default_department_code") or "")
        db.session.add(Category(
            code=row["code"], name_zh=row["name_zh"], name_en=row.get("name_en", ""),
            group_code=row["group_code"], group_zh=row.get("group_zh", ""), group_en=row.get("group_en", ""),
            default_department_id=default.id if default else None, sla_hours=int(row["sla_hours"]),
            severity=row.get("severity", "normal"),
            area_scoped=row.get("default_department_code") in PLACEHOLDER_DEPARTMENTS,
        ))

    areas = set(db.session.scalars(sa.select(Area.code)))
    if "COUNTY" not in areas:
        db.session.add(_area_row("COUNTY", "示范县", "Demo County", AreaKind.COUNTY, existing["CCB"].id,
                                 _county_polygon()))
    polygons = _township_polygons()
    for code, name_zh, name_en, dept_code, _where in TOWNSHIPS:
        if code not in areas:
            db.session.add(_area_row(code, name_zh, name_en, AreaKind.TOWNSHIP, existing[dept_code].id,
                                     polygons[code]))
    db.session.flush()
    invalidate_area_cache()


DEMO_USERS = [
    # username, role, department, display name
    ("admin", Role.ADMIN, None, "系统管理员"),
    ("supervisor", Role.SUPERVISOR, "CCB", "创城办 王主任"),
    ("inspector", Role.INSPECTOR, None, "督查员 李明"),
    ("inspector2", Role.INSPECTOR, None, "督查员 张华"),
    ("cgzf", Role.DEPARTMENT, "CGZF", "城管局 值班员"),
    ("hwzx", Role.DEPARTMENT, "HWZX", "环卫中心 值班员"),
    ("jjdd", Role.DEPARTMENT, "JJDD", "交警大队 值班员"),
    ("cgz", Role.DEPARTMENT, "XZ-CGZ", "城关镇 值班员"),
]


def _password() -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(10)) + secrets.choice("!@#%+=")
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


def seed_users() -> list[tuple[str, str, str]]:
    """Create the demo users that do not exist yet; return (username, role, password) of new ones."""
    created = []
    for username, role, dept, name in DEMO_USERS:
        if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
            continue
        password = _password()
        user_service.create_user(username, password, role.value, dept, display_name=name)
        created.append((username, role.value, password))
    return created


# --- tickets in bulk -------------------------------------------------------------------------

# Where a seeded ticket ends up, with how likely that is, by age: older tickets are mostly done.
_PATHS = {
    "reported": ["report"],
    "assigned": ["report", "assign"],
    "in_progress": ["report", "assign", "accept"],
    "resolved": ["report", "assign", "accept", "resolve"],
    "closed": ["report", "assign", "accept", "resolve", "close"],
    "returned": ["report", "assign", "return"],
    "reopened": ["report", "assign", "accept", "resolve", "reopen"],
    "invalid": ["report", "mark_invalid"],
    "duplicate": ["report", "mark_duplicate"],
}
_STATUS_AFTER = {"report": "reported", "assign": "assigned", "accept": "in_progress", "resolve": "resolved",
                 "close": "closed", "return": "returned", "reopen": "reopened", "mark_invalid": "invalid",
                 "mark_duplicate": "duplicate"}
_STREETS = ["人民路", "解放路", "建设路", "中山路", "文化路", "新华街", "胜利街", "和平路", "滨河路", "府前街",
            "农贸市场", "汽车站广场", "步行街", "幸福小区", "学府路"]
_NOTES = ["现场发现，请尽快处理", "多次出现，影响市容", "群众反映强烈", "早高峰尤为突出", "已拍照取证", ""]


def _pick_status(age_days: float, rng: random.Random) -> str:
    if age_days < 2:
        weights = {"reported": 8, "assigned": 45, "in_progress": 30, "resolved": 10, "returned": 4, "invalid": 2,
                   "duplicate": 1, "closed": 0, "reopened": 0}
    elif age_days < 10:
        weights = {"reported": 3, "assigned": 12, "in_progress": 20, "resolved": 20, "closed": 30, "returned": 4,
                   "reopened": 5, "invalid": 3, "duplicate": 3}
    else:
        weights = {"reported": 1, "assigned": 3, "in_progress": 4, "resolved": 5, "closed": 76, "returned": 1,
                   "reopened": 3, "invalid": 4, "duplicate": 3}
    statuses = list(weights)
    return rng.choices(statuses, weights=[weights[s] for s in statuses])[0]


@dataclass
class _Context:
    categories: list[Category]
    county: Polygon
    townships: list[tuple[Area, Polygon]]
    hotspots: list[tuple[float, float, float]]  # lat, lon, sigma in degrees
    reporters: list[int]
    department_users: dict[int, int]
    supervisor_id: int | None


def _context(rng: random.Random) -> _Context:
    categories = list(db.session.scalars(sa.select(Category).where(Category.active)))
    areas = list(db.session.scalars(sa.select(Area)))
    county_area = next(a for a in areas if a.kind == AreaKind.COUNTY)
    from shapely.geometry import shape

    county = shape(county_area.geometry)
    townships = [(a, shape(a.geometry)) for a in areas if a.kind == AreaKind.TOWNSHIP]
    # Problems cluster along streets and around markets: hot spots, denser in the county seat.
    hotspots = []
    min_lon, min_lat, max_lon, max_lat = county.bounds
    while len(hotspots) < 60:
        if rng.random() < 0.6:
            lat = rng.gauss(COUNTY_CENTER[0], 0.015)
            lon = rng.gauss(COUNTY_CENTER[1], 0.02)
        else:
            lat, lon = rng.uniform(min_lat, max_lat), rng.uniform(min_lon, max_lon)
        if county.contains(Point(lon, lat)):
            hotspots.append((lat, lon, rng.choice([0.0004, 0.0008, 0.0015, 0.003])))
    reporters = list(db.session.scalars(sa.select(User.id).where(User.role == Role.INSPECTOR))) or [None]
    department_users = dict(db.session.execute(
        sa.select(User.department_id, sa.func.min(User.id)).where(User.role == Role.DEPARTMENT)
        .group_by(User.department_id)).tuples().all())
    supervisor_id = db.session.scalar(sa.select(sa.func.min(User.id)).where(User.role == Role.SUPERVISOR))
    return _Context(categories, county, townships, hotspots, reporters, department_users, supervisor_id)


def _point(ctx: _Context, rng: random.Random) -> tuple[float, float]:
    min_lon, min_lat, max_lon, max_lat = ctx.county.bounds
    for _ in range(50):
        if rng.random() < 0.85:
            lat0, lon0, sigma = rng.choice(ctx.hotspots)
            lat, lon = rng.gauss(lat0, sigma), rng.gauss(lon0, sigma * 1.2)
        else:
            lat, lon = rng.uniform(min_lat, max_lat), rng.uniform(min_lon, max_lon)
        if ctx.county.contains(Point(lon, lat)):
            return lat, lon
    return COUNTY_CENTER


def _township_at(ctx: _Context, lat: float, lon: float) -> Area | None:
    point = Point(lon, lat)
    for area, geom in ctx.townships:
        if geom.covers(point):
            return area
    return None


def seed_tickets(count: int, *, now: datetime | None = None, days: int = 60, seed: int = 7,
                 chunk: int = 5000, progress=None) -> int:
    """Insert `count` tickets over the last `days` days with bulk INSERTs; return how many."""
    now = now or now_utc()
    rng = random.Random(seed)
    ctx = _context(rng)
    counters = dict(db.session.execute(sa.select(CaseCounter.day, CaseCounter.last)).tuples().all())
    next_id = (db.session.scalar(sa.select(sa.func.max(Ticket.id))) or 0) + 1
    done = 0
    while done < count:
        batch = min(chunk, count - done)
        tickets, events = [], []
        for _ in range(batch):
            ticket, ticket_events = _one_ticket(ctx, rng, now, days, next_id, counters)
            tickets.append(ticket)
            events.extend(ticket_events)
            next_id += 1
        db.session.execute(sa.insert(Ticket), tickets)
        db.session.execute(sa.insert(TicketEvent), events)
        done += batch
        if progress:
            progress(done)
    _save_counters(counters)
    return done


def _one_ticket(ctx: _Context, rng: random.Random, now: datetime, days: int, ticket_id: int,
                counters: dict[str, int]) -> tuple[dict, list[dict]]:
    age = days * (rng.random() ** 1.3)  # more recent tickets than old ones
    received = now - timedelta(days=age, minutes=rng.randint(0, 59))
    category = rng.choice(ctx.categories)
    lat, lon = _point(ctx, rng)
    township = _township_at(ctx, lat, lon)
    department_id = category.default_department_id
    if category.area_scoped or department_id is None:
        department_id = township.department_id if township else None
    status = _pick_status(age, rng)
    if department_id is None:
        status = rng.choice(["reported", "invalid", "duplicate"])
    day = to_local(received).strftime("%Y%m%d")
    counters[day] = counters.get(day, 0) + 1
    reporter = rng.choice(ctx.reporters)
    row = {
        "id": ticket_id, "case_number": format_case_number(day, counters[day]), "status": status, "version": 1,
        "category_id": category.id, "department_id": department_id, "area_id": township.id if township else None,
        "reporter_id": reporter, "lat": lat, "lon": lon, "accuracy_m": round(rng.uniform(3, 40), 1),
        "location_source": rng.choice(["device", "device", "device", "exif", "manual"]),
        "address": f"{township.name_zh if township else ''}{rng.choice(_STREETS)}{rng.randint(1, 300)}号",
        "description": f"{category.name_zh}。{rng.choice(_NOTES)}", "captured_at": received - timedelta(
            minutes=rng.randint(0, 240)), "received_at": received, "assigned_at": None, "due_at": None,
        "resolved_at": None, "closed_at": None, "resolved_on_time": None, "overdue_marked_at": None,
        "report_count": 1 + (rng.random() < 0.15) * rng.randint(1, 4), "rework_count": 0,
        "duplicate_of_id": ticket_id - 1 if status == "duplicate" and ticket_id > 1 else None,
        "updated_at": received,
    }
    events = []
    at = received
    actor = reporter
    for action in _PATHS[status]:
        before = events[-1]["to_status"] if events else None
        if action == "assign":
            row["assigned_at"] = at
            row["due_at"] = at + timedelta(hours=category.sla_hours)
            actor = None
        elif action in ("accept", "resolve", "return"):
            actor = ctx.department_users.get(department_id)
        elif action == "close":
            actor = reporter
            row["closed_at"] = at
        elif action == "reopen":
            actor = reporter
            row["rework_count"] = 1
            row["assigned_at"] = at
            row["due_at"] = at + timedelta(hours=category.sla_hours)
        elif action in ("mark_invalid", "mark_duplicate"):
            actor = ctx.supervisor_id
        if action == "resolve":
            row["resolved_at"] = at
            row["resolved_on_time"] = row["due_at"] is None or at <= row["due_at"]
        events.append({"ticket_id": ticket_id, "actor_id": actor, "at": at, "action": action,
                       "from_status": before, "to_status": _STATUS_AFTER[action],
                       "note": "" if action != "return" else "不属于本单位职责", "photos": [], "data": {}})
        # The next step comes some hours later; resolutions mostly within the SLA.
        step_hours = rng.expovariate(1 / max(1.0, category.sla_hours * 0.6))
        at = min(now, at + timedelta(hours=step_hours, minutes=rng.randint(1, 30)))
    if row["resolved_at"] is not None and status == "reopened":
        row["resolved_at"] = None
        row["resolved_on_time"] = None
    row["updated_at"] = events[-1]["at"]
    if status == "reopened":
        row["due_at"] = events[-1]["at"] + timedelta(hours=category.sla_hours)
    return row, events


def _save_counters(counters: dict[str, int]) -> None:
    existing = set(db.session.scalars(sa.select(CaseCounter.day)))
    for day, last in counters.items():
        if day in existing:
            db.session.execute(sa.update(CaseCounter).where(CaseCounter.day == day).values(last=last))
        else:
            db.session.add(CaseCounter(day=day, last=last))
    db.session.flush()

