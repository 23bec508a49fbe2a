"""GET /metrics: Prometheus text from allowed addresses only (404 elsewhere), request latency by
route, sync results by kind and status, photo ingest time, job runs and failures, queue depths; and
several processes' metrics adding up in multiprocess mode (two writers, then gunicorn with two workers)."""
from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.jobs.scheduler import JobRunner
from app.models import Notification
from app.models.webhook import Webhook, WebhookKind, WebhookMessage
from app.timeutil import now_utc
from tests.conftest import REPO
from tests.factories import department
from tests.sync.conftest import report_json, spread


def samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(text: str, name: str, **labels) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client, addr="127.0.0.1"):
    return client.get("/metrics", environ_base={"REMOTE_ADDR": addr})


def test_only_allowed_addresses_see_metrics(client, app, monkeypatch):
    ok = scrape(client)
    assert ok.status_code == 200 and ok.mimetype == "text/plain"
    assert "xuncha_database_up 1.0" in ok.text
    assert scrape(client, "::1").status_code == 200
    assert scrape(client, "10.1.2.3").status_code == 404
    monkeypatch.setitem(app.extensions, "xuncha_metrics_allow", __import__("app.ops.metrics").ops.metrics
                        .parse_networks("10.0.0.0/8, 192.0.2.7"))
    assert scrape(client, "10.1.2.3").status_code == 200 and scrape(client, "192.0.2.7").status_code == 200
    assert scrape(client, "127.0.0.1").status_code == 404


def test_behind_the_proxy_the_forwarded_address_decides(database_url):
    class Proxied(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        TRUSTED_PROXIES = 1
        METRICS_ALLOW = "192.0.2.0/24"

    proxied = create_app(Proxied)
    client = proxied.test_client()
    with proxied.app_context():
        # nginx on loopback forwards an outsider: refused; a monitoring host in the allowed network: served.
        outsider = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        monitor = client.get("/metrics", headers={"X-Forwarded-For": "192.0.2.10"})
        db.session.remove()
        db.engine.dispose()
    assert outsider.status_code == 404 and monitor.status_code == 200


def test_request_latency_is_by_route_not_path(client, ticket_in, api, create_user):
    supervisor = api(create_user("supervisor"))
    before = scrape(client).text
    ticket = ticket_in("assigned")
    for _ in range(3):
        assert supervisor.get(f"/api/v1/tickets/{ticket.id}").status_code == 200
    assert supervisor.get("/api/v1/tickets/999999").status_code == 404
    assert client.get("/no/such/page/123").status_code == 404
    after = scrape(client).text
    route = "/api/v1/tickets/<int:ticket_id>"
    grew = value(after, "xuncha_http_request_duration_seconds_count", method="GET", route=route) - value(
        before, "xuncha_http_request_duration_seconds_count", method="GET", route=route)
    assert grew == 4
    assert value(after, "xuncha_http_requests_total", method="GET", route=route, status="404") - value(
        before, "xuncha_http_requests_total", method="GET", route=route, status="404") == 1
    assert f"/api/v1/tickets/{ticket.id}" not in after and "/no/such/page" not in after
    assert value(after, "xuncha_http_requests_total", method="GET", route="(unmatched)", status="404") >= 1


def test_sync_results_are_counted_by_kind_and_status(client, phone):
    before = scrape(client).text
    points = spread(2)
    sent = [report_json(lat=points[0][0], lon=points[0][1]), report_json(lat=points[1][0], lon=points[1][1]),
            report_json(category_code="nonexistent")]
    answer = phone.sync(reports=sent)
    statuses = sorted(r["status"] for r in answer["results"])
    phone.sync(reports=sent[:1])  # the same report again: already synced
    after = scrape(client).text

    def grew(status):
        return value(after, "xuncha_sync_results_total", kind="report", status=status) - value(
            before, "xuncha_sync_results_total", kind="report", status=status)

    assert statuses == ["created", "created", "rejected"]
    assert grew("created") == 2 and grew("rejected") == 1 and grew("already_synced") == 1


def test_photo_ingest_time_is_observed(client, app, api, create_user, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "media"))
    uploader = api(create_user("inspector"))
    before = scrape(client).text
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(picture, "JPEG")
    data = picture.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    assert uploader.put(f"/api/v1/photos/{sha}", data=data, content_type="image/jpeg").status_code == 201
    assert uploader.put(f"/api/v1/photos/{sha}", data=data, content_type="image/jpeg").status_code == 200
    assert uploader.put(f"/api/v1/photos/{'0' * 64}", data=data, content_type="image/jpeg").status_code == 422
    after = scrape(client).text
    for outcome in ("created", "existing", "refused"):
        assert value(after, "xuncha_photo_ingest_seconds_count", outcome=outcome) - value(
            before, "xuncha_photo_ingest_seconds_count", outcome=outcome) == 1, outcome


def test_job_runs_failures_and_queue_depths(client, app, create_user, create_photo, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_RETRIES", 2)
    monkeypatch.setitem(app.config, "JOB_RETRY_DELAY_SECONDS", 0)
    user = create_user("supervisor")
    db.session.add_all([Notification(user_id=user.id, kind="overdue", data={}) for _ in range(3)])
    db.session.commit()
    robot = Webhook(department_id=department("CGZF").id, kind=WebhookKind.DINGTALK, url="https://oapi.dingtalk.com/x")
    db.session.add(robot)
    db.session.flush()
    db.session.add_all([WebhookMessage(webhook_id=robot.id, kind="overdue", title="t", text="x",
                                       created_at=now_utc() - timedelta(minutes=10)) for _ in range(2)])
    db.session.commit()
    text = scrape(client).text
    assert value(text, "xuncha_queue_depth", queue="email") == 3
    assert value(text, "xuncha_queue_depth", queue="messages") == 2
    assert 590 < value(text, "xuncha_queue_oldest_age_seconds", queue="messages") < 900
    assert value(text, "xuncha_queue_depth", queue="photo_derivatives") == 0
    create_photo(derivatives="pending")
    create_photo(derivatives="failed")  # given up: not waiting
    assert value(scrape(client).text, "xuncha_queue_depth", queue="photo_derivatives") == 1

    def broken(now):
        raise RuntimeError("boom")

    runner = JobRunner(app, "test-holder")
    assert runner.run("send_email", __import__("app.jobs.tasks").jobs.tasks.send_email) == 0
    assert runner.run("broken", broken) is None
    assert runner.run("broken", broken) is None
    db.session.commit()  # end this test's read: the runner committed through its own session
    text = scrape(client).text
    assert value(text, "xuncha_job_runs_total", job="send_email") == 1
    assert value(text, "xuncha_job_failures_total", job="send_email") == 0
    assert value(text, "xuncha_job_runs_total", job="broken") == 2
    assert value(text, "xuncha_job_failures_total", job="broken") == 2
    assert value(text, "xuncha_queue_depth", queue="email") == 0
    assert 0 <= value(text, "xuncha_scheduler_heartbeat_age_seconds") < 60


WRITER = textwrap.dedent("""
    import sys
    from app.ops import metrics
    for _ in range(int(sys.argv[1])):
        metrics.observe("sync.sync", "POST", "/api/v1/sync", 200, 0.2)
        metrics.count_sync({"results": [{"status": "created"}], "action_results": []})
""")

READER = textwrap.dedent("""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    print(generate_latest(registry).decode())
""")


def test_two_worker_processes_add_up(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}
    for count in (7, 5):  # two processes, one after the other, each with its own files
        subprocess.run([sys.executable, "-c", WRITER, str(count)], env=env, check=True, cwd=REPO, timeout=120)
    assert len(list(tmp_path.glob("counter_*.db"))) == 2
    text = subprocess.run([sys.executable, "-c", READER], env=env, check=True, cwd=REPO, timeout=120,
                          capture_output=True, text=True).stdout
    assert value(text, "xuncha_http_requests_total", method="POST", route="/api/v1/sync", status="200") == 12
    assert value(text, "xuncha_sync_results_total", kind="report", status="created") == 12
    assert value(text, "xuncha_http_request_duration_seconds_count", method="POST", route="/api/v1/sync") == 12
    assert value(text, "xuncha_http_request_duration_seconds_sum", method="POST",
                 route="/api/v1/sync") == pytest.approx(2.4)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_with_two_workers_and_the_shipped_config(app, database_url, tmp_path):
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    log_file = log.open("wb")
    (metrics_dir / "counter_1.db").write_bytes(b"left over from the last start")
    env = {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": str(tmp_path / "media"),
           "SECRET_KEY": "x" * 64, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
                               "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "1", "wsgi:app"],
                              cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log_file)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):  # the workers import the app before they take the first request
            try:
                if requests.get(f"{base}/healthz", timeout=60).status_code in (200, 503):
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start: " + log.read_text(errors="replace")[-2000:])
        sent = 1
        # Bursts until both workers have answered (the second may still be importing the app): a sync
        # worker busy with one request leaves the next connection to the other.
        with ThreadPoolExecutor(8) as pool:
            for _ in range(60):
                list(pool.map(lambda _: requests.get(f"{base}/healthz", timeout=30), range(20)))
                sent += 20
                if len(list(metrics_dir.glob("counter_*.db"))) >= 2:
                    break
                time.sleep(0.5)
        counts = []
        for _ in range(4):  # whichever worker answers, it reports both workers' requests
            text = requests.get(f"{base}/metrics", timeout=10).text
            counts.append(value(text, "xuncha_http_requests_total", method="GET", route="/healthz", status="200")
                          + value(text, "xuncha_http_requests_total", method="GET", route="/healthz", status="503"))
        pids = {p.name.split("_")[1] for p in metrics_dir.glob("counter_*.db")}
    finally:
        server.terminate()
        server.wait(timeout=30)
        log_file.close()
    assert counts == [float(sent)] * 4
    lines = [json.loads(line) for line in log.read_text().splitlines()]  # gunicorn's own lines are JSON too
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in lines)
    assert "1.db" not in pids and len(pids) == 2  # a fresh folder, and both workers write to it
