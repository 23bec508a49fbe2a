"""Visit sync benchmark (issue 14 §3): what a failed item costs through a visit against a plain report.

    python bench/visit_sync.py [--rounds 6] [--visits 10]

Through the real POST /api/v1/sync (Flask test client, a device token, a temp SQLite database with
the demo county's points and checklists), each round sends, interleaved (which goes first alternates):
  - the baseline: a batch of plain reports, one per failed item of the visits below (its category, 100 m
    from its point, so not a repeat), each with a photo;
  - a batch of `--visits` visits of different points, every item answered, three of them failed with a
    photo each (so the same number of tickets through the same intake, plus the visits' rows);
  - the same visits batch again (all already_synced: what a phone's resend costs).
Reported: ms per failed item via a visit and via a report (budget: at most 1.5× the report's, as a
visit's fail is the report's work plus its share of the visit, its passes and the checks), and ms
per resent visit. Not a test: numbers depend on the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BUDGET = 1.5
FAILS_PER_VISIT = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--visits", type=int, default=10, help="visits per batch (each of another point)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="xuncha-bench-") as tmp:
        os.environ.update({"DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
                           "MEDIA_ROOT": str(Path(tmp) / "media"), "SECRET_KEY": "bench-" + uuid.uuid4().hex})
        from flask_migrate import upgrade

        from app import create_app, seed
        from app.extensions import db
        from app.models import InspectionPoint, Photo, PhotoUpload
        from app.services.accounts import users
        from app.services.assessment import checklists
        from app.timeutil import now_utc

        app = create_app()
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            seed.seed_reference()
            inspector = users.create_user("bench-inspector", "Bench-pass-123", "inspector")
            db.session.flush()
            token = users.issue_device_token(inspector, "bench")
            points = db.session.query(InspectionPoint).order_by(InspectionPoint.code).all()
            plans = []  # (point code, version, [(item code, category code)])
            for point in points:
                version = checklists.current_version(point.location_type.code)
                if version is not None and len(version.items) >= FAILS_PER_VISIT:
                    plans.append((point.code, point.lat, point.lon, version.version,
                                  [(i.code, i.category.code) for i in version.items]))
            needed = args.rounds * args.visits
            if len(plans) < needed:
                raise SystemExit(f"{len(plans)} points with a checklist; --rounds × --visits must be ≤ that")
            per_round = args.visits * FAILS_PER_VISIT
            shas = [uuid.uuid4().hex + uuid.uuid4().hex for _ in range(2 * args.rounds * per_round)]
            for sha in shas:
                db.session.add(Photo(sha256=sha, mime="image/jpeg", bytes=1000, width=640, height=480,
                                     uploaded_by_id=inspector.id))
            db.session.flush()
            db.session.add_all(PhotoUpload(photo_sha256=sha, user_id=inspector.id) for sha in shas)
            db.session.commit()

        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        photos = iter(shas)

        def post(body: dict) -> tuple[float, dict]:
            started = time.perf_counter()
            resp = client.post("/api/v1/sync", json={"device_id": "bench", **body}, headers=headers)
            elapsed = time.perf_counter() - started
            assert resp.status_code == 200, resp.text
            return elapsed, resp.get_json()

        report_ms, visit_ms, resend_ms = [], [], []
        for round_no in range(args.rounds):
            now = now_utc()
            batch = plans[round_no * args.visits:(round_no + 1) * args.visits]
            # The same categories as the visits' fails, ~100 m from each point: the same intake work, no repeats.
            reports = [{
                "client_id": str(uuid.uuid4()), "category_code": category, "description": "bench",
                "lat": lat + 0.0009, "lon": lon, "accuracy_m": 5,
                "location_source": "device", "captured_at": (now - timedelta(minutes=5)).isoformat(),
                "photos": [next(photos)]} for _code, lat, lon, _v, items in batch
                for _item, category in items[:FAILS_PER_VISIT]]
            visits = []
            for code, lat, lon, version, items in batch:
                results = [{"item_code": item, "outcome": "fail" if n < FAILS_PER_VISIT else "pass",
                            "photos": [next(photos)] if n < FAILS_PER_VISIT else []}
                           for n, (item, _category) in enumerate(items)]
                visits.append({"client_id": str(uuid.uuid4()), "point_code": code, "checklist_version": version,
                               "started_at": (now - timedelta(minutes=20)).isoformat(),
                               "finished_at": (now - timedelta(minutes=5)).isoformat(), "lat": lat, "lon": lon,
                               "accuracy_m": 5, "results": results})
            for kind in ("reports", "visits") if round_no % 2 == 0 else ("visits", "reports"):  # order evened out
                if kind == "reports":
                    elapsed, body = post({"reports": reports})
                    assert {r["status"] for r in body["results"]} == {"created"}, body["results"][:2]
                    report_ms.append(1000 * elapsed / per_round)
                else:
                    elapsed, body = post({"visits": visits})
                    assert {r["status"] for r in body["visit_results"]} == {"created"}, body["visit_results"][:2]
                    visit_ms.append(1000 * elapsed / per_round)
            elapsed, body = post({"visits": visits})
            assert {r["status"] for r in body["visit_results"]} == {"already_synced"}
            resend_ms.append(1000 * elapsed / len(visits))

    report, visit, resend = (statistics.median(v) for v in (report_ms, visit_ms, resend_ms))
    print(f"per failed item: report {report:.1f} ms, visit {visit:.1f} ms ({visit / report:.2f}×); "
          f"a resent visit {resend:.1f} ms ({args.rounds} rounds of {args.visits} visits, "
          f"{FAILS_PER_VISIT} fails each)")
    print(json.dumps({"bench": "visit_sync", "metrics": [
        {"name": "visit sync, ms per failed item", "value": round(visit, 2), "unit": "ms",
         "baseline": round(report, 2), "baseline_name": "a plain report", "budget": BUDGET},
        {"name": "visit resend (already_synced), ms per visit", "value": round(resend, 2), "unit": "ms"},
    ]}))


if __name__ == "__main__":
    main()
