"""Benchmark (not a test): the simulated score of a quarter (issue 14 §5 and "Benchmark") at full size —
2,000 inspection points, 50,000 visits, 1,000,000 tickets — and at a tenth, on SQLite and PostgreSQL.

    python bench/assessment_score.py                        # both databases, every size
    python bench/assessment_score.py --db sqlite --sizes full,tenth --runs 20
    BENCH_QUICK=1 python bench/assessment_score.py          # 200 points / 5,000 visits / 100,000 tickets
    python bench/assessment_score.py --rebuild              # build the databases again

Sizes: `full`; `tenth`, a tenth of the visits and tickets over the same points (the budget: full
within 3× of it); `tenth-all`, a tenth of the points too, for information (the score's work follows
the points, each scored and its failures listed, so that ratio is near 10× whatever the indexes).

Each database is built once from the migrations (the demo county, `seed_tickets`, then points,
visits and their results in bulk) and kept: a SQLite file under bench/out/ and a PostgreSQL database
per size (xc_bench_score_<points>_<visits>_<tickets>, on the server of BENCH_PG_URL); a later run
upgrades it to the head revision and re-analyses it, and builds it again if the score's indexes are
not the models'. The times are `score.score()` for the 91 local days up to the day the data was
built (so the period includes "today": the statuses are the tickets' current ones) with `now` = the
build time, and for information the quarter that ended 30 days before (statuses from the history);
each run in a fresh session, after three warm-up runs. It prints p50/p95 per size, the p95 against
the 200 ms budget, and full size against the tenths, baselines measured in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402
from map_queries import PG_URL, ensure_pg_database, fresh_database, make_app  # noqa: E402

from app.extensions import db  # noqa: E402

OUT = ROOT / "bench" / "out"
BUDGET_MS = 200.0
GROWTH = 3.0
QUARTER_DAYS = 91
FULL = (2000, 50_000, 1_000_000)  # points, visits, tickets
QUICK = (200, 5_000, 100_000)
BUILD_VERSION = 1  # bump when the generated data changes: cached databases are then rebuilt
SCORE_INDEXES = {"ix_ticket_status_category_lat_lon", "ix_ticket_updated_at", "ix_visit_point_latest",
                 "ix_visit_result_visit_outcome", "ix_visit_started_point", "ix_ticket_event_ticket_id",
                 "ix_ticket_id_department"}
META = "bench_score_meta"  # a table of the bench's own in the cached database: what was built, when


def sizes(quick: bool) -> dict[str, tuple[int, int, int]]:
    """full; a tenth of the data (visits and tickets) over the same points; a tenth of everything."""
    points, visits, tickets = QUICK if quick else FULL
    return {"full": (points, visits, tickets), "tenth": (points, visits // 10, tickets // 10),
            "tenth-all": (points // 10, visits // 10, tickets // 10)}


# --- building ----------------------------------------------------------------------------------

def database_url(kind: str, size: tuple[int, int, int]) -> str:
    points, visits, tickets = size
    if kind == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{OUT}/assessment_score_{points}_{visits}_{tickets}.sqlite3"
    url = PG_URL.rsplit("/", 1)[0] + f"/xc_bench_score_{points}_{visits}_{tickets}"
    ensure_pg_database(url)
    return url


def built_at(app, size) -> datetime | None:
    """When the database at hand was built with this size and BUILD_VERSION, or None."""
    with app.app_context():
        if not sa.inspect(db.engine).has_table(META):
            return None
        row = db.session.execute(sa.text(f"SELECT params, built_at FROM {META}")).first()
        db.session.rollback()
    wanted = json.dumps({"size": list(size), "version": BUILD_VERSION})
    if row is None or row[0] != wanted:
        return None
    return datetime.fromisoformat(row[1])


def build(app, size) -> datetime:
    points, visits, tickets = size
    with app.app_context():
        if db.engine.dialect.name == "sqlite":  # a new file (fresh_database drops PostgreSQL's schema)
            db.engine.dispose()
            path = Path(db.engine.url.database)
            for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                stale.unlink(missing_ok=True)
    fresh_database(app)
    from app import seed as demo

    now = datetime.now(UTC).replace(microsecond=0)
    with app.app_context():
        started = time.perf_counter()
        demo.seed_reference()
        demo.seed_users()
        db.session.commit()
        demo.seed_tickets(tickets, now=now, progress=_progress(tickets))
        db.session.commit()
        print(f"  {tickets:,} tickets in {time.perf_counter() - started:.0f} s", flush=True)
        seed_assessment(points, visits, now)
        db.session.execute(sa.text(f"CREATE TABLE {META} (params TEXT, built_at TEXT)"))
        db.session.execute(sa.text(f"INSERT INTO {META} VALUES (:p, :b)"),
                           {"p": json.dumps({"size": list(size), "version": BUILD_VERSION}), "b": now.isoformat()})
        db.session.commit()
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    return now


def _progress(total: int):
    step = max(total // 5, 1)
    return lambda done: print(f"  … {done:,} tickets", flush=True) if done % step == 0 else None


def seed_assessment(count: int, visit_count: int, now: datetime) -> None:
    """`count` points where tickets are (each type in turn, a fifth with a polygon), replacing the demo's,
    and `visit_count` visits in the last 91 days (half as many in the 30 days before), each with one
    result per item of its checklist."""
    from app.models import (
        ChecklistItem,
        ChecklistVersion,
        Department,
        InspectionPoint,
        LocationType,
        Ticket,
        User,
    )
    from app.seed import _bulk_insert

    rng = random.Random(14)
    conn = db.session.connection()
    # The demo's points go, with whatever the seed made on them (visits, draws).
    doomed = {"inspection_point"}
    for table in db.metadata.sorted_tables:
        if any(fk.column.table.name in doomed for fk in table.foreign_keys):
            doomed.add(table.name)
    for table in reversed(db.metadata.sorted_tables):
        if table.name in doomed:
            conn.execute(sa.delete(table))
    types = list(db.session.scalars(sa.select(LocationType.id).order_by(LocationType.id)))
    latest = dict(db.session.execute(
        sa.select(ChecklistVersion.location_type_id, sa.func.max(ChecklistVersion.id))
        .group_by(ChecklistVersion.location_type_id)).all())
    items: dict[int, list[tuple[str, int]]] = {}
    for version_id, code, category_id in db.session.execute(
            sa.select(ChecklistItem.checklist_version_id, ChecklistItem.code, ChecklistItem.category_id)):
        items.setdefault(version_id, []).append((code, category_id))
    departments = list(db.session.scalars(sa.select(Department.id).where(Department.is_placeholder.is_(False))))
    inspectors = list(db.session.scalars(sa.select(User.id).where(User.role == "inspector"))) or [None]
    top = db.session.scalar(sa.select(sa.func.max(Ticket.id)))
    # Points where problems are: at the positions of random tickets (so each has tickets around it).
    anchors = db.session.execute(sa.select(Ticket.lat, Ticket.lon, Ticket.area_id).where(
        Ticket.id.in_(rng.sample(range(1, top + 1), count)))).all()
    point_rows = []
    for i, (lat, lon, area_id) in enumerate(anchors):
        polygon = None
        min_lon, min_lat, max_lon, max_lat = lon, lat, lon, lat
        if i % 5 == 0:  # a market, a park, a compound: about 160 m by 100 m
            dlat, dlon = 0.00045, 0.00082
            ring = [[lon - dlon, lat - dlat], [lon + dlon, lat - dlat], [lon + dlon, lat + dlat],
                    [lon - dlon, lat + dlat], [lon - dlon, lat - dlat]]
            polygon = json.dumps({"type": "Polygon", "coordinates": [ring]})
            min_lon, min_lat, max_lon, max_lat = lon - dlon, lat - dlat, lon + dlon, lat + dlat
        type_id = types[i % len(types)]
        point_rows.append({"id": i + 1, "code": f"B{i + 1:05d}", "name": f"测评点位 {i + 1}",
                           "location_type_id": type_id,
                           "lat": lat, "lon": lon, "polygon": polygon, "min_lon": min_lon, "min_lat": min_lat,
                           "max_lon": max_lon, "max_lat": max_lat, "area_id": area_id,
                           "department_id": rng.choice(departments), "active": True, "created_at": now,
                           "updated_at": now})
    _bulk_insert(conn, InspectionPoint.__table__, point_rows)
    quarter = QUARTER_DAYS * 86400
    visit_rows, result_rows = [], []
    result_id = 0
    for v in range(1, visit_count * 3 // 2 + 1):
        point = point_rows[rng.randrange(count)]
        version_id = latest[point["location_type_id"]]
        # visit_count in the last 91 days, half as many in the 30 days before (for the past quarter)
        ago = rng.uniform(3600, quarter) if v <= visit_count else rng.uniform(quarter, quarter + 30 * 86400)
        started = now - timedelta(seconds=ago)
        voided = rng.random() < 0.02
        visit_rows.append({"id": v, "client_id": str(uuid.UUID(int=rng.getrandbits(128))),
                           "inspector_id": rng.choice(inspectors), "point_id": point["id"],
                           "checklist_version_id": version_id, "fingerprint": "", "started_at": started,
                           "finished_at": started + timedelta(minutes=15),
                           "received_at": started + timedelta(minutes=20),
                           "lat": point["lat"], "lon": point["lon"], "accuracy_m": 8.0, "distance_m": 3.0,
                           "flagged_far": False, "voided_at": started + timedelta(hours=3) if voided else None,
                           "void_reason": "bench" if voided else "", "voided_by_id": None})
        for code, _category in items[version_id]:
            draw = rng.random()
            outcome = "fail" if draw < 0.12 else ("na" if draw < 0.17 else "pass")
            result_id += 1
            result_rows.append({"id": result_id, "visit_id": v, "item_code": code, "outcome": outcome, "note": "",
                                "photos": json.dumps(["0" * 64] if outcome == "fail" else []),
                                "ticket_id": rng.randint(1, top) if outcome == "fail" else None})
        if len(result_rows) > 20000:
            _flush(conn, visit_rows, result_rows)
    _flush(conn, visit_rows, result_rows)
    if conn.dialect.name == "postgresql":
        for table in ("inspection_point", "visit", "visit_result"):
            conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT max(id) FROM {table}))")
    conn.exec_driver_sql("ANALYZE")
    print(f"  {count:,} points, {visit_count:,} visits, {result_id:,} results", flush=True)


def _flush(conn, visit_rows: list, result_rows: list) -> None:
    from app.models import Visit, VisitResult
    from app.seed import _bulk_insert

    _bulk_insert(conn, Visit.__table__, visit_rows)
    _bulk_insert(conn, VisitResult.__table__, result_rows)
    visit_rows.clear()
    result_rows.clear()


def prepare(kind: str, size, rebuild: bool):
    """The app on the cached database of this size (built if missing), at the head revision, analysed."""
    from flask_migrate import upgrade

    app = make_app(database_url(kind, size))
    when = None if rebuild else built_at(app, size)
    if when is not None:
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))  # revisions added since the build
        stale = schema_differences(app)
        if stale:  # a revision the database has was changed since it was built
            print(f"{kind}: the cached database's indexes are not the models' ({stale[0][0]} {stale[0][1].name}, "
                  f"{len(stale)} in all): building it again")
            when = None
    if when is None:
        print(f"{kind}: building {size[0]:,} points, {size[1]:,} visits, {size[2]:,} tickets…", flush=True)
        when = build(app, size)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
    return app, when


def schema_differences(app) -> list:
    """How the indexes the score reads differ from the models' (others' work on other columns and
    indexes, perhaps in progress, is not the benchmark's concern)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), db.metadata)
    return [d for d in _flat(diff) if d[0] in ("add_index", "remove_index") and d[1].name in SCORE_INDEXES]


def _flat(diff: list) -> list:
    return [d for entry in diff for d in (entry if isinstance(entry, list) else [entry])]


# --- measuring ----------------------------------------------------------------------------------

def measure(app, now: datetime, runs: int) -> dict[str, list[float]]:
    from app.services.assessment import score
    from app.timeutil import to_local

    today = to_local(now).date()
    periods = {
        "current quarter": (today - timedelta(days=QUARTER_DAYS - 1), today),
        "quarter ended 30 days ago": (today - timedelta(days=QUARTER_DAYS + 29), today - timedelta(days=30)),
    }
    out: dict[str, list[float]] = {}
    with app.app_context():
        for name, (start, end) in periods.items():
            times = []
            for i in range(runs + 3):  # three warm-up runs: a running server has the pages cached
                db.session.remove()
                started = time.perf_counter()
                result = score.score(start, end, now=now + timedelta(minutes=1))
                elapsed = (time.perf_counter() - started) * 1000
                if i >= 3:
                    times.append(elapsed)
            db.session.remove()
            print(f"    {name}: {len(result.by_point):,} points scored, county {result.county:.2f}, "
                  f"{sum(len(p.failures) for p in result.by_point):,} failed items; "
                  f"p50 {statistics.median(times):.0f} ms, p95 {p95(times):.0f} ms", flush=True)
            out[name] = times
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def _label(size) -> str:
    return f"{size[0]:,} points, {size[1]:,} visits, {size[2]:,} tickets"


def report(label: str, by_size: dict[str, dict[str, list[float]]], size_of: dict[str, tuple]) -> list[dict]:
    """Print the table; the metrics for bench/run_all.py. The budgets: p95 of the current quarter at full
    size under 200 ms, and within 3× of a tenth of the data (visits and tickets) over the same points.
    A tenth of everything, points too, is shown for information: the score is about each point, so its
    work grows with the points whatever the indexes."""
    print(f"\n== {label} ==")
    print(f"{'period':<28}{'size':<46}{'p50 ms':>9}{'p95 ms':>9}{'p95/200ms':>11}{'full/this':>11}")
    metrics = []
    for period in by_size["full"]:
        full = p95(by_size["full"][period])
        for name in by_size:
            times = by_size[name][period]
            print(f"{period:<28}{_label(size_of[name]):<46}{statistics.median(times):9.1f}{p95(times):9.1f}"
                  f"{p95(times) / BUDGET_MS:11.2f}{full / max(p95(times), 0.001):11.2f}")
        main = period == "current quarter"
        for name in by_size:
            metric = {"name": f"{label}: score p95, {period}, {_label(size_of[name])}", "unit": "ms",
                      "value": round(p95(by_size[name][period]), 1)}
            if main and name == "full":
                metric["budget"] = BUDGET_MS
            metrics.append(metric)
        for name, what in (("tenth", "a tenth of the visits and tickets"), ("tenth-all", "a tenth of everything")):
            if name not in by_size:
                continue
            metric = {"name": f"{label}: score p95, {period}, full size against {what}", "unit": "ms",
                      "value": round(full, 1), "baseline": round(p95(by_size[name][period]), 1),
                      "baseline_name": _label(size_of[name])}
            if main and name == "tenth":
                metric["budget"] = GROWTH
            metrics.append(metric)
    return metrics


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sizes", default="full,tenth,tenth-all", help="of full, tenth, tenth-all")
    parser.add_argument("--rebuild", action="store_true", help="build the cached databases again")
    args = parser.parse_args()
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    kinds = {"sqlite": ["sqlite"], "postgresql": ["postgresql"], "both": ["sqlite", "postgresql"]}[args.db]
    metrics = []
    for kind in kinds:
        label = "SQLite" if kind == "sqlite" else "PostgreSQL"
        by_size = {}
        size_of = {name: size for name, size in sizes(quick).items() if name in args.sizes.split(",")}
        for name, size in size_of.items():
            app, when = prepare(kind, size, args.rebuild)
            print(f"{label}: {_label(size)} (built {when:%Y-%m-%d %H:%M} UTC); measuring {args.runs} runs…", flush=True)
            by_size[name] = measure(app, when, args.runs)
            with app.app_context():
                db.engine.dispose()
        if "full" in by_size:
            metrics += report(label, by_size, size_of)
    print(json.dumps({"bench": "assessment_score", "metrics": metrics}))  # for bench/run_all.py
    return 0


if __name__ == "__main__":
    sys.exit(main())
