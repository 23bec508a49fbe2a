"""Media files against rows: atomic writes, the orphan sweep, and the `photos` commands."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Photo
from app.services.photos.cleanup import sweep_orphan_media
from app.storage import FilesystemStore
from app.timeutil import now_utc
from tests.photos.conftest import stored_keys

ORPHAN = "ab" * 32


def _age(path, hours: float) -> None:
    old = (now_utc() - timedelta(hours=hours)).timestamp()
    os.utime(path, (old, old))


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


@pytest.fixture
def stored(api, create_user, upload, make_jpeg):
    """One photo uploaded through the API: a row and its three files."""
    data = make_jpeg()
    return upload(api(create_user("inspector")), data).json["sha256"], data


def test_write_is_atomic_and_leaves_no_temp_file(media_root):
    store = FilesystemStore(media_root)
    store.write("original", ORPHAN, b"first")
    store.write("original", ORPHAN, b"second")
    assert store.read("original", ORPHAN) == b"second"
    assert _files(media_root) == [f"originals/ab/ab/{ORPHAN}"]


def test_failed_write_keeps_the_old_file_and_no_temp_file(media_root, monkeypatch):
    store = FilesystemStore(media_root)
    store.write("web", ORPHAN, b"good")

    def disk_full(_fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        store.write("web", ORPHAN, b"new")
    assert store.read("web", ORPHAN) == b"good"
    assert _files(media_root) == [f"web/ab/ab/{ORPHAN}.jpg"]


def test_sweep_removes_old_orphans_and_temp_files_only_on_the_filesystem(app, media_root, monkeypatch, api,
                                                                          create_user, upload, make_jpeg):
    """Temp files and mtimes: the filesystem backend's own (an S3 PUT leaves no half object)."""
    monkeypatch.setitem(app.config, "MEDIA_BACKEND", "filesystem")
    sha = upload(api(create_user("inspector")), make_jpeg()).json["sha256"]
    store = FilesystemStore(media_root)
    store.write("original", ORPHAN, b"no row names me")
    store.write("thumb", "cd" * 32, b"an upload still committing")
    old_orphan = media_root / "originals" / "ab" / "ab" / ORPHAN
    young_orphan = media_root / "thumb" / "cd" / "cd" / f"{'cd' * 32}.jpg"
    old_temp = old_orphan.parent / f".{ORPHAN}.123abc.tmp"
    old_temp.write_bytes(b"half a photo")
    for path in (old_orphan, old_temp, *media_root.rglob(f"{sha}*")):
        _age(path, 48)

    report = sweep_orphan_media(now_utc(), grace=timedelta(hours=24), store=store)
    db.session.commit()
    assert sorted(o.key for o in report.removed) == sorted(
        p.relative_to(media_root).as_posix() for p in (old_orphan, old_temp))
    assert report.missing == []
    assert young_orphan.exists()
    assert len(list(media_root.rglob(f"{sha}*"))) == 3  # a stored photo's files are never touched


def test_sweep_removes_orphans_past_the_grace_on_any_backend(stored, media):
    sha, _data = stored
    media.write("original", ORPHAN, b"no row names me")
    media.write("web", ORPHAN, b"nor me")
    assert sweep_orphan_media(now_utc(), grace=timedelta(hours=1)).removed == []  # still young
    report = sweep_orphan_media(now_utc() + timedelta(hours=2), grace=timedelta(hours=1))
    db.session.commit()
    assert sorted(o.key for o in report.removed) == [f"originals/ab/ab/{ORPHAN}", f"web/ab/ab/{ORPHAN}.jpg"]
    assert report.missing == []
    assert len([k for k in stored_keys(media) if sha in k]) == 3  # a stored photo's files are never touched
    assert not media.exists("original", ORPHAN)


def test_sweep_reports_and_marks_rows_whose_file_is_missing(stored, media, upload, api, create_user):
    sha, data = stored
    media.delete("original", sha)
    report = sweep_orphan_media(now_utc())
    db.session.commit()
    assert report.missing == [sha]
    assert db.session.get(Photo, sha).status == "missing"

    assert upload(api(create_user("inspector")), data).json["status"] == "ready"  # uploading it again repairs
    assert sweep_orphan_media(now_utc()).missing == []


def test_sweep_uses_the_configured_grace(app, media, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_ORPHAN_GRACE_H", 1.0)
    media.write("web", ORPHAN, b"x")
    assert sweep_orphan_media(now_utc() + timedelta(minutes=50)).removed == []
    assert [o.key for o in sweep_orphan_media(now_utc() + timedelta(minutes=70)).removed] == [
        f"web/ab/ab/{ORPHAN}.jpg"]


def test_check_command_lists_problems(stored, media, runner):
    sha, _data = stored
    result = runner.invoke(args=["photos", "check"])
    assert result.exit_code == 0, result.output
    assert ("1 photos, 0 missing originals, 0 missing derivatives, 0 orphaned files, 0 derivatives pending, "
            "0 failed") in result.output

    media.write("original", ORPHAN, b"x")
    media.delete("original", sha)
    result = runner.invoke(args=["photos", "check"])
    assert result.exit_code == 1
    assert f"missing original: {sha}" in result.output
    assert f"orphaned file: {media.locate(f'originals/ab/ab/{ORPHAN}')}" in result.output


def test_reprocess_command_rebuilds_derivatives(stored, media, runner):
    sha, _data = stored
    before = media.read("web", sha)
    media.delete("web", sha)
    result = runner.invoke(args=["photos", "reprocess"])
    assert result.exit_code == 0, result.output
    assert "Rebuilt 1 photos; 0 failed." in result.output
    assert media.read("web", sha) == before


def test_reprocess_reports_a_lost_original(stored, media, runner):
    sha, _data = stored
    media.delete("original", sha)
    result = runner.invoke(args=["photos", "reprocess", "--sha", sha])
    assert result.exit_code == 1
    assert "Rebuilt 0 photos; 1 failed." in result.output
