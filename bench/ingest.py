"""Ingest benchmark (issue 20): reports with a 12 MP photo through the real server, against the bare pipeline.

    python bench/ingest.py                    # SQLite and PostgreSQL (BENCH_PG_URL), full sizes
    BENCH_QUICK=1 python bench/ingest.py      # small sizes, a few minutes
    python bench/ingest.py --db sqlite --duration 20

In one run, on each database in turn (a fresh temp instance: database, media folder, task queue),
with gunicorn 2 workers x 4 threads and gunicorn.conf.py as `make run` serves (plus a
`flask worker` when `make run` starts one; --task-worker to choose), on phone-like 12 MP JPEGs
(bench/photo_pipeline.make_photo), each report's photo made distinct by a JPEG comment so the
server hashes, checks and derives every one in full:

- one phone at a time, after WARM_REPORTS unmeasured reports (a fresh server's first syncs are
  slower: compiled SQL, prepared statements), per-report latency, the photo PUT and the sync of its report, each time
  right after the bare pipeline (SHA-256, EXIF, draft decode, web image and thumbnail: imaging.process,
  in this process, no HTTP) on the same photo; then it waits for the thumbnail before the next.
  Budget: the answer in at most 0.8 x the bare pipeline's time.
- the bare pipeline run on both cores at once (two processes), photos per second.
- 4 and then 8 clients, each sending its next report as soon as the last is answered, for
  --duration seconds; throughput counts a report once it is answered and its thumbnail served
  (so a backlog of derivatives is not counted as work done). Budget: with 4 clients at least
  0.8 x the bare pipeline on both cores.
- the time from the sync's answer to the thumbnail served (GET /api/v1/photos/{sha}/thumb answered
  200), p50/p95, under that load: the photo table is read every --poll-ms for the pending ones (not
  the server, which that would load), and a photo that is ready is fetched once. Budget: p95 within 2 s.

Whether the derivatives are made before the upload answers or by a task after it, this measures
what the server does: it prints which (the PUT's `derivatives` field). Not a test: numbers depend
on the machine; ratios are against baselines measured in the same run. Prints a JSON line for
bench/run_all.py.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.photo_pipeline import SERVER_MALLOC, make_photo  # noqa: E402
from tests.reliability.gunicorn_server import GunicornServer, server_env  # noqa: E402
from tests.reliability.phone_replay import grid_point  # noqa: E402

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/xc_bench")
LATENCY_BUDGET = 0.8  # per-report answer / bare pipeline, one phone at a time (at most)
THROUGHPUT_BUDGET = 0.8  # 4 clients / bare pipeline on both cores (at least)
WARM_REPORTS = 12  # one phone's reports before anything is measured (see run_database)
THUMB_P95_BUDGET_MS = 2000.0
DB_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


# --- photos ---------------------------------------------------------------------------------------------------

class Photos:
    """Distinct photos without encoding one per report: a few 12 MP JPEGs, each copy made unique by a
    comment segment after the EXIF (same pixels, new SHA-256: the server does all the work again)."""

    def __init__(self, count: int):
        self.base = [make_photo(seed) for seed in range(count)]
        self.counter = 0
        self.lock = threading.Lock()
        self.tag = uuid.uuid4().hex[:8]  # a run of its own: never a photo the database knows

    def next(self) -> bytes:
        with self.lock:
            self.counter += 1
            n = self.counter
        return unique(self.base[n % len(self.base)], f"ingest {self.tag} {n}")


def unique(jpeg: bytes, text: str) -> bytes:
    """`jpeg` with a COM segment holding `text`, after its APP1 (EXIF) if it starts with one."""
    at = 2
    if jpeg[2:4] == b"\xff\xe1":
        at = 4 + int.from_bytes(jpeg[4:6], "big")
    comment = text.encode()
    return jpeg[:at] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + jpeg[at:]


def bare_work(data: bytes) -> float:
    """Seconds for the bare pipeline on one photo: SHA-256 + imaging.process (EXIF, draft decode, both sizes)."""
    from app.services.photos import imaging

    started = time.perf_counter()
    hashlib.sha256(data).hexdigest()
    imaging.process(data)
    return time.perf_counter() - started


def bare_cpu(data: bytes) -> float:
    """CPU seconds of the same (this process; all its work is on this thread)."""
    started = time.process_time()
    bare_work(data)
    return time.process_time() - started


def _bare_process(args: tuple[list[bytes], float, int]) -> tuple[float, float, int]:
    """In a child process: warm up, wait for the common start, run the bare pipeline `count` times."""
    photos, start_at, count = args
    bare_work(photos[0])
    while time.time() < start_at:
        time.sleep(0.005)
    started = time.time()
    for n in range(count):
        bare_work(photos[n % len(photos)])
    return started, time.time(), count


def bare_on_both_cores(photos: list[bytes], per_process: int) -> float:
    """Photos per second with the bare pipeline in two processes at once (both cores of this machine)."""
    context = multiprocessing.get_context("spawn")  # no copy of this process's threads and sockets
    with context.Pool(2) as pool:
        start_at = time.time() + 15  # the children import the app first
        runs = pool.map(_bare_process, [(photos, start_at, per_process)] * 2)
    began, ended = min(r[0] for r in runs), max(r[1] for r in runs)
    return sum(r[2] for r in runs) / (ended - began)


# --- the server -----------------------------------------------------------------------------------------------

def engine_url(url: str) -> str:
    return "postgresql+psycopg://" + url[len("postgresql://"):] if url.startswith("postgresql://") else url


def prepare(url: str, workdir: Path, clients: int) -> list[str]:
    """A fresh database (PostgreSQL: its schema replaced) with the county's reference data and
    `clients` inspectors; returns their device tokens."""
    from flask_migrate import upgrade

    from app import create_app, seed
    from app.config import Config
    from app.extensions import db
    from app.models import Role
    from app.services.accounts import users

    if url.startswith("postgresql"):
        _ensure_pg_database(PG_URL)

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        MEDIA_ROOT = str(workdir / "media")
        TASK_QUEUE = "embedded"
        TASK_QUEUE_URL = str(workdir / "tasks.sqlite3")
        PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # nobody logs in with a password here

    app = create_app(BenchConfig)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        upgrade(directory=str(ROOT / "migrations"))
        seed.seed_reference()
        db.session.commit()
        tokens = []
        for n in range(clients):
            user = users.create_user(f"ingest{n}", "Ingest-pass-123", Role.INSPECTOR.value)
            tokens.append(users.issue_device_token(user, "ingest"))
        db.session.commit()
        db.engine.dispose()
    return tokens


def _ensure_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def make_run_starts_a_worker() -> bool:
    """Whether `make run` starts a `flask worker` beside gunicorn (then so does this benchmark)."""
    recipe = re.search(r"^run:.*?\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    return bool(recipe and re.search(r"flask\b[^\n]*\bworker\b", recipe.group(1)))


class Server:
    """gunicorn as `make run` serves it, and a `flask worker` beside it if asked."""

    def __init__(self, url: str, workdir: Path, *, task_worker: bool):
        self.env = server_env(url, workdir / "media", TASK_QUEUE="embedded",
                              TASK_QUEUE_URL=str(workdir / "tasks.sqlite3"), **SERVER_MALLOC)
        self.workdir = workdir
        self.gunicorn = GunicornServer(self.env, workdir / "gunicorn.log", workers=2, threads=4,
                                       extra_args=("-c", str(ROOT / "gunicorn.conf.py"), "--keep-alive", "300"))
        self.task_worker = task_worker
        self.worker: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.gunicorn.start()
        if self.task_worker:
            log = open(self.workdir / "worker.log", "ab")  # noqa: SIM115 - lives as long as the worker
            self.worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT,
                                           env=self.env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def __exit__(self, *exc) -> None:
        if self.worker is not None:
            self.worker.terminate()
            try:
                self.worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.worker.kill()
        self.gunicorn.stop()

    @property
    def base(self) -> str:
        return self.gunicorn.base_url

    def settle(self, timeout_s: float = 30) -> None:
        """Until the processes have finished starting (a second in which they use under 5 % of a core)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            before = self.cpu_s()
            time.sleep(1)
            if self.cpu_s() - before < 0.05:
                return

    def cpu_s(self) -> float:
        """CPU seconds used so far by gunicorn's master and workers and the task worker (Linux /proc):
        load from elsewhere on the machine does not count, so this cross-checks the wall-time ratios."""
        pids = [self.gunicorn.process.pid]
        children = Path(f"/proc/{pids[0]}/task/{pids[0]}/children")
        pids += [int(pid) for pid in children.read_text().split()] if children.exists() else []
        if self.worker is not None:
            pids.append(self.worker.pid)
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # a worker that exited meanwhile
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        return total / os.sysconf("SC_CLK_TCK")


def database_cpu_s() -> float | None:
    """CPU seconds used so far by the local PostgreSQL server's processes (its backends serve the web workers
    and this benchmark's watcher alike), or None where they cannot be read (another user's, or no PostgreSQL).
    The database shares the machine's two cores with the server and the clients."""
    total, seen = 0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # exited meanwhile
        name, rest = text.split("(", 1)[1].rsplit(")", 1)
        if name == "postgres":
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
            seen = True
    return total / os.sysconf("SC_CLK_TCK") if seen else None


# --- clients --------------------------------------------------------------------------------------------------

class Failed(Exception):
    pass


class Client:
    """One phone: PUT the photo by its hash, then sync one report holding it."""

    places = iter(range(10**9))
    places_lock = threading.Lock()

    def __init__(self, base: str, token: str):
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.viewer = requests.Session()  # the thumbnails are fetched from the watcher's thread
        self.viewer.headers["Authorization"] = f"Bearer {token}"
        self.derivatives_seen: set[str] = set()
        self.busy_answers = 0  # PUTs answered 503 busy and sent again (counted in the answer's time)
        self.cursor = 0  # the change feed's cursor, kept from answer to answer as the PWA does
        self.last_put_s = self.last_sync_s = 0.0  # the two parts of the last report's answer

    def report(self, data: bytes) -> tuple[str, float, float]:
        """(sha256, seconds PUT + sync, the perf_counter time of the sync's answer)."""
        sha = hashlib.sha256(data).hexdigest()
        with Client.places_lock:
            lat, lon = grid_point(next(Client.places) % 40_000, columns=200, step_deg=0.0004)
        body = {"cursor": self.cursor, "reports": [{
            "client_id": str(uuid.uuid4()), "category_code": "09009", "description": "ingest bench",
            "lat": lat, "lon": lon, "accuracy_m": 8.0, "location_source": "device",
            "captured_at": (datetime.now(UTC) - timedelta(minutes=3)).isoformat(), "photos": [sha]}]}
        started = time.perf_counter()
        for _attempt in range(60):  # 503 busy (the derivative backlog is full): wait as the PWA does, then again
            put = self.session.put(f"{self.base}/api/v1/photos/{sha}", data=data,
                                   headers={"Content-Type": "image/jpeg"}, timeout=(5, 120))
            if put.status_code != 503:
                break
            self.busy_answers += 1
            time.sleep(float(put.headers.get("Retry-After", "1")))
        if put.status_code != 201:
            raise Failed(f"PUT {put.status_code}: {put.text[:300]}")
        self.derivatives_seen.add(str(put.json().get("derivatives", "made before the answer")))
        put_answered = time.perf_counter()
        sync = self.session.post(f"{self.base}/api/v1/sync", json=body, timeout=(5, 120))
        answered = time.perf_counter()
        self.last_put_s, self.last_sync_s = put_answered - started, answered - put_answered
        if sync.status_code != 200 or sync.json()["results"][0]["status"] not in ("created", "linked"):
            raise Failed(f"sync {sync.status_code}: {sync.text[:300]}")
        self.cursor = sync.json()["cursor"]
        return sha, answered - started, answered

    def thumbnail_served(self, sha: str) -> bool:
        """True once the thumbnail is served; False while it is pending (409)."""
        got = self.viewer.get(f"{self.base}/api/v1/photos/{sha}/thumb", timeout=(5, 60))
        if got.status_code == 200 and got.headers.get("Content-Type") == "image/jpeg":
            return True
        if got.status_code == 409:
            return False
        raise Failed(f"thumbnail {got.status_code}: {got.text[:300]}")


class ThumbWatcher:
    """The time from each sync's answer to its photo's thumbnail served.

    Asking the server over and over would load it (each 409 costs a request's CPU), so the photo
    table is read for the pending ones every `poll_s` (one small query for all of them), and once
    a photo's derivatives are ready its phone fetches the thumbnail, once, as it would to show it:
    the time is taken when that GET has answered 200 (within `poll_s` of the earliest moment)."""

    def __init__(self, url: str, poll_s: float):
        self.engine = sa.create_engine(url)
        self.poll_s = poll_s
        self.pending: dict[str, tuple[Client, float]] = {}
        self.waits: list[float] = []
        self.last_served = 0.0
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.done = threading.Condition(self.lock)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def add(self, sha: str, client: Client, answered: float) -> None:
        with self.lock:
            self.pending[sha] = (client, answered)

    def _ready(self, shas: list[str]) -> set[str]:
        from app.models import Photo

        table = Photo.__table__
        if "derivatives" not in table.c:  # derivatives made before the upload answers: ready at once
            return set(shas)
        with self.engine.connect() as conn:
            return set(conn.execute(sa.select(table.c.sha256).where(
                table.c.sha256.in_(shas), table.c.derivatives == "ready")).scalars())

    def _run(self) -> None:
        while not self.stop.is_set():
            with self.lock:
                due = dict(self.pending)
            for sha in self._ready(list(due)) if due else ():
                client, answered = due[sha]
                try:
                    served = client.thumbnail_served(sha)
                except (Failed, requests.RequestException) as exc:
                    self.errors.append(str(exc))
                    served = True  # counted as an error, not waited for
                if served:
                    now = time.perf_counter()
                    with self.lock:
                        self.pending.pop(sha, None)
                        self.waits.append(now - answered)
                        self.last_served = max(self.last_served, now)
                        self.done.notify_all()
            self.stop.wait(self.poll_s)

    def wait(self, sha: str | None = None, timeout_s: float = 120) -> bool:
        """Until `sha` (or every pending photo) is served; False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self.lock:
            while (sha in self.pending) if sha else self.pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.done.wait(min(left, 0.5))
        return True

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.engine.dispose()


def one_at_a_time(server: Server, client: Client, photos: Photos, count: int, watcher: ThumbWatcher) -> dict:
    """The bare pipeline and PUT + sync of the same pixels (then the wait for the thumbnail); `count` times.

    The two take turns going first: whichever runs right after the other's heavy work finds the caches
    and the cores' clocks as that work left them (measured: a sync right after the bare pipeline took
    4-7 ms longer on PostgreSQL than one after a pause), so neither side always pays for it.
    Also the CPU time of both: the bare pipeline's in this process, the server's (web workers and task
    worker, from the PUT until the thumbnail is served) per report."""
    bare, answer, thumb, cpu_bare, cpu_server, put, sync = [], [], [], [], [], [], []

    def bare_pipeline(data: bytes) -> None:
        bare.append(bare_work(data))
        cpu_bare.append(bare_cpu(data))

    for n in range(count):
        data = photos.next()
        if n % 2 == 0:
            bare_pipeline(data)
        cpu_started = server.cpu_s()
        sha, seconds, answered = client.report(data)
        answer.append(seconds)
        put.append(client.last_put_s)
        sync.append(client.last_sync_s)
        watcher.add(sha, client, answered)
        if not watcher.wait(sha):
            raise Failed(f"thumbnail of {sha} not served within 120 s")
        thumb.append(watcher.waits[-1])
        cpu_server.append(server.cpu_s() - cpu_started)
        if n % 2 == 1:
            bare_pipeline(data)
    return {"bare": statistics.median(bare), "answer": statistics.median(answer), "thumb": statistics.median(thumb),
            "put": statistics.median(put), "sync": statistics.median(sync),
            "bare_cpu": statistics.mean(cpu_bare), "server_cpu": statistics.mean(cpu_server)}


def under_load(server: Server, url: str, tokens: list[str], photos: Photos, clients: int, duration_s: float,
               poll_s: float) -> dict:
    """`clients` phones sending back to back for `duration_s`; thumbnails watched until all are served."""
    phones = [Client(server.base, token) for token in tokens[:clients]]
    watcher = ThumbWatcher(url, poll_s)
    answers: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def phone(client: Client) -> None:
        while not stop.is_set():
            try:
                sha, seconds, answered = client.report(photos.next())
            except (Failed, requests.RequestException) as exc:
                with lock:
                    errors.append(str(exc))
                stop.wait(0.5)  # counted; a server in trouble is not hammered
                continue
            watcher.add(sha, client, answered)
            with lock:
                answers.append(seconds)

    cpu_started, clients_cpu_started = server.cpu_s(), time.process_time()
    database_started = database_cpu_s() if url.startswith("postgresql") else None
    threads = [threading.Thread(target=phone, args=(client,)) for client in phones]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(duration_s)
    stop.set()
    for thread in threads:
        thread.join()
    answered_by = time.perf_counter()
    drained = watcher.wait(timeout_s=120)
    watcher.close()
    cpu_per_report = (server.cpu_s() - cpu_started) / max(1, len(answers))
    clients_cpu = (time.process_time() - clients_cpu_started) / max(1, len(answers))  # on the same two cores
    database_ended = database_cpu_s() if database_started is not None else None
    database_cpu = (None if database_ended is None else (database_ended - database_started) / max(1, len(answers)))
    done_by = max(answered_by, watcher.last_served)
    return {"reports": len(answers), "answered_per_s": len(answers) / (answered_by - started),
            "done_per_s": len(answers) / (done_by - started), "answer_p50": _pct(answers, 0.5),
            "thumb_p50": _pct(watcher.waits, 0.5), "thumb_p95": _pct(watcher.waits, 0.95), "drained": drained,
            "errors": errors + watcher.errors, "cpu_per_report": cpu_per_report, "clients_cpu": clients_cpu,
            "database_cpu": database_cpu,
            "busy": sum(phone.busy_answers for phone in phones)}


def ceiling(bare_cpu_s: float, result: dict) -> float:
    """The best ratio to the bare pipeline on both cores that any server could reach beside these clients and
    this database on the same two cores: one that spent no CPU on anything but the bare pipeline's work.
    (Throughput on a fixed number of cores is inversely proportional to the CPU spent per report.)"""
    return bare_cpu_s / (bare_cpu_s + result["clients_cpu"] + (result["database_cpu"] or 0.0))


def _database_part(result: dict) -> str:
    if result["database_cpu"] is None:
        return ""
    return f", PostgreSQL's processes {result['database_cpu'] * 1000:.0f} ms"


def derivatives_mode(client: Client) -> str:
    """What the PUT's answer said of the derivatives: made before it, or by a task after it."""
    seen = client.derivatives_seen
    if seen == {"made before the answer"}:
        return "derivatives made before the answer"
    return "derivatives by a task after the answer" if "pending" in seen else "derivatives: " + ", ".join(sorted(seen))


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


# --- one database ---------------------------------------------------------------------------------------------

def run_database(kind: str, args, photos: Photos, task_worker: bool) -> tuple[list[dict], list[str]]:
    name = DB_NAMES[kind]
    with tempfile.TemporaryDirectory(prefix="xc-ingest-") as tmp:
        workdir = Path(tmp)
        url = engine_url(PG_URL) if kind == "postgresql" else f"sqlite:///{workdir / 'ingest.sqlite3'}"
        tokens = prepare(url, workdir, max(args.clients, default=0) + 1)
        with Server(url, workdir, task_worker=task_worker) as server:
            print(f"\n== {name}: gunicorn 2 workers x 4 threads on {server.base}"
                  f"{' + flask worker' if task_worker else ''}", flush=True)
            single = Client(server.base, tokens[0])
            poll_s = args.poll_ms / 1000
            watcher = ThumbWatcher(url, poll_s)
            # Warm-up to the steady state of a server that has been up a while: both workers' compiled SQL,
            # their connections' prepared statements (psycopg prepares a query on its 5th run) and caches.
            # The first ten or so syncs of a fresh server take about twice as long (54-78 ms on PostgreSQL).
            one_at_a_time(server, single, photos, WARM_REPORTS, watcher)
            server.settle()  # the task worker may still be importing the app
            idle_cpu = server.cpu_s()
            time.sleep(3)
            idle_cpu = (server.cpu_s() - idle_cpu) / 3  # CPU s per s with nothing to do (polling, heartbeats)
            seq = one_at_a_time(server, single, photos, args.sequential, watcher)
            watcher.close()
            print(f"one phone at a time, {args.sequential} reports: answer (PUT + sync) {seq['answer'] * 1000:.0f} ms, "
                  f"bare pipeline {seq['bare'] * 1000:.0f} ms -> {seq['answer'] / seq['bare']:.2f} x "
                  f"(budget <= {LATENCY_BUDGET}; PUT {seq['put'] * 1000:.0f} ms, sync {seq['sync'] * 1000:.0f} ms, "
                  f"medians); thumbnail {seq['thumb'] * 1000:.0f} ms after the answer; "
                  f"{derivatives_mode(single)}; CPU per report: server {seq['server_cpu'] * 1000:.0f} ms "
                  f"(everything, derivatives too), bare {seq['bare_cpu'] * 1000:.0f} ms; the server idle "
                  f"uses {idle_cpu * 1000:.0f} ms CPU a second", flush=True)
            loads = {}
            if args.clients:  # the loads' baseline, on both cores before and after them, averaged
                both_cores_runs = [bare_on_both_cores(photos.base, args.bare_photos)]  # others' work comes and goes
                print(f"bare pipeline on both cores (2 processes): {both_cores_runs[0]:.2f} photos/s", flush=True)
            for clients in args.clients:
                result = under_load(server, url, tokens, photos, clients, args.duration, poll_s)
                loads[clients] = result
                print(f"{clients} clients, {args.duration:.0f} s: {result['reports']} reports, answered "
                      f"{result['answered_per_s']:.2f}/s, with thumbnails served {result['done_per_s']:.2f}/s; "
                      f"answer p50 {result['answer_p50'] * 1000:.0f} ms; thumbnail after the answer p50 "
                      f"{result['thumb_p50'] * 1000:.0f} ms, p95 {result['thumb_p95'] * 1000:.0f} ms; "
                      f"CPU per report: server {result['cpu_per_report'] * 1000:.0f} ms, the clients (this process) "
                      f"{result['clients_cpu'] * 1000:.0f} ms{_database_part(result)}; "
                      f"ceiling {ceiling(seq['bare_cpu'], result):.2f} x; errors {len(result['errors'])}; "
                      f"503 busy answers (sent again) {result['busy']}"
                      f"{'' if result['drained'] else '; NOT DRAINED in 120 s'}", flush=True)
                for error in result["errors"][:5]:
                    print(f"   {error}", file=sys.stderr)
            if args.clients:
                both_cores_runs.append(bare_on_both_cores(photos.base, args.bare_photos))
                both_cores = statistics.mean(both_cores_runs)
                print(f"bare pipeline on both cores again: {both_cores_runs[1]:.2f} photos/s; mean {both_cores:.2f}; "
                      + "; ".join(f"{n} clients {r['done_per_s'] / both_cores:.2f} x (budget >= {THROUGHPUT_BUDGET} "
                                  f"with 4)" for n, r in loads.items()), flush=True)

    metrics = [
        {"name": f"{name}: one phone at a time, answer (photo PUT + sync; {derivatives_mode(single)})",
         "unit": "ms/report",
         "value": round(seq["answer"] * 1000, 1), "baseline": round(seq["bare"] * 1000, 1),
         "baseline_name": "bare pipeline, same photo", "budget": LATENCY_BUDGET, "better": "lower"},
        {"name": f"{name}: one phone at a time, thumbnail served after the answer", "unit": "ms",
         "value": round(seq["thumb"] * 1000, 1)},
        {"name": f"{name}: one phone at a time, server CPU per report, derivatives included (cross-check)",
         "unit": "CPU ms/report", "value": round(seq["server_cpu"] * 1000, 1),
         "baseline": round(seq["bare_cpu"] * 1000, 1), "baseline_name": "bare pipeline CPU"},
        {"name": f"{name}: server CPU while idle (web workers and task worker)", "unit": "CPU ms/s",
         "value": round(idle_cpu * 1000, 1)},
    ]
    problems = []
    for clients, result in loads.items():
        budget = {"budget": THROUGHPUT_BUDGET, "better": "higher"} if clients == 4 else {"better": "higher"}
        metrics += [
            {"name": f"{name}: {clients} clients, reports answered and thumbnails served", "unit": "reports/s",
             "value": round(result["done_per_s"], 2), "baseline": round(both_cores, 2),
             "baseline_name": "bare pipeline on both cores", **budget},
            {"name": f"{name}: {clients} clients, reports answered", "unit": "reports/s",
             "value": round(result["answered_per_s"], 2)},
            {"name": f"{name}: {clients} clients, server CPU per report (cross-check)", "unit": "CPU ms/report",
             "value": round(result["cpu_per_report"] * 1000, 1), "baseline": round(seq["bare_cpu"] * 1000, 1),
             "baseline_name": "bare pipeline CPU"},
            {"name": f"{name}: {clients} clients, clients' CPU per report (same cores)", "unit": "CPU ms/report",
             "value": round(result["clients_cpu"] * 1000, 1)},
            *([{"name": f"{name}: {clients} clients, PostgreSQL's CPU per report (same cores)",
                "unit": "CPU ms/report", "value": round(result["database_cpu"] * 1000, 1)}]
              if result["database_cpu"] is not None else []),
            {"name": f"{name}: {clients} clients, ceiling: a server costing only the bare pipeline's CPU, "
                     "beside these clients and database", "unit": "x bare on both cores",
             "value": round(ceiling(seq["bare_cpu"], result), 2)},
            {"name": f"{name}: {clients} clients, answer p50", "unit": "ms",
             "value": round(result["answer_p50"] * 1000, 1)},
            {"name": f"{name}: {clients} clients, thumbnail served after the answer, p50", "unit": "ms",
             "value": round(result["thumb_p50"] * 1000, 1)},
            {"name": f"{name}: {clients} clients, thumbnail served after the answer, p95", "unit": "ms",
             "value": round(result["thumb_p95"] * 1000, 1), "budget": THUMB_P95_BUDGET_MS, "better": "lower"},
            {"name": f"{name}: {clients} clients, errors", "unit": "requests", "value": len(result["errors"]),
             "budget": 0, "better": "lower"},
        ]
        if result["errors"] or not result["drained"]:
            problems.append(f"{name}, {clients} clients: {len(result['errors'])} errors, drained {result['drained']}")
    return metrics, problems


def client_counts(text: str) -> list[int]:
    """--clients: "4,8" -> [4, 8]; "" -> [] (no load runs)."""
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of client counts: {text!r}") from None
    if any(count < 1 for count in counts):
        raise argparse.ArgumentTypeError("client counts are at least 1")
    return counts


def main() -> int:
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["both", "sqlite", "postgresql"], default="both")
    parser.add_argument("--photos", type=int, default=3 if quick else 6, help="distinct 12 MP photos generated")
    parser.add_argument("--sequential", type=int, default=6 if quick else 20, help="reports one phone at a time")
    parser.add_argument("--bare-photos", type=int, default=8 if quick else 30, help="per process, on both cores")
    parser.add_argument("--duration", type=float, default=10 if quick else 30, help="seconds of each load")
    parser.add_argument("--clients", default="4,8", type=client_counts,
                        help='comma-separated client counts; "" for one phone at a time only')
    parser.add_argument("--poll-ms", type=float, default=25.0,
                        help="how often the photo table is read for the pending thumbnails")
    parser.add_argument("--task-worker", choices=["auto", "yes", "no"], default="auto",
                        help="run `flask worker` beside gunicorn (auto: if `make run` does)")
    args = parser.parse_args()
    task_worker = make_run_starts_a_worker() if args.task_worker == "auto" else args.task_worker == "yes"

    print(f"generating {args.photos} photos (12 MP JPEG with GPS EXIF)...", flush=True)
    photos = Photos(args.photos)
    sizes = [len(p) / 1e6 for p in photos.base]
    print(f"  {min(sizes):.1f}-{max(sizes):.1f} MB, mean {statistics.mean(sizes):.1f} MB", flush=True)
    bare_work(photos.base[0])  # imports and caches before anything is timed
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    metrics, problems = [], []
    for kind in kinds:
        found, trouble = run_database(kind, args, photos, task_worker)
        metrics += found
        problems += trouble
    print(json.dumps({"bench": "ingest", "config": {**vars(args), "task_worker": task_worker}, "metrics": metrics}))
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
