"""The demo county: reference data from app/seed_data, users, and tickets in bulk."""
from __future__ import annotations

import json
import random
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import shapely
import sqlalchemy as sa
from shapely.geometry import Point, Polygon, box, mapping

from app.extensions import db
from app.models import Area, AreaKind, CaseCounter, Category, Department, Role, Ticket, TicketEvent, User, mapgrid
from app.services.accounts import users as user_service
from app.services.assessment import reference as assessment_reference
from app.services.reports.case_numbers import format_case_number
from app.services.reports.geo import invalidate_area_cache
from app.services.supervision import kpi_rollup, map_rollup
from app.timeutil import now_utc, to_local

SEED_DATA = Path(__file__).parent / "seed_data" / "categories.json"
ASSESSMENT_DATA = SEED_DATA.with_name("assessment.json")  # checklists of the mock field assessment
ASSESSMENT_POINTS = SEED_DATA.with_name("assessment_points.geojson")  # the demo county's inspection points
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
    """Departments, categories, the county's areas, and the assessment's location types, checklists and
    inspection points; idempotent (existing codes are kept)."""
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
    if sa.inspect(db.session.connection()).has_table("location_type"):  # not on an old revision (migration tests)
        assessment_reference.seed(data["location_types"], json.loads(ASSESSMENT_DATA.read_text(encoding="utf-8")),
                                  ASSESSMENT_POINTS.read_text(encoding="utf-8"), now_utc())


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
# Problems cluster where people and traffic are: along streets, around markets, schools and
# housing estates, in each township's town centre, and thinly across the villages. Each kind
# of place has its own typical problems, each department its own pace (so the ranking has a
# spread), and a ticket's status follows its age: old tickets are nearly all closed.

_NAMES = {
    "street": ["人民路", "解放路", "建设路", "中山路", "文化路", "新华街", "胜利街", "和平路", "滨河路", "府前街",
               "学府路", "环城北路", "环城南路", "步行街", "工业大道", "迎宾大道"],
    "market": ["城南农贸市场", "城北农贸市场", "东城农贸市场", "西城菜市场", "南湖农贸市场", "北山集贸市场"],
    "estate": ["幸福小区", "阳光花园", "锦绣家园", "金色家园", "翠苑小区", "滨江花园", "和谐家园", "康乐新村",
               "丽景苑", "桂花园"],
    "school": ["实验小学", "第一中学", "城关小学", "东城中学", "南湖小学", "北山中学"],
    "square": ["人民公园", "滨河公园", "文化广场", "汽车站广场", "体育公园"],
    "village": ["李家村", "王家村", "张家坞", "石桥村", "大塘村", "新联村", "上洋村", "下洋村", "枫树村", "竹园村",
                "东岙村", "西坑村"],
}
# Category codes that are typical of each kind of place (others still occur there, rarely).
_TYPICAL = {
    "street": ["09009", "09010", "09011", "06012", "06013", "06014", "01037", "02010", "X02901", "02017", "06051",
               "09006", "09005", "07001", "07003", "07006", "08002", "04002", "X11001", "X11002", "X11003",
               "09019", "X01901", "03005", "X09901", "X09902"],
    "market": ["09020", "X14003", "09006", "09001", "06010", "06012", "06042", "09005", "06027", "09009", "06037"],
    "estate": ["X14002", "X13001", "06007", "06009", "06008", "06036", "06041", "06042", "X12002", "09012", "06001",
               "X14001", "09010"],
    "school": ["X14004", "09001", "X11001", "09009", "X11002"],
    "square": ["06017", "04002", "03001", "X14005", "X14006", "X12001", "06029", "07008", "09003", "X12003"],
    "village": ["06020", "06011", "06025", "06038", "06030", "06045", "06004", "X12003", "06037", "10002",
                "01013", "08004", "08007", "08011", "06028", "X14001"],
}
_TYPICAL_WEIGHT = 12.0  # a typical category is this much likelier than any other at that kind of place
_NOTES = ["现场发现，请尽快处理", "多次出现，影响市容", "群众反映强烈", "早高峰尤为突出", "已拍照取证", "",
          "周边商户反映", "夜间尤为严重"]

# Status weights by ticket age in days: (upper age bound, {status: weight}).
_STATUS_BY_AGE = [
    (0.25, {"reported": 15, "assigned": 57, "in_progress": 16, "returned": 3, "invalid": 3, "duplicate": 6}),
    (2, {"reported": 6, "assigned": 24, "in_progress": 34, "resolved": 24, "returned": 4, "invalid": 3,
         "duplicate": 5}),
    (10, {"reported": 3, "assigned": 7, "in_progress": 14, "resolved": 19, "closed": 43, "returned": 3,
          "reopened": 4, "invalid": 3, "duplicate": 4}),
    (60, {"reported": 1, "assigned": 1.5, "in_progress": 2.5, "resolved": 3, "closed": 81.8, "returned": 1,
          "reopened": 1, "invalid": 4, "duplicate": 4.2}),
    (float("inf"), {"assigned": 0.2, "in_progress": 0.3, "resolved": 0.3, "closed": 90.5, "reopened": 0.2,
                    "invalid": 4.5, "duplicate": 4}),
]
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
_REWORKED = ["resolve", "reopen", "accept"]  # spliced in before the last resolve of a reworked ticket
_REWORK_SHARE = 0.08
_STATUS_AFTER = {"report": "reported", "assign": "assigned", "accept": "in_progress", "resolve": "resolved",
                 "close": "closed", "return": "returned", "reopen": "reopened", "mark_invalid": "invalid",
                 "mark_duplicate": "duplicate"}


@dataclass
class _Place:
    kind: str
    name: str
    township_code: str | None
    weight: float
    a: tuple[float, float]  # (lat, lon); a street runs from a to b, other places sit at a
    b: tuple[float, float] | None = None
    spread: float = 0.0008  # degrees (about 80 m)


def _places(rng: random.Random, townships: dict[str, Polygon]) -> list[_Place]:
    """The county's streets, markets, schools, estates, squares and villages, with how busy each is."""
    names = {kind: iter(rng.sample(values, len(values))) for kind, values in _NAMES.items()}
    places: list[_Place] = []
    lat0, lon0 = COUNTY_CENTER
    # The county seat: a street grid with markets, schools, estates and squares in it.
    for i, dlat in enumerate((-0.015, -0.005, 0.005, 0.015)):
        places.append(_Place("street", next(names["street"]), "CGZ", 6 - i % 2, (lat0 + dlat, lon0 - 0.03),
                             (lat0 + dlat, lon0 + 0.03), spread=0.00012))
    for i, dlon in enumerate((-0.02, -0.007, 0.007, 0.02)):
        places.append(_Place("street", next(names["street"]), "CGZ", 5 - i % 2, (lat0 - 0.022, lon0 + dlon),
                             (lat0 + 0.022, lon0 + dlon), spread=0.00012))
    for kind, count, weight, spread in (("market", 2, 9, 0.0005), ("school", 3, 2, 0.0006),
                                        ("estate", 6, 3, 0.0009), ("square", 3, 3, 0.0008)):
        for _ in range(count):
            at = (lat0 + rng.uniform(-0.02, 0.02), lon0 + rng.uniform(-0.028, 0.028))
            places.append(_Place(kind, next(names[kind]), "CGZ", weight, at, spread=spread))
    # Each township: a high street through its town centre, a market, a school, an estate, villages.
    for code, polygon in townships.items():
        if code == "CGZ":
            continue
        centre = polygon.representative_point()
        lat, lon = centre.y, centre.x
        places.append(_Place("street", next(names["street"]), code, 3, (lat - 0.004, lon - 0.012),
                             (lat + 0.004, lon + 0.012), spread=0.00012))
        for kind, weight, spread in (("market", 3, 0.0005), ("school", 1, 0.0006), ("estate", 1.5, 0.0008)):
            at = (lat + rng.uniform(-0.004, 0.004), lon + rng.uniform(-0.006, 0.006))
            places.append(_Place(kind, next(names[kind], f"{kind}{len(places)}"), code, weight, at,
                                 spread=spread))
        min_lon, min_lat, max_lon, max_lat = polygon.bounds
        for _ in range(3):
            for _attempt in range(100):
                at = (rng.uniform(min_lat, max_lat), rng.uniform(min_lon, max_lon))
                if polygon.contains(Point(at[1], at[0])):
                    break
            name = next(names["village"], f"新村{len(places)}")
            places.append(_Place("village", name, code, 0.6, at, spread=0.002))
    return places


@dataclass
class _Context:
    categories: list[Category]
    category_weights: dict[str, np.ndarray]  # place kind → probability of each category
    places: list[_Place]
    place_p: np.ndarray
    county: Polygon
    townships: list[tuple[Area, Polygon]]
    reporters: list[int | None]
    department_users: dict[int, int]
    pace: dict[int, float]  # department id → how slowly it works, 1.0 = typical
    supervisor_id: int | None


def _context(rng: random.Random) -> _Context:
    from shapely.geometry import shape

    categories = list(db.session.scalars(sa.select(Category).where(Category.active).order_by(Category.id)))
    areas = list(db.session.scalars(sa.select(Area).order_by(Area.id)))
    county = shape(next(a for a in areas if a.kind == AreaKind.COUNTY).geometry)
    townships = [(a, shape(a.geometry)) for a in areas if a.kind == AreaKind.TOWNSHIP]
    places = _places(rng, {a.code: geom for a, geom in townships})
    weights = np.array([p.weight for p in places])
    category_weights = {}
    for kind, typical in _TYPICAL.items():
        w = np.array([_TYPICAL_WEIGHT if c.code in typical else 1.0 for c in categories])
        category_weights[kind] = w / w.sum()
    reporters = list(db.session.scalars(sa.select(User.id).where(User.role == Role.INSPECTOR))) or [None]
    department_users = dict(db.session.execute(
        sa.select(User.department_id, sa.func.min(User.id)).where(User.role == Role.DEPARTMENT)
        .group_by(User.department_id)).all())
    departments = list(db.session.scalars(sa.select(Department.id).order_by(Department.id)))
    pace = {d: rng.choice([0.35, 0.5, 0.6, 0.8, 1.0, 1.3, 1.8]) for d in departments}
    supervisor_id = db.session.scalar(sa.select(sa.func.min(User.id)).where(User.role == Role.SUPERVISOR))
    return _Context(categories, category_weights, places, weights / weights.sum(), county, townships, reporters,
                    department_users, pace, supervisor_id)


def seed_tickets(count: int, *, now: datetime | None = None, days: int | None = None, seed: int = 7,
                 chunk: int = 20000, progress=None) -> int:
    """Insert `count` tickets with their histories over the last `days` days; return how many.

    `days` defaults to 60, or longer for big counts (a million tickets is years of a county's
    work, about a thousand a day). Rows go in by COPY on PostgreSQL and executemany on SQLite;
    the map cells are recounted at the end.
    """
    now = now or now_utc()
    days = days or max(60, min(3 * 365, count // 1000))
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    ctx = _context(rng)
    counters = dict(db.session.execute(sa.select(CaseCounter.day, CaseCounter.last)).all())
    next_id = (db.session.scalar(sa.select(sa.func.max(Ticket.id))) or 0) + 1
    conn = db.session.connection()
    done = 0
    while done < count:
        batch = min(chunk, count - done)
        tickets, events = _chunk(ctx, rng, nprng, batch, now, days, next_id, counters)
        _bulk_insert(conn, Ticket.__table__, tickets)
        _bulk_insert(conn, TicketEvent.__table__, events)
        next_id += batch
        done += batch
        if progress:
            progress(done)
    if conn.dialect.name == "postgresql":  # ids were given explicitly: move the sequence past them
        conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('ticket', 'id'), (SELECT max(id) FROM ticket))")
    _save_counters(counters)
    map_rollup.rebuild(conn)
    kpi_rollup.rebuild(conn)
    conn.exec_driver_sql("ANALYZE")  # fresh statistics, so the planner picks the covering indexes
    return done


def _chunk(ctx: _Context, rng: random.Random, nprng: np.random.Generator, n: int, now: datetime, days: int,
           first_id: int, counters: dict[str, int]) -> tuple[list[dict], list[dict]]:
    """`n` tickets and their events; positions, categories and statuses drawn with numpy in bulk."""
    ages = days * nprng.random(n) ** 1.25  # more recent tickets than old ones
    lats, lons, place_ix = _positions(ctx, nprng, n)
    area_ix = np.full(n, -1)
    for i, (_area, geom) in enumerate(ctx.townships):
        area_ix[(area_ix < 0) & shapely.contains_xy(geom, lons, lats)] = i
    kinds = np.array([ctx.places[i].kind if i >= 0 else "village" for i in place_ix])
    category_ix = np.empty(n, dtype=int)
    for kind, p in ctx.category_weights.items():
        mask = kinds == kind
        category_ix[mask] = nprng.choice(len(p), size=int(mask.sum()), p=p)
    statuses = np.empty(n, dtype=object)
    lower = 0.0
    for upper, weights in _STATUS_BY_AGE:
        mask = (ages >= lower) & (ages < upper)
        names, w = list(weights), np.array(list(weights.values()), dtype=float)
        statuses[mask] = nprng.choice(names, size=int(mask.sum()), p=w / w.sum())
        lower = upper
    tickets, events = [], []
    for i in range(n):
        place = ctx.places[place_ix[i]] if place_ix[i] >= 0 else None
        township = ctx.townships[area_ix[i]][0] if area_ix[i] >= 0 else None
        row, row_events = _one_ticket(ctx, rng, now, first_id + i, float(ages[i]), float(lats[i]), float(lons[i]),
                                      place, township, ctx.categories[category_ix[i]], str(statuses[i]), counters)
        tickets.append(row)
        events.extend(row_events)
    return tickets, events


def _positions(ctx: _Context, nprng: np.random.Generator, n: int):
    """Points near the places (along a street, around a market...), a few anywhere in the county."""
    place_ix = nprng.choice(len(ctx.places), size=n, p=ctx.place_p)
    a = np.array([p.a for p in ctx.places])
    b = np.array([p.b or p.a for p in ctx.places])
    spread = np.array([p.spread for p in ctx.places])
    t = nprng.random(n)
    lats = a[place_ix, 0] + t * (b[place_ix, 0] - a[place_ix, 0]) + nprng.normal(0, spread[place_ix])
    lons = a[place_ix, 1] + t * (b[place_ix, 1] - a[place_ix, 1]) + nprng.normal(0, spread[place_ix] * 1.15)
    # About one in twenty-five anywhere at all: a field, a riverside, a lane between villages.
    anywhere = nprng.random(n) < 0.04
    min_lon, min_lat, max_lon, max_lat = ctx.county.bounds
    lats[anywhere] = nprng.uniform(min_lat, max_lat, int(anywhere.sum()))
    lons[anywhere] = nprng.uniform(min_lon, max_lon, int(anywhere.sum()))
    place_ix[anywhere] = -1
    outside = ~shapely.contains_xy(ctx.county, lons, lats)
    lats[outside], lons[outside] = COUNTY_CENTER  # rare: a draw that fell over the county line
    return lats, lons, place_ix


def _address(place: _Place | None, township: Area | None, rng: random.Random) -> str:
    prefix = township.name_zh if township else ""
    if place is None:
        return f"{prefix}{rng.choice(_NAMES['village'])}附近"
    if place.kind == "street":
        return f"{prefix}{place.name}{rng.randint(1, 400)}号"
    if place.kind == "estate":
        return f"{prefix}{place.name}{rng.randint(1, 30)}幢"
    if place.kind in ("market", "school", "square"):
        return f"{prefix}{place.name}{rng.choice(['门口', '东侧', '西侧', '南门', '北门', '周边'])}"
    return f"{prefix}{place.name}"


def _one_ticket(ctx: _Context, rng: random.Random, now: datetime, ticket_id: int, age: float, lat: float,
                lon: float, place: _Place | None, township: Area | None, category: Category, status: str,
                counters: dict[str, int]) -> tuple[dict, list[dict]]:
    received = now - timedelta(days=age)
    department_id = category.default_department_id
    if category.area_scoped or department_id is None:
        department_id = township.department_id if township else None
    if department_id is None and status not in ("reported", "invalid", "duplicate"):
        status = "reported"  # nobody to route it to: it waits in the supervisor's triage
    day = to_local(received).strftime("%Y%m%d")
    counters[day] = counters.get(day, 0) + 1
    reporter = rng.choice(ctx.reporters)
    x, y = mapgrid.to_px(lat, lon)
    row = {
        "id": ticket_id, "case_number": format_case_number(day, counters[day]), "status": status, "version": 1,
        "category_id": category.id, "department_id": None, "area_id": township.id if township else None,
        "reporter_id": reporter, "lat": lat, "lon": lon, "map_x": x, "map_y": y,
        "accuracy_m": round(rng.uniform(3, 40), 1),
        "location_source": rng.choice(["device", "device", "device", "exif", "manual"]),
        "address": _address(place, township, rng), "description": f"{category.name_zh}。{rng.choice(_NOTES)}",
        "captured_at": received - timedelta(minutes=rng.randint(0, 120)), "received_at": received,
        "report_count": 1 + (rng.random() < 0.12) * rng.randint(1, 4), "rework_count": 0,
        "duplicate_of_id": ticket_id - 1 if status == "duplicate" and ticket_id > 1 else None,
        "assigned_at": None, "due_at": None, "resolved_at": None, "resolved_on_time": None, "closed_at": None,
    }
    path = list(_PATHS[status])
    if "resolve" in path and rng.random() < _REWORK_SHARE:
        at = len(path) - 1 - path[::-1].index("resolve")
        path[at:at] = _REWORKED
    # How long each step takes: a department's pace times its SLA, squeezed into the ticket's age.
    pace = ctx.pace.get(department_id, 1.0)
    steps = [0.0] + [rng.expovariate(1.0) * max(0.5, category.sla_hours * 0.45 * pace) for _ in path[1:]]
    budget = age * 24.0 * 0.97
    if sum(steps) > budget:
        steps = [s * budget / sum(steps) for s in steps]
    events = []
    at = received
    for action, hours in zip(path, steps, strict=True):
        at = at + timedelta(hours=hours)
        actor = reporter
        if action == "assign":
            row["department_id"] = department_id
            row["assigned_at"] = at
            row["due_at"] = at + timedelta(hours=category.sla_hours)
            actor = None
        elif action in ("accept", "resolve", "return"):
            actor = ctx.department_users.get(department_id)
        elif action in ("mark_invalid", "mark_duplicate"):
            actor = ctx.supervisor_id
        if action == "resolve":
            row["resolved_at"] = at
            row["resolved_on_time"] = at <= row["due_at"]
        elif action == "close":
            row["closed_at"] = at
        elif action == "reopen":
            row["rework_count"] += 1
            row["resolved_at"] = row["resolved_on_time"] = None
            row["assigned_at"] = at
            row["due_at"] = at + timedelta(hours=category.sla_hours)
        events.append({"ticket_id": ticket_id, "actor_id": actor, "at": at, "action": action,
                       "from_status": events[-1]["to_status"] if events else None,
                       "to_status": _STATUS_AFTER[action], "note": "不属于本单位职责" if action == "return" else "",
                       "photos": "[]", "data": "{}"})
    row["updated_at"] = at
    return row, events


def _bulk_insert(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """Insert plain rows fast: COPY on PostgreSQL, one executemany on SQLite (no per-row ORM work).

    Every row has the same keys; columns they do not mention get their model default, so a
    column added later does not break the seed. JSON columns take JSON text.
    """
    if not rows:
        return
    columns = [c for c in table.columns if c.name in rows[0] or not c.primary_key]
    defaults = {c.name: _default(c) for c in columns if c.name not in rows[0]}
    names = [c.name for c in columns]
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        quoted = ", ".join(f'"{name}"' for name in names)
        with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row[name] if name in row else defaults[name] for name in names])
        return
    values = [[_sqlite_value(row[name] if name in row else defaults[name]) for name in names] for row in rows]
    placeholders = ", ".join("?" for _ in names)
    quoted = ", ".join(f'"{name}"' for name in names)
    conn.connection.driver_connection.executemany(
        f'INSERT INTO "{table.name}" ({quoted}) VALUES ({placeholders})', values)


def _default(column: sa.Column):
    default = column.default
    if default is None:
        return None
    if default.is_scalar:
        value = default.arg
    elif default.is_callable:
        value = default.arg(None)
    else:
        return None
    return json.dumps(value) if isinstance(column.type, sa.JSON) else getattr(value, "value", value)


def _sqlite_value(value):
    # SQLAlchemy's SQLite DateTime stores naive UTC text; do the same without its per-row work.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return value


def _save_counters(counters: dict[str, int]) -> None:
    existing = set(db.session.scalars(sa.select(CaseCounter.day)))
    for day, last in counters.items():
        if day in existing:
            db.session.execute(sa.update(CaseCounter).where(CaseCounter.day == day).values(last=last))
        else:
            db.session.add(CaseCounter(day=day, last=last))
    db.session.flush()
