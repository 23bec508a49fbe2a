"""Prometheus metrics (prometheus_client), correct with several gunicorn workers.

Under gunicorn, `gunicorn.conf.py` sets PROMETHEUS_MULTIPROC_DIR before any worker imports this
module, so every worker writes its counters and histograms to files there and a scrape of any
worker merges them all (and a dead worker's files are marked by its child_exit hook). Without it
(flask run, tests) the metrics live in this process.

Counted per request here, at the app level, so no view has to remember: latency by route (the URL
rule, never the raw path), sync results by kind and status (the sync view is wrapped and its answer
read before it becomes JSON), photo ingest time. Read from the database at scrape time, so each is
right whichever machine runs the scheduler: job runs and failures, queue depths and ages, the scheduler's heartbeat age.
"""
from __future__ import annotations

import functools
import ipaddress
import os
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from app.extensions import db

REQUEST_SECONDS = Histogram("xuncha_http_request_duration_seconds", "Time to answer a request, by route.",
                            ["method", "route"],
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
REQUESTS = Counter("xuncha_http_requests_total", "Requests answered, by route and status.",
                   ["method", "route", "status"])
SYNC_RESULTS = Counter("xuncha_sync_results_total", "Items of sync batches, by kind (report, action) and result.",
                       ["kind", "status"])
PHOTO_INGEST_SECONDS = Histogram("xuncha_photo_ingest_seconds", "Photo uploads: receive, check, process, store.",
                                 ["outcome"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32))

SYNC_ENDPOINT = "sync.sync"
PHOTO_ENDPOINTS = {"api.put_photo"}
UNMATCHED = "(unmatched)"  # 404s without a route share one label, so scanners cannot grow the series

bp = Blueprint("ops_metrics", __name__)


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """METRICS_ALLOW: comma-separated addresses and networks; a bad entry fails at start, not at scrape."""
    return [ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()]


def allowed(address: str | None, networks) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in net for net in networks)


def _outcome(status: int) -> str:
    return {201: "created", 200: "existing", 503: "busy"}.get(status, "refused")


def observe(endpoint: str | None, method: str, route: str | None, status: int, seconds: float) -> None:
    route = route or UNMATCHED
    REQUEST_SECONDS.labels(method, route).observe(seconds)
    REQUESTS.labels(method, route, str(status)).inc()
    if endpoint in PHOTO_ENDPOINTS and method == "PUT":
        PHOTO_INGEST_SECONDS.labels(_outcome(status)).observe(seconds)


def count_sync(answer: dict) -> None:
    """Count the per-item results of a sync answer (docs/sync-protocol.md), by kind and status."""
    for kind, key in (("report", "results"), ("action", "action_results")):
        for item in answer.get(key) or ():
            SYNC_RESULTS.labels(kind, str(item.get("status", "unknown"))).inc()


def _counting_sync_results(view):
    """The sync view, counting its answer's results before Flask turns the dict into JSON: no change
    to sync/ and no parse of the answer (which holds up to 200 changes) again."""
    @functools.wraps(view)
    def counted(*args, **kwargs):
        answer = view(*args, **kwargs)
        if isinstance(answer, dict):
            count_sync(answer)
        return answer

    return counted


class DatabaseCollector:
    """Read at scrape time from the database: the same numbers from every worker and machine."""

    def collect(self):
        from app.jobs import lease
        from app.models.job import JobStat
        from app.ops import queues
        from app.timeutil import now_utc

        now = now_utc()
        up = GaugeMetricFamily("xuncha_database_up", "1 if the database answered this scrape.")
        try:
            stats = db.session.scalars(db.select(JobStat).order_by(JobStat.job_id)).all()
            found = queues.all_queues()
            beat = lease.last_heartbeat()
        except Exception:  # noqa: BLE001 - a scrape must answer even with the database down
            db.session.rollback()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        runs = CounterMetricFamily("xuncha_job_runs", "Scheduled job runs, successful or not.", labels=["job"])
        failures = CounterMetricFamily("xuncha_job_failures", "Scheduled job runs that failed every retry.",
                                       labels=["job"])
        last = GaugeMetricFamily("xuncha_job_last_run_timestamp_seconds", "When a job last ran (Unix time).",
                                 labels=["job"])
        for stat in stats:
            runs.add_metric([stat.job_id], stat.runs)
            failures.add_metric([stat.job_id], stat.failures)
            if stat.last_run_at is not None:
                last.add_metric([stat.job_id], stat.last_run_at.timestamp())
        yield from (runs, failures, last)
        depth = GaugeMetricFamily("xuncha_queue_depth", "Items waiting, by queue.", labels=["queue"])
        age = GaugeMetricFamily("xuncha_queue_oldest_age_seconds", "Age of the oldest waiting item.",
                                labels=["queue"])
        for queue in found:
            depth.add_metric([queue.name], queue.depth)
            age.add_metric([queue.name], queue.age_s(now))
        yield from (depth, age)
        heartbeat = GaugeMetricFamily("xuncha_scheduler_heartbeat_age_seconds",
                                      "Seconds since the scheduler last renewed its lease (absent: none holds it).")
        if beat is not None:
            heartbeat.add_metric([], (now - beat).total_seconds())
        yield heartbeat


def exposition() -> bytes:
    """The whole text: this worker's or all workers' request metrics, then the database's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        merged = CollectorRegistry()
        MultiProcessCollector(merged)
        text = generate_latest(merged)
    else:
        text = generate_latest(REGISTRY)
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector())
    return text + generate_latest(database)


@bp.get("/metrics")
def metrics():
    if not allowed(request.remote_addr, current_app.extensions["xuncha_metrics_allow"]):
        abort(404)  # as if there were no such page
    return Response(exposition(), mimetype=CONTENT_TYPE_LATEST)


def install(app: Flask) -> None:
    """After the blueprints are registered (the sync view is wrapped), before the other hooks."""
    app.extensions["xuncha_metrics_allow"] = parse_networks(app.config["METRICS_ALLOW"])
    if SYNC_ENDPOINT in app.view_functions:
        app.view_functions[SYNC_ENDPOINT] = _counting_sync_results(app.view_functions[SYNC_ENDPOINT])

    @app.after_request
    def _count(response):
        started = g.get("request_started")  # app.ops.logging's clock, started first
        if started is None or request.endpoint == "ops_metrics.metrics":
            return response
        rule = request.url_rule.rule if request.url_rule is not None else None
        observe(request.endpoint, request.method, rule, response.status_code, time.perf_counter() - started)
        return response
