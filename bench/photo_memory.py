"""Photo memory benchmark (docs/design.md §5, issue 12): the peak memory of a worker taking the worst photo it accepts.

    python bench/photo_memory.py [--only png,webp]

For each format, the largest file the default limits accept (app/config.py), made so that it
compresses as far as it goes (a decompression bomb just under the limit), is uploaded with
PUT /api/v1/photos/{sha} into the real app (a temp SQLite database and media folder) in a fresh
subprocess: the worker. It reports how far the process's peak resident memory (VmHWM, reset
through /proc/self/clear_refs after a warm-up upload) rose above the idle worker, against the goal:
at most twice the photo's decoded size (what its decode holds: the full image, or the reduced
image JPEG draft mode decodes) plus 50 MB. The PNG of the finding (8,900 x 8,900 RGBA) is sent too:
it must be refused from its header, costing next to nothing. Linux only (/proc).
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import re
import struct
import subprocess
import sys
import tempfile
import uuid
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MB = 1_000_000
SLACK = 50 * MB  # the goal: peak rise <= 2 x decoded size + SLACK


def _limits():
    from app.config import Config

    return Config.MAX_PHOTO_PIXELS, Config.MAX_PHOTO_PIXELS_WHOLE, Config.MAX_PHOTO_PIXELS_WEBP


def _square(pixels: int) -> tuple[int, int]:
    side = math.isqrt(pixels)
    return side, side


def _pillow(mode: str, size: tuple[int, int], fmt: str, **save) -> bytes:
    from PIL import Image
    from pillow_heif import register_heif_opener

    register_heif_opener()
    colour = {"RGB": (90, 140, 60), "RGBA": (90, 140, 60, 128), "CMYK": (40, 10, 80, 5)}[mode]
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, fmt, **save)
    return out.getvalue()


def _png(width: int, height: int) -> bytes:
    """A valid RGBA PNG of blank pixels, compressed row by row (never the whole image in memory)."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    packer, rows = zlib.compressobj(9), b"\x00" + bytes(width * 4)
    body = b"".join(packer.compress(rows * 256) for _ in range(height // 256))
    body += packer.compress(rows * (height % 256)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def cases() -> dict[str, tuple[str, callable, int]]:
    """name → (description, maker, expected status) for the worst accepted file of each format."""
    max_jpeg, max_whole, max_webp = _limits()
    jpeg = (10_000, max_jpeg // 10_000)
    whole, webp = _square(max_whole), _square(max_webp)
    return {
        "jpeg": (f"baseline JPEG {jpeg[0]}x{jpeg[1]} (draft mode)", lambda: _pillow("RGB", jpeg, "JPEG"), 201),
        "jpeg-progressive": (f"progressive JPEG 4:4:4 {whole[0]}x{whole[1]}",
                             lambda: _pillow("RGB", whole, "JPEG", progressive=True, subsampling=0), 201),
        "jpeg-progressive-cmyk": (f"progressive CMYK JPEG {whole[0]}x{whole[1]}",
                                  lambda: _pillow("CMYK", whole, "JPEG", progressive=True), 201),
        "png": (f"RGBA PNG {whole[0]}x{whole[1]}", lambda: _png(*whole), 201),
        "webp": (f"lossless RGBA WebP {webp[0]}x{webp[1]}", lambda: _pillow("RGBA", webp, "WEBP", lossless=True), 201),
        "heic": (f"RGBA HEIC {whole[0]}x{whole[1]}", lambda: _pillow("RGBA", whole, "HEIF", quality=30), 201),
        "png-bomb": ("the finding's RGBA PNG 8900x8900 (refused)", lambda: _png(8900, 8900), 422),
    }


def decoded_bytes(data: bytes) -> int:
    """What the photo's decode holds, by the app's own header reading (0 for a refused photo)."""
    from app.errors import DomainError
    from app.services.photos import imaging

    max_jpeg, max_whole, max_webp = _limits()
    try:
        return imaging.plan(data, imaging.Limits(max_jpeg, max_whole, max_webp)).decoded_bytes
    except DomainError:
        return 0


def _status_kib(field: str) -> int:
    return int(re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M).group(1))


def child(path: Path, expected: int, workdir: Path) -> None:
    """The worker: the app on a fresh database; one warm-up upload; then the photo, measured.

    Nothing of the app may be imported before this: its configuration reads the environment then."""
    os.environ.update({"DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}", "MEDIA_ROOT": str(workdir / "media"),
                       "SECRET_KEY": "bench-" + uuid.uuid4().hex})
    import gc

    from flask_migrate import upgrade

    from app import create_app, seed
    from app.extensions import db
    from app.services.accounts import users

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed.seed_reference()
        token = users.issue_device_token(users.create_user("bench", "Bench-pass-123", "inspector", None), "bench")
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"}

    def put(data: bytes) -> int:
        return client.put(f"/api/v1/photos/{hashlib.sha256(data).hexdigest()}", data=data, headers=headers).status_code

    from app.services.photos.imaging import sniff

    data = path.read_bytes()
    # The worker has served a photo of this format before: its codec is loaded and warm.
    formats = {"image/png": "PNG", "image/webp": "WEBP", "image/heic": "HEIF", "image/heif": "HEIF"}
    fmt = formats.get(sniff(data), "JPEG")
    assert put(_pillow("RGBA" if fmt != "JPEG" else "RGB", (64, 48), fmt)) == 201
    gc.collect()
    idle = _status_kib("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS, so the peak is this upload's
        reset = True
    except OSError:
        reset = False
    status = put(data)
    peak = _status_kib("VmHWM")
    print(json.dumps({"status": status, "expected": expected, "idle_kib": idle, "peak_kib": peak,
                      "reset": reset}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated case names (default: all)")
    parser.add_argument("--child", nargs=3, metavar=("FILE", "STATUS", "WORKDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-" + uuid.uuid4().hex)  # the app's config must not write one
    if args.child:
        child(Path(args.child[0]), int(args.child[1]), Path(args.child[2]))
        return
    wanted = [c for c in args.only.split(",") if c] or list(cases())
    metrics, failed = [], False
    print(f"{'case':24} {'file':>9} {'decoded':>9} {'idle':>8} {'peak rise':>10} {'goal':>8}  verdict")
    with tempfile.TemporaryDirectory(prefix="xuncha-photo-memory-") as tmp:
        for name in wanted:
            description, make, expected = cases()[name]
            data = make()
            path = Path(tmp) / f"{name}.bin"
            path.write_bytes(data)
            workdir = Path(tmp) / name
            workdir.mkdir()
            run = subprocess.run([sys.executable, __file__, "--child", str(path), str(expected), str(workdir)],
                                 cwd=ROOT, capture_output=True, text=True, timeout=600)
            lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
            if run.returncode != 0 or not lines:
                print(f"{name}: the worker failed\n{run.stderr[-3000:]}")
                failed = True
                continue
            result = json.loads(lines[-1])
            decoded = decoded_bytes(data)
            rise = (result["peak_kib"] - result["idle_kib"]) * 1024
            goal = 2 * decoded + SLACK
            ok = result["status"] == expected and rise <= goal and result["reset"]
            failed = failed or not ok
            print(f"{name:24} {len(data) / MB:8.2f}M {decoded / MB:8.0f}M {result['idle_kib'] / 1024:7.0f}M "
                  f"{rise / MB:9.0f}M {goal / MB:7.0f}M  {'met' if ok else 'MISSED'}"
                  f"{'' if result['status'] == expected else ' (answered ' + str(result['status']) + ')'}"
                  f"  {description}")
            metrics.append({"name": f"worker peak memory rise, {description}", "unit": "MB",
                            "value": round(rise / MB, 1), "budget": round(goal / MB, 1), "better": "lower"})
    print(json.dumps({"bench": "photo_memory", "metrics": metrics}))  # for bench/run_all.py
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
