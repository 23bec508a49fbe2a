"""Media backends benchmark (issue 21): ingest with 8 clients on PostgreSQL, filesystem vs S3, in one run.

    python bench/media_backends.py                  # BENCH_PG_URL's database, 30 s per backend
    BENCH_QUICK=1 python bench/media_backends.py    # 10 s per backend

The ingest bench's server, phones and thumbnail watcher (bench/ingest.py, imported): gunicorn 2
workers x 4 threads as `make run` serves, 12 MP photos made distinct per report, throughput counted
once a report is answered and its thumbnail served (through the backend: with S3 the thumbnail
GET is a 302 to a presigned URL that the client follows, as a phone does). The S3 backend is
moto's standalone server in its own process on this machine (a local MinIO or bucket would be
faster at nothing but its own code). Budget: S3 at least 0.8 x the filesystem's throughput.
Not a test: numbers depend on the machine; the ratio is against the same run's filesystem. Prints
a JSON line for bench/run_all.py.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.ingest import (  # noqa: E402
    PG_URL,
    Client,
    Photos,
    Server,
    ThumbWatcher,
    engine_url,
    make_run_starts_a_worker,
    one_at_a_time,
    prepare,
    under_load,
)

BUDGET = 0.8  # S3 throughput / filesystem throughput (at least)
BUCKET = "xuncha-bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MotoServer:
    """moto's S3 server as its own process (not in this one: the phones' threads need this GIL)."""

    def __init__(self, log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path

    def __enter__(self) -> MotoServer:
        log = open(self.log_path, "ab")  # noqa: SIM115 - lives as long as the server
        self.process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                        stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(self.url, timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        from app.storage_s3 import client_for

        client_for(self.url, "us-east-1", "path").create_bucket(Bucket=BUCKET)
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def run_backend(backend: str, args, photos: Photos, task_worker: bool, moto: MotoServer | None) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"xc-media-{backend}-") as tmp:
        workdir = Path(tmp)
        url = engine_url(PG_URL)
        tokens = prepare(url, workdir, args.clients + 1)
        server = Server(url, workdir, task_worker=task_worker)
        if moto is not None:  # the same dict the server and worker start with
            server.env.update(MEDIA_BACKEND="s3", S3_ENDPOINT_URL=moto.url, S3_BUCKET=BUCKET, S3_REGION="us-east-1",
                              S3_ADDRESSING_STYLE="path", S3_PREFIX=f"run-{int(time.time())}")
        with server:
            poll_s = args.poll_ms / 1000
            watcher = ThumbWatcher(url, poll_s)
            one_at_a_time(server, Client(server.base, tokens[0]), photos, 2, watcher)  # warm-up
            watcher.close()
            server.settle()
            result = under_load(server, url, tokens, photos, args.clients, args.duration, poll_s)
    print(f"{backend}: {args.clients} clients, {args.duration:.0f} s: {result['reports']} reports, with thumbnails "
          f"served {result['done_per_s']:.2f}/s (answered {result['answered_per_s']:.2f}/s); answer p50 "
          f"{result['answer_p50'] * 1000:.0f} ms; thumbnail p95 {result['thumb_p95'] * 1000:.0f} ms; server CPU "
          f"per report {result['cpu_per_report'] * 1000:.0f} ms; errors {len(result['errors'])}"
          f"{'' if result['drained'] else '; NOT DRAINED'}", flush=True)
    for error in result["errors"][:5]:
        print(f"   {error}", file=sys.stderr)
    return result


def main() -> int:
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=3 if quick else 6, help="distinct 12 MP photos generated")
    parser.add_argument("--duration", type=float, default=10 if quick else 30, help="seconds of load per backend")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--poll-ms", type=float, default=25.0)
    args = parser.parse_args()
    task_worker = make_run_starts_a_worker()
    # boto3's chain in the server's environment; moto accepts any keys.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    print(f"generating {args.photos} photos (12 MP JPEG with GPS EXIF)...", flush=True)
    photos = Photos(args.photos)
    with tempfile.TemporaryDirectory(prefix="xc-moto-") as tmp, MotoServer(Path(tmp) / "moto.log") as moto:
        fs = run_backend("filesystem", args, photos, task_worker, None)
        s3 = run_backend("s3", args, photos, task_worker, moto)
    ratio = s3["done_per_s"] / fs["done_per_s"] if fs["done_per_s"] else float("nan")
    print(f"S3 / filesystem throughput: {ratio:.2f} x (budget >= {BUDGET})", flush=True)
    metrics = [
        {"name": "PostgreSQL: 8 clients, S3 backend (moto server), reports answered and thumbnails served",
         "unit": "reports/s", "value": round(s3["done_per_s"], 2), "baseline": round(fs["done_per_s"], 2),
         "baseline_name": "filesystem backend, same run", "budget": BUDGET, "better": "higher"},
        {"name": "PostgreSQL: 8 clients, S3 backend, errors", "unit": "requests", "value": len(s3["errors"]),
         "budget": 0, "better": "lower"},
    ]
    print(json.dumps({"bench": "media_backends", "config": vars(args), "metrics": metrics}))
    return 0 if (not s3["errors"] and not fs["errors"] and s3["drained"] and fs["drained"]) else 1


if __name__ == "__main__":
    sys.exit(main())
