"""Benchmark (not a test): map clusters, dashboard and department queue at 10,000 and 1,000,000 tickets.

    python bench/map_queries.py                          # SQLite (temp file) and PostgreSQL (xc_bench)
    python bench/map_queries.py --db sqlite --sizes 10000
    BENCH_PG_URL=postgresql://postgres@127.0.0.1:5432/xc_bench python bench/map_queries.py --db postgresql

For each database and size it builds a fresh database from the migrations, seeds the demo
county with `seed_tickets` (and reports how long that took), then times requests through the
whole Flask stack in-process (auth, SQL, JSON or HTML): clusters for viewports of 1280×800
pixels at zooms 9–16 centred on random tickets, the supervisor dashboard page, and a
department's queue from the ticket API. It prints p50/p95 and the ratios to the budgets of
issue 6 (docs/design.md §8): clusters p95 < 100 ms, dashboard and queue p95 < 50 ms at 1,000,000
tickets, each within 3× of its 10,000-ticket figure.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.config import Config  # noqa: E402
from app.extensions import db  # noqa: E402

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/xc_bench")
BUDGET_MS = {"clusters": 100.0, "dashboard": 50.0, "queue": 50.0}
# Not in the issue's budget, shown for information: the heaviest dashboard view (a year, by category).
EXTRA = {"dashboard-year": "dashboard p95, 365 days by category (for information)"}
ZOOMS = range(9, 17)


def _engine_url(url: str) -> str:
    return "postgresql+psycopg://" + url[len("postgresql://"):] if url.startswith("postgresql://") else url


def make_app(url: str):
    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = _engine_url(url)
        WTF_CSRF_ENABLED = False
        PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
        MEDIA_ROOT = tempfile.mkdtemp(prefix="xc-bench-media-")

    return create_app(BenchConfig)


def fresh_database(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        upgrade(directory=str(ROOT / "migrations"))


def ensure_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def seed(app, count: int) -> float:
    from app import seed as demo
    from app.services.accounts import users

    with app.app_context():
        demo.seed_reference()
        db.session.commit()
        users.create_user("bench_sup", "Bench-pass-123", "supervisor", None)
        users.create_user("bench_dept", "Bench-pass-123", "department", "CGZF")
        demo.seed_users()
        db.session.commit()
        started = time.perf_counter()
        demo.seed_tickets(count)
        db.session.commit()
        seconds = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does on a running server: visibility map and statistics after a bulk load.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE ticket, ticket_event, map_cell")
        return seconds


def timed(call, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def viewport(zoom: int, lat: float, lon: float, width: int = 1280, height: int = 800) -> str:
    deg = 360.0 / (256 * 2 ** zoom)
    half_w, half_h = width / 2 * deg, height / 2 * deg * 0.87  # about cos(30°) for the county's latitude
    return f"{lon - half_w:.6f},{lat - half_h:.6f},{lon + half_w:.6f},{lat + half_h:.6f}"


def measure(app, repeat: int) -> dict[str, list[float]]:
    from app.models import Ticket, User
    from app.services.accounts.users import issue_device_token

    with app.app_context():
        supervisor = db.session.scalar(sa.select(User).where(User.username == "bench_sup"))
        department = db.session.scalar(sa.select(User).where(User.username == "bench_dept"))
        sup_token, dept_token = issue_device_token(supervisor, "bench"), issue_device_token(department, "bench")
        db.session.commit()
        # Viewports centred where tickets are (random tickets), as a supervisor's pans would be.
        top = db.session.scalar(sa.select(sa.func.max(Ticket.id)))
        rng = random.Random(6)
        centres = [db.session.execute(sa.select(Ticket.lat, Ticket.lon).where(Ticket.id >= rng.randint(1, top))
                                      .order_by(Ticket.id).limit(1)).one() for _ in range(repeat)]
    client = app.test_client()
    sup = {"Authorization": f"Bearer {sup_token}"}
    dept = {"Authorization": f"Bearer {dept_token}"}
    results: dict[str, list[float]] = {}
    for zoom in ZOOMS:
        for lat, lon in centres[:3]:  # warm-up, not timed: a running server has its hot pages cached
            _ok(client.get(f"/api/v1/map/clusters?bbox={viewport(zoom, lat, lon)}&zoom={zoom}", headers=sup))
        times = []
        for lat, lon in centres[3:]:
            url = f"/api/v1/map/clusters?bbox={viewport(zoom, lat, lon)}&zoom={zoom}"
            times += timed(lambda u=url: _ok(client.get(u, headers=sup)), 1)
        results[f"clusters z{zoom}"] = times
    page = app.test_client()
    _ok(page.post("/login", data={"username": "bench_sup", "password": "Bench-pass-123"}), 302)
    dashboard = "/supervise?days=30&by=department"
    queue = "/api/v1/tickets?status=assigned,in_progress,reopened&sort=due_at&per_page=50"
    _ok(page.get(dashboard)), _ok(client.get(queue, headers=dept))  # warm-up
    results["dashboard"] = timed(lambda: _ok(page.get(dashboard)), repeat)
    year = "/supervise?days=365&by=category"
    _ok(page.get(year))
    results["dashboard-year"] = timed(lambda: _ok(page.get(year)), repeat)
    results["queue"] = timed(lambda: _ok(client.get(queue, headers=dept)), repeat)
    return results


def _ok(response, status: int = 200):
    if response.status_code != status:
        body = response.get_data(as_text=True)[:300]
        raise SystemExit(f"{response.request.path}: HTTP {response.status_code}: {body}")
    return response


def report(label: str, by_size: dict[int, dict[str, list[float]]], seed_s: dict[int, float]) -> list[dict]:
    """Print the table; return the metrics for bench/run_all.py (clusters: the worst zoom)."""
    sizes = sorted(by_size)
    print(f"\n== {label} ==")
    for size in sizes:
        print(f"seeded {size:>9,} tickets in {seed_s[size]:7.1f} s")
    big, small = sizes[-1], sizes[0]
    print(f"{'query':<14}" + "".join(f"{f'p50@{s:,}':>13}{f'p95@{s:,}':>13}" for s in sizes)
          + f"{'budget':>9}{'p95/budget':>12}{'x vs ' + f'{small:,}':>14}")
    for name in by_size[big]:
        kind = "clusters" if name.startswith("clusters") else name
        if kind in EXTRA:
            cells = "".join(f"{statistics.median(by_size[s][name]):13.1f}{p95(by_size[s][name]):13.1f}" for s in sizes)
            print(f"{name:<14}{cells}   (for information)")
            continue
        cells = "".join(f"{statistics.median(by_size[s][name]):13.1f}{p95(by_size[s][name]):13.1f}" for s in sizes)
        ratio = p95(by_size[big][name]) / BUDGET_MS[kind]
        growth = p95(by_size[big][name]) / max(p95(by_size[small][name]), 0.001)
        flags = ("" if ratio < 1 else "  OVER BUDGET") + ("" if growth <= 3 else "  >3x")
        print(f"{name:<14}{cells}{BUDGET_MS[kind]:9.0f}{ratio:12.2f}{growth:14.2f}{flags}")
    return _metrics(label, by_size)


def _metrics(label: str, by_size: dict[int, dict[str, list[float]]]) -> list[dict]:
    def worst(size: int, kind: str) -> float:
        return max(p95(times) for name, times in by_size[size].items() if name.split()[0] == kind)

    sizes = sorted(by_size)
    out = []
    for kind, what in (("clusters", "clusters p95, worst zoom 9-16"), ("dashboard", "dashboard p95"),
                       ("queue", "department queue p95")):
        out += [{"name": f"{label}: {what}, {size:,} tickets", "unit": "ms", "value": round(worst(size, kind), 1),
                 "budget": BUDGET_MS[kind]} for size in sizes]
        if len(sizes) > 1:
            out.append({"name": f"{label}: {what}, {sizes[-1]:,} against {sizes[0]:,} tickets", "unit": "ms",
                        "value": round(worst(sizes[-1], kind), 1), "baseline": round(worst(sizes[0], kind), 1),
                        "baseline_name": f"{sizes[0]:,} tickets", "budget": 3.0})
    for kind, what in EXTRA.items():
        out += [{"name": f"{label}: {what}, {size:,} tickets", "unit": "ms", "value": round(worst(size, kind), 1)}
                for size in sizes if kind in by_size[size]]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    targets = []
    if args.db in ("sqlite", "both"):
        targets.append(("SQLite", lambda: f"sqlite:///{tempfile.mkdtemp(prefix='xc-bench-')}/bench.sqlite3"))
    if args.db in ("postgresql", "both"):
        ensure_pg_database(PG_URL)
        targets.append(("PostgreSQL", lambda: PG_URL))
    metrics = []
    for label, url_for_run in targets:
        by_size, seed_s = {}, {}
        for size in sizes:
            app = make_app(url_for_run())
            fresh_database(app)
            seed_s[size] = seed(app, size)
            print(f"{label}: seeded {size:,} in {seed_s[size]:.1f} s; measuring…", flush=True)
            by_size[size] = measure(app, args.repeat)
            with app.app_context():
                db.engine.dispose()
        metrics += report(label, by_size, seed_s)
    print(json.dumps({"bench": "map_queries", "metrics": metrics}))  # for bench/run_all.py
    return 0


if __name__ == "__main__":
    sys.exit(main())
