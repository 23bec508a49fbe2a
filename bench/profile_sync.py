"""Profile POST /api/v1/sync in-process (issue 20): one report with one photo, as bench/ingest.py sends it.

    python bench/profile_sync.py                 # SQLite in a temp folder
    python bench/profile_sync.py --db postgresql # BENCH_PG_URL (its schema replaced)
    python bench/profile_sync.py --top 40 --sort tottime

The photos are PUT first (not profiled); then --reports syncs run under cProfile, after --warm
unprofiled ones. Prints the mean time per sync, the SQL statements per sync, and the profile.
Not a test: numbers depend on the machine.
"""
from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import pstats
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from PIL import Image  # noqa: E402

from bench.ingest import PG_URL, engine_url, prepare  # noqa: E402
from tests.reliability.phone_replay import grid_point  # noqa: E402


def small_jpeg(n: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (n % 256, (n * 7) % 256, 90)).save(out, "JPEG")
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--reports", type=int, default=60)
    parser.add_argument("--warm", type=int, default=5)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()

    from app import create_app
    from app.config import Config
    from app.extensions import db

    workdir = Path(tempfile.mkdtemp(prefix="xc-profile-sync-"))
    url = engine_url(PG_URL) if args.db == "postgresql" else f"sqlite:///{workdir / 'db.sqlite3'}"
    token = prepare(url, workdir, 1)[0]

    class ProfileConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        MEDIA_ROOT = str(workdir / "media")
        TASK_QUEUE = "embedded"
        TASK_QUEUE_URL = str(workdir / "tasks.sqlite3")

    app = create_app(ProfileConfig)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    total = args.warm + args.reports
    shas = []
    for n in range(total):
        data = small_jpeg(n)
        sha = hashlib.sha256(data).hexdigest()
        put = client.put(f"/api/v1/photos/{sha}", data=data, headers={**headers, "Content-Type": "image/jpeg"})
        assert put.status_code == 201, put.text
        shas.append(sha)

    statements = [0]
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute",
                        lambda *a, **k: statements.__setitem__(0, statements[0] + 1))

    def sync(n: int) -> None:
        lat, lon = grid_point(n, columns=200, step_deg=0.0004)
        body = {"cursor": 0, "reports": [{
            "client_id": str(uuid.uuid4()), "category_code": "09009", "description": "profile",
            "lat": lat, "lon": lon, "accuracy_m": 8.0, "location_source": "device",
            "captured_at": (datetime.now(UTC) - timedelta(minutes=3)).isoformat(), "photos": [shas[n]]}]}
        resp = client.post("/api/v1/sync", json=body, headers=headers)
        assert resp.status_code == 200 and resp.get_json()["results"][0]["status"] == "created", resp.text

    for n in range(args.warm):
        sync(n)
    statements[0] = 0
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for n in range(args.warm, total):
        sync(n)
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(f"{args.db}: {args.reports} syncs, {elapsed / args.reports * 1000:.1f} ms each (under cProfile), "
          f"{statements[0] / args.reports:.1f} SQL statements each")
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
