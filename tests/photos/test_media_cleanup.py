"""Media files against rows: atomic writes, the orphan sweep, and the `photos` commands."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Photo
from app.services.photos.cleanup import sweep_orphan_media
from app.storage import MediaStore
from app.timeutil import now_utc

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
    store = MediaStore(media_root)
    path = store.write("original", ORPHAN, b"first")
    store.write("original", ORPHAN, b"second")
    assert path.read_bytes() == b"second"
    assert _files(media_root) == [f"originals/ab/ab/{ORPHAN}"]


def test_failed_write_keeps_the_old_file_and_no_temp_file(media_root, monkeypatch):
    store = MediaStore(media_root)
    path = store.write("web", ORPHAN, b"good")

    def disk_full(_fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        store.write("web", ORPHAN, b"new")
    assert path.read_bytes() == b"good"
    assert _files(media_root) == [f"web/ab/ab/{ORPHAN}.jpg"]


def test_sweep_removes_old_orphans_and_temp_files_only(stored, media_root):
    sha, _data = stored
    store = MediaStore(media_root)
    old_orphan = store.write("original", ORPHAN, b"no row names me")
    young_orphan = store.write("thumb", "cd" * 32, b"an upload still committing")
    old_temp = old_orphan.parent / f".{ORPHAN}.123abc.tmp"
    old_temp.write_bytes(b"half a photo")
    for path in (old_orphan, old_temp, *media_root.rglob(f"{sha}*")):
        _age(path, 48)

    report = sweep_orphan_media(now_utc(), grace=timedelta(hours=24))
    db.session.commit()
    assert sorted(report.removed) == sorted([old_orphan, old_temp])
    assert report.missing == []
    assert young_orphan.exists()
    assert len(list(media_root.rglob(f"{sha}*"))) == 3  # a stored photo's files are never touched


def test_sweep_reports_and_marks_rows_whose_file_is_missing(stored, media_root, upload, api, create_user):
    sha, data = stored
    (media_root / "originals" / sha[:2] / sha[2:4] / sha).unlink()
    report = sweep_orphan_media(now_utc())
    db.session.commit()
    assert report.missing == [sha]
    assert db.session.get(Photo, sha).status == "missing"

    assert upload(api(create_user("inspector")), data).json["status"] == "ready"  # uploading it again repairs
    assert sweep_orphan_media(now_utc()).missing == []


def test_sweep_uses_the_configured_grace(app, media_root, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_ORPHAN_GRACE_H", 1.0)
    orphan = MediaStore(media_root).write("web", ORPHAN, b"x")
    _age(orphan, 2)
    assert sweep_orphan_media(now_utc()).removed == [orphan]


def test_check_command_lists_problems(stored, media_root, runner):
    sha, _data = stored
    result = runner.invoke(args=["photos", "check"])
    assert result.exit_code == 0, result.output
    assert ("1 photos, 0 missing originals, 0 missing derivatives, 0 orphaned files, 0 derivatives pending, "
            "0 failed") in result.output

    MediaStore(media_root).write("original", ORPHAN, b"x")
    (media_root / "originals" / sha[:2] / sha[2:4] / sha).unlink()
    result = runner.invoke(args=["photos", "check"])
    assert result.exit_code == 1
    assert f"missing original: {sha}" in result.output
    assert f"orphaned file: {media_root / 'originals' / 'ab' / 'ab' / ORPHAN}" in result.output


def test_reprocess_command_rebuilds_derivatives(stored, media_root, runner):
    sha, _data = stored
    web = media_root / "web" / sha[:2] / sha[2:4] / f"{sha}.jpg"
    before = web.read_bytes()
    web.unlink()
    result = runner.invoke(args=["photos", "reprocess"])
    assert result.exit_code == 0, result.output
    assert "Rebuilt 1 photos; 0 failed." in result.output
    assert web.read_bytes() == before


def test_reprocess_reports_a_lost_original(stored, media_root, runner):
    sha, _data = stored
    (media_root / "originals" / sha[:2] / sha[2:4] / sha).unlink()
    result = runner.invoke(args=["photos", "reprocess", "--sha", sha])
    assert result.exit_code == 1
    assert "Rebuilt 0 photos; 1 failed." in result.output
