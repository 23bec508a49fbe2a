"""Profile the ingest path in-process (issue 20): the photo PUT, the sync of its report, and the
derivative task, each on a phone-like 12 MP JPEG as bench/ingest.py sends it, in CPU ms per report.

    python bench/profile_sync.py                        # SQLite in a temp folder, every phase
    python bench/profile_sync.py --db postgresql        # BENCH_PG_URL (its schema replaced)
    python bench/profile_sync.py --phase sync --top 40 --sort tottime
    python bench/profile_sync.py --no-profile           # CPU ms only (cProfile adds its own cost)
    python bench/profile_sync.py --db postgresql --phase sync --no-profile --sql-times   # time in each statement

CPU time (this process, time.process_time) rather than wall time: load from elsewhere on the
machine hardly changes it. For each phase (put, sync, task) --warm unmeasured rounds run first,
then --reports measured ones; the task phase runs the queued derivative tasks one at a time, as
`flask worker` does (embedded queue, no task run in the web process meanwhile). The bare pipeline
(SHA-256 + imaging.process, bench/ingest.py's baseline) is timed on the same photos for the ratio.
Prints CPU ms per report for each phase, SQL statements per report, and each profile asked for.
Not a test: numbers depend on the machine.
"""
from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.ingest import PG_URL, Photos, bare_cpu, engine_url, prepare  # noqa: E402
from tests.reliability.phone_replay import grid_point  # noqa: E402

PHASES = ("put", "sync", "task")


def _derive_cpu(data: bytes) -> float:
    """CPU seconds of imaging.derive alone on `data` (what the task does besides its queue and database)."""
    from app.services.photos import imaging

    started = time.process_time()
    imaging.derive(data)
    return time.process_time() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--reports", type=int, default=40)
    parser.add_argument("--warm", type=int, default=5)
    parser.add_argument("--phase", choices=[*PHASES, "all"], default="all", help="which phases to profile")
    parser.add_argument("--no-profile", action="store_true", help="CPU ms only, no cProfile")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--sql", action="store_true", help="print the SQL statements of one report per phase")
    parser.add_argument("--sql-times", action="store_true",
                        help="wall ms per statement (sent to answered), summed per report, slowest first")
    parser.add_argument("--dump", metavar="PREFIX", help="also write each profile to PREFIX-<phase>.pstats")
    args = parser.parse_args()

    from app import create_app
    from app.config import Config
    from app.extensions import db

    workdir = Path(tempfile.mkdtemp(prefix="xc-profile-sync-"))
    url = engine_url(PG_URL) if args.db == "postgresql" else f"sqlite:///{workdir / 'db.sqlite3'}"
    token = prepare(url, workdir, 1)[0]

    class ProfileConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        MEDIA_ROOT = str(workdir / "media")
        TASK_QUEUE = "embedded"
        TASK_QUEUE_URL = str(workdir / "tasks.sqlite3")
        TASK_IN_WEB = "off"  # the task phase runs them, measured on their own
        PHOTO_BACKLOG_LIMIT = 0  # every photo waits for the task phase

    app = create_app(ProfileConfig)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    total = args.warm + args.reports
    photos = Photos(3)
    datas = [photos.next() for _ in range(total)]
    shas = [hashlib.sha256(d).hexdigest() for d in datas]
    bare = [bare_cpu(d) for d in datas[:3]] + [bare_cpu(d) for d in datas[:args.reports]]
    bare_ms = sum(bare[3:]) / args.reports * 1000
    bare_median_ms = statistics.median(bare[3:]) * 1000
    derive_median_ms = statistics.median(_derive_cpu(d) for d in datas[:args.reports]) * 1000

    statements = [0]
    logged: list[str] | None = None

    def count(_conn, _cursor, statement, *_args) -> None:
        statements[0] += 1
        if logged is not None:
            text = " ".join(statement.split())
            logged.append(text if len(text) <= 300 else f"{text[:150]} … {text[-150:]}")

    timing = {"on": False, "started": 0.0}
    spent: dict[str, list[float]] = {}  # statement's start → wall seconds of each run, while timing

    def started(*_args) -> None:
        timing["started"] = time.perf_counter()

    def finished(_conn, _cursor, statement, *_args) -> None:
        if timing["on"]:
            key = " ".join(statement.split())[:110]
            spent.setdefault(key, []).append(time.perf_counter() - timing["started"])

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        if args.sql_times:
            sa.event.listen(db.engine, "before_cursor_execute", started)
            sa.event.listen(db.engine, "after_cursor_execute", finished)
        tasks = app.extensions["tasks"]

    def put(n: int) -> None:
        resp = client.put(f"/api/v1/photos/{shas[n]}", data=datas[n],
                          headers={**headers, "Content-Type": "image/jpeg"})
        assert resp.status_code == 201, resp.text

    cursor = [0]  # kept from answer to answer, as the PWA does

    def sync(n: int) -> None:
        lat, lon = grid_point(n, columns=200, step_deg=0.0004)
        body = {"cursor": cursor[0], "reports": [{
            "client_id": str(uuid.uuid4()), "category_code": "09009", "description": "profile",
            "lat": lat, "lon": lon, "accuracy_m": 8.0, "location_source": "device",
            "captured_at": (datetime.now(UTC) - timedelta(minutes=3)).isoformat(), "photos": [shas[n]]}]}
        resp = client.post("/api/v1/sync", json=body, headers=headers)
        assert resp.status_code == 200 and resp.get_json()["results"][0]["status"] == "created", resp.text
        cursor[0] = resp.get_json()["cursor"]

    def task(_n: int) -> None:
        with app.app_context():
            assert tasks.drain(max_tasks=1) == 1

    steps = {"put": put, "sync": sync, "task": task}
    wanted = PHASES if args.phase == "all" else (args.phase,)
    results: dict[str, tuple[float, float, float]] = {}
    last = max(PHASES.index(phase) for phase in wanted)
    for phase in PHASES[:last + 1]:  # each phase needs the ones before; only the wanted ones profiled
        step = steps[phase]
        for n in range(args.warm):
            step(n)
        statements[0] = 0
        spent.clear()
        timing["on"] = args.sql_times and phase in wanted
        profiler = cProfile.Profile() if phase in wanted and not args.no_profile else None
        cpu, wall, per_report = time.process_time(), time.perf_counter(), []
        if profiler:
            profiler.enable()
        for n in range(args.warm, total):
            if args.sql and n == total - 1:
                logged = []  # the last report's statements (its CPU counted as the others')
            started = time.process_time()
            step(n)
            per_report.append(time.process_time() - started)
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if timing["on"]:
            timing["on"] = False
            rows = sorted(spent.items(), key=lambda item: -sum(item[1]))
            total_ms = sum(sum(times) for times in spent.values()) / args.reports * 1000
            print(f"--- {phase}: {total_ms:.1f} ms per report in statements (sent to answered) ---")
            for text, times in rows:
                print(f"{sum(times) / args.reports * 1000:6.2f} ms  x{len(times) / args.reports:.1f}  {text}")
        if logged is not None:
            print(f"--- {phase}: {len(logged)} SQL statements of one report ---", *logged, sep="\n")
            logged = None
        results[phase] = (cpu / args.reports * 1000, statistics.median(per_report) * 1000,
                          wall / args.reports * 1000, statements[0] / args.reports)
        if profiler:
            print(f"--- {phase} ---")
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
            if args.dump:
                profiler.dump_stats(f"{args.dump}-{phase}.pstats")
    note = " (under cProfile)" if not args.no_profile else ""
    for phase, (cpu_ms, median_ms, wall_ms, sql) in results.items():
        print(f"{args.db}: {phase}: {cpu_ms:.1f} CPU ms{note if phase in wanted else ''} (median {median_ms:.1f}), "
              f"{wall_ms:.1f} ms wall, {sql:.1f} SQL statements per report")
    if len(results) < len(PHASES):
        return 0
    server = sum(r[0] for r in results.values())
    median = sum(r[1] for r in results.values())
    print(f"{args.db}: imaging.derive alone {derive_median_ms:.1f} CPU ms (median): the task's own overhead "
          f"{results['task'][1] - derive_median_ms:.1f} ms")
    print(f"{args.db}: server CPU per report {server:.1f} ms (medians {median:.1f}); bare pipeline {bare_ms:.1f} "
          f"CPU ms (median {bare_median_ms:.1f}); ratio {server / bare_ms:.2f}, overhead {server - bare_ms:.1f} ms "
          f"(medians {median / bare_median_ms:.2f}, {median - bare_median_ms:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
