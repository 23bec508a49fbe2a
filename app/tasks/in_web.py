"""Tasks run by the web process itself when no worker runs (TASK_IN_WEB, app/config.py).

With the embedded queue and a bare `flask run` or gunicorn, nobody else would make the
thumbnails. So each web process keeps one daemon thread that drains the queue: woken once a
request that enqueued work has sent its answer (response.call_on_close), and every
TASK_IN_WEB_POLL_S for retries that came due; its first round queues again what a crash lost
(TaskQueue.recover). It stands aside while a `flask worker` is alive
(its heartbeat), and when both run at once a task still runs once: it is claimed by dequeuing it.
"""
from __future__ import annotations

import logging
import os
import threading

from flask import Flask, g

from app.timeutil import now_utc

log = logging.getLogger(__name__)

# When this process started (a fork counts as a start: gunicorn's workers): a photo pending since
# before then may have lost its task with the process before, and the runner's first round queues it
# again; one uploaded since is this process's own (its task is queued), and is not queued twice.
_process_started = now_utc()


def _forked() -> None:
    global _process_started
    _process_started = now_utc()


os.register_at_fork(after_in_child=_forked)


class Runner:
    def __init__(self, app: Flask):
        self.app = app
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.pid = None
        self.lock = threading.Lock()
        self.ran = 0  # tasks run by this process (tests, diagnostics)
        self.recovered: int | None = None  # tasks queued again at its first round (TaskQueue.recover)

    def ensure_started(self) -> None:
        with self.lock:
            # A thread does not survive a fork (gunicorn's workers): each process starts its own.
            if self.thread is not None and self.thread.is_alive() and self.pid == os.getpid():
                return
            self.pid = os.getpid()
            self.thread = threading.Thread(target=self._loop, name="tasks-in-web", daemon=True)
            self.thread.start()

    def kick(self) -> None:
        self.ensure_started()
        self.wake.set()

    def _still_on(self) -> bool:
        return self.app.extensions.get("tasks_in_web") is self and enabled(self.app)

    def _loop(self) -> None:
        poll_s = self.app.config["TASK_IN_WEB_POLL_S"]
        while self._still_on():
            self.wake.wait(timeout=poll_s)
            self.wake.clear()
            if not self._still_on():
                return  # replaced or turned off while it slept: it must not drain a queue that is not its own
            try:
                with self.app.app_context():
                    tasks = self.app.extensions["tasks"]
                    if not tasks.worker_alive():
                        if self.recovered is None:  # this process's first round: what a crash lost
                            self.recovered = tasks.recover(_process_started)
                        self.ran += tasks.drain()
            except Exception:  # noqa: BLE001 - a broken queue must not end the thread; the next wake tries again
                log.exception("running tasks in the web process failed")


def enabled(app: Flask) -> bool:
    setting = app.config["TASK_IN_WEB"]
    if app.config["TASK_IMMEDIATE"]:
        return False  # already run at the commit
    if setting == "auto":
        return app.config["TASK_QUEUE"] == "embedded"
    return setting == "on"


def runner(app: Flask) -> Runner:
    return app.extensions.setdefault("tasks_in_web", Runner(app))


def install(app: Flask) -> None:
    @app.after_request
    def _run_after_answer(response):
        if enabled(app):
            this = runner(app)
            this.ensure_started()  # also after a restart with tasks left in the queue
            if g.pop("tasks_enqueued", False):
                response.call_on_close(this.kick)
        return response
