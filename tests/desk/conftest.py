"""Helpers for the desk, triage and re-inspection tests: real JPEGs, CSRF tokens from pages, a media folder."""
from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from PIL import Image


@pytest.fixture(autouse=True)
def media_root(app, tmp_path) -> Path:
    previous = app.config["MEDIA_ROOT"]
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    yield Path(app.config["MEDIA_ROOT"])
    app.config["MEDIA_ROOT"] = previous


def jpeg(color: tuple[int, int, int] = (200, 120, 40), size: tuple[int, int] = (64, 48)) -> bytes:
    """A small real JPEG; a different colour gives a different photo."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def csrf_from(html: str) -> str:
    """The CSRF token a page put in its forms (as a browser would send it back)."""
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def upload(client, data: bytes, csrf: str | None = None, headers: dict | None = None):
    """PUT a photo as the page's script does (cookie + X-CSRFToken) or with a bearer client."""
    headers = dict(headers or {})
    if csrf:
        headers["X-CSRFToken"] = csrf
    return client.put(f"/api/v1/photos/{sha(data)}", data=data, content_type="image/jpeg", headers=headers)
