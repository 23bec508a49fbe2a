"""Load test (not part of `make test`): inspectors syncing while department users browse their queues.

    python bench/load.py                     # 50 inspectors + 20 department users, 60 s, PostgreSQL
    python bench/load.py --duration 20 --tickets 2000
    BENCH_PG_URL=postgresql://postgres@127.0.0.1:5432/xc_load python bench/load.py
    python bench/load.py --db sqlite

It builds a fresh database from the migrations (PostgreSQL at BENCH_PG_URL, its schema replaced,
or a temp SQLite file), seeds the demo county with `--tickets` tickets so the queues are not
empty, and starts gunicorn on 127.0.0.1. Then, for `--duration` seconds, each inspector (own
device token) captures a report with a small distinct photo every so often and syncs it the way
the PWA does (tests/reliability/phone_replay.py: PUT the photo by hash, POST /api/v1/sync,
back off and retry on failure), while each department user lists its queue with changing
filters (GET /api/v1/tickets) and opens one of the tickets (GET /api/v1/tickets/{id}). When the
time is up the inspectors send what is still queued. It prints throughput, p50/p95/p99 per
endpoint and the errors, checks every captured report is in the database exactly once, prints a
JSON line for bench/run_all.py, and exits 1 on any error or lost report.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import struct
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.config import Config  # noqa: E402
from app.extensions import db  # noqa: E402
from tests.reliability import phone_replay as phones_lib  # noqa: E402
from tests.reliability.gunicorn_server import GunicornServer, server_env  # noqa: E402
from tests.reliability.phone_replay import NeedsLogin, Phone, Refused, RetryLater  # noqa: E402

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/xc_bench")
QUEUE_STATUSES = ["assigned,in_progress,reopened", "assigned", "in_progress", "resolved", "assigned,in_progress",
                  ""]
SORTS = ["due_at", "-received_at", "received_at", "-updated_at", "case_number"]
CATEGORIES = ["09009", "09010", "06012", "06013", "09006", "09005"]  # common street problems (app/seed_data)


def engine_url(url: str) -> str:
    return "postgresql+psycopg://" + url[len("postgresql://"):] if url.startswith("postgresql://") else url


def ensure_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare(url: str, media_root: Path, tickets: int, inspectors: int, browsers: int) -> tuple[list[str], list[str]]:
    """A fresh, seeded database; returns the inspectors' and the department users' device tokens."""
    from flask_migrate import upgrade

    from app import seed
    from app.models import Department, Role, Ticket, User
    from app.services.accounts import users

    class LoadConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        MEDIA_ROOT = str(media_root)
        PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # 70 users; nobody logs in with a password here

    app = create_app(LoadConfig)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        upgrade(directory=str(ROOT / "migrations"))
        seed.seed_reference()
        seed.seed_users()
        db.session.commit()
        if tickets:
            seed.seed_tickets(tickets)
            db.session.commit()
        # The departments with the most open tickets, as many as there are browsing users (cycled).
        busiest = db.session.execute(
            sa.select(Department.code, Department.id).join(Ticket, Ticket.department_id == Department.id)
            .where(Ticket.status.in_(["assigned", "in_progress", "reopened"]))
            .group_by(Department.code, Department.id).order_by(sa.func.count().desc())).all()
        if not busiest:
            busiest = db.session.execute(sa.select(Department.code, Department.id)
                                         .where(Department.is_placeholder.is_(False))).all()
        inspector_tokens, browser_tokens = [], []
        for n in range(inspectors):
            user = users.create_user(f"load_inspector{n}", "Load-pass-123", Role.INSPECTOR.value)
            inspector_tokens.append(users.issue_device_token(user, "load"))
        for n in range(browsers):
            code = busiest[n % len(busiest)][0]
            user = users.create_user(f"load_dept{n}", "Load-pass-123", Role.DEPARTMENT.value, code)
            browser_tokens.append(users.issue_device_token(user, "load"))
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) >= inspectors + browsers
        db.engine.dispose()
    return inspector_tokens, browser_tokens


class Recorder:
    """Latency and outcome of every request, by endpoint (thread-safe)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, Counter] = defaultdict(Counter)

    def __call__(self, endpoint: str, seconds: float, outcome: int | str) -> None:
        with self.lock:
            self.latency[endpoint].append(seconds * 1000)
            if not (isinstance(outcome, int) and 200 <= outcome < 300):
                self.errors[endpoint][str(outcome)] += 1


class PhotoMaker:
    """Distinct small JPEGs without encoding one per report: a pool of images, each copy made unique
    by a JPEG comment segment (the server hashes, decodes and derives every one in full)."""

    def __init__(self, pool: int = 64):
        self.pool = [phones_lib.small_jpeg(seed, (640, 480)) for seed in range(pool)]
        self.counter = 0
        self.lock = threading.Lock()

    def next(self) -> bytes:
        with self.lock:
            self.counter += 1
            n = self.counter
        base = self.pool[n % len(self.pool)]
        comment = f"load {n} {os.getpid()} {time.time_ns()}".encode()
        return base[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + base[2:]  # after SOI


def inspector(phone: Phone, photos: PhotoMaker, stop: threading.Event, rng: random.Random, think_s: float,
              next_place) -> None:
    """Capture a report every so often and sync at once, as a phone with a good signal does."""
    failures = 0
    while not stop.wait(rng.uniform(0, 2 * think_s)):
        phone.capture(phones_lib.report_body(*next_place(), category_code=rng.choice(CATEGORIES),
                                  description="load test"), [photos.next()])
        try:
            phone.run()
            failures = 0
        except RetryLater:
            failures += 1
            stop.wait(rng.random() * min(5.0, 0.2 * 2 ** failures))
        except (Refused, NeedsLogin):
            return  # recorded as an error already; this phone could not go on


def department_user(session: requests.Session, base: str, stop: threading.Event, rng: random.Random,
                    think_s: float, record: Recorder) -> None:
    """Page through the queue with changing filters, open a ticket, think, again."""
    while not stop.wait(rng.uniform(0, 2 * think_s)):
        params = {"status": rng.choice(QUEUE_STATUSES), "sort": rng.choice(SORTS),
                  "page": rng.choice([1, 1, 1, 2, 3]), "per_page": rng.choice([20, 50])}
        if rng.random() < 0.2:
            params["overdue"] = "true"
        listed = _get(session, base, "/api/v1/tickets", "GET /api/v1/tickets", record, params)
        tickets = (listed or {}).get("tickets") or []
        if tickets:
            ticket_id = rng.choice(tickets)["id"]
            _get(session, base, f"/api/v1/tickets/{ticket_id}", "GET /api/v1/tickets/{id}", record)


def _get(session, base, path, endpoint, record, params=None) -> dict | None:
    started = time.perf_counter()
    try:
        response = session.get(base + path, params=params, timeout=(5, 60))
        record(endpoint, time.perf_counter() - started, response.status_code)
        return response.json() if response.ok else None
    except (requests.RequestException, ValueError) as exc:
        record(endpoint, time.perf_counter() - started, type(exc).__name__)
        return None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))]


def lost_and_duplicated(url: str, captured: set[str]) -> tuple[int, int]:
    """Reports a phone captured that the database lacks, and client ids stored more than once."""
    from app.models import Report

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = Counter(conn.execute(sa.select(Report.client_id)).scalars())
    engine.dispose()
    return len(captured - set(rows)), sum(1 for n in rows.values() if n > 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--inspectors", type=int, default=50)
    parser.add_argument("--browsers", type=int, default=20, help="department users browsing their queues")
    parser.add_argument("--inspector-think", type=float, default=5.0, help="mean seconds between reports")
    parser.add_argument("--browser-think", type=float, default=1.0, help="mean seconds between page views")
    parser.add_argument("--tickets", type=int, default=20000, help="tickets seeded before the run")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="xc-load-") as tmp:
        workdir = Path(tmp)
        url = engine_url(PG_URL) if args.db == "postgresql" else f"sqlite:///{workdir / 'load.sqlite3'}"
        if args.db == "postgresql":
            ensure_pg_database(PG_URL)
        started = time.perf_counter()
        inspector_tokens, browser_tokens = prepare(url, workdir / "media", args.tickets, args.inspectors,
                                                   args.browsers)
        print(f"prepared {args.db} with {args.tickets:,} tickets in {time.perf_counter() - started:.0f} s", flush=True)
        photos = PhotoMaker()
        # Keep-alive longer than the run, as nginx in front would: an idle connection closed by the
        # server just as a client reuses it is a client-side error that says nothing about the app.
        server = GunicornServer(server_env(url, workdir / "media"), workdir / "gunicorn.log",
                                workers=args.workers, threads=args.threads, extra_args=["--keep-alive", "300"])
        server.start()
        record = Recorder()
        rng = random.Random(args.seed)
        places = iter(range(10**9))
        place_lock = threading.Lock()

        def next_place() -> tuple[float, float]:
            with place_lock:
                return phones_lib.grid_point(next(places) % 40_000, columns=200, step_deg=0.0004)

        phones = [Phone(server.base_url, token, device_id=f"load-{n}", seed=args.seed + n, keep_alive=True,
                        observe=record) for n, token in enumerate(inspector_tokens)]
        stop = threading.Event()
        threads = [threading.Thread(target=inspector, args=(phone, photos, stop, random.Random(rng.random()),
                                                            args.inspector_think, next_place))
                   for phone in phones]
        for token in browser_tokens:
            session = requests.Session()
            session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})
            threads.append(threading.Thread(target=department_user, args=(
                session, server.base_url, stop, random.Random(rng.random()), args.browser_think, record)))
        print(f"load: {args.inspectors} inspectors, {args.browsers} department users, {args.duration:.0f} s, "
              f"gunicorn {args.workers} workers x {args.threads} threads", flush=True)
        load_started = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(args.duration)
        stop.set()
        for thread in threads:
            thread.join()
        load_s = time.perf_counter() - load_started
        in_window = {endpoint: len(values) for endpoint, values in record.latency.items()}
        drain_started = time.perf_counter()
        for phone in phones:  # what is still queued goes now (errors here count like any other)
            try:
                phone.sync_until_done(time.monotonic() + 120)
            except TimeoutError as exc:
                print(f"not drained: {exc}", file=sys.stderr)  # counted below as lost
        drain_s = time.perf_counter() - drain_started
        server.stop()
        captured = {cid for phone in phones for cid in (*phone.acknowledged, *phone.outbox)}
        lost, duplicated = lost_and_duplicated(url, captured)
        attention = sum(len(phone.attention) for phone in phones)

    return summarize(args, record, in_window, load_s, drain_s, len(captured), lost, duplicated, attention)


def summarize(args, record: Recorder, in_window: dict[str, int], load_s: float, drain_s: float, captured: int,
              lost: int, duplicated: int, attention: int) -> int:
    print(f"\n{'endpoint':<28}{'requests':>9}{'per s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'errors':>8}")
    metrics = []
    total_errors = 0
    for endpoint in sorted(record.latency):
        values = record.latency[endpoint]
        errors = sum(record.errors[endpoint].values())
        total_errors += errors
        rate = in_window.get(endpoint, 0) / load_s
        p50, p95, p99 = (percentile(values, q) for q in (0.50, 0.95, 0.99))
        print(f"{endpoint:<28}{len(values):>9}{rate:>8.1f}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{max(values):>9.1f}"
              f"{errors:>8}" + (f"  {dict(record.errors[endpoint])}" if errors else ""))
        metrics += [{"name": f"{endpoint} throughput", "value": round(rate, 2), "unit": "req/s"},
                    {"name": f"{endpoint} p50", "value": round(p50, 1), "unit": "ms"},
                    {"name": f"{endpoint} p95", "value": round(p95, 1), "unit": "ms"},
                    {"name": f"{endpoint} p99", "value": round(p99, 1), "unit": "ms"}]
    total = sum(len(v) for v in record.latency.values())
    reports_per_s = captured / (load_s + drain_s)
    print(f"{'all':<28}{total:>9}{sum(in_window.values()) / load_s:>8.1f}{'':>36}{total_errors:>8}")
    print(f"\n{captured} reports captured and acknowledged ({reports_per_s:.1f}/s over {load_s:.0f} s of load "
          f"+ {drain_s:.1f} s to drain the queues); lost {lost}, stored twice {duplicated}, refused {attention}; "
          f"mean latency {statistics.mean(v for vs in record.latency.values() for v in vs):.1f} ms")
    metrics = [{"name": "reports synced", "value": round(reports_per_s, 2), "unit": "reports/s"},
               {"name": "requests", "value": round(sum(in_window.values()) / load_s, 1), "unit": "req/s"},
               *metrics,
               {"name": "errors", "value": total_errors, "unit": "requests", "budget": 0, "better": "lower"},
               {"name": "lost or duplicated reports", "value": lost + duplicated + attention, "unit": "reports",
                "budget": 0, "better": "lower"}]
    print(json.dumps({"bench": "load", "config": {k: v for k, v in vars(args).items()}, "metrics": metrics}))
    failed = total_errors or lost or duplicated or attention
    if failed:
        print("FAILED: errors or lost reports", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
