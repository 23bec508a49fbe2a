"""PUT /api/v1/photos/{sha256}: stored once, known bytes answered fast, every refusal a clean JSON error."""
from __future__ import annotations

import hashlib
import io
import struct
import threading
import zlib
from pathlib import PurePosixPath

import pytest
import sqlalchemy as sa
from PIL import Image

from app.extensions import db
from app.models import Photo
from app.services.photos import imaging
from tests.photos.conftest import stored_keys


def _files(media):
    return [PurePosixPath(key) for key in stored_keys(media)]


def _photo_count() -> int:
    db.session.rollback()  # see what other connections committed
    return db.session.scalar(sa.select(sa.func.count()).select_from(Photo))


@pytest.fixture
def inspector_client(api, create_user):
    return api(create_user("inspector"))


def test_new_photo_is_created_then_known(inspector_client, upload, make_jpeg, media):
    data = make_jpeg(gps=(29.975, 119.95), taken_at="2026:03:04 09:10:11", model="Phone")
    sha = hashlib.sha256(data).hexdigest()
    first = upload(inspector_client, data)
    assert first.status_code == 201
    assert first.json["sha256"] == sha and first.json["bytes"] == len(data)
    assert first.json["exif"]["taken_at"] == "2026-03-04T09:10:11"
    assert first.json["status"] == "ready"
    second = upload(inspector_client, data)
    assert second.status_code == 200
    assert second.json == first.json
    assert _photo_count() == 1
    sha_files = [p for p in _files(media) if sha in p.name]
    assert len(sha_files) == 3  # original, web, thumb
    assert media.read("original", sha) == data
    photo = db.session.get(Photo, sha)
    assert photo.exif_taken_at.isoformat() == "2026-03-04T01:10:11+00:00"  # local (Asia/Shanghai) → UTC


def test_known_photo_is_not_processed_again(inspector_client, upload, make_jpeg, monkeypatch):
    data = make_jpeg()
    assert upload(inspector_client, data).status_code == 201

    def must_not_run(*args, **kwargs):
        raise AssertionError("a known photo was processed again")

    monkeypatch.setattr(imaging, "process", must_not_run)
    assert upload(inspector_client, data).status_code == 200


@pytest.mark.parametrize("fmt, mime", [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_png_and_webp_are_accepted(inspector_client, upload, fmt, mime):
    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))  # fully transparent: flattened onto white
    image.paste((200, 30, 30, 255), (0, 0, 150, 200))
    out = io.BytesIO()
    image.save(out, fmt)
    resp = upload(inspector_client, out.getvalue(), content_type="application/octet-stream")
    assert resp.status_code == 201, resp.text
    assert (resp.json["mime"], resp.json["width"], resp.json["height"]) == (mime, 300, 200)
    web = Image.open(io.BytesIO(inspector_client.get(resp.json["web_url"], buffered=True).data))
    assert (web.format, web.mode) == ("JPEG", "RGB")
    assert all(abs(a - b) < 12 for a, b in zip(web.getpixel((250, 100)), (255, 255, 255), strict=True))
    assert all(abs(a - b) < 12 for a, b in zip(web.getpixel((50, 100)), (200, 30, 30), strict=True))


def _refused(resp, status: int, code: str):
    assert resp.status_code == status, resp.text
    assert resp.is_json and resp.json["error"]["code"] == code
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 0


def test_hash_mismatch(inspector_client, upload, make_jpeg, media):
    data = make_jpeg()
    resp = upload(inspector_client, data, declared="0" * 64)
    _refused(resp, 422, "hash_mismatch")
    assert resp.json["error"]["received_sha256"] == hashlib.sha256(data).hexdigest()
    assert _files(media) == []


def test_empty_body(inspector_client, upload):
    _refused(upload(inspector_client, b""), 400, "empty_body")


@pytest.mark.parametrize("content_type", ["text/plain", "image/jpeg"])
def test_text_body(inspector_client, upload, content_type):
    _refused(upload(inspector_client, b"hello, this is not a photo\n" * 10, content_type=content_type),
             415, "unsupported_type")


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_refused(inspector_client, upload, fmt):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, fmt)
    _refused(upload(inspector_client, out.getvalue(), content_type="image/jpeg"), 415, "unsupported_type")


def test_truncated_jpeg(inspector_client, upload, make_jpeg, media):
    """Its header passes, its pixels do not: stored and answered (issue 20), its derivatives fail for good."""
    data = make_jpeg(size=(800, 600))
    resp = upload(inspector_client, data[: len(data) // 2])
    assert resp.status_code == 201
    assert (resp.json["derivatives"], resp.json["thumbnail_url"], resp.json["web_url"]) == ("failed", None, None)
    thumb = inspector_client.get(f"/api/v1/photos/{resp.json['sha256']}/thumb")
    assert thumb.status_code == 409 and thumb.json["error"]["code"] == "derivatives_failed"
    assert [p.parts[0] for p in _files(media)] == ["originals"]  # no derivative


def test_garbage_after_a_jpeg_header(inspector_client, upload):
    _refused(upload(inspector_client, b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00" + b"\x00" * 64), 422, "corrupt_image")


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a size in its header and has no real pixel data."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


@pytest.mark.timeout(30)
def test_png_decompression_bomb(inspector_client, upload):
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")  # ~100 MP of black in a small file
    assert len(out.getvalue()) < 100_000
    _refused(upload(inspector_client, out.getvalue(), content_type="image/png"), 422, "too_many_pixels")


@pytest.mark.parametrize("size", [(9_000, 9_000), (20_000, 20_000)])  # Pillow warns / errors itself
def test_png_header_claiming_a_huge_size(inspector_client, upload, size):
    _refused(upload(inspector_client, _png_header_only(*size), content_type="image/png"), 422, "too_many_pixels")


def test_pixel_limit_is_configuration(app, inspector_client, upload, make_jpeg, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_PHOTO_PIXELS", 1_000_000)
    _refused(upload(inspector_client, make_jpeg(size=(1200, 1000))), 422, "too_many_pixels")
    assert upload(inspector_client, make_jpeg(size=(1000, 1000))).status_code == 201


class CountingStream(io.RawIOBase):
    """A body of `size` bytes that counts how much the server read of it."""

    def __init__(self, size: int):
        self.size, self.position, self.read_bytes = size, 0, 0

    def readable(self):
        return True

    def seekable(self):  # the test client measures the body by seeking to its end
        return True

    def seek(self, offset, whence=io.SEEK_SET):
        self.position = self.size + offset if whence == io.SEEK_END else offset
        return self.position

    def tell(self):
        return self.position

    def readinto(self, buffer):
        n = min(len(buffer), self.size - self.position)
        buffer[:n] = b"\xff" * n
        self.position += n
        self.read_bytes += n
        return n


def test_oversize_body_with_content_length_is_refused_unread(app, inspector_client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_PHOTO_BYTES", 100_000)
    body = CountingStream(50_000_000)
    resp = inspector_client.put("/api/v1/photos/" + "a" * 64, input_stream=body, content_type="image/jpeg")
    assert resp.status_code == 413 and resp.json["error"]["code"] == "too_large"
    assert body.read_bytes == 0


def test_oversize_chunked_body_is_refused_without_reading_it_all(app, inspector_client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_PHOTO_BYTES", 100_000)
    body = CountingStream(50_000_000)
    resp = inspector_client.put("/api/v1/photos/" + "a" * 64, input_stream=body, content_type="image/jpeg",
                                headers={"Transfer-Encoding": "chunked"},
                                environ_overrides={"wsgi.input_terminated": True})
    assert resp.status_code == 413 and resp.json["error"]["code"] == "too_large"
    assert body.read_bytes < 1_000_000


def test_body_at_the_limit_is_accepted(app, inspector_client, upload, make_jpeg, monkeypatch):
    data = make_jpeg()
    monkeypatch.setitem(app.config, "MAX_PHOTO_BYTES", len(data))
    assert upload(inspector_client, data).status_code == 201


def test_upload_needs_a_login(client, make_jpeg, upload):
    resp = upload(client, make_jpeg())
    assert resp.status_code == 401 and resp.json["error"]["code"] == "unauthorized"


@pytest.mark.timeout(120)
def test_twenty_concurrent_identical_uploads_store_one_file_and_one_row(app, api, create_user, make_jpeg,
                                                                          media):
    token_client = api(create_user("inspector"))
    data = make_jpeg(size=(640, 480), gps=(29.975, 119.95))
    sha = hashlib.sha256(data).hexdigest()
    db.session.commit()  # the test's own session must hold no lock while the threads write
    start = threading.Barrier(20)
    statuses, errors = [], []

    def put():
        client = app.test_client()  # its own client; each request pushes its own app context and session
        try:
            start.wait()
            resp = client.put(f"/api/v1/photos/{sha}", data=data, content_type="image/jpeg",
                              headers={"Authorization": f"Bearer {token_client.token}"})
            statuses.append(resp.status_code)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(statuses) == [200] * 19 + [201]
    assert _photo_count() == 1
    assert [p for p in _files(media) if p.parts[0] == "originals"] == [
        PurePosixPath("originals", sha[:2], sha[2:4], sha)]
    assert not [p for p in _files(media) if p.name.endswith(".tmp")]


def test_a_new_photo_is_stored_in_one_insert_per_row_and_no_read_back(inspector_client, upload, make_jpeg):
    """The upload's answer waits on each round trip (issue 20): the photo row is inserted and read
    back by one INSERT … RETURNING."""
    sent = []

    def seen(_conn, _cursor, statement, *_args):
        sent.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        data = make_jpeg(gps=(29.975, 119.95), taken_at="2026:03:04 09:10:11", model="Phone")
        resp = upload(inspector_client, data)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert resp.status_code == 201
    assert db.session.get(Photo, resp.json["sha256"]).exif_lat == pytest.approx(29.975, abs=1e-4)
    inserts = [i for i, s in enumerate(sent) if s.startswith("INSERT INTO photo ")]
    uploader = [i for i, s in enumerate(sent) if s.startswith("INSERT INTO photo_upload")]
    assert len(inserts) == 1 and "RETURNING" in sent[inserts[0]] and len(uploader) == 1
    # Nothing between the row and its uploader: the row is not read back. (The backlog check
    # before, and the task that TestConfig runs at the commit after, read it on their own.)
    assert uploader[0] == inserts[0] + 1
