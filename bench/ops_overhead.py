"""Operations overhead benchmark (issue 15): what the request id, the JSON log line and the metrics
cost a sync request, and what /healthz and /metrics cost a load balancer and a scraper.

    python bench/ops_overhead.py [--requests 60]

Two apps on one temp SQLite database: the real one, and the same with app.ops.install switched off
(the baseline). Interleaved POST /api/v1/sync of 10 new reports each through the Flask test client
(a device token, the real intake); the ratio of medians is the hooks' share (reported, no budget: on a
loaded 2-core machine it moved between 0.97 and 1.17 while a profile puts the hooks' own code at
~0.3 ms a request). /healthz and /metrics are timed on the real app (budget: /healthz median under
20 ms, as a load balancer asks every few seconds). Log lines go to /dev/null through the JSON formatter,
so their formatting is counted. Not a test: numbers depend on the machine.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HEALTH_BUDGET_MS = 20.0


def timed(call) -> float:
    started = time.perf_counter()
    resp = call()
    elapsed = time.perf_counter() - started
    assert resp.status_code == 200, (resp.status_code, resp.text[:300])
    return elapsed


def batch(n: int, offset: int) -> dict:
    captured = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    return {"device_id": "bench", "reports": [
        {"client_id": str(uuid.uuid4()), "category_code": "09009", "description": "bench", "lat": 29.9 + 0.0005 * (
            offset * n + k) % 0.09, "lon": 119.95, "accuracy_m": 8.0, "location_source": "device",
         "captured_at": captured, "photos": []} for k in range(n)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60, help="sync requests per app")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xuncha-bench-") as tmp:
        os.environ.update({"DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", "MEDIA_ROOT": str(
            Path(tmp) / "media"), "SECRET_KEY": "bench-" + uuid.uuid4().hex, "SYNC_OUTSIDE_COUNTY": "accept",
            "REPEAT_LINKING": "0"})
        from flask_migrate import upgrade

        import app.ops
        from app import create_app, seed
        from app.extensions import db
        from app.ops.logging import JsonFormatter
        from app.services.accounts import users

        real = create_app()
        handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 - for the whole run
        handler.setFormatter(JsonFormatter())
        logging.getLogger().handlers[:] = [handler]
        install = app.ops.install
        app.ops.install = lambda _app: None
        try:
            bare = create_app()
        finally:
            app.ops.install = install
        with real.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            seed.seed_reference()
            token = users.issue_device_token(users.create_user("bench", "Bench-pass-123", "inspector"), "bench")
            db.session.commit()
        headers = {"Authorization": f"Bearer {token}"}
        clients = {"with ops hooks": real.test_client(), "without (baseline)": bare.test_client()}
        times = {name: [] for name in clients}
        for i in range(args.requests + 3):
            for j, (name, client) in enumerate(list(clients.items())[::1 if i % 2 else -1]):
                elapsed = timed(lambda c=client, k=i * 2 + j: c.post("/api/v1/sync", json=batch(10, k),
                                                                     headers=headers))
                if i >= 3:  # warm-up
                    times[name].append(elapsed)
        probe = real.test_client()
        health = [timed(lambda: probe.get("/healthz")) for _ in range(args.requests)]
        scrape = [timed(lambda: probe.get("/metrics")) for _ in range(args.requests)]

    ms = 1000
    with_hooks, baseline = (statistics.median(times[k]) * ms for k in clients)
    for name, values in times.items():
        print(f"sync of 10 reports, {name}: median {statistics.median(values) * ms:.1f} ms")
    print(f"ratio {with_hooks / baseline:.3f}")
    print(f"/healthz median {statistics.median(health) * ms:.1f} ms; "
          f"/metrics median {statistics.median(scrape) * ms:.1f} ms")
    print(json.dumps({"bench": "ops_overhead", "metrics": [
        {"name": f"sync of 10 reports with the ops hooks (median of {args.requests})", "unit": "ms",
         "value": round(with_hooks, 1), "baseline": round(baseline, 1), "baseline_name": "without the hooks"},
        {"name": "/healthz (median)", "unit": "ms", "value": round(statistics.median(health) * ms, 2),
         "budget": HEALTH_BUDGET_MS},
        {"name": "/metrics scrape, one process (median)", "unit": "ms",
         "value": round(statistics.median(scrape) * ms, 2)},
    ]}))


if __name__ == "__main__":
    main()
