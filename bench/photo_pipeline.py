"""Photo pipeline benchmark (docs/design.md §8): the bare work against the same work through the real server.

    python bench/photo_pipeline.py [--photos 30] [--server gunicorn|werkzeug]

Generates N phone-like photos (12 MP JPEG, 3-4 MB, GPS and capture time in EXIF), then reports
ms per photo for
  - bare: SHA-256 + EXIF + draft decode + web image + thumbnail (app.services.photos.imaging, in process),
  - full decode: the same without JPEG draft mode (what draft mode saves),
  - server: PUT /api/v1/photos/{sha}, GET the web image and the thumbnail, and one POST /api/v1/sync
    of a report per photo, through a real HTTP server on 127.0.0.1 (one worker, a temp SQLite DB),
and the ratio bare/server (budget: at least 0.70), by wall time and, as a cross-check on a shared
machine, by CPU time (this process against the server's). Not a test: numbers depend on the machine.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import requests
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SEAT = (29.975, 119.95)  # the demo county's seat (app/seed.py)
BUDGET = 0.70


def make_photo(seed: int) -> bytes:
    """A 4032x3024 JPEG that compresses like a phone photo: a smooth scene plus sensor noise."""
    rng = np.random.default_rng(seed)
    width, height = 4032, 3024
    coarse = rng.integers(0, 256, (height // 96, width // 96, 3), dtype=np.uint8)
    scene = np.asarray(Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC), dtype=np.int16)
    noise = rng.normal(0, 5.5 + seed % 3 * 0.5, (height, width, 1)).astype(np.int16)
    image = Image.fromarray(np.clip(scene + noise, 0, 255).astype(np.uint8))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Bench", "Phone 12MP", 1
    gps = exif.get_ifd(0x8825)
    lat, lon = SEAT[0] + rng.uniform(-0.01, 0.01), SEAT[1] + rng.uniform(-0.01, 0.01)
    gps[1], gps[2], gps[3], gps[4] = "N", _dms(lat), "E", _dms(lon)
    exif.get_ifd(0x8769)[0x9003] = datetime.now().strftime("%Y:%m:%d %H:%M:%S")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return degrees, minutes, round((value - degrees - minutes / 60) * 3600, 4)


def bare_work(data: bytes, *, draft: bool = True) -> tuple[float, float]:
    """(wall, CPU) seconds for hash + EXIF + decode + both derivatives of one photo, in this process."""
    from app.services.photos import imaging

    started, cpu_started = time.perf_counter(), time.process_time()
    hashlib.sha256(data).hexdigest()
    imaging.process(data, draft=draft)
    return time.perf_counter() - started, time.process_time() - cpu_started


def server_cpu_s(server: subprocess.Popen) -> float:
    """CPU seconds used so far by the server and its workers (Linux /proc); load elsewhere does not count."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    total = 0
    for pid in [server.pid, *map(int, children)]:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def prepare_database(workdir: Path) -> tuple[dict, str]:
    """A migrated SQLite DB with the demo county's reference data and an inspector's device token."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
           "MEDIA_ROOT": str(workdir / "media"), "SECRET_KEY": "bench-" + uuid.uuid4().hex}
    os.environ.update(env)  # Config reads them at import
    from flask_migrate import upgrade

    from app import create_app, seed
    from app.extensions import db
    from app.services.accounts import users

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed.seed_reference()
        user = users.create_user("bench", "Bench-pass-123", "inspector", None)
        token = users.issue_device_token(user, "bench")
        db.session.commit()
    return env, token


# The web workers' malloc settings from docs/operations.md: keep image buffers mapped between requests.
SERVER_MALLOC = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "134217728"}


def start_server(kind: str, env: dict, workdir: Path) -> tuple[subprocess.Popen, str]:
    env = {**env, **SERVER_MALLOC}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    python = sys.executable
    if kind == "gunicorn":
        command = [python, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "1",
                   "--timeout", "120", "wsgi:app"]
    else:
        command = [python, "-m", "flask", "--app", "wsgi", "run", "--port", str(port), "--no-reload",
                   "--no-debugger", "--without-threads"]
    log = open(workdir / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(base + "/api/v1/categories", timeout=10)
            return server, base
        except requests.RequestException:
            time.sleep(0.1)
    server.kill()
    raise SystemExit(f"the server did not start; see {workdir / 'server.log'}")


def served_work(session: requests.Session, base: str, data: bytes) -> float:
    """Seconds for the PUT of one new photo and the GETs of its web image and thumbnail (once made)."""
    sha = hashlib.sha256(data).hexdigest()
    started = time.perf_counter()
    put = session.put(f"{base}/api/v1/photos/{sha}", data=data, headers={"Content-Type": "image/jpeg"})
    assert put.status_code == 201, put.text
    body = put.json()
    deadline = time.monotonic() + 60
    while body.get("derivatives", "ready") != "ready":  # made by a task after the answer (issue 20): wait for them
        assert body["derivatives"] == "pending" and time.monotonic() < deadline, body
        time.sleep(0.02)
        body = session.get(f"{base}/api/v1/photos/{sha}").json()
    for url in (body["web_url"], body["thumbnail_url"]):
        got = session.get(base + url)
        assert got.status_code == 200 and got.headers["Content-Type"] == "image/jpeg"
    return time.perf_counter() - started


def repeat_put(session: requests.Session, base: str, data: bytes) -> float:
    sha = hashlib.sha256(data).hexdigest()
    started = time.perf_counter()
    put = session.put(f"{base}/api/v1/photos/{sha}", data=data, headers={"Content-Type": "image/jpeg"})
    assert put.status_code == 200, put.text
    return time.perf_counter() - started


def _sync(session: requests.Session, base: str, hashes: list[str]) -> bool:
    """One report per photo, as the phone sends them; False if this server has no sync endpoint."""
    now = datetime.now(UTC)
    # A grid about 100 m apart: no repeats, and 500 reports still inside the county (docs/design.md §8's sync of 500).
    reports = [{"client_id": str(uuid.uuid4()), "category_code": "09009", "lat": SEAT[0] + i // 25 * 0.001,
                "lon": SEAT[1] + i % 25 * 0.001, "accuracy_m": 8, "location_source": "device",
                "captured_at": (now - timedelta(minutes=5)).isoformat(), "description": "bench",
                "photos": [sha]} for i, sha in enumerate(hashes)]
    synced = False
    for start in range(0, len(reports), 50):
        resp = session.post(f"{base}/api/v1/sync", json={"cursor": 0, "reports": reports[start:start + 50]})
        if resp.status_code == 404:
            return False
        assert resp.status_code == 200, resp.text
        assert all(r["status"] in ("created", "linked") for r in resp.json()["results"]), resp.text
        synced = True
    return synced


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=30)
    parser.add_argument("--server", choices=["gunicorn", "werkzeug"], default="gunicorn")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="xuncha-bench-") as tmp:
        workdir = Path(tmp)
        print(f"generating {args.photos} photos (12 MP JPEG with GPS EXIF)...", flush=True)
        photos = [make_photo(seed) for seed in range(args.photos)]
        sizes = [len(p) / 1e6 for p in photos]
        print(f"  sizes {min(sizes):.1f}-{max(sizes):.1f} MB, mean {statistics.mean(sizes):.1f} MB")

        env, token = prepare_database(workdir)
        from app import create_app

        server, base = start_server(args.server, env, workdir)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        try:
            with create_app().app_context():
                warm_up = make_photo(seed=10_000)  # first calls import and cache: not the steady rate
                bare_work(warm_up)
                served_work(session, base, warm_up)
                _sync(session, base, [hashlib.sha256(warm_up).hexdigest()])
                # Interleaved photo by photo, so that load from elsewhere on the machine hits both alike.
                bare = bare_cpu = served = 0.0
                server_cpu_started = server_cpu_s(server)
                for data in photos:
                    wall, cpu = bare_work(data)
                    bare, bare_cpu = bare + wall, bare_cpu + cpu
                    served += served_work(session, base, data)
                started = time.perf_counter()
                synced = _sync(session, base, [hashlib.sha256(data).hexdigest() for data in photos])
                served += time.perf_counter() - started
                served_cpu = server_cpu_s(server) - server_cpu_started
                full = sum(bare_work(data, draft=False)[0] for data in photos)
                repeat = sum(repeat_put(session, base, data) for data in photos)
        finally:
            server.terminate()
            server.wait(timeout=30)

    bare, bare_cpu, served, served_cpu, full, repeat = (
        seconds * 1000 / len(photos) for seconds in (bare, bare_cpu, served, served_cpu, full, repeat))
    sync_note = "PUT + sync + 2 GETs" if synced else "PUT + 2 GETs; no /api/v1/sync on this server"
    print(f"bare pipeline (hash + EXIF + draft decode + 2 derivatives): {bare:7.1f} ms/photo")
    print(f"same without draft mode (full decode):                     {full:7.1f} ms/photo "
          f"(draft is {full / bare:.1f}x faster)")
    print(f"server end to end via {args.server} ({sync_note}):  {served:7.1f} ms/photo")
    print(f"repeat PUT of a known photo (200, no processing):           {repeat:7.1f} ms/photo")
    print(f"CPU only (immune to load from elsewhere): bare {bare_cpu:.1f}, server {served_cpu:.1f} ms/photo, "
          f"ratio {bare_cpu / served_cpu:.2f}")
    ratio = bare / served
    print(f"ratio bare/server: {ratio:.2f} (budget >= {BUDGET:.2f}: {'met' if ratio >= BUDGET else 'MISSED'})")
    print(json.dumps({"bench": "photo_pipeline", "metrics": [  # for bench/run_all.py
        {"name": f"ingest rate, {len(photos)} photos via {args.server} ({sync_note})", "unit": "photos/s",
         "value": round(1000 / served, 3), "baseline": round(1000 / bare, 3), "baseline_name": "bare pipeline",
         "budget": BUDGET, "better": "higher"},
        {"name": "ingest CPU rate, server vs bare (cross-check)", "unit": "photos/CPU-s",
         "value": round(1000 / served_cpu, 3), "baseline": round(1000 / bare_cpu, 3), "baseline_name": "bare CPU"},
        {"name": "bare pipeline with draft mode", "unit": "ms/photo", "value": round(bare, 1),
         "baseline": round(full, 1), "baseline_name": "full decode"},
        {"name": "repeat PUT of a known photo", "unit": "ms/photo", "value": round(repeat, 1)},
    ]}))


if __name__ == "__main__":
    main()
