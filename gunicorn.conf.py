"""gunicorn settings for Xuncha: `gunicorn -c gunicorn.conf.py wsgi:app` (README, deploy/xuncha-web.service).

Prometheus multiprocess mode (app/ops/metrics.py): every worker writes its metrics to files in
PROMETHEUS_MULTIPROC_DIR, which must be set before a worker imports the app, and be emptied when the
server starts (old files would add yesterday's counts to today's). A worker that exits is marked
dead, so its gauges stop counting while its counters and histograms stay in the totals.
Override bind and workers with GUNICORN_BIND and WEB_CONCURRENCY.
"""
import json
import logging
import os
import shutil
import tempfile
from datetime import UTC, datetime

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60  # a 25 MB photo over a slow link is buffered by nginx first; the app itself answers fast
graceful_timeout = 30
accesslog = None  # the app logs every request itself, as JSON with its request id (app/ops/logging.py)
errorlog = "-"


class _JsonLines(logging.Formatter):
    """gunicorn's own lines (workers booting, timeouts) as JSON too, like the app's (app/ops/logging.py)."""

    def format(self, record):
        return json.dumps({"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                           "level": record.levelname, "logger": record.name, "message": record.getMessage()},
                          ensure_ascii=False)


logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": _JsonLines}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
                # The app logs each request itself (with its request id); gunicorn's line would repeat it.
                "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False}},
    "root": {"level": "INFO", "handlers": []},
}

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # No folder given (systemd gives /run/xuncha/metrics): a fresh private one for this server.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="xuncha-metrics-")


def on_starting(server):
    """Once, in the master, before any worker: start from an empty metrics folder."""
    path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        target = os.path.join(path, name)
        if os.path.isdir(target):
            shutil.rmtree(target)
        else:
            os.unlink(target)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Once the app is loaded in a worker: its startup objects leave the collector's reach (app/ops/gc_freeze.py)."""
    from app.ops.gc_freeze import freeze_startup_objects

    freeze_startup_objects()
