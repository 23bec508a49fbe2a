"""Photo test helpers: a fresh MEDIA_ROOT per test, generated JPEGs with EXIF, bombs, and an upload call."""
from __future__ import annotations

import hashlib
import io
import struct
import zlib
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


@pytest.fixture(autouse=True)
def media_root(app, tmp_path) -> Path:
    """Every photo test starts with an empty media folder."""
    previous = app.config["MEDIA_ROOT"]
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    yield Path(app.config["MEDIA_ROOT"])
    app.config["MEDIA_ROOT"] = previous


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
