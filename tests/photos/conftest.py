"""Photo test helpers: a fresh MEDIA_ROOT per test, generated JPEGs with EXIF, bombs, and an upload call."""
from __future__ import annotations

import hashlib
import io
import os
import socket
import struct
import uuid
import zlib
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
import requests
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.test import TestResponse

S3_SETTINGS = ("MEDIA_BACKEND", "S3_ENDPOINT_URL", "S3_BUCKET", "S3_REGION", "S3_PREFIX", "S3_ADDRESSING_STYLE")


@pytest.fixture(scope="session")
def s3_server():
    """moto's standalone S3 server on a free local port, with the test bucket: {setting: value}.

    Started once per run, and only by a test that needs it (every photo test with MEDIA_BACKEND=s3)."""
    from moto.server import ThreadedMotoServer

    saved = {name: os.environ.get(name) for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")  # boto3's chain reads these
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    settings = {"MEDIA_BACKEND": "s3", "S3_ENDPOINT_URL": f"http://127.0.0.1:{port}", "S3_BUCKET": "xuncha-test",
                "S3_REGION": "us-east-1", "S3_ADDRESSING_STYLE": "path"}
    from app.storage_s3 import PHOTO_READ_CORS, client_for

    client = client_for(settings["S3_ENDPOINT_URL"], "us-east-1", "path")
    client.create_bucket(Bucket="xuncha-test")
    # The rule `flask --app wsgi media cors` gives a real bucket: the PWA fetch()es thumbnails through
    # the redirect (tests/browser/test_pwa_photos_s3.py shows Chromium accepting it).
    client.put_bucket_cors(Bucket="xuncha-test", CORSConfiguration={"CORSRules": [PHOTO_READ_CORS]})
    yield settings
    server.stop()
    for name, value in saved.items():
        os.environ.pop(name, None) if value is None else os.environ.__setitem__(name, value)


@pytest.fixture
def use_s3(app, request, monkeypatch):
    """Switch this test's media to the S3 server, under a prefix of its own (an empty bucket).

    The test clients then follow a redirect to a presigned URL as a browser does, over HTTP to the
    server, so tests that read photo files read them from the bucket (`presigned_redirects` turns it off)."""
    settings = request.getfixturevalue("s3_server")
    saved = {name: app.config.get(name) for name in S3_SETTINGS}
    app.config.update(settings, S3_PREFIX=f"t-{uuid.uuid4().hex[:12]}")
    real_open = FlaskClient.open

    def open_following(client, *args, **kwargs):
        response = real_open(client, *args, **kwargs)
        location = response.headers.get("Location", "")
        if response.status_code == 302 and location.startswith(settings["S3_ENDPOINT_URL"]) and FOLLOW["on"]:
            fetched = requests.get(location, timeout=30)
            headers = [(k, v) for k, v in fetched.headers.items()
                       if k.lower() not in ("content-length", "transfer-encoding", "connection")]
            response = TestResponse([fetched.content], fetched.status_code, headers, response.request,
                                    history=(response,))
        return response

    monkeypatch.setattr(FlaskClient, "open", open_following)
    yield settings
    app.config.update(saved)


FOLLOW = {"on": True}


@pytest.fixture
def presigned_redirects():
    """The test clients answer the app's own 302 to the bucket, not the bucket's answer."""
    FOLLOW["on"] = False
    yield
    FOLLOW["on"] = True


@pytest.fixture(autouse=True)
def media_root(app, tmp_path, request) -> Path:
    """Every photo test starts with an empty media folder, and with MEDIA_BACKEND=s3 in the
    environment with an empty place in the local S3 server instead."""
    previous = app.config["MEDIA_ROOT"]
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    if os.environ.get("MEDIA_BACKEND") == "s3":
        request.getfixturevalue("use_s3")
    yield Path(app.config["MEDIA_ROOT"])
    app.config["MEDIA_ROOT"] = previous


@pytest.fixture
def media(app, media_root):
    """The test's media store, on the configured backend (app/storage.py)."""
    from app.storage import media_store

    with app.app_context():
        return media_store()


def stored_keys(store) -> list[str]:
    """Every stored key of every variant ("originals/ab/cd/<sha>", temp files included), sorted."""
    from app.storage import VARIANTS

    return sorted(obj.key for variant in VARIANTS for obj in store.objects(variant))


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return degrees, minutes, (value - degrees - minutes / 60) * 3600


def jpeg_bytes(size: tuple[int, int] = (400, 300), *, seed: int = 1, gps: tuple[float, float] | None = None,
               taken_at: datetime | str | None = None, offset: str | None = None, orientation: int | None = None,
               model: str | None = None, quality: int = 90, fmt: str = "JPEG") -> bytes:
    """A noisy JPEG (distinct per seed; or PNG, HEIF… by `fmt`), with the EXIF asked for.

    `taken_at` as text is written as it is (DateTimeOriginal, 0x9003), `offset` as OffsetTimeOriginal (0x9011)."""
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1] // 8, size[0] // 8, 3), dtype=np.uint8)
    image = Image.fromarray(pixels).resize(size, Image.Resampling.BILINEAR)  # blocky noise: a real phash
    exif = Image.Exif()
    if model:
        exif[0x0110] = model
    if orientation:
        exif[0x0112] = orientation
    if gps:
        ifd = exif.get_ifd(0x8825)
        ifd[1], ifd[2] = ("N" if gps[0] >= 0 else "S"), _dms(gps[0])
        ifd[3], ifd[4] = ("E" if gps[1] >= 0 else "W"), _dms(gps[1])
    if taken_at:
        ifd = exif.get_ifd(0x8769)
        if isinstance(taken_at, datetime):
            ifd[0x9003] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
            if taken_at.tzinfo:
                offset = taken_at.strftime("%z")
                ifd[0x9011] = f"{offset[:3]}:{offset[3:]}"
        else:
            ifd[0x9003] = taken_at
    if offset:
        exif.get_ifd(0x8769)[0x9011] = offset
    out = io.BytesIO()
    image.save(out, fmt, quality=quality, exif=exif.tobytes())
    return out.getvalue()


def png_bomb(width: int, height: int, mode: str = "RGBA") -> bytes:
    """A real, valid PNG of `width` x `height` blank pixels, compressed as far as zlib goes.

    Made row by row, so the test never holds the decoded size (8,900 x 8,900 RGBA: 317 MB of pixels
    in a file of about 318 KiB, the reproduction of the decompression bomb)."""
    channels, colour_type = {"RGBA": (4, 6), "RGB": (3, 2), "L": (1, 0)}[mode]
    row = b"\x00" + b"\x00" * (width * channels)  # filter byte "none", then the pixels
    packer = zlib.compressobj(9)
    rows = 256
    chunks = [packer.compress(row * rows) for _ in range(height // rows)]
    chunks += [packer.compress(row * (height % rows)), packer.flush()]
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", b"".join(chunks)) \
        + png_chunk(b"IEND", b"")


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def jpeg_header(width: int, height: int, *, sof: int = 0xC0, scan_components: int = 3) -> bytes:
    """Only the markers of a JPEG up to its first scan: enough for the header checks, nothing to decode.

    `sof` 0xC0 is baseline, 0xC2 progressive; a first scan with fewer components than the frame
    makes the file multi-scan."""
    frame = struct.pack(">BHHB", 8, height, width, 3) + bytes([1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1])
    scan = bytes([scan_components]) + b"".join(bytes([c, 0]) for c in range(1, scan_components + 1)) \
        + bytes([0, 63, 0])

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

    return b"\xff\xd8" + segment(0xDB, bytes(65)) + segment(sof, frame) + segment(0xDA, scan) + b"\xff\xd9"


@pytest.fixture
def make_jpeg():
    return jpeg_bytes


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def upload():
    """upload(client, data) → the response of PUT /api/v1/photos/{sha256 of data}."""

    def put(client, data: bytes, *, declared: str | None = None, content_type: str = "image/jpeg", **kw):
        return client.put(f"/api/v1/photos/{declared or sha(data)}", data=data, content_type=content_type, **kw)

    return put
