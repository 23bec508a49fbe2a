"""The app's task queue: one Huey instance per app, chosen by TASK_QUEUE (app/config.py).

- `embedded` (default): SqliteHuey in a file beside the database (TASK_QUEUE_URL: its path); needs
  nothing else. Any number of processes share the file; a task is claimed by the one that
  dequeues it (one DELETE in a transaction), so it runs once.
- `redis`: RedisHuey at TASK_QUEUE_URL (redis://127.0.0.1:6379/0); workers on any host.

Work is enqueued only once the rows it needs are committed: a service calls `after_commit(kind,
key)` inside its unit of work, and the commit sends it (a rollback forgets it). TASK_IMMEDIATE
runs each task at once, in the committing process, on Huey's in-memory storage (the tests' default).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, g, has_app_context, has_request_context
from huey import RedisHuey
from huey.api import Huey
from huey.storage import SqliteStorage

log = logging.getLogger(__name__)
HEARTBEAT_KEY = "worker-heartbeat"
WORKER_ALIVE_S = 15.0  # a worker that wrote its heartbeat this recently is running
_PENDING = "tasks_after_commit"  # session.info key: [(kind, key, request id)] to enqueue when the transaction commits


class _QueueFile(SqliteStorage):
    """Huey's SQLite storage in WAL with synchronous=NORMAL, as the app's own database
    (app/extensions.py): a commit is safe from a crash of the process without an fsync of its own,
    where Huey's default (FULL) paid one for every enqueue (in the upload's answer) and every dequeue.
    Only a crash of the machine can lose the last tasks; their photos stay `pending` and the
    scheduler's `requeue_photo_tasks` queues them again."""

    def _create_connection(self):
        conn = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


class SqliteHuey(Huey):
    storage_class = _QueueFile


class TaskQueue:
    """The Huey instance of one app and its task wrappers by kind ("photo_derivatives", ...)."""

    def __init__(self, app: Flask, huey: Huey):
        self.app = app
        self.huey = huey
        self.tasks: dict[str, Callable] = {}
        self.start_hooks: list[Callable[[datetime], int]] = []

    def register(self, kind: str, func: Callable, **options) -> None:
        """`func(key, task=...)` runs in its own app context (a session of its own)."""
        app = self.app

        def run(key, task=None, request_id=None):
            from app.ops import context

            # Under the id of the request (or job run) that queued it, so its log lines join that one's.
            with app.app_context(), context.scope(request_id or f"task-{kind}-{context.new_id()[:12]}"):
                started = time.perf_counter()
                result, level = "raised", logging.WARNING  # Huey retries it, or logs it as failed
                try:
                    result, level = func(key, task=task), logging.INFO
                    return result
                finally:
                    log.log(level, "task %s %s: %s", kind, key, result, extra={
                        "task": kind, "key": str(key), "result": str(result),
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1)})

        run.__name__ = kind
        self.tasks[kind] = self.huey.task(name=kind, context=True, **options)(run)

    def at_start(self, hook: Callable[[datetime], int]) -> None:
        """`hook(started_at)` queues again what a crash may have lost before a consumer started (recover)."""
        self.start_hooks.append(hook)

    def waiting_keys(self, kind: str) -> set:
        """The keys of `kind`'s tasks in the queue or waiting for a retry (a consumer's start: it reads
        them all once)."""
        return {task.args[0] for task in (*self.huey.pending(), *self.huey.scheduled())
                if task.name == kind and task.args}

    def recover(self, started_at: datetime) -> int:
        """Run every start hook (in the caller's app context) for a consumer that started at `started_at`;
        how many tasks they queued."""
        return sum(hook(started_at) for hook in self.start_hooks)

    def enqueue(self, kind: str, key, request_id: str | None = None) -> None:
        from app.ops import context

        self.tasks[kind](key, request_id=request_id or context.current())

    def worker_alive(self) -> bool:
        """Whether a `flask worker` wrote its heartbeat within WORKER_ALIVE_S."""
        try:
            beat = self.huey.get(HEARTBEAT_KEY, peek=True)
        except Exception:  # noqa: BLE001 - an unreachable queue: nobody is working it from here either
            return False
        return beat is not None and time.time() - float(beat) < WORKER_ALIVE_S

    def beat(self) -> None:
        self.huey.put(HEARTBEAT_KEY, time.time())

    def counts(self) -> dict[str, int]:
        """Tasks waiting now, and retries waiting for their time (for admins and `photos check`)."""
        return {"queued": self.huey.pending_count(), "scheduled": self.huey.scheduled_count()}

    def drain(self, *, max_tasks: int | None = None, deadline_s: float | None = None) -> int:
        """Run every task that is due, here, until none is left (or `max_tasks`, or `deadline_s`).

        Retries whose time has come are moved to the queue first. Each task is claimed by
        dequeuing it, so a worker or another process draining at the same time never runs it too.
        Returns how many tasks ran."""
        huey, ran = self.huey, 0
        started = time.monotonic()
        while max_tasks is None or ran < max_tasks:
            if deadline_s is not None and time.monotonic() - started > deadline_s:
                break
            for due in huey.read_schedule():
                huey.enqueue(due)
            if not huey.pending_count():  # RedisHuey's dequeue would block a second on an empty queue
                break
            task = huey.dequeue()
            if task is None:
                break  # taken by someone else meanwhile
            huey.execute(task)
            ran += 1
        return ran


def build(app: Flask, *, immediate: bool | None = None, backend: str | None = None,
          url: str | None = None, name: str | None = None) -> TaskQueue:
    """The app's queue from its configuration (keywords override it: tests)."""
    config = app.config
    backend = backend or config["TASK_QUEUE"]
    url = url if url is not None else config["TASK_QUEUE_URL"]
    name = name or config["TASK_QUEUE_NAME"]
    immediate = config["TASK_IMMEDIATE"] if immediate is None else immediate
    if backend == "redis":
        huey = RedisHuey(name, url=url or "redis://127.0.0.1:6379/0", immediate=immediate, results=False)
    elif backend == "embedded":
        path = Path(url or Path(app.instance_path) / "tasks.sqlite3")
        path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey(name, filename=str(path), immediate=immediate, results=False, timeout=30)
    else:
        raise ValueError(f"TASK_QUEUE must be embedded or redis, not {backend!r}")
    queue = TaskQueue(app, huey)
    from app.tasks import photos  # the task bodies import services, which import the models

    photos.register(queue, config)
    return queue


def init_app(app: Flask) -> None:
    app.extensions["tasks"] = build(app)
    from app.extensions import db
    from app.tasks import in_web

    install(db.session)
    in_web.install(app)


def queue() -> TaskQueue:
    return current_app.extensions["tasks"]


def after_commit(kind: str, key) -> None:
    """Enqueue `kind(key)` once the current transaction commits; nothing if it rolls back."""
    from app.extensions import db
    from app.ops import context

    db.session.info.setdefault(_PENDING, []).append((kind, key, context.current()))


def install(session_target) -> None:
    for name, handler in (("after_commit", _send_pending), ("after_soft_rollback", _forget_pending)):
        if not sa.event.contains(session_target, name, handler):
            sa.event.listen(session_target, name, handler)


def _send_pending(session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint's release also counts as a commit: the outer transaction still holds the rows
    pending = session.info.pop(_PENDING, None)
    if not pending or not has_app_context():
        return
    tasks = queue()
    for kind, key, request_id in pending:
        try:
            tasks.enqueue(kind, key, request_id)
        except Exception:  # noqa: BLE001 - the row is committed and says pending: `scheduler --once` requeues it
            log.exception("could not enqueue %s %s", kind, key)
    if has_request_context():
        g.tasks_enqueued = True  # in_web runs them once the answer is sent
    # Elsewhere (CLI, scheduler) they wait for a worker, a web process's poll or `scheduler --once`.


def _forget_pending(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction: a savepoint's rollback keeps them
        session.info.pop(_PENDING, None)
