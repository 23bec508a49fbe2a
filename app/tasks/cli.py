"""`flask --app wsgi worker`: run the queued tasks in the foreground (TASK_WORKERS threads).

Ctrl-C (SIGINT) finishes the tasks in hand and stops; SIGTERM stops at once (a photo whose task
was cut short stays pending, and is queued again when a worker or web process starts, or by the
scheduler's `requeue_photo_tasks`).
While it runs it writes a heartbeat to the queue, so web processes leave the tasks to it.
"""
from __future__ import annotations

import logging
import threading

import click
from flask import current_app

from app.extensions import db
from app.ops.gc_freeze import freeze_startup_objects
from app.ops.logging import configure_process
from app.tasks.queue import queue
from app.timeutil import now_utc

log = logging.getLogger(__name__)
HEARTBEAT_S = 5.0


@click.command("worker")
@click.option("--workers", type=int, default=None, help="Threads (default TASK_WORKERS).")
def worker_command(workers: int | None) -> None:
    """Run the task queue's worker in the foreground (photo derivatives)."""
    app = current_app._get_current_object()
    configure_process(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    tasks = queue()
    if tasks.huey.immediate:
        raise click.UsageError("TASK_IMMEDIATE is on: tasks run at their commit, there is nothing to work.")
    # Poll an idle embedded queue at least every second (Redis blocks on its list instead).
    consumer = tasks.huey.create_consumer(workers=workers or app.config["TASK_WORKERS"], worker_type="thread",
                                          periodic=False, max_delay=1.0, check_worker_health=True)
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.is_set():
            try:
                tasks.beat()
            except Exception:  # noqa: BLE001 - the queue is down: the consumer logs that itself
                log.warning("could not write the worker heartbeat", exc_info=True)
            stop.wait(HEARTBEAT_S)

    threading.Thread(target=heartbeat, name="worker-heartbeat", daemon=True).start()
    log.info("worker starting on the %s queue %s", app.config["TASK_QUEUE"], tasks.huey.name)
    recovered = tasks.recover(now_utc())  # what a crash lost (app/tasks/photos.py: requeue_pending)
    db.session.remove()
    if recovered:
        log.info("queued %d tasks again that a stop or crash may have lost", recovered)
    freeze_startup_objects()  # loaded for good: no full collection walks it between two photos
    try:
        consumer.run()
    finally:
        stop.set()
        log.info("worker stopped")
