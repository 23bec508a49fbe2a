"""Capture times outside the plausible years are absent, not a 500 (issue 12); and a failed upload
leaves no file behind, whatever fails after its files are written."""
from __future__ import annotations

import os
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import current_app
from pillow_heif import register_heif_opener
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.models import Photo
from app.services.photos import store
from app.services.photos.cleanup import scan_media
from app.services.photos.exif import read_exif, taken_at_utc
from app.storage import media_store
from tests.photos.conftest import sha, stored_keys

register_heif_opener()

OUT_OF_RANGE = [
    ("0001:01:01 00:00:00", None),
    ("0001:01:01 00:00:00", "+14:00"),
    ("0001:01:01 00:00:00", "-12:00"),
    ("9999:12:31 23:59:59", None),
    ("9999:12:31 23:59:59", "-12:00"),
    ("9999:12:31 23:59:59", "+14:00"),
    ("1969:12:31 23:59:59", "+00:00"),
    ("2201:01:01 00:00:00", None),
]


@pytest.fixture
def inspector_client(api, create_user):
    return api(create_user("inspector"))


def _nothing_left_over():
    """No file without a row, no row without its file (the cleanup scan of app/services/photos/cleanup.py)."""
    db.session.rollback()
    scan = scan_media()
    assert scan.orphans == [] and scan.missing_originals == [] and scan.missing_derivatives == []


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "HEIF"])
@pytest.mark.parametrize("taken, offset", OUT_OF_RANGE)
def test_an_out_of_range_capture_time_is_absent_and_the_upload_succeeds(inspector_client, upload, make_jpeg, fmt,
                                                                       taken, offset):
    data = make_jpeg(taken_at=taken, offset=offset, fmt=fmt)
    first = upload(inspector_client, data, content_type="application/octet-stream")
    assert first.status_code == 201, first.text
    assert "taken_at" not in first.json["exif"]
    assert db.session.get(Photo, sha(data)).exif_taken_at is None
    assert upload(inspector_client, data, content_type="application/octet-stream").status_code == 200
    _nothing_left_over()


@pytest.mark.parametrize("offset, utc", [
    ("+14:00", datetime(2026, 3, 3, 19, 10, 11, tzinfo=UTC)),
    ("-12:00", datetime(2026, 3, 4, 21, 10, 11, tzinfo=UTC)),
    ("+99:00", datetime(2026, 3, 4, 1, 10, 11, tzinfo=UTC)),  # no such offset: taken as local time (UTC+8)
    ("+05:75", datetime(2026, 3, 4, 1, 10, 11, tzinfo=UTC)),
])
def test_the_extreme_offsets_still_apply_and_broken_ones_are_dropped(inspector_client, upload, make_jpeg, offset,
                                                                    utc):
    data = make_jpeg(taken_at="2026:03:04 09:10:11", offset=offset)
    assert upload(inspector_client, data).status_code == 201
    assert db.session.get(Photo, sha(data)).exif_taken_at == utc


def test_the_first_and_last_plausible_years_are_kept(make_jpeg):
    shanghai = ZoneInfo("Asia/Shanghai")
    early = read_exif(make_jpeg(taken_at="1970:01:01 00:00:00", offset="+14:00"))
    assert taken_at_utc(early, shanghai) == datetime(1969, 12, 31, 10, 0, tzinfo=UTC)
    late = read_exif(make_jpeg(taken_at="2200:12:31 23:59:59", offset="-12:00"))
    assert taken_at_utc(late, shanghai) == datetime(2201, 1, 1, 11, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize("stored", ["0001-01-01T00:00:00", "9999-12-31T23:59:59-12:00", "not a time", 12])
def test_stored_metadata_with_an_impossible_time_reads_as_none(stored):
    assert taken_at_utc({"taken_at": stored}, ZoneInfo("Asia/Shanghai")) is None


def test_a_failure_while_writing_the_original_leaves_nothing(inspector_client, upload, make_jpeg, monkeypatch, media):
    """The disk fills up while the original is written: nothing stays, no row, no file."""
    real_write = type(media).write

    def disk_full(self, variant, sha256, data, **kw):
        real_write(self, variant, sha256, data[:100], durable=False)  # a part of it reached the disk
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(media), "write", disk_full)
    with pytest.raises(OSError):  # a 500 (the test client passes the crash on; its handler rolls back)
        upload(inspector_client, make_jpeg(seed=3))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 0
    _nothing_left_over()
    monkeypatch.undo()
    assert upload(inspector_client, make_jpeg(seed=3)).status_code == 201  # and the next try works
    _nothing_left_over()


def test_a_failure_while_writing_the_thumbnail_keeps_the_upload(inspector_client, upload, make_jpeg, monkeypatch,
                                                                media):
    """The derivatives come after the answer (issue 20): a full disk then fails the task, not the upload."""
    real_write = type(media).write

    def disk_full_at_the_thumbnail(self, variant, sha256, data, **kw):
        if variant == "thumb":
            raise OSError(28, "No space left on device")
        return real_write(self, variant, sha256, data, **kw)

    monkeypatch.setattr(type(media), "write", disk_full_at_the_thumbnail)
    answer = upload(inspector_client, make_jpeg(seed=3))
    assert answer.status_code == 201
    body = answer.get_json()
    assert (body["derivatives"], body["thumbnail_url"], body["web_url"]) == ("failed", None, None)
    photo = db.session.get(Photo, body["sha256"])
    assert photo.derivative_attempts == 1 + current_app.config["PHOTO_TASK_RETRIES"]
    assert "No space left on device" in photo.derivative_error
    assert media_store().exists("original", photo.sha256)


def test_a_failed_commit_removes_the_files_of_the_new_photo(inspector_client, upload, make_jpeg, monkeypatch,
                                                            media):
    real_store, real_commit = store.store_photo, db.session.commit
    stored = []

    def store_then_arm(*args, **kwargs):
        result = real_store(*args, **kwargs)
        stored.append(result)
        return result

    def commit():
        if stored:
            stored.clear()
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))
        real_commit()

    monkeypatch.setattr(store, "store_photo", store_then_arm)
    monkeypatch.setattr(db.session, "commit", commit)
    with pytest.raises(OperationalError):
        upload(inspector_client, make_jpeg(seed=4))
    monkeypatch.undo()
    assert stored_keys(media) == []
    _nothing_left_over()


def test_discarding_never_removes_files_a_committed_row_names(inspector_client, upload, make_jpeg, media):
    data = make_jpeg(seed=5)
    assert upload(inspector_client, data).status_code == 201
    store.discard_upload(sha(data))
    assert len([key for key in stored_keys(media) if sha(data) in key]) == 3
    _nothing_left_over()


def test_the_upload_answer_comes_after_the_file_is_durable(inspector_client, upload, make_jpeg, monkeypatch, media):
    """The order of docs/design.md §5 still holds: the original is durable (fsynced; on S3: its PUT
    answered) before the row commits."""
    events = []
    real_fsync, real_commit, real_write = os.fsync, db.session.commit, type(media).write
    durable = "fsync" if media.name == "filesystem" else "put"

    def write(store, variant, sha256, data, **kw):
        real_write(store, variant, sha256, data, **kw)
        if variant == "original" and durable == "put":
            events.append("put")

    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(type(media), "write", write)
    monkeypatch.setattr(db.session, "commit", lambda: (events.append("commit"), real_commit())[1])
    assert upload(inspector_client, make_jpeg(seed=6)).status_code == 201
    assert durable in events and events.index(durable) < len(events) - 1 - events[::-1].index("commit")
