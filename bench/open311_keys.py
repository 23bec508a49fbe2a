"""Open311 API keys (issue 13): what the per-key count costs a read, and whether a refusal's time tells keys apart.

    python bench/open311_keys.py [--requests 200]

Through the real views (Flask test client, a temp SQLite database, the demo county's categories),
shuffled each round so load from elsewhere hits every kind alike, it times
GET /open311/v2/services.json with:
  - a device token (the baseline: no count, a read-only request),
  - an integration's API key (the count: one short write transaction per request),
and refusals (403) for an unknown key, a revoked key and a device-token-shaped unknown token.
Budget: a keyed read at least 0.5 of the baseline's rate (median time at most twice the baseline's).
The refusals are reported for reading, not budgeted: a revoked key loads its row, an unknown one finds
none, but telling them apart needs the key itself, and no name is ever looked up (decision 0009).
Measured 2026-12-01 on the 2-core machine (200 each): 6.5 ms with a device token, 10.2 ms with a key
(0.64 of the rate); refusals 1.5 ms (unknown key), 1.8 ms (revoked). Not a test: numbers vary by machine.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BUDGET = 0.5


def timed(client, url: str, status: int) -> float:
    started = time.perf_counter()
    resp = client.get(url)
    elapsed = time.perf_counter() - started
    assert resp.status_code == status, (url, resp.status_code)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests of each kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xuncha-bench-") as tmp:
        os.environ.update({"DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
                           "MEDIA_ROOT": str(Path(tmp) / "media"), "SECRET_KEY": "bench-" + uuid.uuid4().hex,
                           "API_KEY_RATE_LIMIT": "100000000"})
        from flask_migrate import upgrade

        from app import create_app, seed
        from app.extensions import db
        from app.services.accounts import api_keys, users
        from app.services.actor import Actor

        app = create_app()
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            seed.seed_reference()
            token = users.issue_device_token(users.create_user("bench", "Bench-pass-123", "inspector"), "bench")
            key = api_keys.create(Actor.system(), "bench").secret
            revoked = api_keys.create(Actor.system(), "gone").secret
            api_keys.revoke(Actor.system(), "gone")
            db.session.commit()
        base = "/open311/v2/services.json?api_key="
        kinds = {"device token": (base + token, 200), "API key": (base + key, 200),
                 "unknown key": (base + "xk_" + "Q" * 43, 403), "revoked key": (base + revoked, 403),
                 "unknown token": (base + "xc_" + "Q" * 43, 403)}
        client = app.test_client()
        times: dict[str, list[float]] = {kind: [] for kind in kinds}
        for url, status in kinds.values():  # warm-up
            timed(client, url, status)
        order, rng = list(kinds.items()), random.Random(7)
        for _ in range(args.requests):
            rng.shuffle(order)  # no kind always follows the same one (a write's commit is felt next)
            for kind, (url, status) in order:
                times[kind].append(timed(client, url, status))
    med = {kind: statistics.median(values) * 1000 for kind, values in times.items()}
    for kind, value in med.items():
        print(f"{kind:14} median {value:6.2f} ms")
    ratio = med["device token"] / med["API key"]
    refusal = med["unknown key"] / med["revoked key"]
    print(f"rate of keyed reads / device-token reads: {ratio:.2f} (budget >= {BUDGET}: "
          f"{'met' if ratio >= BUDGET else 'MISSED'}); unknown/revoked refusal: {refusal:.2f}")
    print(json.dumps({"bench": "open311_keys", "metrics": [  # for bench/run_all.py
        {"name": f"Open311 read with an API key (median of {args.requests}, rate vs device token)", "unit": "x",
         "value": round(ratio, 2), "baseline": 1.0, "baseline_name": "device token", "budget": BUDGET,
         "better": "higher"},
        {"name": "Open311 refusal, unknown key vs revoked key (median)", "unit": "ms",
         "value": round(med["unknown key"], 2), "baseline": round(med["revoked key"], 2),
         "baseline_name": "revoked key"},
    ]}))


if __name__ == "__main__":
    main()
