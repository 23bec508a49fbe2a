"""Photo test helpers: a fresh MEDIA_ROOT per test, generated JPEGs with EXIF, and an upload call."""
from __future__ import annotations

import hashlib
import io
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
               taken_at: datetime | str | None = None, orientation: int | None = None,
               model: str | None = None, quality: int = 90) -> bytes:
    """A noisy JPEG (distinct per seed), with the EXIF asked for."""
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
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()


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
