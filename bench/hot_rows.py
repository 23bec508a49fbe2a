"""Hot rows benchmark (issue 21 §3): how long concurrent syncing phones wait on each other's locks.

    python bench/hot_rows.py                                   # PostgreSQL at BENCH_PG_URL, 8 clients, 30 s
    BENCH_QUICK=1 python bench/hot_rows.py                     # 10 s
    python bench/hot_rows.py --baseline-rev 1a2b3c4            # the same, first on an older commit: ratios
    python bench/hot_rows.py --clients 8 --batch 5 --duration 20 --sample-ms 20

A fresh database (bench/ingest.prepare: migrations, the county's reference data, one inspector per
client) and gunicorn as `make run` serves it (bench/ingest.Server). `--clients` phones each send
sync batches of `--batch` new reports without photos (the photo pipeline is not what is measured)
back to back for `--duration` seconds, every report at its own spot (no repeat linking), so each
one opens a ticket: case number, map cells, dashboard days, change feed; the rollups' pending
deltas are folded every `--fold-s` as the scheduler does (where the tree has them). Meanwhile a sampler reads
pg_stat_activity every `--sample-ms` for the backends of this database waiting on a heavyweight
lock (wait_event_type = 'Lock') and pg_locks for what they wait on; each waiting backend is charged
the time since the previous sample. Lock-wait time is reported per 1,000 tickets, in total and by
(wait event, relation, statement).

With `--baseline-rev REV` the same measurement runs first on the tree of commit REV (`git archive`
into a temp folder, this file copied in; the database is rebuilt from that tree's migrations), and
the ratios current / baseline are printed. Not a test: numbers depend on the machine. Prints a JSON
line for bench/run_all.py.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import requests  # noqa: E402

import bench.ingest as ingest  # noqa: E402
from tests.reliability.phone_replay import grid_point  # noqa: E402

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/xc_bench")

# The backends of this database that wait on a heavyweight lock, and the lock they wait for.
_WAITING = """
SELECT a.pid, a.wait_event, a.query, l.locktype, l.relation::regclass::text, l.mode
FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted
WHERE a.datname = current_database() AND a.wait_event_type = 'Lock' AND a.pid <> pg_backend_pid()
"""


def statement(sql: str) -> str:
    """A waiting statement as a short, stable label: parameters and lists gone."""
    sql = re.sub(r"\s+", " ", sql or "").strip()
    sql = re.sub(r"\(\s*%\(.*", "(…", sql)
    sql = re.sub(r"VALUES .*", "VALUES …", sql)
    return sql[:90]


class Sampler:
    """Polls the lock waits every `interval_s` on its own connection; seconds waited per label."""

    def __init__(self, url: str, interval_s: float):
        self.conn = psycopg.connect(url, autocommit=True)
        self.interval_s = interval_s
        self.waited: dict[tuple, float] = defaultdict(float)
        self.samples = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self.thread.start()
        return self

    def _run(self) -> None:
        last = time.perf_counter()
        while not self.stop.is_set():
            rows = self.conn.execute(_WAITING).fetchall()
            now = time.perf_counter()
            elapsed, last = now - last, now  # each waiting backend waited (about) since the last sample
            self.samples += 1
            seen = set()
            for pid, event, query, locktype, relation, mode in rows:
                if pid in seen:
                    continue  # one backend waits on one lock: a second pg_locks row is the same wait
                seen.add(pid)
                self.waited[(event, relation or locktype or "-", mode or "-", statement(query))] += elapsed
            self.stop.wait(max(0.0, self.interval_s - (time.perf_counter() - now)))

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        self.conn.close()


def sync_batch(session: requests.Session, base: str, points: list[tuple[float, float]], cursor: int = 0
               ) -> tuple[int, int]:
    """One sync of len(points) new reports, from the phone's change cursor; returns how many opened a
    ticket and the cursor to send next (a phone follows the feed rather than reading it all again)."""
    captured = (datetime.now(UTC) - timedelta(minutes=3)).isoformat()
    body = {"cursor": cursor, "reports": [{
        "client_id": str(uuid.uuid4()), "category_code": "09009", "description": "hot rows bench",
        "lat": lat, "lon": lon, "accuracy_m": 8.0, "location_source": "device", "captured_at": captured,
        "photos": []} for lat, lon in points]}
    answer = session.post(f"{base}/api/v1/sync", json=body, timeout=(5, 120))
    if answer.status_code != 200:
        raise ingest.Failed(f"sync {answer.status_code}: {answer.text[:300]}")
    statuses = [item["status"] for item in answer.json()["results"]]
    if any(status != "created" for status in statuses):
        raise ingest.Failed(f"sync answered {statuses}")
    return len(statuses), answer.json()["cursor"]


class Folder:
    """The scheduler's fold_rollups job, every `every_s`, on its own connection, where the tree has one
    (decision 0019): its lock waits, if any, are counted with the writers'."""

    def __init__(self, url: str, every_s: float):
        import sqlalchemy as sa

        from app.services.supervision import rollups

        self.fold = getattr(rollups, "fold", None)
        self.engine = sa.create_engine(url)
        self.every_s = every_s
        self.folds = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Folder:
        if self.fold is not None:
            self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop.wait(self.every_s):
            with self.engine.begin() as conn:
                self.fold(conn)
            self.folds += 1

    def __exit__(self, *exc) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()
        self.engine.dispose()


def measure(args) -> dict:
    """One measurement on this tree's code: fresh database, server, load, sampler."""
    ingest.PG_URL = PG_URL  # prepare() creates the database named there if it is missing
    url = ingest.engine_url(PG_URL)
    with tempfile.TemporaryDirectory(prefix="xc-hot-rows-") as tmp:
        workdir = Path(tmp)
        tokens = ingest.prepare(url, workdir, args.clients)
        with ingest.Server(url, workdir, task_worker=ingest.make_run_starts_a_worker()) as server:
            server.settle()
            phones = []
            for token in tokens:
                session = requests.Session()
                session.headers["Authorization"] = f"Bearer {token}"
                phones.append(session)
            places = iter(range(10**9))
            lock = threading.Lock()
            answers: list[float] = []
            errors: list[str] = []
            tickets = [0]
            stop = threading.Event()

            def points() -> list[tuple[float, float]]:
                with lock:
                    return [grid_point(next(places), columns=200, step_deg=0.0004) for _ in range(args.batch)]

            def phone(session: requests.Session) -> None:
                cursor = 0
                while not stop.is_set():
                    started = time.perf_counter()
                    try:
                        created, cursor = sync_batch(session, server.base, points(), cursor)
                    except (ingest.Failed, requests.RequestException) as exc:
                        with lock:
                            errors.append(str(exc))
                        stop.wait(0.5)
                        continue
                    with lock:
                        answers.append(time.perf_counter() - started)
                        tickets[0] += created

            sync_batch(phones[0], server.base, points())  # warm-up: imports, caches, the day's first number
            threads = [threading.Thread(target=phone, args=(session,)) for session in phones]
            with Sampler(PG_URL, args.sample_ms / 1000) as sampler, Folder(url, args.fold_s) as folder:
                started = time.perf_counter()
                for thread in threads:
                    thread.start()
                time.sleep(args.duration)
                stop.set()
                for thread in threads:
                    thread.join()
                elapsed = time.perf_counter() - started
    count = tickets[0]
    per_k = 1000 / max(1, count)
    breakdown = sorted(((seconds * per_k, *key) for key, seconds in sampler.waited.items()), reverse=True)
    return {"tickets": count, "tickets_per_s": count / elapsed, "syncs": len(answers),
            "sync_p50_ms": statistics.median(answers) * 1000 if answers else float("nan"),
            "sync_p95_ms": sorted(answers)[int(0.95 * (len(answers) - 1))] * 1000 if answers else float("nan"),
            "lock_wait_s_per_1000": sum(sampler.waited.values()) * per_k, "samples": sampler.samples,
            "sample_ms": elapsed * 1000 / max(1, sampler.samples),
            "folds": folder.folds if folder.fold is not None else None,
            "breakdown": [{"s_per_1000": round(s, 3), "wait_event": event, "relation": relation, "mode": mode,
                           "statement": sql} for s, event, relation, mode, sql in breakdown],
            "errors": errors}


def baseline(args, rev: str) -> dict:
    """The same measurement on commit `rev`'s tree, in a child process."""
    with tempfile.TemporaryDirectory(prefix="xc-hot-rows-base-") as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        archive = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        shutil.copy(__file__, tree / "bench" / "hot_rows.py")
        out = Path(tmp) / "baseline.json"
        subprocess.run([sys.executable, str(tree / "bench" / "hot_rows.py"), "--clients", str(args.clients),
                        "--batch", str(args.batch), "--duration", str(args.duration),
                        "--sample-ms", str(args.sample_ms), "--fold-s", str(args.fold_s), "--json-out", str(out)],
                       cwd=tree, check=True)
        return json.loads(out.read_text())


def show(title: str, result: dict, top: int) -> None:
    print(f"\n== {title}: {result['tickets']} tickets, {result['tickets_per_s']:.1f} tickets/s, "
          f"{result['syncs']} syncs (p50 {result['sync_p50_ms']:.0f} ms, p95 {result['sync_p95_ms']:.0f} ms), "
          f"errors {len(result['errors'])}; {result['samples']} samples, one every {result['sample_ms']:.0f} ms; "
          f"rollup folds {'none in this tree' if result.get('folds') is None else result['folds']}",
          flush=True)
    print(f"lock wait per 1,000 tickets: {result['lock_wait_s_per_1000']:.2f} s", flush=True)
    for row in result["breakdown"][:top]:
        print(f"  {row['s_per_1000']:8.3f} s  {row['wait_event']:<14} {row['relation']:<16} {row['mode']:<22} "
              f"{row['statement']}", flush=True)
    for error in result["errors"][:5]:
        print(f"   {error}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch", type=int, default=5, help="new reports per sync")
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    parser.add_argument("--duration", type=float, default=10 if quick else 30, help="seconds of load")
    parser.add_argument("--sample-ms", type=float, default=20, help="how often pg_stat_activity is read")
    parser.add_argument("--fold-s", type=float, default=10, help="how often the rollup deltas are folded")
    parser.add_argument("--baseline-rev", help="measure this commit's tree first, for ratios")
    parser.add_argument("--top", type=int, default=8, help="breakdown rows printed")
    parser.add_argument("--json-out", help=argparse.SUPPRESS)  # the baseline child's answer
    args = parser.parse_args()

    base = baseline(args, args.baseline_rev) if args.baseline_rev else None
    current = measure(args)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(current))
        return 0
    if base is not None:
        show(f"baseline {args.baseline_rev}", base, args.top)
    show("this tree", current, args.top)
    metrics = [
        {"name": f"PostgreSQL, {args.clients} clients x {args.batch} reports/sync: lock wait", "unit": "s/1000 tickets",
         "value": round(current["lock_wait_s_per_1000"], 3), "better": "lower"},
        {"name": f"PostgreSQL, {args.clients} clients x {args.batch} reports/sync: tickets", "unit": "tickets/s",
         "value": round(current["tickets_per_s"], 2), "better": "higher"},
        {"name": f"PostgreSQL, {args.clients} clients x {args.batch} reports/sync: sync p50", "unit": "ms",
         "value": round(current["sync_p50_ms"], 1), "better": "lower"},
    ]
    if base is not None:
        for metric, key in zip(metrics, ("lock_wait_s_per_1000", "tickets_per_s", "sync_p50_ms"), strict=True):
            metric.update(baseline=round(base[key], 3), baseline_name=f"commit {args.baseline_rev}")
        waits = base["lock_wait_s_per_1000"]
        print(f"\nlock wait per 1,000 tickets: {current['lock_wait_s_per_1000']:.2f} s vs {waits:.2f} s -> "
              f"{current['lock_wait_s_per_1000'] / waits if waits else float('nan'):.3f} x; tickets/s "
              f"{current['tickets_per_s']:.1f} vs {base['tickets_per_s']:.1f} -> "
              f"{current['tickets_per_s'] / base['tickets_per_s']:.2f} x; sync p50 {current['sync_p50_ms']:.0f} "
              f"vs {base['sync_p50_ms']:.0f} ms", flush=True)
    print(json.dumps({"bench": "hot_rows", "config": vars(args), "metrics": metrics}))
    return 1 if current["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
